"""Entry points that run the historian: ``collect_command`` (the ``iiot-assistant collect`` command),
``start_collector`` (the demo runs it beside the plant, in-process) and ``historian_app`` (typer sub-commands
``collect`` and ``query`` for engineers)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from dataclasses import dataclass
from typing import Annotated

import typer

from assistant.config import Settings
from assistant.loop_thread import LoopThread
from tools.historian import open_store
from tools.historian.collector import Collector
from tools.historian.queries import TOOLS, Historian, run_tool
from tools.historian.store import HistorianStore


def _status_line(c: Collector) -> str:
    parts = []
    for st in c.status.values():
        state = "connected" if st.connected else f"waiting ({st.last_error or 'connecting'})"
        parts.append(f"{st.url}: {state}, {st.signals} signals, {st.notifications} changes, {st.backfilled} backfilled")
    w = c.writer
    return f"historian {c.store.describe()}: {w.written} written, {w.pending} pending | " + " | ".join(parts)


async def _collect(settings: Settings, duration_s: float | None, quiet: bool) -> Collector:
    store = open_store(settings, hold=False)  # let other processes read the DuckDB file between flushes
    collector = Collector(settings, store)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await collector.start()
    waited = 0.0
    try:
        while not stop.is_set() and (duration_s is None or waited < duration_s):
            step = 10.0 if duration_s is None else min(10.0, duration_s - waited)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), step)
            waited += step
            if not quiet:
                print(_status_line(collector), file=sys.stderr, flush=True)
    finally:
        await collector.stop()
        store.close()
    return collector


def collect_command(settings: Settings, duration_s: float | None = None, quiet: bool = False) -> int:
    """Run the collector alone until Ctrl+C / SIGTERM (or ``duration_s``). Returns the number of rows written."""
    collector = asyncio.run(_collect(settings, duration_s, quiet))
    print(_status_line(collector), file=sys.stderr, flush=True)
    return collector.writer.written


@dataclass
class RunningCollector:
    """A collector running on a :class:`LoopThread`, with the query tools over the same store."""

    collector: Collector
    store: HistorianStore
    historian: Historian
    loop: LoopThread
    own_loop: bool

    def flush(self) -> int:
        return self.loop.run(self.collector.flush())

    def stop(self) -> None:
        self.loop.run(self.collector.stop(), timeout=30)
        self.store.close()
        if self.own_loop:
            self.loop.close()


def start_collector(
    settings: Settings, loop: LoopThread | None = None, store: HistorianStore | None = None
) -> RunningCollector:
    """Start collecting in the background (the demo: plant + collector + assistant in one process)."""
    own = loop is None
    loop = loop or LoopThread("historian-collector")
    store = store or open_store(settings)

    async def make() -> Collector:
        c = Collector(settings, store)
        await c.start()
        return c

    collector = loop.run(make())
    return RunningCollector(collector, store, Historian(store, settings), loop, own)


historian_app = typer.Typer(no_args_is_help=True, help="The historian: collect OPC UA values, query history.")


def _settings() -> Settings:
    from assistant.config import load_settings

    return load_settings().settings


@historian_app.command("collect")
def collect_cli(
    duration: Annotated[float | None, typer.Option("--duration", help="stop after this many seconds")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Subscribe to the configured OPC UA endpoints and write value changes to the historian."""
    collect_command(_settings(), duration, quiet)


@historian_app.command("query")
def query_cli(
    tool: Annotated[str, typer.Argument(help=f"one of: {', '.join(TOOLS)}")],
    arguments: Annotated[str, typer.Argument(help="JSON arguments")] = "{}",
) -> None:
    """Run one historian tool and print its JSON result."""
    from assistant.errors import OperatorError

    settings = _settings()
    try:
        store = open_store(settings, read_only=True)
        try:
            name = tool if tool.startswith("historian.") else f"historian.{tool}"
            result = run_tool(Historian(store, settings), name, json.loads(arguments))
        finally:
            store.close()
    except OperatorError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except json.JSONDecodeError as exc:
        typer.echo(f"error: the arguments are not JSON: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
