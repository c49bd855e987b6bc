"""Export the demo plant's generated history straight into a historian store (benchmarks, tests, fast demos).

The collector gets the same data over OPC UA HistoryRead; this skips the wire for days of backfill. Signal metadata
is written the way the collector registers it (key = browse path, unit symbol, description, data type name), so
the historian's tools cannot tell the difference.
"""

from __future__ import annotations

import numpy as np

from assistant.sim.physics import SignalSpec
from assistant.sim.server import NAMESPACE_URI, PlantServer, _variant_type
from tools.historian.store import HistorianStore, SampleBatch, SignalMeta

_TYPE_NAMES = {"Boolean": "Boolean", "UInt32": "UInt32", "String": "String", "Double": "Double"}


def _meta(plant: PlantServer, path: list[str], sig: SignalSpec, node: str) -> SignalMeta:
    ident = node.split(";", 1)[1]
    return SignalMeta(
        key="/".join(path),
        stable_id=f"nsu={NAMESPACE_URI};{ident}",
        node_id=node,
        endpoint=plant.endpoint,
        unit=sig.unit if (sig.kind == "analog" or (sig.kind == "counter" and sig.unit)) else "",
        description=sig.description,
        asset_path="/".join(path[:-1]),
        data_type=_TYPE_NAMES[_variant_type(sig).name],
    )


def export_history(plant: PlantServer, store: HistorianStore, chunk_rows: int = 2_000_000) -> int:
    """Write every historised sample of ``plant`` into ``store``; returns the number of rows."""
    metas: list[SignalMeta] = []
    series: list[tuple[str, SignalSpec, object]] = []
    for path, spec in plant.layout.assets():
        bound = plant._bound[spec.id]
        for name, (nid, sig) in bound.nodes.items():
            node = nid.to_string()
            metas.append(_meta(plant, [*path, spec.id, name], sig, node))
            series.append((metas[-1].key, sig, nid))
    ids = store.register_signals(metas)
    total = 0
    pending: list[SampleBatch] = []
    rows = 0
    for key, sig, nid in series:
        ts, values, texts = plant.history.series(nid)  # type: ignore[arg-type]
        n = len(ts)
        if not n:
            continue
        t_ms = (np.frombuffer(ts, dtype=np.float64) * 1000).astype(np.int64)
        val = np.frombuffer(values, dtype=np.float64).copy()
        batch = SampleBatch.numeric(t_ms, np.full(n, ids[key], dtype=np.int32), val)
        if sig.kind == "text":
            batch.text = list(texts)
        pending.append(batch)
        rows += n
        if rows >= chunk_rows:
            total += _flush(store, pending)
            pending, rows = [], 0
    total += _flush(store, pending)
    return total


def _flush(store: HistorianStore, batches: list[SampleBatch]) -> int:
    if not batches:
        return 0
    merged = SampleBatch(
        np.concatenate([b.ts for b in batches]),
        np.concatenate([b.signal_id for b in batches]),
        np.concatenate([b.value for b in batches]),
        [x for b in batches for x in b.text],
        np.concatenate([b.quality for b in batches]),
    )
    return store.write(merged)
