"""The KPI tools as LangChain ``StructuredTool``s (typed schemas from ``models.py``), over the configured historian.

Results are the same JSON-ready dicts the agent records: window, scope, machines with their signals, formula inputs
and units. Errors come back as ``{"error": ...}``. Without collected history the tools say so.
"""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.tools import StructuredTool

from assistant.config import Settings
from assistant.errors import OperatorError
from tools.kpi.models import KpiInput, OeeInput, TopAlarmsInput
from tools.opcua.adapter import OpcUaAdapter


def kpi_langchain_tools(settings: Settings, adapter: OpcUaAdapter, historian: Any = None) -> list[StructuredTool]:
    box: dict[str, Any] = {"historian": historian}

    def tools() -> Any:
        from tools.historian import open_store
        from tools.historian.queries import Historian
        from tools.kpi.queries import KpiTools

        if box["historian"] is None:
            box["historian"] = Historian(open_store(settings, read_only=True), settings)
        return KpiTools(box["historian"])

    async def run(name: str, **arguments: Any) -> Any:
        from tools.kpi.queries import run_kpi

        try:
            kt = tools()
            if name == "kpi.top_alarms":
                w = kt.window(arguments.get("window", "last shift"))
                records = await adapter.events(w.start, w.end, 5000)
                return await asyncio.to_thread(run_kpi, kt, name, arguments, lambda: records)
            return await asyncio.to_thread(run_kpi, kt, name, arguments)
        except OperatorError as exc:
            return {"error": exc.message}

    async def oee(scope: str = "", window: str = "last shift", ideal_cycle_s: float | None = None) -> Any:
        return await run("kpi.oee", scope=scope, window=window, ideal_cycle_s=ideal_cycle_s)

    async def downtime(scope: str = "", window: str = "last shift") -> Any:
        return await run("kpi.downtime", scope=scope, window=window)

    async def reliability(scope: str = "", window: str = "last shift") -> Any:
        return await run("kpi.reliability", scope=scope, window=window)

    async def energy(scope: str = "", window: str = "last shift") -> Any:
        return await run("kpi.energy", scope=scope, window=window)

    async def top_alarms(scope: str = "", window: str = "last shift", limit: int = 5) -> Any:
        return await run("kpi.top_alarms", scope=scope, window=window, limit=limit)

    def tool(fn: Any, name: str, schema: type, description: str) -> StructuredTool:
        return StructuredTool.from_function(coroutine=fn, name=name, args_schema=schema, description=description)

    return [
        tool(oee, "kpi_oee", OeeInput, "OEE with availability, performance and quality of a line, area, asset or "
             "the plant over a shift or window, with formula inputs (planned/run time, good/scrap parts) and units."),
        tool(downtime, "kpi_downtime", KpiInput, "Unplanned stops with reasons, start, duration; totals by reason."),
        tool(reliability, "kpi_mtbf_mttr", KpiInput, "MTBF and MTTR from the machines' fault stops in a window."),
        tool(energy, "kpi_energy", KpiInput, "Energy in kWh (meters or integrated power) and kWh per good part."),
        tool(top_alarms, "kpi_top_alarms", TopAlarmsInput, "Most frequent and longest alarms in a window."),
    ]  # fmt: skip
