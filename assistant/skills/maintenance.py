"""Maintenance: bearing diagnosis, remaining useful life and the maintenance plan from the project's models,
fed with the plant's own data (the historian where it holds the window, else OPC UA history, and vibration
waveforms). Answers say how sure the model is; diagnosis and remaining-life answers add the closest
troubleshooting entry of the asset's own manuals for the symptoms found (quoted and cited, never followed)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any

from assistant import answers
from assistant.contract import AskResult, Citation
from assistant.errors import OperatorError
from assistant.planner import assets_in_named_place
from assistant.turn import Turn
from tools.maintenance.datasource import NoData
from tools.opcua.catalog import Asset
from tools.opcua.resolve import assets_of_kind, spoken_digits

HISTORY_DAYS = 2.0
ANOMALY_WINDOW_H = 6.0  # the recent hours judged against the rest of the fetched history
MAX_SYMPTOMS = 2  # deviating signals put into the troubleshooting query
MAX_LIMIT_LINES = 2  # signals drifting towards their alarm limit named in a remaining-life answer
HINT_MIN_SCORE = 0.2  # a manual line matching the symptoms less well than this is not quoted (cosine-like units)


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
        lambda: prefetch(turn.agent.adapter, assets, HISTORY_DAYS, historian=turn.agent.historian),
        lambda src: {"assets": [i.id for i in src.assets()]},
    )  # fmt: skip


async def _run(turn: Turn, name: str, args: dict[str, Any], fn: Any, *call_args: Any) -> Any:
    return await turn.tool(name, args, lambda: asyncio.to_thread(fn, *call_args, settings=turn.agent.settings),
                           lambda r: r.model_dump(mode="json"))  # fmt: skip


def _model_note(turn: Turn, model: Any) -> None:
    figures = ", ".join(f"{k}={v}" for k, v in list(model.validation.items())[:4])
    turn.citations.append(Citation(source=f"model {model.name} {model.version}", locator="validation", text=figures))


async def diagnose(turn: Turn, asset: Asset) -> AskResult:
    """The bearing model on the latest vibration snapshot, and the anomaly model on all the asset's signals: a
    clogged strainer or an air leak shows in pressures and power, not in the bearing spectrum."""
    from tools.maintenance.datasource import NoData
    from tools.maintenance.tools import diagnose as run_diagnose

    source = await _source(turn, [asset])
    lines: list[str] = []
    try:
        res = await _run(turn, "maintenance.diagnose", {"asset": asset.display_name}, run_diagnose, source,
                         asset.display_name)  # fmt: skip
    except NoData as exc:
        lines.append(turn.text("diagnosis_no_snapshot", asset=asset.display_name, reason=exc.message))
    else:
        _model_note(turn, res.model)
        evidence = ", ".join(f"{e.line} {answers.format_number(e.found_hz, turn.lang)} Hz" for e in res.evidence[:3])
        lines.append(turn.text(
            "diagnosis", asset=asset.display_name, fault=_fault(res.fault, turn),
            confidence=answers.format_number(round(100 * res.confidence), turn.lang), evidence=evidence or "—",
            rms=answers.format_number(res.velocity_rms_mm_s, turn.lang),
            model=f"{res.model.name} {res.model.version}",
        ))  # fmt: skip
    if asset.display_name in {i.id for i in source.assets()}:
        limits = await _limits(turn, source, asset)
        drifting = limits.approaching if limits is not None else []
        res, hint = await _process_signals(turn, source, asset, drifting)
        normal = turn.text("diagnosis_signals_normal", asset=asset.display_name,
                           model=f"{res.model.name} {res.model.version}")  # fmt: skip
        lines += [line for a in res.assets for line in _anomaly_lines(turn, a)] or [normal]
        lines += _approaching_lines(turn, asset, limits) if limits is not None else []
        lines += [hint] if hint else []
    return turn.result("\n".join(lines))


async def _anomalies(turn: Turn, source: Any, asset: Asset) -> Any:
    """The anomaly model's result for ``asset`` (signals that deviate from its normal operation)."""
    from tools.maintenance.tools import anomalies as run_anomalies

    res = await _run(turn, "maintenance.anomalies",
                     {"target": asset.display_name, "window_hours": ANOMALY_WINDOW_H, "reference_days": HISTORY_DAYS},
                     run_anomalies, source, asset.display_name, ANOMALY_WINDOW_H, HISTORY_DAYS)  # fmt: skip
    _model_note(turn, res.model)
    return res


async def _process_signals(
    turn: Turn, source: Any, asset: Asset, drifting: list[Any] | None = None
) -> tuple[Any, str | None]:
    """The anomaly model's result for ``asset`` and the manuals' closest entry for its symptoms (a clogging
    strainer or an air leak shows here, not in the bearing spectrum). ``drifting``: signals heading for an alarm
    limit (:func:`_limits`), the first symptoms to look up."""
    res = await _anomalies(turn, source, asset)
    symptoms = [(f.signal, "higher" if f.side == "high" else "lower") for f in drifting or []]
    symptoms += [(d.signal, d.direction) for a in res.assets for d in a.deviations
                 if d.kind == "deviation" and d.direction in ("higher", "lower")]  # fmt: skip
    return res, await _manual_hint(turn, asset, list(dict.fromkeys(symptoms)))


def _signal_words(name: str) -> str:
    """'FilterDifferentialPressure' → 'filter differential pressure' ('Loaded.duty' → 'loaded duty')."""
    return " ".join(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace(".", " ").replace("_", " ").lower().split())


def _symptom_words(asset: Asset, signal: str, direction: str) -> str:
    """A deviation as a manual's troubleshooting table words it: 'flow falling'; the duty of an on/off state as
    that state (its catalog description, e.g. 'compressor in load') happening more or less often."""
    if signal.endswith(".duty"):
        state = signal.removesuffix(".duty")
        sig = next((x for x in asset.signals if x.display_name == state or x.browse_name == state), None)
        what = (sig.description if sig is not None and sig.description else "") or _signal_words(state)
        return f"{what} {'more often' if direction == 'higher' else 'less often'}"
    return f"{_signal_words(signal)} {'rising' if direction == 'higher' else 'falling'}"


async def _manual_hint(turn: Turn, asset: Asset, symptoms: list[tuple[str, str]]) -> str | None:
    """What the asset's manuals say about its symptoms ((signal, 'higher' | 'lower'), strongest first: a drift
    towards an alarm limit, then the anomaly model's deviations) — a troubleshooting row, quoted and cited — or
    None when no manual passage matches well. The symptoms become a search query; the manual's text is quoted as
    evidence, never followed."""
    from assistant.skills.documents import cite, find, quote

    symptoms = symptoms[:MAX_SYMPTOMS]
    if not symptoms:
        return None
    # only the symptoms: the asset's id or description would rank the pages that describe the asset (a manual's
    # scope) first; the search is limited to the asset's own manuals and procedures instead
    said = ", ".join(_symptom_words(asset, signal, direction) for signal, direction in symptoms)
    try:
        found = await find(turn, f"{said} — probable cause and remedy", asset.display_name,
                           ["manual", "procedure"], k=3)  # fmt: skip
    except OperatorError:  # an index built with another embedding, say: the diagnosis stands without the hint
        return None
    best = max(found.passages, key=lambda p: p.highlight_score, default=None)
    if best is None or best.highlight_score < HINT_MIN_SCORE:
        return None
    cite(turn, best)
    return turn.text("diagnosis_manual_hint", asset=asset.display_name, source=best.citation.source,
                     locator=best.citation.locator, quote=quote(best, line_only=True))  # fmt: skip


def _figures(turn: Turn, **values: float | None) -> dict[str, str]:
    """Figures for a template, in the answer's language; '?' for one the tool did not have."""
    return {k: answers.format_number(v, turn.lang) if v is not None else "?" for k, v in values.items()}


def _anomaly_lines(turn: Turn, a: Any) -> list[str]:
    if a.status == "no_data":
        return [turn.text("anomalies_no_data", asset=a.asset, note=a.note)]
    lines = []
    for d in a.deviations[:3]:
        key = "anomalies_stuck" if d.kind == "stuck" else "anomalies_found"
        signal = turn.text("duty_of", state=d.signal.removesuffix(".duty")) if d.signal.endswith(".duty") else d.signal
        lines.append(turn.text(key, asset=a.asset, signal=signal, since=_when(d.since),
                               direction=turn.text(f"dir_{d.direction}") if d.direction != "flat" else "",
                               **_figures(turn, expected=d.expected, actual=d.actual, score=d.score)))  # fmt: skip
    return lines


async def remaining_life(turn: Turn, asset: Asset) -> AskResult:
    from tools.maintenance.tools import remaining_useful_life

    source = await _source(turn, [asset])
    try:
        res = await _run(turn, "maintenance.rul", {"asset": asset.display_name}, remaining_useful_life, source,
                         asset.display_name)  # fmt: skip
    except NoData:
        res = None  # no vibration snapshot (a tank, a conveyor): what its process signals say is all there is
    if res is None or res.status != "degrading" or res.rul_hours is None:
        # no bearing wear to extrapolate; a strainer clogging or an air leak shows in the process signals instead
        lines = [turn.text("rul_healthy" if res is not None else "rul_no_vibration", asset=asset.display_name)]
        if asset.display_name in {i.id for i in source.assets()}:
            limits = await _limits(turn, source, asset)
            lines += _limit_lines(turn, asset, limits) if limits is not None else []
            lines += await _capacity_lines(turn, source, asset)
            res, hint = await _process_signals(turn, source, asset, limits.approaching if limits is not None else [])
            lines += [line for a in res.assets if a.deviations for line in _anomaly_lines(turn, a)]
            lines += [hint] if hint else []
        return turn.result("\n".join(lines))
    days = lambda h: answers.format_number(round(h / 24.0, 1), turn.lang)  # noqa: E731
    return turn.result(turn.text(
        "rul", asset=asset.display_name, fault=_fault(res.fault, turn), days=days(res.rul_hours),
        low=days(res.rul_hours_low or res.rul_hours), high=days(res.rul_hours_high or res.rul_hours),
        band=round(100 * res.band), date=_date(res.predicted_failure), earliest=_date(res.failure_earliest),
    ))  # fmt: skip


def _limits_of(asset: Asset) -> list[Any]:
    """The alarm limits the catalog read for the asset's signals (HighLimit/LowLimit properties)."""
    from tools.maintenance.limits import Limit

    return [Limit(signal=s.browse_name, low=s.limit_low, high=s.limit_high) for s in asset.signals
            if s.limit_low is not None or s.limit_high is not None]  # fmt: skip


async def _limits(turn: Turn, source: Any, asset: Asset) -> Any | None:
    """When the asset's signals with alarm limits get there at their present drift (None: no limits known)."""
    from tools.maintenance.limits import time_to_limits

    limits = _limits_of(asset)
    if not limits:
        return None
    return await turn.tool(
        "maintenance.time_to_limits", {"asset": asset.display_name, "window_hours": HISTORY_DAYS * 24},
        lambda: asyncio.to_thread(time_to_limits, source, asset.display_name, limits, HISTORY_DAYS * 24),
        lambda r: r.model_dump(mode="json"),
    )  # fmt: skip


def _approaching_lines(turn: Turn, asset: Asset, res: Any) -> list[str]:
    """A line for each signal drifting to (or beyond) its alarm limit, the nearest first."""
    units = {s.browse_name: s.unit for s in asset.signals}
    lines = []
    for f in res.approaching[:MAX_LIMIT_LINES]:
        key = "limit_beyond" if f.status == "beyond" else "limit_forecast"
        figures = _figures(turn, limit=f.limit, level=f.level, drift=f.towards_per_day, days=f.days, low=f.days_low,
                           high=f.days_high)  # fmt: skip
        lines.append(turn.text(key, asset=asset.display_name, signal=f.signal, unit=units.get(f.signal, ""),
                               date=_date(f.reached_around), band=round(100 * res.band), **figures))  # fmt: skip
    return lines


def _limit_lines(turn: Turn, asset: Asset, res: Any) -> list[str]:
    """When the asset's signals with alarm limits get there at their present drift (a strainer's differential
    pressure, a tank's level): the remaining life of wear the bearing model does not see; or that none drifts."""
    from tools.maintenance.limits import MIN_HOURS

    lines = _approaching_lines(turn, asset, res)
    steady = sorted({f.signal for f in res.forecasts if f.status == "steady"})
    unknown = sorted({f.signal for f in res.forecasts if f.status == "no_data"} - set(steady))
    if not lines and steady:
        lines.append(turn.text("limits_steady", asset=asset.display_name, signals=", ".join(steady)))
    if not lines and unknown:
        lines.append(turn.text("limits_no_data", asset=asset.display_name, signals=", ".join(unknown),
                               hours=MIN_HOURS))  # fmt: skip
    return lines


async def _capacity_lines(turn: Turn, source: Any, asset: Asset) -> list[str]:
    """When an on/off state that is on more of the time day by day (a compressor loading under a growing air leak)
    is on all the time at peak demand: the remaining life of its reserve."""
    from tools.maintenance.capacity import time_to_capacity

    states = [s.browse_name for s in asset.signals if s.data_type.lower() == "boolean"]
    if not states:
        return []
    res = await turn.tool(
        "maintenance.time_to_capacity", {"asset": asset.display_name, "states": states},
        lambda: asyncio.to_thread(time_to_capacity, source, asset.display_name, states, HISTORY_DAYS * 24),
        lambda r: r.model_dump(mode="json"),
    )  # fmt: skip
    lines = []
    for f in res.forecasts:
        if f.status not in ("approaching", "exhausted"):
            continue
        figures = _figures(turn, peak=f.busiest_pct, now=f.busiest_now_pct, growth=f.growth_pct_per_day, days=f.days,
                           low=f.days_low, high=f.days_high)  # fmt: skip
        key = "capacity_exhausted" if f.status == "exhausted" else "capacity_forecast"
        lines.append(turn.text(key, asset=asset.display_name, state=f.state, date=_date(f.reached_around),
                               band=round(100 * res.band), **figures))  # fmt: skip
    return lines


_HORIZON = re.compile(r"(\d+)\s*(days?|tagen?|jours?|d[ií]as?|giorni|weeks?|wochen?|semaines?|semanas?|settimane?)",
                      re.IGNORECASE)  # fmt: skip
_WEEK = re.compile(r"\b(week|woche|semaine|semana|settimana)\b", re.IGNORECASE)


def horizon_days(question: str) -> float | None:
    """'next two weeks', 'in den nächsten 14 Tagen', 'this week' → days; None → the settings' horizon."""
    text = spoken_digits(question)
    m = _HORIZON.search(text)
    if m:
        n = float(m.group(1))
        return min(90.0, n * 7 if m.group(2).lower().startswith(("w", "se")) else n)
    return 7.0 if _WEEK.search(text) else None


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "?"


async def maintenance_plan(turn: Turn) -> AskResult:
    from tools.maintenance.tools import maintenance_plan as run_plan

    candidates = [a for a in turn.assets if any(s.history_readable for s in a.signals)]
    source = await _source(turn, candidates)
    horizon = horizon_days(turn.question)
    limits = {a.display_name: found for a in candidates if (found := _limits_of(a))}
    res = await turn.tool(
        "maintenance.plan", {"horizon_days": horizon, "assets_with_limits": sorted(limits)},
        lambda: asyncio.to_thread(run_plan, source, horizon, settings=turn.agent.settings, limits=limits),
        lambda r: r.model_dump(mode="json"),
    )  # fmt: skip
    for model in res.models:
        _model_note(turn, model)
    checked = ", ".join(res.assets_checked) or "—"
    span = dict(start=_when(res.start), end=_when(res.end), checked=checked)
    if not res.work_orders:
        return turn.result(turn.text("plan_none", **span))
    lines = [turn.text("plan_intro", count=len(res.work_orders),
                       crew=answers.format_number(res.crew_hours_per_shift, turn.lang), **span)]  # fmt: skip
    for n, order in enumerate(res.work_orders, 1):
        when = (f"{_when(order.scheduled_start)} ({order.shift})" if order.scheduled_start
                else turn.text("plan_unscheduled", end=span["end"]))  # fmt: skip
        lines.append(turn.text("plan_order", n=n, asset=order.asset, action=order.action, when=when,
                               downtime=answers.format_number(order.expected_downtime_h, turn.lang),
                               reason=order.reason))  # fmt: skip
    lines.append(turn.text("plan_models", models=", ".join(f"{m.name} {m.version}" for m in res.models)))
    return turn.result("\n".join(lines))


def anomaly_targets(turn: Turn, named: list[Asset]) -> list[Asset]:
    """The assets an anomaly question is about: those named, else those of the kind it names ("the compressors"),
    else the line or area whose name it uses, else every asset with history."""
    if named:
        return named
    of_kind = assets_of_kind(turn.question, turn.assets, plural=True)
    if of_kind:
        return of_kind
    placed = assets_in_named_place(turn.question, turn.assets)
    return placed or [a for a in turn.assets if any(s.history_readable for s in a.signals)]


async def anomalies(turn: Turn, named: list[Asset]) -> AskResult:
    from tools.maintenance.tools import anomalies as run_anomalies

    targets = anomaly_targets(turn, named)
    source = await _source(turn, targets)
    found, quiet, model = [], [], None
    start = end = None
    for asset in targets:
        if asset.display_name not in {i.id for i in source.assets()}:
            continue
        res = await _run(turn, "maintenance.anomalies",
                         {"target": asset.display_name, "window_hours": ANOMALY_WINDOW_H,
                          "reference_days": HISTORY_DAYS},
                         run_anomalies, source, asset.display_name, ANOMALY_WINDOW_H, HISTORY_DAYS)  # fmt: skip
        model, start, end = res.model, res.start, res.end
        for a in res.assets:
            if a.status != "no_data" and not a.deviations:
                quiet.append(a.asset)
            found += _anomaly_lines(turn, a)
    if model is None:
        return turn.result(turn.text("anomalies_none", assets=", ".join(a.display_name for a in targets),
                                     start="?", end="?", model="—"))  # fmt: skip
    _model_note(turn, model)
    span = dict(start=_when(start), end=_when(end), model=f"{model.name} {model.version}")
    if not found:
        return turn.result(turn.text("anomalies_none", assets=", ".join(quiet), **span))
    return turn.result("\n".join([turn.text("anomalies_intro", **span), *found]))
