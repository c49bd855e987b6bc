"""Production KPIs through the agent: OEE with its factors, downtime with reasons, MTBF/MTTR, energy per part and
top alarms — for a line, area or asset the question names (resolved against the browsed hierarchy) and a window
(a shift, 'yesterday', 'this shift'; the last shift when none is named).

The KPI tools (``tools/kpi``) run over the historian; the answer states the window, the formula inputs and units,
and cites the signals it rests on. Where a KPI cannot be computed (no counters on that line, no data in the shift,
an unknown shift name) the answer says what is missing — never a figure.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from assistant import answers
from assistant.contract import AskResult, Citation
from assistant.errors import OperatorError
from assistant.turn import Turn

KPI_INTENTS = frozenset({"kpi_oee", "kpi_downtime", "kpi_reliability", "kpi_energy", "kpi_alarms"})
DEFAULT_WINDOW = "last shift"


def handles(turn: Turn) -> str | None:
    """The KPI intent of this turn, or None.

    A KPI intent counts when the router is confident, or when a follow-up inherits it. An unsure KPI guess is handed
    back: the slots are planned again from the router's best other intent, as if KPIs were not there.
    """
    slots = turn.slots
    route = turn.route
    if slots is None or route is None:
        return None
    if slots.intent in KPI_INTENTS:
        if route.confident or slots.source != "router" or _names_a_level(turn):
            return slots.intent
        _replan_without_kpi(turn)
        return None
    # the rails turn a question about no asset into a document search, and one with a number and a time into
    # threshold periods; a KPI question about a line is neither (lines are not assets)
    if (
        route.intent in KPI_INTENTS
        and route.confident
        and slots.source == "router"
        and slots.intent in ("documents", "threshold_periods")
    ):
        return route.intent
    return None


def _names_a_level(turn: Turn) -> bool:
    """The question names a line or an area (not an asset): only the KPI skill answers about those."""
    from tools.kpi.discovery import find_scopes

    paths = ["/".join(a.path) for a in turn.assets]
    return any(hit not in paths for hit in find_scopes(turn.question, paths))


def _replan_without_kpi(turn: Turn) -> None:
    from assistant.planner import slots_from_rails
    from assistant.router import Route

    assert turn.route is not None and turn.slots is not None
    ranking = [(i, s) for i, s in turn.route.ranking if i not in KPI_INTENTS]
    if not ranking:
        return
    margin = ranking[0][1] - ranking[1][1] if len(ranking) > 1 else ranking[0][1]
    route = Route(ranking[0][0], ranking[0][1], round(margin, 4), ranking)
    again = slots_from_rails(turn.question, route, turn.assets, None, turn.agent.settings.plant)
    for name in ("intent", "assets", "ambiguous", "quantities"):
        setattr(turn.slots, name, getattr(again, name))


def scope_of(turn: Turn) -> str:
    """The hierarchy path the question names ('line 1' → …/Line1), an asset's path, or '' for the plant."""
    from tools.kpi.discovery import find_scopes

    paths = ["/".join(a.path) for a in turn.assets]
    for text in (turn.question, turn.slots.context_question if turn.slots else ""):
        hits = find_scopes(text, paths) if text else []
        if hits:
            return hits[0]
    if turn.slots and turn.slots.assets:
        return "/".join(turn.slots.assets[0].path)
    return ""


def window_of(turn: Turn) -> str:
    """The question's time expression (unknown shift names raise), else the last shift."""
    from assistant.skills.history import window_expression
    from tools.kpi.shifts import check_shift_words

    check_shift_words(turn.question, turn.agent.settings.plant)
    return window_expression(turn, DEFAULT_WINDOW)


def _pct(x: float | None) -> float | None:
    return None if x is None else round(x * 100.0, 1)


def _num(x: float | None, turn: Turn) -> str:
    return answers.format_number(float(x), turn.lang) if x is not None else "—"


def duration(seconds: float | None, turn: Turn) -> str:
    if seconds is None:
        return "—"
    minutes = seconds / 60.0
    if minutes < 120:
        return f"{answers.format_number(round(minutes), turn.lang)} min"
    return f"{answers.format_number(round(minutes / 60.0, 1), turn.lang)} h"


def when(iso: str) -> str:
    return answers.format_time(datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%SZ"))


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    """The tool result as recorded: all figures, plus percentages and minutes as the answer words them."""
    out = dict(result)
    extra: dict[str, Any] = {}
    for key in ("total",):
        t = result.get(key) or {}
        for k in ("oee", "availability", "performance", "quality"):
            if t.get(k) is not None:
                extra[f"{k}_pct"] = _pct(t[k])
        for k in ("run_time_s", "planned_time_s", "downtime_s", "mtbf_s", "mttr_s", "repair_time_s"):
            if t.get(k) is not None:
                extra[k.replace("_s", "_min")] = round(t[k] / 60.0, 1)
                extra[k.replace("_s", "_h")] = round(t[k] / 3600.0, 1)
    for k in ("downtime_s", "planned_time_s"):
        if result.get(k) is not None:
            extra[k.replace("_s", "_min")] = round(result[k] / 60.0, 1)
            extra[k.replace("_s", "_h")] = round(result[k] / 3600.0, 1)
    lists = [result.get(k) for k in ("by_reason", "events", "by_count", "by_duration")]
    for item in [x for items in lists if isinstance(items, list) for x in items]:
        if "duration_s" in item:
            item["duration_min"] = round(item["duration_s"] / 60.0, 1)
            item["duration_h"] = round(item["duration_s"] / 3600.0, 1)
    for a in result.get("assets") or []:
        if a.get("oee") is not None:
            a["oee_pct"] = _pct(a["oee"])
    events = result.get("events")
    extra["events_count"] = len(events) if isinstance(events, list) else events
    extra["machines_count"] = len(result.get("machines") or [])
    out["display"] = extra
    return out


async def call_kpi(turn: Turn, name: str, args: dict[str, Any]) -> dict[str, Any] | None:
    """Run one KPI tool through the turn (recorded and logged); None when there is no historian."""
    historian = turn.agent.historian
    if historian is None:
        return None
    from tools.kpi.queries import KpiTools, run_kpi

    tools = KpiTools(historian)
    events = None
    if name == "kpi.top_alarms":
        from tools.historian.timewindow import window_from

        w = window_from(args["window"], turn.agent.settings.plant)
        records = await turn.tool("opcua.events", {"start": w.start.isoformat(), "end": w.end.isoformat()},
                                  lambda: turn.agent.adapter.events(w.start, w.end, 5000),
                                  lambda r: {"events": len(r)})  # fmt: skip

        def events() -> list[Any]:
            return records

    result: dict[str, Any] = await turn.tool(
        name, args, lambda: asyncio.to_thread(run_kpi, tools, name, args, events), _summary
    )
    return result


def _cite(turn: Turn, result: dict[str, Any], what: str) -> None:
    w = result["window"]
    keys = sorted({k for m in result.get("machines", []) for k in m.get("signals", {}).values()})
    shown = ", ".join(keys[:6]) + (f" (+{len(keys) - 6})" if len(keys) > 6 else "")
    turn.citations.append(Citation(source="historian", locator=f"{shown or result['scope']} {w['start']} – {w['end']}",
                                   text=what))  # fmt: skip


async def answer(turn: Turn, intent: str) -> AskResult:
    try:
        scope, window = scope_of(turn), window_of(turn)
        tool = {"kpi_oee": "kpi.oee", "kpi_downtime": "kpi.downtime", "kpi_reliability": "kpi.reliability",
                "kpi_energy": "kpi.energy", "kpi_alarms": "kpi.top_alarms"}[intent]  # fmt: skip
        result = await call_kpi(turn, tool, {"scope": scope, "window": window})
    except OperatorError as exc:
        return turn.result(turn.text("kpi_missing", what=exc.message), "refusal")
    if result is None:
        return turn.result(turn.text("kpi_no_historian"), "refusal")
    w = result["window"]
    scope_name = turn.text("kpi_plant") if result["scope"] == "plant" else result["scope"].rsplit("/", 1)[-1]
    fields = {"scope": scope_name, "start": when(w["start"]), "end": when(w["end"])}
    compose = {"kpi.oee": _oee, "kpi.downtime": _downtime, "kpi.reliability": _reliability,
               "kpi.energy": _energy, "kpi.top_alarms": _alarms}[tool]  # fmt: skip
    return compose(turn, result, fields)


def _missing(turn: Turn, result: dict[str, Any], fields: dict[str, Any]) -> AskResult:
    what = "; ".join(result.get("missing") or []) or turn.text("kpi_nothing")
    return turn.result(turn.text("kpi_missing", what=what, **fields), "answer")


def _oee(turn: Turn, r: dict[str, Any], fields: dict[str, Any]) -> AskResult:
    t = r["total"]
    if t.get("oee") is None and (r.get("missing") or t.get("availability") is None):
        return _missing(turn, r, fields)
    _cite(turn, r, f"OEE inputs: planned {t.get('planned_time_s')} s, run {t.get('run_time_s')} s, "
                   f"good {t.get('good_parts')}, scrap {t.get('scrap_parts')}")  # fmt: skip
    worst = [a for a in r["assets"] if a.get("oee") is not None]
    worst.sort(key=lambda a: a["oee"])
    text = turn.text(
        "kpi_oee" if t.get("oee") is not None else "kpi_oee_partial",
        oee=_num(_pct(t.get("oee")), turn), availability=_num(_pct(t.get("availability")), turn),
        performance=_num(_pct(t.get("performance")), turn), quality=_num(_pct(t.get("quality")), turn),
        good=_num(t.get("good_parts"), turn), scrap=_num(t.get("scrap_parts"), turn),
        run=duration(t.get("run_time_s"), turn), planned=duration(t.get("planned_time_s"), turn),
        machines=len(r["assets"]), **fields,
    )  # fmt: skip
    if worst and len(r["assets"]) > 1:
        text += " " + turn.text("kpi_oee_lowest", asset=worst[0]["asset"], oee=_num(_pct(worst[0]["oee"]), turn))
    return turn.result(text)


def _downtime(turn: Turn, r: dict[str, Any], fields: dict[str, Any]) -> AskResult:
    if not r["machines"] or (r.get("missing") and not r["events"]):
        return _missing(turn, r, fields)
    _cite(turn, r, f"{len(r['events'])} stops, {r['downtime_s']} s")
    if not r["events"]:
        return turn.result(turn.text("kpi_downtime_none", **fields))
    reasons = ", ".join(
        turn.text("kpi_reason_item", reason=x["reason"], count=x["count"], duration=duration(x["duration_s"], turn))
        for x in r["by_reason"][:4]
    )
    lg = r["longest"]
    return turn.result(turn.text(
        "kpi_downtime", total=duration(r["downtime_s"], turn), count=len(r["events"]), reasons=reasons,
        longest_asset=lg["asset"], longest_reason=lg["reason"], longest_start=when(lg["start"]),
        longest=duration(lg["duration_s"], turn), **fields,
    ))  # fmt: skip


def _reliability(turn: Turn, r: dict[str, Any], fields: dict[str, Any]) -> AskResult:
    t = r["total"]
    if not r["machines"] or not t.get("run_time_s"):
        return _missing(turn, r, fields)
    _cite(turn, r, f"{t['failures']} failures, run {t['run_time_s']} s, repair {t['repair_time_s']} s")
    if not t["failures"]:
        return turn.result(turn.text("kpi_reliability_none", run=duration(t["run_time_s"], turn), **fields))
    return turn.result(turn.text(
        "kpi_reliability", failures=t["failures"], mtbf=duration(t["mtbf_s"], turn), mttr=duration(t["mttr_s"], turn),
        run=duration(t["run_time_s"], turn), repair=duration(t["repair_time_s"], turn), **fields,
    ))  # fmt: skip


def _energy(turn: Turn, r: dict[str, Any], fields: dict[str, Any]) -> AskResult:
    t = r["total"]
    if t.get("energy_kwh") is None:
        return _missing(turn, r, fields)
    _cite(turn, r, f"energy {t['energy_kwh']} kWh, good parts {t.get('good_parts')}")
    key = "kpi_energy" if t.get("kwh_per_part") is not None else "kpi_energy_no_parts"
    return turn.result(turn.text(
        key, energy=_num(t["energy_kwh"], turn), per_part=_num(t.get("kwh_per_part"), turn),
        good=_num(t.get("good_parts"), turn), **fields,
    ))  # fmt: skip


def _alarms(turn: Turn, r: dict[str, Any], fields: dict[str, Any]) -> AskResult:
    if not r["by_count"]:
        return turn.result(turn.text("kpi_alarms_none", **fields))
    turn.citations.append(Citation(source="OPC UA event history", locator=f"{r['window']['start']} – "
                                   f"{r['window']['end']}", text=f"{r['events']} alarm activations"))  # fmt: skip
    items = ", ".join(
        turn.text(
            "kpi_alarm_item",
            code=a["code"],
            source=a["source"],
            count=a["count"],
            duration=duration(a["duration_s"], turn),
        )
        for a in r["by_count"][:5]
    )
    return turn.result(turn.text("kpi_alarms", count=r["events"], items=items, **fields))
