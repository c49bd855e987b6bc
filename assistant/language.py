"""Detect the language of a question (lingua, restricted to the languages we ship prompts for)."""

from __future__ import annotations

import functools

from lingua import Language, LanguageDetectorBuilder

_LINGUA = {
    "en": Language.ENGLISH,
    "de": Language.GERMAN,
    "fr": Language.FRENCH,
    "es": Language.SPANISH,
    "it": Language.ITALIAN,
}


@functools.cache
def _detector(codes: tuple[str, ...]):  # type: ignore[no-untyped-def]
    return LanguageDetectorBuilder.from_languages(*(_LINGUA[c] for c in codes)).build()


def detect_language(text: str, supported: tuple[str, ...] = tuple(_LINGUA), fallback: str = "en") -> str:
    """ISO 639-1 code of ``text``'s language among ``supported``; ``fallback`` when too short to tell."""
    codes = tuple(c for c in supported if c in _LINGUA) or ("en",)
    # asset codes and numbers say nothing about the language; judge the words
    words = " ".join(w for w in text.split() if any(ch.isalpha() for ch in w) and not any(ch.isdigit() for ch in w))
    if len(words) < 3:
        return fallback
    found = _detector(codes).detect_language_of(words)
    return found.iso_code_639_1.name.lower() if found else fallback
