"""OPC UA adapter benchmark: catalog build time by browsing, and batched read latency.

Starts its own asyncua server in this process (own event-loop thread, free port on loopback) with a generated
plant: Site/Area_k/Line_k/Asset_k objects, each with ``--signals-per-asset`` AnalogItem variables carrying
EngineeringUnits and EURange properties (so a signal is three nodes, like a real plant's). ``--nodes`` sizes the
plant by its node count (10,000 nodes ≈ 3,200 signals); the address space is built in one NodeManagement call and
then frozen for the garbage collector (the server lives in this process: without it every collection during the
measurement would walk the server's nodes). Server setup is not part of any figure.

Latencies are wall-clock and include the in-process asyncua server's own work (pure Python, like the client);
``client_cpu_ms`` is the CPU time of the measuring thread alone, i.e. what the adapter costs.

Measured through the project's own code paths: ``OpcUaAdapter.catalog`` (``tools.opcua.catalog.build_catalog``:
browse + attribute reads) and ``OpcUaAdapter.read`` (``tools.opcua.reading.read_current``), with the adapter's
settings (``opcua.max_nodes_per_read``). Targets on a 2-core machine: a 10,000-node catalog under 5 s and a
1,000-node read under 100 ms (p50). Reads of n signals are measured on every plant that has n signals.

    .venv/bin/python eval/bench_opcua.py [--nodes 1000 10000] [--reads 1 100 1000] [--repeat 50]
                                         [--catalog-runs 3] [--signals-per-asset 10]

Prints a table, then one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from asyncua import Server, ua  # noqa: E402

from assistant.config import EndpointSettings, Settings  # noqa: E402
from assistant.loop_thread import LoopThread  # noqa: E402
from tools.opcua.adapter import OpcUaAdapter  # noqa: E402
from tools.opcua.units import UNECE_NAMESPACE, unit_id  # noqa: E402

NAMESPACE_URI = "urn:iiot-assistant:bench-plant"
# (browse name, unit code, symbol, low, high, typical value)
QUANTITIES = [
    ("Temperature", "CEL", "°C", 0.0, 150.0, 61.5),
    ("Pressure", "BAR", "bar", 0.0, 16.0, 6.2),
    ("Flow", "MQH", "m³/h", 0.0, 400.0, 120.0),
    ("Speed", "RPM", "rpm", 0.0, 3000.0, 1480.0),
    ("Current", "AMP", "A", 0.0, 80.0, 21.0),
    ("Power", "KWT", "kW", 0.0, 55.0, 11.0),
    ("Vibration", "C16", "mm/s", 0.0, 25.0, 2.1),
    ("Level", "P1", "%", 0.0, 100.0, 64.0),
]
ASSETS_PER_LINE = 10
LINES_PER_AREA = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _item(
    nid: ua.NodeId, parent: ua.NodeId, ref: int, name: ua.QualifiedName, typedef: int, attrs: Any
) -> ua.AddNodesItem:
    item = ua.AddNodesItem()
    item.RequestedNewNodeId = nid
    item.BrowseName = name
    item.NodeClass = ua.NodeClass.Object if isinstance(attrs, ua.ObjectAttributes) else ua.NodeClass.Variable
    item.ParentNodeId = parent
    item.ReferenceTypeId = ua.NodeId(ref)
    item.TypeDefinition = ua.NodeId(typedef)
    item.NodeAttributes = attrs
    return item


def _object(nid: ua.NodeId, parent: ua.NodeId, name: str, display: str, description: str, folder: bool = True
            ) -> ua.AddNodesItem:  # fmt: skip
    attrs = ua.ObjectAttributes()
    attrs.DisplayName, attrs.Description = ua.LocalizedText(display), ua.LocalizedText(description)
    typedef = ua.ObjectIds.FolderType if folder else ua.ObjectIds.BaseObjectType
    return _item(nid, parent, ua.ObjectIds.Organizes, ua.QualifiedName(name, nid.NamespaceIndex), typedef, attrs)


def _variable(nid: ua.NodeId, parent: ua.NodeId, name: ua.QualifiedName, value: Any, data_type: int,
              description: str = "", prop: bool = False) -> ua.AddNodesItem:  # fmt: skip
    attrs = ua.VariableAttributes()
    attrs.DisplayName, attrs.Description = ua.LocalizedText(name.Name), ua.LocalizedText(description)
    attrs.Value, attrs.DataType, attrs.ValueRank = ua.Variant(value), ua.NodeId(data_type), -1
    attrs.AccessLevel = attrs.UserAccessLevel = ua.AccessLevel.CurrentRead.mask
    if prop:
        return _item(nid, parent, ua.ObjectIds.HasProperty, name, ua.ObjectIds.PropertyType, attrs)
    return _item(nid, parent, ua.ObjectIds.HasComponent, name, ua.ObjectIds.AnalogItemType, attrs)


def plant_items(signals: int, per_asset: int, ns: int) -> list[ua.AddNodesItem]:
    """AddNodesItems for a plant of ``signals`` AnalogItem variables, parents before children."""
    site = ua.NodeId("Site", ns)
    items = [_object(site, ua.NodeId(ua.ObjectIds.ObjectsFolder), "Site", "Site", "Bench site")]
    made = 0
    for a in range(-(-signals // per_asset)):
        line_no, area_no = a // ASSETS_PER_LINE, a // (ASSETS_PER_LINE * LINES_PER_AREA)
        area, line = ua.NodeId(f"Area_{area_no}", ns), ua.NodeId(f"Line_{line_no}", ns)
        if a % (ASSETS_PER_LINE * LINES_PER_AREA) == 0:
            items.append(_object(area, site, f"Area_{area_no}", f"Area {area_no}", "Production area"))
        if a % ASSETS_PER_LINE == 0:
            items.append(_object(line, area, f"Line_{line_no}", f"Line {line_no}", "Production line"))
        asset = ua.NodeId(f"A{a}", ns)
        items.append(_object(asset, line, f"Pump_P{a:05d}", f"P-{a:05d}", f"Centrifugal pump {a}", folder=False))
        for v in range(min(per_asset, signals - made)):
            name, code, symbol, lo, hi, value = QUANTITIES[v % len(QUANTITIES)]
            bname = name if v < len(QUANTITIES) else f"{name}{v // len(QUANTITIES) + 1}"
            var = ua.NodeId(f"A{a}.{bname}", ns)
            items.append(_variable(var, asset, ua.QualifiedName(bname, ns), value, ua.ObjectIds.Double,
                                   f"{name} of pump {a}"))  # fmt: skip
            label = ua.LocalizedText(symbol)
            eu = ua.EUInformation(NamespaceUri=UNECE_NAMESPACE, UnitId=unit_id(code), DisplayName=label,
                                  Description=label)  # fmt: skip
            for prop, pvalue, ptype in (
                ("EngineeringUnits", eu, ua.ObjectIds.EUInformation),
                ("EURange", ua.Range(Low=lo, High=hi), ua.ObjectIds.Range),
            ):
                pid = ua.NodeId(f"A{a}.{bname}.{prop}", ns)
                items.append(_variable(pid, var, ua.QualifiedName(prop, 0), pvalue, ptype, prop=True))
            made += 1
    return items


async def start_plant(port: int, signals: int, per_asset: int) -> tuple[Server, int]:
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/bench")
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    ns = await server.register_namespace(NAMESPACE_URI)
    items = plant_items(signals, per_asset, ns)
    results = server.iserver.node_mgt_service.add_nodes(items)  # one call, no per-node round trips
    bad = [r for r in results if not r.StatusCode.is_good()]
    if bad:
        raise RuntimeError(f"{len(bad)} nodes were not added, first: {bad[0].StatusCode}")
    await server.start()
    return server, len(items)


def signals_for(nodes: int, per_asset: int) -> int:
    """Signals of a generated plant with about ``nodes`` nodes (3 per signal, 1 per asset, a folder per line)."""
    per_signal = 3 + 1 / per_asset + 1 / (per_asset * ASSETS_PER_LINE)
    return max(1, round(nodes / per_signal))


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


async def measure(url: str, expected: int, reads: list[int], repeat: int, catalog_runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        adapter = OpcUaAdapter(Settings(data_dir=Path(tmp), opcua={"endpoints": [EndpointSettings(url=url)]}))
        try:
            await adapter.catalog(url)  # session open + warm-up, not measured
            times, cpu, cat = [], [], None
            for _ in range(catalog_runs):
                t0, c0 = time.perf_counter(), time.thread_time()
                cat = await adapter.catalog(url, refresh=True)
                times.append(time.perf_counter() - t0)
                cpu.append(time.thread_time() - c0)
            assert cat is not None
            signals = [s for a in cat.assets for s in a.signals]
            if len(signals) != expected or not all(s.unit and s.range_high is not None for s in signals):
                raise RuntimeError(f"catalog found {len(signals)} signals (expected {expected}) or lost units")
            out: dict[str, Any] = {
                "signals": len(signals), "assets": len(cat.assets), "nodes_browsed": cat.nodes_browsed,
                "catalog_s_min": min(times), "catalog_s_median": statistics.median(times),
                "catalog_client_cpu_s": statistics.median(cpu), "read": {},
            }  # fmt: skip
            for n in reads:
                if n > len(signals):
                    continue
                chunk = signals[:: max(1, len(signals) // n)][:n]  # spread over the plant
                await adapter.read(chunk, url)  # warm-up
                lat, cpu = [], []
                for _ in range(repeat):
                    t0, c0 = time.perf_counter(), time.thread_time()
                    got = await adapter.read(chunk, url)
                    lat.append((time.perf_counter() - t0) * 1000)
                    cpu.append((time.thread_time() - c0) * 1000)
                if len(got) != n or not all(r.good for r in got):
                    raise RuntimeError(f"read of {n} signals returned {len(got)} / bad statuses")
                out["read"][str(n)] = {"p50_ms": _pct(lat, 50), "p95_ms": _pct(lat, 95),
                                       "client_cpu_ms": statistics.median(cpu), "runs": repeat}  # fmt: skip
            return out
        finally:
            await adapter.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, nargs="+", default=[1000, 10000], help="plant sizes in nodes")
    ap.add_argument("--reads", type=int, nargs="+", default=[1, 100, 1000], help="signals per batched read")
    ap.add_argument("--repeat", type=int, default=50, help="timed runs per read size")
    ap.add_argument("--catalog-runs", type=int, default=3, help="timed catalog builds per plant size")
    ap.add_argument("--signals-per-asset", type=int, default=10)
    args = ap.parse_args()

    loop = LoopThread("bench-opcua-server")
    results: list[dict[str, Any]] = []
    try:
        for size in args.nodes:
            port, signals = free_port(), signals_for(size, args.signals_per_asset)
            t0 = time.perf_counter()
            server, nodes = loop.run(start_plant(port, signals, args.signals_per_asset), timeout=1200)
            setup = time.perf_counter() - t0
            gc.collect()
            gc.freeze()
            try:
                res = asyncio.run(measure(f"opc.tcp://127.0.0.1:{port}/bench", signals, args.reads, args.repeat,
                                          args.catalog_runs))  # fmt: skip
            finally:
                loop.run(server.stop())
                gc.unfreeze()
            res.update(nodes_in_plant=nodes, server_setup_s=setup)
            results.append(res)
    finally:
        loop.close()

    load = os.getloadavg()
    print(f"OPC UA adapter benchmark — asyncua server in-process, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")  # fmt: skip
    print("catalog: wall seconds min / median (client CPU); read: wall ms p50 / p95 (client CPU ms, median)")
    print(f"{'nodes':>7} {'signals':>7} {'assets':>6} {'setup s':>7}  {'catalog s':<20}  "
          + "  ".join(f"{f'read {n}':<24}" for n in args.reads))  # fmt: skip
    for r in results:
        reads = "  ".join(
            f"{m['p50_ms']:.1f} / {m['p95_ms']:.1f} ({m['client_cpu_ms']:.1f})".ljust(24)
            if (m := r["read"].get(str(n))) else "-".ljust(24)
            for n in args.reads
        )  # fmt: skip
        cat = f"{r['catalog_s_min']:.2f} / {r['catalog_s_median']:.2f} ({r['catalog_client_cpu_s']:.2f})"
        print(f"{r['nodes_in_plant']:>7} {r['signals']:>7} {r['assets']:>6} {r['server_setup_s']:>7.1f}  {cat:<20}  "
              f"{reads}")  # fmt: skip
    big = [r for r in results if r["nodes_in_plant"] >= 9_500]
    read_1000 = [r["read"]["1000"]["p50_ms"] for r in results if "1000" in r["read"]]
    targets = {
        "catalog_10000_nodes_under_5s": all(r["catalog_s_median"] < 5.0 for r in big) if big else None,
        "read_1000_under_100ms": all(v < 100.0 for v in read_1000) if read_1000 else None,
    }
    print("targets:", ", ".join(f"{k}={v}" for k, v in targets.items()))
    print(json.dumps({"bench": "opcua", "cpus": os.cpu_count(), "loadavg": load, "results": results,
                      "targets": targets}))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
