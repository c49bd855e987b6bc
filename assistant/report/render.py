"""Write a :class:`~assistant.report.builder.ShiftReport` as Markdown, HTML (plotly charts, offline) or PDF (fpdf2).

The same sections, statements and evidence in every format; charts are plotly figures in HTML and simple bar
charts drawn with fpdf2 in PDF (no browser needed). Markdown carries the tables and the evidence lists.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from assistant.report.builder import Section, ShiftReport, texts

_FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]


def to_markdown(report: ShiftReport) -> str:
    t = texts(report.language)
    out = [f"# {report.title}", "", f"_{report.generated}_", ""]
    if report.summary:
        out += [f"## {t['section_summary']}", "", report.summary, ""]
    for sec in report.sections:
        out += [f"## {sec.title}", ""]
        for st in sec.statements:
            out.append(f"- {st.text}")
            for ev in st.evidence:
                out.append(f"  - {t['evidence']}: `{ev}`")
        if sec.table:
            out += ["", "| " + " | ".join(sec.table[0]) + " |", "|" + "---|" * len(sec.table[0])]
            out += ["| " + " | ".join(row) + " |" for row in sec.table[1:]]
        out.append("")
    return "\n".join(out)


def _chart_html(sec: Section, first: bool) -> str:
    import plotly.graph_objects as go

    c = sec.chart or {}
    if not c.get("x"):
        return ""
    fig = go.Figure(go.Bar(x=c["x"], y=[v if v is not None else 0 for v in c["y"]], marker_color="#2b6cb0"))
    fig.update_layout(title=c["title"], height=300, margin={"l": 40, "r": 20, "t": 40, "b": 80}, yaxis_title=c["unit"])
    return str(fig.to_html(full_html=False, include_plotlyjs=bool(first)))


def to_html(report: ShiftReport) -> str:
    t = texts(report.language)
    e = html.escape
    parts = [
        f"<!doctype html><html lang='{e(report.language)}'><head><meta charset='utf-8'><title>{e(report.title)}"
        "</title><style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}"
        ".ev{color:#666;font-size:.85em;font-family:monospace}</style></head><body>",
        f"<h1>{e(report.title)}</h1><p><em>{e(report.generated)}</em></p>",
    ]
    if report.summary:
        parts.append(f"<h2>{e(t['section_summary'])}</h2><p>{e(report.summary)}</p>")
    first_chart = True
    for sec in report.sections:
        parts.append(f"<section id='{e(sec.key)}'><h2>{e(sec.title)}</h2><ul>")
        for st in sec.statements:
            ev = "".join(f"<div class='ev'>{e(t['evidence'])}: {e(x)}</div>" for x in st.evidence)
            parts.append(f"<li>{e(st.text)}{ev}</li>")
        parts.append("</ul>")
        if sec.table:
            head = "".join(f"<th>{e(c)}</th>" for c in sec.table[0])
            rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in sec.table[1:])
            parts.append(f"<table><tr>{head}</tr>{rows}</table>")
        if sec.chart and sec.chart.get("x"):
            parts.append(_chart_html(sec, first_chart))
            first_chart = False
        parts.append("</section>")
    parts.append("</body></html>")
    return "".join(parts)


_ASCII = {"–": "-", "—": "-", "“": '"', "”": '"', "„": '"', "…": "...", "•": "-", "→": "->", "’": "'"}


def _plain(text: str) -> str:
    for a, b in _ASCII.items():
        text = text.replace(a, b)
    return text


def _font(pdf: Any, report: ShiftReport) -> str:
    """The PDF core font when the report's text fits Latin-1 (fast), else DejaVu (embedded, any script)."""
    every = [report.title, report.generated, report.summary or ""]
    every += [x for sec in report.sections for st in sec.statements for x in (st.text, *st.evidence)]
    every += [c for sec in report.sections for row in sec.table for c in row]
    try:
        _plain("\n".join(every)).encode("latin-1")
        return "Helvetica"
    except UnicodeEncodeError:
        pass
    for d in _FONT_DIRS:
        if (d / "DejaVuSans.ttf").exists():
            pdf.add_font("DejaVu", "", str(d / "DejaVuSans.ttf"))
            pdf.add_font("DejaVu", "B", str(d / "DejaVuSans-Bold.ttf"))
            return "DejaVu"
    return "Helvetica"


def _latin(text: str, font: str) -> str:
    if font != "Helvetica":
        return text
    return _plain(text).encode("latin-1", "replace").decode("latin-1")


def _bars(pdf: Any, chart: dict[str, Any], font: str) -> None:
    """A horizontal bar chart drawn with rectangles (label, bar, value)."""
    values = [v or 0.0 for v in chart["y"]]
    top = max([*values, 1e-09])
    pdf.set_font(font, "B", 9)
    pdf.cell(0, 6, _latin(chart["title"], font), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, "", 8)
    width = pdf.w - pdf.l_margin - pdf.r_margin - 75
    for label, v in zip(chart["x"], values, strict=True):
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(60, 5, _latin(str(label)[:40], font))
        pdf.set_fill_color(43, 108, 176)
        pdf.rect(pdf.l_margin + 60, y + 1, max(0.5, width * v / top), 3.5, style="F")
        pdf.set_xy(pdf.l_margin + 62 + width * v / top, y)
        pdf.cell(15, 5, f"{v:g} {chart['unit']}")
        pdf.ln(5)
    pdf.ln(2)


def to_pdf(report: ShiftReport) -> bytes:
    from fpdf import FPDF

    t = texts(report.language)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    font = _font(pdf, report)
    full = pdf.w - pdf.l_margin - pdf.r_margin

    def para(text: str, size: float = 10, style: str = "", h: float = 5) -> None:
        pdf.set_x(pdf.l_margin)
        pdf.set_font(font, style, size)
        pdf.multi_cell(full, h, _latin(text, font), new_x="LMARGIN", new_y="NEXT")

    para(report.title, 15, "B", 7)
    para(report.generated, 8)
    if report.summary:
        para(t["section_summary"], 12, "B", 7)
        para(report.summary)
    for sec in report.sections:
        pdf.ln(2)
        para(sec.title, 12, "B", 7)
        for st in sec.statements:
            para(f"• {st.text}" if font != "Helvetica" else f"- {st.text}", 10)
            for ev in st.evidence:
                pdf.set_text_color(100, 100, 100)
                para(f"   {t['evidence']}: {ev}", 7, "", 4)
                pdf.set_text_color(0, 0, 0)
        if sec.table:
            pdf.set_font(font, "", 8)
            with pdf.table(text_align="LEFT", line_height=4.5, width=full) as table:
                for row in sec.table:
                    r = table.row()
                    for cell in row:
                        r.cell(_latin(cell, font))
        if sec.chart and sec.chart.get("x"):
            pdf.ln(2)
            _bars(pdf, sec.chart, font)
    return bytes(pdf.output())


def render(report: ShiftReport, fmt: str) -> str | bytes:
    if fmt == "md":
        return to_markdown(report)
    if fmt == "html":
        return to_html(report)
    if fmt == "pdf":
        return to_pdf(report)
    raise ValueError(f"unknown report format {fmt!r} (md, html, pdf)")
