"""Render the demo manuals (Markdown sources in ``corpus/src``) into the formats the demo corpus exercises.

Owns the demo corpus's format mix: PDF (written directly, standard Helvetica fonts — no PDF library needed),
DOCX (python-docx), HTML, plain text and Markdown. Deterministic: the same sources give byte-identical files
(fixed PDF/DOCX dates), so re-running it does not make the index re-ingest anything.

    .venv/bin/python corpus/build_documents.py
"""

from __future__ import annotations

import html
import re
import shutil
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
OUT = HERE / "demo" / "manuals"

# source → output format
TARGETS = {
    "centrifugal_pump_manual_en.md": "pdf",
    "behaelter_fuellstand_handbuch_de.md": "pdf",
    "machining_spindle_manual_en.md": "html",
    "foerderbandantrieb_handbuch_de.md": "docx",
    "schraubenkompressor_handbuch_de.md": "md",
    "lockout_tagout_procedure_en.md": "md",
    "freischaltverfahren_de.md": "txt",
}


@dataclass
class Element:
    kind: str  # heading | para | item | table
    text: str = ""
    level: int = 0
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Source:
    meta: dict[str, object]
    title: str
    elements: list[Element]


def read_markdown(path: Path) -> Source:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, object] = {}
    if text.startswith("---"):
        end = text.index("\n---", 3)
        meta = yaml.safe_load(text[3:end]) or {}
        text = text[end + 4 :]
    title = str(meta.get("title", ""))
    elements: list[Element] = []
    para: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        nonlocal para, table
        if para:
            elements.append(Element("para", " ".join(para)))
            para = []
        if table:
            elements.append(Element("table", rows=table))
            table = []

    for line in text.splitlines():
        s = line.strip()
        if not s:
            flush()
        elif s.startswith("#"):
            flush()
            level = len(s) - len(s.lstrip("#"))
            if level == 1:
                title = s[1:].strip()
            else:
                elements.append(Element("heading", s[level:].strip(), level - 1))
        elif s.startswith("|"):
            if para:
                flush()
            cells = [c.strip() for c in s.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
                table.append(cells)
        elif re.match(r"^\d+\.\s", s):
            flush()
            elements.append(Element("item", s))
        else:
            para.append(s)
    flush()
    return Source(meta, title, elements)


# ---------------------------------------------------------------- PDF


def _pdf_text(s: str) -> bytes:
    raw = s.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _wrap(text: str, width: int) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        lines.append(cur)
    return lines


def write_pdf(src: Source, dest: Path) -> None:
    lang = str(src.meta.get("language", "en"))
    page_word = "Seite" if lang == "de" else "Page"
    pages: list[list[bytes]] = [[]]
    y = 790.0

    def emit(text: str, font: str, size: float, x: float = 56.0, gap: float = 0.0) -> None:
        nonlocal y
        if y - size - gap < 70:
            pages.append([])
            y = 790.0
        y -= gap
        pages[-1].append(b"BT /%s %.1f Tf %.1f %.1f Td (%s) Tj ET" % (font.encode(), size, x, y, _pdf_text(text)))
        y -= size * 1.4

    emit(src.title, "F2", 15)
    for el in src.elements:
        if el.kind == "heading":
            if y < 200:
                y = 0  # start a major section on a new page rather than at the very bottom
            emit(el.text, "F2", 12 if el.level == 1 else 10.5, gap=8)
        elif el.kind in ("para", "item"):
            for i, line in enumerate(_wrap(el.text, 92)):
                emit(line, "F1", 9.5, x=56 if i == 0 else 68, gap=4 if i == 0 else 0)
        elif el.kind == "table":
            for r, row in enumerate(el.rows):
                for i, line in enumerate(_wrap(" | ".join(row), 96)):
                    emit(line, "F2" if r == 0 else "F1", 8.5, x=56 if i == 0 else 68, gap=3 if i == 0 else 0)
    objects: list[bytes] = []
    n_pages = len(pages)
    # 1 catalog, 2 pages, 3 F1, 4 F2, 5 info, then (page, content) pairs
    kids = " ".join(f"{6 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for base in ("Helvetica", "Helvetica-Bold"):
        objects.append(f"<< /Type /Font /Subtype /Type1 /BaseFont /{base} /Encoding /WinAnsiEncoding >>".encode())
    title_hex = ("feff" + src.title.encode("utf-16-be").hex()).encode()
    objects.append(b"<< /Title <" + title_hex + b"> /Producer (iiot-assistant corpus) "
                   b"/CreationDate (D:20261101000000Z) >>")  # fmt: skip
    for i, ops in enumerate(pages):
        footer = b"BT /F1 8 Tf 280 40 Td (%s) Tj ET" % _pdf_text(f"{page_word} {i + 1}")
        stream = zlib.compress(b"\n".join([*ops, footer]), 9)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> "
            f"/Contents {7 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    dest.write_bytes(bytes(out))


# ---------------------------------------------------------------- DOCX, HTML, text


def write_docx(src: Source, dest: Path) -> None:
    import docx

    d = docx.Document()
    props = d.core_properties
    props.title = src.title
    props.category = str(src.meta.get("doc_type", "manual"))
    props.keywords = ", ".join(str(a) for a in src.meta.get("applies_to") or [])  # type: ignore[union-attr]
    props.language = str(src.meta.get("language", ""))
    props.author = "IIoT Assistant demo corpus"
    props.created = props.modified = datetime(2026, 11, 1)
    props.last_modified_by = "corpus"
    props.revision = 1
    d.add_heading(src.title, 0)
    for el in src.elements:
        if el.kind == "heading":
            d.add_heading(el.text, el.level)
        elif el.kind in ("para", "item"):
            d.add_paragraph(el.text)
        elif el.kind == "table":
            t = d.add_table(rows=len(el.rows), cols=len(el.rows[0]))
            for r, row in enumerate(el.rows):
                for c, cell in enumerate(row):
                    t.cell(r, c).text = cell
    d.save(str(dest))
    _normalise_zip(dest)


def _normalise_zip(path: Path) -> None:
    """Fixed timestamps inside the DOCX zip, so the file (and its hash) is reproducible."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


def write_html(src: Source, dest: Path) -> None:
    e = html.escape
    lang = str(src.meta.get("language", "en"))
    scope = ", ".join(str(a) for a in src.meta.get("applies_to") or [])  # type: ignore[union-attr]
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8"><title>{e(src.title)}</title>',
        f'<meta name="doc_type" content="{e(str(src.meta.get("doc_type", "manual")))}">',
        f'<meta name="applies_to" content="{e(scope)}">',
        "<style>body{font-family:sans-serif;max-width:60em} td,th{border:1px solid #999;padding:2px 6px}</style>",
        "</head><body>",
        f"<h1>{e(src.title)}</h1>",
    ]
    in_list = False
    for el in src.elements:
        if el.kind != "item" and in_list:
            parts.append("</ol>")
            in_list = False
        if el.kind == "heading":
            parts.append(f"<h{el.level + 1}>{e(el.text)}</h{el.level + 1}>")
        elif el.kind == "para":
            parts.append(f"<p>{e(el.text)}</p>")
        elif el.kind == "item":
            if not in_list:
                parts.append("<ol>")
                in_list = True
            item = re.sub(r"^\d+\.\s*", "", el.text)
            parts.append(f"<li>{e(item)}</li>")
        elif el.kind == "table":
            rows = [f"<tr>{''.join(f'<th>{e(c)}</th>' for c in el.rows[0])}</tr>"]
            rows += [f"<tr>{''.join(f'<td>{e(c)}</td>' for c in row)}</tr>" for row in el.rows[1:]]
            parts.append("<table>" + "".join(rows) + "</table>")
    if in_list:
        parts.append("</ol>")
    parts.append("</body></html>")
    dest.write_text("\n".join(parts) + "\n", encoding="utf-8")


def write_text(src: Source, dest: Path) -> None:
    lines = [src.title, "=" * len(src.title), ""]
    for el in src.elements:
        if el.kind == "heading":
            lines += [el.text, "-" * len(el.text), ""]
        elif el.kind in ("para", "item"):
            lines += [el.text, ""]
        elif el.kind == "table":
            lines += [" | ".join(r) for r in el.rows] + [""]
    dest.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, fmt in TARGETS.items():
        path = SRC / name
        dest = OUT / f"{path.stem}.{fmt}"
        if fmt == "md":
            shutil.copyfile(path, dest)
        else:
            src = read_markdown(path)
            {"pdf": write_pdf, "docx": write_docx, "html": write_html, "txt": write_text}[fmt](src, dest)
        print(f"{dest.relative_to(HERE)}")


if __name__ == "__main__":
    main()
