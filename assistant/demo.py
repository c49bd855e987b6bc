"""``iiot-assistant demo``: the demo plant in a background thread, the assistant pointed at it, and the UI."""

from __future__ import annotations

import threading
import time
from typing import Any

import typer

from assistant.config import EndpointSettings, FaultSettings, Settings
from assistant.errors import EndpointUnreachable, OperatorError
from assistant.loop_thread import LoopThread
from assistant.sim.server import PlantServer

DEMO_BACKFILL_DAYS = 1.0
# what the demo plant shows unless the settings choose: a spindle bearing wearing out, a strainer clogging,
# a leak in the compressed-air network
DEMO_FAULTS = [
    FaultSettings(asset="S-1", fault="bearing_outer", started_hours_ago=150),
    FaultSettings(asset="P-102", fault="filter_clogging", started_hours_ago=100),
    FaultSettings(asset="K-2", fault="compressor_leak", started_hours_ago=30),
]


def run_demo(settings: Settings, headless: bool, endpoint_from_settings: bool = False,
             configured: frozenset[str] = frozenset()) -> None:  # fmt: skip
    """``configured``: the dotted setting keys the user set (defaults are replaced by the demo scenario)."""
    if "sim.backfill_days" not in configured:
        settings.sim.backfill_days = DEMO_BACKFILL_DAYS
    if "sim.faults" not in configured:
        settings.sim.faults = list(DEMO_FAULTS)
    plant = PlantServer(settings.sim, settings.data_dir.expanduser())
    loop = LoopThread("demo-plant")
    try:
        loop.run(plant.start())
    except OSError as exc:
        raise EndpointUnreachable(f"the demo plant could not start on {plant.endpoint}: {exc.strerror or exc}") from exc
    if not endpoint_from_settings:
        settings.opcua.endpoints = [EndpointSettings(url=plant.endpoint)]
    typer.echo(f"demo plant ready at {plant.endpoint}", err=True)
    collector = _start_collector(settings, loop)
    threading.Thread(target=_index_demo_corpus, args=(settings,), name="demo-corpus", daemon=True).start()
    try:
        if headless:
            typer.echo("demo running headless; press Ctrl+C to stop", err=True)
            while True:
                time.sleep(3600)
        else:
            from assistant.ui.app import launch

            launch(settings)
    finally:
        if collector is not None:
            collector.stop()
        loop.run(plant.stop(), timeout=10)
        loop.close()


def _start_collector(settings: Settings, loop: LoopThread) -> Any:
    """The historian collector beside the plant; the store is opened per flush so `ask` can read it too."""
    from tools.historian import open_store
    from tools.historian.commands import start_collector

    try:
        running = start_collector(settings, loop, store=open_store(settings, hold=False))
    except OperatorError as exc:
        typer.echo(f"warning: the historian is not collecting: {exc.message}", err=True)
        return None
    typer.echo("historian collecting (history from the plant is backfilled)", err=True)
    return running


def _index_demo_corpus(settings: Settings) -> None:
    """Ingest the demo manuals and logs in the background (incremental: cheap after the first start)."""
    from tools.documents import ensure_demo_corpus

    try:
        report = ensure_demo_corpus(settings)
        typer.echo(
            f"document index ready: {len(report.files)} files, {report.chunks} new chunks, {len(report.errors)} errors",
            err=True,
        )
    except OperatorError as exc:
        typer.echo(f"warning: the demo documents could not be indexed: {exc.message}", err=True)
