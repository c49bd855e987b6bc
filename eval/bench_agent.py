"""Agent benchmark (a script, not a test): per mode, question category and language — tool-choice accuracy, answer
correctness and warm latency p50/p95 on this machine, from the evaluation suites run against the demo plant.

    .venv/bin/python eval/bench_agent.py                                  # router (rails) on the full suites
    .venv/bin/python eval/bench_agent.py --mode router --mode llm-adapter --mode llm-base
    .venv/bin/python eval/bench_agent.py --suite smoke --mode router      # quick run

Modes are the evaluation harness's (``iiot-assistant eval run --help``): ``router`` = rails only (the default
agent), ``llm-base`` / ``llm-adapter`` = the LLM plans when the router is unsure and rephrases answers, with the
bundled model alone or with the plant LoRA adapter. "Single-tool" questions are cases that expect exactly one tool
call. Warm latency leaves out each mode's first question (model and index loading). The last line is one JSON
object with the headline figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.evaluation.metrics import percentile
from assistant.evaluation.runner import EvalOptions, run_evaluation


def _rate(values: list[bool | None]) -> str:
    values = [v for v in values if v is not None]  # None: the check does not apply to the case
    return f"{100 * sum(values) / len(values):5.1f} %" if values else "    –  "


def _ms(values: list[float], p: float) -> str:
    v = percentile(values, p)
    return f"{v:7.0f}" if v is not None else "      –"


def _row(label: str, records: list[dict[str, Any]]) -> str:
    scored = [r for r in records if r["status"] == "scored"]
    lat = [r["latency_ms"] for r in scored if r.get("warm") and r.get("latency_ms") is not None]
    return (
        f"{label:<34} {len(scored):>4}  {_rate([r['scores']['tool'] for r in scored])}  "
        f"{_rate([r['scores']['answer'] for r in scored])}  {_ms(lat, 50)} {_ms(lat, 95)}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", action="append", help="suite names or files (default: full-en, full-de, full-fr-es-it)")
    ap.add_argument("--mode", action="append", help="router (default), llm-base, llm-adapter, llm")
    ap.add_argument("--language", action="append", default=[])
    ap.add_argument("--limit", type=int, default=None, help="at most this many cases per mode")
    args = ap.parse_args(argv)
    suites = args.suite or ["full-en", "full-de", "full-fr-es-it"]
    modes = args.mode or ["router"]
    with tempfile.TemporaryDirectory(prefix="bench-agent-") as tmp:
        opts = EvalOptions(suites=suites, modes=modes, report_dir=Path(tmp) / "report", languages=args.language,
                           limit=args.limit, progress=False)  # fmt: skip
        out = run_evaluation(opts, Settings(data_dir=Path(tmp) / "data"))
    records = [r for r in out.records if r.get("run_mode") in modes]
    seen: set[str] = set()
    for r in records:  # the first question of each mode pays for loading models and indexes
        r["warm"] = r["run_mode"] in seen
        seen.add(r["run_mode"])

    header = f"{'':<34} {'n':>4}  {'tools':>7}  {'correct':>7}  {'p50 ms':>7} {'p95 ms':>7}"
    headline: dict[str, Any] = {}
    for mode in modes:
        mine = [r for r in records if r["run_mode"] == mode]
        print(f"\n== mode {mode}\n{header}")
        print(_row("all", mine))
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in mine:
            groups[("category", r["category"])].append(r)
            groups[("language", r["language"])].append(r)
            if len(r.get("expected_tools") or []) == 1:
                groups[("single-tool", r["language"])].append(r)
        for (kind, name), rs in sorted(groups.items()):
            print(_row(f"{kind}: {name}", rs))
        single = {
            lang: [r["scores"]["answer"] for r in rs if r["status"] == "scored"]
            for (kind, lang), rs in groups.items()
            if kind == "single-tool"
        }
        warm = [r["latency_ms"] for r in mine if r.get("warm") and r["status"] == "scored" and r.get("latency_ms")]
        scored = [r["scores"]["answer"] for r in mine if r["status"] == "scored"]
        headline[mode] = {
            "answer_accuracy": round(sum(scored) / max(1, len(scored)), 4),
            "single_tool_accuracy": {k: round(sum(v) / len(v), 4) for k, v in sorted(single.items()) if v},
            "latency_p50_ms": percentile(warm, 50),
            "latency_p95_ms": percentile(warm, 95),
            "cases": len(mine),
        }
    print(json.dumps(headline, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
