"""Live values: read the asked signal of one asset (or of several, to compare them) from OPC UA."""

from __future__ import annotations

from typing import Any

from assistant import answers
from assistant.contract import AskResult, Citation
from assistant.errors import OperatorError, UnknownSignal
from assistant.turn import Turn
from tools.opcua.catalog import Asset, Signal
from tools.opcua.reading import Reading
from tools.opcua.resolve import SignalMatch, resolve_signal, signal_quantity
from tools.units import convert, target_unit


def pick_signal(turn: Turn, asset: Asset) -> Signal | AskResult:
    """The signal the question means on ``asset``, or a clarifying question when several fit equally."""
    ranked: list[SignalMatch] = resolve_signal(turn.signal_text, asset)
    if not ranked:
        raise UnknownSignal(
            turn.text(
                "unknown_signal", asset=asset.display_name, options=", ".join(s.display_name for s in asset.signals)
            )
        )
    tied = [m.signal.display_name for m in ranked if m.score >= ranked[0].score - 1e-6]
    if len(tied) > 1:
        return turn.result(
            turn.text("clarify_signal", asset=asset.display_name, options=", ".join(tied)), "clarification"
        )
    return ranked[0].signal


async def read(turn: Turn, asset: Asset, signals: list[Signal]) -> list[Reading]:
    return await turn.tool(
        "opcua.read", {"node_ids": [s.node_id for s in signals], "endpoint": asset.endpoint},
        lambda: turn.agent.adapter.read(signals, asset.endpoint), lambda rs: [r.to_dict() for r in rs],
    )  # fmt: skip


def cite(turn: Turn, asset: Asset, reading: Reading) -> None:
    turn.citations.append(Citation(
        source=asset.endpoint, locator=f"{reading.stable_id} @ {reading.source_timestamp}",
        text=f"{reading.path} = {reading.value} {reading.unit}".strip(),
    ))  # fmt: skip


def label(turn: Turn, signal: Signal) -> str:
    return answers.quantity_label(signal_quantity(signal), signal.display_name, turn.lang)


async def current_value(turn: Turn, asset: Asset) -> AskResult:
    picked = pick_signal(turn, asset)
    if isinstance(picked, AskResult):
        return picked
    reading = (await read(turn, asset, [picked]))[0]
    fields = dict(
        quantity=label(turn, picked),
        asset=asset.display_name,
        node=reading.stable_id,
        endpoint=asset.endpoint,
        time=answers.format_time(reading.source_timestamp),
        status=reading.status,
    )
    if not reading.good:
        return turn.result(turn.text("bad_status", **fields))
    cite(turn, asset, reading)
    value = answers.format_value(reading.value, turn.lang)
    if isinstance(reading.value, bool) or not reading.unit:
        return turn.result(turn.text("current_state", value=value, **fields))
    target = target_unit(turn.question)
    if target is not None and isinstance(reading.value, int | float) and target.symbol != reading.unit:
        try:
            converted = await turn.tool(
                "units.convert", {"value": reading.value, "from": reading.unit, "to": target.pint},
                lambda: _async(convert, float(reading.value), reading.unit, target.pint),
                lambda v: {"value": v, "unit": target.symbol},
            )  # fmt: skip
        except OperatorError:
            return turn.result(turn.text("unit_not_convertible", value=value, unit=reading.unit,
                                         target=target.symbol, **fields))  # fmt: skip
        return turn.result(turn.text("current_value_converted", value=value, unit=reading.unit, target=target.symbol,
                                     converted=answers.format_value(converted, turn.lang), **fields))  # fmt: skip
    return turn.result(turn.text("current_value", value=value, unit=reading.unit, **fields))


async def _async(fn: Any, *args: Any) -> Any:
    return fn(*args)


async def compare(turn: Turn, assets: list[Asset]) -> AskResult:
    """The same quantity on several assets, read in one batch per endpoint."""
    items, first_time, quantity = [], None, None
    numbers: list[tuple[float, str, str]] = []  # (value, asset, unit) of the numeric readings
    for asset in assets:
        picked = pick_signal(turn, asset)
        if isinstance(picked, AskResult):
            return picked
        reading = (await read(turn, asset, [picked]))[0]
        if not reading.good:
            continue
        cite(turn, asset, reading)
        quantity = quantity or label(turn, picked)
        first_time = first_time or reading.source_timestamp
        if isinstance(reading.value, int | float) and not isinstance(reading.value, bool):
            numbers.append((float(reading.value), asset.display_name, reading.unit))
        items.append(
            turn.text(
                "compare_item",
                asset=asset.display_name,
                value=answers.format_value(reading.value, turn.lang),
                unit=reading.unit,
            ).strip()
        )
    answer = turn.text("compare_values", quantity=quantity or "", items="; ".join(items),
                       time=answers.format_time(first_time))  # fmt: skip
    if len(numbers) >= 2 and len({u for _, _, u in numbers}) == 1:  # "which is hottest?": say it
        (lo, lo_asset, unit), (hi, hi_asset, _) = min(numbers), max(numbers)
        if hi > lo:
            answer += (
                " "
                + turn.text(
                    "compare_extremes",
                    high=hi_asset,
                    high_value=answers.format_value(hi, turn.lang),
                    low=lo_asset,
                    low_value=answers.format_value(lo, turn.lang),
                    unit=unit,
                ).strip()
            )
    return turn.result(answer)
