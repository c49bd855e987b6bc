"""Maintenance: bearing diagnosis, remaining useful life and the maintenance plan from the project's models,
fed with the plant's own data (OPC UA history and vibration waveforms). Answers say how sure the model is."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from assistant import answers
from assistant.contract import AskResult, Citation
from assistant.turn import Turn
from tools.opcua.catalog import Asset

HISTORY_DAYS = 2.0


def _fault(fault: str, turn: Turn) -> str:
    try:
        return turn.text(f"fault_{fault}")
    except KeyError:
        return fault.replace("_", " ")


def _date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "?"


async def _source(turn: Turn, assets: list[Asset]) -> Any:
    from tools.maintenance.opcua_source import prefetch

    return await turn.tool(
        "maintenance.fetch", {"assets": [a.display_name for a in assets], "days": HISTORY_DAYS},
        lambda: prefetch(turn.agent.adapter, assets, HISTORY_DAYS),
        lambda src: {"assets": [i.id for i in src.assets()]},
    )  # fmt: skip


async def _run(turn: Turn, name: str, args: dict[str, Any], fn: Any, *call_args: Any) -> Any:
    return await turn.tool(name, args, lambda: asyncio.to_thread(fn, *call_args, settings=turn.agent.settings),
                           lambda r: r.model_dump(mode="json"))  # fmt: skip


def _model_note(turn: Turn, model: Any) -> None:
    figures = ", ".join(f"{k}={v}" for k, v in list(model.validation.items())[:4])
    turn.citations.append(Citation(source=f"model {model.name} {model.version}", locator="validation", text=figures))


async def diagnose(turn: Turn, asset: Asset) -> AskResult:
    from tools.maintenance.tools import diagnose as run_diagnose

    source = await _source(turn, [asset])
    res = await _run(turn, "maintenance.diagnose", {"asset": asset.display_name}, run_diagnose, source,
                     asset.display_name)  # fmt: skip
    _model_note(turn, res.model)
    evidence = ", ".join(f"{e.line} {answers.format_number(e.found_hz, turn.lang)} Hz" for e in res.evidence[:3])
    return turn.result(turn.text(
        "diagnosis", asset=asset.display_name, fault=_fault(res.fault, turn),
        confidence=answers.format_number(round(100 * res.confidence), turn.lang), evidence=evidence or "—",
        rms=answers.format_number(res.velocity_rms_mm_s, turn.lang), model=f"{res.model.name} {res.model.version}",
    ))  # fmt: skip


async def remaining_life(turn: Turn, asset: Asset) -> AskResult:
    from tools.maintenance.tools import remaining_useful_life

    source = await _source(turn, [asset])
    res = await _run(turn, "maintenance.rul", {"asset": asset.display_name}, remaining_useful_life, source,
                     asset.display_name)  # fmt: skip
    if res.status != "degrading" or res.rul_hours is None:
        return turn.result(turn.text("rul_healthy", asset=asset.display_name))
    days = lambda h: answers.format_number(round(h / 24.0, 1), turn.lang)  # noqa: E731
    return turn.result(turn.text(
        "rul", asset=asset.display_name, fault=_fault(res.fault, turn), days=days(res.rul_hours),
        low=days(res.rul_hours_low or res.rul_hours), high=days(res.rul_hours_high or res.rul_hours),
        band=round(100 * res.band), date=_date(res.predicted_failure), earliest=_date(res.failure_earliest),
    ))  # fmt: skip
