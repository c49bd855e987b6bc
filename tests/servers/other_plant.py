"""A second OPC UA plant with a different address space (names, hierarchy, namespace, node ids, units).

The assistant must answer about it by browsing alone.
Serve it alone: ``python -m tests.servers.other_plant PORT``.
"""

from __future__ import annotations

import asyncio
import sys

from asyncua import Server, ua

from tools.opcua.units import UNECE_NAMESPACE, unit_id

NAMESPACE_URI = "http://example.com/werk-sued/"


def _eu(code: str, symbol: str) -> ua.EUInformation:
    return ua.EUInformation(
        NamespaceUri=UNECE_NAMESPACE,
        UnitId=unit_id(code),
        DisplayName=ua.LocalizedText(symbol),
        Description=ua.LocalizedText(symbol),
    )


# (asset folder path, asset browse name, asset display name, description,
#  [(var browse name, display name, description, value, unit code, symbol, lo, hi)])
ASSETS = [
    (
        ["Werk Süd", "Halle B", "Kühlkreis"],
        "Pump_P101",
        "Pump P101",
        "Coolant circulation pump",
        [
            ("TT_301", "Casing Temp", "Pump casing temperature", 61.5, "CEL", "°C", 0.0, 150.0),
            ("PT_302", "Outlet Pressure", "Pressure at pump outlet", 4.25, "BAR", "bar", 0.0, 10.0),
            ("ST_303", "Shaft Speed", "Motor shaft speed", 1465.0, "RPM", "rpm", 0.0, 3000.0),
        ],
    ),
    (
        ["Werk Süd", "Halle B", "Druckluft"],
        "Comp_K2",
        "Kompressor K2",
        "Schraubenverdichter Halle B",
        [
            ("PT_401", "Netzdruck", "Druck im Druckluftnetz", 7.05, "BAR", "bar", 0.0, 12.0),
            ("TT_402", "Ölaustrittstemperatur", "Temperatur am Ölaustritt", 78.0, "CEL", "°C", 0.0, 130.0),
        ],
    ),
    (
        ["Werk Süd", "Halle C"],
        "Fan_F7",
        "Exhaust Fan F-7",
        "Roof exhaust fan",
        [("JT_501", "Power", "Electrical power", 3.2, "KWT", "kW", 0.0, 7.5)],
    ),
]


async def start_other_plant(port: int) -> Server:
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/werk/sued")
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    idx = await server.register_namespace(NAMESPACE_URI)
    folders: dict[tuple[str, ...], object] = {}
    counter = 1000
    for path, bname, dname, desc, variables in ASSETS:
        parent = server.nodes.objects
        for i in range(len(path)):
            key = tuple(path[: i + 1])
            if key not in folders:
                counter += 1
                folders[key] = await parent.add_folder(ua.NodeId(counter, idx), ua.QualifiedName(path[i], idx))
            parent = folders[key]
        counter += 1
        asset = await parent.add_object(ua.NodeId(counter, idx), ua.QualifiedName(bname, idx))
        await asset.write_attribute(ua.AttributeIds.DisplayName, ua.DataValue(ua.Variant(ua.LocalizedText(dname))))
        await asset.write_attribute(ua.AttributeIds.Description, ua.DataValue(ua.Variant(ua.LocalizedText(desc))))
        for vb, vd, vdesc, value, code, sym, lo, hi in variables:
            counter += 1
            var = await asset.add_variable(
                ua.NodeId(counter, idx), ua.QualifiedName(vb, idx), value, varianttype=ua.VariantType.Double
            )
            await var.write_attribute(ua.AttributeIds.DisplayName, ua.DataValue(ua.Variant(ua.LocalizedText(vd))))
            await var.write_attribute(ua.AttributeIds.Description, ua.DataValue(ua.Variant(ua.LocalizedText(vdesc))))
            await var.add_property(0, "EngineeringUnits", _eu(code, sym))
            await var.add_property(0, "EURange", ua.Range(Low=lo, High=hi))
    await server.start()
    return server


async def _main(port: int) -> None:
    server = await start_other_plant(port)
    print(f"READY opc.tcp://127.0.0.1:{port}/werk/sued", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1])))
