"""Charts from tool results: time series (with alarm limits and alarm periods) and remaining-life bands.

Charts are drawn from whatever the tool calls returned, whichever tool made them. Accepted shapes (liberal):

* **Time series** — anywhere inside a result, a dict whose ``points`` (or ``series``, ``values``, ``data``,
  ``history``) is a list of point dicts with a time (``time``, ``t``, ``timestamp``, ``ts``, ``start``,
  ``bucket``) and a value (``value``, ``avg``, ``mean``, ``health``, ``score``); optional ``min``/``max`` draw
  a band. The series is named by a sibling ``signal``/``path``/``name``/``asset`` and has the sibling ``unit``.
  ``{"series": {"name": [points...]}}`` (several named series) works too.
* **Limits and periods** — a sibling ``threshold``/``limit`` (number, or list of numbers) draws a dashed line;
  ``periods`` or ``alarm_periods`` (``[{start, end, code?}]``) are shaded.
* **Remaining useful life** — a dict with ``rul_days`` or ``rul_hours`` (or ``rul``) and bounds
  ``lower``/``upper``, ``low``/``high``, ``rul_*_low``/``rul_*_high`` or ``p10``/``p90``: a median with its band;
  dates ``failure_earliest``/``predicted_failure``/``failure_latest`` are shown when present.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from assistant.ui.texts import t

SERIES_KEYS = ("points", "series", "values", "data", "history")
TIME_KEYS = ("time", "t", "timestamp", "ts", "start", "bucket")
VALUE_KEYS = ("value", "avg", "mean", "health", "score")
NAME_KEYS = ("signal", "path", "name", "asset", "node")
MAX_DEPTH = 6


@dataclass
class Series:
    name: str
    unit: str
    times: list[str]
    values: list[float | None]
    low: list[float | None] | None = None
    high: list[float | None] | None = None
    thresholds: list[float] = field(default_factory=list)
    periods: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RulBand:
    asset: str
    unit: str  # "h" or "d"
    median: float
    lower: float | None
    upper: float | None
    earliest: str | None = None
    predicted: str | None = None
    latest: str | None = None


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    return None


def _first(d: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((d[k] for k in keys if k in d and d[k] is not None), None)


def _points_series(points: list[Any], name: str, unit: str, owner: dict[str, Any]) -> Series | None:
    if not points or not all(isinstance(p, dict) for p in points):
        return None
    tkey = next((k for k in TIME_KEYS if k in points[0]), None)
    vkey = next((k for k in VALUE_KEYS if k in points[0]), None)
    if tkey is None or vkey is None:
        return None
    times = [str(p.get(tkey)) for p in points]
    values = [_num(p.get(vkey)) for p in points]
    if not any(v is not None for v in values):
        return None
    low = high = None
    if "min" in points[0] and "max" in points[0]:
        low = [_num(p.get("min")) for p in points]
        high = [_num(p.get("max")) for p in points]
    limits = owner.get("threshold", owner.get("limit", owner.get("thresholds")))
    thresholds = [float(x) for x in (limits if isinstance(limits, list) else [limits]) if _num(x) is not None]
    periods = [p for p in (owner.get("alarm_periods") or owner.get("periods") or []) if isinstance(p, dict)]
    return Series(name, unit, times, values, low, high, thresholds, periods)


def find_series(obj: Any, depth: int = 0) -> list[Series]:
    """Every time series inside a tool result (see the module docstring for the shapes)."""
    found: list[Series] = []
    if depth > MAX_DEPTH:
        return found
    if isinstance(obj, dict):
        name = str(_first(obj, NAME_KEYS) or "")
        unit = str(obj.get("unit") or "")
        for key in SERIES_KEYS:
            inner = obj.get(key)
            if isinstance(inner, list):
                s = _points_series(inner, name or key, unit, obj)
                if s is not None:
                    found.append(s)
            elif isinstance(inner, dict) and key == "series":
                for sub, pts in inner.items():
                    if isinstance(pts, list):
                        s = _points_series(pts, str(sub), unit, obj)
                        if s is not None:
                            found.append(s)
        for key, v in obj.items():
            if key not in SERIES_KEYS and isinstance(v, dict | list):
                found += find_series(v, depth + 1)
    elif isinstance(obj, list):
        for v in obj[:50]:
            if isinstance(v, dict | list):
                found += find_series(v, depth + 1)
    return found


def find_rul(obj: Any, depth: int = 0) -> list[RulBand]:
    """Every remaining-useful-life estimate with its uncertainty inside a tool result."""
    found: list[RulBand] = []
    if depth > MAX_DEPTH:
        return found
    if isinstance(obj, dict):
        for key, unit in (("rul_days", "d"), ("rul_hours", "h"), ("rul", "h")):
            median = _num(obj.get(key))
            if median is None:
                continue
            lower = _num(_first(obj, (f"{key}_low", f"{key}_lower", "lower", "low", "p10")))
            upper = _num(_first(obj, (f"{key}_high", f"{key}_upper", "upper", "high", "p90")))
            found.append(RulBand(
                str(obj.get("asset") or ""), unit, median, lower, upper,
                _str(obj.get("failure_earliest")), _str(obj.get("predicted_failure")), _str(obj.get("failure_latest")),
            ))  # fmt: skip
            break
        for v in obj.values():
            if isinstance(v, dict | list):
                found += find_rul(v, depth + 1)
    elif isinstance(obj, list):
        for v in obj[:50]:
            found += find_rul(v, depth + 1)
    return found


def _str(v: Any) -> str | None:
    return None if v is None else str(v)


def _parse_time(s: str) -> datetime | str:
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return s


def _layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": 15}}, margin={"l": 50, "r": 20, "t": 50, "b": 40}, height=360,
        template="plotly_white", hovermode="x unified", legend={"orientation": "h", "y": -0.18},
    )  # fmt: skip
    return fig


def series_figure(series: list[Series], lang: str, window: str = "") -> go.Figure:
    """An interactive time-series chart: values (and min/max band), alarm limits dashed, alarm periods shaded."""
    fig = go.Figure()
    for s in series:
        times = [_parse_time(x) for x in s.times]
        label = f"{s.name} [{s.unit}]" if s.unit else s.name
        if s.low and s.high:
            fig.add_trace(go.Scatter(x=times, y=s.high, mode="lines", line={"width": 0}, showlegend=False,
                                     hoverinfo="skip"))  # fmt: skip
            fig.add_trace(go.Scatter(x=times, y=s.low, mode="lines", line={"width": 0}, fill="tonexty",
                                     fillcolor="rgba(31,119,180,0.18)", name="min–max", hoverinfo="skip"))  # fmt: skip
        fig.add_trace(go.Scatter(x=times, y=s.values, mode="lines+markers" if len(times) < 60 else "lines",
                                 name=label, line={"width": 2}))  # fmt: skip
        for th in s.thresholds:
            fig.add_hline(y=th, line_dash="dash", line_color="#d62728",
                          annotation_text=t(lang, "chart_threshold", value=th, unit=s.unit))  # fmt: skip
        for p in s.periods:
            if p.get("start"):
                end = p.get("end") or (s.times[-1] if s.times else p["start"])
                fig.add_vrect(x0=_parse_time(str(p["start"])), x1=_parse_time(str(end)), fillcolor="#d62728",
                              opacity=0.15, line_width=0,
                              annotation_text=t(lang, "chart_alarm", code=p.get("code") or ""))  # fmt: skip
    first = series[0] if series else None
    short = "/".join(first.name.split("/")[-2:]) if first else ""
    title = t(lang, "chart_history_title", signal=short, window=f"<br><sup>{window}</sup>" if window else "")
    fig.update_yaxes(title_text=first.unit if first else "")
    return _layout(fig, title.replace(" — <br>", "<br>").rstrip(" —"))


def rul_figure(bands: list[RulBand], lang: str) -> go.Figure:
    """Remaining useful life per asset: the median with its uncertainty band (horizontal)."""
    fig = go.Figure()
    for b in bands:
        hours = 24.0 if b.unit == "d" else 1.0
        lo = (b.lower if b.lower is not None else b.median) * hours
        hi = (b.upper if b.upper is not None else b.median) * hours
        label = b.asset or "asset"
        fig.add_trace(go.Bar(y=[label], x=[hi - lo], base=[lo], orientation="h", marker_color="rgba(255,127,14,0.35)",
                             name=t(lang, "chart_rul_band"),
                             hovertext=[f"{lo:.0f}–{hi:.0f} h {b.earliest or ''} … {b.latest or ''}"]))  # fmt: skip
        fig.add_trace(go.Scatter(y=[label], x=[b.median * hours], mode="markers",
                                 marker={"size": 16, "color": "#d62728", "symbol": "diamond"},
                                 name=t(lang, "chart_rul_median"),
                                 hovertext=[f"{b.median * hours:.0f} h {b.predicted or ''}"]))  # fmt: skip
    fig.update_xaxes(title_text=t(lang, "chart_rul_axis"), rangemode="tozero")
    assets = ", ".join(b.asset for b in bands if b.asset)
    return _layout(fig, t(lang, "chart_rul_title", asset=assets))


def figure_for(tool_calls: list[dict[str, Any]], lang: str) -> go.Figure | None:
    """The chart an answer deserves, or None: remaining life first, else the time series found."""
    results = [c.get("result") for c in tool_calls]
    bands = [b for r in results for b in find_rul(r)]
    if bands:
        return rul_figure(bands, lang)
    series = [s for r in results for s in find_series(r)]
    if series:
        window = ""
        for c in tool_calls:
            w = (c.get("result") or {}).get("window") if isinstance(c.get("result"), dict) else None
            if isinstance(w, dict):
                window = str(w.get("meaning") or w.get("expression") or "")
            elif isinstance(c.get("result"), dict) and c["result"].get("start"):
                window = f"{c['result']['start']} – {c['result'].get('end', '')}"
        return series_figure(series[:6], lang, window)
    return None
