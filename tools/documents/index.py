"""The knowledge index: chromadb collections (on disk or a Chroma server), incremental and crash-consistent ingest.

Owns where the index lives and how files get in and out of it. Three collections:

* ``<collection>``: one record per chunk — the passage text, its embedding (computed by the registered
  embedding function of :mod:`tools.documents.embedding`, cosine space) and metadata with the locator, the
  document type, the code tokens and one ``asset:<ID>`` flag per asset it concerns (for filtering).
* ``<collection>__units``: one vector per block of a multi-block chunk (a table row, a paragraph, a log row;
  see :mod:`tools.documents.chunking`), with its parent chunk id and the same filter metadata. Search scores a
  chunk by the best of its own vector and its units' vectors.
* ``<collection>__docs``: the manifest — one record per ingested file with its content hash (SHA-256) and the
  index schema version it was written with (a file written by an older schema is re-ingested on the next add).

Ingest of a file: hash → unchanged hash in the manifest means no work; otherwise parse, chunk, embed, upsert
the new chunks under ids that contain the new hash, then commit by writing the manifest record, then delete the
file's chunks with any other hash. Search only trusts chunks whose hash is the committed one, so a crash at any
point leaves an index that answers from the old version or the new one, never a mix; the next write repairs
the leftovers. The manifest lives in the same backend as the chunks, so a Chroma server shared by several
machines stays consistent on its own. Writers in one data folder serialise on a lock file.

Search support (:meth:`KnowledgeIndex.state`) keeps the manifest, the chunk metadata, the code-token index,
per-asset / per-type id sets, each chunk's unit ids and the exact vector tables per document type
(:mod:`tools.documents.vectors`; identical vectors stored once) in memory; they are rebuilt after this process
writes, and the manifest is re-read at most every :data:`MANIFEST_TTL` seconds to notice other writers — no query
reads the whole index.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.errors import EndpointUnreachable, OperatorError
from tools.documents.chunking import Chunk, chunk_document
from tools.documents.codes import CodeIndex, meaning_text
from tools.documents.embedding import embedding_function
from tools.documents.parsers import SUPPORTED, DocumentError, ParsedDocument, parse_file
from tools.documents.vectors import VectorTable

EMBED_BATCH = 64
SCHEMA = 4  # 2: unit vectors per block (``__units``), document-level asset scope for manuals; 3: vectors of the
# text without codes and numbers (``codes.meaning_text``); 4: a log row's own asset field, one-letter asset ids (S-4)
MANIFEST_TTL = 2.0  # seconds a search trusts the cached manifest before checking for other writers
LOG_TYPES = ("alarm_log", "maintenance_log", "shift_log", "log")
_INDEXES: dict[tuple[Any, ...], KnowledgeIndex] = {}
_INDEXES_LOCK = threading.Lock()


class IndexMismatch(OperatorError):
    """The stored index was built with another embedding model than the one configured."""

    exit_code = 2


class FileResult(BaseModel):
    path: str
    status: Literal["added", "updated", "unchanged", "error", "removed", "missing"]
    chunks: int = 0
    pages: int = 0
    doc_type: str | None = None
    error: str | None = None


class IngestReport(BaseModel):
    files: list[FileResult] = Field(default_factory=list)
    seconds: float = 0.0

    @property
    def errors(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "error"]

    @property
    def chunks(self) -> int:
        return sum(f.chunks for f in self.files if f.status in ("added", "updated"))

    @property
    def pages(self) -> int:
        return sum(f.pages for f in self.files if f.status in ("added", "updated"))


class DocumentInfo(BaseModel):
    doc_id: str
    source: str
    name: str
    title: str
    doc_type: str
    format: str
    language: str | None
    content_hash: str
    chunks: int
    pages: int
    ingested_at: str
    scope_assets: list[str] = Field(default_factory=list)


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def doc_id_for(path: Path) -> str:
    return hashlib.sha1(str(path.resolve()).encode("utf-8")).hexdigest()[:16]


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[FileResult]]:
    """Files to ingest (directories are walked for supported types), and results for paths that do not exist."""
    files: list[Path] = []
    missing: list[FileResult] = []
    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED)
        elif p.exists():
            files.append(p)
        else:
            missing.append(FileResult(path=str(p), status="missing", error=f"{p}: no such file or folder"))
    return list(dict.fromkeys(f.resolve() for f in files)), missing


def _pages_of(doc: ParsedDocument) -> int:
    if doc.pages:
        return doc.pages
    chars = sum(len(b.text) for b in doc.blocks)
    return max(1, round(chars / 3000))


class KnowledgeIndex:
    """The chunk and manifest collections of one configured backend, with ingest, removal and raw queries."""

    def __init__(self, settings: Settings, check: bool = True) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.settings = settings
        ks = settings.knowledge
        self.embedding_name = ks.embedding
        self.ef = embedding_function(settings)
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if ks.backend == "server":
            try:
                self.client = chromadb.HttpClient(host=ks.chroma_host, port=ks.chroma_port, settings=chroma_settings)
                self.client.heartbeat()
            except Exception as exc:
                raise EndpointUnreachable(
                    f"the Chroma server at {ks.chroma_host}:{ks.chroma_port} (settings knowledge.chroma_host/"
                    f"knowledge.chroma_port) is not reachable: {exc}"
                ) from exc
            self.location = f"chroma server {ks.chroma_host}:{ks.chroma_port}"
            self.lock_path = settings.path("knowledge", f"server-{ks.chroma_host}-{ks.chroma_port}.lock")
        else:
            path = settings.path("knowledge", "chroma", "x").parent
            self.client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
            self.location = str(path)
            self.lock_path = settings.path("knowledge", "write.lock")
        self.name = ks.collection
        self._open(check)
        self._cache_key: tuple[tuple[str, str], ...] | None = None
        self._code_index: CodeIndex | None = None
        self._chunk_meta: dict[str, dict[str, Any]] = {}
        self._docs_cache: dict[str, dict[str, Any]] = {}
        self._by_asset: dict[str, set[str]] = {}
        self._by_type: dict[str, set[str]] = {}
        self._tables: dict[str, VectorTable] = {}
        self._unit_ids: dict[str, list[str]] = {}
        self._manifest_at = 0.0
        self._unit_count = 0
        self._record_count = 0
        self._lock = threading.RLock()

    # ------------------------------------------------------------ collections

    def _open(self, check: bool = True) -> None:
        existing = {c.name if hasattr(c, "name") else str(c) for c in self.client.list_collections()}
        docs_name = f"{self.name}__docs"
        self.mismatch: str | None = None
        if docs_name in existing:
            meta = self.client.get_collection(docs_name, embedding_function=None).metadata or {}
            built_with = meta.get("embedding")
            if built_with and built_with != self.embedding_name:
                message = (
                    f"the document index '{self.name}' was built with the embedding '{built_with}' but setting "
                    f"knowledge.embedding is '{self.embedding_name}'; run `iiot-assistant index rebuild`"
                )
                if check:
                    raise IndexMismatch(message)
                self.mismatch = message
                return
        common: dict[str, Any] = {
            "embedding_function": self.ef,
            "configuration": {"hnsw": {"space": "cosine"}},
        }
        try:
            self.chunks = self.client.get_or_create_collection(
                self.name, metadata={"embedding": self.embedding_name, "kind": "chunks"}, **common
            )
            self.units = self.client.get_or_create_collection(
                f"{self.name}__units", metadata={"embedding": self.embedding_name, "kind": "units"}, **common
            )
            self.docs = self.client.get_or_create_collection(
                docs_name, metadata={"embedding": self.embedding_name, "kind": "manifest"}, **common
            )
        except ValueError as exc:
            message = (
                f"the document index '{self.name}' does not match setting knowledge.embedding "
                f"('{self.embedding_name}'): {exc}; run `iiot-assistant index rebuild`"
            )
            if check:
                raise IndexMismatch(message) from exc
            self.mismatch = message

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        with self._lock, open(self.lock_path, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
                self._cache_key = None
                self._manifest_at = 0.0

    # ------------------------------------------------------------ manifest

    def documents(self) -> list[DocumentInfo]:
        got = _paged(self.docs, ["metadatas"])
        out = []
        for did, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
            m = dict(meta or {})
            out.append(
                DocumentInfo(
                    doc_id=did,
                    source=str(m.get("source", "")),
                    name=str(m.get("name", "")),
                    title=str(m.get("title", "")),
                    doc_type=str(m.get("doc_type", "")),
                    format=str(m.get("format", "")),
                    language=m.get("language") or None,
                    content_hash=str(m.get("content_hash", "")),
                    chunks=int(m.get("chunks", 0)),
                    pages=int(m.get("pages", 0)),
                    ingested_at=str(m.get("ingested_at", "")),
                    scope_assets=[a for a in str(m.get("scope_assets", "")).split(",") if a],
                )
            )
        return sorted(out, key=lambda d: d.source)

    def committed(self) -> dict[str, dict[str, Any]]:
        """doc_id → manifest metadata of every committed document."""
        got = _paged(self.docs, ["metadatas"])
        return {i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"] or [], strict=False)}

    # ------------------------------------------------------------ ingest

    def add(
        self,
        paths: Iterable[str | Path],
        doc_type: str | None = None,
        force: bool = False,
        progress: Any = None,
        known_assets: Sequence[str] | None = None,
    ) -> IngestReport:
        """Ingest files and folders; unchanged files are skipped, changed ones replaced, bad ones reported.

        ``known_assets`` (the catalog's asset names) makes asset-id recognition exact instead of heuristic.
        """
        t0 = time.perf_counter()
        files, missing = expand_paths(paths)
        report = IngestReport(files=list(missing))
        with self.write_lock():
            self.repair()
            manifest = self.committed()
            for path in files:
                result = self._add_one(path, manifest, doc_type, force, known_assets)
                report.files.append(result)
                if progress is not None:
                    progress(result)
        report.seconds = time.perf_counter() - t0
        return report

    def _add_one(
        self,
        path: Path,
        manifest: dict[str, dict[str, Any]],
        doc_type: str | None,
        force: bool,
        known_assets: Sequence[str] | None = None,
    ) -> FileResult:
        try:
            data = path.read_bytes()
        except OSError as exc:
            return FileResult(path=str(path), status="error", error=f"{path.name}: cannot read ({exc.strerror})")
        h = file_hash(data)
        did = doc_id_for(path)
        old = manifest.get(did)
        current = old and old.get("content_hash") == h and int(old.get("schema", 1)) == SCHEMA
        if current and not force and (not doc_type or old.get("doc_type") == doc_type):
            return FileResult(path=str(path), status="unchanged", chunks=int(old.get("chunks", 0)),
                              doc_type=str(old.get("doc_type")))  # fmt: skip
        try:
            doc = parse_file(path, data)
        except DocumentError as exc:
            return FileResult(path=str(path), status="error", error=exc.message)
        if doc_type:
            doc.doc_type = doc_type
        if not doc.language:
            from assistant.language import detect_language

            sample = " ".join(b.text for b in doc.blocks[:40])[:3000]
            doc.language = detect_language(sample, fallback="")
        known = list(known_assets) if known_assets is not None else None
        chunks = chunk_document(doc, known_assets=known)
        if doc.doc_type not in LOG_TYPES:
            # a manual or procedure is about every asset it names (its scope section, its tables)
            doc.scope_assets = list(dict.fromkeys([*doc.scope_assets, *(a for c in chunks for a in c.assets)]))
        self._write_chunks(did, h, path, doc, chunks)
        pages = _pages_of(doc)
        self._commit(did, h, path, doc, len(chunks), pages)
        stale = {"$and": [{"doc_id": did}, {"content_hash": {"$ne": h}}]}
        self.chunks.delete(where=stale)
        self.units.delete(where=stale)
        manifest[did] = {"content_hash": h}
        status: Literal["added", "updated"] = "updated" if old else "added"
        return FileResult(path=str(path), status=status, chunks=len(chunks), pages=pages, doc_type=doc.doc_type)

    def _write_chunks(self, did: str, h: str, path: Path, doc: ParsedDocument, chunks: Sequence[Chunk]) -> None:
        scope = [a for a in doc.scope_assets if a]
        batch = min(EMBED_BATCH * 4, self.client.get_max_batch_size())
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            ids = [f"{did}-{h[:12]}-{start + i:05d}" for i in range(len(part))]
            metas = [self._chunk_metadata(did, h, path, doc, c, scope, start + i) for i, c in enumerate(part)]
            # one embedding pass over the chunk texts and their units (short texts batch well)
            texts = [c.embed_text for c in part]
            unit_ids: list[str] = []
            unit_metas: list[dict[str, Any]] = []
            for cid, c, m in zip(ids, part, metas, strict=True):
                for u, text in enumerate(c.units):
                    texts.append(text)
                    unit_ids.append(f"{cid}-u{u:03d}")
                    unit_metas.append(self._unit_metadata(cid, m))
            vectors: list[Any] = []
            meanings = [meaning_text(t) for t in texts]  # stored texts keep their codes and numbers
            for s in range(0, len(texts), EMBED_BATCH):
                vectors += list(self.ef(meanings[s : s + EMBED_BATCH]))
            if unit_ids:
                for s in range(0, len(unit_ids), batch):
                    self.units.upsert(
                        ids=unit_ids[s : s + batch],
                        embeddings=vectors[len(part) + s : len(part) + s + batch],
                        documents=texts[len(part) + s : len(part) + s + batch],
                        metadatas=unit_metas[s : s + batch],
                    )
            self.chunks.upsert(
                ids=ids, embeddings=vectors[: len(part)], documents=[c.text for c in part], metadatas=metas
            )

    @staticmethod
    def _unit_metadata(parent: str, chunk_meta: dict[str, Any]) -> dict[str, Any]:
        """What a unit needs: its parent chunk, the version it belongs to, and the filter fields."""
        meta = {k: v for k, v in chunk_meta.items() if k in ("doc_id", "content_hash", "doc_type") or k[:6] == "asset:"}
        meta["parent"] = parent
        return meta

    @staticmethod
    def _chunk_metadata(
        did: str, h: str, path: Path, doc: ParsedDocument, c: Chunk, scope: list[str], n: int
    ) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "doc_id": did,
            "content_hash": h,
            "source": str(path),
            "name": path.name,
            "title": doc.title,
            "doc_type": doc.doc_type,
            "format": doc.format,
            "language": doc.language or "",
            "section": c.section,
            "locator": c.locator,
            "chunk": n,
            "codes": " ".join(c.codes),
            "assets": ",".join(dict.fromkeys([*c.assets])),
            "scope_assets": ",".join(scope),
        }
        for key, value in (
            ("page", c.page_start),
            ("page_end", c.page_end),
            ("line_start", c.line_start),
            ("line_end", c.line_end),
            ("time_start", c.time_start),
            ("time_end", c.time_end),
        ):
            if value is not None:
                meta[key] = value
        for a in dict.fromkeys([*scope, *c.assets]):
            meta[f"asset:{a}"] = True
        return meta

    def _commit(self, did: str, h: str, path: Path, doc: ParsedDocument, n_chunks: int, pages: int) -> None:
        meta = {
            "source": str(path),
            "name": path.name,
            "title": doc.title,
            "doc_type": doc.doc_type,
            "format": doc.format,
            "language": doc.language or "",
            "content_hash": h,
            "chunks": n_chunks,
            "pages": pages,
            "scope_assets": ",".join(doc.scope_assets),
            "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "embedding": self.embedding_name,
            "schema": SCHEMA,
        }
        self.docs.upsert(ids=[did], documents=[f"{doc.title} ({path.name})"], metadatas=[meta])

    def repair(self) -> int:
        """Delete chunks not belonging to a committed document version (left by an interrupted write)."""
        manifest = self.committed()
        got = _paged(self.chunks, ["metadatas"])
        stale = [
            cid
            for cid, m in zip(got["ids"], got["metadatas"] or [], strict=False)
            if manifest.get(str((m or {}).get("doc_id")), {}).get("content_hash") != (m or {}).get("content_hash")
        ]
        for s in range(0, len(stale), 5000):
            self.chunks.delete(ids=stale[s : s + 5000])
        got = _paged(self.units, ["metadatas"])
        stale_units = [
            uid
            for uid, m in zip(got["ids"], got["metadatas"] or [], strict=False)
            if manifest.get(str((m or {}).get("doc_id")), {}).get("content_hash") != (m or {}).get("content_hash")
        ]
        for s in range(0, len(stale_units), 5000):
            self.units.delete(ids=stale_units[s : s + 5000])
        return len(stale)

    # ------------------------------------------------------------ removal and rebuild

    def remove(self, targets: Iterable[str | Path]) -> list[FileResult]:
        """Remove documents named by path (file or folder), file name or doc id."""
        out: list[FileResult] = []
        with self.write_lock():
            docs = self.documents()
            for raw in targets:
                text = str(raw)
                p = Path(text).expanduser()
                resolved = str(p.resolve()) if (p.exists() or "/" in text) else None
                hits = [
                    d
                    for d in docs
                    if d.doc_id == text
                    or d.name == text
                    or (resolved and (d.source == resolved or d.source.startswith(resolved.rstrip("/") + "/")))
                ]
                if not hits:
                    out.append(FileResult(path=text, status="missing", error=f"{text}: not in the document index"))
                    continue
                for d in hits:
                    self.docs.delete(ids=[d.doc_id])  # commit first: its chunks are no longer trusted
                    self.chunks.delete(where={"doc_id": d.doc_id})
                    self.units.delete(where={"doc_id": d.doc_id})
                    out.append(FileResult(path=d.source, status="removed", chunks=d.chunks, doc_type=d.doc_type))
        return out

    def rebuild(self, progress: Any = None) -> IngestReport:
        """Drop both collections and ingest every known source again (with the configured embedding)."""
        t0 = time.perf_counter()
        with self.write_lock():
            old = self.client.get_collection(f"{self.name}__docs", embedding_function=None)
            got = _paged(old, ["metadatas"])
            sources = [(str(m.get("source")), m.get("doc_type")) for m in got["metadatas"] or [] if m]
            for name in (self.name, f"{self.name}__units", f"{self.name}__docs"):
                with contextlib.suppress(Exception):
                    self.client.delete_collection(name)
            self._open(check=True)
        report = IngestReport()
        for src, dtype in sorted(sources):
            if not Path(src).exists():
                report.files.append(FileResult(path=src, status="missing", error=f"{src}: the file is gone"))
                continue
            report.files += self.add([src], doc_type=str(dtype) if dtype else None, progress=progress).files
        report.seconds = time.perf_counter() - t0
        return report

    # ------------------------------------------------------------ search support

    def state(self) -> tuple[dict[str, dict[str, Any]], CodeIndex, dict[str, dict[str, Any]]]:
        """(committed manifest, code-token BM25 index, chunk metadata by id), rebuilt when the manifest changed.

        The manifest is read again only after a write by this process or every :data:`MANIFEST_TTL` seconds.
        """
        with self._lock:
            now = time.monotonic()
            if self._code_index is not None and self._cache_key is not None and now - self._manifest_at < MANIFEST_TTL:
                return self._docs_cache, self._code_index, self._chunk_meta
            manifest = self.committed()
            self._manifest_at = now
            key = tuple(sorted((d, str(m.get("content_hash"))) for d, m in manifest.items()))
            if key != self._cache_key or self._code_index is None:
                got = _paged(self.chunks, ["metadatas", "embeddings"])  # one read for the metadata and vectors
                ids: list[str] = []
                tokens: list[list[str]] = []
                metas: dict[str, dict[str, Any]] = {}
                by_asset: dict[str, set[str]] = {}
                by_type: dict[str, set[str]] = {}
                for cid, m in zip(got["ids"], got["metadatas"] or [], strict=False):
                    m = dict(m or {})
                    if manifest.get(str(m.get("doc_id")), {}).get("content_hash") != m.get("content_hash"):
                        continue
                    ids.append(cid)
                    # each code once per chunk: a log repeating a code is not more about it than a manual row
                    tokens.append(list(dict.fromkeys(str(m.get("codes", "")).split())))
                    metas[cid] = m
                    by_type.setdefault(str(m.get("doc_type", "")), set()).add(cid)
                    for name in m:
                        if name.startswith("asset:") and m[name]:
                            by_asset.setdefault(name[6:], set()).add(cid)
                self._code_index = CodeIndex.build(ids, tokens)
                self._by_asset, self._by_type = by_asset, by_type
                self._unit_count = int(self.units.count())
                self._record_count = int(self.chunks.count())  # stale records included: they take query slots
                self._chunk_meta = metas
                self._build_vectors(metas, got)
                self._docs_cache = manifest
                self._cache_key = key
            return self._docs_cache, self._code_index, self._chunk_meta

    def _build_vectors(self, metas: dict[str, dict[str, Any]], chunks: dict[str, list[Any]]) -> None:
        """The in-memory exact vector tables and each chunk's unit ids, from the chunks' vectors (already read with
        their metadata) and the units'. One table per document type, so the search draws its candidates per type
        and a flood of one type (thousands of alarm-log rows) cannot crowd out another (manual pages, work orders).
        """
        owners: dict[str, list[str]] = {}
        vectors: dict[str, list[Any]] = {}
        records: dict[str, list[str]] = {}
        unit_ids: dict[str, list[str]] = {}
        for got, is_unit in ((chunks, False), (_paged(self.units, ["embeddings"]), True)):
            for rid, vec in zip(got["ids"], got["embeddings"], strict=False):
                cid = unit_parent(rid) if is_unit else rid
                m = metas.get(cid)
                if m is None or vec is None:
                    continue  # a record of an uncommitted or superseded version
                kind = str(m.get("doc_type", ""))
                owners.setdefault(kind, []).append(cid)
                vectors.setdefault(kind, []).append(vec)
                records.setdefault(kind, []).append(rid)
                if is_unit:
                    unit_ids.setdefault(cid, []).append(rid)
        self._tables = {kind: VectorTable.build(owners[kind], vectors[kind], records[kind]) for kind in owners}
        self._unit_ids = {cid: sorted(uids) for cid, uids in unit_ids.items()}  # '-u000', '-u001'…: block order

    def vector_tables(self) -> dict[str, VectorTable]:
        """Document type → exact vector table of its committed chunks and units (cached with the search state)."""
        self.state()
        return self._tables

    def unit_ids(self, chunk_ids: Iterable[str]) -> list[str]:
        """The unit ids of these chunks, each chunk's in block order (from memory; no metadata query)."""
        self.state()
        return [u for cid in chunk_ids for u in self._unit_ids.get(cid, ())]

    def allowed(self, asset: str | None, doc_types: Sequence[str] | None) -> set[str] | None:
        """Ids of the committed chunks about ``asset`` and of one of ``doc_types`` (None: no filter); from memory."""
        self.state()
        out: set[str] | None = None
        if asset:
            out = set(self._by_asset.get(asset, set()))
        if doc_types:
            typed = set().union(*(self._by_type.get(t, set()) for t in doc_types))
            out = typed if out is None else out & typed
        return out

    def unit_count(self) -> int:
        """Unit vectors in the index (cached with the rest of the search state)."""
        self.state()
        return self._unit_count

    def record_count(self) -> int:
        """Chunk records including those of uncommitted versions (cached with the search state)."""
        self.state()
        return self._record_count

    def count(self) -> int:
        return int(self.chunks.count())


PAGE = 2000  # records per metadata read: one unpaged get of a large collection exceeds SQLite's variable limit


def _paged(collection: Any, include: list[str]) -> dict[str, Any]:
    """All ids and the ``include`` fields of a collection, read a page at a time."""
    out: dict[str, list[Any]] = {"ids": [], **{name: [] for name in include}}
    offset = 0
    while True:
        got = collection.get(include=include, limit=PAGE, offset=offset)
        out["ids"] += got["ids"]
        for name in include:
            values = got.get(name)
            out[name] += list(values) if values is not None else [None] * len(got["ids"])
        if len(got["ids"]) < PAGE:
            return out
        offset += PAGE


def unit_parent(unit_id: str) -> str:
    """The chunk id a unit id belongs to (unit ids are ``<chunk id>-u<n>``)."""
    return unit_id.rsplit("-u", 1)[0]


def open_index(settings: Settings) -> KnowledgeIndex:
    """The index for ``settings`` (one per backend, location, collection and embedding per process)."""
    ks = settings.knowledge
    where = (
        (ks.chroma_host, ks.chroma_port) if ks.backend == "server" else str(settings.data_dir.expanduser().resolve())
    )
    key = (ks.backend, where, ks.collection, ks.embedding)
    with _INDEXES_LOCK:
        idx = _INDEXES.get(key)
        if idx is None:
            idx = KnowledgeIndex(settings)
            _INDEXES[key] = idx
        return idx


def rebuild_index(settings: Settings, progress: Any = None) -> IngestReport:
    """Re-ingest every document of the configured index from its source file (also after changing the embedding)."""
    forget_indexes()
    idx = KnowledgeIndex(settings, check=False)
    report = idx.rebuild(progress)
    with _INDEXES_LOCK:
        _INDEXES.clear()
    return report


def forget_indexes() -> None:
    """Drop the per-process cache of open indexes (tests; after another process rebuilt the index)."""
    with _INDEXES_LOCK:
        _INDEXES.clear()


def ingest(
    settings: Settings,
    paths: Iterable[str | Path],
    doc_type: str | None = None,
    known_assets: Sequence[str] | None = None,
) -> IngestReport:
    """Add files/folders to the configured index, incrementally (unchanged files cost one hash each).

    ``known_assets``: the catalog's asset names, if known (asset ids are then recognised exactly).
    """
    return open_index(settings).add(paths, doc_type=doc_type, known_assets=known_assets)


def demo_corpus_dir() -> Path:
    """The demo plant's manuals and logs shipped in the source tree (``corpus/demo``)."""
    path = Path(__file__).resolve().parents[2] / "corpus" / "demo"
    if not path.is_dir():
        raise OperatorError(f"the demo corpus is not where it should be: {path}")
    return path


def ensure_demo_corpus(settings: Settings) -> IngestReport:
    """Ingest the demo corpus; cheap on restarts (only changed files are re-embedded)."""
    return ingest(settings, [demo_corpus_dir()])
