"""A private ClickHouse server for tests and the benchmark: the Debian ``clickhouse-server`` binary started on
free loopback ports with a temporary config and data folder, stopped at exit."""

from __future__ import annotations

import atexit
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

_CONFIG = """<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{d}/server.log</log><errorlog>{d}/server.err.log</errorlog>
    <size>10M</size><count>1</count></logger>
  <http_port>{http}</http_port>
  <tcp_port>{tcp}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <max_connections>64</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>20</max_concurrent_queries>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <mark_cache_size>134217728</mark_cache_size>
  <path>{d}/data/</path>
  <tmp_path>{d}/tmp/</tmp_path>
  <user_files_path>{d}/user_files/</user_files_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path>
  <users_config>{d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
</yandex>
"""
_USERS = """<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
"""


def binary() -> str | None:
    return shutil.which("clickhouse-server") or shutil.which("clickhouse")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ClickHouseServer:
    def __init__(self) -> None:
        exe = binary()
        if exe is None:
            raise FileNotFoundError("clickhouse-server is not installed (Debian package clickhouse-server)")
        self.dir = Path(tempfile.mkdtemp(prefix="iiot-clickhouse-"))
        self.http_port, tcp = _free_port(), _free_port()
        (self.dir / "config.xml").write_text(_CONFIG.format(d=self.dir, http=self.http_port, tcp=tcp))
        (self.dir / "users.xml").write_text(_USERS)
        args = [exe, "--config-file", str(self.dir / "config.xml")]
        if Path(exe).name == "clickhouse":
            args = [exe, "server", "--config-file", str(self.dir / "config.xml")]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.dir)
        self.url = f"http://127.0.0.1:{self.http_port}"
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                log = (self.dir / "server.err.log").read_text() if (self.dir / "server.err.log").exists() else ""
                raise RuntimeError(f"clickhouse-server exited ({self.proc.returncode}): {log[-500:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/ping", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("clickhouse-server did not answer within 60 s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)


_SERVER: ClickHouseServer | None = None


def shared_server() -> ClickHouseServer:
    """One server per test process (started on first use, stopped at exit)."""
    global _SERVER
    if _SERVER is None:
        _SERVER = ClickHouseServer()
        atexit.register(_SERVER.stop)
    return _SERVER
