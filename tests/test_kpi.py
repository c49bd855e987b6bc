"""KPI tools on a real DuckDB historian filled with the demo plant's simulated history: OEE, downtime with reasons,
MTBF/MTTR and energy per part checked against figures computed here, independently, from the plant's own history
arrays; bad input (no counters, no data, unknown shift or line) answered with what is missing; EN and DE questions
through the agent end to end."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from tests.conftest import SHARED_CACHE
from tests.kpi_support import LINE1, KpiSetup, _series, expected_oee, increase, kpi, state_seconds
from tools.historian.timewindow import TimeExpressionError
from tools.kpi.discovery import UnknownScope
from tools.kpi.queries import run_kpi
from tools.kpi.shifts import shift_window

__all__ = ["kpi"]  # the shared fixture


def _window(k: KpiSetup) -> str:
    a, b = k.window
    return f"{a.isoformat()}/{b.isoformat()}"


def test_oee_of_a_line_matches_the_plant_history(kpi: KpiSetup) -> None:
    r = run_kpi(kpi.tools, "kpi.oee", {"scope": "line 1", "window": _window(kpi)})
    assert r["scope"].endswith("/Line1") and not r["missing"]
    assert {m["asset"] for m in r["machines"]} == set(LINE1), r["machines"]
    a, b = (x.timestamp() for x in kpi.window)
    by_asset = {x["asset"]: x for x in r["assets"]}
    exp = {m: expected_oee(kpi.plant, m, a, b) for m in LINE1}
    for m, e in exp.items():
        got = by_asset[m]
        assert got["good_parts"] == e["good"] and got["scrap_parts"] == e["scrap"], (m, got, e)
        assert got["planned_time_s"] == pytest.approx(e["planned"], abs=2) and got["run_time_s"] == pytest.approx(
            e["run"], abs=2
        )
        for k in ("availability", "performance", "quality", "oee"):
            assert got[k] == pytest.approx(e[k], abs=2e-4), (m, k)
        assert got["ideal_cycle_s"] == e["ict"] and got["ideal_cycle_source"].endswith(f"{m}/IdealCycleTime")
    planned = sum(e["planned"] for e in exp.values())
    run = sum(e["run"] for e in exp.values())
    good, total = sum(e["good"] for e in exp.values()), sum(e["total"] for e in exp.values())
    perf = sum(e["ict"] * e["total"] for e in exp.values()) / run
    t = r["total"]
    assert t["availability"] == pytest.approx(run / planned, abs=2e-4)
    assert t["quality"] == pytest.approx(good / total, abs=2e-4)
    assert t["oee"] == pytest.approx((run / planned) * perf * (good / total), abs=5e-4)
    assert 0.3 < t["oee"] < 1.0 and t["availability"] < 1.0, "a breakdown or a stop makes the shift non-trivial"
    assert r["window"]["start"] == kpi.window[0].isoformat(timespec="seconds")


def test_downtime_reasons_and_mtbf_match_the_plant(kpi: KpiSetup) -> None:
    a, b = (x.timestamp() for x in kpi.window)
    down = run_kpi(kpi.tools, "kpi.downtime", {"scope": "Line1", "window": _window(kpi)})
    expected_total = sum(sum(v for s, v in state_seconds(kpi.plant, m, a, b).items() if s in (2, 3, 4)) for m in LINE1)
    assert down["downtime_s"] == pytest.approx(expected_total, abs=5)
    faults = [e for e in down["events"] if e["state"] == "fault"]
    assert faults, down["events"]
    for e in faults:  # the reason is the plant's StopReason text while the machine stood
        ts, _, texts = _series(kpi.plant, e["asset"], "StopReason")
        mid = (datetime.fromisoformat(e["start"]).timestamp() + datetime.fromisoformat(e["end"]).timestamp()) / 2
        assert e["reason"] == texts[int(np.searchsorted(ts, mid, side="right")) - 1]
        assert e["signal"].endswith(f"{e['asset']}/MachineState")
    rel = run_kpi(kpi.tools, "kpi.reliability", {"scope": "line 1", "window": _window(kpi)})
    fault_time = sum(state_seconds(kpi.plant, m, a, b).get(4, 0.0) for m in LINE1)
    run_time = sum(state_seconds(kpi.plant, m, a, b).get(1, 0.0) for m in LINE1)
    t = rel["total"]
    assert t["failures"] == len([e for e in faults if datetime.fromisoformat(e["start"]).timestamp() > a])
    assert t["repair_time_s"] == pytest.approx(fault_time, abs=5)
    assert t["mtbf_s"] == pytest.approx(run_time / t["failures"], rel=1e-3)
    assert t["mttr_s"] == pytest.approx(fault_time / t["failures"], rel=1e-3)


def test_energy_per_part_matches_the_meters(kpi: KpiSetup) -> None:
    a, b = (x.timestamp() for x in kpi.window)
    r = run_kpi(kpi.tools, "kpi.energy", {"scope": "line 1", "window": _window(kpi)})
    by_asset = {x["asset"]: x for x in r["assets"]}
    for m in LINE1:
        kwh = increase(kpi.plant, m, "EnergyConsumption", a, b)
        good = increase(kpi.plant, m, "GoodParts", a, b)
        assert by_asset[m]["source"] == "meter" and by_asset[m]["energy_kwh"] == pytest.approx(kwh, abs=2e-3)
        assert by_asset[m]["kwh_per_part"] == pytest.approx(kwh / good, rel=1e-3)
    assert by_asset["P-111"]["source"] == "power"  # a pump without a meter: power integrated over time


def test_top_alarms_count_the_breakdown_alarms(kpi: KpiSetup) -> None:
    from tools.kpi.models import TopAlarmsInput
    from tools.opcua.adapter import OpcUaAdapter

    async def events() -> list:
        adapter = OpcUaAdapter(kpi.settings)
        try:
            return await adapter.events(kpi.window[0], kpi.window[1], 5000)
        finally:
            await adapter.close()

    import asyncio

    recs = asyncio.run(events())
    r = kpi.tools.top_alarms(TopAlarmsInput(scope="line 1", window=_window(kpi)), recs).model_dump()
    down = run_kpi(kpi.tools, "kpi.downtime", {"scope": "Line1", "window": _window(kpi)})
    faults = {(e["asset"]) for e in down["events"] if e["state"] == "fault"}
    codes = {(x["source"], x["code"]) for x in r["by_count"]}
    assert {(m, "E-23") for m in faults} <= codes, (codes, faults)
    assert all(x["source"] in LINE1 or x["source"] in ("CV-1", "P-111", "T-111") for x in r["by_count"])


def test_bad_input_says_what_is_missing(kpi: KpiSetup) -> None:
    r = run_kpi(kpi.tools, "kpi.oee", {"scope": "compressed air", "window": _window(kpi)})
    assert r["total"]["oee"] is None and r["total"]["availability"] is None and not r["assets"]
    assert "no production counters" in r["missing"][0] and "CompressedAir" in r["missing"][0]
    old = datetime.now(UTC) - timedelta(days=20)
    r = run_kpi(
        kpi.tools,
        "kpi.oee",
        {"scope": "line 1", "window": f"{old.isoformat()}/{(old + timedelta(hours=8)).isoformat()}"},
    )
    assert r["total"]["oee"] is None and r["total"]["good_parts"] is None
    assert any("no stored values" in m for m in r["missing"]), r["missing"]
    with pytest.raises(TimeExpressionError, match=r"no shift called 'brunch'.*early, late, night"):
        run_kpi(kpi.tools, "kpi.oee", {"scope": "line 1", "window": "yesterday-brunch"})
    with pytest.raises(TimeExpressionError, match=r"no shift called 'brunch'"):
        run_kpi(kpi.tools, "kpi.oee", {"scope": "line 1", "window": "OEE in the brunch shift yesterday"})
    with pytest.raises(UnknownScope, match=r"no line, area or asset called 'line 9'.*Line1"):
        run_kpi(kpi.tools, "kpi.downtime", {"scope": "line 9", "window": _window(kpi)})
    w = shift_window("yesterday-late", kpi.settings.plant)
    assert (w.end - w.start) == timedelta(hours=8) and w.start.hour == 14


async def test_questions_in_english_and_german_through_the_agent(kpi: KpiSetup) -> None:
    from assistant.agent import Agent
    from assistant.embeddings import embed
    from assistant.router import SemanticRouter

    agent = Agent(kpi.settings, router=SemanticRouter(embed, SHARED_CACHE), historian=kpi.historian)
    a, b = (x.strftime("%Y-%m-%dT%H:%M") for x in kpi.window)
    expected = run_kpi(kpi.tools, "kpi.oee", {"scope": "line 1", "window": _window(kpi)})["total"]
    try:
        en = await agent.ask(f"What was the OEE of line 1 from {a} to {b}?")
        de = await agent.ask(f"Wie hoch war die OEE der Linie 1 von {a} bis {b}?")
        why = await agent.ask(f"Warum stand Linie 1 von {a} bis {b}?")
        none = await agent.ask(f"What was the OEE of the compressed air station from {a} to {b}?")
        brunch = await agent.ask("How did line 1 do in the brunch shift yesterday?")
    finally:
        await agent.adapter.close()
    for res, lang in ((en, "en"), (de, "de")):
        call = next(c for c in res.tool_calls if c.tool == "kpi.oee")
        assert call.arguments["scope"].endswith("/Line1"), call.arguments
        pct = f"{round(expected['oee'] * 100, 1):g}"
        assert (pct if lang == "en" else pct.replace(".", ",")) in res.answer, res.answer
        assert res.grounded and res.kind == "answer" and res.language == lang
    assert "OEE von Line1" in de.answer and "Verfügbarkeit" in de.answer
    assert any(c.tool == "kpi.downtime" for c in why.tool_calls) and "Gründe" in why.answer, why.answer
    assert re.search(r"(Spindle drive fault|Tool breakage|Coolant pressure low|Clamping fixture error|Door interlock)",
                     why.answer), why.answer  # fmt: skip
    assert "no production counters" in none.answer and not re.search(r"\d+(\.\d+)? %", none.answer)
    assert "no shift called 'brunch'" in brunch.answer and brunch.kind == "refusal"


def test_evaluation_truth_agrees_with_the_kpi_tool(kpi: KpiSetup) -> None:
    from assistant.evaluation.truth import kpi_truth

    a, b = kpi.window
    truth = kpi_truth(kpi.historian.store, "Line1", int(a.timestamp() * 1000), int(b.timestamp() * 1000))
    tool = run_kpi(kpi.tools, "kpi.oee", {"scope": "line 1", "window": _window(kpi)})["total"]
    assert sorted(truth["machines"]) == sorted(LINE1)
    assert truth["good_parts"] == tool["good_parts"] and truth["scrap_parts"] == tool["scrap_parts"]
    assert truth["oee"] == pytest.approx(tool["oee"], abs=5e-4)
    assert truth["availability"] == pytest.approx(tool["availability"], abs=2e-4)


def test_the_same_kpis_from_a_clickhouse_historian(kpi: KpiSetup, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # the KPI SQL is written once for both engines: the same history in a real ClickHouse server gives the same
    # OEE, downtime with reasons, MTBF/MTTR and energy as DuckDB, to the second and the part
    from assistant.sim.export import export_history
    from tests.historian_support.backends import make_store
    from tools.historian.queries import Historian
    from tools.kpi.queries import KpiTools

    store = make_store("clickhouse", tmp_path)
    try:
        export_history(kpi.plant, store)
        clickhouse = KpiTools(Historian(store, kpi.settings))
        args = {"scope": "line 1", "window": _window(kpi)}
        for tool, keys in (
            ("kpi.oee", ("oee", "availability", "performance", "quality", "good_parts", "planned_time_s")),
            ("kpi.reliability", ("failures", "mtbf_s", "mttr_s", "repair_time_s")),
            ("kpi.energy", ("energy_kwh", "kwh_per_part")),
        ):
            want, got = run_kpi(kpi.tools, tool, args)["total"], run_kpi(clickhouse, tool, args)["total"]
            for key in keys:
                assert got[key] == pytest.approx(want[key], rel=1e-6, abs=1e-6), (tool, key, got[key], want[key])
        want, got = run_kpi(kpi.tools, "kpi.downtime", args), run_kpi(clickhouse, "kpi.downtime", args)
        assert got["downtime_s"] == pytest.approx(want["downtime_s"], abs=1e-6)
        assert [(e["asset"], e["state"], e["reason"]) for e in got["events"]] == [
            (e["asset"], e["state"], e["reason"]) for e in want["events"]
        ]
    finally:
        store.close()
