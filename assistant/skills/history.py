"""History: statistics and threshold periods of a signal over a time window the question names.

The historian (DuckDB/ClickHouse, filled by the collector) answers when it holds the signal; otherwise the plant's
own OPC UA HistoryRead does (statistics computed here). Every answer states the exact window, the unit and the
number of samples. A downsampled series is fetched along so the UI can draw the chart.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any

import numpy as np

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


def window_expression(turn: Turn, default: str = "last hour") -> str:
    """The time expression the question (or the earlier question a follow-up leans on) names, else ``default``."""
    from tools.historian.timewindow import window_from

    for text in (turn.question, turn.slots.context_question if turn.slots else ""):
        if not text:
            continue
        try:
            window_from(text, turn.agent.settings.plant)
            return text
        except OperatorError:
            continue
    return default


def _fmt(value: float | None, turn: Turn) -> str:
    return answers.format_number(float(value), turn.lang) if value is not None else "—"


_TIME_UNIT = re.compile(
    r"\s*(h|hours?|hrs?|min(utes?)?|days?|weeks?|months?|std|stunden?|minuten?|tagen?|wochen?|"
    r"heures?|jours?|semaines?|horas?|d[ií]as?|semanas?|ore|giorni|settimane)\b",
    re.IGNORECASE,
)


def threshold_of(question: str) -> tuple[float, str] | None:
    """The limit a question asks about ('über 80 °C', 'below 6 bar') and its direction.

    The limit is the first number after a direction word that is not a duration: "over the last 8 hours" names
    a window, not a limit."""
    for pattern, direction in ((_BELOW, "below"), (_ABOVE, "above")):
        for anchor in pattern.finditer(question):
            for m in _NUMBER.finditer(question, anchor.end()):
                if _TIME_UNIT.match(question, m.end(1)):
                    break  # a duration: this direction word belongs to the window
                if question[anchor.end() : m.start()].count(" ") > 4:
                    break
                return float(m.group(1).replace(",", ".")), direction
    return None


async def _historian_call(turn: Turn, name: str, args: dict[str, Any]) -> dict[str, Any] | None:
    """Run one historian tool; None when there is no historian or it does not hold the signal."""
    historian = turn.agent.historian
    if historian is None:
        return None
    from tools.historian.queries import run_tool
    from tools.historian.store import UnknownHistorianSignal

    try:
        return await turn.tool(name, args, lambda: asyncio.to_thread(run_tool, historian, name, args))
    except UnknownHistorianSignal:
        return None


async def _server_history(turn: Turn, asset: Asset, signal: Signal, expression: str) -> Any:
    """The historian's query tools over the plant's own HistoryRead: the window's points go into a scratch
    in-memory store, so answers from either source are computed by the same code."""
    from tools.historian.duckdb_store import DuckDBStore
    from tools.historian.queries import Historian
    from tools.historian.store import SampleBatch, SignalMeta
    from tools.historian.timewindow import window_from

    cache = turn.scratch.setdefault("server_history", {})
    key = (signal.node_id, expression)
    if key in cache:
        return cache[key]
    w = window_from(expression, turn.agent.settings.plant)
    hist = await turn.tool(
        "opcua.history", {"node_id": signal.node_id, "start": w.start.isoformat(), "end": w.end.isoformat()},
        lambda: turn.agent.adapter.history(signal, asset.endpoint, w.start, w.end),
        lambda h: {"points": len(h.points), "complete": h.complete, "unit": h.unit, "start": h.start, "end": h.end},
    )  # fmt: skip
    numeric = [(p.time, float(p.value)) for p in hist.points if isinstance(p.value, int | float)]
    store = DuckDBStore(":memory:")
    store.ensure_schema()
    meta = SignalMeta(key="/".join(signal.path), stable_id=signal.stable_id, node_id=signal.node_id,
                      endpoint=asset.endpoint, unit=signal.unit, description=signal.description,
                      asset_path=asset.path_text, data_type=signal.data_type)  # fmt: skip
    sid = store.register_signals([meta])[meta.key]
    if numeric:
        ts = np.array([datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1000 for t, _ in numeric])
        values = np.array([v for _, v in numeric])
        store.write(SampleBatch.numeric(ts.astype(np.int64), np.full(len(ts), sid), values))
    cache[key] = Historian(store, turn.agent.settings)
    return cache[key]


async def _history_tool(
    turn: Turn, asset: Asset, signal: Signal, name: str, args: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """One historian tool for ``signal``: from the historian when it holds the signal, else over the server's own
    history. Returns the result and the source to cite."""
    result = await _historian_call(turn, name, args)
    if result is not None:
        return result, "historian"
    from tools.historian.queries import run_tool

    scratch = await _server_history(turn, asset, signal, args["window"])
    result = await turn.tool(name, {**args, "source": "opcua.history"},
                             lambda: asyncio.to_thread(run_tool, scratch, name, args))  # fmt: skip
    return result, f"OPC UA HistoryRead {asset.endpoint}"


def _when(iso: str, lang: str) -> str:
    return answers.format_time(datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%SZ"))


async def history_stats(turn: Turn, asset: Asset) -> AskResult:
    picked = pick_signal(turn, asset)
    if isinstance(picked, AskResult):
        return picked
    key = "/".join(picked.path)
    expression = window_expression(turn)
    stats, source = await _history_tool(turn, asset, picked, "historian.stats", {"signal": key, "window": expression})
    await _history_tool(turn, asset, picked, "historian.downsample",
                        {"signal": key, "window": expression, "interval": "auto"})  # fmt: skip
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
    expression = window_expression(turn)
    threshold, direction = limit
    res, source = await _history_tool(
        turn, asset, picked, "historian.threshold_periods",
        {"signal": key, "window": expression, "threshold": threshold, "direction": direction},
    )  # fmt: skip
    window = res["window"]
    fields = dict(quantity=label(turn, picked), asset=asset.display_name, threshold=_fmt(threshold, turn),
                  unit=picked.unit, start=_when(window["start"], turn.lang), end=_when(window["end"], turn.lang),
                  direction=turn.text(f"dir_{direction}"))  # fmt: skip
    turn.citations.append(Citation(source=source, locator=f"{key} {window['start']} – {window['end']}",
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
