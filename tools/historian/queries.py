"""The historian query tools the assistant calls: latest, window statistics, downsample, threshold periods,
compare, trend with change detection, time in state.

Each tool takes a pydantic input model (``models.py``) and returns a result model carrying units, the exact
window and the sample count. Signal names resolve against the store's signal table (exact key, or a unique
suffix of the path such as 'P-101/Temperature'); unknown names fail with the closest known ones. Series never
reach the prompt in full: downsampling widens its interval to stay within ``historian.max_points`` and period
lists keep the longest ``MAX_PERIODS``.
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from assistant.config import Settings
from tools.historian import analysis
from tools.historian.models import (
    MAX_PERIODS,
    ChangeInfo,
    CompareInput,
    CompareItem,
    CompareResult,
    DownsampleInput,
    DownsampleResult,
    LatestInput,
    LatestItem,
    LatestResult,
    Period,
    Point,
    StateShare,
    StatsInput,
    StatsResult,
    ThresholdInput,
    ThresholdResult,
    TimeInStateInput,
    TimeInStateResult,
    TrendInput,
    TrendResult,
    WindowInfo,
)
from tools.historian.store import HistorianError, HistorianStore, SignalMeta, UnknownHistorianSignal
from tools.historian.timewindow import TimeWindow, _parser, window_from

NICE_INTERVALS_S = [1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800]
SERIES_LIMIT = 3_000_000  # raw samples a period/state analysis may load
_INTERVAL_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "sekunde": 1, "sekunden": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60, "minuten": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600, "std": 3600, "stunde": 3600, "stunden": 3600,
    "d": 86400, "day": 86400, "days": 86400, "tag": 86400, "tage": 86400,
    "w": 604800, "week": 604800, "weeks": 604800, "woche": 604800, "wochen": 604800,
}  # fmt: skip


TWO_DST_CHANGES_MS = 150 * 86_400_000  # no two daylight-saving changes are closer than this


def _sig(x: float | None, digits: int = 6) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def _sig_many(x: np.ndarray, decimals: int = 6) -> list[float | None]:
    r = np.round(x.astype(np.float64, copy=False), decimals)
    if not np.isnan(r).any():
        return r.tolist()
    return [None if v != v else v for v in r.tolist()]


@functools.cache
def _clock_of_day() -> list[str]:
    """The clock ("HH:MM:SS") at every second of a day: formatting many timestamps is then list lookups."""
    return [f"{h:02d}:{m:02d}:{x:02d}" for h in range(24) for m in range(60) for x in range(60)]


@functools.cache
def _minutes_of_day(suffix: str) -> list[str]:
    """The clock at every minute of a day, with the UTC offset ("HH:MM:00+01:00")."""
    return [f"{h:02d}:{m:02d}:00{suffix}" for h in range(24) for m in range(60)]


def _state_codes(values: np.ndarray, texts: list[str | None], boolean: bool, key: str) -> tuple[np.ndarray, list[str]]:
    """Each sample's state as a code into the returned state names: its text if it has one, else its value
    (true/false for booleans, the integer otherwise); a sample with neither is the state "?".
    A measured (non-integer) value or more than 50 states is not a state signal: a HistorianError says so."""
    has_text = np.array([bool(t) for t in texts]) if any(texts) else np.zeros(len(values), dtype=bool)
    numeric = np.isfinite(values) & ~has_text
    nums = values[numeric]
    if not boolean and (nums != np.floor(nums)).any():
        raise HistorianError(f"{key} is a measured value, not a state; ask for periods above or below a threshold")
    levels, inverse = np.unique(nums != 0 if boolean else nums, return_inverse=True)
    names = [("true" if x else "false") if boolean else str(int(x)) for x in levels.tolist()]
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[numeric] = inverse
    if has_text.any():
        words, at = np.unique(np.array([t for t in texts if t], dtype=object), return_inverse=True)
        codes[has_text] = at + len(names)
        names += [str(w) for w in words.tolist()]
    if (codes < 0).any():
        codes[codes < 0] = len(names)
        names.append("?")
    if len(set(names)) < len(names):  # a text state spelled like a value state ("true", "1") is that state
        merged, remap = np.unique(np.array(names, dtype=object), return_inverse=True)
        codes, names = remap[codes], [str(x) for x in merged.tolist()]
    if len(names) > 50:
        raise HistorianError(f"{key} takes more than 50 values: it is not a state signal")
    return codes, names


def parse_interval(text: str) -> float | None:
    """'15 min' → 900.0; 'auto' → None."""
    t = text.strip().lower()
    if t in ("", "auto"):
        return None
    m = re.fullmatch(r"(\d+(?:[.,]\d+)?)?\s*([a-zäöü]+)", t)
    if not m or m.group(2) not in _INTERVAL_UNITS:
        raise HistorianError(f"'{text}' is not an interval; say e.g. '1 min', '15m', '1h' or '1 day'")
    n = float((m.group(1) or "1").replace(",", "."))
    if n <= 0:
        raise HistorianError(f"the interval '{text}' must be positive")
    return n * _INTERVAL_UNITS[m.group(2)]


@dataclass(slots=True)
class _Resolved:
    meta: SignalMeta
    window: TimeWindow


class Historian:
    """The query tools over one store. Thread-safe as far as the store is (both stores are)."""

    def __init__(self, store: HistorianStore, settings: Settings, now: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.parser = _parser(settings.plant)
        self._now = now
        self._signals: dict[str, SignalMeta] = {}
        self._signals_at = 0.0

    # --- plumbing --------------------------------------------------------------------------------------
    def now(self) -> datetime:
        return (self._now() if self._now else datetime.now(UTC)).astimezone(self.parser.tz)

    def _ts(self, ms: int | None) -> str | None:
        if ms is None:
            return None
        dt = datetime.fromtimestamp(ms / 1000, UTC).astimezone(self.parser.tz)
        return dt.isoformat(timespec="milliseconds" if ms % 1000 else "seconds")

    def _ts_many(self, ms: np.ndarray) -> list[str]:
        """ISO times in plant time for many timestamps (vectorised when the UTC offset is constant)."""
        if len(ms) == 0:
            return []
        first = datetime.fromtimestamp(int(ms[0]) / 1000, UTC).astimezone(self.parser.tz)
        last = datetime.fromtimestamp(int(ms[-1]) / 1000, UTC).astimezone(self.parser.tz)
        # one UTC offset for all: the ends agree and the span is too short to leave summer time and come back
        if first.utcoffset() != last.utcoffset() or int(ms[-1]) - int(ms[0]) > TWO_DST_CHANGES_MS or (ms % 1000).any():
            return [self._ts(int(x)) or "" for x in ms]
        off = first.utcoffset() or timedelta(0)
        local_s = (ms + int(off.total_seconds() * 1000)) // 1000
        day, second = np.divmod(local_s, 86400)
        d0 = int(day.min())
        dates = np.datetime_as_string(np.arange(d0, int(day.max()) + 1).astype("datetime64[D]")).tolist()
        heads = [d + "T" for d in dates]
        suffix = first.isoformat()[19:]
        day_at = (day - d0).tolist()
        if not (second % 60).any():  # whole minutes (buckets of a minute or more): one join per time
            minutes = _minutes_of_day(suffix)
            return [heads[d] + minutes[x] for d, x in zip(day_at, (second // 60).tolist(), strict=True)]
        clock = _clock_of_day()
        return [heads[d] + clock[x] + suffix for d, x in zip(day_at, second.tolist(), strict=True)]

    def signals(self, refresh: bool = False) -> dict[str, SignalMeta]:
        if refresh or not self._signals or time.monotonic() - self._signals_at > 60:
            self._signals = {m.key: m for m in self.store.signals()}
            self._signals_at = time.monotonic()
        return self._signals

    def resolve(self, name: str) -> SignalMeta:
        """A signal by key, node id, or a unique ('/'-separated, case-insensitive) suffix of its key."""
        wanted = name.strip().strip("/")
        if not wanted:
            raise UnknownHistorianSignal("no signal named")
        for refresh in (False, True):
            sigs = self.signals(refresh)
            if wanted in sigs:
                return sigs[wanted]
            low = wanted.lower()
            hits = [m for m in sigs.values() if m.key.lower() == low or low in (m.node_id.lower(), m.stable_id.lower())]
            if not hits:
                hits = [m for m in sigs.values() if m.key.lower().endswith("/" + low)]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                options = ", ".join(sorted(h.key for h in hits)[:5])
                raise UnknownHistorianSignal(f"'{name}' matches several historian signals: {options}")
        from rapidfuzz import process

        close = [c for c, score, _ in process.extract(wanted, list(sigs), limit=3) if score > 50] if sigs else []
        hint = f"; closest: {', '.join(close)}" if close else ""
        if not sigs:
            hint = " (the historian has no signals yet: is the collector running?)"
        raise UnknownHistorianSignal(f"no historian signal '{name}'{hint}")

    def window(self, expression: str) -> TimeWindow:
        w = window_from(expression, self.settings.plant, now=self.now())
        limit = self.settings.historian.max_window_days
        if w.seconds > limit * 86400:
            raise HistorianError(
                f"the window '{expression}' spans {w.seconds / 86400:.1f} days; the limit is {limit:g} days "
                "(historian.max_window_days): ask for a shorter period"
            )
        return w

    def _info(self, w: TimeWindow) -> WindowInfo:
        return WindowInfo(
            start=w.start.isoformat(timespec="seconds"),
            end=w.end.isoformat(timespec="seconds"),
            timezone=str(self.parser.tz),
            expression=w.expression,
            meaning=w.meaning,
            seconds=w.seconds,
        )

    def _prepare(self, signal: str, window: str) -> _Resolved:
        return _Resolved(self.resolve(signal), self.window(window))

    def _empty(self, r: _Resolved) -> HistorianError:
        return HistorianError(
            f"no stored values of {r.meta.key} in {r.window.text()} ('{r.window.expression}'): "
            "the collector may not have been running then"
        )

    # --- tools ---------------------------------------------------------------------------------------------
    def latest(self, args: LatestInput) -> LatestResult:
        metas = [self.resolve(s) for s in args.signals]
        now = self.now()
        items: list[LatestItem] = []
        missing: list[str] = []
        at_ms: int | None = None
        if args.at:
            try:
                at = datetime.fromisoformat(args.at.strip().replace("Z", "+00:00"))
            except ValueError:
                raise HistorianError(f"'{args.at}' is not an ISO date-time") from None
            at = at if at.tzinfo else at.replace(tzinfo=self.parser.tz)
            at_ms = int(at.timestamp() * 1000)
            lookback = int(self.settings.historian.max_window_days * 86400 * 1000)
            for m in metas:
                hit = self.store.value_at(m.id, at_ms, lookback)
                if hit is None:
                    missing.append(m.key)
                    continue
                ts, value, text = hit
                items.append(
                    LatestItem(
                        signal=m.key,
                        unit=m.unit,
                        value=_sig(value),
                        text=text,
                        timestamp=self._ts(ts) or "",
                        quality="Good",
                        age_s=(at_ms - ts) / 1000,
                    )
                )
            return LatestResult(items=items, missing=missing, at=self._ts(at_ms))
        rows = {r[0]: r for r in self.store.current([m.id for m in metas])}
        now_ms = int(now.timestamp() * 1000)
        for m in metas:
            r = rows.get(m.id)
            if r is None:
                missing.append(m.key)
                continue
            _, ts, value, text, quality = r
            items.append(
                LatestItem(
                    signal=m.key,
                    unit=m.unit,
                    value=_sig(value),
                    text=text,
                    timestamp=self._ts(ts) or "",
                    quality="Good" if quality < 0x40000000 else ("Uncertain" if quality < 0x80000000 else "Bad"),
                    age_s=round((now_ms - ts) / 1000, 3),
                )
            )
        if not items:
            raise HistorianError(f"no stored values yet for {', '.join(missing)}")
        return LatestResult(items=items, missing=missing)

    def stats(self, args: StatsInput) -> StatsResult:
        r = self._prepare(args.signal, args.window)
        st = self.store.stats(r.meta.id, r.window.start_ms, r.window.end_ms)
        if st.count == 0:
            raise self._empty(r)
        return StatsResult(
            signal=r.meta.key,
            unit=r.meta.unit,
            window=self._info(r.window),
            samples=st.count,
            min=_sig(st.min),
            max=_sig(st.max),
            avg=_sig(st.avg),
            stddev=_sig(st.stddev),
            first=_sig(st.first),
            first_time=self._ts(st.first_ts),
            last=_sig(st.last),
            last_time=self._ts(st.last_ts),
            min_time=self._ts(st.min_ts),
            max_time=self._ts(st.max_ts),
        )

    def _origin(self, w: TimeWindow, interval_s: float) -> int:
        """Buckets line up with the plant's clock: local midnight of the window start (or the window start)."""
        midnight = w.start.replace(hour=0, minute=0, second=0, microsecond=0)
        if interval_s <= 86400 and 86400 % interval_s == 0:
            return int(midnight.timestamp() * 1000)
        if interval_s == 604800:
            return int((midnight - timedelta(days=midnight.weekday())).timestamp() * 1000)
        return w.start_ms

    def downsample(self, args: DownsampleInput) -> DownsampleResult:
        r = self._prepare(args.signal, args.window)
        requested = parse_interval(args.interval)
        max_points = self.settings.historian.max_points
        fit = next((n for n in NICE_INTERVALS_S if r.window.seconds / n <= max_points), None)
        fit = fit or math.ceil(r.window.seconds / max_points)
        interval = requested if requested is not None else fit
        note = None
        summarised = False
        if r.window.seconds / interval > max_points:
            note = (
                f"interval widened from {interval:g} s to {fit:g} s to stay within {max_points} points "
                "(historian.max_points)"
            )
            interval, summarised = fit, True
        ms = max(1, round(interval * 1000))
        bucket, count, mn, mx, avg = self.store.downsample(
            r.meta.id, r.window.start_ms, r.window.end_ms, ms, self._origin(r.window, interval)
        )
        if len(bucket) == 0:
            raise self._empty(r)
        times = self._ts_many(bucket)
        av, lo, hi = (_sig_many(x) for x in (avg, mn, mx))
        points = list(map(Point, times, av, lo, hi, count.tolist()))
        return DownsampleResult(
            signal=r.meta.key,
            unit=r.meta.unit,
            window=self._info(r.window),
            samples=int(count.sum()),
            interval_s=interval,
            requested_interval_s=requested,
            points=points,
            summarised=summarised,
            note=note,
        )

    def _series(self, r: _Resolved) -> tuple[np.ndarray, np.ndarray]:
        s = self.store.series(r.meta.id, r.window.start_ms, r.window.end_ms, limit=SERIES_LIMIT + 1)
        if len(s) > SERIES_LIMIT:
            raise HistorianError(
                f"more than {SERIES_LIMIT} samples of {r.meta.key} in {r.window.text()} are too many to analyse "
                "one by one; ask for a shorter window"
            )
        return s.ts, s.value

    def threshold_periods(self, args: ThresholdInput) -> ThresholdResult:
        r = self._prepare(args.signal, args.window)
        ts, val = self._series(r)
        lookback = int(self.settings.historian.max_window_days * 864e5)
        before = self.store.value_at(r.meta.id, r.window.start_ms - 1, lookback)
        above = args.direction == "above"
        flag = val > args.threshold if above else val < args.threshold
        b_val = before[1] if before else None
        flag_before = None if b_val is None else (b_val > args.threshold if above else b_val < args.threshold)
        if len(ts) == 0 and before is None:
            raise self._empty(r)
        runs = analysis.runs(ts, flag, val, r.window.start_ms, r.window.end_ms, flag_before, peak_max=above)
        runs = [x for x in runs if x.duration_ms >= args.min_duration_s * 1000]
        for x in runs:
            if not math.isfinite(x.peak) and b_val is not None:
                x.peak = b_val

        def period(x: analysis.Run) -> Period:
            return Period(
                start=self._ts(x.start) or "",
                end=self._ts(x.end) or "",
                duration_s=x.duration_ms / 1000,
                peak=_sig(x.peak),
                ongoing=x.end == r.window.end_ms and r.window.end_ms >= int(self.now().timestamp() * 1000) - 1,
            )

        total = sum(x.duration_ms for x in runs) / 1000
        longest = max(runs, key=lambda x: x.duration_ms) if runs else None
        shown = runs
        note = None
        if len(runs) > MAX_PERIODS:
            shown = sorted(sorted(runs, key=lambda x: -x.duration_ms)[:MAX_PERIODS], key=lambda x: x.start)
            note = f"{len(runs)} periods; the {MAX_PERIODS} longest are listed"
        return ThresholdResult(
            signal=r.meta.key,
            unit=r.meta.unit,
            window=self._info(r.window),
            samples=len(ts),
            threshold=args.threshold,
            direction=args.direction,
            period_count=len(runs),
            total_duration_s=total,
            share_of_window=round(total / r.window.seconds, 4) if r.window.seconds else 0.0,
            longest=period(longest) if longest else None,
            periods=[period(x) for x in shown],
            summarised=len(runs) > MAX_PERIODS,
            note=note,
        )

    def compare(self, args: CompareInput) -> CompareResult:
        names = list(args.signals)
        if args.assets:
            if not args.signal_name:
                raise HistorianError("to compare assets, name the signal to compare (signal_name)")
            names += [f"{a.strip().strip('/')}/{args.signal_name.strip()}" for a in args.assets]
        if not names:
            raise HistorianError("name at least one signal (or assets and a signal name) to compare")
        metas = [self.resolve(n) for n in names]
        w = self.window(args.window)
        items: list[CompareItem] = []
        for m in metas:
            st = self.store.stats(m.id, w.start_ms, w.end_ms)
            value = {
                "avg": st.avg, "min": st.min, "max": st.max, "stddev": st.stddev,
                "first": st.first, "last": st.last, "count": float(st.count),
            }[args.statistic]  # fmt: skip
            item = CompareItem(signal=m.key, unit=m.unit, samples=st.count, value=_sig(value), min=_sig(st.min),
                               max=_sig(st.max), avg=_sig(st.avg))  # fmt: skip
            items.append(item)
        with_values = [i for i in items if i.value is not None]
        if not with_values:
            raise HistorianError(f"no stored values of {', '.join(m.key for m in metas)} in {w.text()}")
        units = {i.unit for i in with_values}
        note = f"the signals have different units ({', '.join(sorted(units))})" if len(units) > 1 else None
        return CompareResult(
            window=self._info(w),
            statistic=args.statistic,
            items=items,
            highest=max(with_values, key=lambda i: i.value or 0.0).signal,
            lowest=min(with_values, key=lambda i: i.value or 0.0).signal,
            samples=sum(i.samples for i in items),
            note=note,
        )

    def trend(self, args: TrendInput) -> TrendResult:
        r = self._prepare(args.signal, args.window)
        n, slope_h, _ = self.store.trend(r.meta.id, r.window.start_ms, r.window.end_ms)
        if n == 0:
            raise self._empty(r)
        factor = 24.0 if args.per == "day" else 1.0
        slope = slope_h * factor if slope_h is not None else None
        interval = max(1.0, r.window.seconds / 120)
        bucket, count, _, _, avg = self.store.downsample(
            r.meta.id, r.window.start_ms, r.window.end_ms, int(interval * 1000), r.window.start_ms
        )
        hours = (bucket - r.window.start_ms) / 3_600_000
        cp = analysis.change_point(hours, avg, count) if len(avg) else None
        change = None
        if cp is not None and cp.score >= 3.0:
            change = ChangeInfo(
                time=self._ts(int(bucket[cp.index])) or "",
                before_avg=_sig(cp.before) or 0.0,
                after_avg=_sig(cp.after) or 0.0,
                shift=_sig(cp.after - cp.before) or 0.0,
                score=round(min(cp.score, 1e6), 2),
            )
        stats = self.store.stats(r.meta.id, r.window.start_ms, r.window.end_ms)
        total = slope_h * r.window.seconds / 3600 if slope_h is not None else None
        spread = stats.stddev or 0.0
        if total is None:
            direction = "unknown"
        elif abs(total) < max(spread * 0.5, 1e-12):
            direction = "flat"
        else:
            direction = "rising" if total > 0 else "falling"
        k = max(1, len(avg) // 10)
        first_avg = float(np.average(avg[:k], weights=count[:k])) if len(avg) else None
        last_avg = float(np.average(avg[-k:], weights=count[-k:])) if len(avg) else None
        return TrendResult(
            signal=r.meta.key,
            unit=r.meta.unit,
            window=self._info(r.window),
            samples=n,
            slope=_sig(slope),
            per=args.per,
            change_over_window=_sig(total),
            first_avg=_sig(first_avg),
            last_avg=_sig(last_avg),
            direction=direction,
            change_point=change,
        )

    def time_in_state(self, args: TimeInStateInput) -> TimeInStateResult:
        r = self._prepare(args.signal, args.window)
        s = self.store.text_series(r.meta.id, r.window.start_ms, r.window.end_ms, limit=SERIES_LIMIT + 1)
        if len(s) > SERIES_LIMIT:
            raise HistorianError(
                f"more than {SERIES_LIMIT} samples of {r.meta.key} are too many to analyse; ask for a shorter window"
            )
        boolean = r.meta.data_type.lower() == "boolean"
        lookback = int(self.settings.historian.max_window_days * 864e5)
        before = self.store.value_at(r.meta.id, r.window.start_ms - 1, lookback)
        if len(s) == 0 and (before is None or (before[1] is None and not before[2])):
            raise self._empty(r)
        # the sample carried into the window goes first; a carried-in value without a state stays unknown
        b_val = np.array([np.nan if before is None or before[1] is None else before[1]])
        values = np.concatenate((b_val, s.value))
        texts = [before[2] if before else None, *s.text]
        codes, names = _state_codes(values, texts, boolean, r.meta.key)
        carried = None if before is None or (not texts[0] and not math.isfinite(values[0])) else int(codes[0])
        ms, entered, unknown, transitions = analysis.state_durations(
            s.ts, codes[1:], len(names), r.window.start_ms, r.window.end_ms, carried
        )
        total = r.window.seconds
        order = sorted((i for i in range(len(names)) if entered[i] or ms[i]), key=lambda i: -ms[i])
        states = [
            StateShare(
                state=names[i], duration_s=ms[i] / 1000, share=round(ms[i] / 1000 / total, 4), entered=int(entered[i])
            )
            for i in order
        ]
        return TimeInStateResult(
            signal=r.meta.key,
            unit=r.meta.unit,
            window=self._info(r.window),
            samples=len(s),
            states=states,
            unknown_s=unknown / 1000,
            transitions=transitions,
        )


# --- the registry the agent uses ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    input: type[BaseModel]
    method: str
    description: str


TOOLS: dict[str, ToolSpec] = {
    t.name: t
    for t in [
        ToolSpec("historian.latest", LatestInput, "latest", "Newest stored value of signals, or the value at a time."),
        ToolSpec("historian.stats", StatsInput, "stats", "Min, max, average, stddev, count, first/last over a window."),
        ToolSpec("historian.downsample", DownsampleInput, "downsample", "A signal's course as bucket averages."),
        ToolSpec(
            "historian.threshold_periods",
            ThresholdInput,
            "threshold_periods",
            "When and how long a signal was above or below a threshold.",
        ),
        ToolSpec("historian.compare", CompareInput, "compare", "One statistic for several signals or assets."),
        ToolSpec("historian.trend", TrendInput, "trend", "Slope per hour or day, and a level change if there was one."),
        ToolSpec("historian.time_in_state", TimeInStateInput, "time_in_state", "Time a state signal spent per state."),
    ]
}


def tool_schemas() -> list[dict[str, Any]]:
    """Name, description and JSON schema of every historian tool (for grammar-constrained planning)."""
    return [
        {"name": t.name, "description": t.description, "parameters": t.input.model_json_schema()}
        for t in TOOLS.values()
    ]


def run_tool(historian: Historian, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Validate ``arguments`` against the tool's schema, run it, return the result as JSON-ready data."""
    spec = TOOLS.get(name)
    if spec is None:
        raise HistorianError(f"no historian tool '{name}' (tools: {', '.join(TOOLS)})")
    try:
        args = spec.input.model_validate(arguments)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "arguments"
        raise HistorianError(f"bad arguments for {name}: {where}: {first['msg']}") from None
    result: BaseModel = getattr(historian, spec.method)(args)
    return result.model_dump(mode="json")
