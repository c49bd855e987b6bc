"""Asset ids heard by speech-to-text, matched to the catalog: "P 101", "p. 101", "P1 01", "B-101" → "P-101".

Whisper writes asset codes in many shapes. A code-like span (1–4 letters, then digits possibly split by spaces,
dashes or dots) is compared to the catalog's codes in normalised form (letters and digits only, lower case):
an exact match is replaced by the catalog's spelling; otherwise, when exactly one catalog code has the same
digits and a prefix that sounds alike (letters confused by speech recognition: b/p, d/t, k/c/g, s/z, m/n, f/v;
longer prefixes: rapidfuzz ratio ≥ 50), that one is taken. Nothing else in the text changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from tools.opcua.resolve import norm_code

_SPAN = re.compile(r"(?<![\w])([A-Za-zÄÖÜäöü]{1,4})[\s\-_.]{0,3}((?:\d[\s\-.]{0,2}){1,5})(?![\w])")
_CODE = re.compile(r"^([a-z]{1,4})(\d{1,5})$")
_SOUND_ALIKE = ("bp", "dt", "kcgq", "sz", "mn", "fv", "ie")


def _letters_alike(a: str, b: str) -> bool:
    if len(a) == len(b) and all(
        x == y or any(x in g and y in g for g in _SOUND_ALIKE) for x, y in zip(a, b, strict=True)
    ):
        return True
    return len(a) > 1 and len(b) > 1 and fuzz.ratio(a, b) >= 50


@dataclass(frozen=True, slots=True)
class Correction:
    heard: str
    asset: str


def catalog_codes(names: Iterable[str]) -> dict[str, str]:
    """Normalised code → catalog spelling, for names that look like asset codes (letters then digits)."""
    out: dict[str, str] = {}
    for name in names:
        key = norm_code(name)
        if _CODE.match(key):
            out.setdefault(key, name)
    return out


def match_asset_ids(text: str, names: Iterable[str]) -> tuple[str, list[Correction]]:
    """``text`` with heard asset codes replaced by their catalog spelling, and what was replaced."""
    codes = catalog_codes(names)
    if not codes:
        return text, []
    corrections: list[Correction] = []

    def replace(m: re.Match[str]) -> str:
        heard = m.group(0)
        trailing = heard[len(heard.rstrip(" -.")) :]
        core = heard[: len(heard) - len(trailing)] if trailing else heard
        key = norm_code(core)
        found = codes.get(key)
        if found is None:
            cm = _CODE.match(key)
            if cm is None:
                return heard
            letters, digits = cm.groups()
            parsed = {v: _CODE.match(k) for k, v in codes.items()}
            close = [v for v, m in parsed.items() if m and m.group(2) == digits and _letters_alike(letters, m.group(1))]
            if len(close) != 1:
                return heard
            found = close[0]
        if found != core:
            corrections.append(Correction(core, found))
        return found + trailing

    return _SPAN.sub(replace, text), corrections
