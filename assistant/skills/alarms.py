"""Alarms: the standing alarms of the plant or of one asset, from the OPC UA event history."""

from __future__ import annotations

from assistant import answers
from assistant.contract import AskResult, Citation
from assistant.turn import Turn
from tools.opcua.catalog import Asset


async def active_alarms(turn: Turn, asset: Asset | None) -> AskResult:
    adapter = turn.agent.adapter
    names = (asset.display_name, asset.browse_name) if asset else None

    async def standing() -> list:  # type: ignore[type-arg]
        found = await adapter.active_alarms()
        return [a for a in found if names is None or a.source in names]

    alarms = await turn.tool("opcua.active_alarms", {"asset": asset.display_name if asset else None}, standing,
                             lambda rs: {"count": len(rs), "alarms": [r.to_dict() for r in rs]})  # fmt: skip
    scope = turn.text("scope_asset", asset=asset.display_name) if asset else ""
    if not alarms:
        return turn.result(turn.text("alarms_none", scope=scope))
    german = turn.lang == "de"
    items = []
    for a in alarms[:8]:
        message = a.fields.get("MessageDE") if german and a.fields.get("MessageDE") else a.message
        # the message usually starts with the code and ends with the asset; say each once
        message = message.removeprefix(a.code or "").replace(f"({a.source})", "").strip()
        items.append(
            turn.text(
                "alarm_item",
                code=a.code or "",
                message=message,
                source=a.source,
                time=answers.format_time(a.time),
                severity=a.severity,
                state=a.state or "",
            )
        )
        turn.citations.append(
            Citation(source="OPC UA events", locator=f"{a.source} {a.code} @ {a.time}", text=a.message)
        )
    return turn.result(turn.text("alarms_active", count=len(alarms), scope=scope, items="; ".join(items)))
