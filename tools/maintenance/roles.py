"""Signal roles: which of an asset's signals is its vibration level, running state, speed, load, bearing
temperature, strainer pressure drop … on any server, whatever its tags are called.

A role is read from what a signal measures (its quantity: unit first, then name words; ``quantities.yaml``),
whether it is a yes/no signal or an array, and qualifier words in its name in any language (``qualifiers.yaml``), as
``prompts/lexicon/signal_roles.yaml`` lays out. The maintenance tools ask for roles, never for tag names, so a
pump whose vibration tag is ``VibRMS`` or ``Schwinggeschwindigkeit_DE`` is judged like the demo plant's.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from assistant.prompts import load_yaml
from tools.opcua.resolve import _word_in, contains_phrase, quantity_in_words, signal_quantity, words

PROPERTIES = "waveform_properties"  # the section of signal_roles.yaml that is not a role


@functools.cache
def _specs() -> tuple[tuple[str, dict[str, Any]], ...]:
    return tuple((k, v) for k, v in load_yaml("lexicon/signal_roles.yaml").items() if k != PROPERTIES)


@functools.cache
def _qualifier_words(group: str) -> tuple[str, ...]:
    return tuple(w for ws in load_yaml("lexicon/qualifiers.yaml")[group].values() for w in ws)


def _fits(
    spec: Mapping[str, Any], quantity: str | None, boolean: bool | None, array: bool | None, name_words: list[str]
) -> bool:
    if "quantity" in spec and quantity not in (q if isinstance(q := spec["quantity"], list) else [q]):
        return False
    if "boolean" in spec and boolean is not None and spec["boolean"] != boolean:
        return False
    if "array" in spec and spec["array"] != bool(array):  # an array role needs a signal known to be one
        return False
    for group in spec.get("qualifiers", []):
        if not any(_word_in(name_words, w) for w in _qualifier_words(group)):
            return False
    own = [w for ws in (spec.get("words") or {}).values() for w in ws]
    return not own or any(_whole_word(name_words, w) for w in own)


def _whole_word(name_words: list[str], word: str) -> bool:
    """``word`` as a word of the name or an inflected form of it ("Loads"), never inside another word."""
    ws = words(word)
    if len(ws) != 1:
        return contains_phrase(name_words, word)
    w = ws[0]
    return any(q == w or (q.startswith(w) and len(q) - len(w) <= 2) for q in name_words)


def role_of(
    name: str, quantity: str | None = None, boolean: bool | None = None, array: bool | None = None
) -> str | None:
    """The role of a signal called ``name`` that measures ``quantity`` (None: read from the name's words)."""
    name_words = words(name)
    if quantity is None:
        quantity = quantity_in_words(name_words, bool(boolean))
    for role, spec in _specs():
        if _fits(spec, quantity, boolean, array, name_words):
            return role
    return quantity


def signal_role(signal: Any) -> str | None:
    """The role of a catalog signal (:class:`tools.opcua.catalog.Signal`): unit, data type and name words."""
    boolean = signal.data_type.lower() == "boolean" if signal.data_type else None
    text = f"{signal.browse_name} {signal.display_name}"
    return role_of(text, signal_quantity(signal), boolean, getattr(signal, "value_rank", -1) >= 0)


def roles_by_name(names: Iterable[str]) -> dict[str, str]:
    """{signal name: role} for signals known by name only (words of the name; no unit or data type)."""
    return {n: r for n in names if (r := role_of(n)) is not None}


def roles_of_signals(signals: Iterable[Any]) -> dict[str, str]:
    """{browse name: role} of catalog signals."""
    return {s.browse_name: r for s in signals if (r := signal_role(s)) is not None}


def waveform_property(name: str) -> str | None:
    """``sample_rate`` or ``shaft_speed`` for a waveform variable's property called ``name``, else None."""
    name_words = words(name)
    for key, phrases in load_yaml("lexicon/signal_roles.yaml")[PROPERTIES].items():
        if any(contains_phrase(name_words, p) for p in phrases):
            return str(key)
    return None
