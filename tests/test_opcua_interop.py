"""The OPC UA adapter against an independent OPC UA stack: a node-opcua server (``tests/servers/node_opcua``).

Browse into a catalog, batched reads, history, a gated method call with audit, and the assistant end to end —
on a press line whose address space, namespace, node ids and encoders are nothing like the asyncua demo plant's.
"""

from __future__ import annotations

import asyncio
import json
import struct
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asyncua import ua
from asyncua.common.utils import Buffer
from asyncua.ua import ua_binary

from assistant.audit import audit_log
from assistant.config import EndpointSettings, Settings
from tests.conftest import run_cli
from tests.node_opcua_support import NodeOpcUaServer, node_opcua_plant  # noqa: F401  (fixture)
from tools.opcua.adapter import OpcUaAdapter
from tools.opcua.asyncua_fixes import fix_datavalue_decoding
from tools.opcua.catalog import Asset, Catalog, EventSource, Signal
from tools.opcua.control import Controller

NAMESPACE = "urn:iiot-assistant:test:press-line"
PRESS_PATH = ["Factory", "Press_Line", "HydraulicPress_HP3"]


def _adapter(url: str, data_dir: Path, **opcua: object) -> OpcUaAdapter:
    return OpcUaAdapter(Settings(data_dir=data_dir, opcua={"endpoints": [EndpointSettings(url=url)], **opcua}))


@pytest.fixture
async def adapter(node_opcua_plant: NodeOpcUaServer, tmp_path: Path) -> AsyncIterator[OpcUaAdapter]:  # noqa: F811
    a = _adapter(node_opcua_plant.url, tmp_path)
    yield a
    await a.close()


def _asset(cat: Catalog, name: str) -> Asset:
    return next(a for a in cat.assets if a.display_name == name)


def _signal(asset: Asset, name: str) -> Signal:
    return next(s for s in asset.signals if s.display_name == name)


def _when(ts: str | None) -> datetime:
    assert ts is not None
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def test_datavalues_are_decoded_in_wire_order() -> None:
    """Source, source picoseconds, server, server picoseconds (OPC 10000-6): node-opcua sends all four."""
    fix_datavalue_decoding()
    epoch = datetime(1601, 1, 1, tzinfo=UTC)
    src, srv = datetime(2026, 11, 26, 8, 0, 0, tzinfo=UTC), datetime(2026, 11, 26, 8, 0, 1, tzinfo=UTC)
    ticks = [int((t - epoch).total_seconds()) * 10_000_000 for t in (src, srv)]
    body = (
        bytes([0x3F])
        + ua_binary.variant_to_binary(ua.Variant(48.5, ua.VariantType.Double))
        + struct.pack("<IqHqH", 0, ticks[0], 477, ticks[1], 6700)
    )
    dv = ua_binary.struct_from_binary(ua.DataValue, Buffer(body))
    assert (dv.Value.Value, dv.SourceTimestamp, dv.ServerTimestamp) == (48.5, src, srv)
    assert (dv.SourcePicoseconds, dv.ServerPicoseconds) == (477, 6700)
    many = ua_binary.from_binary(list[ua.DataValue], Buffer(struct.pack("<i", 2) + body + body))
    assert [d.ServerTimestamp for d in many] == [srv, srv]


async def test_catalog_by_browsing(node_opcua_plant: NodeOpcUaServer, adapter: OpcUaAdapter) -> None:  # noqa: F811
    cat = await adapter.catalog(node_opcua_plant.url)
    assert NAMESPACE in cat.namespaces
    assert {a.display_name for a in cat.assets} == {"HydraulicPress_HP3", "Conveyor_CV7"}, "no HA Configuration"
    press = _asset(cat, "HydraulicPress_HP3")
    assert press.path == PRESS_PATH and press.description == "Hydraulic press HP-3, 250 t, deep drawing"
    assert {s.display_name for s in press.signals} == {"OilTemperature", "SystemPressure", "StrokeCount", "Mode"}
    oil, pressure = _signal(press, "OilTemperature"), _signal(press, "SystemPressure")
    assert (oil.unit, oil.unit_code, oil.range_low, oil.range_high) == ("°C", "CEL", 0.0, 120.0)
    assert (pressure.unit, pressure.unit_code, pressure.range_low, pressure.range_high) == ("bar", "BAR", 0.0, 350.0)
    assert oil.description == "Hydraulic oil temperature in the tank" and oil.data_type == "Double"
    assert oil.historizing and oil.history_readable and not pressure.historizing
    assert oil.stable_id == f"nsu={NAMESPACE};s=HydraulicPress_HP3.OilTemperature"
    assert oil.path == [*PRESS_PATH, "OilTemperature"] and oil.asset_node_id == press.node_id
    strokes, mode = _signal(press, "StrokeCount"), _signal(press, "Mode")
    assert (strokes.data_type, strokes.unit, strokes.range_high) == ("UInt32", "", None)
    assert mode.data_type == "String" and mode.description.startswith("Operating mode")
    assert press.has_events and set(press.methods) == {"SetMode", "ResetCounter"}
    conveyor = _asset(cat, "Conveyor_CV7")
    assert conveyor.methods == [] and not conveyor.has_events
    assert {(s.display_name, s.unit) for s in conveyor.signals} == {("BeltSpeed", "m/s"), ("MotorCurrent", "A")}
    assert [(s.path, s.history, set(s.methods)) for s in cat.event_sources] == [
        (PRESS_PATH, False, {"SetMode", "ResetCounter"})
    ]


async def test_batched_read_with_units_status_and_timestamps(
    node_opcua_plant: NodeOpcUaServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    url = node_opcua_plant.url
    for batch in (1000, 2):  # one Read request, and several
        adapter = _adapter(url, tmp_path, max_nodes_per_read=batch)
        try:
            signals = [s for a in (await adapter.catalog(url)).assets for s in a.signals]
            readings = await adapter.read(signals, url)
        finally:
            await adapter.close()
        assert [r.node_id for r in readings] == [s.node_id for s in signals]
        by_name = {r.signal: r for r in readings}
        assert all(r.good and r.status == "Good" for r in readings), readings
        oil = by_name["OilTemperature"]
        assert oil.unit == "°C" and 30.0 < oil.value < 70.0 and oil.path == "/".join([*PRESS_PATH, "OilTemperature"])
        assert by_name["SystemPressure"].unit == "bar" and 0.0 < by_name["SystemPressure"].value < 350.0
        assert isinstance(by_name["StrokeCount"].value, int) and by_name["Mode"].value in ("Automatic", "Setup")
        now = datetime.now(UTC)
        for r in readings:  # both timestamps are real times (picoseconds on the wire must not garble them)
            assert abs(_when(r.source_timestamp) - now) < timedelta(minutes=5), r
            assert abs(_when(r.server_timestamp) - now) < timedelta(minutes=5), r


async def test_history_of_the_historized_signal(node_opcua_plant: NodeOpcUaServer, adapter: OpcUaAdapter) -> None:  # noqa: F811
    url = node_opcua_plant.url
    await asyncio.sleep(max(0.0, node_opcua_plant.started_at + 3.0 - time.time()))  # let history accumulate
    press = _asset(await adapter.catalog(url), "HydraulicPress_HP3")
    oil = _signal(press, "OilTemperature")
    end = datetime.now(UTC) + timedelta(seconds=5)
    hist = await adapter.history(oil, url, end - timedelta(minutes=30), end)
    assert hist.error is None and hist.complete and hist.unit == "°C"
    assert len(hist.points) >= 5, hist.points  # a new value every 200 ms
    times = [_when(p.time) for p in hist.points]
    assert times == sorted(times) and times[-1] - times[0] >= timedelta(seconds=1)
    assert all(p.status == "Good" and 30.0 < p.value < 70.0 for p in hist.points)
    cut = await adapter.history(oil, url, end - timedelta(minutes=30), end, max_values=3)
    assert len(cut.points) == 3 and not cut.complete
    assert [p.time for p in cut.points] == [p.time for p in hist.points[:3]], "the oldest first"
    # a signal without history: an explained refusal or nothing, never an exception
    unhistorized = await adapter.history(_signal(press, "SystemPressure"), url, end - timedelta(minutes=30), end)
    assert unhistorized.points == [] or unhistorized.error


async def test_gated_method_call_executes_and_is_audited(node_opcua_plant: NodeOpcUaServer, tmp_path: Path) -> None:  # noqa: F811
    url = node_opcua_plant.url
    adapter = _adapter(url, tmp_path, writes_enabled=True, write_roles=["engineer"])
    ctl = Controller(adapter.settings, adapter, audit_log(tmp_path))
    try:
        cat = await adapter.catalog(url)
        press = _asset(cat, "HydraulicPress_HP3")
        # the press is an event notifier, so it is an event source; any asset with methods can be made one
        source = next(s for s in cat.event_sources if s.node_id == press.node_id)
        assert source == EventSource(press.node_id, press.path, False, press.methods)
        conf = await ctl.propose_call("anna", "engineer", url, source, "SetMode", ["Setup"])
        assert conf.summary() == "Call SetMode(Setup) on Factory/Press_Line/HydraulicPress_HP3"
        result = await ctl.confirm(conf.id, "anna")
        assert result.executed and result.status == "Good"
        assert result.result == "HP-3 mode changed from Automatic to Setup"
        assert (await adapter.read([_signal(press, "Mode")], url))[0].value == "Setup"

        counted = await ctl.confirm((await ctl.propose_call("anna", "engineer", url, source, "ResetCounter", [])).id,
                                    "anna")  # fmt: skip
        assert counted.executed and isinstance(counted.result, int) and counted.result >= 0

        bad = await ctl.confirm((await ctl.propose_call("anna", "engineer", url, source, "SetMode", ["Turbo"])).id,
                                "anna")  # fmt: skip
        assert not bad.executed and "BadInvalidArgument" in bad.status
    finally:
        restore = await ctl.propose_call("anna", "engineer", url, source, "SetMode", ["Automatic"])
        await ctl.confirm(restore.id, "anna")
        await adapter.close()
    rows = [r for r in audit_log(tmp_path).read() if r.get("method") == "SetMode"]
    executed = next(r for r in rows if r["decision"] == "executed")
    assert executed["user"] == "anna" and executed["role"] == "engineer" and executed["path"].endswith("HP3")
    assert executed["result"] == "HP-3 mode changed from Automatic to Setup"
    assert [r["decision"] for r in rows][:2] == ["proposed", "executed"]
    assert any(r["decision"] == "failed" and r["status"] == "BadInvalidArgument" for r in rows)


def test_ask_end_to_end(node_opcua_plant: NodeOpcUaServer, data_dir: Path) -> None:  # noqa: F811
    question = "What is the oil temperature of the hydraulic press HP-3?"
    out = run_cli("ask", question, "--json", "--opcua", node_opcua_plant.url, data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    read = next(c for c in result["tool_calls"] if c["tool"] == "opcua.read")
    reading = read["result"][0]
    assert reading["path"] == "Factory/Press_Line/HydraulicPress_HP3/OilTemperature" and reading["unit"] == "°C"
    assert 30.0 < reading["value"] < 70.0
    assert " °C" in result["answer"] and reading["stable_id"] in result["answer"], result["answer"]
    assert result["grounded"] is True
    assert result["citations"][0]["source"] == node_opcua_plant.url
