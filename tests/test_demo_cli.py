"""``iiot-assistant demo`` and ``sim`` start real servers: the plant answers over OPC UA, the UI over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.conftest import CLI, ROOT, SHARED_CACHE, free_port, run_cli


def _start(args: list[str], data_dir: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IIOT_")}
    env["IIOT_DATA_DIR"] = str(data_dir)
    env["IIOT_CACHE_DIR"] = str(SHARED_CACHE)
    return subprocess.Popen([CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def _wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float = 90) -> str:
    deadline = time.time() + timeout
    assert proc.stderr is not None
    while time.time() < deadline:
        line = proc.stderr.readline()
        if needle in line:
            return line
        if proc.poll() is not None:
            raise AssertionError(f"process ended: {proc.returncode} {proc.stderr.read()}")
    raise AssertionError(f"timed out waiting for {needle!r}")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_sim_serves_the_demo_plant(data_dir: Path) -> None:
    port = free_port()
    proc = _start(["sim", "--port", str(port)], data_dir)
    try:
        line = _wait_for_line(proc, "demo plant ready at")
        url = line.split("ready at")[1].strip()
        assert url == f"opc.tcp://127.0.0.1:{port}/iiot/demo"
        out = run_cli(
            "ask", "What is the current pressure of compressor K-2?", "--json", "--opcua", url, data_dir=data_dir
        )
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout)
        assert " bar " in result["answer"] and "K-2" in result["answer"]
        value = result["tool_calls"][-1]["result"][0]["value"]
        assert 4.0 <= value <= 8.5  # the compressor holds its network between load and unload pressure
    finally:
        _stop(proc)


def test_demo_starts_plant_and_ui(data_dir: Path) -> None:
    opc_port, ui_port = free_port(), free_port()
    proc = _start(["demo", "--opcua-port", str(opc_port), "--ui-port", str(ui_port)], data_dir)
    try:
        _wait_for_line(proc, "demo plant ready at")
        deadline = time.time() + 90
        page = ""
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/", timeout=5) as resp:
                    page = resp.read().decode("utf-8", "replace")
                    break
            except OSError:
                time.sleep(1)
        assert "IIoT Assistant" in page
        out = run_cli(
            "ask",
            "Temperatur der Pumpe P-101?",
            "--opcua",
            f"opc.tcp://127.0.0.1:{opc_port}/iiot/demo",
            data_dir=data_dir,
        )
        assert out.returncode == 0 and "°C" in out.stdout
    finally:
        _stop(proc)


def test_demo_port_in_use_is_explained(data_dir: Path, demo_plant) -> None:  # type: ignore[no-untyped-def]
    port = int(demo_plant.endpoint.rsplit(":", 1)[1].split("/")[0])
    out = run_cli("demo", "--headless", "--opcua-port", str(port), data_dir=data_dir, timeout=60)
    assert out.returncode == 3 and "could not start" in out.stderr
