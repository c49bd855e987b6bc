"""Maintenance questions through the agent: the demo plant's vibration waveform and history feed the project's
diagnosis and remaining-useful-life models; answers name the fault, the evidence and how sure the model is."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from assistant.agent import Agent
from assistant.config import EndpointSettings, Settings, SimSettings
from assistant.embeddings import embed
from assistant.loop_thread import LoopThread
from assistant.router import SemanticRouter
from assistant.sim.server import PlantServer
from tests.conftest import SHARED_CACHE, free_port


@pytest.fixture(scope="module")
def worn_plant(server_loop: LoopThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlantServer]:
    sim = SimSettings(port=free_port(), production_days=7, seed=4, backfill_days=0.5,
                      faults=[{"asset": "P-102", "fault": "bearing_outer", "started_hours_ago": 96}])  # fmt: skip
    plant = PlantServer(sim, tmp_path_factory.mktemp("worn"))
    server_loop.run(plant.start())
    yield plant
    server_loop.run(plant.stop())


@pytest.fixture
def agent(worn_plant: PlantServer, tmp_path: Path) -> Iterator[Agent]:
    settings = Settings(data_dir=tmp_path, cache_dir=SHARED_CACHE,
                        opcua={"endpoints": [EndpointSettings(url=worn_plant.endpoint)]})  # fmt: skip
    yield Agent(settings, router=SemanticRouter(embed, SHARED_CACHE))


async def test_diagnosis_finds_the_outer_race_defect(agent: Agent) -> None:
    await asyncio.sleep(1.5)  # a first waveform snapshot after start
    try:
        result = await agent.ask("Why is pump P-102 vibrating?")
        healthy = await agent.ask("Warum vibriert Pumpe P-101?")
        spanish = await agent.ask("¿Por qué vibra la bomba P-102?")
    finally:
        await agent.adapter.close()
    call = next(c for c in result.tool_calls if c.tool == "maintenance.diagnose")
    assert call.result["fault"] == "outer_race" and call.result["confidence"] > 0.5
    assert any("BPFO" in e["line"] for e in call.result["evidence"])
    assert "outer race" in result.answer and "BPFO" in result.answer and "%" in result.answer
    assert any(c.source.startswith("model ") for c in result.citations), "the answer says which model and version"
    h = next(c for c in healthy.tool_calls if c.tool == "maintenance.diagnose")
    assert h.result["fault"] == "normal" and "keinen Lagerschaden" in healthy.answer
    assert spanish.language == "es" and "la vibración muestra un daño en el aro exterior" in spanish.answer


async def test_remaining_useful_life_with_a_band(agent: Agent) -> None:
    try:
        result = await agent.ask("When does the bearing of pump P-102 need replacing?")
    finally:
        await agent.adapter.close()
    call = next(c for c in result.tool_calls if c.tool == "maintenance.rul")
    r = call.result
    assert r["status"] == "degrading" and r["rul_hours_low"] <= r["rul_hours"] <= r["rul_hours_high"]
    assert f"{round(100 * r['band'])} % band" in result.answer and "days" in result.answer


async def test_no_bearing_wear_still_looks_at_the_process_signals(agent: Agent) -> None:
    try:
        result = await agent.ask("How long can pump P-101 run before it needs maintenance?")
    finally:
        await agent.adapter.close()
    rul = next(c for c in result.tool_calls if c.tool == "maintenance.rul")
    assert rul.result["status"] != "degrading"
    assert result.answer.startswith("P-101: no bearing degradation detected")
    # a clogging strainer or a leak does not show in the bearing spectrum: the anomaly model is asked as well
    assert any(c.tool == "maintenance.anomalies" and c.arguments["target"] == "P-101" for c in result.tool_calls)


TROUBLESHOOTING_DE = """---
applies_to: [PX-7]
doc_type: manual
---
# Betriebsanleitung Prozesspumpe PX-7

## Störungssuche
| Störung | Ursache | Abhilfe |
|---|---|---|
| Motor brummt, läuft nicht an | Phasenausfall | Sicherungen prüfen |
| Saugdruck fällt, Schwingung steigt, Knattern | Kavitation | Zulauf öffnen, Füllstand im Vorlagebehälter anheben |
| Lager wird heiß, Schwingung steigt über Tage | Lagerschaden | Lagerwechsel planen |
"""


async def test_diagnosis_quotes_what_the_manual_says_about_the_symptoms(agent: Agent, tmp_path: Path) -> None:
    # the anomaly model's symptoms (here given) become a search of the asset's own manuals: the matching
    # troubleshooting row — German, for an English question — is quoted and cited; no symptoms, no hint
    from assistant.skills.maintenance import _manual_hint
    from assistant.turn import Turn
    from tools.documents import ingest
    from tools.opcua.catalog import Asset

    manual = tmp_path / "px7_de.md"
    manual.write_text(TROUBLESHOOTING_DE, encoding="utf-8")
    ingest(agent.settings, [manual])
    asset = Asset("ns=2;s=PX-7", "PX-7", "PX-7", "process pump", ["Site", "PX-7"], "opc.tcp://x")
    turn = Turn(agent, "Why is PX-7 vibrating?", "en", [asset])
    hint = await _manual_hint(turn, asset, [("SuctionPressure", "lower"), ("Vibration", "higher")])
    assert hint is not None and "Kavitation" in hint and "px7_de.md" in hint, hint
    assert "Phasenausfall" not in hint  # the matching row, not the whole table
    assert [c.source for c in turn.citations] == ["px7_de.md"]
    assert any(c.tool == "documents.search" for c in turn.calls)
    assert await _manual_hint(turn, asset, []) is None


async def test_prefetch_reads_history_from_the_historian_when_it_holds_it(
    worn_plant: PlantServer, tmp_path: Path
) -> None:
    # the collector's store answers locally; HistoryRead is only for what it lacks
    from assistant.sim.export import export_history
    from tools.historian.duckdb_store import DuckDBStore
    from tools.historian.queries import Historian
    from tools.maintenance.opcua_source import prefetch
    from tools.opcua.adapter import OpcUaAdapter

    store = DuckDBStore(tmp_path / "history.duckdb")
    store.ensure_schema()
    export_history(worn_plant, store)
    settings = Settings(data_dir=tmp_path, opcua={"endpoints": [EndpointSettings(url=worn_plant.endpoint)]})
    adapter = OpcUaAdapter(settings)
    try:
        assets = [a for a in await adapter.assets() if a.display_name in ("P-101", "P-102", "K-1")]
        reads = 0
        server_history = adapter.history

        async def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal reads
            reads += 1
            return await server_history(*args, **kwargs)

        adapter.history = counted  # type: ignore[method-assign]
        over_opcua = await prefetch(adapter, assets, 0.4)
        from_server = reads
        local = await prefetch(adapter, assets, 0.4, historian=Historian(store, settings))
    finally:
        await adapter.close()
    assert from_server > 0 and reads == from_server, "no HistoryRead when the historian holds the window"
    assert {a.id: a.signals for a in local.assets()} == {a.id: a.signals for a in over_opcua.assets()}
    start, end = local.now() - timedelta(hours=6), local.now()
    t_local, v_local = local.history("P-101", ["Temperature"], start, end)["Temperature"]
    _t_opc, v_opc = over_opcua.history("P-101", ["Temperature"], start, end)["Temperature"]
    assert len(t_local) > 10 and abs(float(np.mean(v_local)) - float(np.mean(v_opc))) < 1.0


def test_symptoms_are_worded_as_troubleshooting_tables_word_them() -> None:
    from assistant.skills.maintenance import _symptom_words
    from tools.opcua.catalog import Asset, Signal

    loaded = Signal("ns=2;s=K9.Loaded", "urn:x", "Loaded", "Loaded", "Compressor in load (air delivery)", [], "K9",
                    data_type="Boolean")  # fmt: skip
    asset = Asset("ns=2;s=K9", "K9", "K9", "screw compressor", ["Site", "K9"], "opc.tcp://x", [loaded])
    assert _symptom_words(asset, "FilterDifferentialPressure", "higher") == "filter differential pressure rising"
    assert _symptom_words(asset, "Flow", "lower") == "flow falling"
    # an on/off state's duty: the state, in the catalog's words, happening more or less often
    assert _symptom_words(asset, "Loaded.duty", "higher") == "Compressor in load (air delivery) more often"
    assert _symptom_words(asset, "Open.duty", "lower") == "open less often"
