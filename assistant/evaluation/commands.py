"""``iiot-assistant eval``: run question suites against the plant and write a report; compare two runs.

Mounted by the CLI as ``app.add_typer(eval_app, name="eval")``. ``eval run SUITE...`` runs suites, and so does
``eval SUITE...`` (the group hands anything that is not a subcommand to ``run``); ``eval compare A B`` compares
two report folders. Exit code 1 when a suite's gate fails, 2 for bad arguments.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup


class _RunByDefault(TyperGroup):
    """``eval SUITE...`` means ``eval run SUITE...``: anything that is not a subcommand goes to ``run``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=_RunByDefault,
    add_completion=False,
    no_args_is_help=True,
    help="Evaluate answer accuracy on question suites (eval/suites): `eval SUITE...` or `eval compare A B`.",
)

SuitesArg = Annotated[list[str], typer.Argument(help="suite files, folders or names in eval/suites (smoke, full)")]
ModeOpt = Annotated[
    list[str] | None,
    typer.Option("--mode", help="router (default), llm, llm-only, retrieval-only; repeatable"),
]


def _settings() -> Any:
    from assistant.cli import _load

    return _load().settings


@eval_app.command("run")
def run(
    suites: SuitesArg,
    mode: ModeOpt = None,
    baselines: Annotated[bool, typer.Option("--baselines", help="add the llm-only and retrieval-only modes")] = False,
    model: Annotated[str | None, typer.Option("--model", help="GGUF path or bundled model name (LLM modes)")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="report folder (default eval-reports/<time>)")] = None,
    opcua: Annotated[list[str] | None, typer.Option("--opcua", help="existing plant endpoint (repeatable)")] = None,
    category: Annotated[list[str] | None, typer.Option("--category", help="only these categories")] = None,
    language: Annotated[list[str] | None, typer.Option("--language", help="only these languages")] = None,
    case: Annotated[list[str] | None, typer.Option("--case", help="only these case ids (globs)")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="at most this many cases per mode")] = None,
    seed: Annotated[int, typer.Option("--seed", help="demo plant seed")] = 42,
    backfill: Annotated[float, typer.Option("--backfill", help="plant days of history for the demo plant")] = 1.0,
    no_progress: Annotated[bool, typer.Option("--no-progress")] = False,
) -> None:
    """Run suites against the plant (default: the demo plant in process) and write the report."""
    from datetime import datetime

    from assistant.errors import OperatorError
    from assistant.evaluation.runner import BASELINES, EvalOptions, run_evaluation

    modes = list(mode or ["router"]) + ([m for m in BASELINES if m not in (mode or [])] if baselines else [])
    out = report or Path("eval-reports") / datetime.now().strftime("%Y%m%d-%H%M%S")
    opts = EvalOptions(suites=suites, modes=modes, report_dir=out, opcua=list(opcua or []), model=model,
                       categories=list(category or []), languages=list(language or []), ids=list(case or []),
                       limit=limit, seed=seed, backfill_days=backfill,
                       progress=not no_progress and sys.stderr.isatty())  # fmt: skip
    try:
        result = run_evaluation(opts, _settings())
    except (FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except OperatorError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(exc.exit_code) from exc
    s = result.summary
    for m, f in s["by_mode"].items():
        typer.echo(
            f"{m:>15}: answer accuracy {_pct(f['answer_accuracy'])} ({f['passed']}/{f['scored']}, {f['skipped']} "
            f"skipped) · tool choice {_pct(f['tool_choice_accuracy'])} · arguments {_pct(f['argument_accuracy'])} · "
            f"grounded {_pct(f['groundedness'])} · p50 {f['latency_p50_ms']} ms"
        )
    typer.echo("per language: " + json.dumps(s["accuracy_per_language"]))
    typer.echo(f"report: {out}/summary.md, {out}/report.html, {out}/results.json, {out}/summary.json")
    if result.gate_failures:
        for failure in result.gate_failures:
            typer.echo(f"gate failed: {failure}", err=True)
        raise typer.Exit(1)


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f} %"


@eval_app.command("compare")
def compare(
    a: Annotated[Path, typer.Argument(help="report folder of run A (the baseline)")],
    b: Annotated[Path, typer.Argument(help="report folder of run B")],
    mode: Annotated[str | None, typer.Option("--mode", help="compare this mode of both runs")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="also write the Markdown here")] = None,
) -> None:
    """Compare two runs: figures, per category/language, and the cases that flipped."""
    from assistant.evaluation.compare import compare_runs

    try:
        text = compare_runs(a, b, mode)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if out:
        out.write_text(text, encoding="utf-8")
    typer.echo(text)
