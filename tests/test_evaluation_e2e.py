"""The smoke suite end to end, in process, against the demo plant over OPC UA — with the suite's accuracy gate
(a regression of the assistant fails this test, and CI with it); and the ``eval`` command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from assistant.config import Settings
from assistant.evaluation.commands import eval_app
from assistant.evaluation.runner import EvalOptions, run_evaluation
from assistant.sim.server import PlantServer
from tests.conftest import SHARED_CACHE


def test_smoke_suite_passes_its_gate(demo_plant: PlantServer, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", cache_dir=SHARED_CACHE)
    report = tmp_path / "report"
    opts = EvalOptions(suites=["smoke"], report_dir=report, opcua=[demo_plant.endpoint],
                       faults=list(demo_plant.settings.faults), progress=False)  # fmt: skip
    out = run_evaluation(opts, settings)
    failed = [(r["id"], r.get("answer"), r["scores"]["detail"]) for r in out.records if not r["scores"]["answer"]]
    assert not out.gate_failures, f"{out.gate_failures}; failed cases: {failed}"
    summary = json.loads((report / "summary.json").read_text())
    for key in ("cases", "answer_accuracy", "tool_choice_accuracy", "groundedness", "accuracy_per_language"):
        assert key in summary
    assert summary["cases"] == len(out.records) >= 20 and summary["skipped"] == 0
    assert set(summary["accuracy_per_language"]) >= {"en", "de"}
    assert (report / "results.json").is_file() and "<svg" in (report / "report.html").read_text()
    assert "answer accuracy" in (report / "summary.md").read_text()

    runner = CliRunner()
    compared = runner.invoke(eval_app, ["compare", str(report), str(report)])
    assert compared.exit_code == 0 and "Cases that changed (0)" in compared.output
    unknown = runner.invoke(eval_app, ["no-such-suite", "--report", str(tmp_path / "x")])
    assert unknown.exit_code == 2 and "no suite 'no-such-suite'" in unknown.output
