"""The node-opcua test server: install it with npm when needed, start it on a free port, stop it afterwards.

node-opcua is an OPC UA stack independent of asyncua (TypeScript, its own encoders, its own address space), so the
adapter is checked against something it was not built beside. The server script and its pinned dependencies live
in ``tests/servers/node_opcua`` (``package.json`` + ``package-lock.json``). When ``node_modules`` is missing or holds
another node-opcua version, ``npm ci --no-audit --no-fund`` installs it (about 20-60 s, needs the npm registry).
Node.js and npm are required: without them the tests fail (CI has them), they are not skipped.

Use it in a test module with ``from tests.node_opcua_support import node_opcua_plant``.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import json
import logging
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port

SERVER_DIR = ROOT / "tests" / "servers" / "node_opcua"
START_TIMEOUT_S = 90.0
INSTALL_TIMEOUT_S = 900.0
log = logging.getLogger(__name__)


@dataclass
class NodeOpcUaServer:
    url: str
    process: subprocess.Popen[str]
    started_at: float
    output: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=200))


def _say(message: str, config: pytest.Config | None = None) -> None:
    """Progress on the terminal even while pytest captures output (installing can take a minute), and in the log."""
    log.info(message)
    capture = config.pluginmanager.getplugin("capturemanager") if config is not None else None
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        print(f"\n[node-opcua] {message}", file=sys.stderr, flush=True)


def _tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        missing = " and ".join(name for name, path in (("node", node), ("npm", npm)) if not path)
        pytest.fail(
            f"the node-opcua interoperability tests need Node.js: {missing} not found on PATH. Install Node.js >= 18 "
            f"with npm (e.g. `apt-get install nodejs npm`); the tests install node-opcua themselves "
            f"(`npm ci` in {SERVER_DIR.relative_to(ROOT)}).",
            pytrace=False,
        )
    return node, npm


def _installed_matches() -> bool:
    wanted = json.loads((SERVER_DIR / "package.json").read_text())["dependencies"]["node-opcua"]
    installed = SERVER_DIR / "node_modules" / "node-opcua" / "package.json"
    return installed.exists() and json.loads(installed.read_text()).get("version") == wanted


def ensure_node_opcua(config: pytest.Config | None = None) -> str:
    """Install the pinned node-opcua with ``npm ci`` unless it is there already; returns the ``node`` path."""
    node, npm = _tools()
    with open(Path(tempfile.gettempdir()) / "iiot-node-opcua-npm.lock", "w") as lock:  # parallel workers install once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed_matches():
            return node
        cmd = [npm, "ci", "--no-audit", "--no-fund"]
        _say(f"node_modules missing or stale: running `npm {' '.join(cmd[1:])}` in {SERVER_DIR} ...", config)
        t0 = time.perf_counter()
        try:
            done = subprocess.run(cmd, cwd=SERVER_DIR, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`npm ci` in {SERVER_DIR} did not finish within {INSTALL_TIMEOUT_S:.0f} s", pytrace=False)
        took = time.perf_counter() - t0
        if done.returncode != 0 or not _installed_matches():
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
            why = f"exit {done.returncode}, {took:.0f} s"
            pytest.fail(f"`npm ci` in {SERVER_DIR} failed ({why}):\n{tail}", pytrace=False)
        summary = (done.stdout.strip().splitlines() or [""])[-1]
        _say(f"installed node-opcua in {took:.1f} s ({summary})", config)
    return node


def _pump(stream: object, lines: queue.Queue[str | None], keep: collections.deque[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        keep.append(line.rstrip())
        lines.put(line)
    lines.put(None)


@contextlib.contextmanager
def run_node_opcua_server(
    pki_dir: Path, port: int | None = None, config: pytest.Config | None = None
) -> Iterator[NodeOpcUaServer]:
    """Start ``node server.js PORT``, wait for its READY line, yield it, stop it (SIGTERM, then SIGKILL)."""
    node = ensure_node_opcua(config)
    port = port or free_port()
    cmd = [node, "server.js", str(port), "--pki", str(pki_dir), "--exit-on-stdin-close"]
    proc = subprocess.Popen(
        cmd, cwd=SERVER_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    keep: collections.deque[str] = collections.deque(maxlen=200)
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, lines, keep), daemon=True, name="node-opcua-output").start()
    try:
        deadline, url = time.monotonic() + START_TIMEOUT_S, None
        while url is None:
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                line = None  # timed out
            if line is None:  # timed out, or the process ended
                output = "\n".join(keep)
                pytest.fail(f"the node-opcua server did not report READY ({' '.join(cmd)}):\n{output}", pytrace=False)
            if line.startswith("READY "):
                url = line.split()[1]
        log.info("node-opcua server up: %s", line.strip())
        yield NodeOpcUaServer(url=url, process=proc, started_at=time.time(), output=keep)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if proc.stdin:
            with contextlib.suppress(OSError):
                proc.stdin.close()


@pytest.fixture(scope="module")
def node_opcua_plant(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NodeOpcUaServer]:
    """The node-opcua press line (``tests/servers/node_opcua/server.js``), one per test module."""
    with run_node_opcua_server(tmp_path_factory.mktemp("node-opcua-pki"), config=request.config) as server:
        yield server
