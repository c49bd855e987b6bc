"""Benchmark: KPI query latency on 30 days of demo-plant history, and shift report generation time.

Starts the demo plant with ``--days`` of backfilled history (1-min samples, every variable), exports it into a fresh
DuckDB historian (sorted by signal and time, as ``DuckDBStore.compact`` leaves it), then times every KPI tool for
line 1 and for the whole plant over the last ``--shifts`` completed shifts, and the shift handover report (no LLM
paragraph) per shift — with and without the maintenance section, whose models read OPC UA history.

    .venv/bin/python eval/bench_kpi.py [--days 30] [--shifts 9] [--reports 3]

Targets (issue #11): < 200 ms per KPI query, < 5 s per report without the LLM paragraph.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from assistant.config import EndpointSettings, Settings, SimSettings
from assistant.report.builder import build_shift_report
from assistant.report.render import render
from assistant.sim.export import export_history
from assistant.sim.server import PlantServer
from tools.historian.duckdb_store import DuckDBStore
from tools.historian.queries import Historian
from tools.historian.timewindow import _parser
from tools.kpi.models import TopAlarmsInput
from tools.kpi.queries import KpiTools, run_kpi
from tools.opcua.adapter import OpcUaAdapter


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ms(samples: list[float]) -> str:
    s = sorted(samples)
    return f"p50 {statistics.median(s):7.1f} ms   p95 {s[int(0.95 * (len(s) - 1))]:7.1f} ms   max {s[-1]:7.1f} ms"


async def main(days: float, shifts: int, reports: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-kpi-"))
    t0 = time.perf_counter()
    plant = PlantServer(SimSettings(port=_free_port(), seed=42, backfill_days=days, history_interval_s=60), tmp)
    await plant.start()
    print(
        f"plant: {days:g} days of history, {plant.history.sample_count():,} samples, {time.perf_counter() - t0:.0f} s"
    )
    t0 = time.perf_counter()
    store = DuckDBStore(tmp / "history.duckdb")
    store.ensure_schema()
    rows = export_history(plant, store)
    store.compact()
    print(f"historian: {rows:,} rows exported and sorted in {time.perf_counter() - t0:.0f} s ({store.describe()})")
    settings = Settings(data_dir=tmp, cache_dir=tmp / "cache",
                        opcua={"endpoints": [EndpointSettings(url=plant.endpoint)]})  # fmt: skip
    historian = Historian(store, settings)
    tools = KpiTools(historian)
    parser = _parser(settings.plant)
    now = historian.now()
    done = [o for o in parser.shift_occurrences(now, days=4) if o.end <= now][-shifts:]
    adapter = OpcUaAdapter(settings)
    run_kpi(tools, "kpi.oee", {"scope": "", "window": "last shift"})  # warm-up: signal table, classification
    print(f"\nKPI latency over {len(done)} shifts ({done[0].start:%Y-%m-%d %H:%M} … {done[-1].end:%Y-%m-%d %H:%M}):")
    worst = 0.0
    for scope in ("line 1", ""):
        for name in ("kpi.oee", "kpi.downtime", "kpi.reliability", "kpi.energy", "kpi.top_alarms"):
            times = []
            for o in done:
                window = f"{o.start.isoformat()}/{o.end.isoformat()}"
                if name == "kpi.top_alarms":
                    events = await adapter.events(o.start, o.end, 5000)
                    a = time.perf_counter()
                    tools.top_alarms(TopAlarmsInput(scope=scope, window=window), events)
                else:
                    a = time.perf_counter()
                    run_kpi(tools, name, {"scope": scope, "window": window})
                times.append((time.perf_counter() - a) * 1000)
            worst = max(worst, max(times))
            print(f"  {name:16s} {scope or 'plant':7s} {_ms(times)}")
        times = []
        for _ in range(3):
            a = time.perf_counter()
            run_kpi(tools, "kpi.oee", {"scope": scope, "window": "last 30 days"})
            times.append((time.perf_counter() - a) * 1000)
        print(f"  {'kpi.oee 30 days':16s} {scope or 'plant':7s} {_ms(times)}")
    print(f"  worst single shift KPI: {worst:.1f} ms (target < 200 ms)")
    print("\nshift report (md, no LLM paragraph):")
    for maintenance in (False, True):
        times, parts = [], []
        for o in done[-reports:]:
            spec = f"{o.start.date().isoformat()}-{o.name}"
            a = time.perf_counter()
            rep = await build_shift_report(settings, historian, adapter, line="line 1", shift=spec, language="de",
                                           include_maintenance=maintenance, include_documents=True)  # fmt: skip
            render(rep, "md")
            times.append((time.perf_counter() - a) * 1000)
            parts.append(rep.timings_ms)
        label = "with maintenance" if maintenance else "without maintenance"
        print(f"  {label:22s} {_ms(times)}  ({len(times)} shifts)")
        slow = sorted(parts[-1].items(), key=lambda kv: -kv[1])[:4]
        print("    slowest parts of the last one: " + ", ".join(f"{k} {v:.0f} ms" for k, v in slow))
    for fmt in ("html", "pdf"):
        a = time.perf_counter()
        render(rep, fmt)
        print(f"  render {fmt}: {(time.perf_counter() - a) * 1000:.0f} ms")
    await adapter.close()
    await plant.stop()
    store.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--shifts", type=int, default=9)
    ap.add_argument("--reports", type=int, default=3)
    ns = ap.parse_args()
    asyncio.run(main(ns.days, ns.shifts, ns.reports))
