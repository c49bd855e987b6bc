"""Asset ids heard by speech-to-text, matched to the catalog: "P 101", "p. 101", "P1 01", "B-101" → "P-101".

Whisper writes asset codes in many shapes. A code-like span (1–4 letters, then digits possibly split by spaces,
dashes or dots) is compared to the catalog's codes in normalised form (letters and digits only, lower case):
an exact match is replaced by the catalog's spelling; otherwise, when exactly one catalog code has the same
digits and a prefix that sounds alike (letters confused by speech recognition: b/p, d/t, k/c/g, s/z, m/n, f/v;
longer prefixes: rapidfuzz ratio ≥ 50), that one is taken. A letter code followed by spoken digits ("K zwei",
"S eine" for "S eins", "P one oh one") becomes that code too, but only when the catalog has it: the words for one
are articles elsewhere (``prompts/lexicon/spoken_one.yaml``). Nothing else in the text changes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from assistant.prompts import load_yaml
from tools.opcua.resolve import fold, norm_code, spoken_digit_table

_SPAN = re.compile(r"(?<![\w])([A-Za-zÄÖÜäöü]{1,4})[\s\-_.]{0,3}((?:\d[\s\-.]{0,2}){1,5})(?![\w])")
_CODE = re.compile(r"^([a-z]{1,4})(\d{1,5})$")
_SOUND_ALIKE = ("bp", "dt", "kcgq", "sz", "mn", "fv", "ie")
_LETTERS = re.compile(r"^[A-ZÄÖÜ]{1,3}$")  # a code as transcribed: capitals ("S", "PU"), not a word like "Tank"


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


@functools.cache
def _spoken_digit_words() -> dict[str, str]:
    """Folded spoken word → digit: the digits lexicon plus the words for one that follow a letter code."""
    ones = {fold(w): "1" for words in load_yaml("lexicon/spoken_one.yaml").values() for w in words}
    return {**spoken_digit_table(), **ones}


def _catalog_code(letters: str, digits: str, codes: dict[str, str]) -> str | None:
    """The catalog spelling for heard letters + digits: the same code, or the one sound-alike code."""
    key = norm_code(letters + digits)
    if key in codes:
        return codes[key]
    heard = norm_code(letters)
    parsed = [(v, _CODE.match(k)) for k, v in codes.items()]
    close = [v for v, m in parsed if m and m.group(2) == digits and _letters_alike(heard, m.group(1))]
    return close[0] if len(close) == 1 else None


def _spelled_codes(text: str, codes: dict[str, str], corrections: list[Correction]) -> str:
    """Letter code + spoken digit words ("S eine", "K zwei", "P one oh one") → the catalog code, if it has it."""
    table = _spoken_digit_words()
    tokens = text.split(" ")
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if _LETTERS.match(token) and i + 1 < len(tokens):
            digits, j, tail = "", i + 1, ""
            while j < len(tokens):
                word = tokens[j].rstrip(".,;:?!")
                if fold(word) not in table or (not digits and fold(word) == "oh"):
                    break
                digits += table[fold(word)]
                j += 1
                if word != tokens[j - 1]:  # punctuation ends the number
                    tail = tokens[j - 1][len(word) :]
                    break
            found = _catalog_code(token, digits, codes) if digits else None
            if found is not None:
                corrections.append(Correction(" ".join(tokens[i:j]).rstrip(".,;:?!"), found))
                out.append(found + tail)
                i = j
                continue
        out.append(token)
        i += 1
    return " ".join(out)


def match_asset_ids(text: str, names: Iterable[str]) -> tuple[str, list[Correction]]:
    """``text`` with heard asset codes replaced by their catalog spelling, and what was replaced."""
    codes = catalog_codes(names)
    if not codes:
        return text, []
    corrections: list[Correction] = []
    text = _spelled_codes(text, codes, corrections)

    def replace(m: re.Match[str]) -> str:
        heard = m.group(0)
        trailing = heard[len(heard.rstrip(" -.")) :]
        core = heard[: len(heard) - len(trailing)] if trailing else heard
        key = norm_code(core)
        cm = _CODE.match(key)
        found = codes.get(key) or (_catalog_code(*cm.groups(), codes) if cm else None)
        if found is None:
            return heard
        if found != core:
            corrections.append(Correction(core, found))
        return found + trailing

    return _SPAN.sub(replace, text), corrections
