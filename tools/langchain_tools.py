"""Every assistant tool as a LangChain ``StructuredTool`` with a typed schema, for use in any LangChain agent.

The tools wrap the same adapters the assistant uses (OPC UA catalog, reads, history, alarms); results are plain
JSON-able dicts with units, timestamps and node ids. Writes are not offered here: they need a human confirmation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.errors import OperatorError, UnknownAsset, UnknownSignal
from tools.opcua.adapter import OpcUaAdapter
from tools.opcua.catalog import Asset, Signal
from tools.opcua.resolve import resolve_assets, resolve_signal


class FindAssetsInput(BaseModel):
    query: str = Field(description="the operator's words for the asset, in any language", max_length=200)


class ReadValueInput(BaseModel):
    asset: str = Field(description="asset name or code as the operator said it", max_length=100)
    signal: str = Field(description="what to read: a quantity word or the signal's name", max_length=100)


class HistoryInput(ReadValueInput):
    hours: float = Field(1.0, gt=0, le=24 * 31, description="how many hours back from now")
    max_values: int = Field(500, gt=0, le=10_000)


class AlarmsInput(BaseModel):
    asset: str | None = Field(None, description="restrict to one asset", max_length=100)


def _resolve(assets: list[Asset], asset_words: str, signal_words: str) -> tuple[Asset, Signal]:
    res = resolve_assets(asset_words, assets)
    if res.best is None:
        raise UnknownAsset(f"no asset matches {asset_words!r}")
    ranked = resolve_signal(f"{signal_words} {asset_words}", res.best.asset)
    if not ranked:
        raise UnknownSignal(f"{res.best.asset.display_name} has no signal matching {signal_words!r}")
    return res.best.asset, ranked[0].signal


def langchain_tools(settings: Settings, adapter: OpcUaAdapter | None = None) -> list[StructuredTool]:
    """The assistant's read tools as LangChain StructuredTools (async; errors come back as {"error": ...})."""
    adapter = adapter or OpcUaAdapter(settings)

    async def guarded(coro: Any) -> Any:
        try:
            return await coro
        except OperatorError as exc:
            return {"error": exc.message}

    async def find_assets(query: str) -> Any:
        async def run() -> Any:
            res = resolve_assets(query, await adapter.assets())
            return [{"asset": m.asset.display_name, "path": m.asset.path_text, "score": m.score, "why": m.why}
                    for m in res.assets]  # fmt: skip

        return await guarded(run())

    async def read_value(asset: str, signal: str) -> Any:
        async def run() -> Any:
            a, s = _resolve(await adapter.assets(), asset, signal)
            return (await adapter.read([s], a.endpoint))[0].to_dict()

        return await guarded(run())

    async def read_history(asset: str, signal: str, hours: float = 1.0, max_values: int = 500) -> Any:
        async def run() -> Any:
            a, s = _resolve(await adapter.assets(), asset, signal)
            end = datetime.now(UTC)
            hist = await adapter.history(s, a.endpoint, end - timedelta(hours=hours), end, max_values)
            return hist.to_dict()

        return await guarded(run())

    async def active_alarms(asset: str | None = None) -> Any:
        async def run() -> Any:
            found = await adapter.active_alarms()
            return [a.to_dict() for a in found if asset is None or asset in (a.source,)]

        return await guarded(run())

    from tools.kpi.langchain import kpi_langchain_tools

    return [
        StructuredTool.from_function(coroutine=find_assets, name="opcua_find_assets", args_schema=FindAssetsInput,
                                     description="Find plant assets matching the operator's words, ranked."),
        StructuredTool.from_function(coroutine=read_value, name="opcua_read_value", args_schema=ReadValueInput,
                                     description="Read the live value of one signal of an asset, with unit, "
                                                 "status, source timestamp and node id."),
        StructuredTool.from_function(coroutine=read_history, name="opcua_read_history", args_schema=HistoryInput,
                                     description="Raw history of one signal over the last hours (bounded)."),
        StructuredTool.from_function(coroutine=active_alarms, name="opcua_active_alarms", args_schema=AlarmsInput,
                                     description="Alarms still standing, with code, severity, message and time."),
        *kpi_langchain_tools(settings, adapter),
    ]  # fmt: skip
