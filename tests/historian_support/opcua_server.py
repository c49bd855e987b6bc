"""A small asyncua server with HistoryRead (SQLite) for collector tests: Plant/Line1/P-7 with a historised
Temperature (°C), a Running flag and a Status text. Fixed node ids, so a restarted server keeps them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asyncua import Server, ua
from asyncua.server.history_sql import HistorySQLite

from tools.opcua.units import UNECE_NAMESPACE, unit_id

NS = "urn:test:historian-plant"
TEMP_ID = 1001  # numeric: asyncua's SQLite history refuses table names made from string node ids
logging.getLogger("asyncua").setLevel(logging.ERROR)


def _naive_utc(ts: datetime) -> datetime:
    """asyncua's SQLite history can store but not read back aware timestamps: give it naive UTC ones."""
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


class HistoryPlant:
    def __init__(self, port: int, history_file: Path) -> None:
        self.port = port
        self.history_file = history_file
        self.url = f"opc.tcp://127.0.0.1:{port}/hist"
        self.server = Server()
        self.nodes: dict[str, ua.NodeId] = {}

    async def start(self, temperature: float = 20.0) -> None:
        srv = self.server
        srv.iserver.history_manager.set_storage(HistorySQLite(str(self.history_file)))  # before init()
        await srv.init()
        srv.set_endpoint(self.url)
        srv.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        idx = await srv.register_namespace(NS)
        plant = await srv.nodes.objects.add_object(ua.NodeId("Plant", idx), ua.QualifiedName("Plant", idx))
        line = await plant.add_object(ua.NodeId("Plant.Line1", idx), ua.QualifiedName("Line1", idx))
        pump = await line.add_object(ua.NodeId("Plant.Line1.P-7", idx), ua.QualifiedName("P-7", idx))
        temp = await pump.add_variable(
            ua.NodeId(TEMP_ID, idx),
            ua.QualifiedName("Temperature", idx),
            ua.Variant(temperature, ua.VariantType.Double),
        )
        await temp.add_property(
            0,
            "EngineeringUnits",
            ua.EUInformation(
                NamespaceUri=UNECE_NAMESPACE,
                UnitId=unit_id("CEL"),
                DisplayName=ua.LocalizedText("°C"),
                Description=ua.LocalizedText("degree Celsius"),
            ),
        )
        running = await pump.add_variable(
            ua.NodeId("Plant.Line1.P-7.Running", idx), ua.QualifiedName("Running", idx), ua.Variant(True)
        )
        status = await pump.add_variable(
            ua.NodeId("Plant.Line1.P-7.Status", idx), ua.QualifiedName("Status", idx), ua.Variant("Running")
        )
        self.nodes = {"Temperature": temp.nodeid, "Running": running.nodeid, "Status": status.nodeid}
        await srv.start()
        await srv.historize_node_data_change(temp, period=timedelta(days=30))  # after start()

    async def write(self, name: str, value: object, ts: datetime) -> None:
        ts = _naive_utc(ts)
        variant = ua.Variant(float(value), ua.VariantType.Double) if name == "Temperature" else ua.Variant(value)
        dv = ua.DataValue(variant, SourceTimestamp=ts, ServerTimestamp=_naive_utc(datetime.now(UTC)))
        await self.server.write_attribute_value(self.nodes[name], dv)

    async def stop(self) -> None:
        await self.server.stop()


async def write_history_offline(history_file: Path, node_id: ua.NodeId, values: list[tuple[datetime, float]]) -> None:
    """Append values to a stopped server's history file, as the server's own storage would."""
    storage = HistorySQLite(str(history_file))
    await storage.init()
    storage._datachanges_period[node_id] = (None, 0)
    for ts, v in values:
        t = _naive_utc(ts)
        await storage.save_node_value(
            node_id, ua.DataValue(ua.Variant(v, ua.VariantType.Double), SourceTimestamp=t, ServerTimestamp=t)
        )
    await storage.stop()
