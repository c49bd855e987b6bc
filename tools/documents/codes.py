"""Code-like tokens (alarm codes, part numbers, asset ids) and their BM25 ranking, fused with the vector ranking.

Owns the token rules and the fusion. Plain BM25 over words hurts cross-lingual retrieval (a German question
shares no words with an English page), so BM25 here sees only tokens that are the same in every language:
alarm codes (``E-42``), part numbers (``6310-2Z``, ``FT-0215``), asset ids (``P-101``), standards numbers.
Tokens are normalised (upper case, one hyphen between letters and digits) so ``e42``, ``E 42`` and ``E-42``
meet. Fusion is reciprocal-rank fusion with a weight per list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rank_bm25 import BM25Okapi

# letters then digits, optionally separated by '-', ' ' or nothing, optional suffix: E-42, P101, K 2, 6310-2Z
_LETTER_DIGIT = re.compile(r"(?<![\w-])([A-Za-z]{1,4})[- ]?(\d{1,5})((?:[-/][A-Za-z0-9]{1,6})*)(?![\w])")
# digits first with a letter or hyphenated suffix (part numbers such as 6310-2Z, 22-0815-03)
_DIGIT_FIRST = re.compile(r"(?<![\w-])(\d{2,6}(?:[-/][A-Za-z0-9]{1,6})+|\d{3,6}[A-Za-z]{1,3})(?![\w])")
# upper-case letter prefixes that are asset ids in the demo plant naming scheme (prefix-number)
ASSET_PREFIXES = ("P", "K", "S", "CV", "T", "MC", "M", "V", "B")
# words that look like codes but are units or common words when followed by a number
_NOT_CODES = {"H", "KW", "BAR", "MM", "RPM", "A", "V", "C", "S", "NR", "NO", "CA", "AB", "AM", "UM", "BIS", "AT", "IN"}
_ASSET_RE = re.compile(
    r"(?<![\w-])(" + "|".join(sorted(ASSET_PREFIXES, key=len, reverse=True)) + r")-(\d{1,4})(?![\w-])"
)
_CODE_RE = re.compile(r"(?<![\w-])E-\d{1,4}(?![\w-])")


def normalise(prefix: str, number: str, suffix: str = "") -> str:
    return f"{prefix.upper()}-{number}{suffix.upper()}"


def code_tokens(text: str, strict: bool = True) -> list[str]:
    """Code-like tokens in ``text``, normalised, in order (duplicates kept: they are term frequencies).

    ``strict`` (documents) requires a hyphen or an upper-case prefix written as such; queries are parsed
    leniently so that 'e42' or 'P101' still find 'E-42' and 'P-101'.
    """
    out: list[str] = []
    for m in _LETTER_DIGIT.finditer(text):
        prefix, number, suffix = m.group(1), m.group(2), m.group(3) or ""
        raw = m.group(0)
        if prefix.upper() in _NOT_CODES and "-" not in raw:
            continue
        if strict and not (prefix.isupper() and ("-" in raw or raw.replace(" ", "") == raw)):
            continue
        # 'E 42' is a code only in queries; in running text 'at 42' is not
        spaced = " " in raw and "-" not in raw
        if spaced and (strict or prefix.upper() in _NOT_CODES or (not prefix.isupper() and len(prefix) > 1)):
            continue
        out.append(normalise(prefix, number, suffix))
    for m in _DIGIT_FIRST.finditer(text):
        out.append(m.group(1).upper())
    return out


def asset_ids(text: str) -> list[str]:
    """Asset ids mentioned in ``text`` (prefix-number with a hyphen, e.g. P-101, CV-3, K-2), unique, in order."""
    seen: dict[str, None] = {}
    for m in _ASSET_RE.finditer(text):
        seen.setdefault(f"{m.group(1)}-{m.group(2)}", None)
    return list(seen)


def alarm_codes(text: str) -> list[str]:
    """Alarm codes mentioned in ``text`` (E-nn), unique, in order."""
    return list(dict.fromkeys(m.group(0) for m in _CODE_RE.finditer(text)))


def normalise_asset(asset: str) -> str:
    """'p101', 'P 101', 'P-101' → 'P-101'."""
    m = re.fullmatch(r"\s*([A-Za-z]{1,4})[- ]?(\d{1,5})\s*", asset)
    return f"{m.group(1).upper()}-{m.group(2)}" if m else asset.strip().upper()


@dataclass(slots=True)
class CodeIndex:
    """BM25 over the code tokens of every chunk; ids are chunk ids in the same order as the token lists."""

    ids: list[str]
    bm25: BM25Okapi | None
    postings: dict[str, list[int]]

    @classmethod
    def build(cls, ids: Sequence[str], tokens: Sequence[Sequence[str]]) -> CodeIndex:
        postings: dict[str, list[int]] = {}
        for i, toks in enumerate(tokens):
            for t in set(toks):
                postings.setdefault(t, []).append(i)
        corpus = [list(t) or ["\x00"] for t in tokens]
        bm25 = BM25Okapi(corpus) if corpus else None
        return cls(list(ids), bm25, postings)

    def rank(self, query_tokens: Iterable[str], allowed: set[str] | None = None, limit: int = 50) -> list[str]:
        """Chunk ids with at least one of ``query_tokens``, best BM25 score first."""
        q = [t for t in dict.fromkeys(query_tokens) if t in self.postings]
        if not q or self.bm25 is None:
            return []
        candidates = sorted({i for t in q for i in self.postings[t]})
        scores = self.bm25.get_batch_scores(q, candidates)
        ranked = sorted(zip(candidates, scores, strict=True), key=lambda p: -p[1])
        out = [self.ids[i] for i, _ in ranked if allowed is None or self.ids[i] in allowed]
        return out[:limit]


def fuse(rankings: Sequence[tuple[Sequence[str], float]], k: int = 60) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion of ranked id lists: score = Σ weight / (k + rank)."""
    scores: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, cid in enumerate(ids, start=1):
            scores[cid] = scores.get(cid, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda p: -p[1])
