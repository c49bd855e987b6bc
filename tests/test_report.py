"""The shift handover report: `iiot-assistant report shift` in md/html/pdf against the demo plant and a real DuckDB
historian, figures equal to the KPI tools' (themselves checked against the plant in test_kpi), every statement with
evidence, and the bad-input messages (unknown shift or line, a line without counters, a shift without data)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.sim.export import export_history
from tests.conftest import run_cli
from tests.kpi_support import KpiSetup, kpi
from tools.historian.duckdb_store import DuckDBStore
from tools.kpi.queries import run_kpi

__all__ = ["kpi"]  # the shared fixture


@pytest.fixture(scope="module")
def cli_data(kpi: KpiSetup) -> Path:
    """A data folder whose historian file is closed, so the CLI process can open it."""
    data = kpi.data_dir / "cli"
    store = DuckDBStore(data / "historian" / "history.duckdb")
    store.ensure_schema()
    export_history(kpi.plant, store)
    store.close()
    return data


def _spec(kpi: KpiSetup) -> str:
    start = kpi.window[0]
    name = {6: "early", 14: "late", 22: "night"}[start.hour]
    return f"{start.date().isoformat()}-{name}"


def _env(kpi: KpiSetup) -> dict[str, str]:
    return {"IIOT_OPCUA__ENDPOINTS": f'["{kpi.plant.endpoint}"]'}


def _oee_pct(kpi: KpiSetup, scope: str = "line 1") -> str:
    a, b = kpi.window
    t = run_kpi(kpi.tools, "kpi.oee", {"scope": scope, "window": f"{a.isoformat()}/{b.isoformat()}"})["total"]
    return f"{round(t['oee'] * 100, 1):g}"


def test_markdown_report_in_english(kpi: KpiSetup, cli_data: Path) -> None:
    done = run_cli("report", "shift", "--line", "line 1", "--shift", _spec(kpi), "--format", "md",
                   data_dir=cli_data, env=_env(kpi))  # fmt: skip
    assert done.returncode == 0, done.stderr
    md = done.stdout
    assert md.startswith("# Shift handover report — Line1,")
    assert f"OEE {_oee_pct(kpi)} %" in md
    for title in ("## Key figures", "## Against the previous shifts", "## Notable events", "## Top alarms",
                  "## Maintenance due", "## Open issues from the logs"):  # fmt: skip
        assert title in md, title
    statements = [line for line in md.splitlines() if line.startswith("- ")]
    with_evidence = [i for i, line in enumerate(md.splitlines()) if line.startswith("  - Evidence: ")]
    assert statements and len(with_evidence) == len(statements)  # "nothing found" too: where it was looked for
    assert "E-23" in md and "MachineState" in md, "the breakdown and its alarm are among the notable events"


def test_html_and_pdf_reports_in_german(kpi: KpiSetup, cli_data: Path, tmp_path: Path) -> None:
    html_file, pdf_file = tmp_path / "r.html", tmp_path / "r.pdf"
    for fmt, out in (("html", html_file), ("pdf", pdf_file)):
        done = run_cli("report", "shift", "--line", "Linie 1", "--shift", _spec(kpi), "--language", "de",
                       "--format", fmt, "--output", str(out), "--no-maintenance", data_dir=cli_data,
                       env=_env(kpi))  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "report written to" in done.stdout
    html = html_file.read_text(encoding="utf-8")
    assert "<h1>Schichtübergabe — Line1" in html and "Belege" in html and "Plotly.newPlot" in html
    assert f"OEE {_oee_pct(kpi).replace('.', ',')} %" in html
    pdf = pdf_file.read_bytes()
    assert pdf.startswith(b"%PDF")
    from pypdf import PdfReader

    text = " ".join((p.extract_text() or "") for p in PdfReader(str(pdf_file)).pages)
    assert "Kennzahlen" in " ".join(text.split())


def test_markdown_report_in_french_with_french_numbers(kpi: KpiSetup, cli_data: Path) -> None:
    done = run_cli("report", "shift", "--line", "line 1", "--shift", _spec(kpi), "--language", "fr",
                   "--format", "md", "--no-maintenance", data_dir=cli_data, env=_env(kpi))  # fmt: skip
    assert done.returncode == 0, done.stderr
    md = done.stdout
    assert md.startswith("# Rapport de relève de poste — Line1,")
    assert f"TRS {_oee_pct(kpi).replace('.', ',')} %" in md  # French name of OEE, decimal comma
    assert "## Indicateurs clés" in md and "## Principales alarmes" in md
    assert "Shift handover" not in md and "Evidence:" not in md and "  - Preuves: " in md


def test_bad_input_is_named_not_invented(kpi: KpiSetup, cli_data: Path) -> None:
    env = _env(kpi)
    bad_shift = run_cli("report", "shift", "--shift", "yesterday-brunch", data_dir=cli_data, env=env)
    assert bad_shift.returncode == 2 and "no shift called 'brunch'" in bad_shift.stderr, bad_shift.stderr
    bad_line = run_cli("report", "shift", "--line", "line 9", "--no-maintenance", "--no-documents",
                       data_dir=cli_data, env=env)  # fmt: skip
    assert bad_line.returncode == 4 and "no line, area or asset called 'line 9'" in bad_line.stderr
    air = run_cli("report", "shift", "--line", "compressed air", "--shift", _spec(kpi), "--no-maintenance",
                  "--no-documents", data_dir=cli_data, env=env)  # fmt: skip
    assert air.returncode == 0, air.stderr
    assert "Not available: DemoPlant/Utilities/CompressedAir has no production counters" in air.stdout
    assert "OEE " not in air.stdout.split("## Against")[0].replace("OEE %", "")
    empty = run_cli("report", "shift", "--line", "line 1", "--shift", "2020-01-06-early", "--no-maintenance",
                    "--no-documents", data_dir=cli_data, env=env)  # fmt: skip
    assert empty.returncode == 0, empty.stderr
    assert "no stored values" in empty.stdout and "OEE —" not in empty.stdout
    assert os.path.exists(cli_data / "historian" / "history.duckdb")


async def test_ui_button_and_grounded_llm_summary(kpi: KpiSetup) -> None:
    from dataclasses import dataclass

    from assistant.agent import Agent
    from assistant.report.builder import Section, ShiftReport, Statement, summarise
    from assistant.report.ui import shift_report

    agent = Agent(kpi.settings, historian=kpi.historian)
    try:
        md, path = await shift_report(agent, "Linie 1", "de", shift=_spec(kpi))
    finally:
        await agent.adapter.close()
    assert md.startswith("# Schichtübergabe — Line1") and f"OEE {_oee_pct(kpi).replace('.', ',')} %" in md
    assert Path(path).read_text(encoding="utf-8").startswith("<!doctype html>")

    @dataclass
    class Done:
        text: str
        timed_out: bool = False

    class Stub:
        def __init__(self, text: str) -> None:
            self.text = text

        def complete(self, prompt: str, **kw: object) -> Done:
            assert "OEE 84.2 %" in prompt
            return Done(self.text)

    report = ShiftReport("t", "en", "plant", {}, "g", [Section("kpis", "Key figures", [Statement("OEE 84.2 %.")])])
    assert summarise(report, Stub("The shift ran at an OEE of 84.2 %."), kpi.settings) == (
        "The shift ran at an OEE of 84.2 %."
    )
    assert summarise(report, Stub("The shift ran at an OEE of 91 %."), kpi.settings) is None  # not in the facts


async def test_anomaly_check_is_part_of_the_events_when_asked(kpi: KpiSetup) -> None:
    from assistant.report.builder import build_shift_report

    report = await build_shift_report(kpi.settings, kpi.historian, None, line="line 1", shift=_spec(kpi),
                                      include_maintenance=False, include_documents=False,
                                      include_anomalies=True)  # fmt: skip
    events = next(s for s in report.sections if s.key == "events")
    found = [st for st in events.statements if st.text.startswith(("Anomaly:", "No signal left", "Anomaly check"))]
    assert found, [st.text for st in events.statements]
    assert all(st.evidence for st in found if st.text.startswith("Anomaly:"))
    assert "maintenance.anomalies" in report.timings_ms
