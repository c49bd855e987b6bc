"""``iiot-assistant demo``: the demo plant in a background thread, the assistant pointed at it, and the UI."""

from __future__ import annotations

import time

import typer

from assistant.config import EndpointSettings, Settings
from assistant.errors import EndpointUnreachable
from assistant.loop_thread import LoopThread
from assistant.sim.server import PlantServer


def run_demo(settings: Settings, headless: bool, endpoint_from_settings: bool = False) -> None:
    plant = PlantServer(settings.sim, settings.data_dir.expanduser())
    loop = LoopThread("demo-plant")
    try:
        loop.run(plant.start())
    except OSError as exc:
        raise EndpointUnreachable(f"the demo plant could not start on {plant.endpoint}: {exc.strerror or exc}") from exc
    if not endpoint_from_settings:
        settings.opcua.endpoints = [EndpointSettings(url=plant.endpoint)]
    typer.echo(f"demo plant ready at {plant.endpoint}", err=True)
    try:
        if headless:
            typer.echo("demo running headless; press Ctrl+C to stop", err=True)
            while True:
                time.sleep(3600)
        else:
            from assistant.ui.app import launch

            launch(settings)
    finally:
        loop.run(plant.stop(), timeout=10)
        loop.close()
