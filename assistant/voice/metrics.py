"""Word error rate for speech-to-text checks: word-level edit distance over normalised words."""

from __future__ import annotations

import re
import unicodedata


def normalise_words(text: str) -> list[str]:
    """Lower-case words without punctuation; asset codes keep letters and digits together (P-101 → p101)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"(?<=[a-zäöüß])[\s\-_.]+(?=\d)", "", text)  # "p 101", "p-101" → "p101"
    return re.findall(r"[0-9a-zäöüß]+(?:[.,]\d+)?", text)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words; 0 for two empty texts."""
    ref, hyp = normalise_words(reference), normalise_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)
