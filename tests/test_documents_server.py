"""Documents against a real Chroma server (``chroma run`` on a free loopback port), selected in settings."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.errors import EndpointUnreachable
from tests.conftest import free_port
from tests.documents_support import DEMO
from tools.documents.index import forget_indexes, open_index
from tools.documents.search import search_documents

CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chroma run did not start")
            time.sleep(0.3)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_server_backend_ingests_and_searches(chroma_server: int, tmp_path: Path) -> None:
    forget_indexes()
    settings = Settings(data_dir=tmp_path / "data")
    settings.knowledge.backend = "server"
    settings.knowledge.chroma_port = chroma_server
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DEMO / "manuals" / "schraubenkompressor_handbuch_de.md", docs)
    shutil.copy(DEMO / "manuals" / "machining_spindle_manual_en.html", docs)
    idx = open_index(settings)
    assert "chroma server" in idx.location
    assert {f.status for f in idx.add([docs]).files} == {"added"}
    assert {f.status for f in idx.add([docs]).files} == {"unchanged"}
    forget_indexes()  # another client process sees the same manifest on the server
    again = open_index(settings).add([docs])
    assert {f.status for f in again.files} == {"unchanged"}
    result = search_documents(settings, "How often is the compressor oil changed?", k=3)
    assert any(p.citation.source == "schraubenkompressor_handbuch_de.md" for p in result.passages)
    result = search_documents(settings, "E-42", k=2)
    assert "E-42" in result.passages[0].matched_codes


def test_unreachable_server_names_the_settings(tmp_path: Path) -> None:
    forget_indexes()
    settings = Settings(data_dir=tmp_path / "data")
    settings.knowledge.backend = "server"
    settings.knowledge.chroma_port = free_port()
    with pytest.raises(EndpointUnreachable, match=r"knowledge\.chroma_host"):
        open_index(settings)
