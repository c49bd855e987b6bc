"""The KPI tools over the historian: OEE with its three factors, downtime with reasons, MTBF/MTTR, energy per part,
and top alarms by count and duration.

Signals are discovered per machine (``discovery.py``); the heavy lifting is vectorised SQL in the historian — state
runs and counter increases with window functions, the value before the window start as the baseline — so a shift
over 30 days of history costs one query per KPI. Python only walks the result rows (runs, not samples).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from tools.historian.queries import Historian, ToolSpec
from tools.historian.store import GOOD_LIMIT, HistorianError
from tools.historian.timewindow import TimeExpressionError, TimeWindow
from tools.kpi.discovery import MachineSignals, lexicon, machines, resolve_scope, state_meaning
from tools.kpi.models import (
    AlarmTotal,
    DowntimeResult,
    EnergyFigures,
    EnergyResult,
    KpiInput,
    Machine,
    OeeFigures,
    OeeInput,
    OeeResult,
    ReasonTotal,
    ReliabilityFigures,
    ReliabilityResult,
    StopEvent,
    TopAlarmsInput,
    TopAlarmsResult,
)

BASELINE_LOOKBACK_MS = 3 * 86400 * 1000  # how far back the value before a window is searched (a weekend)
MAX_EVENTS = 50


@dataclass(slots=True)
class Run:
    signal_id: int
    value: float
    text: str | None
    start: int
    end: int

    @property
    def duration_ms(self) -> int:
        return self.end - self.start


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, digits)


class KpiTools:
    """KPI tools over one historian (its store, window parser and signal table)."""

    def __init__(self, historian: Historian) -> None:
        self.h = historian
        self.store = historian.store
        self._found: tuple[int, dict[str, MachineSignals]] | None = None

    def found(self) -> dict[str, MachineSignals]:
        """Production signals per asset path, classified once per state of the historian's signal table."""
        sigs = self.h.signals()
        if self._found is None or self._found[0] != id(sigs):
            self._found = (id(sigs), machines(sigs.values()))
        return self._found[1]

    # --- SQL ------------------------------------------------------------------------------------------------
    def _q(self, sql: str) -> list[tuple[Any, ...]]:
        try:
            return self.store._query(sql)
        except HistorianError:
            raise
        except Exception as exc:  # an engine without window functions (ClickHouse before 21.x)
            raise HistorianError(
                f"the {self.store.name} historian could not run the KPI query ({type(exc).__name__}: {exc}); "
                "the KPI tools need SQL window functions (DuckDB, or ClickHouse 21 or newer)"
            ) from exc

    def _base(self, ids: Sequence[int], start: int, end: int) -> str:
        """Samples in the window plus, per signal, the last good sample before it (moved to the window start)."""
        d = self.store.dialect
        idl = ", ".join(str(int(i)) for i in ids)
        return (
            f"SELECT signal_id, ts, value, text, 1 AS ord FROM samples WHERE signal_id IN ({idl}) "
            f"AND ts >= {start} AND ts < {end} AND quality < {GOOD_LIMIT} "
            f"UNION ALL SELECT signal_id, {d.int_literal.format(x=start)} AS at_start, {d.arg_max}(value, ts), "
            f"{d.arg_max}(text, ts), 0 AS ord "
            f"FROM samples WHERE signal_id IN ({idl}) AND ts < {start} AND ts >= {start - BASELINE_LOOKBACK_MS} "
            f"AND quality < {GOOD_LIMIT} GROUP BY signal_id"
        )

    def _windowed(self) -> bool:
        """Whether the engine runs SQL window functions (else the KPI arithmetic runs in numpy)."""
        return self.store.dialect.window_functions

    def _base_arrays(self, ids: Sequence[int], start: int, end: int) -> dict[int, tuple[np.ndarray, np.ndarray, list]]:
        """The window's samples (plus the baseline row) per signal as (ts, values, texts), in (ts, ord) order — for
        engines without window functions, which then leave only the fetching to SQL."""
        rows = self._q(f"SELECT signal_id, ts, value, text, ord FROM ({self._base(ids, start, end)}) b "
                       "ORDER BY signal_id, ts, ord")  # fmt: skip
        out: dict[int, tuple[np.ndarray, np.ndarray, list]] = {}
        for sid, group in itertools.groupby(rows, key=lambda r: int(r[0])):  # rows come ordered by signal
            mine = list(group)
            values = np.array([math.nan if r[2] is None else float(r[2]) for r in mine])
            out[sid] = (np.array([int(r[1]) for r in mine], dtype=np.int64), values, [r[3] for r in mine])
        return out

    def _runs_numpy(self, ids: Sequence[int], start: int, end: int) -> list[Run]:
        out: list[Run] = []
        for sid, (ts, values, texts) in sorted(self._base_arrays(ids, start, end).items()):
            keys = [f"{v!r}|{x or ''}" for v, x in zip(values.tolist(), texts, strict=True)]
            nxt = np.append(ts[1:], end)
            first = 0
            for i in range(1, len(keys) + 1):
                if i == len(keys) or keys[i] != keys[first]:
                    a, b = int(ts[first]), int(nxt[i - 1])
                    if b > a:
                        out.append(Run(sid, float(values[first]), texts[first], a, b))
                    first = i
        return sorted(out, key=lambda r: (r.signal_id, r.start))

    def runs(self, ids: Sequence[int], start: int, end: int) -> list[Run]:
        """Consecutive stretches of one value (or text) per signal, clipped to the window."""
        if not ids:
            return []
        if not self._windowed():
            return self._runs_numpy(ids, start, end)
        sql = (
            f"WITH base AS ({self._base(ids, start, end)}), "
            "marked AS (SELECT signal_id, ts, value, text, ord, "
            f"lead(ts, 1, {end}) OVER w AS nxt, "
            "CASE WHEN lag(coalesce(CAST(value AS VARCHAR), '') || '|' || coalesce(text, '')) OVER w "
            "= coalesce(CAST(value AS VARCHAR), '') || '|' || coalesce(text, '') THEN 0 ELSE 1 END AS chg "
            "FROM base WINDOW w AS (PARTITION BY signal_id ORDER BY ts, ord)), "
            "grouped AS (SELECT *, sum(chg) OVER (PARTITION BY signal_id ORDER BY ts, ord "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS grp FROM marked) "
            "SELECT signal_id, min(value), min(text), min(ts), max(nxt) FROM grouped "
            "GROUP BY signal_id, grp HAVING max(nxt) > min(ts) ORDER BY signal_id, min(ts)"
        )
        rows = self._q(sql)
        return [Run(int(r[0]), float(r[1]) if r[1] is not None else math.nan, r[2], int(r[3]), int(r[4])) for r in rows]

    def increases(self, ids: Sequence[int], start: int, end: int) -> dict[int, float]:
        """Counter increase per signal over the window (a drop is a counter reset: the new value counts)."""
        if not ids:
            return {}
        if not self._windowed():
            out = {}
            for sid, (_ts, values, _x) in self._base_arrays(ids, start, end).items():
                v = values[~np.isnan(values)]
                step = np.diff(v)
                out[sid] = float(np.where(step >= 0, step, v[1:]).sum()) if len(v) > 1 else 0.0
            return out
        nan = self.store.dialect.is_nan.format(x="value")
        sql = (
            f"WITH base AS ({self._base(ids, start, end)}), "
            f"d AS (SELECT signal_id, value, lag(value) OVER (PARTITION BY signal_id ORDER BY ts, ord) AS prev "
            f"FROM base WHERE value IS NOT NULL AND NOT {nan}) "
            "SELECT signal_id, sum(CASE WHEN prev IS NULL THEN 0 WHEN value >= prev THEN value - prev ELSE value END) "
            "FROM d GROUP BY signal_id"
        )
        return {int(r[0]): float(r[1] or 0.0) for r in self._q(sql)}

    def integrals(self, ids: Sequence[int], start: int, end: int) -> dict[int, tuple[float, float]]:
        """Time-weighted integral (value × hours) and covered hours per signal — e.g. kW → kWh."""
        if not ids:
            return {}
        if not self._windowed():
            out2: dict[int, tuple[float, float]] = {}
            for sid, (ts, values, _x) in self._base_arrays(ids, start, end).items():
                ok = ~np.isnan(values)
                t, v = ts[ok], values[ok]
                span = np.append(t[1:], end) - t
                out2[sid] = (float((v * span).sum()) / 3_600_000.0, float(span.sum()) / 3_600_000.0)
            return out2
        nan = self.store.dialect.is_nan.format(x="value")
        sql = (
            f"WITH base AS ({self._base(ids, start, end)}), "
            f"d AS (SELECT signal_id, ts, value, lead(ts, 1, {end}) OVER (PARTITION BY signal_id ORDER BY ts, ord) "
            f"AS nxt FROM base WHERE value IS NOT NULL AND NOT {nan}) "
            "SELECT signal_id, sum(value * (nxt - ts)) / 3600000.0, sum(nxt - ts) / 3600000.0 FROM d GROUP BY signal_id"
        )
        return {int(r[0]): (float(r[1] or 0.0), float(r[2] or 0.0)) for r in self._q(sql)}

    def averages(self, ids: Sequence[int], start: int, end: int) -> dict[int, float]:
        if not ids:
            return {}
        nan = self.store.dialect.is_nan.format(x="value")
        sql = f"SELECT signal_id, avg(value) FROM ({self._base(ids, start, end)}) b WHERE NOT {nan} GROUP BY signal_id"
        return {int(r[0]): float(r[1]) for r in self._q(sql) if r[1] is not None}

    # --- scope --------------------------------------------------------------------------------------------
    def window(self, expression: str) -> TimeWindow:
        """A free-text window, or a shift spec ('yesterday-late', 'late', 'last'); unknown shift names fail."""
        from tools.kpi.shifts import check_shift_words, shift_window

        e = expression.strip()
        if re.fullmatch(r"[\w-]+", e) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", e) and ("-" in e or e.isalpha()):
            try:
                return shift_window(e, self.h.settings.plant, self.h.now())
            except TimeExpressionError:
                if "-" in e:
                    raise
        check_shift_words(e, self.h.settings.plant)
        return self.h.window(e)

    def scope(self, args: KpiInput) -> tuple[str, TimeWindow, list[MachineSignals], list[str]]:
        metas = list(self.h.signals().values())
        if not metas:
            raise HistorianError("the historian has no signals yet: is the collector running?")
        path = resolve_scope(args.scope, [m.asset_path for m in metas if m.asset_path])
        window = self.window(args.window)
        found = self.found()
        inside = [ms for p, ms in sorted(found.items()) if not path or p == path or p.startswith(path + "/")]
        missing = []
        label = path or "plant"
        if not any(ms.is_machine for ms in inside):
            missing.append(
                f"{label} has no production counters or machine states in the historian "
                "(no good/scrap/part counter, no state signal), so OEE, downtime and MTBF cannot be computed there"
            )
        return path, window, [ms for ms in inside if ms.is_machine], missing

    @staticmethod
    def _machines(ms: list[MachineSignals]) -> list[Machine]:
        return [Machine(asset=m.asset, path=m.path, signals={r: s.key for r, s in m.roles.items()}) for m in ms]

    def _state_name(self, m: MachineSignals, run: Run) -> str:
        if run.text:
            return run.text
        if math.isnan(run.value):
            return "unknown"
        return m.states.get(int(run.value), str(int(run.value)))

    def _no_data(self, window: TimeWindow, ms: list[MachineSignals], runs: list[Run]) -> str | None:
        if ms and not runs:
            return (
                f"no stored values of the machines' state or counters in {window.text()} ('{window.expression}'): "
                "the collector may not have been running then"
            )
        return None

    # --- OEE ----------------------------------------------------------------------------------------------
    def _state_times(self, ms: list[MachineSignals], runs: list[Run]) -> dict[str, dict[str, float]]:
        """asset path → meaning (running, planned_stop, idle, setup, fault, unknown) → seconds."""
        by_sid = {m.roles["state"].id: m for m in ms if "state" in m.roles}
        out: dict[str, dict[str, float]] = {}
        for r in runs:
            m = by_sid.get(r.signal_id)
            if m is None:
                continue
            meaning = state_meaning(self._state_name(m, r))
            out.setdefault(m.path, {}).setdefault(meaning, 0.0)
            out[m.path][meaning] += r.duration_ms / 1000
        return out

    def oee(self, args: OeeInput) -> OeeResult:
        path, w, ms, missing = self.scope(args)
        state_ids = [m.roles["state"].id for m in ms if "state" in m.roles]
        runs = self.runs(state_ids, w.start_ms, w.end_ms)
        counter_ids = [m.roles[r].id for m in ms for r in ("good", "scrap", "total") if r in m.roles]
        inc = self.increases(counter_ids, w.start_ms, w.end_ms)
        ict_ids = [m.roles["ideal_cycle"].id for m in ms if "ideal_cycle" in m.roles]
        icts = self.averages(ict_ids, w.start_ms, w.end_ms)
        if ms and not runs and not inc:
            missing.append(self._no_data(w, ms, runs) or "")
        times = self._state_times(ms, runs)
        per: list[OeeFigures] = []
        for m in ms:
            per.append(self._figures(m, times.get(m.path), inc, icts, args.ideal_cycle_s, w.seconds))
        total = self._sum_figures(path or "plant", per)
        if runs and not total.planned_time_s:
            missing.append(f"no production was planned in {w.text()}: every machine was in a planned stop")
        return OeeResult(scope=path or "plant", window=self.h._info(w), machines=self._machines(ms), total=total,
                         assets=per, missing=[x for x in missing if x])  # fmt: skip

    def _figures(
        self, m: MachineSignals, times: dict[str, float] | None, inc: dict[int, float], icts: dict[int, float],
        ict_override: float | None, window_s: float,
    ) -> OeeFigures:  # fmt: skip
        f = OeeFigures(asset=m.asset)
        role = {r: inc.get(s.id) for r, s in m.roles.items() if r in ("good", "scrap", "total")}
        good, scrap, total = role.get("good"), role.get("scrap"), role.get("total")
        if good is not None and scrap is not None:
            total = good + scrap
        elif total is not None and scrap is not None and good is None:
            good = total - scrap
        elif good is not None and total is None:
            total = good
        f.good_parts, f.scrap_parts, f.total_parts = good, scrap, total
        if ict_override:
            f.ideal_cycle_s, f.ideal_cycle_source = ict_override, "given"
        elif "ideal_cycle" in m.roles and m.roles["ideal_cycle"].id in icts:
            unit = m.roles["ideal_cycle"].unit
            f.ideal_cycle_s = icts[m.roles["ideal_cycle"].id] * float(lexicon()["time_units"].get(unit, 1.0))
            f.ideal_cycle_source = m.roles["ideal_cycle"].key
        if times:
            covered = sum(times.values())
            f.planned_time_s = _r(covered - times.get("planned_stop", 0.0), 1)
            f.run_time_s = _r(times.get("running", 0.0), 1)
            f.downtime_s = _r(sum(v for k, v in times.items() if k in ("idle", "setup", "fault", "unknown")), 1)
        else:
            f.missing.append(f"{m.asset}: no machine state in the window (availability unknown)")
        if f.planned_time_s and f.run_time_s is not None:
            f.availability = _r(f.run_time_s / f.planned_time_s)
        if f.run_time_s and f.ideal_cycle_s and total is not None:
            f.performance = _r(f.ideal_cycle_s * total / f.run_time_s)
        elif not f.ideal_cycle_s:
            f.missing.append(f"{m.asset}: no ideal cycle time (performance unknown; pass ideal_cycle_s)")
        if total:
            f.quality = _r((good or 0.0) / total)
        elif total is None:
            f.missing.append(f"{m.asset}: no part counters (quality and performance unknown)")
        if None not in (f.availability, f.performance, f.quality):
            f.oee = _r(f.availability * f.performance * f.quality)  # type: ignore[operator]
        return f

    @staticmethod
    def _sum_figures(label: str, per: list[OeeFigures]) -> OeeFigures:
        f = OeeFigures(asset=label)

        def total(attr: str) -> float | None:
            vals = [getattr(x, attr) for x in per if getattr(x, attr) is not None]
            return sum(vals) if vals else None

        f.planned_time_s, f.run_time_s, f.downtime_s = total("planned_time_s"), total("run_time_s"), total("downtime_s")
        f.good_parts, f.scrap_parts, f.total_parts = total("good_parts"), total("scrap_parts"), total("total_parts")
        complete = [x for x in per if x.oee is not None]
        if f.planned_time_s and f.run_time_s is not None:
            f.availability = _r(f.run_time_s / f.planned_time_s)
        ideal = sum((x.ideal_cycle_s or 0.0) * (x.total_parts or 0.0) for x in complete)
        run = sum(x.run_time_s or 0.0 for x in complete)
        if complete and run:
            f.performance = _r(ideal / run)
        if f.total_parts:
            f.quality = _r((f.good_parts or 0.0) / f.total_parts)
        if complete and len(complete) == len(per) and None not in (f.availability, f.performance, f.quality):
            f.oee = _r(f.availability * f.performance * f.quality)  # type: ignore[operator]
        f.missing = [m for x in per for m in x.missing]
        return f

    # --- downtime -----------------------------------------------------------------------------------------
    def _stops(self, ms: list[MachineSignals], w: TimeWindow) -> tuple[list[StopEvent], dict[str, dict[str, float]]]:
        state_ids = [m.roles["state"].id for m in ms if "state" in m.roles]
        reason_ids = [m.roles["reason"].id for m in ms if "reason" in m.roles]
        runs = self.runs(state_ids + reason_ids, w.start_ms, w.end_ms)
        by_state = {m.roles["state"].id: m for m in ms if "state" in m.roles}
        reasons: dict[int, list[Run]] = {}
        for r in runs:
            if r.signal_id in reason_ids:
                reasons.setdefault(r.signal_id, []).append(r)
        events: list[StopEvent] = []
        for r in runs:
            m = by_state.get(r.signal_id)
            if m is None:
                continue
            name = self._state_name(m, r)
            if state_meaning(name) in ("running", "planned_stop"):
                continue
            reason = ""
            if "reason" in m.roles:
                # the reason text that covers most of the stop
                near = [x for x in reasons.get(m.roles["reason"].id, []) if x.end > r.start and x.start < r.end]
                cover = [(min(x.end, r.end) - max(x.start, r.start), x.text or "") for x in near]
                reason = max(cover)[1] if cover else ""
            events.append(StopEvent(asset=m.asset, state=name, reason=reason or name, start=self.h._ts(r.start) or "",
                                    end=self.h._ts(r.end) or "", duration_s=r.duration_ms / 1000,
                                    signal=m.roles["state"].key))  # fmt: skip
        return events, self._state_times(ms, [r for r in runs if r.signal_id in by_state])

    def downtime(self, args: KpiInput) -> DowntimeResult:
        path, w, ms, missing = self.scope(args)
        events, times = self._stops(ms, w)
        if ms and not times:
            missing.append(self._no_data(w, ms, []) or "")
        totals: dict[tuple[str, str], ReasonTotal] = {}
        for e in events:
            t = totals.setdefault((e.reason, e.state), ReasonTotal(reason=e.reason, state=e.state, count=0,
                                                                    duration_s=0.0))  # fmt: skip
            t.count += 1
            t.duration_s += e.duration_s
        planned = sum(sum(v.values()) - v.get("planned_stop", 0.0) for v in times.values())
        shown = sorted(events, key=lambda e: e.start)
        if len(shown) > MAX_EVENTS:
            shown = sorted(sorted(events, key=lambda e: -e.duration_s)[:MAX_EVENTS], key=lambda e: e.start)
        return DowntimeResult(
            scope=path or "plant", window=self.h._info(w), machines=self._machines(ms),
            downtime_s=sum(e.duration_s for e in events), planned_time_s=planned,
            by_reason=sorted(totals.values(), key=lambda t: -t.duration_s), events=shown,
            longest=max(events, key=lambda e: e.duration_s) if events else None, summarised=len(events) > MAX_EVENTS,
            missing=[x for x in missing if x],
        )  # fmt: skip

    # --- MTBF / MTTR --------------------------------------------------------------------------------------
    def reliability(self, args: KpiInput) -> ReliabilityResult:
        path, w, ms, missing = self.scope(args)
        state_ids = [m.roles["state"].id for m in ms if "state" in m.roles]
        runs = self.runs(state_ids, w.start_ms, w.end_ms)
        if ms and not runs:
            missing.append(self._no_data(w, ms, runs) or "")
        by_sid = {m.roles["state"].id: m for m in ms if "state" in m.roles}
        per: dict[str, ReliabilityFigures] = {
            m.path: ReliabilityFigures(asset=m.asset, failures=0, run_time_s=0.0, repair_time_s=0.0)
            for m in by_sid.values()
        }
        for r in runs:
            m = by_sid[r.signal_id]
            meaning = state_meaning(self._state_name(m, r))
            f = per[m.path]
            if meaning == "running":
                f.run_time_s += r.duration_ms / 1000
            elif meaning == "fault":
                f.repair_time_s += r.duration_ms / 1000
                f.failures += 1 if r.start > w.start_ms else 0  # a fault already standing at the start began earlier
        for f in per.values():
            f.mtbf_s = _r(f.run_time_s / f.failures, 1) if f.failures else None
            f.mttr_s = _r(f.repair_time_s / f.failures, 1) if f.failures else None
        tot = ReliabilityFigures(asset=path or "plant", failures=sum(f.failures for f in per.values()),
                                 run_time_s=sum(f.run_time_s for f in per.values()),
                                 repair_time_s=sum(f.repair_time_s for f in per.values()))  # fmt: skip
        if tot.failures:
            tot.mtbf_s, tot.mttr_s = _r(tot.run_time_s / tot.failures, 1), _r(tot.repair_time_s / tot.failures, 1)
        elif runs:
            missing.append(f"no fault stops in {w.text()}: MTBF is longer than the run time, MTTR undefined")
        return ReliabilityResult(scope=path or "plant", window=self.h._info(w), machines=self._machines(ms),
                                 total=tot, assets=list(per.values()), missing=[x for x in missing if x])  # fmt: skip

    # --- energy -------------------------------------------------------------------------------------------
    def energy(self, args: KpiInput) -> EnergyResult:
        path, w, _ms, missing = self.scope(args)
        missing = [x for x in missing if "no production counters" not in x]
        inside = [m for p, m in sorted(self.found().items()) if (not path or p == path or p.startswith(path + "/"))
                  and ("energy" in m.roles or "power" in m.roles)]  # fmt: skip
        meters = {m.roles["energy"].id: m for m in inside if "energy" in m.roles}
        powers = {m.roles["power"].id: m for m in inside if "energy" not in m.roles and "power" in m.roles}
        inc = self.increases(list(meters), w.start_ms, w.end_ms)
        integ = self.integrals(list(powers), w.start_ms, w.end_ms)
        goods = {m.roles["good"].id: m for m in inside if "good" in m.roles}
        parts = self.increases(list(goods), w.start_ms, w.end_ms)
        lx = lexicon()
        per: list[EnergyFigures] = []
        for sid, m in meters.items():
            if sid in inc:
                kwh = inc[sid] * float(lx["energy_units"].get(m.roles["energy"].unit, 1.0))
                per.append(EnergyFigures(asset=m.asset, energy_kwh=_r(kwh, 3), source="meter",
                                         signal=m.roles["energy"].key))  # fmt: skip
        for sid, m in powers.items():
            if sid in integ:
                kwh = integ[sid][0] * float(lx["power_units"].get(m.roles["power"].unit, 1.0))
                per.append(EnergyFigures(asset=m.asset, energy_kwh=_r(kwh, 3), source="power",
                                         signal=m.roles["power"].key))  # fmt: skip
        by_asset = {m.asset: m for m in inside}
        for f in per:
            m = by_asset[f.asset]
            if "good" in m.roles and m.roles["good"].id in parts:
                f.good_parts = parts[m.roles["good"].id]
                f.kwh_per_part = _r(f.energy_kwh / f.good_parts, 4) if f.good_parts and f.energy_kwh else None
        if not inside:
            missing.append(f"{path or 'plant'} has no energy meter or power signal in the historian")
        elif not per:
            missing.append(f"no stored energy or power values in {w.text()} ('{w.expression}')")
        total_kwh = sum(f.energy_kwh or 0.0 for f in per) if per else None
        producing = [f for f in per if f.good_parts is not None]
        good = sum(f.good_parts or 0.0 for f in producing) if producing else None
        prod_kwh = sum(f.energy_kwh or 0.0 for f in producing)
        tot = EnergyFigures(asset=path or "plant", energy_kwh=_r(total_kwh, 3) if total_kwh is not None else None,
                            source="sum", good_parts=good,
                            kwh_per_part=_r(prod_kwh / good, 4) if good else None)  # fmt: skip
        return EnergyResult(scope=path or "plant", window=self.h._info(w), machines=self._machines(inside), total=tot,
                            assets=per, missing=missing)  # fmt: skip

    # --- alarms -------------------------------------------------------------------------------------------
    def top_alarms(self, args: TopAlarmsInput, events: list[Any]) -> TopAlarmsResult:
        """Alarm counts and durations from event records (``tools.opcua.events.EventRecord``) of the window."""
        metas = list(self.h.signals().values())
        path = resolve_scope(args.scope, [m.asset_path for m in metas if m.asset_path]) if metas else ""
        w = self.window(args.window)
        in_scope = {p.rsplit("/", 1)[-1] for p in {m.asset_path for m in metas} if not path or p.startswith(path)}
        totals: dict[tuple[str, str], AlarmTotal] = {}
        open_since: dict[tuple[str, str], float] = {}
        n = 0
        for ev in sorted(events, key=lambda e: e.time):
            if not ev.code or (path and ev.source not in in_scope):
                continue
            t = _epoch(ev.time)
            if t is None:
                continue
            key = (ev.source, ev.code)
            if ev.state in (None, "Active") and key not in open_since:
                n += 1
                open_since[key] = t
                a = totals.setdefault(key, AlarmTotal(code=ev.code, source=ev.source, message=ev.message, count=0,
                                                      duration_s=0.0, first=ev.time, last=ev.time))  # fmt: skip
                a.count += 1
                a.last = ev.time
            elif ev.state in ("Cleared", "Inactive", "Normal") and key in open_since:
                totals[key].duration_s += t - open_since.pop(key)
        end = w.end.timestamp()
        for key, since in open_since.items():
            totals[key].duration_s += max(0.0, end - since)  # still standing at the end of the window
        items = list(totals.values())
        for a in items:
            a.duration_s = round(a.duration_s, 1)
        missing = [] if items else [f"no alarms in {w.text()}"]
        return TopAlarmsResult(scope=path or "plant", window=self.h._info(w),
                               by_count=sorted(items, key=lambda a: (-a.count, -a.duration_s))[: args.limit],
                               by_duration=sorted(items, key=lambda a: -a.duration_s)[: args.limit], events=n,
                               missing=missing)  # fmt: skip


def _epoch(iso: str) -> float | None:
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


# --- the registry the agent, the report and LangChain use -----------------------------------------------------
TOOLS: dict[str, ToolSpec] = {
    t.name: t
    for t in [
        ToolSpec("kpi.oee", OeeInput, "oee", "OEE with availability, performance and quality for a line, area, "
                 "asset or the plant over a window (shift), with the formula inputs."),
        ToolSpec("kpi.downtime", KpiInput, "downtime", "Unplanned stops with their reasons, durations and times."),
        ToolSpec("kpi.reliability", KpiInput, "reliability", "MTBF and MTTR from fault stops of the machine states."),
        ToolSpec("kpi.energy", KpiInput, "energy", "Energy (kWh) and energy per good part over a window."),
    ]
}  # fmt: skip


def run_kpi(tools: KpiTools, name: str, arguments: dict[str, Any], events: Callable[[], list[Any]] | None = None
            ) -> dict[str, Any]:  # fmt: skip
    """Validate ``arguments`` against the tool's schema, run it, return JSON-ready data."""
    if name == "kpi.top_alarms":
        try:
            args = TopAlarmsInput.model_validate(arguments)
        except ValidationError as exc:
            raise HistorianError(f"bad arguments for {name}: {exc.errors()[0]['msg']}") from None
        return tools.top_alarms(args, events() if events else []).model_dump(mode="json")
    spec = TOOLS.get(name)
    if spec is None:
        raise HistorianError(f"no KPI tool '{name}' (tools: {', '.join([*TOOLS, 'kpi.top_alarms'])})")
    try:
        parsed = spec.input.model_validate(arguments)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "arguments"
        raise HistorianError(f"bad arguments for {name}: {where}: {first['msg']}") from None
    result: BaseModel = getattr(tools, spec.method)(parsed)
    return result.model_dump(mode="json")
