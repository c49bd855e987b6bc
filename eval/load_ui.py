"""Load test of the operator UI: N simulated operators ask questions at once through the web UI's queue.

Starts the demo plant and the UI in this process (or uses ``--url`` of a running UI without login), then runs
``--users`` concurrent clients (gradio_client, the same queue and event stream a browser uses), each asking
``--questions`` questions. Meanwhile one more client keeps polling the plant overview, to show the UI stays
responsive while the workers answer. Prints p50/p95 answer latency and the overview's latency under load.

    .venv/bin/python eval/load_ui.py --users 8 --questions 5 [--workers 2] [--url http://127.0.0.1:7860/]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUESTIONS = [
    "What is the current temperature of pump P-101?",
    "Wie hoch ist der Druck am Kompressor K-2?",
    "Which alarms are active?",
    "What is the vibration of spindle S-1?",
    "Wie hoch ist der Füllstand im Behälter T-101?",
]


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))] if xs else float("nan")


def _start_local(workers: int) -> tuple[str, object]:
    from assistant.config import EndpointSettings, Settings, SimSettings
    from assistant.loop_thread import LoopThread
    from assistant.sim.server import PlantServer
    from assistant.ui.app import start
    from tests.conftest import free_port

    loop = LoopThread("load-plant")
    plant = PlantServer(SimSettings(port=free_port(), seed=3))
    loop.run(plant.start())
    data = Path(tempfile.mkdtemp(prefix="iiot-load-"))
    settings = Settings(data_dir=data, cache_dir=data / "cache")
    settings.opcua.endpoints = [EndpointSettings(url=plant.endpoint)]
    settings.ui.port = free_port()
    if hasattr(settings.ui, "workers"):
        settings.ui.workers = workers  # type: ignore[attr-defined]
    _app, url = start(settings)
    return url, (loop, plant)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=8)
    ap.add_argument("--questions", type=int, default=5, help="questions per user")
    ap.add_argument("--workers", type=int, default=2, help="agent workers (only with ui.workers in the settings)")
    ap.add_argument("--url", help="a running UI (without login); default: start plant + UI here")
    args = ap.parse_args()
    from gradio_client import Client

    url = args.url or _start_local(args.workers)[0]
    warm = Client(url, verbose=False)
    warm.predict("What is the current temperature of pump P-101?", [], api_name="/ask")  # router warm-up
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    def operator(i: int) -> None:
        client = Client(url, verbose=False)
        for k in range(args.questions):
            q = QUESTIONS[(i + k) % len(QUESTIONS)]
            t0 = time.perf_counter()
            try:
                out = client.predict(q, [], api_name="/ask")
                ok = bool(out and out[1] and out[1][-1]["content"])
            except Exception as exc:  # report, don't stop the run
                ok, q = False, f"{q}: {exc}"
            with lock:
                (latencies.append((time.perf_counter() - t0) * 1000) if ok else errors.append(q))

    overview_ms: list[float] = []

    def watcher() -> None:
        client = Client(url, verbose=False)
        while not done.is_set():
            t0 = time.perf_counter()
            client.predict(api_name="/refresh_overview")
            overview_ms.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.5)

    threads = [threading.Thread(target=operator, args=(i,)) for i in range(args.users)]
    w = threading.Thread(target=watcher, daemon=True)
    t0 = time.perf_counter()
    w.start()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    done.set()
    wall = time.perf_counter() - t0
    summary = {
        "users": args.users, "questions": len(latencies), "errors": len(errors),
        "answer_ms_p50": round(statistics.median(latencies), 0) if latencies else None,
        "answer_ms_p95": round(_pct(latencies, 0.95), 0) if latencies else None,
        "throughput_per_min": round(len(latencies) / wall * 60, 1),
        "overview_ms_p50_under_load": round(statistics.median(overview_ms), 0) if overview_ms else None,
        "overview_ms_p95_under_load": round(_pct(overview_ms, 0.95), 0) if overview_ms else None,
    }  # fmt: skip
    print(f"{args.users} users × {args.questions} questions: p50 {summary['answer_ms_p50']} ms, "
          f"p95 {summary['answer_ms_p95']} ms, {summary['throughput_per_min']} answers/min, errors {len(errors)}; "
          f"overview under load p50 {summary['overview_ms_p50_under_load']} ms, "
          f"p95 {summary['overview_ms_p95_under_load']} ms")  # fmt: skip
    for e in errors[:5]:
        print("error:", e)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
