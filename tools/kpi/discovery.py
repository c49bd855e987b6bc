"""Discovery for the KPI tools: which signals are a machine's state, stop reason, part counters, ideal cycle time,
power and energy meter — read from the catalog's semantics (names, descriptions, units, data types), never from a
list of known plants — and which hierarchy level ("line 1", "Linie 1", "packaging") the operator means.

The vocabulary is data (``prompts/lexicon/kpi.yaml``). A state signal's meaning comes from its own code table
("0 = stopped, 1 = running, …" in the description, as many servers publish) or its text values.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from assistant.prompts import load_yaml
from tools.historian.store import HistorianError, SignalMeta
from tools.opcua.resolve import fold, words

_INTEGER_TYPES = {"uint16", "uint32", "uint64", "int16", "int32", "int64", "byte", "sbyte", "integer", "uinteger"}
_CODE_TABLE = re.compile(r"(\d+)\s*[=:]\s*([A-Za-zÄÖÜäöüß_-]+)")
ROLES = ("state", "reason", "good", "scrap", "total", "ideal_cycle", "power", "energy")


class UnknownScope(HistorianError):
    exit_code = 4


@functools.cache
def lexicon() -> dict[str, Any]:
    return dict(load_yaml("lexicon/kpi.yaml"))


@functools.cache
def _role_words(role: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(words(w)) for w in lexicon()["roles"][role])


def _has(text_words: list[str], role: str) -> bool:
    for phrase in _role_words(role):
        n = len(phrase)
        if any(tuple(text_words[i : i + n]) == phrase for i in range(len(text_words) - n + 1)):
            return True
    return False


def state_meaning(name: str) -> str:
    """running | planned_stop | idle | setup | fault | unknown, for a state's name in any shipped language."""
    w = fold(name).strip()
    for meaning, names in lexicon()["state_meaning"].items():
        if w in {fold(n) for n in names}:
            return str(meaning)
    return "unknown"


def code_table(description: str) -> dict[int, str]:
    """'Machine state code (0 = stopped, 1 = running, …)' → {0: 'stopped', 1: 'running', …}."""
    return {int(k): v.lower() for k, v in _CODE_TABLE.findall(description or "")}


@dataclass(slots=True)
class MachineSignals:
    """The production signals of one asset, by role."""

    asset: str
    path: str
    roles: dict[str, SignalMeta] = field(default_factory=dict)
    states: dict[int, str] = field(default_factory=dict)  # state code → name (from the code table)

    @property
    def is_machine(self) -> bool:
        return any(r in self.roles for r in ("state", "good", "scrap", "total"))


def classify(meta: SignalMeta) -> str | None:
    """The KPI role of one historian signal, or None."""
    text = words(f"{meta.name} {meta.description}")
    unit = meta.unit.strip()
    dtype = meta.data_type.lower()
    lx = lexicon()
    if unit in lx["energy_units"]:
        return "energy"
    if unit in lx["power_units"] and _has(text, "power"):
        return "power"
    cycle_word = {"cycle", "zykluszeit", "taktzeit", "takt", "zyklus"} & set(text)
    if unit in lx["time_units"] and _has(text, "ideal_cycle") and cycle_word:
        return "ideal_cycle"
    # the name speaks first ("PartsProduced" whose description mentions scrap is still the total)
    for ws in (words(meta.name), text):
        if dtype == "string" and _has(ws, "reason"):
            return "reason"
        if _has(ws, "state") and (dtype in _INTEGER_TYPES or dtype == "string") and not _has(ws, "reason"):
            return "state"
        if not unit and (dtype in _INTEGER_TYPES or dtype in ("double", "float")):
            if _has(ws, "scrap"):
                return "scrap"
            if _has(ws, "good"):
                return "good"
            if _has(ws, "total") and "hours" not in ws:
                return "total"
    return None


def machines(metas: Iterable[SignalMeta]) -> dict[str, MachineSignals]:
    """asset path → its production signals (only assets with at least one role)."""
    out: dict[str, MachineSignals] = {}
    for m in metas:
        role = classify(m)
        if role is None or not m.asset_path:
            continue
        ms = out.setdefault(m.asset_path, MachineSignals(m.asset_path.rsplit("/", 1)[-1], m.asset_path))
        if role == "total" and "good" in ms.roles and ms.roles["good"].key == m.key:
            continue
        ms.roles.setdefault(role, m)
        if role == "state":
            ms.states = code_table(m.description)
    return out


# --- scope: the operator's words for a line, area or asset → a hierarchy path ---------------------------------
@functools.cache
def _level_table() -> dict[str, str]:
    return {fold(k): str(v) for k, v in lexicon()["level_words"].items()}


def _norm_words(text: str) -> list[str]:
    """Words with the operator's level words mapped to the generic ones; compounds too ('Druckluftstation')."""
    table = _level_table()
    out = []
    for w in words(text):
        if w not in table:
            w = next((table[k] for k in sorted(table, key=len, reverse=True) if len(k) >= 5 and w.startswith(k)), w)
        else:
            w = table[w]
        out.append(w)
    return out


def _name_forms(name: str) -> list[list[str]]:
    """'Line1' → [['line', '1']]; 'CompressedAir' → [['compressed', 'air'], ['compressedair']]."""
    parts = _split_digits(_norm_words(name))
    return [parts, ["".join(parts)]] if len(parts) > 1 else [parts]


def _levels(paths: Iterable[str]) -> dict[str, str]:
    """Every hierarchy node above the assets (and the assets): path → its own name."""
    out: dict[str, str] = {}
    for p in paths:
        parts = p.split("/")
        for i in range(1, len(parts) + 1):
            out["/".join(parts[:i])] = parts[i - 1]
    return out


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return n > 0 and any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def _split_digits(ws: list[str]) -> list[str]:
    out: list[str] = []
    for w in ws:
        out += re.split(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", w)
    return [w for w in out if w]


def find_scopes(text: str, asset_paths: Iterable[str]) -> list[str]:
    """Hierarchy paths whose own name the text mentions ('line 1' ↔ 'Line1', 'Verpackung' ↔ 'Packaging')."""
    paths = list(asset_paths)
    hay = _split_digits(_norm_words(text))
    hits: list[str] = []
    for path, name in _levels(paths).items():
        if "/" not in path:
            continue  # the site itself is the plant
        for form in _name_forms(name):
            if _contains(hay, form):
                hits.append(path)
                break
    # the most specific mention wins: drop a level when a deeper hit lies under it
    return [h for h in hits if not any(o != h and o.startswith(h + "/") for o in hits)]


def resolve_scope(scope: str, asset_paths: Iterable[str]) -> str:
    """A scope string → one hierarchy path ('' = the whole plant). Raises UnknownScope with the options."""
    paths = sorted(set(asset_paths))
    s = scope.strip().strip("/")
    if not s or fold(s) in {"plant", "werk", "all", "alle", "gesamt", "usine", "planta", "impianto"}:
        return ""
    levels = _levels(paths)
    if s in levels:
        return s
    exact = [p for p, name in levels.items() if fold(name) == fold(s) or fold(p).endswith("/" + fold(s))]
    hits = exact or find_scopes(s, paths)
    if len(hits) == 1:
        return hits[0]
    options = sorted({p for p in levels if p.count("/") in (1, 2)})
    if len(hits) > 1:
        raise UnknownScope(f"'{scope}' matches several parts of the plant: {', '.join(sorted(hits)[:6])}")
    raise UnknownScope(f"no line, area or asset called '{scope}' in the plant (lines and areas: {', '.join(options)})")
