"""Documents tool: a multilingual knowledge index over the plant's manuals and logs, searched with citations.

Public surface: :func:`search_documents` (passages with citations, marked untrusted), :func:`ingest` /
:func:`ensure_demo_corpus` (incremental ingest), :func:`open_index` (the index itself), ``index_app`` (CLI, in
:mod:`tools.documents.commands`). Names are imported lazily so that mounting the CLI does not load chromadb.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "IngestReport": "tools.documents.index",
    "KnowledgeIndex": "tools.documents.index",
    "demo_corpus_dir": "tools.documents.index",
    "ensure_demo_corpus": "tools.documents.index",
    "ingest": "tools.documents.index",
    "open_index": "tools.documents.index",
    "rebuild_index": "tools.documents.index",
    "Citation": "tools.documents.search",
    "Passage": "tools.documents.search",
    "SearchResult": "tools.documents.search",
    "search_documents": "tools.documents.search",
    "search_documents_tool": "tools.documents.search",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
