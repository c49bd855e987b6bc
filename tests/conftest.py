"""Shared fixtures: real OPC UA servers over TCP on loopback (the demo plant and a second, unseen plant)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import SimSettings
from assistant.loop_thread import LoopThread
from assistant.sim.server import PlantServer
from tests.servers.other_plant import start_other_plant

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "iiot-assistant")
ARTIFACTS = ROOT / "test-artifacts"
# derived data (router example embeddings) is shared by all CLI runs of a test session
SHARED_CACHE = Path(tempfile.mkdtemp(prefix="iiot-test-cache-"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server_loop() -> Iterator[LoopThread]:
    loop = LoopThread("test-servers")
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def demo_plant(server_loop: LoopThread) -> Iterator[PlantServer]:
    # production every day: the tests that need running machines do not depend on the weekday they run on
    plant = PlantServer(SimSettings(port=free_port(), seed=7, production_days=7))
    server_loop.run(plant.start())
    yield plant
    server_loop.run(plant.stop())


@pytest.fixture(scope="session")
def other_plant(server_loop: LoopThread) -> Iterator[str]:
    port = free_port()
    server = server_loop.run(start_other_plant(port))
    yield f"opc.tcp://127.0.0.1:{port}/werk/sued"
    server_loop.run(server.stop())


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder shared for the assembled bundled model (241 MB), so it is joined once per run."""
    return tmp_path_factory.mktemp("models-data")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def run_cli(
    *args: str, data_dir: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``iiot-assistant`` command with a private data folder."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("IIOT_")}
    full_env["IIOT_DATA_DIR"] = str(data_dir)
    full_env["IIOT_CACHE_DIR"] = str(SHARED_CACHE)
    full_env.update(env or {})
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=full_env, timeout=timeout, cwd=ROOT)
