"""The ``iiot-assistant`` command line: a thin layer over settings, the agent, the demo plant and the UI."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.config import LoadedSettings, SettingsError, describe, load_settings
from assistant.errors import OperatorError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="IIoT Assistant: ask your plant, offline.")
config_app = typer.Typer(no_args_is_help=True, help="Inspect settings.")
app.add_typer(config_app, name="config")


def _mount_optional(module: str, attr: str, name: str) -> None:
    """Mount a sub-command group defined in another package (each package owns its commands)."""
    import importlib

    app.add_typer(getattr(importlib.import_module(module), attr), name=name)


_mount_optional("tools.documents.commands", "index_app", "index")
_mount_optional("tools.maintenance.commands", "models_app", "models")
_mount_optional("assistant.security.passwords", "users_app", "users")
_mount_optional("assistant.evaluation.commands", "eval_app", "eval")
_mount_optional("assistant.report.commands", "report_app", "report")

_state: dict[str, Any] = {"config": None}


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _load(overrides: dict[str, Any] | None = None) -> LoadedSettings:
    try:
        return load_settings(_state["config"], overrides=overrides)
    except SettingsError as exc:
        _fail(str(exc), 2)
        raise  # unreachable


@app.callback()
def _root(
    config: Annotated[Path | None, typer.Option("--config", help="TOML settings file (or IIOT_CONFIG)")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    _state["config"] = config
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not verbose:
        for noisy in ("asyncua", "httpx", "chromadb"):
            logging.getLogger(noisy).setLevel(logging.ERROR)


@config_app.command("show")
def config_show(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print the effective settings and where each value came from."""
    rows = describe(_load())
    if as_json:
        typer.echo(json.dumps([{"key": k, "value": v, "source": s} for k, v, s in rows], indent=2, default=str))
        return
    width = max(len(k) for k, _, _ in rows)
    for key, value, source in rows:
        typer.echo(f"{key:<{width}} = {json.dumps(value, default=str, ensure_ascii=False)}   # {source}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question, in any supported language")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="print the ask --json contract")] = False,
    opcua: Annotated[list[str] | None, typer.Option("--opcua", help="OPC UA endpoint URL (repeatable)")] = None,
    language: Annotated[str | None, typer.Option("--language", help="answer language (default: detected)")] = None,
    rewrite: Annotated[bool | None, typer.Option("--rewrite/--no-rewrite", help="LLM rephrasing")] = None,
    audio: Annotated[Path | None, typer.Option("--audio", help="a recorded question (wav/ogg/webm/mp3)")] = None,
) -> None:
    """Ask one question and print the answer."""
    from assistant.agent import Agent

    overrides: dict[str, Any] = {}
    if opcua:
        overrides["opcua.endpoints"] = list(opcua)
    if rewrite is not None:
        overrides["llm.rewrite_answers"] = rewrite
    settings = _load(overrides).settings
    if audio is not None:
        from assistant.voice.transcribe import ask_audio

        try:
            out = ask_audio(settings, audio, language)
        except OperatorError as exc:
            if as_json:
                typer.echo(json.dumps({"question": str(audio), "error": exc.message}, ensure_ascii=False))
            _fail(exc.message, exc.exit_code)
            return
        plain = f"({out['transcript']})\n{out['answer']}"
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2) if as_json else plain)
        return

    async def run() -> Any:
        agent = Agent(settings)
        try:
            return await agent.ask(question, language=language)
        finally:
            await agent.adapter.close()

    try:
        result = asyncio.run(run())
    except OperatorError as exc:
        if as_json:
            typer.echo(json.dumps({"question": question, "error": exc.message}, ensure_ascii=False))
        _fail(exc.message, exc.exit_code)
        return
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        typer.echo(result.answer)


@app.command()
def sim(
    port: Annotated[int | None, typer.Option("--port", help="TCP port of the OPC UA server")] = None,
    acceleration: Annotated[float | None, typer.Option("--acceleration", help="plant seconds per second")] = None,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    backfill: Annotated[
        float | None, typer.Option("--backfill", help="days of plant history generated at start")
    ] = None,
) -> None:
    """Serve the demo plant over OPC UA on 127.0.0.1."""
    from assistant.sim.server import PlantServer

    overrides = {
        k: v
        for k, v in {
            "sim.port": port,
            "sim.acceleration": acceleration,
            "sim.seed": seed,
            "sim.backfill_days": backfill,
        }.items()
        if v is not None
    }
    settings = _load(overrides).settings

    async def run() -> None:
        plant = PlantServer(settings.sim, settings.data_dir.expanduser())
        try:
            await plant.start()
        except OSError as exc:
            _fail(f"cannot serve the demo plant on port {settings.sim.port}: {exc.strerror or exc}", 3)
        typer.echo(f"demo plant ready at {plant.endpoint}", err=True)
        try:
            await asyncio.Event().wait()
        finally:
            await plant.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@app.command()
def demo(
    headless: Annotated[bool, typer.Option("--headless", help="no web UI: plant and assistant only")] = False,
    opcua_port: Annotated[int | None, typer.Option("--opcua-port")] = None,
    ui_port: Annotated[int | None, typer.Option("--ui-port")] = None,
) -> None:
    """Start the demo plant, everything the assistant needs, and the web UI."""
    from assistant.demo import run_demo

    overrides: dict[str, Any] = {}
    if opcua_port:
        overrides["sim.port"] = opcua_port
    if ui_port:
        overrides["ui.port"] = ui_port
    loaded = _load(overrides)
    try:
        run_demo(loaded.settings, headless=headless, endpoint_from_settings="opcua.endpoints" in loaded.sources,
                 configured=frozenset(loaded.sources))  # fmt: skip
    except OperatorError as exc:
        _fail(exc.message, exc.exit_code)
    except KeyboardInterrupt:
        pass


@app.command()
def collect(
    duration: Annotated[float | None, typer.Option("--duration", help="stop after N seconds")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Collect OPC UA values into the historian (until Ctrl+C)."""
    from tools.historian.commands import collect_command

    try:
        collect_command(_load().settings, duration, quiet)
    except OperatorError as exc:
        _fail(exc.message, exc.exit_code)


@app.command()
def ui() -> None:
    """Start the web UI against the configured plant (without starting the demo plant)."""
    from assistant.ui.app import launch

    try:
        launch(_load().settings)
    except OperatorError as exc:
        _fail(exc.message, exc.exit_code)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
