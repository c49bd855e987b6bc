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


@functools.cache
def _vocabulary() -> dict[str, frozenset[str]]:
    """Per language, the plant words of our lexicons that belong to that language only (function words, quantity
    and equipment words): a tie-breaker for short questions where the statistical model hesitates."""
    from assistant.prompts import load_yaml
    from tools.opcua.resolve import fold

    vocab: dict[str, set[str]] = {c: set() for c in _LINGUA}
    for lang, ws in load_yaml("lexicon/stopwords.yaml").items():
        vocab.setdefault(lang, set()).update(fold(w) for w in ws)
    for spec in load_yaml("lexicon/quantities.yaml").values():
        for lang, ws in spec["words"].items():
            vocab.setdefault(lang, set()).update(fold(w) for w in ws if " " not in w)
    for langs in load_yaml("lexicon/asset_types.yaml").values():
        for lang, ws in langs.items():
            vocab.setdefault(lang, set()).update(fold(w) for w in ws)
    return {
        lang: frozenset(ws - set().union(*(other for k, other in vocab.items() if k != lang)))
        for lang, ws in vocab.items()
    }


def _is_word(token: str) -> bool:
    """A token of the language: letters, no digits, not an acronym ("UTC") nor an identifier ("HistoryRead")."""
    core = token.strip(".,;:?!¿¡«»\"'()[]")
    if not any(ch.isalpha() for ch in core) or any(ch.isdigit() for ch in core) or "/" in core or "_" in core:
        return False
    if len(core) > 1 and core.isupper():
        return False
    return not any(ch.isupper() for ch in core[1:])  # an inner capital: CamelCase, not a word


def detect_language(text: str, supported: tuple[str, ...] = tuple(_LINGUA), fallback: str = "en") -> str:
    """ISO 639-1 code of ``text``'s language among ``supported``; ``fallback`` when too short to tell.

    lingua's confidence decides; words only one language's lexicon has add to it (short questions like
    "Diagnostiziere den Kompressor" are otherwise a coin toss), and the user's own language wins a near tie."""
    from tools.opcua.resolve import fold

    codes = tuple(c for c in supported if c in _LINGUA) or ("en",)
    # asset codes, numbers, acronyms (UTC, OPC UA) and identifiers (HistoryRead, opc.tcp://…) say nothing about the
    # language; judge the words
    words = " ".join(w for w in text.split() if _is_word(w))
    if len(words) < 3 and not any(c.islower() for c in text):  # all capitals ("WIE HOCH IST …"): every word counts
        words = " ".join(w for w in text.split() if any(c.isalpha() for c in w) and not any(c.isdigit() for c in w))
    if len(words) < 3:
        return fallback
    scores = {c: 0.0 for c in codes}
    for conf in _detector(codes).compute_language_confidence_values(words):
        code = conf.language.iso_code_639_1.name.lower()
        if code in scores:
            scores[code] = conf.value
    tokens = {fold(w.strip(".,;:?!¿¡«»\"'")) for w in words.split()}
    vocab = _vocabulary()
    for code in codes:
        scores[code] += 0.15 * len(tokens & vocab.get(code, frozenset()))
    best = max(scores, key=lambda c: scores[c])
    if fallback in scores and best != fallback and scores[fallback] >= scores[best] - 0.1:
        return fallback
    return best
