"""What a question asks a record or a manual line to hold: a record field (finding, cause, technician, work done,
parts) or a part number — so that the passage holding it can rank and be quoted first.

Owns the cue and field reading for retrieval. A question about the work done on an event ("what was found…",
"warum…", "welcher Techniker…") is answered by a work order or log record with that field, not by the alarm
rows of the same event, which only say when it happened; a question about which part to order ("which bearing
do I order…", "welches Lager muss ich bestellen…") by the manual's line with a part number. The words are data:
``prompts/lexicon/record_fields.yaml`` (per field: question cues per language, field names in any language) and
``prompts/lexicon/part_numbers.yaml`` (question cues per language). Nothing here knows a plant, an asset or a
document.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from assistant.prompts import load_yaml
from tools.documents.codes import ALARM_PREFIXES, looks_like_asset
from tools.opcua.resolve import fold

# a record field: 'key: value' at the start of the text or after ';' / a new line (keys of flattened JSON
# records may be dotted: 'work.findings'); the value must not be empty
_FIELD = re.compile(r"(?:^|[;\n])\s*([^\W\d][\w .-]{0,40}?)\s*:\s*(?=\S)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_STANDARD = re.compile(r"\b(?:ISO|DIN|EN|IEC|VDI|VDE|NFPA|ANSI|ASTM|API|UL)\s*$")
_LETTER_FIRST = re.compile(r"(?<![\w-])([A-Za-z]{1,6})-(\d{1,6})((?:[-/][A-Za-z0-9]{1,6})*)(?![\w])")
_DIGIT_FIRST = re.compile(r"(?<![\w-])(\d{2,6}(?:[-/][A-Za-z0-9]{1,6})+|\d{3,6}[A-Za-z]{1,3})(?![\w])")


@dataclass(frozen=True)
class _Cues:
    words: frozenset[str]  # single words (folded)
    prefixes: tuple[str, ...]  # word starts ("repar")
    phrases: tuple[str, ...]  # several words, folded and space-joined
    excepted: tuple[str, ...]  # phrases removed first


def _key(name: str) -> str:
    return re.sub(r"[\s-]+", "_", fold(name).strip())


def _fold_words(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", fold(text)))


def _cues(by_language: dict[str, list[str]], excepted: dict[str, list[str]] | None = None) -> _Cues:
    words: set[str] = set()
    prefixes: list[str] = []
    phrases: list[str] = []
    for cues in by_language.values():
        for cue in cues:
            text = str(cue)
            star = text.endswith("*")
            folded = _fold_words(text.rstrip("*"))
            if not folded:
                continue
            if " " in folded:
                phrases.append(folded)
            elif star:
                prefixes.append(folded)
            else:
                words.add(folded)
    out = [_fold_words(str(e)) for es in (excepted or {}).values() for e in es]
    return _Cues(frozenset(words), tuple(prefixes), tuple(phrases), tuple(e for e in out if e))


def _uses(cues: _Cues, question: str) -> bool:
    text = f" {_fold_words(question)} "
    for phrase in cues.excepted:
        text = text.replace(f" {phrase} ", " ")
    qwords = text.split()
    if any(w in cues.words for w in qwords) or any(f" {p} " in text for p in cues.phrases):
        return True
    return any(w.startswith(p) for w in qwords for p in cues.prefixes)


@functools.cache
def _field_groups() -> tuple[tuple[str, _Cues, frozenset[str]], ...]:
    groups = []
    for name, spec in load_yaml("lexicon/record_fields.yaml").items():
        fields = frozenset(_key(str(f)) for f in spec.get("fields", []))
        groups.append((str(name), _cues(spec.get("cues", {}), spec.get("except")), fields))
    return tuple(groups)


@functools.cache
def _part_cues() -> _Cues:
    spec = load_yaml("lexicon/part_numbers.yaml")
    return _cues(spec.get("cues", {}), spec.get("except"))


def asked_fields(question: str) -> list[frozenset[str]]:
    """The record fields the question asks for: one set of field names per asked kind, most specific first."""
    return [fields for _name, cues, fields in _field_groups() if _uses(cues, question)]


def asks_for_part(question: str) -> bool:
    """Does the question ask which part (number) to order?"""
    return _uses(_part_cues(), question)


def record_fields(text: str) -> dict[str, tuple[int, int]]:
    """Field name (normalised) → span of 'key: value' up to the next field, for the record fields of ``text``."""
    found = [(m.start(1), m.group(1)) for m in _FIELD.finditer(text)]
    out: dict[str, tuple[int, int]] = {}
    for i, (start, raw) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(text)
        key = _key(raw.rsplit(".", 1)[-1])
        out.setdefault(key, (start, len(text[:end].rstrip().rstrip(";").rstrip())))
    return out


def asked_field(text: str, asked: list[frozenset[str]]) -> str | None:
    """The 'key: value' text of the first asked field the record ``text`` holds (None: it holds none)."""
    if not asked:
        return None
    fields = record_fields(text)
    for names in asked:
        for key, (start, end) in fields.items():
            if key in names:
                return text[start:end]
    return None


def part_numbers(text: str) -> list[str]:
    """Part-number-like codes in ``text`` ('6310-2Z-C3', 'GR-2000', 'FT-0215', 'SB-7014-P4'): not asset ids,
    alarm codes, dates or standards numbers ('ISO 10816-3')."""
    out: list[str] = []
    for m in _DIGIT_FIRST.finditer(text):
        token = m.group(1)
        if _ISO_DATE.fullmatch(token[:10]) or _STANDARD.search(text[: m.start()]):
            continue
        out.append(token.upper())
    for m in _LETTER_FIRST.finditer(text):
        prefix, number, suffix = m.group(1), m.group(2), m.group(3)
        if prefix.upper() in ALARM_PREFIXES or not prefix.isupper():
            continue
        if suffix or not looks_like_asset(prefix, number, hyphenated=True):
            out.append(m.group(0).upper())
    return list(dict.fromkeys(out))


def is_part_number(token: str) -> bool:
    """A normalised code token (as stored per chunk) that reads as a part number (see :func:`part_numbers`)."""
    return bool(part_numbers(token))
