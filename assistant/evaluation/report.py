"""Report writers: ``results.json`` (every case), ``summary.json`` (headline figures), ``summary.md`` and
``report.html`` (charts as inline SVG: the page works offline and needs no JavaScript)."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

from assistant.evaluation.metrics import METRICS

_COLOURS = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#718096")


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f} %"


def _ms(v: float | None) -> str:
    return "–" if v is None else f"{v:,.0f} ms"


def write_report(out: Path, records: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(
        json.dumps({"run": summary["run"], "cases": records}, ensure_ascii=False, indent=1, default=str), "utf-8"
    )
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str), "utf-8")
    (out / "summary.md").write_text(markdown(summary, records), "utf-8")
    (out / "report.html").write_text(html_page(summary, records), "utf-8")


def _figure_row(name: str, f: dict[str, Any]) -> str:
    cells = [name, f"{f['passed']}/{f['scored']}", *(_pct(f[m]) for m in METRICS)]
    cells += [_ms(f["latency_p50_ms"]), _ms(f["latency_p95_ms"]), str(f["tokens"]), str(f["skipped"])]
    return "| " + " | ".join(cells) + " |"


def _table(title: str, groups: dict[str, dict[str, Any]]) -> list[str]:
    head = ["", "passed", *(m.replace("_", " ") for m in METRICS), "p50", "p95", "tokens", "skipped"]
    lines = [f"### {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += [_figure_row(k, v) for k, v in groups.items()]
    return [*lines, ""]


def markdown(summary: dict[str, Any], records: list[dict[str, Any]]) -> str:
    run = summary["run"]
    gate = summary.get("gate", {})
    lines = [
        f"# Evaluation: {', '.join(run['suites'])}",
        "",
        f"{run['started']} · {run['seconds']} s · plant: {run['plant'].get('plant')} · model: {run['model']} · "
        f"modes: {', '.join(run['modes'])} · voice: {run['voice']} · corpus: {run['corpus']}",
        "",
        f"**{summary['mode']}**: answer accuracy **{_pct(summary['answer_accuracy'])}** "
        f"({summary['passed']}/{summary['scored']} scored, {summary['skipped']} skipped), tool choice "
        f"{_pct(summary['tool_choice_accuracy'])}, arguments {_pct(summary['argument_accuracy'])}, groundedness "
        f"{_pct(summary['groundedness'])}, citation precision/recall {_pct(summary['citation_precision'])} / "
        f"{_pct(summary['citation_recall'])}, refusal correctness {_pct(summary['refusal_correctness'])}, "
        f"latency p50/p95 {_ms(summary['latency_p50_ms'])} / {_ms(summary['latency_p95_ms'])}.",
        "",
    ]
    if gate.get("gates"):
        verdict = "passed" if gate["passed"] else "FAILED: " + "; ".join(gate["failures"])
        lines += [f"Gate {json.dumps(gate['gates'])}: {verdict}", ""]
    lines += _table("By mode (baselines included)", summary["by_mode"])
    lines += _table(f"By category ({summary['mode']})", summary["by_category"])
    lines += _table(f"By language ({summary['mode']})", summary["by_language"])
    if len(summary["by_suite"]) > 1:
        lines += _table(f"By suite ({summary['mode']})", summary["by_suite"])
    if summary["skipped_reasons"]:
        lines += ["### Skipped", ""] + [f"- {n} × {r}" for r, n in summary["skipped_reasons"].items()] + [""]
    failed = [r for r in records if r["status"] == "scored" and not r["scores"]["answer"]]
    if failed:
        lines += ["### Failed cases", "", "| mode | case | question | answer | why |", "|---|---|---|---|---|"]
        for r in failed[:300]:
            why = "; ".join(r["scores"]["detail"]) or "-"
            cells = [r["run_mode"], r["id"], r["question"], (r.get("answer") or "")[:160], why[:240]]
            lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


# -- SVG charts ---------------------------------------------------------------------------------------------------
def bar_chart(title: str, groups: list[str], series: dict[str, list[float | None]], percent: bool = True) -> str:
    """Grouped vertical bars: one group per label, one bar per series (mode)."""
    w_bar = 14 if len(series) > 1 else 22
    gap = 18
    group_w = w_bar * len(series) + gap
    width, height, left, bottom, top = max(360, 50 + group_w * len(groups)), 296, 44, 90, 46
    plot_h = height - bottom - top
    top_value = 1.0 if percent else max([v or 0 for vs in series.values() for v in vs] + [1e-9]) * 1.1
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
           f'<text x="{left}" y="18" font-size="14" font-weight="bold">{html.escape(title)}</text>']  # fmt: skip
    for k in range(5):
        y = top + plot_h * (1 - k / 4)
        label = f"{100 * top_value * k / 4:.0f}%" if percent else f"{top_value * k / 4:.0f}"
        out.append(f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>'
                   f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{label}</text>')  # fmt: skip
    for g, label in enumerate(groups):
        x0 = left + 8 + g * group_w
        for s, (name, values) in enumerate(series.items()):
            v = values[g]
            if v is None:
                continue
            h = max(1.0, plot_h * min(1.0, v / top_value))  # a zero shows as a hairline, a missing value not
            x = x0 + s * w_bar
            shown = f"{100 * v:.0f}%" if percent else f"{v:.0f}"
            out.append(f'<rect x="{x}" y="{top + plot_h - h:.1f}" width="{w_bar - 2}" height="{h:.1f}" '
                       f'fill="{_COLOURS[s % len(_COLOURS)]}"><title>{html.escape(name)} {html.escape(label)}: '
                       f'{shown}</title></rect>')  # fmt: skip
        tx, ty = x0 + group_w / 2 - gap / 2, top + plot_h + 10
        out.append(f'<text x="{tx:.1f}" y="{ty}" font-size="10" text-anchor="end" '
                   f'transform="rotate(-40 {tx:.1f} {ty})">{html.escape(label)}</text>')  # fmt: skip
    for s, name in enumerate(series):
        colour = _COLOURS[s % len(_COLOURS)]
        out.append(f'<rect x="{left + 110 * s}" y="26" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{left + 14 + 110 * s}" y="35" font-size="11">{html.escape(name)}</text>')  # fmt: skip
    out.append("</svg>")
    return "".join(out)


def latency_histogram(records: list[dict[str, Any]]) -> str:
    modes = sorted({r["run_mode"] for r in records})
    lat = {m: [r["latency_ms"] for r in records if r["run_mode"] == m and r.get("latency_ms")] for m in modes}
    everything = [v for vs in lat.values() for v in vs]
    if not everything:
        return "<p>no latencies</p>"
    # log-spaced bins from the fastest to the slowest answer
    lo, hi = max(1.0, min(everything)), max(everything) * 1.0001
    n = 14
    edges = [lo * (hi / lo) ** (k / n) for k in range(n + 1)] if hi > lo else [lo, lo + 1]
    labels = [f"{e:,.0f}" for e in edges[:-1]]
    series: dict[str, list[float | None]] = {}
    for m, vs in lat.items():
        counts = [0.0] * (len(edges) - 1)
        for v in vs:
            k = min(len(counts) - 1, max(0, int(math.log(max(v, lo) / lo) / math.log(hi / lo) * n))) if hi > lo else 0
            counts[k] += 1
        series[m] = list(counts)
    return bar_chart("Latency distribution (cases per bin, bin start in ms)", labels, series, percent=False)


def html_page(summary: dict[str, Any], records: list[dict[str, Any]]) -> str:
    modes = list(summary["by_mode"])
    cats = sorted({c for m in modes for c in summary["by_mode_category"][m]})
    langs = sorted({c for m in modes for c in summary["by_mode_language"][m]})

    def series(key: str, labels: list[str]) -> dict[str, list[float | None]]:
        return {m: [summary[key][m].get(lbl, {}).get("answer_accuracy") for lbl in labels] for m in modes}

    charts = [
        bar_chart("Answer accuracy per category", cats, series("by_mode_category", cats)),
        bar_chart("Answer accuracy per language", langs, series("by_mode_language", langs)),
        bar_chart(
            "Figures per mode",
            [m.replace("_", " ") for m in METRICS],
            {m: [summary["by_mode"][m][k] for k in METRICS] for m in modes},
        ),
        latency_histogram([r for r in records if r["status"] == "scored"]),
    ]
    rows = []
    for r in records:
        sc = r.get("scores") or {}
        mark = "skip" if r["status"] == "skipped" else ("pass" if sc.get("answer") else "FAIL")
        why = r.get("skip_reason") or "; ".join(sc.get("detail", []))
        cells = [r["run_mode"], r["id"], r["category"], r["language"], mark, r["question"], r.get("answer") or "", why]
        rows.append("<tr class='" + mark.lower() + "'>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
                    + "</tr>")  # fmt: skip
    md = html.escape(markdown(summary, []))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>IIoT Assistant evaluation</title>
<style>body{{font-family:sans-serif;margin:1.5em;color:#1a202c}}svg{{margin:.5em 1em .5em 0;vertical-align:top}}
table{{border-collapse:collapse;font-size:12px}}td{{border:1px solid #e2e8f0;padding:2px 5px;vertical-align:top}}
tr.fail td{{background:#fff5f5}}tr.skip td{{color:#718096}}pre{{white-space:pre-wrap;font-size:12px}}</style></head>
<body><h1>IIoT Assistant evaluation</h1>
<p>Answer accuracy ({html.escape(summary["mode"])}): <b>{_pct(summary["answer_accuracy"])}</b> ·
tool choice {_pct(summary["tool_choice_accuracy"])} · groundedness {_pct(summary["groundedness"])} ·
p50/p95 {_ms(summary["latency_p50_ms"])} / {_ms(summary["latency_p95_ms"])}</p>
<div>{"".join(charts)}</div>
<details><summary>Summary tables</summary><pre>{md}</pre></details>
<h2>Cases</h2><table><tr><th>mode</th><th>case</th><th>category</th><th>lang</th><th>result</th><th>question</th>
<th>answer</th><th>why</th></tr>{"".join(rows)}</table></body></html>"""
