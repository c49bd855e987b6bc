"""End to end: ``iiot-assistant ask`` against real OPC UA servers over TCP, English and German, and its errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.config import EndpointSettings, Settings
from tests.conftest import free_port, run_cli
from tools.opcua.adapter import OpcUaAdapter

CONTRACT_KEYS = {"question", "language", "answer", "tool_calls", "citations", "latency_ms", "mode", "grounded"}


async def _read_now(url: str, asset: str, signal: str, tmp_path: Path) -> float:
    adapter = OpcUaAdapter(Settings(data_dir=tmp_path), [EndpointSettings(url=url)])
    try:
        cat = await adapter.catalog(url)
        sig = next(s for a in cat.assets if a.display_name == asset for s in a.signals if s.display_name == signal)
        return float((await adapter.read([sig], url))[0].value)
    finally:
        await adapter.close()


def _number(answer: str) -> float:
    m = re.search(r"(\d+(?:[.,]\d+)?) °C", answer)
    assert m, answer
    return float(m.group(1).replace(",", "."))


@pytest.mark.parametrize(
    ("question", "language", "must_say"),
    [
        ("What is the current temperature of pump P-101?", "en", "The current temperature of P-101 is"),
        ("Wie hoch ist die aktuelle Temperatur der Pumpe P-101?", "de", "Temperatur von P-101: aktuell"),
    ],
)
async def test_ask_demo_plant(demo_plant, data_dir, tmp_path, question, language, must_say) -> None:  # type: ignore[no-untyped-def]
    out = run_cli("ask", question, "--json", "--opcua", demo_plant.endpoint, data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert set(result) >= CONTRACT_KEYS
    assert result["language"] == language and result["question"] == question
    assert must_say in result["answer"]
    truth = await _read_now(demo_plant.endpoint, "P-101", "Temperature", tmp_path)
    assert abs(_number(result["answer"]) - truth) < 1.5  # the casing temperature moves slowly; noise 0.15 K
    read = next(c for c in result["tool_calls"] if c["tool"] == "opcua.read")
    assert read["result"][0]["unit"] == "°C" and read["result"][0]["path"].endswith("P-101/Temperature")
    assert read["duration_ms"] >= 0
    node = read["result"][0]["stable_id"]
    assert node in result["answer"], "the answer names the node it came from"
    ts = read["result"][0]["source_timestamp"]
    assert ts[:10] in result["answer"] and ts[11:19] in result["answer"], "and its source timestamp"
    assert result["citations"][0]["source"] == demo_plant.endpoint and node in result["citations"][0]["locator"]
    assert result["grounded"] is True and result["mode"] == "router"
    if language == "de":
        assert re.search(r"\d+,\d+ °C", result["answer"]), "German answers use a decimal comma"


@pytest.mark.parametrize(
    ("question", "expected_value", "expected_unit"),
    [
        ("What is the current temperature of pump P-101?", "61.5", "°C"),
        ("Wie hoch ist der Druck am Kompressor K-2?", "7,05", "bar"),
        ("What is the power of fan F-7?", "3.2", "kW"),
    ],
)
def test_ask_unseen_plant(other_plant, data_dir, question, expected_value, expected_unit) -> None:  # type: ignore[no-untyped-def]
    out = run_cli("ask", question, "--json", "--opcua", other_plant, data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)["answer"]
    assert f"{expected_value} {expected_unit}" in answer


def test_plain_output_is_the_answer(other_plant, data_dir) -> None:  # type: ignore[no-untyped-def]
    out = run_cli("ask", "Temperatur von P-101?", "--opcua", other_plant, data_dir=data_dir)
    assert out.returncode == 0 and out.stdout.startswith("Temperatur (Casing Temp) von Pump P101: aktuell 61,5 °C")


def test_unreachable_endpoint(data_dir) -> None:  # type: ignore[no-untyped-def]
    url = f"opc.tcp://127.0.0.1:{free_port()}/gone"
    out = run_cli("ask", "What is the temperature of P-101?", "--opcua", url, data_dir=data_dir)
    assert out.returncode == 3
    assert (
        out.stderr.strip() == f"error: cannot reach OPC UA endpoint {url}: connection refused or host "
        "unreachable — is the server running?"
    )


def test_unknown_asset(other_plant, data_dir) -> None:  # type: ignore[no-untyped-def]
    out = run_cli("ask", "What is the temperature of pump P-999?", "--opcua", other_plant, data_dir=data_dir)
    assert out.returncode == 4
    assert "could not find an asset" in out.stderr and "Pump P101" in out.stderr


def test_unknown_signal(other_plant, data_dir) -> None:  # type: ignore[no-untyped-def]
    out = run_cli("ask", "What is the humidity of fan F-7?", "--opcua", other_plant, data_dir=data_dir)
    assert out.returncode == 4
    assert "Exhaust Fan F-7 has no value matching your question. It has: Power" in out.stderr


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question(data_dir, question) -> None:  # type: ignore[no-untyped-def]
    out = run_cli("ask", question, data_dir=data_dir)
    assert out.returncode == 2 and "the question is empty" in out.stderr


def test_missing_model_file_names_the_setting(other_plant, data_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nope.gguf"
    out = run_cli(
        "ask",
        "Temperature of P-101?",
        "--rewrite",
        "--opcua",
        other_plant,
        data_dir=data_dir,
        env={"IIOT_LLM__MODEL_PATH": str(missing)},
    )
    assert out.returncode == 5
    assert out.stderr.strip() == f"error: model file not found: {missing} (setting llm.model_path)"


def test_out_of_scope_is_a_polite_refusal(other_plant, data_dir) -> None:  # type: ignore[no-untyped-def]
    out = run_cli("ask", "Who won the football match yesterday?", "--json", "--opcua", other_plant, data_dir=data_dir)
    assert out.returncode == 0
    result = json.loads(out.stdout)
    assert result["kind"] == "refusal" and "cannot help" in result["answer"]
    assert not any(c["tool"] == "opcua.read" for c in result["tool_calls"])
