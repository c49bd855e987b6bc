"""The shift handover report's content: KPIs of the shift against the previous shifts, notable events (stops with
reasons, alarms), maintenance due and open issues from the logs — each statement with its evidence.

Statements are composed from the grounded templates in ``prompts/report/<lang>.yaml`` and filled only with tool
results (KPI tools over the historian, the plant's event history, the maintenance plan, the document index). The
local LLM may add a summary paragraph, and only when :func:`assistant.grounding.check_grounding` passes.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from assistant import answers
from assistant.config import Settings
from assistant.errors import OperatorError
from assistant.prompts import available_languages, load_yaml, prompts_dir

PREVIOUS_SHIFTS = 3
ANOMALY_REFERENCE_DAYS = 2.0  # normal behaviour learned from the days before the shift
ANOMALY_STEP_S = 300
MAX_ANOMALY_ASSETS = 12
MAINTENANCE_HISTORY_DAYS = 0.25  # history the maintenance models look at (fetched over OPC UA)


@dataclass(slots=True)
class Statement:
    text: str
    evidence: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Section:
    key: str
    title: str
    statements: list[Statement] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)  # first row = header
    chart: dict[str, Any] | None = None  # {"title", "x": [...], "y": [...], "unit"}


@dataclass(slots=True)
class ShiftReport:
    title: str
    language: str
    scope: str
    window: dict[str, Any]
    generated: str
    sections: list[Section]
    data: dict[str, Any] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    summary: str | None = None


def texts(language: str) -> dict[str, str]:
    langs = available_languages("report")
    lang = language if language in langs else "en"
    return dict(load_yaml(f"report/{lang}.yaml"))


class _T:
    def __init__(self, language: str) -> None:
        self.lang = language
        self.t = texts(language)

    def __call__(self, key: str, **fields: Any) -> str:
        return self.t[key].format(**fields)

    def num(self, x: float | None) -> str:
        return answers.format_number(float(x), self.lang) if x is not None else "—"

    def pct(self, x: float | None) -> str:
        return self.num(round(x * 100, 1)) if x is not None else "—"

    def dur(self, seconds: float | None) -> str:
        if seconds is None:
            return "—"
        minutes = seconds / 60
        if minutes < 120:
            return f"{self.num(round(minutes))} min"
        return f"{self.num(round(minutes / 60, 1))} h"

    def when(self, iso: str) -> str:
        dt = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        return dt.strftime("%Y-%m-%d %H:%M")


def _signals(result: dict[str, Any], roles: tuple[str, ...] = ()) -> list[str]:
    return sorted({k for m in result.get("machines", []) for r, k in m["signals"].items() if not roles or r in roles})


def _window_ev(result: dict[str, Any], roles: tuple[str, ...] = ()) -> str:
    w = result["window"]
    keys = _signals(result, roles)
    shown = ", ".join(keys[:4]) + (f" (+{len(keys) - 4})" if len(keys) > 4 else "")
    return f"historian: {shown} @ {w['start']} – {w['end']}"


async def build_shift_report(
    settings: Settings,
    historian: Any,
    adapter: Any = None,
    line: str | None = None,
    shift: str | None = None,
    language: str = "en",
    now: datetime | None = None,
    include_maintenance: bool = True,
    include_documents: bool = True,
    llm: Any = None,
    include_anomalies: bool = False,
) -> ShiftReport:
    """Build the report for one shift (``shift`` spec: 'yesterday-late', 'last', …) and one line (or the plant)."""
    from tools.kpi.models import TopAlarmsInput
    from tools.kpi.queries import KpiTools, run_kpi
    from tools.kpi.shifts import previous_shifts, shift_label, shift_window

    t = _T(language)
    timings: dict[str, float] = {}
    tools = KpiTools(historian)
    now_dt = (now or historian.now()).astimezone(historian.parser.tz)
    w = shift_window(shift, settings.plant, now_dt)  # raises for an unknown shift name
    window = f"{w.start.isoformat()}/{w.end.isoformat()}"
    args = {"scope": line or "", "window": window}

    def timed(name: str, fn: Any, *a: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*a)
        finally:
            timings[name] = round((time.perf_counter() - t0) * 1000, 1)

    oee = await asyncio.to_thread(timed, "kpi.oee", run_kpi, tools, "kpi.oee", args)
    scope0 = oee["scope"]
    scope0_label = t("plant") if scope0 == "plant" else scope0.rsplit("/", 1)[-1]

    async def side(name: str, coro: Any) -> Section:
        t0 = time.perf_counter()
        try:
            return await coro  # type: ignore[no-any-return]
        finally:
            timings[name] = round((time.perf_counter() - t0) * 1000, 1)

    maint_task = (
        asyncio.create_task(side("maintenance.plan", _maintenance_section(t, settings, adapter, oee, scope0)))
        if include_maintenance
        else None
    )
    anomaly_task = (
        asyncio.create_task(
            side("maintenance.anomalies", asyncio.to_thread(_anomaly_statements, t, settings, historian, scope0, w))
        )
        if include_anomalies
        else None
    )
    docs_task = (
        asyncio.create_task(side("documents.search", asyncio.to_thread(_issues_section, t, settings, scope0_label, w)))
        if include_documents
        else None
    )
    scope = oee["scope"]
    scope_label = t("plant") if scope == "plant" else scope.rsplit("/", 1)[-1]
    down = await asyncio.to_thread(timed, "kpi.downtime", run_kpi, tools, "kpi.downtime", args)
    rel = await asyncio.to_thread(timed, "kpi.reliability", run_kpi, tools, "kpi.reliability", args)
    energy = await asyncio.to_thread(timed, "kpi.energy", run_kpi, tools, "kpi.energy", args)
    prev = []
    for pw in previous_shifts(w, 3 * PREVIOUS_SHIFTS, settings.plant):
        if len(prev) >= PREVIOUS_SHIFTS:
            break
        pargs = {"scope": scope if scope != "plant" else "", "window": f"{pw.start.isoformat()}/{pw.end.isoformat()}"}
        res = await asyncio.to_thread(timed, f"kpi.oee {pw.meaning} {pw.start:%m-%d}", run_kpi, tools, "kpi.oee", pargs)
        if not res["total"].get("planned_time_s"):
            continue  # no production planned (nights, weekends) or no data: nothing to compare with
        pdown = await asyncio.to_thread(run_kpi, tools, "kpi.downtime", pargs)
        prev.append((pw, res, pdown))
    events: list[Any] = []
    alarms_error = None
    if adapter is not None:
        t0 = time.perf_counter()
        try:
            events = await adapter.events(w.start, w.end, 5000)
        except OperatorError as exc:
            alarms_error = exc.message
        timings["opcua.events"] = round((time.perf_counter() - t0) * 1000, 1)
    alarm_args = TopAlarmsInput(scope=args["scope"], window=window, limit=5)
    alarms = tools.top_alarms(alarm_args, events).model_dump(mode="json")

    sections = [
        _kpi_section(t, oee, down, rel, energy),
        _compare_section(t, w, oee, down, prev, settings.plant),
        _events_section(t, down),
        _alarm_section(t, alarms, alarms_error),
    ]
    if anomaly_task is not None:
        found = await anomaly_task
        events = next(sec for sec in sections if sec.key == "events")
        events.statements += found or [Statement(t("anomalies_none"), [f"maintenance.anomalies: {scope0}, {window}"])]
    if maint_task is not None:
        sections.append(await maint_task)
    if docs_task is not None:
        sections.append(await docs_task)
    report = ShiftReport(
        title=t("title", scope=scope_label, shift=shift_label(w, settings.plant)),
        language=language,
        scope=scope,
        window=oee["window"],
        generated=t("generated", now=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        sections=sections,
        data={
            "oee": oee,
            "downtime": down,
            "reliability": rel,
            "energy": energy,
            "alarms": alarms,
            "previous": [r for _, r, _ in prev],
        },
        timings_ms=timings,
    )
    if llm is not None:
        report.summary = summarise(report, llm, settings)
    return report


def _kpi_section(t: _T, oee: dict[str, Any], down: dict[str, Any], rel: dict[str, Any], en: dict[str, Any]) -> Section:
    s = Section("kpis", t("section_kpis"))
    tot = oee["total"]
    missing = list(dict.fromkeys([*oee.get("missing", []), *tot.get("missing", [])]))
    if tot.get("oee") is not None or tot.get("availability") is not None:
        s.statements.append(
            Statement(
                t(
                    "kpi_oee",
                    oee=t.pct(tot.get("oee")),
                    availability=t.pct(tot.get("availability")),
                    performance=t.pct(tot.get("performance")),
                    quality=t.pct(tot.get("quality")),
                ),
                [_window_ev(oee, ("state", "good", "scrap", "ideal_cycle"))],
            )
        )
        s.statements.append(
            Statement(
                t(
                    "kpi_parts",
                    good=t.num(tot.get("good_parts")),
                    scrap=t.num(tot.get("scrap_parts")),
                    run=t.dur(tot.get("run_time_s")),
                    planned=t.dur(tot.get("planned_time_s")),
                ),
                [_window_ev(oee, ("state", "good", "scrap"))],
            )
        )
        s.table = [
            [
                t("col_shift"),
                t("col_oee"),
                t("col_availability"),
                t("col_performance"),
                t("col_quality"),
                t("col_good"),
                t("col_scrap"),
            ]
        ]
        for a in oee["assets"]:
            s.table.append(
                [
                    a["asset"],
                    t.pct(a.get("oee")),
                    t.pct(a.get("availability")),
                    t.pct(a.get("performance")),
                    t.pct(a.get("quality")),
                    t.num(a.get("good_parts")),
                    t.num(a.get("scrap_parts")),
                ]
            )
        s.table[0][0] = "Asset"
    for m in missing[:3]:
        s.statements.append(Statement(t("kpi_missing", what=m), [_window_ev(oee)]))
    et = en["total"]
    if et.get("energy_kwh") is not None:
        key = "kpi_energy" if et.get("kwh_per_part") is not None else "kpi_energy_only"
        s.statements.append(
            Statement(
                t(key, energy=t.num(et["energy_kwh"]), per_part=t.num(et.get("kwh_per_part"))),
                [_window_ev(en, ("energy", "power", "good"))],
            )
        )
    rt = rel["total"]
    if rt.get("failures"):
        s.statements.append(
            Statement(
                t(
                    "kpi_reliability",
                    failures=rt["failures"],
                    mtbf=t.dur(rt.get("mtbf_s")),
                    mttr=t.dur(rt.get("mttr_s")),
                ),
                [_window_ev(rel, ("state",))],
            )
        )
    elif rt.get("run_time_s"):
        s.statements.append(
            Statement(t("kpi_no_breakdown", run=t.dur(rt["run_time_s"])), [_window_ev(rel, ("state",))])
        )
    return s


def _compare_section(
    t: _T, w: Any, oee: dict[str, Any], down: dict[str, Any], prev: list[Any], plant: Any = None
) -> Section:
    s = Section("compare", t("section_compare"))
    from tools.kpi.shifts import shift_label

    rows = [
        (t("this_shift"), oee, down),
        *[(shift_label(pw, plant), r, d) for pw, r, d in prev],
    ]
    s.table = [[t("col_shift"), t("col_oee"), t("col_good"), t("col_downtime")]]
    for label, r, d in rows:
        s.table.append(
            [label, t.pct(r["total"].get("oee")), t.num(r["total"].get("good_parts")), t.dur(d.get("downtime_s"))]
        )
    for label, r, d in rows[1:]:
        s.statements.append(
            Statement(
                t(
                    "compare_row",
                    shift=label,
                    oee=t.pct(r["total"].get("oee")),
                    good=t.num(r["total"].get("good_parts")),
                    downtime=t.dur(d.get("downtime_s")),
                ),
                [_window_ev(r, ("state", "good"))],
            )
        )
    past = [r["total"]["oee"] for _, r, _ in prev if r["total"].get("oee") is not None]
    cur = oee["total"].get("oee")
    if past and cur is not None:
        avg = sum(past) / len(past)
        delta = round((cur - avg) * 100, 1)
        key = "compare_better" if delta >= 0 else "compare_worse"
        s.statements.insert(
            0,
            Statement(
                t(key, delta=t.num(abs(delta)), n=len(past), avg=t.pct(avg)), [_window_ev(oee, ("state", "good"))]
            ),
        )
    else:
        searched = f"kpi.oee: the {3 * PREVIOUS_SHIFTS} shifts before {w.start:%Y-%m-%d %H:%M}, none with production"
        s.statements.insert(0, Statement(t("compare_none"), [searched]))
    labels = [label for label, _, _ in reversed(rows)]
    values = [
        round(r["total"]["oee"] * 100, 1) if r["total"].get("oee") is not None else None for _, r, _ in reversed(rows)
    ]
    s.chart = {"title": t("chart_oee"), "x": labels, "y": values, "unit": "%"}
    return s


def _events_section(t: _T, down: dict[str, Any]) -> Section:
    s = Section("events", t("section_events"))
    for e in down["events"][:12]:
        s.statements.append(
            Statement(
                t(
                    "stop_item",
                    asset=e["asset"],
                    state=e["state"],
                    reason=e["reason"],
                    start=t.when(e["start"]),
                    duration=t.dur(e["duration_s"]),
                ),
                [f"historian: {e['signal']} @ {e['start']} – {e['end']}"],
            )
        )
    if not down["events"]:
        s.statements.append(
            Statement(
                t("stops_none") if not down.get("missing") else t("kpi_missing", what="; ".join(down["missing"])),
                [_window_ev(down)],
            )
        )
    if down["by_reason"]:
        s.table = [[t("col_reason"), "n", t("col_minutes")]]
        s.table += [[r["reason"], str(r["count"]), t.num(round(r["duration_s"] / 60, 1))] for r in down["by_reason"]]
        s.chart = {
            "title": t("chart_downtime"),
            "x": [r["reason"] for r in down["by_reason"]],
            "y": [round(r["duration_s"] / 60, 1) for r in down["by_reason"]],
            "unit": "min",
        }
    return s


def _alarm_section(t: _T, alarms: dict[str, Any], error: str | None) -> Section:
    s = Section("alarms", t("section_alarms"))
    for a in alarms["by_count"]:
        s.statements.append(
            Statement(
                t(
                    "alarm_item",
                    code=a["code"],
                    source=a["source"],
                    count=a["count"],
                    duration=t.dur(a["duration_s"]),
                    message=a["message"],
                ),
                [f"OPC UA event history: {a['source']} {a['code']} @ {a['first']} … {a['last']}"],
            )
        )
    if not alarms["by_count"]:
        span = alarms.get("window") or {}
        searched = f"OPC UA event history: {span.get('start', '')} … {span.get('end', '')}"
        s.statements.append(Statement(t("alarms_none") if error is None else t("kpi_missing", what=error), [searched]))
    return s


async def _maintenance_section(t: _T, settings: Settings, adapter: Any, oee: dict[str, Any], scope: str) -> Section:
    s = Section("maintenance", t("section_maintenance"))
    days = settings.maintenance.horizon_days
    if adapter is None:
        s.statements.append(Statement(t("maintenance_unavailable", why="no OPC UA connection"), ["opcua: none"]))
        return s
    try:
        from tools.maintenance.opcua_source import prefetch
        from tools.maintenance.roles import signal_role
        from tools.maintenance.tools import maintenance_plan

        assets = [a for a in await adapter.assets() if scope == "plant" or "/".join(a.path).startswith(scope)]
        assets = [a for a in assets if any(signal_role(x) == "vibration" for x in a.signals)][:12]
        source = await prefetch(adapter, assets, MAINTENANCE_HISTORY_DAYS)
        plan = await asyncio.to_thread(maintenance_plan, source, days, settings=settings, include_anomalies=False)
    except Exception as exc:  # a missing model, no history: say so, never invent a plan
        s.statements.append(Statement(t("maintenance_unavailable", why=str(getattr(exc, "message", exc))[:200])))
        return s
    for o in plan.work_orders[:8]:
        when = o.scheduled_start.strftime("%Y-%m-%d %H:%M") if o.scheduled_start else "—"
        s.statements.append(
            Statement(
                t("maintenance_item", asset=o.asset, action=o.action, reason=o.reason, when=when, priority=o.priority),
                [f"maintenance plan: {', '.join(f'{m.name} {m.version}' for m in plan.models)}"],
            )
        )
    if not plan.work_orders:
        s.statements.append(
            Statement(
                t("maintenance_none", days=t.num(days)),
                [f"maintenance plan: {len(plan.assets_checked)} assets checked"],
            )
        )
    return s


def _anomaly_statements(t: _T, settings: Settings, historian: Any, scope: str, w: Any) -> list[Statement]:
    """Signals that left their normal behaviour during the shift (the maintenance anomaly model), from the historian."""
    import numpy as np

    from tools.maintenance.datasource import AssetInfo, InMemorySource
    from tools.maintenance.tools import anomalies

    metas = [m for m in historian.signals().values() if m.unit and (scope == "plant" or m.asset_path.startswith(scope))]
    by_asset: dict[str, list[Any]] = {}
    for m in metas:
        by_asset.setdefault(m.asset_path, []).append(m)
    candidates = [p for p, ms in sorted(by_asset.items()) if len(ms) >= 3][:MAX_ANOMALY_ASSETS]
    shift_h = (w.end - w.start).total_seconds() / 3600
    start_ms = int((w.start.timestamp() - ANOMALY_REFERENCE_DAYS * 86400) * 1000)
    end_ms = int(w.end.timestamp() * 1000)
    grid = np.arange(start_ms, end_ms, ANOMALY_STEP_S * 1000, dtype=np.int64)
    source = InMemorySource(clock=w.end)
    for path in candidates:
        aligned: dict[str, np.ndarray] = {}
        for m in by_asset[path]:
            bucket, _count, _mn, _mx, avg = historian.store.downsample(m.id, start_ms, end_ms, ANOMALY_STEP_S * 1000)
            if len(bucket) > 10:
                aligned[m.name] = np.interp(grid, bucket, avg)
        if len(aligned) >= 3:
            name = path.rsplit("/", 1)[-1]
            info = AssetInfo(id=name, kind="machine", line=path.split("/")[-2], signals=tuple(aligned))
            source.add(info, grid / 1000.0, aligned)
    out: list[Statement] = []
    for info in source.assets():
        try:
            res = anomalies(
                source, info.id, window_hours=shift_h, reference_days=ANOMALY_REFERENCE_DAYS, settings=settings
            )
        except Exception as exc:  # no model file, too little history
            return [Statement(t("anomalies_unavailable", why=str(getattr(exc, "message", exc))[:200]))]
        for a in res.assets:
            for d in a.deviations[:2]:
                since = d.since.strftime("%Y-%m-%d %H:%M")
                out.append(
                    Statement(
                        t(
                            "anomaly_item",
                            asset=a.asset,
                            signal=d.signal,
                            direction=t.t.get(f"dir_{d.direction}", d.direction),
                            since=since,
                            expected=t.num(d.expected),
                            actual=t.num(d.actual),
                        ),
                        [
                            f"historian: {info.line}/{a.asset}/{d.signal} @ {since}; model "
                            f"{res.model.name} {res.model.version}"
                        ],
                    )
                )
    return out


def _issues_section(t: _T, settings: Settings, scope_label: str, w: Any) -> Section:
    s = Section("issues", t("section_issues"))
    try:
        from tools.documents.index import open_index
        from tools.documents.search import search_documents

        if not open_index(settings).state()[2]:
            s.statements.append(Statement(t("issues_unavailable", why="the document index is empty"), ["index: 0"]))
            return s
        found = search_documents(
            settings, t("issues_query", scope=scope_label), doc_type=["shift_log", "maintenance_log", "alarm_log"], k=3
        )
        passages = list(getattr(found, "passages", []) or [])
    except Exception as exc:  # no index yet, index server down
        why = str(getattr(exc, "message", exc))[:200]
        s.statements.append(Statement(t("issues_unavailable", why=why), [f"documents.search: {why}"]))
        return s
    for p in passages[:3]:
        d = p.model_dump() if hasattr(p, "model_dump") else dict(p)
        quote = " ".join(str(d.get("text") or d.get("quote") or "").split())[:240]
        s.statements.append(
            Statement(
                t("issue_item", source=d.get("source", ""), locator=d.get("locator", ""), quote=quote),
                [f"log: {d.get('source', '')} {d.get('locator', '')}"],
            )
        )
    if not passages:
        s.statements.append(Statement(t("issues_none"), [f"documents.search: {t('issues_query', scope=scope_label)}"]))
    return s


def summarise(report: ShiftReport, llm: Any, settings: Settings) -> str | None:
    """A summary paragraph by the LLM, kept only when every number and code in it is in the report's statements."""
    from assistant.grounding import check_grounding

    facts = "\n".join(f"- {st.text}" for sec in report.sections[:3] for st in sec.statements)
    prompt = (
        (prompts_dir() / "report" / "summary.txt")
        .read_text(encoding="utf-8")
        .format(language=report.language, facts=facts)
    )
    completion = llm.complete(prompt, max_tokens=max(96, settings.llm.max_tokens), stop=["\n\n"])
    text = completion.text.strip()
    evidence = [st.text for sec in report.sections for st in sec.statements]
    if text and not completion.timed_out and check_grounding(text, evidence).grounded:
        return text
    return None
