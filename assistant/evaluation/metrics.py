"""Headline figures from scored cases: overall and per category, language, mode and suite; the CI gate.

Rates are over the cases where the figure applies (tool choice over cases that declare expected tools, argument
accuracy over cases that expect a call, citations over cases that expect a source); skipped cases (voice not
installed, truth unknowable, baseline unavailable) are counted apart and never as passes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

METRICS = (
    "answer_accuracy",
    "tool_choice_accuracy",
    "argument_accuracy",
    "groundedness",
    "citation_precision",
    "citation_recall",
    "refusal_correctness",
)


def _rate(values: list[Any]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return round(xs[lo] + (xs[hi] - xs[lo]) * (k - lo), 1)


def figures(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of a set of case records (``status`` scored/skipped, ``scores``, ``latency_ms``, ``tokens``)."""
    scored = [r for r in records if r["status"] == "scored"]
    sc = [r["scores"] for r in scored]
    lat = [r["latency_ms"] for r in scored if r.get("latency_ms") is not None]
    out: dict[str, Any] = {
        "cases": len(records),
        "scored": len(scored),
        "skipped": len(records) - len(scored),
        "passed": sum(1 for s in sc if s["answer"]),
        "answer_accuracy": _rate([s["answer"] for s in sc]),
        "tool_choice_accuracy": _rate([s["tool"] for s in sc]),
        "argument_accuracy": _rate([s["args"] for s in sc]),
        "groundedness": _rate([s["grounded"] for s in sc]),
        "citation_precision": _rate([s["citation_precision"] for s in sc]),
        "citation_recall": _rate([s["citation_recall"] for s in sc]),
        "refusal_correctness": _rate([s["refusal_correct"] for s in sc]),
        "errors": sum(1 for r in scored if r.get("kind") == "error"),
        "latency_p50_ms": percentile(lat, 50),
        "latency_p95_ms": percentile(lat, 95),
        "tokens": sum(int(r.get("tokens") or 0) for r in scored),
    }
    return out


def _by(records: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        groups[str(r.get(key))].append(r)
    return {k: figures(v) for k, v in sorted(groups.items())}


def summarise(records: list[dict[str, Any]], primary_mode: str, meta: dict[str, Any]) -> dict[str, Any]:
    """summary.json: headline figures of the primary mode, then the breakdowns, every mode and the run's facts."""
    primary = [r for r in records if r["run_mode"] == primary_mode]
    head = figures(primary)
    skipped_reasons: dict[str, int] = defaultdict(int)
    for r in primary:
        if r["status"] == "skipped":
            skipped_reasons[r.get("skip_reason") or "?"] += 1
    return {
        **head,
        "mode": primary_mode,
        "accuracy_per_language": {k: v["answer_accuracy"] for k, v in _by(primary, "language").items()},
        "accuracy_per_category": {k: v["answer_accuracy"] for k, v in _by(primary, "category").items()},
        "by_language": _by(primary, "language"),
        "by_category": _by(primary, "category"),
        "by_suite": _by(primary, "suite"),
        "by_mode": _by(records, "run_mode"),
        "by_mode_category": {
            m: _by([r for r in records if r["run_mode"] == m], "category")
            for m in sorted({r["run_mode"] for r in records})
        },
        "by_mode_language": {
            m: _by([r for r in records if r["run_mode"] == m], "language")
            for m in sorted({r["run_mode"] for r in records})
        },
        "skipped_reasons": dict(skipped_reasons),
        "run": meta,
    }


def check_gate(gates: dict[str, dict[str, float]], records: list[dict[str, Any]], mode: str) -> list[str]:
    """Each suite's gate against its cases in ``mode``; the failures as sentences (empty: the gate holds)."""
    failures = []
    for suite, gate in gates.items():
        got = figures([r for r in records if r["suite"] == suite and r["run_mode"] == mode])
        for metric, minimum in gate.items():
            value = got.get(metric)
            if value is None or value < minimum:
                failures.append(f"{suite}: {metric} {value if value is not None else 'n/a'} below the gate {minimum}")
    return failures
