"""Numeric analysis on one signal's samples (numpy, no I/O): threshold periods, time in state, change points.

Values are held from one sample to the next (sample-and-hold, the historian convention): a period above a
threshold starts at the first sample above it and ends at the first sample that is not, or at the window end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(slots=True)
class Run:
    start: int  # ms
    end: int  # ms
    peak: float
    samples: int

    @property
    def duration_ms(self) -> int:
        return self.end - self.start


def runs(
    ts: np.ndarray,
    flag: np.ndarray,
    values: np.ndarray,
    start: int,
    end: int,
    flag_before: bool | None = None,
    peak_max: bool = True,
) -> list[Run]:
    """Periods where ``flag`` holds, within [start, end). ``flag_before`` is the state carried in from the last
    sample before the window (None: unknown, treated as False)."""
    n = len(ts)
    ext = np.concatenate(([1 if flag_before else 0], flag.astype(np.int8)))
    d = np.diff(ext)
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    if ext[0]:
        starts = np.concatenate(([-1], starts))  # the run was already on when the window opened
    if not len(starts):
        return []
    stops = np.full(len(starts), n)
    stops[: len(ends)] = ends[: len(starts)]  # a run still on at the last sample lasts to the window end
    lo = np.maximum(starts, 0)
    # every run's peak in one pass: reduce over [lo, stop) pairs of a NaN-free copy with a sentinel at the end
    fill = -np.inf if peak_max else np.inf
    vals = np.append(np.where(np.isfinite(values), values, fill), fill)
    pick = np.maximum if peak_max else np.minimum
    peaks = pick.reduceat(vals, np.column_stack((lo, stops)).ravel())[::2]
    samples = stops - lo
    peaks = np.where((samples > 0) & np.isfinite(peaks), peaks, np.nan)
    ts_ext = np.append(ts, end)
    run_start = np.where(starts < 0, start, ts[lo] if n else start)
    run_end = np.where(stops >= n, end, ts_ext[np.minimum(stops, n)])
    return [
        Run(start=int(a), end=int(b), peak=float(p), samples=int(k))
        for a, b, p, k in zip(run_start.tolist(), run_end.tolist(), peaks.tolist(), samples.tolist(), strict=True)
    ]


def state_durations(
    ts: np.ndarray, codes: np.ndarray, states: int, start: int, end: int, code_before: int | None
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Per state code (0..states-1): milliseconds in that state and times entered; plus the unknown milliseconds
    before the first sample (when the state carried into the window is unknown) and the number of transitions.

    Every sample has a state; only the state carried in from before the window may be unknown (None).
    """
    k = states
    bounds = np.concatenate(([start], ts.astype(np.int64, copy=False), [end]))
    dur = np.diff(bounds)
    seq = np.concatenate(([-1 if code_before is None else code_before], codes.astype(np.int64, copy=False)))
    known = seq >= 0
    unknown = int(dur[~known].sum())
    ms = np.bincount(seq[known], weights=dur[known], minlength=k).astype(np.int64)
    prev = np.concatenate(([-1], seq[:-1]))
    entered = known & (seq != prev)
    entries = np.bincount(seq[entered], minlength=k)
    transitions = int((entered & (prev >= 0)).sum())
    return ms, entries, unknown, transitions


@dataclass(slots=True)
class ChangePoint:
    index: int
    before: float
    after: float
    score: float


def change_point(x: np.ndarray, means: np.ndarray, counts: np.ndarray, min_segment: int = 3) -> ChangePoint | None:
    """The step in a sequence of bucket means (at times ``x``) on top of a straight line, by least squares.

    For each split k the model ``a + b*x + c*[i >= k]`` is fitted (weighted by sample counts); the split with the
    smallest residual wins. ``score`` is the step ``c`` over the residual spread: a ramp alone has no step.
    """
    m = len(means)
    if m < 2 * min_segment:
        return None
    w = np.sqrt(counts.astype(np.float64))
    xc = x - x.mean()
    # every split at once: with the line (1, x) projected out, adding the step column s_k lowers the residual sum
    # of squares by (r·s̃_k)² / (s̃_k·s̃_k) — r and s̃_k being the weighted residuals of the means and of s_k
    base = np.column_stack((np.ones(m), xc)) * w[:, None]
    splits = np.arange(min_segment, m - min_segment + 1)
    steps = (np.arange(m)[:, None] >= splits[None, :]).astype(np.float64) * w[:, None]
    proj = np.linalg.pinv(base)
    r = means * w - base @ (proj @ (means * w))
    st = steps - base @ (proj @ steps)
    norm = (st * st).sum(axis=0)
    gain = np.where(norm > 1e-12, (r @ st) ** 2 / np.where(norm > 1e-12, norm, 1.0), 0.0)
    k = int(splits[int(np.argmax(gain))])
    design = np.column_stack((np.ones(m), xc, (np.arange(m) >= k).astype(np.float64))) * w[:, None]
    coef, *_ = np.linalg.lstsq(design, means * w, rcond=None)
    resid = means * w - design @ coef
    sse, c = float(resid @ resid), float(coef[2])
    spread = float(np.sqrt(sse / max(float((w**2).sum()) - 3, 1.0)))
    level = float(np.abs(means).max()) or 1.0
    if abs(c) <= 1e-9 * level:
        return ChangePoint(k, 0.0, 0.0, 0.0)
    before = float(coef[0] + coef[1] * xc[k - 1])
    after = float(coef[0] + coef[1] * xc[k] + c)
    score = abs(c) / spread if spread > 1e-12 * level else float("inf")
    return ChangePoint(k, before, after, score)
