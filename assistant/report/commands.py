"""``iiot-assistant report shift [--line L] [--shift yesterday-late] [--language de] [--format md|html|pdf]``.

Mounted by the host CLI (``_mount_optional``). Markdown and HTML go to stdout unless ``--output`` names a file; a
PDF is written to ``--output`` (default ``<data_dir>/reports/``) and its path printed. Errors (unknown line or shift,
no historian) print ``error: ...`` on stderr and exit non-zero (2 bad input, 3 no data store, 4 unknown line).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.errors import OperatorError

report_app = typer.Typer(no_args_is_help=True, help="Reports: the shift handover report.")


def _settings(config: Path | None, opcua: list[str] | None) -> Any:
    from assistant.config import SettingsError, load_settings

    if config is None:
        from assistant import cli

        config = cli._state.get("config")
    overrides = {"opcua": {"endpoints": [{"url": u} for u in opcua]}} if opcua else None
    try:
        return load_settings(config, overrides=overrides).settings
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


async def make_report(
    settings: Any,
    line: str | None,
    shift: str | None,
    language: str,
    fmt: str,
    llm_summary: bool = False,
    maintenance: bool = True,
    documents: bool = True,
    historian: Any = None,
    anomalies: bool = False,
) -> tuple[Any, str | bytes]:
    """Build and render one report (the CLI and the UI button share this)."""
    from assistant.report.builder import build_shift_report
    from assistant.report.render import render
    from tools.historian import open_store
    from tools.historian.queries import Historian
    from tools.opcua.adapter import OpcUaAdapter

    if historian is None:
        historian = Historian(open_store(settings, read_only=True), settings)
    adapter = OpcUaAdapter(settings)
    llm = None
    if llm_summary:
        from assistant.llm import create_llm

        llm = create_llm(settings)
    try:
        report = await build_shift_report(
            settings,
            historian,
            adapter,
            line=line,
            shift=shift,
            language=language,
            include_maintenance=maintenance,
            include_documents=documents,
            llm=llm,
            include_anomalies=anomalies,
        )
    finally:
        await adapter.close()
    return report, render(report, fmt)


@report_app.command("shift")
def shift(
    line: Annotated[str | None, typer.Option("--line", help="line, area or asset (default: the whole plant)")] = None,
    shift_name: Annotated[
        str | None, typer.Option("--shift", help="'yesterday-late', 'late', 'last' (default), 'current', DATE-NAME")
    ] = None,
    language: Annotated[str | None, typer.Option("--language", help="report language (en, de, fr, es, it)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="md, html or pdf")] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write (pdf default: data folder)")
    ] = None,
    opcua: Annotated[list[str] | None, typer.Option("--opcua", help="OPC UA endpoint URL (repeatable)")] = None,
    llm_summary: Annotated[
        bool, typer.Option("--llm-summary", help="LLM summary paragraph (grounding-checked)")
    ] = False,
    maintenance: Annotated[bool, typer.Option("--maintenance/--no-maintenance", help="maintenance due section")] = True,
    documents: Annotated[bool, typer.Option("--documents/--no-documents", help="open issues from the logs")] = True,
    anomalies: Annotated[
        bool, typer.Option("--anomalies", help="anomaly model over the shift (slower; learns from 2 days before)")
    ] = False,
    config: Annotated[Path | None, typer.Option("--config", help="TOML settings file")] = None,
) -> None:
    """The shift handover report: KPIs against previous shifts, events, alarms, maintenance, open issues."""
    if fmt not in ("md", "html", "pdf"):
        typer.echo(f"error: unknown format '{fmt}' (md, html or pdf)", err=True)
        raise typer.Exit(2)
    settings = _settings(config, opcua)
    lang = language or settings.language
    t0 = time.perf_counter()
    try:
        report, body = asyncio.run(
            make_report(settings, line, shift_name, lang, fmt, llm_summary, maintenance, documents, None, anomalies)
        )
    except OperatorError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(getattr(exc, "exit_code", 2)) from None
    if fmt == "pdf" and output is None:
        w = report.window["start"][:16].replace(":", "").replace("T", "-")
        output = settings.path("reports", f"shift-{report.scope.rsplit('/', 1)[-1]}-{w}.pdf")
    if output is None:
        sys.stdout.write(str(body) + "\n")
    elif str(output) == "-":
        sys.stdout.buffer.write(body if isinstance(body, bytes) else str(body).encode())
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            output.write_bytes(body)
        else:
            output.write_text(body, encoding="utf-8")
        typer.echo(f"report written to {output} ({time.perf_counter() - t0:.1f} s)")
