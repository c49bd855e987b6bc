"""The catalog is discovered by browsing real servers over TCP: assets, signals, units, ranges, descriptions."""

from __future__ import annotations

import pytest

from assistant.config import EndpointSettings, Settings
from assistant.sim.server import NAMESPACE_URI
from tests.servers.other_plant import NAMESPACE_URI as OTHER_NS
from tools.opcua.adapter import OpcUaAdapter


async def _catalog(url: str, tmp_path):  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path)
    adapter = OpcUaAdapter(settings, [EndpointSettings(url=url)])
    try:
        return await adapter.catalog(url)
    finally:
        await adapter.close()


async def test_demo_plant_catalog(demo_plant, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cat = await _catalog(demo_plant.endpoint, tmp_path)
    by_name = {a.display_name: a for a in cat.assets}
    assert {"P-101", "K-2"} <= set(by_name)
    pump = by_name["P-101"]
    assert pump.path[:2] == ["DemoPlant", "Utilities"] and pump.path[-1] == "P-101"
    assert "pump" in pump.description.lower()
    temp = next(s for s in pump.signals if s.display_name == "Temperature")
    assert temp.unit == "°C" and temp.unit_code == "CEL"
    assert (temp.range_low, temp.range_high) == (0.0, 120.0)
    assert temp.data_type == "Double" and temp.readable
    assert temp.namespace_uri == NAMESPACE_URI and temp.stable_id.startswith(f"nsu={NAMESPACE_URI};")
    # every analog signal carries unit and range
    analog = [s for a in cat.assets for s in a.signals if s.data_type == "Double"]
    assert analog and all(s.unit and s.range_high is not None for s in analog)
    # alarm limits come from the variables' HighLimit/LowLimit properties: the warning level, not the trip level
    vibration = next(s for s in pump.signals if s.display_name == "Vibration")
    assert (vibration.limit_low, vibration.limit_high) == (None, 4.5)
    assert temp.limit_high == 80.0 and next(s for s in pump.signals if s.display_name == "Flow").limit_high is None


async def test_unseen_plant_catalog(other_plant, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cat = await _catalog(other_plant, tmp_path)
    by_name = {a.display_name: a for a in cat.assets}
    assert set(by_name) == {"Pump P101", "Kompressor K2", "Exhaust Fan F-7"}
    assert by_name["Pump P101"].path == ["Werk Süd", "Halle B", "Kühlkreis", "Pump P101"]
    casing = next(s for s in by_name["Pump P101"].signals if s.browse_name == "TT_301")
    assert casing.display_name == "Casing Temp" and casing.unit == "°C" and casing.namespace_uri == OTHER_NS
    assert casing.node_id.startswith("ns=") and ";i=" in casing.node_id


async def test_read_batch_returns_values_units_and_timestamps(demo_plant, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path)
    adapter = OpcUaAdapter(settings, [EndpointSettings(url=demo_plant.endpoint)])
    try:
        cat = await adapter.catalog(demo_plant.endpoint)
        signals = [s for a in cat.assets for s in a.signals]
        readings = await adapter.read(signals, demo_plant.endpoint)
    finally:
        await adapter.close()
    assert len(readings) == len(signals) and all(r.good for r in readings)
    temp = next(r for r in readings if r.path.endswith("P-101/Temperature"))
    assert isinstance(temp.value, float) and 0 < temp.value < 120 and temp.unit == "°C"
    assert temp.source_timestamp and temp.source_timestamp.endswith("Z")


@pytest.mark.parametrize("port", [1])
async def test_unreachable_endpoint_is_explained(tmp_path, port) -> None:  # type: ignore[no-untyped-def]
    from assistant.errors import EndpointUnreachable

    url = f"opc.tcp://127.0.0.1:{port}/nothing"
    adapter = OpcUaAdapter(Settings(data_dir=tmp_path), [EndpointSettings(url=url, timeout_s=2)])
    with pytest.raises(EndpointUnreachable, match=r"cannot reach OPC UA endpoint opc\.tcp://127\.0\.0\.1:1/nothing"):
        await adapter.catalogs()
