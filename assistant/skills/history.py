"""History: statistics and threshold periods of a signal over a time window the question names.

The historian (DuckDB/ClickHouse, filled by the collector) answers when it holds the signal; otherwise the plant's
own OPC UA HistoryRead does (statistics computed here). Every answer states the exact window, the unit and the
number of samples. A downsampled series is fetched along so the UI can draw the chart.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from assistant import answers
from assistant.contract import AskResult, Citation
from assistant.errors import OperatorError
from assistant.skills.live import label, pick_signal
from assistant.turn import Turn
from tools.opcua.catalog import Asset, Signal

_ABOVE = re.compile(r"\b(above|over|exceed\w*|higher than|more than|über|oberhalb|größer als|mehr als|au-dessus|"
                    r"supérieur|por encima|superior|sopra|superiore)\b", re.IGNORECASE)  # fmt: skip
_BELOW = re.compile(r"\b(below|under|lower than|less than|unter|unterhalb|kleiner als|weniger als|en dessous|"
                    r"inférieur|por debajo|inferior|sotto)\b", re.IGNORECASE)  # fmt: skip
_NUMBER = re.compile(r"(?<![\w-])(\d+(?:[.,]\d+)?)\s*(°\s?[CF]|bar|mbar|mm/s|rpm|kW|%|A|m³/h|m/s|degrees?|grad)?",
                     re.IGNORECASE)  # fmt: skip


def _window_expression(turn: Turn) -> str:
    from tools.historian.timewindow import window_from

    for text in (turn.question, turn.slots.context_question if turn.slots else ""):
        if not text:
            continue
        try:
            window_from(text, turn.agent.settings.plant)
            return text
        except OperatorError:
            continue
    return "last hour"


def _fmt(value: float | None, turn: Turn) -> str:
    return answers.format_number(float(value), turn.lang) if value is not None else "—"


def threshold_of(question: str) -> tuple[float, str] | None:
    """The limit a question asks about ('über 80 °C', 'below 6 bar') and its direction."""
    direction = "below" if _BELOW.search(question) else "above" if _ABOVE.search(question) else None
    if direction is None:
        return None
    numbers = [m for m in _NUMBER.finditer(question) if m.group(2) or direction]
    # the number right after the direction word is the limit; asset codes (P-101) are excluded by the pattern
    anchor = (_BELOW if direction == "below" else _ABOVE).search(question)
    after = [m for m in numbers if anchor and m.start() > anchor.start()]
    chosen = (after or numbers or [None])[0]
    if chosen is None:
        return None
    return float(chosen.group(1).replace(",", ".")), direction


async def _historian_call(turn: Turn, name: str, args: dict[str, Any]) -> dict[str, Any] | None:
    """Run one historian tool; None when there is no historian or it does not hold the signal."""
    historian = turn.agent.historian
    if historian is None:
        return None
    from tools.historian.queries import run_tool
    from tools.historian.store import UnknownHistorianSignal

    try:
        return await turn.tool(name, args, lambda: _to_thread(run_tool, historian, name, args))
    except UnknownHistorianSignal:
        return None


async def _to_thread(fn: Any, *args: Any) -> Any:
    import asyncio

    return await asyncio.to_thread(fn, *args)


async def _opcua_stats(turn: Turn, asset: Asset, signal: Signal, expression: str) -> dict[str, Any]:
    """Statistics from the server's own history when the historian does not hold the signal."""
    from tools.historian.timewindow import window_from

    w = window_from(expression, turn.agent.settings.plant)
    hist = await turn.tool(
        "opcua.history", {"node_id": signal.node_id, "start": w.start.isoformat(), "end": w.end.isoformat()},
        lambda: turn.agent.adapter.history(signal, asset.endpoint, w.start, w.end),
        lambda h: {"points": len(h.points), "complete": h.complete, "unit": h.unit, "start": h.start, "end": h.end,
                   "series": [{"time": p.time, "value": p.value} for p in h.points[:: max(1, len(h.points) // 300)]]},
    )  # fmt: skip
    values = [float(p.value) for p in hist.points if isinstance(p.value, int | float)]
    stats = {"samples": len(values), "unit": signal.unit,
             "window": {"start": w.start.isoformat(), "end": w.end.isoformat(), "meaning": w.meaning}}  # fmt: skip
    if values:
        stats.update(min=min(values), max=max(values), avg=sum(values) / len(values))
    turn.calls[-1].result.update({k: stats.get(k) for k in ("min", "max", "avg", "samples")})
    return stats


def _when(iso: str, lang: str) -> str:
    return answers.format_time(datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%SZ"))


async def history_stats(turn: Turn, asset: Asset) -> AskResult:
    picked = pick_signal(turn, asset)
    if isinstance(picked, AskResult):
        return picked
    key = "/".join(picked.path)
    expression = _window_expression(turn)
    stats = await _historian_call(turn, "historian.stats", {"signal": key, "window": expression})
    source = "historian"
    if stats is None:
        stats, source = await _opcua_stats(turn, asset, picked, expression), f"OPC UA HistoryRead {asset.endpoint}"
    else:
        await _historian_call(turn, "historian.downsample", {"signal": key, "window": expression, "interval": "auto"})
    window = stats["window"]
    fields = dict(quantity=label(turn, picked), asset=asset.display_name, signal=picked.display_name,
                  start=_when(window["start"], turn.lang), end=_when(window["end"], turn.lang))  # fmt: skip
    if not stats.get("samples"):
        return turn.result(turn.text("history_none", **fields))
    turn.citations.append(Citation(source=source, locator=f"{key} {window['start']} – {window['end']}",
                                   text=f"{stats['samples']} samples, unit {picked.unit}"))  # fmt: skip
    return turn.result(turn.text(
        "history_stats", avg=_fmt(stats["avg"], turn), min=_fmt(stats["min"], turn), max=_fmt(stats["max"], turn),
        unit=picked.unit, count=stats["samples"], source=source, **fields,
    ))  # fmt: skip


async def threshold_periods(turn: Turn, asset: Asset) -> AskResult:
    limit = threshold_of(turn.question)
    if limit is None:
        return await history_stats(turn, asset)
    picked = pick_signal(turn, asset)
    if isinstance(picked, AskResult):
        return picked
    key = "/".join(picked.path)
    expression = _window_expression(turn)
    threshold, direction = limit
    res = await _historian_call(
        turn,
        "historian.threshold_periods",
        {"signal": key, "window": expression, "threshold": threshold, "direction": direction},
    )
    if res is None:
        return turn.result(turn.text("history_unavailable", asset=asset.display_name, signal=picked.display_name),
                           "refusal")  # fmt: skip
    window = res["window"]
    fields = dict(quantity=label(turn, picked), asset=asset.display_name, threshold=_fmt(threshold, turn),
                  unit=picked.unit, start=_when(window["start"], turn.lang), end=_when(window["end"], turn.lang),
                  direction=turn.text(f"dir_{direction}"))  # fmt: skip
    turn.citations.append(Citation(source="historian", locator=f"{key} {window['start']} – {window['end']}",
                                   text=f"{res['samples']} samples, {res['period_count']} periods"))  # fmt: skip
    if not res["period_count"]:
        return turn.result(turn.text("threshold_none", **fields))
    longest = res["longest"]
    return turn.result(turn.text(
        "threshold_periods", count=res["period_count"], total=_duration(res["total_duration_s"], turn),
        longest_start=_when(longest["start"], turn.lang), longest=_duration(longest["duration_s"], turn), **fields,
    ))  # fmt: skip


def _duration(seconds: float, turn: Turn) -> str:
    minutes = seconds / 60.0
    if minutes < 120:
        return f"{answers.format_number(round(minutes), turn.lang)} min"
    return f"{answers.format_number(round(minutes / 60.0, 1), turn.lang)} h"
