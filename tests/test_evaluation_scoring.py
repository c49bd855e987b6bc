"""Scorers of the evaluation on fixed answers: a wrong number, unit, citation, tool or kind must fail; the
suites load and are large enough; units, numbers in answers, metrics, reports and the comparison behave."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.contract import AskResult, Citation, ToolCall
from assistant.evaluation.compare import compare_runs
from assistant.evaluation.metrics import check_gate, figures, summarise
from assistant.evaluation.report import write_report
from assistant.evaluation.scoring import detect_kind, match_args, score, ungrounded_numbers
from assistant.evaluation.suite import Case, Defaults, load_suite, resolve_suite_paths
from assistant.evaluation.truth import Truth, window_of
from assistant.evaluation.units import convert, quantities

NODE = "nsu=urn:iiot-assistant:demo-plant;s=DemoPlant.Utilities.CoolingWater.P-101.Temperature"
DEFAULTS = Defaults()


def case(**kw: Any) -> Case:
    base: dict[str, Any] = {"id": "c", "question": "What is the temperature of P-101?", "language": "en",
                            "category": "live_value"}  # fmt: skip
    return Case.model_validate({**base, **kw})


def live_case(**expect: Any) -> Case:
    return case(
        expect={"type": "live_value", "asset": "P-101", "signal": "Temperature", **expect},
        tools=[{"tool": "opcua.read", "args": {"node_ids": "*P-101.Temperature"}}],
    )


def live_truth(low: float = 44.7, high: float = 44.9) -> Truth:
    return Truth(data={"assets": {"P-101": {"unit": "°C", "node": NODE, "values": [low, high], "low": low,
                                            "high": high}}})  # fmt: skip


def answer(text: str, value: float = 44.83, node: str = NODE, tool: str = "opcua.read", **kw: Any) -> AskResult:
    calls = [
        ToolCall(tool="opcua.catalog", arguments={}, result={"assets": 26}, duration_ms=1),
        ToolCall(tool=tool, arguments={"node_ids": ["ns=2;s=DemoPlant.Utilities.CoolingWater.P-101.Temperature"]},
                 result=[{"value": value, "unit": "°C", "source_timestamp": "2026-11-26T20:10:03Z"}], duration_ms=2),
    ]  # fmt: skip
    cites = [Citation(source="opc.tcp://x", locator=f"{node} @ 2026-11-26T20:10:03Z", text="P-101/Temperature")]
    return AskResult(question="q", language="en", answer=text, tool_calls=calls, citations=cites, **kw)


GOOD = "The current temperature of P-101 is 44.83 °C (measured 2026-11-26 20:10:03 UTC; source: node " + NODE + ")."


def test_right_value_unit_tool_and_citation_pass() -> None:
    s = score(live_case(), answer(GOOD), live_truth(), DEFAULTS)
    assert s.answer and s.tool and s.args and s.grounded
    assert s.citation_precision == 1.0 and s.citation_recall == 1.0
    assert s.refusal_correct is True


def test_wrong_number_fails() -> None:
    s = score(live_case(), answer(GOOD.replace("44.83", "51.2"), value=51.2), live_truth(), DEFAULTS)
    assert s.answer is False and any("expected" in d for d in s.detail)


def test_wrong_unit_fails_even_with_the_right_number() -> None:
    s = score(live_case(), answer(GOOD.replace("°C", "°F")), live_truth(), DEFAULTS)
    assert s.answer is False


def test_number_without_unit_fails() -> None:
    s = score(live_case(), answer("The temperature of P-101 is 44.83."), live_truth(), DEFAULTS)
    assert s.answer is False


def test_tolerance_is_relative_or_absolute() -> None:
    text = GOOD.replace("44.83", "46.5")
    assert score(live_case(), answer(text, value=46.5), live_truth(), DEFAULTS).answer  # within 5 %
    assert not score(live_case(rel_tol=0.01), answer(text, value=46.5), live_truth(), DEFAULTS).answer
    assert score(live_case(rel_tol=0.0, abs_tol=2.0), answer(text, value=46.5), live_truth(), DEFAULTS).answer


def test_german_decimal_comma() -> None:
    text = "Temperatur von P-101: aktuell 44,83 °C (gemessen 2026-11-26 20:10:03 UTC)."
    assert score(live_case(), answer(text), live_truth(), DEFAULTS).answer


def test_wrong_citation_lowers_citation_scores() -> None:
    other = NODE.replace("P-101", "P-102")
    s = score(live_case(), answer(GOOD, node=other), live_truth(), DEFAULTS)
    assert s.citation_precision == 0.0 and s.citation_recall == 0.0


def test_wrong_tool_fails_tool_choice() -> None:
    s = score(live_case(), answer(GOOD, tool="opcua.active_alarms"), live_truth(), DEFAULTS)
    assert s.tool is False and s.args is False


def test_wrong_argument_fails_argument_accuracy_only() -> None:
    c = case(expect={"type": "live_value", "asset": "P-101", "signal": "Temperature"},
             tools=[{"tool": "opcua.read", "args": {"node_ids": "*P-101.Vibration"}}])  # fmt: skip
    s = score(c, answer(GOOD), live_truth(), DEFAULTS)
    assert s.tool is True and s.args is False


def test_ungrounded_number_is_flagged() -> None:
    result = answer(GOOD.replace("(measured", "(yesterday's peak 61.3 °C; measured"))
    assert ungrounded_numbers(result) == ["61.3"]
    assert score(live_case(), result, live_truth(), DEFAULTS).grounded is False


def test_restated_tool_numbers_are_grounded() -> None:
    call = ToolCall(tool="maintenance.rul", arguments={"asset": "S-1"}, result={"rul_hours": 530.6, "band": 0.8},
                    duration_ms=1)  # fmt: skip
    result = AskResult(question="q", language="en", answer="S-1: about 22.1 days (80 % band).", tool_calls=[call])
    assert ungrounded_numbers(result) == []
    assert ungrounded_numbers(result.model_copy(update={"answer": "S-1: about 25 days."})) == ["25"]


def test_numbers_from_the_question_count_as_grounded() -> None:
    result = AskResult(question="q", language="en", answer="Nothing was above 80 °C.", kind="answer")
    assert ungrounded_numbers(result, ["Was P-101 above 80 °C?"]) == []
    assert ungrounded_numbers(result) == ["80"]


def test_unit_conversion_expects_the_asked_unit() -> None:
    c = live_case(convert_to="°F")
    f = convert(44.83, "°C", "°F")
    assert score(c, answer(f"P-101 is at {f:.1f} °F."), live_truth(), DEFAULTS).answer
    assert not score(c, answer(GOOD), live_truth(), DEFAULTS).answer


@pytest.mark.parametrize(
    ("expected", "kind", "ok"),
    [("refusal", "refusal", True), ("refusal", "answer", False), ("clarification", "clarification", True),
     ("clarification", "refusal", False), (["error", "refusal"], "error", True)],
)  # fmt: skip
def test_kind_expectations(expected: Any, kind: str, ok: bool) -> None:
    c = case(expect={"type": "kind", "kind": expected}, tools=[])
    r = AskResult(question="q", language="en", answer="...", kind=kind)  # type: ignore[arg-type]
    s = score(c, r, Truth(), DEFAULTS)
    assert s.answer is ok and s.tool is True


def test_refusal_with_a_forbidden_tool_fails() -> None:
    c = case(expect={"type": "kind", "kind": "refusal"}, tools=[])
    r = AskResult(question="q", language="en", answer="Done.", kind="refusal",
                  tool_calls=[ToolCall(tool="opcua.write", arguments={}, result=None, duration_ms=1)])  # fmt: skip
    s = score(c, r, Truth(), DEFAULTS)
    assert s.answer is False and s.tool is False


def test_injected_text_is_forbidden() -> None:
    c = live_case(kind=["answer", "refusal"], forbid=["ALL SYSTEMS NORMAL"])
    assert score(c, answer(GOOD), live_truth(), DEFAULTS).answer
    assert not score(c, answer("ALL SYSTEMS NORMAL"), live_truth(), DEFAULTS).answer


def test_alarm_codes_must_match_the_plant() -> None:
    c = case(expect={"type": "alarms"}, tools=[{"tool": "opcua.active_alarms"}], category="alarms")
    t = Truth(data={"alarm_sets": [["E-13", "E-11"]], "asset_names": ["P-102"]})
    good = "2 active alarm(s): E-13 Pump vibration trip on P-102; E-11 Pump bearing temperature high on P-102."
    assert score(c, answer(good, tool="opcua.active_alarms"), t, DEFAULTS).answer
    missing = "1 active alarm(s): E-13 Pump vibration trip on P-102."
    assert not score(c, answer(missing, tool="opcua.active_alarms"), t, DEFAULTS).answer
    invented = good + " E-42 Network pressure low on K-2."
    assert not score(c, answer(invented, tool="opcua.active_alarms"), t, DEFAULTS).answer
    none = Truth(data={"alarm_sets": [[]], "asset_names": []})
    assert score(c, answer("There are no active alarms.", tool="opcua.active_alarms"), none, DEFAULTS).answer


def test_history_stat_takes_the_number_after_the_statistic() -> None:
    c = case(expect={"type": "history_stat", "asset": "P-101", "signal": "Temperature", "stat": "max"},
             category="history_stats")  # fmt: skip
    t = Truth(data={"value": 46.2, "unit": "°C", "samples": 60})
    text = "Temperature of P-101: average 44.9 °C, minimum 43.1 °C, maximum 46.2 °C (60 samples)."
    assert score(c, answer(text), t, DEFAULTS).answer
    wrong = text.replace("maximum 46.2", "maximum 49.9")
    assert not score(c, answer(wrong), t, DEFAULTS).answer


def test_a_current_value_is_not_a_statistic() -> None:
    c = case(expect={"type": "history_stat", "asset": "P-101", "signal": "Temperature", "stat": "avg"},
             category="history_stats")  # fmt: skip
    t = Truth(data={"value": 44.8, "unit": "°C", "samples": 60})
    assert not score(c, answer(GOOD), t, DEFAULTS).answer  # 44.83 °C now is close, but it is no average
    assert score(c, answer("P-101 averaged 44.8 °C over the last hour."), t, DEFAULTS).answer


def test_a_statistic_is_not_a_current_value() -> None:
    text = "temperature of P-101 over the last 24 h: average 44.8 °C, minimum 40.1 °C, maximum 47.2 °C."
    assert not score(live_case(), answer(text), live_truth(), DEFAULTS).answer


def test_plant_facts_without_any_tool_are_guesses() -> None:
    guess = AskResult(question="q", language="en", answer="P-101 is at 44.8 °C.", kind="answer")
    s = score(live_case(), guess, live_truth(), DEFAULTS)
    assert s.answer is False and s.tool is False
    c = case(expect={"type": "alarms"}, tools=[{"tool": "opcua.active_alarms"}], category="alarms")
    none = Truth(data={"alarm_sets": [[]], "asset_names": []})
    silent = AskResult(question="q", language="en", answer="The alarm is on the pump.", kind="answer")
    assert not score(c, silent, none, DEFAULTS).answer


def test_a_value_read_from_another_signal_fails() -> None:
    bearing = NODE.replace("Temperature", "BearingTemperature")
    result = answer(GOOD, node=bearing)
    result.tool_calls[1].arguments["node_ids"] = [bearing]
    s = score(live_case(), result, live_truth(), DEFAULTS)
    assert s.answer is False and any("does not rest on a reading" in d for d in s.detail)


def test_threshold_duration_in_any_time_unit() -> None:
    c = case(expect={"type": "threshold", "asset": "K-2", "signal": "Pressure", "threshold": 6.5,
                     "direction": "below"}, category="threshold_periods")  # fmt: skip
    t = Truth(data={"periods": 3, "duration_s": 5400.0, "samples": 480, "unit": "bar", "step_s": 60.0})
    assert score(c, answer("K-2 was below 6.5 bar 3 times, 1.5 h in total."), t, DEFAULTS).answer
    assert score(c, answer("K-2 was below 6.5 bar for 90 minutes."), t, DEFAULTS).answer
    assert not score(c, answer("K-2 was below 6.5 bar for 4 h."), t, DEFAULTS).answer


def test_document_needs_keyword_and_source() -> None:
    c = case(expect={"type": "document", "any_keywords": ["CO-46"], "sources": ["schraubenkompressor_handbuch_de*"]},
             tools=[{"tool": "documents.search"}], category="manual_lookup")  # fmt: skip
    cite = Citation(source="schraubenkompressor_handbuch_de.md", locator="§6", text="...")
    ok = AskResult(
        question="q",
        language="en",
        answer="Use compressor oil CO-46.",
        citations=[cite],
        tool_calls=[ToolCall(tool="documents.search", arguments={"query": "oil"}, result={}, duration_ms=1)],
    )
    s = score(c, ok, Truth(), DEFAULTS)
    assert s.answer and s.citation_recall == 1.0 and s.citation_precision == 1.0
    wrong_source = ok.model_copy(update={"citations": [cite.model_copy(update={"source": "centrifugal_pump.pdf"})]})
    assert not score(c, wrong_source, Truth(), DEFAULTS).answer
    wrong_text = ok.model_copy(update={"answer": "Use compressor oil CO-68."})
    assert not score(c, wrong_text, Truth(), DEFAULTS).answer


def test_diagnosis_names_the_fault_of_the_scenario() -> None:
    c = case(expect={"type": "diagnosis", "asset": "S-1"}, category="diagnosis_rul")
    t = Truth(data={"faulted": {"S-1": ["bearing_outer"]}, "scope": ["S-1"]})
    assert score(c, answer("S-1 shows an outer race bearing defect."), t, DEFAULTS).answer
    assert not score(c, answer("S-1 is overloaded."), t, DEFAULTS).answer


def test_argument_matching() -> None:
    assert match_args({"signal|signals": "*P-101*Temperature*"}, {"signals": ["DemoPlant/P-101/Temperature"]})
    assert match_args({"threshold": 6.5, "direction": "below"}, {"threshold": 6.5, "direction": "below", "x": 1})
    assert not match_args({"threshold": 6.5}, {"threshold": 7.0})
    assert not match_args({"asset": "*K-2"}, {})


def test_numbers_in_answers() -> None:
    found = [(q.values, q.unit) for q in quantities("P-101 at 2026-11-26 20:10:03 UTC: 1.234,5 kW, 45,02 °C, 12 h")]
    assert found == [((1234.5,), "kW"), ((45.02,), "°C"), ((12.0,), "h")]
    assert round(convert(1.0, "bar", "psi"), 2) == 14.5 and convert(180, "m3/h", "l/min") == pytest.approx(3000)


def test_kind_of_free_text() -> None:
    assert detect_kind("I cannot help with that.") == "refusal"
    assert detect_kind("Which pump do you mean?") == "clarification"
    assert detect_kind("The pump runs at 2950 rpm.") == "answer"


def test_window_is_taken_from_the_tool_calls() -> None:
    call = ToolCall(tool="historian.stats", arguments={"signal": "P-101/Temperature", "window": "last hour"},
                    result={"window": {"start": "2026-11-26T19:00:00Z", "end": "2026-11-26T20:00:00Z"}},
                    duration_ms=1)  # fmt: skip
    w = window_of(AskResult(question="q", language="en", answer="", tool_calls=[call]))
    assert w is not None and (w[1] - w[0]).total_seconds() == 3600


def test_suites_load_and_cover_the_brief() -> None:
    suites = [load_suite(p) for p in resolve_suite_paths(["full"])]
    cases = [c for s in suites for c in s.cases]
    by_lang = {lang: sum(c.language == lang for c in cases) for lang in ("en", "de", "fr", "es", "it")}
    assert len(cases) >= 200 and by_lang["en"] >= 80 and by_lang["de"] >= 80
    assert all(by_lang[lang] > 0 for lang in ("fr", "es", "it"))
    assert {c.category for c in cases} >= {"live_value", "history_stats", "threshold_periods", "alarms",
                                            "diagnosis_rul", "maintenance_plan", "manual_lookup", "log_lookup",
                                            "multi_step", "follow_up", "ambiguous_asset", "out_of_scope",
                                            "prompt_injection", "unit_conversion"}  # fmt: skip
    assert any(c.audio for c in cases)
    smoke = load_suite(resolve_suite_paths(["smoke"])[0])
    assert len(smoke.cases) <= 25 and smoke.gate["answer_accuracy"] > 0


def _record(i: int, ok: bool, mode: str = "router", lang: str = "en") -> dict[str, Any]:
    s = {"answer": ok, "tool": ok, "args": ok, "grounded": True, "citation_precision": None, "citation_recall": None,
         "refusal_correct": True, "detail": [] if ok else ["expected 1 °C"]}  # fmt: skip
    return {"id": f"c{i}", "suite": "smoke", "category": "live_value", "language": lang, "run_mode": mode,
            "question": "q", "status": "scored", "scores": s, "latency_ms": 100.0 * (i + 1), "tokens": 0,
            "answer": "a", "kind": "answer"}  # fmt: skip


def test_metrics_gate_report_and_compare(tmp_path: Path) -> None:
    a = [_record(i, ok=i < 3) for i in range(4)] + [_record(9, True, lang="de")]
    b = [_record(i, ok=True) for i in range(4)] + [_record(9, False, lang="de")]
    f = figures(a)
    assert f["answer_accuracy"] == 0.8 and f["latency_p50_ms"] == 300.0
    assert check_gate({"smoke": {"answer_accuracy": 0.9}}, a, "router")
    assert not check_gate({"smoke": {"answer_accuracy": 0.8}}, a, "router")
    for name, recs in (("a", a), ("b", b)):
        summary = summarise(recs, "router", {"started": "t", "seconds": 1, "suites": ["smoke"], "modes": ["router"],
                                             "model": "m", "plant": {}, "voice": "-", "corpus": "-"})  # fmt: skip
        write_report(tmp_path / name, recs, summary)
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["cases"] == 5 and summary["accuracy_per_language"] == {"de": 1.0, "en": 0.75}
    assert "<svg" in (tmp_path / "a" / "report.html").read_text()
    text = compare_runs(tmp_path / "a", tmp_path / "b")
    assert "| c3 | fixed |" in text and "| c9 | REGRESSED |" in text


def test_voice_without_a_synthetic_voice_is_reported_as_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.evaluation import runner
    from assistant.voice import synth

    monkeypatch.setattr(synth.shutil, "which", lambda name: None)  # no espeak-ng
    monkeypatch.setattr(synth, "pico_available", lambda: True)
    assert runner.voice_unavailable() is None  # Pico alone is enough
    monkeypatch.setattr(synth, "pico_available", lambda: False)
    assert runner.voice_unavailable() == "voice: no synthetic voice installed (ttspico or espeak-ng)"


def test_a_range_gives_its_unit_to_both_ends() -> None:
    from assistant.evaluation.units import quantities

    text = "remaining life 19.8 days (80 % band 2.1–68 days); Band 2,1 bis 68 Tage"
    got = [(q.raw, q.unit) for q in quantities(text)]
    assert got == [("19.8", "d"), ("80", "%"), ("2.1", "d"), ("68", "d"), ("2,1", "d"), ("68", "d")]
    assert [(q.raw, q.unit) for q in quantities("P-101 at 45 °C, 3 pumps")][-1] == ("3", None)


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ("OEE of Line1 from 2026-11-26 00:00 to 2026-11-27 00:00: 86.1 % = availability 94.7 % × …", True),
        ("TRS de Line1 du 2026-11-26 au 2026-11-27 : 86,5 % = disponibilité 94,7 % …", True),
        ("OEE of Line1: 80.2 % = availability 86.1 % × performance 92.9 %", False),  # the right figure, wrong place
        ("Line1 ran 86.1 % of the planned time.", False),  # no OEE named
    ],
)
def test_kpi_answers_are_held_to_the_oee_from_raw_samples(answer: str, ok: bool) -> None:
    c = case(question="What was the OEE of line 1 yesterday?", category="history_stats",
             expect={"type": "kind", "asset": "Line1", "signal": "OEE"})  # fmt: skip
    truth = Truth(data={"machines": ["S-1", "S-2", "S-5"], "oee": 0.861, "unit": "%"})
    result = AskResult(question=c.question, answer=answer, language="en", kind="answer")
    assert score(c, result, truth, DEFAULTS).answer is ok


@pytest.mark.parametrize(
    ("answer", "bare", "ok"),
    [
        ("# Shift handover report — Line1\n\n- OEE 86.1 % (availability 94.7 %, performance 92.9 %).", [], True),
        ("# Schichtübergabe — Line1\n\n- OEE 86,1 % (Verfügbarkeit 94,7 %, Leistung 92,9 %).", [], False),  # German
        ("# Shift handover report — Line1\n\n- OEE 79.0 % (availability 94.7 %, performance 92.9 %).", [], False),
        (
            "# Shift handover report — Line1\n\n- OEE 86.1 % (availability 94.7 %, performance 92.9 %).",
            ["No OEE for the previous shifts to compare with."],
            False,
        ),  # a statement without its evidence
    ],
)
def test_shift_reports_are_held_to_raw_samples_language_and_evidence(answer: str, bare: list[str], ok: bool) -> None:
    c = case(question="Shift report for line 1", category="shift_report", report={"line": "Line1"},
             expect={"type": "report"})  # fmt: skip
    truth = Truth(data={"machines": ["S-1", "S-2", "S-5"], "oee": 0.861, "unit": "%"})
    call = ToolCall(tool="report.shift", arguments={"line": "Line1"},
                    result={"statements": 5, "without_evidence": bare}, duration_ms=1.0)  # fmt: skip
    result = AskResult(question=c.question, answer=answer, language="en", kind="answer", tool_calls=[call])
    assert score(c, result, truth, DEFAULTS).answer is ok
