"""The evidence panel: what an answer rests on — each tool call with its values, units, timestamps and node ids,
and each cited passage, which opens in place (``<details>``).

Rendered generically from the ``ask --json`` contract: readings (``value``/``unit``/``source_timestamp``/
``stable_id``), alarm lists, time series (summarised: count, first/last time, range) and document passages get
tables; any other result is shown as JSON in a collapsible block.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from assistant.ui.texts import t

MAX_JSON_CHARS = 4000
MAX_ROWS = 40


def _e(v: Any) -> str:
    return escape("" if v is None else str(v))


def _table(head: list[str], rows: list[list[Any]], cls: str = "") -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows[:MAX_ROWS])
    return f'<table class="ev-table {cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _is_reading(d: Any) -> bool:
    return isinstance(d, dict) and "value" in d and ("stable_id" in d or "node_id" in d)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return _e(v)


def _readings(rows: list[dict[str, Any]], lang: str) -> str:
    """One block per reading: path, value and unit prominent, then time, status and the node id on its own line."""
    out = []
    for r in rows[:MAX_ROWS]:
        unit = _e(r.get("unit"))
        out.append(
            f'<div class="ev-reading"><span class="ev-path">{_e(r.get("path") or r.get("signal"))}</span>: '
            f'<b class="ev-value">{_fmt(r.get("value"))} {unit}</b> · {_e(t(lang, "col_time"))} '
            f"{_e(r.get('source_timestamp') or r.get('timestamp'))} · {_e(t(lang, 'col_status'))} "
            f"{_e(r.get('status') or r.get('quality'))}<br>{_e(t(lang, 'col_node'))}: "
            f'<code class="ev-node">{_e(r.get("stable_id") or r.get("node_id") or r.get("signal"))}</code></div>'
        )
    return "".join(out)


def _alarms(rows: list[dict[str, Any]], lang: str) -> str:
    return _table(
        [t(lang, k) for k in ("col_code", "col_asset", "col_severity", "col_message", "col_time", "col_state")],
        [
            [
                f"<b>{_e(a.get('code'))}</b>",
                _e(a.get("source")),
                _e(a.get("severity")),
                _e(a.get("message")),
                _e(a.get("time")),
                _e(a.get("state")),
            ]
            for a in rows
        ],
        "ev-alarms",
    )


def _series_summary(d: dict[str, Any], lang: str) -> str | None:
    pts = next((d[k] for k in ("points", "series", "values") if isinstance(d.get(k), list) and d[k]), None)
    if not pts or not isinstance(pts[0], dict):
        return None
    tkey = next((k for k in ("time", "t", "timestamp", "start") if k in pts[0]), None)
    vkey = next((k for k in ("value", "avg", "mean") if k in pts[0]), None)
    if tkey is None or vkey is None:
        return None
    vals = [p[vkey] for p in pts if isinstance(p.get(vkey), int | float) and not isinstance(p.get(vkey), bool)]
    rng = f"{min(vals):g} … {max(vals):g}" if vals else "–"
    node = d.get("stable_id") or d.get("node_id") or d.get("signal") or d.get("path") or ""
    return (
        f'<div class="ev-reading ev-series"><span class="ev-path">{_e(d.get("path") or d.get("signal"))}</span>: '
        f'<b class="ev-value">{len(pts)} × {_e(rng)} {_e(d.get("unit"))}</b> · {_e(t(lang, "col_time"))} '
        f"{_e(pts[0].get(tkey))} – {_e(pts[-1].get(tkey))}<br>{_e(t(lang, 'col_node'))}: "
        f'<code class="ev-node">{_e(node)}</code></div>'
    )


def _passages(rows: list[dict[str, Any]], lang: str) -> str:
    items = []
    for p in rows[:MAX_ROWS]:
        text = p.get("text") or p.get("passage") or p.get("content") or ""
        where = " · ".join(str(p[k]) for k in ("source", "document", "title", "locator", "page") if p.get(k))
        items.append(f'<details class="ev-passage"><summary>{_e(where)} — {_e(t(lang, "open_passage"))}</summary>'
                     f"<blockquote>{_e(text)}</blockquote></details>")  # fmt: skip
    return "".join(items)


def _result_html(result: Any, lang: str) -> str:
    if isinstance(result, list) and result and all(_is_reading(r) for r in result):
        return _readings(result, lang)
    if isinstance(result, dict):
        if isinstance(result.get("alarms"), list):
            return (
                _alarms(result["alarms"], lang) if result["alarms"] else f"<i>{_e(t(lang, 'overview_no_alarms'))}</i>"
            )
        summary = _series_summary(result, lang)
        if summary:
            return summary
        for key in ("passages", "results", "hits"):
            rows = result.get(key)
            if isinstance(rows, list) and rows and isinstance(rows[0], dict) and "text" in rows[0]:
                return _passages(rows, lang)
        items = result.get("items")
        if isinstance(items, list) and items and isinstance(items[0], dict) and "value" in items[0]:
            return _readings(items, lang)
    text = json.dumps(result, ensure_ascii=False, indent=1, default=str)
    if len(text) > MAX_JSON_CHARS:
        text = text[:MAX_JSON_CHARS] + "\n…"
    return f"<details><summary>{_e(t(lang, 'result'))}</summary><pre>{_e(text)}</pre></details>"


def render_evidence(result: dict[str, Any] | None, lang: str, notes: list[str] | None = None) -> str:
    """HTML for the evidence panel of one answer (the ``ask --json`` dict), or the placeholder when None."""
    if not result:
        return f'<div class="evidence evidence-empty">{_e(t(lang, "evidence_empty"))}</div>'
    parts = ['<div class="evidence">']
    if result.get("error"):
        parts.append(f'<p class="ev-error">{_e(t(lang, "error_prefix", message=result["error"]))}</p>')
    if "mode" in result:
        parts.append('<p class="ev-meta">' + _e(t(lang, "answer_mode", mode=result.get("mode"), kind=result.get("kind"),
                     grounded=result.get("grounded"), latency=result.get("latency_ms"))) + "</p>")  # fmt: skip
    for note in notes or []:
        parts.append(f'<p class="ev-note">{_e(note)}</p>')
    calls = result.get("tool_calls") or []
    if calls:
        parts.append(f"<h4>{_e(t(lang, 'tool_calls'))}</h4>")
    for c in calls:
        args = json.dumps(c.get("arguments"), ensure_ascii=False, default=str)
        if len(args) > 300:
            args = args[:300] + "…"
        parts.append(
            f'<div class="ev-call"><div class="ev-call-head"><code class="ev-tool">{_e(c.get("tool"))}</code> '
            f'<span class="ev-ms">{_e(t(lang, "duration", ms=c.get("duration_ms")))}</span></div>'
            f'<div class="ev-args">{_e(t(lang, "arguments"))}: <code>{_e(args)}</code></div>'
            f"{_result_html(c.get('result'), lang)}</div>"
        )
    cites = result.get("citations") or []
    parts.append(f"<h4>{_e(t(lang, 'sources'))}</h4>")
    if not cites:
        parts.append(f"<p>{_e(t(lang, 'no_sources'))}</p>")
    for c in cites:
        parts.append(
            f'<details class="ev-citation"><summary><b>{_e(c.get("source"))}</b> · <code>{_e(c.get("locator"))}</code>'
            f" — {_e(t(lang, 'open_passage'))}</summary><blockquote>{_e(c.get('text'))}</blockquote></details>"
        )
    parts.append("</div>")
    return "".join(parts)
