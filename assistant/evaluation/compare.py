"""Two runs side by side (``eval compare A B``): headline figures, per category and language, and the cases
whose outcome flipped. A and B are report folders (or their ``results.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.evaluation.metrics import METRICS, figures


def _load(path: Path) -> tuple[str, list[dict[str, Any]]]:
    file = path / "results.json" if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(f"no results.json in {path}")
    data = json.loads(file.read_text(encoding="utf-8"))
    return str(path), list(data["cases"])


def _fmt(v: float | None, pct: bool = True) -> str:
    if v is None:
        return "–"
    return f"{100 * v:.1f} %" if pct else f"{v:,.0f}"


def _delta(a: float | None, b: float | None, pct: bool = True) -> str:
    if a is None or b is None:
        return ""
    d = b - a
    return f"{'+' if d >= 0 else ''}{100 * d:.1f} pt" if pct else f"{'+' if d >= 0 else ''}{d:,.0f}"


def compare_runs(a: Path, b: Path, mode: str | None = None) -> str:
    """Markdown comparing run B against run A (both in ``mode``; default: each run's first mode)."""
    name_a, ra = _load(a)
    name_b, rb = _load(b)
    ma = mode or (ra[0]["run_mode"] if ra else "router")
    mb = mode or (rb[0]["run_mode"] if rb else "router")
    ra = [r for r in ra if r["run_mode"] == ma]
    rb = [r for r in rb if r["run_mode"] == mb]
    fa, fb = figures(ra), figures(rb)
    lines = [f"# Compare: A = {name_a} ({ma}) · B = {name_b} ({mb})", ""]
    lines += ["| figure | A | B | B − A |", "|---|---|---|---|"]
    for m in METRICS:
        lines.append(f"| {m.replace('_', ' ')} | {_fmt(fa[m])} | {_fmt(fb[m])} | {_delta(fa[m], fb[m])} |")
    for m in ("latency_p50_ms", "latency_p95_ms", "tokens", "scored", "skipped"):
        lines.append(f"| {m} | {_fmt(fa[m], False)} | {_fmt(fb[m], False)} | {_delta(fa[m], fb[m], False)} |")
    for key in ("category", "language"):
        groups = sorted({r[key] for r in ra + rb})
        lines += ["", f"### Answer accuracy by {key}", "", f"| {key} | A | B | B − A |", "|---|---|---|---|"]
        for g in groups:
            x = figures([r for r in ra if r[key] == g])["answer_accuracy"]
            y = figures([r for r in rb if r[key] == g])["answer_accuracy"]
            lines.append(f"| {g} | {_fmt(x)} | {_fmt(y)} | {_delta(x, y)} |")
    by_a = {r["id"]: r for r in ra if r["status"] == "scored"}
    flips = []
    for r in rb:
        old = by_a.get(r["id"])
        if old is None or r["status"] != "scored":
            continue
        pa, pb = bool(old["scores"]["answer"]), bool(r["scores"]["answer"])
        if pa != pb:
            flips.append((r["id"], "fixed" if pb else "REGRESSED", r["question"], "; ".join(r["scores"]["detail"])))
    lines += ["", f"### Cases that changed ({len(flips)})", ""]
    if flips:
        lines += ["| case | change | question | B's notes |", "|---|---|---|---|"]
        for i, c, q, d in sorted(flips, key=lambda x: x[1]):
            lines.append(f"| {i} | {c} | {q} | {d[:200]} |".replace("\n", " "))
    return "\n".join(lines) + "\n"
