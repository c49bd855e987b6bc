"""Cross-lingual query expansion: the plant and maintenance words a question uses, in the other languages.

A German question about "Lagerwechsel" should find an English work order about a "bearing replaced". The
multilingual embedding does most of that; for short technical questions the words themselves help, so the
search also embeds the question followed by the other languages' words for the terms it uses (from the lexicons
in ``prompts/lexicon/``: equipment kinds, quantities, qualifiers and maintenance terms)."""

from __future__ import annotations

import functools

from assistant.prompts import load_yaml
from tools.opcua.resolve import fold, words


@functools.cache
def _groups() -> tuple[dict[str, tuple[str, ...]], ...]:
    """Term groups: language → words. The equipment kinds come first (:func:`_n_kinds` of them)."""
    groups: list[dict[str, tuple[str, ...]]] = []
    for name in ("asset_types", "qualifiers", "maintenance_terms"):
        for langs in load_yaml(f"lexicon/{name}.yaml").values():
            groups.append({lang: tuple(str(w) for w in ws) for lang, ws in langs.items()})
    for spec in load_yaml("lexicon/quantities.yaml").values():
        groups.append({lang: tuple(str(w) for w in ws) for lang, ws in spec["words"].items()})
    return tuple(groups)


@functools.cache
def _n_kinds() -> int:
    return len(load_yaml("lexicon/asset_types.yaml"))


@functools.cache
def _term_words(term: str) -> tuple[str, ...]:
    return tuple(words(term))  # folded once per term, not once per term per question (~27 ms a query before)


class _Question:
    """A question's words with their prefixes and suffixes as sets: one lookup per glossary term."""

    def __init__(self, question_words: list[str]) -> None:
        self.words = question_words
        self.exact = set(question_words)
        self.prefixes = {q[:i] for q in question_words for i in range(4, len(q) + 1)}
        self.suffixes = {q[-i:] for q in question_words for i in range(5, len(q) + 1)}


def _uses(q: _Question, term: str) -> bool:
    tw = _term_words(term)
    if len(tw) > 1:
        n = len(tw)
        return any(tuple(q.words[i : i + n]) == tw for i in range(len(q.words) - n + 1))
    t = tw[0] if tw else ""
    if len(t) < 4:
        return t in q.exact
    # whole word, inflection, or part of a compound ("lagerwechsel" uses "lager" and "wechsel")
    return t in q.prefixes or (len(t) >= 5 and t in q.suffixes)


@functools.lru_cache(maxsize=4096)
def _used_groups(text: str) -> tuple[int, ...]:
    """Indices of the term groups ``text`` uses (in any language), in glossary order; one scan per text, shared by
    :func:`topics` and :func:`expand`."""
    q = _Question(words(text))
    return tuple(i for i, group in enumerate(_groups()) if any(_uses(q, t) for ws in group.values() for t in ws))


def topics(text: str) -> frozenset[int]:
    """The term groups ``text`` uses, in any language, equipment kinds left out: what a question or a section
    heading is about ("Was muss ich vor Arbeiten beachten?" and "2 Safety" share the safety group). Kinds name
    the machine a whole manual is about, not one of its sections."""
    return frozenset(i for i in _used_groups(text) if i >= _n_kinds())


def expand(question: str, languages: tuple[str, ...] = ("en", "de"), limit: int = 12) -> str:
    """The question followed by the first word of each term it uses in ``languages`` (the corpus's languages);
    the question alone when it uses none."""
    have = {fold(w) for w in words(question)}
    groups = _groups()
    extra: list[str] = []
    for i in _used_groups(question):
        for lang in languages:
            first = groups[i].get(lang, ())[:1]
            extra += [t for t in first if fold(t) not in have and t not in extra]
    return f"{question} {' '.join(extra[:limit])}" if extra else question
