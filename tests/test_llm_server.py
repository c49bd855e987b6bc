"""The OpenAI-compatible backend against a real llama.cpp server (llama_cpp.server) serving the bundled model."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.errors import ModelMissing, OperatorError
from assistant.llm import create_llm
from assistant.llm.bundled import resolve_model_path
from tests.conftest import free_port

pytestmark = pytest.mark.llm


@pytest.fixture(scope="module")
def llama_server(models_dir: Path) -> Iterator[str]:
    model = resolve_model_path(Settings(data_dir=models_dir))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
         "--n_threads", "2", "--n_ctx", "1024", "--model_alias", "gemma3-270m"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise AssertionError("llama_cpp.server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _llm(base: str, **kw: object):  # type: ignore[no-untyped-def]
    return create_llm(Settings(llm={"backend": "openai", "base_url": base, "model": "gemma3-270m", "timeout_s": 600,
                                    **kw}))  # fmt: skip


def test_streams_a_completion(llama_server: str) -> None:
    llm = _llm(llama_server)
    prompt = "Country: Germany. Capital: Berlin.\nCountry: Italy. Capital: Rome.\nCountry: France. Capital:"
    pieces = list(llm.stream(prompt, max_tokens=6, stop=["\n"]))
    assert len(pieces) >= 2, "tokens arrive as a stream"
    assert "".join(pieces).strip().startswith("Paris")


def test_grammar_constrained_json_over_http(llama_server: str) -> None:
    schema = {"type": "object", "properties": {"tool": {"enum": ["read_value", "search_documents"]}},
              "required": ["tool"]}  # fmt: skip
    out = _llm(llama_server).complete("Question: temperature of P-101?\nJSON:", max_tokens=30, json_schema=schema)
    assert json.loads(out.text)["tool"] in {"read_value", "search_documents"}


def test_unreachable_server_and_missing_url() -> None:
    with pytest.raises(OperatorError, match=r"cannot reach the LLM server http://127\.0\.0\.1:9/v1"):
        _llm("http://127.0.0.1:9/v1").complete("x", max_tokens=2)
    with pytest.raises(ModelMissing, match=r"setting llm\.base_url"):
        create_llm(Settings(llm={"backend": "openai"}))
