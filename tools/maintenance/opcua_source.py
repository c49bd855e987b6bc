"""A maintenance data source filled from the plant over OPC UA: the catalog's assets, their history (HistoryRead)
and the latest vibration waveform (an array variable of acceleration with a sample-rate property).

The maintenance tools are synchronous and read a :class:`MaintenanceDataSource`; this module fetches what they
need asynchronously first and hands them an :class:`InMemorySource`, so no tool talks to the plant itself.
Signals of one asset are put on one time axis (the densest signal's timestamps; others interpolated).

With a historian (the collector's store), a signal's history comes from there when the store covers the window —
a local query instead of a HistoryRead round trip per signal, which made a plant-wide maintenance plan take
~20 s. The store is used for a signal when it holds at least half a day (or half the window) of it, up to the
last quarter of an hour; other signals are read from the server as before.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from asyncua import ua

from tools.maintenance.datasource import AssetInfo, InMemorySource, Waveform
from tools.maintenance.roles import roles_of_signals, waveform_property
from tools.opcua.adapter import OpcUaAdapter
from tools.opcua.catalog import Asset
from tools.opcua.resolve import fold, words

KINDS = ("pump", "spindle", "compressor", "conveyor", "tank")


def asset_kind(asset: Asset) -> str:
    """The equipment kind from the asset's own words (name, description), using the multilingual lexicon."""
    from assistant.prompts import load_yaml

    text = set(words(f"{asset.display_name} {asset.browse_name} {asset.description}"))
    for kind, langs in load_yaml("lexicon/asset_types.yaml").items():
        if kind in KINDS and text & {fold(w) for ws in langs.values() for w in ws}:
            return kind
    return "machine"


def _numeric(asset: Asset) -> list:  # type: ignore[type-arg]
    """The asset's scalar numeric and yes/no signals with history (arrays such as a waveform have none to align)."""
    return [s for s in asset.signals if s.data_type in ("Double", "Float", "Boolean", "UInt32", "Int32", "Int64")
            and s.value_rank < 0 and s.history_readable]  # fmt: skip


async def _waveform(adapter: OpcUaAdapter, asset: Asset, roles: dict[str, str]) -> Waveform | None:
    """The latest snapshot of the asset's vibration waveform: an array variable whose unit or name says vibration
    (acceleration), its sample rate and capture speed from properties named so in any language. ``roles``: the
    asset's signal roles by browse name (:func:`roles_of_signals`)."""
    sig = next((s for s in asset.signals if roles.get(s.browse_name) == "vibration_waveform"), None)
    if sig is None:
        return None

    async def read(client):  # type: ignore[no-untyped-def]
        node = client.get_node(sig.node_id)
        dv = await node.read_data_value()
        fs, at_rpm = 12800.0, None
        for child in await node.get_properties():
            what = waveform_property((await child.read_browse_name()).Name)
            if what == "sample_rate":
                fs = float(await child.read_value())
            elif what == "shaft_speed":  # the speed the snapshot was taken at (it may stand still now)
                at_rpm = float(await child.read_value())
        return dv, fs, at_rpm

    dv, fs, at_rpm = await adapter.call(asset.endpoint, read)
    samples = np.asarray(dv.Value.Value if dv.Value is not None else [], dtype=float)
    speed = next((s for s in asset.signals if roles.get(s.browse_name) == "speed"), None)
    rpm = 0.0
    if at_rpm:
        rpm = at_rpm
    elif speed is not None:
        rpm = float((await adapter.read([speed], asset.endpoint))[0].value or 0.0)
    elif asset_kind(asset) == "compressor":
        rpm = 2980.0
    ts = dv.SourceTimestamp or datetime.now(UTC)
    return Waveform(samples, fs, rpm, None, ts if ts.tzinfo else ts.replace(tzinfo=UTC))


MIN_SPAN_H = 12.0  # the historian is used for a signal it holds over at least this many hours of the window …
FRESH_S = 900.0  # … up to this close to now (a collector that stopped an hour ago would hide the latest change)


def _from_historian(historian: Any, signals: list[Any], start: datetime, end: datetime) -> dict[str, Any]:
    """The signals' samples in the window from the historian, for those it holds over (nearly) the whole window."""
    from tools.historian.store import UnknownHistorianSignal

    a, b = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    out: dict[str, Any] = {}
    for s in signals:
        try:
            meta = historian.resolve("/".join(s.path))
        except UnknownHistorianSignal:
            continue
        series = historian.store.series(meta.id, a, b)
        if (
            len(series.ts) > 1
            and int(series.ts[-1]) - int(series.ts[0]) >= min(MIN_SPAN_H * 3.6e6, 0.5 * (b - a))
            and b - int(series.ts[-1]) <= FRESH_S * 1000
        ):
            out[s.browse_name] = (np.asarray(series.ts, float) / 1000.0, np.asarray(series.value, float))
    return out


async def prefetch(
    adapter: OpcUaAdapter,
    assets: list[Asset],
    days: float,
    now: datetime | None = None,
    concurrency: int = 8,
    historian: Any = None,
) -> InMemorySource:
    """History of the last ``days`` and the latest waveform of each asset, as an in-memory source.

    The reads run concurrently (at most ``concurrency`` at a time) over the adapter's sessions; ``historian``
    (a :class:`tools.historian.queries.Historian`) answers first for the signals it holds."""
    now = now or datetime.now(UTC)
    source = InMemorySource(clock=now)
    gate = asyncio.Semaphore(concurrency)
    start = now - timedelta(days=days)

    async def history(asset: Asset, s: Any) -> tuple[str, tuple[np.ndarray, np.ndarray] | None]:
        async with gate:
            try:
                hist = await adapter.history(s, asset.endpoint, start, now + timedelta(hours=1))
            except ua.UaError:
                return s.browse_name, None
        pts = [(datetime.fromisoformat(p.time.replace("Z", "+00:00")).timestamp(), float(p.value))
               for p in hist.points if isinstance(p.value, int | float | bool)]  # fmt: skip
        if not pts:
            return s.browse_name, None
        arr = np.asarray(pts, dtype=float)
        return s.browse_name, (arr[:, 0], arr[:, 1])

    async def one(asset: Asset) -> tuple[Any, ...] | None:
        signals = _numeric(asset)
        stored: dict[str, Any] = {}
        if historian is not None:
            stored = await asyncio.to_thread(_from_historian, historian, signals, start, now)
        got = await asyncio.gather(*(history(asset, s) for s in signals if s.browse_name not in stored))
        series = {**stored, **{name: ts_vs for name, ts_vs in got if ts_vs is not None}}
        if not series:
            return None
        t = max(series.values(), key=lambda ts_vs: len(ts_vs[0]))[0]
        aligned = {name: np.interp(t, ts, vs) for name, (ts, vs) in series.items()}
        roles = roles_of_signals(asset.signals)  # once per asset: the waveform's and the history's signals
        async with gate:
            wave = await _waveform(adapter, asset, roles)
        line = asset.path[-2] if len(asset.path) > 1 else ""
        kept = {n: r for n, r in roles.items() if n in aligned}
        info = AssetInfo(id=asset.display_name, kind=asset_kind(asset), line=line, signals=tuple(aligned),
                         has_waveform=wave is not None, roles=kept)  # fmt: skip
        return info, t, aligned, (lambda w=wave: w) if wave is not None else None

    for fetched in await asyncio.gather(*(one(a) for a in assets)):  # added in catalog order: results repeat
        if fetched is not None:
            source.add(*fetched)
    return source
