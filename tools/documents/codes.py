"""Code-like tokens (alarm codes, part numbers, asset ids) and their ranking, combined with the vector ranking.

Owns the token rules. Plain BM25 over words hurts cross-lingual retrieval (a German question shares no words
with an English page), so the code index here sees only tokens that are the same in every language: alarm
codes (``E-42``), part numbers (``6310-2Z``, ``FT-0215``), asset ids (``P-101``, ``FAN-7``), standards numbers.
Tokens are normalised (upper case, one hyphen between letters and digits) so ``e42``, ``E 42`` and ``E-42``
meet.

Asset ids are recognised without a plant-specific prefix list: any letters-hyphen-number token (``P-101``,
``CV-3``, ``HP-3``, ``FAN-7``) is an asset id unless it has the shape of an alarm code (``E-42``) or of a part
number (a number with a leading zero or of four or more digits, or a further suffix: ``GR-2000``, ``ST-0816``,
``SB-7014-P4``). When the asset catalog is known, pass its names (``known``) and only those count — the heuristic
is the fallback for an index built without a catalog.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rank_bm25 import BM25Okapi

# letters then digits, optionally separated by '-', ' ' or nothing, optional suffix: E-42, P101, K 2, 6310-2Z
_LETTER_DIGIT = re.compile(r"(?<![\w-])([A-Za-z]{1,6})[- ]?(\d{1,5})((?:[-/][A-Za-z0-9]{1,6})*)(?![\w])")
# digits first with a letter or hyphenated suffix (part numbers such as 6310-2Z, 22-0815-03)
_DIGIT_FIRST = re.compile(r"(?<![\w-])(\d{2,6}(?:[-/][A-Za-z0-9]{1,6})+|\d{3,6}[A-Za-z]{1,3})(?![\w])")
# words that look like codes but are units or common words when followed by a number
_NOT_CODES = {
    "H", "KW", "BAR", "MM", "RPM", "A", "V", "C", "S", "NR", "NO", "CA", "AB", "AM", "UM", "BIS", "AT", "IN",
    "ISO", "DIN", "EN", "IEC", "VG", "CLP", "NLGI", "ZONE", "ZONES", "PAGE", "SEITE", "STEP", "SCHRITT", "LINE",
    "LINIE", "KM", "MIN", "SEC", "HZ", "KN", "NM", "DB", "UND", "AND", "TO", "OF", "BY", "FROM", "ON", "UP",
}  # fmt: skip
# prefixes of alarm/fault codes (never asset ids): E-42, ERR-3, ALM-12, AL-7
ALARM_PREFIXES = ("E", "ERR", "ALM", "AL", "ALARM")
# an asset id: letters (optionally in hyphenated groups) - number; 'FAN-7', 'HP-3', 'P-101', 'AHU-B-2'
_ASSET_RE = re.compile(r"(?<![\w-])([A-Za-z]{1,6}(?:-[A-Za-z]{1,6})?)-(\d{1,5})(?![\w]|-\w)")
_CODE_RE = re.compile(r"(?<![\w-])(?:" + "|".join(ALARM_PREFIXES) + r")-\d{1,4}(?![\w-])")


def normalise(prefix: str, number: str, suffix: str = "") -> str:
    return f"{prefix.upper()}-{number}{suffix.upper()}"


def code_tokens(text: str, strict: bool = True) -> list[str]:
    """Code-like tokens in ``text``, normalised, in order (duplicates kept: they are term frequencies).

    ``strict`` (documents) requires a hyphen or an upper-case prefix written as such; queries are parsed
    leniently so that 'e42' or 'P101' still find 'E-42' and 'P-101'.
    """
    return [token for token, _span in _codes(text, strict)]


def _codes(text: str, strict: bool) -> list[tuple[str, tuple[int, int]]]:
    """Code-like tokens with their spans (letter-first ones, then digit-first ones)."""
    out: list[tuple[str, tuple[int, int]]] = []
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
        if not strict and not prefix.isupper() and len(prefix) > 3 and "-" not in raw:
            continue  # 'after12' in a lower-case query is a typo, not a code
        out.append((normalise(prefix, number, suffix), m.span()))
    for m in _DIGIT_FIRST.finditer(text):
        out.append((m.group(1).upper(), m.span()))
    return out


# a number (with decimals, thousands separators, dates and clock times): 5.1, 3,000, 2026-11-03, 07:43, 10%
_NUMBER = re.compile(r"(?<![\w.,])[-+]?\d+(?:[.,:/-]\d+)*%?(?![\w])")
_LEFTOVER = re.compile(r"\s+([,;:.)?!])|\(\s*\)|(?<=[:;,])\s*(?=[,;:])")


def meaning_text(text: str) -> str:
    """``text`` without its codes and numbers, for the sentence embedder: what a passage says, not which ids.

    The embedding model reads 'after a standstill of more than 8 hours run the warm-up program WU-12: 10 minutes
    at 3,000 rpm…' as mostly noise (cosine 0.19 to "what is the warm-up program after a long standstill?",
    against 0.43 without the codes and numbers; measured 2026-11-27). Codes are matched literally by the code
    index instead (:class:`CodeIndex`), numbers are kept in the quoted text. A text that is nothing but codes
    and numbers ('E-42') is returned as it is."""
    spans = sorted(span for _token, span in _codes(text, strict=True))
    kept, pos = [], 0
    for start, end in spans:
        if start >= pos:
            kept.append(text[pos:start])
            pos = end
    stripped = _NUMBER.sub(" ", " ".join([*kept, text[pos:]]))
    stripped = _LEFTOVER.sub(lambda m: m.group(1) or "", stripped)
    # 'key: value; …' records: a field whose value was only a code or a number goes with its key
    stripped = ";".join(f for f in stripped.split(";") if not f.strip().endswith(":"))
    stripped = re.sub(r"[ \t]+", " ", stripped).strip()
    return stripped if re.search(r"[^\W\d_]{3,}", stripped) else text


def _canonical(asset: str) -> str:
    return re.sub(r"[\s_-]+", "", asset).upper()


def looks_like_asset(prefix: str, number: str, hyphenated: bool = False) -> bool:
    """Heuristic for an index built without the asset catalog: not an alarm code, not a part number.

    ``hyphenated``: the token was written with a hyphen ('S-4'); a one-letter prefix is then an asset id even
    when the letter alone is a unit ('S' seconds, 'A' ampere, 'V' volt), since units are not hyphenated."""
    p = prefix.upper()
    if p in ALARM_PREFIXES or (p in _NOT_CODES and not (hyphenated and len(p) == 1)):
        return False
    return not (len(number) >= 4 or (len(number) > 1 and number.startswith("0")))


def asset_ids(text: str, known: Iterable[str] | None = None) -> list[str]:
    """Asset ids mentioned in ``text`` (letters-number with a hyphen: P-101, CV-3, FAN-7), unique, in order.

    With ``known`` (the catalog's asset names), a token counts when it names a known asset however it is
    written ('P101', 'p-101'); the known spelling is returned. Without it, :func:`looks_like_asset` decides.
    """
    seen: dict[str, None] = {}
    if known is not None:
        by_key = {_canonical(a): a for a in known if a}
        if not by_key:
            return []
        for m in _LETTER_DIGIT.finditer(text):
            hit = by_key.get(_canonical(m.group(1) + m.group(2)))
            if hit:
                seen.setdefault(hit, None)
        for m in _ASSET_RE.finditer(text):
            hit = by_key.get(_canonical(m.group(0)))
            if hit:
                seen.setdefault(hit, None)
        return list(seen)
    for m in _ASSET_RE.finditer(text):
        prefix, number = m.group(1), m.group(2)
        if prefix.split("-")[-1].isupper() and looks_like_asset(prefix.split("-")[-1], number, hyphenated=True):
            seen.setdefault(f"{prefix.upper()}-{number}", None)
    return list(seen)


def alarm_codes(text: str) -> list[str]:
    """Alarm codes mentioned in ``text`` (E-nn and the other :data:`ALARM_PREFIXES`), unique, in order."""
    return list(dict.fromkeys(m.group(0) for m in _CODE_RE.finditer(text)))


def normalise_asset(asset: str) -> str:
    """'p101', 'P 101', 'P-101' → 'P-101'; 'fan7' → 'FAN-7'; other names are upper-cased and stripped."""
    m = re.fullmatch(r"\s*([A-Za-z]{1,6}(?:-[A-Za-z]{1,6})?)[- ]?(\d{1,5})\s*", asset)
    return f"{m.group(1).upper()}-{m.group(2)}" if m else asset.strip().upper()


@dataclass(slots=True)
class CodeIndex:
    """Postings and BM25 over the code tokens of every chunk; ids are chunk ids in the same order as the tokens."""

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
        if allowed is not None:
            candidates = [i for i in candidates if self.ids[i] in allowed]
        if not candidates:
            return []
        scores = self.bm25.get_batch_scores(q, candidates)
        ranked = sorted(zip(candidates, scores, strict=True), key=lambda p: -p[1])
        return [self.ids[i] for i, _ in ranked[:limit]]

    def coverage(self, query_tokens: Iterable[str], allowed: set[str] | None = None) -> dict[str, float]:
        """Chunk id → share of the query's code tokens the chunk contains (only chunks with at least one).

        Idf-weighted, so a rare alarm code counts more than an asset id that half the logs mention.
        """
        q = [t for t in dict.fromkeys(query_tokens) if t in self.postings]
        if not q:
            return {}
        n = max(len(self.ids), 1)
        weight = {t: 1.0 + max(0.0, _log(n / len(self.postings[t]))) for t in q}
        total = sum(weight[t] for t in dict.fromkeys(query_tokens) if t in weight) + sum(
            1.0 for t in dict.fromkeys(query_tokens) if t not in weight
        )
        out: dict[str, float] = {}
        for t in q:
            for i in self.postings[t]:
                cid = self.ids[i]
                if allowed is None or cid in allowed:
                    out[cid] = out.get(cid, 0.0) + weight[t] / total
        return out


def _log(x: float) -> float:
    import math

    return math.log(x) if x > 0 else 0.0


def fuse(rankings: Sequence[tuple[Sequence[str], float]], k: int = 60) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion of ranked id lists: score = Σ weight / (k + rank)."""
    scores: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, cid in enumerate(ids, start=1):
            scores[cid] = scores.get(cid, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda p: -p[1])
