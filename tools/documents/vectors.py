"""Exact nearest-neighbour search over the index's chunk and unit vectors, held in memory per index version.

Owns the candidate pool of a search. Chroma's HNSW graph is not used for queries: log rows whose embedded text is
nearly empty once codes and numbers are stripped (``timestamp: …; asset: S-3; code: E-21; event: RAISED;
value: 55.2; note: checked`` embeds as the log title and ``event: RAISED; note: checked``,
:func:`tools.documents.codes.meaning_text`) give thousands of identical vectors. HNSW fills its neighbour lists
with those duplicates and a query that lands among them never reaches the manual pages: at 10,031 chunks (the
demo corpus padded with synthetic alarm logs) there were 256 distinct chunk vectors and 238 distinct vectors
among 43,301 units, and Chroma's 80 nearest units shared not one id with the exact 80 nearest (measured
2026-11-27). Here identical vectors are stored once, a query is scored exactly against every distinct vector (one
matrix product), there is one table per document type (manual, procedure, alarm_log, maintenance_log, shift_log…)
so the search can take the nearest chunks of each type besides the nearest overall, and a table yields at most
:data:`PER_VECTOR` chunks per distinct vector — so neither a flood of one type nor a flood of copies can push another
type's passages out of the ranking.

A chunk's similarity is the best over its own vector and its units' vectors (the expanded query counts less by
``penalty`` per step), as the search module describes; memory is one float32 vector per *distinct* vector.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice

import numpy as np

TOP_ROWS = 1024  # distinct vectors sorted first for an unfiltered pool (the rest only if the pool is not full)
PER_VECTOR = 3  # chunks taken into the pool per distinct vector (identical rows beyond that add nothing new)


@dataclass(slots=True)
class VectorTable:
    """Distinct unit-normalised vectors, each with the chunk ids (a unit's parent chunk) that have it."""

    matrix: np.ndarray
    owners: list[list[str]]
    rows_of: dict[str, list[int]] = field(default_factory=dict)
    row_of: dict[str, int] = field(default_factory=dict)  # record id (chunk or unit id) → its row

    @classmethod
    def build(
        cls,
        owners: Iterable[str],
        vectors: Iterable[Sequence[float] | np.ndarray],
        records: Iterable[str] | None = None,
    ) -> VectorTable:
        """A table from (chunk id, vector) pairs given as two parallel iterables; identical vectors share a row.

        ``records``: the id of each vector's record (a chunk or unit id), to look a record's row up later."""
        record_ids = list(records) if records is not None else None
        row_of: dict[str, int] = {}
        row_by_key: dict[bytes, int] = {}
        rows: list[np.ndarray] = []
        out_owners: list[list[str]] = []
        rows_of: dict[str, list[int]] = {}
        for i, (cid, vec) in enumerate(zip(owners, vectors, strict=True)):
            v = np.asarray(vec, dtype=np.float32)
            v = v / (float(np.linalg.norm(v)) or 1.0)
            key = v.tobytes()
            r = row_by_key.get(key)
            if r is None:
                r = row_by_key[key] = len(rows)
                rows.append(v)
                out_owners.append([])
            if record_ids is not None:
                row_of[record_ids[i]] = r
            if not out_owners[r] or out_owners[r][-1] != cid:
                out_owners[r].append(cid)
            mine = rows_of.setdefault(cid, [])
            if r not in mine:
                mine.append(r)
        matrix = np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)
        return cls(matrix, out_owners, rows_of, row_of)

    def __len__(self) -> int:
        return len(self.owners)

    def scores(self, q_vecs: Sequence[np.ndarray], penalty: float) -> np.ndarray:
        """Per distinct vector: the best cosine over the query vectors, the i-th less ``i * penalty``."""
        if not len(self.owners):
            return np.zeros(0, dtype=np.float32)
        q = np.asarray(q_vecs, dtype=np.float32)
        q = q / (np.linalg.norm(q, axis=1, keepdims=True) + 1e-9)
        sims = self.matrix @ q.T - penalty * np.arange(len(q), dtype=np.float32)
        return sims.max(axis=1)

    def similarity(self, scores: np.ndarray, cid: str) -> float | None:
        """A chunk's best score over its vectors (None: it has none in this table)."""
        rows = self.rows_of.get(cid)
        return float(scores[rows].max()) if rows else None

    def nearest(
        self, scores: np.ndarray, n: int, allowed: set[str] | None = None, per_vector: int = PER_VECTOR
    ) -> dict[str, float]:
        """Up to ``n`` chunk ids, best first, with their score; at most ``per_vector`` per distinct vector.

        ``allowed`` (chunk ids) restricts the pool (asset and document-type filters)."""
        out: dict[str, float] = {}
        if n <= 0 or not len(scores):
            return out
        rows: Iterable[int]
        if allowed is not None:
            allowed = allowed & self.rows_of.keys()  # set algebra in C: the filter's ids in this table
            if not allowed:
                return out
        if allowed is not None and len(allowed) * 4 < len(self.rows_of):  # a narrow filter: score only its rows
            rows = sorted({r for cid in allowed for r in self.rows_of[cid]}, key=lambda r: -scores[r])
        elif len(scores) > 4 * TOP_ROWS:  # most queries need only the best few rows: sort those, the rest if needed
            rows = _best_first(scores)
        else:
            rows = (int(r) for r in np.argsort(-scores, kind="stable"))
        for r in rows:
            fresh = (c for c in self.owners[r] if c not in out and (allowed is None or c in allowed))
            for cid in islice(fresh, per_vector):
                out[cid] = self.similarity(scores, cid) or float(scores[r])  # its best row, if capped at that one
            if len(out) >= n:
                break
        return out


def _best_first(scores: np.ndarray) -> Iterator[int]:
    """Row indices by descending score: the best :data:`TOP_ROWS` sorted at once, the others only when asked for."""
    top = np.argpartition(-scores, TOP_ROWS)[:TOP_ROWS]
    top = top[np.argsort(-scores[top], kind="stable")]
    yield from (int(r) for r in top)
    rest = np.setdiff1d(np.arange(len(scores)), top)
    yield from (int(r) for r in rest[np.argsort(-scores[rest], kind="stable")])
