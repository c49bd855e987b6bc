"""What a question asks for: an event in the plant's history (logs) or how things are meant to be (documentation).

Owns a small, language-independent prior for ranking. Questions like "when was the filter replaced?", "what
happened last night?", "why did the line stop?" are answered by logs, work orders and shift notes; questions like
"how do I reset…?", "what does this alarm mean?", "how often…?", "what is the limit…?" by manuals and
procedures. The intent is read the way the assistant's semantic router reads intents: by embedding similarity to
a few example questions per side (``prompts/lexicon/document_intents.yaml``), in several languages, with the same
embedding model as the index — so it works for any language the model knows and needs no word lists. The examples
are generic (no plant, asset or document of the demo corpus) and :func:`event_intent` returns a bounded score, so a
wrong guess only nudges the ranking.

Among logs, :func:`work_intent` tells a question about the work done — what was found, who repaired it, which
parts were used, what the cause was (work orders and shift notes say that) — from one about the alarms themselves
— when, how often, which value (the alarm log says that). Same method, same bounds.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import numpy as np

from assistant.prompts import load_yaml


@functools.cache
def examples() -> dict[str, tuple[str, ...]]:
    """The example questions per side (event, documentation, work, alarm) from
    ``prompts/lexicon/document_intents.yaml``."""
    return {side: tuple(str(q) for q in qs) for side, qs in load_yaml("lexicon/document_intents.yaml").items()}


SCALE = 0.05  # a similarity margin of this size already means a clear intent
TOP = 3  # compare the mean of the best few examples per side (one odd example does not decide)

_LOCK = threading.Lock()


_VECTORS: dict[tuple[int, str], tuple[Any, np.ndarray, np.ndarray]] = {}


def _examples(ef: Any, side_a: tuple[str, ...], side_b: tuple[str, ...], key: str) -> tuple[np.ndarray, np.ndarray]:
    with _LOCK:
        hit = _VECTORS.get((id(ef), key))
        if hit is None or hit[0] is not ef:
            vecs = np.asarray(ef([*side_a, *side_b]), dtype=np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
            hit = (ef, vecs[: len(side_a)], vecs[len(side_a) :])
            _VECTORS[(id(ef), key)] = hit
        return hit[1], hit[2]


def _lean(a: np.ndarray, b: np.ndarray, query_vector: np.ndarray) -> float:
    q = query_vector / (np.linalg.norm(query_vector) + 1e-9)
    return float(np.clip((np.sort(a @ q)[-TOP:].mean() - np.sort(b @ q)[-TOP:].mean()) / SCALE, -1.0, 1.0))


def event_intent(ef: Any, query_vector: np.ndarray) -> float:
    """In [-1, 1]: > 0 the question asks about events (logs), < 0 about documentation; 0 when unsure."""
    ex = examples()
    return _lean(*_examples(ef, ex["event"], ex["documentation"], "event"), query_vector)


def work_intent(ef: Any, query_vector: np.ndarray) -> float:
    """In [-1, 1]: > 0 the question asks about work done (work orders, shift notes), < 0 about alarm occurrences."""
    ex = examples()
    return _lean(*_examples(ef, ex["work"], ex["alarm"], "work"), query_vector)
