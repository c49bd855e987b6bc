"""Truth at evaluation time, read from the systems themselves — never from the answer being scored.

- live values: the signal read through its own :class:`~tools.opcua.adapter.OpcUaAdapter` right before and right
  after the question; the truth is the range spanned by both readings (the plant moves while the agent works);
- history statistics and threshold periods: OPC UA HistoryRead of the plant over the window the answer used (taken
  from the tool calls' arguments/results when they carry one, else the case's declared window ending now);
- alarms: the plant's standing alarms before and after the question;
- diagnosis, remaining life, plan, anomalies: the fault scenario the plant runs (known when the evaluation started
  the plant or was told the scenario), else the case's declared keywords;
- documents, refusals, clarifications: the suite's declared expectations;
- production KPIs (cases with ``signal: OEE`` and a line as ``asset``): OEE, its factors and part counts computed
  here from the historian's raw samples (machine states, good/scrap counters, ideal cycle times) over the window the
  answer used — independently of the KPI tools' SQL (:func:`kpi_truth`).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.config import FaultSettings
from assistant.contract import AskResult
from assistant.evaluation.suite import Case
from tools.opcua.adapter import OpcUaAdapter
from tools.opcua.catalog import Asset, Signal


@dataclass(slots=True)
class Truth:
    """What a correct answer contains. ``available`` False: the truth is unknowable here (case is skipped)."""

    available: bool = True
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Snapshot:
    """Readings taken right before the question is asked."""

    values: dict[str, Any] = field(default_factory=dict)
    alarms: list[tuple[str, str]] | None = None
    time: float = 0.0


def _iso_parse(text: str) -> datetime | None:
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" UTC", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def window_of(result: AskResult) -> tuple[datetime, datetime] | None:
    """The time window a tool call of the answer used: a ``window`` object or ``start``/``end`` fields."""

    def find(obj: Any) -> tuple[datetime, datetime] | None:
        if isinstance(obj, dict):
            for holder in (obj.get("window"), obj):
                if isinstance(holder, dict) and isinstance(holder.get("start"), str) and holder.get("end"):
                    s, e = _iso_parse(holder["start"]), _iso_parse(str(holder["end"]))
                    if s and e and e > s:
                        return s, e
            for v in obj.values():
                if found := find(v):
                    return found
        elif isinstance(obj, list):
            for v in obj:
                if found := find(v):
                    return found
        return None

    for call in result.tool_calls:
        if (
            call.tool.startswith(("historian.", "opcua.history", "maintenance.", "kpi.", "report."))
            or "history" in call.tool
        ):
            for part in (call.result, call.arguments):
                if found := find(part):
                    return found
    return None


class TruthProvider:
    """Reads the truth for a case from the plant (through its own adapter) and the known fault scenario."""

    def __init__(
        self, adapter: OpcUaAdapter, faults: list[FaultSettings] | None = None, plant_started: float | None = None
    ) -> None:
        self.adapter = adapter
        self.faults = faults
        self.plant_started = plant_started or time.time()
        self._assets: dict[str, Asset] | None = None

    async def assets(self) -> dict[str, Asset]:
        if self._assets is None:
            self._assets = {}
            for a in await self.adapter.assets():
                self._assets.setdefault(a.display_name, a)
                self._assets.setdefault(a.browse_name, a)
        return self._assets

    async def signal(self, asset_name: str, signal_name: str) -> tuple[Asset, Signal]:
        assets = await self.assets()
        asset = assets.get(asset_name)
        if asset is None:
            raise KeyError(f"the plant has no asset {asset_name!r}")
        for s in asset.signals:
            if signal_name in (s.display_name, s.browse_name):
                return asset, s
        raise KeyError(f"{asset_name} has no signal {signal_name!r}")

    async def _read(self, asset_name: str, signal_name: str) -> dict[str, Any]:
        asset, sig = await self.signal(asset_name, signal_name)
        reading = (await self.adapter.read([sig], asset.endpoint))[0]
        return {"value": reading.value, "unit": sig.unit, "good": reading.good, "node": sig.stable_id}

    async def _alarms(self) -> list[tuple[str, str]]:
        return sorted({(a.source, a.code or "") for a in await self.adapter.active_alarms()})

    def _live_assets(self, case: Case) -> list[str]:
        e = case.expect
        if e.type == "live_value" and e.asset:
            return [e.asset]
        if e.type == "compare" and e.stat is None:
            return list(e.assets)
        return []

    async def before(self, case: Case) -> Snapshot:
        snap = Snapshot(time=time.time())
        if case.expect.signal:
            for a in self._live_assets(case):
                snap.values[a] = await self._read(a, case.expect.signal)
        if case.expect.type == "alarms":
            snap.alarms = await self._alarms()
        return snap

    async def truth(self, case: Case, before: Snapshot, result: AskResult | None) -> Truth:
        e = case.expect
        try:
            if e.type in ("live_value", "compare") and e.stat is None:
                assert e.signal
                out = {}
                for a in self._live_assets(case):
                    after = await self._read(a, e.signal)
                    out[a] = _span(before.values.get(a), after)
                return Truth(data={"assets": out, "signal": e.signal, "convert_to": e.convert_to})
            if e.type == "compare":
                assert e.signal and e.stat
                start, end, declared = self._window(case, result)
                out = {}
                for a in e.assets:
                    out[a] = await self._stat(a, e.signal, e.stat, start, end)
                return Truth(data={"assets": out, "signal": e.signal, "stat": e.stat, **_win(start, end, declared)})
            if e.type == "alarms":
                after = await self._alarms()
                sets = [s for s in (before.alarms, after) if s is not None]
                if e.asset:
                    sets = [[x for x in s if x[0] == e.asset] for s in sets]
                names = sorted(await self.assets())
                return Truth(data={"alarm_sets": [sorted({c for _, c in s}) for s in sets], "asset_names": names})
            if e.type == "history_stat":
                assert e.asset and e.signal and e.stat
                start, end, declared = self._window(case, result)
                stat = await self._stat(e.asset, e.signal, e.stat, start, end)
                return Truth(data={**stat, "stat": e.stat, **_win(start, end, declared)})
            if e.type == "threshold":
                assert e.asset and e.signal and e.threshold is not None
                start, end, declared = self._window(case, result)
                return Truth(data={**await self._periods(case, start, end), **_win(start, end, declared)})
            if e.type in ("diagnosis", "rul", "plan", "anomalies"):
                return self._fault_truth(case)
            if e.type == "report" and case.report is not None:
                start, end, declared = self._window(case, result)
                return self._kpi_truth(case.report.line or "", start, end, declared)
            if e.signal in KPI_SIGNALS and e.asset:
                start, end, declared = self._window(case, result)
                return self._kpi_truth(e.asset, start, end, declared)
        except KeyError as exc:
            return Truth(False, f"no truth: {exc.args[0]}")
        return Truth(data={})

    # -- history ----------------------------------------------------------------------------------------------
    def _window(self, case: Case, result: AskResult | None) -> tuple[datetime, datetime, bool]:
        found = window_of(result) if result is not None else None
        if found:
            return found[0], found[1], False
        end = datetime.now(UTC)
        return end - timedelta(hours=case.expect.window_hours or 1.0), end, True

    async def _points(self, asset_name: str, signal_name: str, start: datetime, end: datetime) -> tuple[list, str]:
        asset, sig = await self.signal(asset_name, signal_name)
        hist = await self.adapter.history(sig, asset.endpoint, start, end, max_values=100_000)
        pts = [
            (_iso_parse(p.time), float(p.value))
            for p in hist.points
            if isinstance(p.value, int | float) and p.status == "Good" and math.isfinite(float(p.value))
        ]
        return [(t.timestamp(), v) for t, v in pts if t is not None], sig.unit

    async def _stat(self, asset: str, signal: str, stat: str, start: datetime, end: datetime) -> dict[str, Any]:
        pts, unit = await self._points(asset, signal, start, end)
        if not pts:
            return {"value": None, "unit": unit, "samples": 0}
        vals = [v for _, v in pts]
        value = {"avg": sum(vals) / len(vals), "min": min(vals), "max": max(vals)}[stat]
        return {"value": value, "unit": unit, "samples": len(vals)}

    async def _periods(self, case: Case, start: datetime, end: datetime) -> dict[str, Any]:
        e = case.expect
        assert e.asset and e.signal and e.threshold is not None
        pts, unit = await self._points(e.asset, e.signal, start, end)
        beyond = [(v > e.threshold) if e.direction == "above" else (v < e.threshold) for _, v in pts]
        step = _median([b[0] - a[0] for a, b in itertools.pairwise(pts)]) or 60.0
        total, count, prev = 0.0, 0, False
        for i, flag in enumerate(beyond):
            if flag:
                nxt = pts[i + 1][0] if i + 1 < len(pts) else pts[i][0] + step
                total += min(nxt - pts[i][0], 2 * step)
                count += 0 if prev else 1
            prev = flag
        return {"periods": count, "duration_s": total, "samples": len(pts), "unit": unit, "step_s": step}

    # -- production KPIs --------------------------------------------------------------------------------------
    def _kpi_truth(self, scope: str, start: datetime, end: datetime, declared: bool) -> Truth:
        from tools.historian import open_store

        try:
            store = open_store(self.adapter.settings, read_only=True)
        except Exception as exc:  # no historian file yet
            return Truth(False, f"no truth: no historian ({exc})")
        try:
            data = kpi_truth(store, scope, int(start.timestamp() * 1000), int(end.timestamp() * 1000))
        finally:
            store.close()
        return Truth(data={**data, **_win(start, end, declared)})

    # -- faults -----------------------------------------------------------------------------------------------
    def _fault_truth(self, case: Case) -> Truth:
        e = case.expect
        if self.faults is None:
            if e.keywords or e.any_keywords:
                return Truth(data={"declared": True})
            return Truth(False, "no truth: the plant's fault scenario is unknown (run against the in-process plant)")
        faulted: dict[str, list[str]] = {}
        for f in self.faults:
            if self.plant_started - f.started_hours_ago * 3600.0 <= time.time():
                faulted.setdefault(f.asset, []).append(f.fault)
        scope = [e.asset] if e.asset else list(e.assets)
        in_scope = {a: v for a, v in faulted.items() if not scope or a in scope}
        return Truth(data={"faulted": in_scope, "scope": scope})


def _median(xs: list[float]) -> float | None:
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else None


def _win(start: datetime, end: datetime, declared: bool) -> dict[str, Any]:
    return {"window": {"start": start.isoformat(), "end": end.isoformat(), "from": "case" if declared else "answer"}}


def _span(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """Both readings; numbers give the range [low, high] the true value moved through while the agent worked."""
    values = [r["value"] for r in (before, after) if r is not None and r.get("good")]
    out: dict[str, Any] = {"unit": after["unit"], "node": after["node"], "values": values}
    nums = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if nums:
        out.update(low=min(nums), high=max(nums))
    return out


KPI_SIGNALS = frozenset({"OEE", "Availability", "Quality", "GoodParts", "Downtime"})
_STOPPED, _RUNNING = 0.0, 1.0  # the demo plant's MachineState codes (its description publishes the table)


def kpi_truth(store: Any, scope: str, start_ms: int, end_ms: int) -> dict[str, Any]:
    """OEE of the machines under hierarchy level ``scope`` (e.g. 'Line1'; '' the plant) from raw samples, step-wise
    in numpy."""
    import numpy as np

    sigs = [m for m in store.signals() if not scope or f"/{scope}/" in f"/{m.asset_path}/"]
    machines = sorted({m.asset_path for m in sigs if m.name == "MachineState"})
    lookback = 7 * 86400 * 1000
    planned = run = good = scrap = ideal = 0.0
    per: dict[str, float] = {}
    for path in machines:
        by_name = {m.name: m for m in sigs if m.asset_path == path}

        def values(name: str, path: str = path, by_name: dict[str, Any] = by_name) -> tuple[Any, Any]:
            s = store.series(by_name[name].id, start_ms - lookback, end_ms)
            return s.ts, s.value

        ts, st = values("MachineState")
        keep = max(int(np.searchsorted(ts, start_ms, side="right")) - 1, 0)
        ts, st = ts[keep:], st[keep:]
        begin = np.maximum(ts, start_ms)
        dur = (np.minimum(np.append(ts[1:], end_ms), end_ms) - begin).clip(min=0) / 1000.0
        m_planned = float(dur[st != _STOPPED].sum())
        m_run = float(dur[st == _RUNNING].sum())

        def inc(name: str) -> float:
            t, v = values(name)
            before, last = int(np.searchsorted(t, start_ms)) - 1, int(np.searchsorted(t, end_ms)) - 1
            # a counter whose history starts inside the window counts from its first sample
            return float(v[last] - v[max(before, 0)]) if last >= 0 else 0.0

        g, sc = inc("GoodParts"), inc("ScrapParts")
        ict = float(values("IdealCycleTime")[1][-1])
        planned, run, ideal = planned + m_planned, run + m_run, ideal + ict * (g + sc)
        good, scrap = good + g, scrap + sc
        per[path.rsplit("/", 1)[-1]] = (ict * g / m_planned) if m_planned else float("nan")
    total = good + scrap
    oee = availability = quality = None
    if planned and run and total:
        availability, quality = run / planned, good / total
        oee = availability * (ideal / run) * quality
    return {"machines": [p.rsplit("/", 1)[-1] for p in machines], "oee": oee, "availability": availability,
            "quality": quality, "good_parts": good, "scrap_parts": scrap, "planned_s": planned, "run_s": run,
            "downtime_s": planned - run, "per_machine_oee": per, "unit": "%"}  # fmt: skip
