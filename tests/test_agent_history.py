"""History questions through the agent: the collector fills the historian from a plant with backfilled history,
and answers carry window, unit and sample count — checked against the plant's own HistoryRead."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.agent import Agent
from assistant.config import EndpointSettings, Settings, SimSettings
from assistant.embeddings import embed
from assistant.errors import OperatorError
from assistant.loop_thread import LoopThread
from assistant.router import SemanticRouter
from assistant.sim.server import PlantServer
from tests.conftest import SHARED_CACHE, free_port
from tools.opcua.adapter import OpcUaAdapter


@pytest.fixture(scope="module")
def history_setup(
    server_loop: LoopThread, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, object]]:
    from tools.historian import open_store
    from tools.historian.commands import start_collector

    sim = SimSettings(port=free_port(), production_days=7, seed=21, backfill_days=0.3, history_interval_s=60,
                      faults=[{"asset": "P-102", "fault": "bearing_outer", "started_hours_ago": 300}])  # fmt: skip
    data = tmp_path_factory.mktemp("history-agent")
    plant = PlantServer(sim, data)
    server_loop.run(plant.start())
    settings = Settings(
        data_dir=data, cache_dir=SHARED_CACHE, opcua={"endpoints": [EndpointSettings(url=plant.endpoint)]}
    )
    running = start_collector(settings, server_loop, store=open_store(settings))
    from tools.historian.queries import run_tool

    deadline = time.time() + 120
    while time.time() < deadline:  # the collector backfills the plant's history of new signals
        try:
            if (
                run_tool(running.historian, "historian.stats", {"signal": "P-101/Vibration", "window": "last 6 hours"})[
                    "samples"
                ]
                > 300
            ):
                break
        except OperatorError:
            pass  # not collected yet
        time.sleep(1)
    yield settings, running.historian
    running.stop()
    server_loop.run(plant.stop())


@pytest.fixture
def agent(history_setup: tuple[Settings, object]) -> Iterator[Agent]:
    settings, historian = history_setup
    yield Agent(settings, router=SemanticRouter(embed, SHARED_CACHE), historian=historian)


def _num(text: str, label: str) -> float:
    m = re.search(rf"{label} (\d+(?:[.,]\d+)?)", text)
    assert m, text
    return float(m.group(1).replace(",", "."))


async def test_average_over_a_window_matches_the_plant_history(agent: Agent, tmp_path: Path) -> None:
    try:
        result = await agent.ask("What was the average vibration of pump P-101 in the last 6 hours?")
    finally:
        await agent.adapter.close()
    stats = next((c for c in result.tool_calls if c.tool == "historian.stats"), None)
    assert stats is not None, result
    assert stats.arguments["signal"].endswith("P-101/Vibration") and stats.result["unit"] == "mm/s"
    assert stats.result["samples"] >= 300 and abs(stats.result["window"]["seconds"] - 6 * 3600) < 5
    assert any(c.tool == "historian.downsample" and c.result["points"] for c in result.tool_calls)
    # truth: the plant's own history over the same window
    w = stats.result["window"]
    adapter = OpcUaAdapter(agent.settings)
    try:
        cat = await adapter.catalog(agent.settings.opcua.endpoints[0].url)
        sig = next(
            s for a in cat.assets if a.display_name == "P-101" for s in a.signals if s.display_name == "Vibration"
        )
        start, end = datetime.fromisoformat(w["start"]), datetime.fromisoformat(w["end"])
        hist = await adapter.history(sig, cat.endpoint, start.astimezone(UTC), end.astimezone(UTC))
    finally:
        await adapter.close()
    values = [p.value for p in hist.points]
    truth = sum(values) / len(values)
    assert abs(_num(result.answer, "average") - truth) <= 0.02 * truth + 0.01
    assert "mm/s" in result.answer and str(stats.result["samples"]) in result.answer
    assert result.grounded


async def test_threshold_periods_in_german(agent: Agent) -> None:
    try:
        result = await agent.ask("Wann war die Schwingung der Pumpe P-102 in den letzten 6 Stunden über 7,1 mm/s?")
    finally:
        await agent.adapter.close()
    call = next(c for c in result.tool_calls if c.tool == "historian.threshold_periods")
    assert call.arguments["threshold"] == 7.1 and call.arguments["direction"] == "above"
    assert call.result["period_count"] >= 1 and call.result["total_duration_s"] > 3600
    assert result.language == "de" and "über 7,1 mm/s" in result.answer and result.grounded


async def test_follow_up_moves_the_window(agent: Agent) -> None:
    from assistant.planner import Conversation

    chat = Conversation()
    try:
        await agent.ask("What is the current vibration of P-101?", conversation=chat)
        result = await agent.ask("and in the last 2 hours?", conversation=chat)
    finally:
        await agent.adapter.close()
    stats = next(c for c in result.tool_calls if c.tool == "historian.stats")
    assert stats.arguments["signal"].endswith("P-101/Vibration")
    assert abs(stats.result["window"]["seconds"] - 2 * 3600) < 5


async def test_without_historian_the_plant_history_answers(history_setup: tuple[Settings, object]) -> None:
    settings, _ = history_setup
    bare = Settings(data_dir=settings.data_dir / "elsewhere", cache_dir=SHARED_CACHE, opcua=settings.opcua)
    agent = Agent(bare, router=SemanticRouter(embed, SHARED_CACHE))
    try:
        result = await agent.ask("Maximum vibration of P-101 in the last 3 hours?")
    finally:
        await agent.adapter.close()
    call = next(c for c in result.tool_calls if c.tool == "opcua.history")
    stats = next(c for c in result.tool_calls if c.tool == "historian.stats")
    assert call.result["points"] >= 150
    assert stats.arguments["source"] == "opcua.history" and stats.result["samples"] == call.result["points"]
    maximum = stats.result["max"]
    assert maximum is not None and f"{maximum:.2f}".rstrip("0").rstrip(".") in result.answer
    assert "OPC UA HistoryRead" in result.answer and "mm/s" in result.answer
