"""File parsers: each supported format → a :class:`ParsedDocument` of ordered blocks that keep their locators.

Owns format detection and the per-format reading: Markdown (optional YAML front matter), HTML, PDF (pypdf, page
by page, numbered headings recognised), DOCX (python-docx, heading styles and tables), plain text (documents by
paragraph; logs by line with timestamps), CSV logs (one block per row, grouped by asset), JSON/JSON Lines
records (work orders). A block carries its section heading path, page, line range, time range and group key;
chunking (:mod:`tools.documents.chunking`) packs blocks into passages without crossing those boundaries.
Unreadable, corrupt or encrypted files raise :class:`DocumentError` with a one-line reason.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import OperatorError

SUPPORTED = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".txt": "text",
    ".log": "text",
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "json",
}
DOC_TYPES = ("manual", "procedure", "alarm_log", "maintenance_log", "shift_log", "log", "document")

_TS = re.compile(
    r"(?P<iso>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?)|(?P<de>\d{2}\.\d{2}\.\d{4},? \d{2}:\d{2}(?::\d{2})?)"
)
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3}\.?)\s+([A-ZÄÖÜa-zäöü].{1,78})$")
_TIME_COLS = ("timestamp", "time", "zeit", "zeitpunkt", "datum", "date", "opened", "created", "raised_at", "start")
_ASSET_COLS = ("asset", "asset_id", "equipment", "anlage", "machine", "tag")


class DocumentError(OperatorError):
    """A file could not be read: unsupported, corrupt, encrypted or empty. The message says which and why."""

    exit_code = 2


@dataclass(slots=True)
class Block:
    """A unit of text that chunking never splits across: a paragraph, a table row, a log line, a record."""

    text: str
    section: str = ""
    page: int | None = None
    line_start: int | None = None
    line_end: int | None = None
    time_start: str | None = None
    time_end: str | None = None
    group: str | None = None  # log rows with the same group (asset) are packed together
    table_header: str | None = None
    kind: str = "text"  # text | row | record | line


@dataclass(slots=True)
class ParsedDocument:
    title: str
    format: str
    doc_type: str
    blocks: list[Block]
    scope_assets: list[str] = field(default_factory=list)  # assets a manual applies to (front matter / scope)
    language: str | None = None
    pages: int | None = None


def iso_time(text: str) -> str | None:
    """The first timestamp in ``text`` as 'YYYY-MM-DD HH:MM[:SS]' (ISO or German dd.mm.yyyy), else None."""
    m = _TS.search(text)
    if not m:
        return None
    if m.group("iso"):
        return m.group("iso").replace("T", " ")
    d, t = m.group("de").replace(",", "").split(" ", 1)
    day, month, year = d.split(".")
    return f"{year}-{month}-{day} {t}"


def guess_doc_type(title: str, path: Path, default: str = "manual") -> str:
    """A procedure or a manual, from the title and file name (for formats without metadata)."""
    words = f"{title} {path.stem}".lower()
    if any(w in words for w in ("procedure", "verfahren", "anweisung", "lock-out", "lockout", "loto", "instruction")):
        return "procedure"
    if any(w in words for w in ("manual", "handbuch", "anleitung", "guide")):
        return "manual"
    return default


def detect_format(path: Path) -> str:
    fmt = SUPPORTED.get(path.suffix.lower())
    if fmt is None:
        raise DocumentError(f"{path.name}: unsupported file type '{path.suffix or '(none)'}'")
    return fmt


def parse_file(path: Path, data: bytes | None = None) -> ParsedDocument:
    """Parse one file into blocks; raises :class:`DocumentError` with the reason when it cannot be read."""
    fmt = detect_format(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DocumentError(f"{path.name}: cannot read the file ({exc.strerror or exc})") from exc
    if not data.strip():
        raise DocumentError(f"{path.name}: the file is empty")
    try:
        doc = _PARSERS[fmt](path, data)
    except DocumentError:
        raise
    except Exception as exc:  # a parser library failing on a damaged file
        raise DocumentError(f"{path.name}: cannot parse as {fmt.upper()} ({type(exc).__name__}: {exc})") from exc
    doc.blocks = [b for b in doc.blocks if b.text.strip()]
    if not doc.blocks:
        raise DocumentError(f"{path.name}: no text found (a scanned document without a text layer?)")
    return doc


def _decode(path: Path, data: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DocumentError(f"{path.name}: not a text file (unknown encoding)")


def _title_from_name(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").strip().capitalize()


def _join_path(headings: list[str]) -> str:
    return " > ".join(h for h in headings if h)


# ---------------------------------------------------------------- Markdown


def _front_matter(text: str) -> tuple[dict[str, Any], str, int]:
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end > 0:
            meta = yaml.safe_load(text[3:end]) or {}
            if isinstance(meta, dict):
                body = text[end + 4 :]
                return meta, body.lstrip("\n"), text[: end + 4].count("\n") + 1 + (len(body) - len(body.lstrip("\n")))
    return {}, text, 0


def _md_cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _parse_markdown(path: Path, data: bytes) -> ParsedDocument:
    meta, body, offset = _front_matter(_decode(path, data))
    headings: list[str] = []
    blocks: list[Block] = []
    para: list[str] = []
    para_start = 0
    table_header: str | None = None
    title = str(meta.get("title") or "")
    lines = body.splitlines()

    def flush(end: int) -> None:
        nonlocal para
        if para:
            blocks.append(Block(" ".join(s.strip() for s in para), _join_path(headings), None, para_start, end))
            para = []

    for i, raw in enumerate(lines, start=1 + offset):
        line = raw.rstrip()
        h = re.match(r"^(#{1,6})\s+(.*?)\s*#*$", line)
        if h:
            flush(i - 1)
            table_header = None
            level = len(h.group(1))
            if level == 1 and not title:
                title = h.group(2)
                headings = []
                continue
            depth = max(level - 1, 1)
            headings = [*headings[: depth - 1], h.group(2)]
            continue
        if line.lstrip().startswith("|"):
            flush(i - 1)
            cells = _md_cells(line)
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                continue
            if table_header is None:
                table_header = " | ".join(cells)
                continue
            blocks.append(
                Block(" | ".join(cells), _join_path(headings), None, i, i, table_header=table_header, kind="row")
            )
            continue
        table_header = None
        if not line.strip():
            flush(i - 1)
            continue
        if re.match(r"^\s*([-*+]|\d+[.)])\s+", line):
            flush(i - 1)
        if not para:
            para_start = i
        para.append(line)
    flush(len(lines) + offset)
    applies = meta.get("applies_to") or []
    return ParsedDocument(
        title=title or _title_from_name(path),
        format="markdown",
        doc_type=str(meta.get("doc_type") or "manual"),
        blocks=blocks,
        scope_assets=[str(a) for a in applies] if isinstance(applies, list) else [str(applies)],
        language=meta.get("language"),
    )


# ---------------------------------------------------------------- HTML

_HTML_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "pre", "dt", "dd", "blockquote")


def _parse_html(path: Path, data: bytes) -> ParsedDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(path, data), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    meta_type = soup.find("meta", attrs={"name": "doc_type"})
    meta_scope = soup.find("meta", attrs={"name": "applies_to"})
    meta_lang = soup.html.get("lang") if soup.html else None
    headings: list[str] = []
    blocks: list[Block] = []
    root = soup.body or soup
    for el in root.find_all(_HTML_BLOCKS):
        if any(p.name in _HTML_BLOCKS for p in el.parents):
            continue  # nested inside a block already taken whole
        name = el.name
        if name[0] == "h" and name[1:].isdigit():
            level = int(name[1:])
            text = el.get_text(" ", strip=True)
            if level == 1:
                title = title or text
                headings = []
            else:
                headings = [*headings[: level - 2], text]
            continue
        if name == "table":
            rows = el.find_all("tr")
            header: str | None = None
            for tr in rows:
                cells = [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
                if header is None and tr.find("th") is not None:
                    header = " | ".join(cells)
                    continue
                blocks.append(Block(" | ".join(cells), _join_path(headings), table_header=header, kind="row"))
            continue
        text = el.get_text(" ", strip=True)
        blocks.append(Block(re.sub(r"\s+", " ", text), _join_path(headings)))
    scope = meta_scope.get("content", "") if meta_scope else ""
    return ParsedDocument(
        title=title or _title_from_name(path),
        format="html",
        doc_type=(meta_type.get("content") if meta_type else None) or guess_doc_type(title, path),
        blocks=blocks,
        scope_assets=[s.strip() for s in str(scope).split(",") if s.strip()],
        language=str(meta_lang)[:2] if meta_lang else None,
    )


# ---------------------------------------------------------------- PDF


def _parse_pdf(path: Path, data: bytes) -> ParsedDocument:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                raise DocumentError(f"{path.name}: the PDF is encrypted (password-protected); cannot read it")
        pages = list(reader.pages)
    except DocumentError:
        raise
    except FileNotDecryptedError as exc:
        raise DocumentError(f"{path.name}: the PDF is encrypted (password-protected); cannot read it") from exc
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise DocumentError(f"{path.name}: the PDF is damaged and cannot be read ({exc})") from exc
    meta_title = ""
    try:
        if reader.metadata and reader.metadata.title:
            meta_title = str(reader.metadata.title)
    except Exception:
        meta_title = ""
    blocks: list[Block] = []
    headings: list[str] = []
    title = meta_title
    for pno, page in enumerate(pages, start=1):
        try:
            lines = _pdf_lines(page)
        except FileNotDecryptedError as exc:
            raise DocumentError(f"{path.name}: the PDF is encrypted (password-protected); cannot read it") from exc
        except Exception as exc:
            raise DocumentError(f"{path.name}: page {pno} of the PDF is damaged ({exc})") from exc
        body_x = min((ln.x for ln in lines if not ln.bold), default=0.0)
        body_size = _median([ln.size for ln in lines if not ln.bold] or [10.0])
        para: list[str] = []
        table_header: str | None = None

        def flush(page_no: int, header: str | None, section: str) -> None:
            nonlocal para
            if para:
                text = " ".join(para)
                if " | " in text and header and text != header:
                    blocks.append(Block(text, section, page_no, table_header=header, kind="row"))
                elif " | " not in text or not header:
                    blocks.append(Block(text, section, page_no))
                para = []

        for ln in lines:
            line = ln.text.strip()
            if not line or re.fullmatch(r"(Page|Seite)\s+\d+(\s*(of|von)\s*\d+)?|\d+", line):
                continue
            continuation = ln.x > body_x + 4 and bool(para)
            if continuation:
                para.append(line)
                continue
            is_heading = (
                (ln.bold or ln.size > body_size * 1.15)
                and " | " not in line
                and len(line.split()) <= 14
                and not line.endswith((".", ",", ";"))
            ) or (not ln.styled and _NUMBERED_HEADING.match(line) is not None and len(line.split()) <= 10
                  and not line.endswith((".", ",", ";", ":")))  # fmt: skip
            if is_heading:
                flush(pno, table_header, _join_path(headings))
                table_header = None
                if not title and pno == 1 and not blocks:
                    title = line
                    continue
                if title and line == title:
                    continue
                num = _NUMBERED_HEADING.match(line)
                depth = num.group(1).rstrip(".").count(".") + 1 if num else 1
                headings = [*headings[: depth - 1], line]
                continue
            flush(pno, table_header, _join_path(headings))
            if " | " in line and table_header is None:
                table_header = line
                continue
            if " | " not in line:
                table_header = None
            para.append(line)
        flush(pno, table_header, _join_path(headings))
    title = title or _title_from_name(path)
    return ParsedDocument(
        title=title, format="pdf", doc_type=guess_doc_type(title, path), blocks=blocks, pages=len(pages)
    )


@dataclass(slots=True)
class _PdfLine:
    text: str
    x: float
    y: float
    bold: bool
    size: float
    styled: bool  # font information was available


def _median(values: list[float]) -> float:
    v = sorted(values)
    return v[len(v) // 2]


def _pdf_lines(page: Any) -> list[_PdfLine]:
    """Text lines of a PDF page with their left x position, font size and whether the font is bold.

    Positions let the parser tell a wrapped (indented) continuation from a new paragraph, and bold or larger
    fonts tell headings — more robust than guessing from the text alone. Falls back to plain text lines.
    """
    runs: list[tuple[str, float, float, bool, float]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if not text or not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        base = str((font or {}).get("/BaseFont", "")) if hasattr(font, "get") else ""
        scale = abs(tm[3] * cm[3]) or 1.0
        for part in text.split("\n"):
            if part.strip():
                runs.append((part, x, y, "bold" in base.lower(), float(size or 0) * scale))

    plain = page.extract_text(visitor_text=visit) or ""
    if not runs:
        return [_PdfLine(t, 0.0, 0.0, False, 10.0, False) for t in plain.splitlines()]
    lines: list[list[tuple[str, float, float, bool, float]]] = []
    for run in runs:
        if lines and abs(lines[-1][0][2] - run[2]) < 2.0:
            lines[-1].append(run)
        else:
            lines.append([run])
    out = []
    for group in lines:
        group.sort(key=lambda r: r[1])
        text = "".join(r[0] for r in group)
        out.append(_PdfLine(text, group[0][1], group[0][2], all(r[3] for r in group), max(r[4] for r in group), True))
    return out


# ---------------------------------------------------------------- DOCX


def _parse_docx(path: Path, data: bytes) -> ParsedDocument:
    import zipfile

    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{path.name}: the DOCX file is damaged or not a Word document ({exc})") from exc
    title = document.core_properties.title or ""
    doc_type = (document.core_properties.category or "").strip() or guess_doc_type(title, path)
    scope = [s.strip() for s in (document.core_properties.keywords or "").split(",") if s.strip()]
    language = (document.core_properties.language or "")[:2] or None
    headings: list[str] = []
    blocks: list[Block] = []
    para_no = 0
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = Paragraph(child, document)
            text = p.text.strip()
            para_no += 1
            if not text:
                continue
            style = (p.style.name if p.style is not None else "") or ""
            m = re.match(r"(Heading|Überschrift)\s*(\d)", style)
            if style == "Title":
                title = title or text
                continue
            if m:
                level = int(m.group(2))
                headings = [*headings[: level - 1], text]
                continue
            blocks.append(Block(text, _join_path(headings), line_start=para_no, line_end=para_no))
        elif tag == "tbl":
            table = Table(child, document)
            header: str | None = None
            for r, row in enumerate(table.rows):
                cells = [c.text.strip() for c in row.cells]
                if r == 0:
                    header = " | ".join(cells)
                    continue
                blocks.append(Block(" | ".join(cells), _join_path(headings), table_header=header, kind="row"))
    return ParsedDocument(
        title=title or _title_from_name(path),
        format="docx",
        doc_type=doc_type,
        blocks=blocks,
        scope_assets=scope,
        language=language,
    )


# ---------------------------------------------------------------- plain text


def _parse_text(path: Path, data: bytes) -> ParsedDocument:
    from tools.documents.codes import asset_ids

    text = _decode(path, data)
    lines = text.splitlines()
    nonempty = [ln for ln in lines if ln.strip()]
    stamped = sum(1 for ln in nonempty if _TS.match(ln.strip()))
    if nonempty and stamped / len(nonempty) >= 0.4:
        blocks: list[Block] = []
        header = ""
        for i, raw in enumerate(lines, start=1):
            line = raw.strip()
            if not line:
                continue
            ts = iso_time(line) if _TS.match(line) else None
            if ts is None:
                if blocks and raw[:1].isspace():  # continuation of the previous entry
                    blocks[-1].text += " " + line
                    blocks[-1].line_end = i
                else:
                    header = line.strip("=-# ")  # a day or shift header
                continue
            assets = asset_ids(line)
            blocks.append(
                Block(line, header, None, i, i, ts, ts, group=header or (assets[0] if assets else None), kind="line")
            )
        low = path.name.lower()
        doc_type = "shift_log" if any(w in low for w in ("shift", "schicht", "handover", "uebergabe")) else "log"
        return ParsedDocument(title=_title_from_name(path), format="text", doc_type=doc_type, blocks=blocks)
    # a document: headings are underlined, numbered, or ALL CAPS lines
    title = ""
    headings: list[str] = []
    blocks = []
    para: list[str] = []
    start = 1

    def flush(end: int) -> None:
        nonlocal para
        if para:
            blocks.append(Block(" ".join(para), _join_path(headings), None, start, end))
            para = []

    for i, raw in enumerate(lines, start=1):
        line = raw.strip()
        nxt = lines[i].strip() if i < len(lines) else ""
        if not line or re.fullmatch(r"[=\-~]{3,}", line):
            flush(i - 1)
            continue
        underlined = re.fullmatch(r"[=\-~]{3,}", nxt) is not None
        numbered = _NUMBERED_HEADING.match(line) and not line.endswith((".", ",", ";", ":")) and len(line.split()) <= 10
        caps = line.isupper() and len(line) <= 80 and any(c.isalpha() for c in line)
        if underlined or numbered or caps:
            flush(i - 1)
            if not title and not blocks:
                title = line
            else:
                depth = (line.split()[0].rstrip(".").count(".") + 1) if numbered else 1
                headings = [*headings[: depth - 1], line]
            continue
        if re.match(r"^([-*•]|\d+[.)])\s+", line):
            flush(i - 1)
        if not para:
            start = i
        para.append(line)
    flush(len(lines))
    title = title or _title_from_name(path)
    return ParsedDocument(title=title, format="text", doc_type=guess_doc_type(title, path, "document"), blocks=blocks)


# ---------------------------------------------------------------- CSV


def _parse_csv(path: Path, data: bytes) -> ParsedDocument:
    text = _decode(path, data)
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if len(rows) < 2:
        raise DocumentError(f"{path.name}: the CSV file has no data rows")
    header = [h.strip() for h in rows[0]]
    low = [h.lower() for h in header]
    tcol = next((low.index(c) for c in _TIME_COLS if c in low), None)
    acol = next((low.index(c) for c in _ASSET_COLS if c in low), None)
    blocks: list[Block] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        pairs = [f"{h}: {v.strip()}" for h, v in zip(header, row, strict=False) if v.strip()]
        ts = iso_time(row[tcol]) if tcol is not None and tcol < len(row) else None
        group = row[acol].strip() if acol is not None and acol < len(row) else None
        blocks.append(Block("; ".join(pairs), "", None, n, n, ts, ts, group=group, kind="row"))
    is_alarm = any(c in low for c in ("code", "alarm", "alarm_code", "meldung"))
    return ParsedDocument(
        title=_title_from_name(path), format="csv", doc_type="alarm_log" if is_alarm else "log", blocks=blocks
    )


# ---------------------------------------------------------------- JSON


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for k, v in value.items():
            out += _flatten(v, f"{prefix}{k}.")
        return out
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return [(prefix.rstrip("."), ", ".join(str(v) for v in value))] if value else []
        out = []
        for i, v in enumerate(value, start=1):
            out += _flatten(v, f"{prefix}{i}.")
        return out
    return [(prefix.rstrip("."), "" if value is None else str(value))]


def _parse_json(path: Path, data: bytes) -> ParsedDocument:
    text = _decode(path, data)
    try:
        if path.suffix.lower() == ".jsonl":
            records: Any = [json.loads(ln) for ln in text.splitlines() if ln.strip()]
        else:
            records = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"{path.name}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    title = _title_from_name(path)
    doc_type = "log"
    if isinstance(records, dict):
        title = str(records.get("title") or title)
        doc_type = str(records.get("doc_type") or doc_type)
        lists = [v for v in records.values() if isinstance(v, list)]
        records = lists[0] if lists else [records]
    if not isinstance(records, list):
        raise DocumentError(f"{path.name}: expected a list of records")
    blocks: list[Block] = []
    for n, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            rec = {"value": rec}
        pairs = [(k, v) for k, v in _flatten(rec) if v]
        keys = {k.lower(): v for k, v in pairs}
        ts = next((iso_time(keys[c]) for c in _TIME_COLS if c in keys and iso_time(keys[c])), None)
        ts_end = next((iso_time(keys[c]) for c in ("closed", "completed", "end", "finished") if c in keys), None)
        ident = next((keys[c] for c in ("id", "wo", "work_order", "number", "nr") if c in keys), None)
        group = next((keys[c] for c in _ASSET_COLS if c in keys), None)
        body = "; ".join(f"{k}: {v}" for k, v in pairs)
        blocks.append(
            Block(
                body,
                f"record {n}" + (f" ({ident})" if ident else ""),
                None,
                n,
                n,
                ts,
                ts_end or ts,
                group,
                None,
                "record",
            )
        )
    if doc_type == "log" and any(
        "work_order" in k or k in ("wo", "findings", "work_done") for b in records[:5] if isinstance(b, dict) for k in b
    ):
        doc_type = "maintenance_log"
    return ParsedDocument(title=title, format="json", doc_type=doc_type, blocks=blocks)


_PARSERS = {
    "markdown": _parse_markdown,
    "html": _parse_html,
    "pdf": _parse_pdf,
    "docx": _parse_docx,
    "text": _parse_text,
    "csv": _parse_csv,
    "json": _parse_json,
}
