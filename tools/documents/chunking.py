"""Structure-aware chunking: blocks from :mod:`tools.documents.parsers` → passages that keep their locators.

Owns the packing rules. A chunk never crosses a section heading; PDF chunks may run over a page break inside one
section (the locator then says ``pp. 3–4``). Table rows are packed with their header repeated at the top of each
chunk, so an alarm-table chunk always says what its columns mean. Log rows and lines are packed per group (the
asset of a CSV row, the shift of a handover note) in file order, and the chunk's locator gives its line range
and time range. Every chunk records the code-like tokens and asset ids it mentions.

Each chunk also carries its embedding texts: the whole chunk (document title › section, then the text) and, when
it packs several blocks, one *unit* per block (title › section, then the block: a paragraph, a table row, a log
row). A search scores a chunk by its best unit, so a table row or log line is not drowned by its neighbours —
one vector per 600 characters averages a whole alarm table into something close to every question. A table's
header line is not a unit of its own (it would match any question about the table's columns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tools.documents.codes import asset_ids, code_tokens, normalise_asset
from tools.documents.parsers import Block, ParsedDocument

MAX_CHARS = 600


@dataclass(slots=True)
class Chunk:
    text: str
    section: str = ""
    page_start: int | None = None
    page_end: int | None = None
    line_start: int | None = None
    line_end: int | None = None
    time_start: str | None = None
    time_end: str | None = None
    group: str | None = None
    codes: list[str] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)
    locator: str = ""
    embed_text: str = ""
    units: list[str] = field(default_factory=list)


def _split_long(text: str, limit: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    sentences = re.split(r"(?<=[.!?;])\s+", text)
    out: list[str] = []
    cur = ""
    for s in sentences:
        while len(s) > limit:  # one very long sentence: cut at a space
            cut = s.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            if cur:
                out.append(cur)
                cur = ""
            out.append(s[:cut].strip())
            s = s[cut:].strip()
        if cur and len(cur) + 1 + len(s) > limit:
            out.append(cur)
            cur = s
        else:
            cur = f"{cur} {s}".strip()
    if cur:
        out.append(cur)
    return out


def _short_time(a: str | None, b: str | None) -> str:
    if not a:
        return ""
    if not b or b == a:
        return a
    if a[:10] == b[:10]:
        return f"{a} – {b[11:]}"
    return f"{a} – {b}"


def _locator(doc: ParsedDocument, c: Chunk) -> str:
    parts: list[str] = []
    if c.section:
        parts.append(f"§ {c.section}")
    if c.page_start is not None:
        parts.append(f"p. {c.page_start}" if c.page_end in (None, c.page_start) else f"pp. {c.page_start}–{c.page_end}")
    if doc.format in ("csv", "text") and doc.doc_type != "document" and c.line_start is not None:
        parts.append(f"line {c.line_start}" if c.line_end == c.line_start else f"lines {c.line_start}–{c.line_end}")
        if c.group and doc.format == "csv":
            parts.append(c.group)
    if doc.format in ("csv", "text", "json") and c.time_start:
        parts.append(_short_time(c.time_start, c.time_end))
    if not parts and c.line_start is not None:
        parts.append(f"line {c.line_start}")
    return ", ".join(parts)


def _finish(doc: ParsedDocument, c: Chunk, header: str | None, known_assets: list[str] | None) -> Chunk:
    c.codes = code_tokens(c.text)
    c.assets = asset_ids(c.text, known_assets)
    if c.group and doc.format in ("csv", "json"):
        # a log row or record grouped by its asset column/field is about that asset, whatever its id looks like
        own = normalise_asset(c.group)
        if known_assets is None or own in {normalise_asset(a) for a in known_assets}:
            c.assets = list(dict.fromkeys([own, *c.assets]))
    c.locator = _locator(doc, c)
    context = " › ".join(p for p in (doc.title, c.section) if p)
    c.embed_text = f"{context}\n{c.text}" if context else c.text
    lines = [ln for ln in c.text.split("\n") if ln.strip()]
    if header and lines and lines[0] == header:
        lines = lines[1:]
    if len(lines) > 1 or (header and lines):
        c.units = [f"{context}\n{ln}" if context else ln for ln in lines]
    return c


def _new_chunk(b: Block, text: str) -> Chunk:
    return Chunk(text, b.section, b.page, b.page, b.line_start, b.line_end, b.time_start, b.time_end, b.group)


def _extend(c: Chunk, b: Block, text: str) -> None:
    c.text = f"{c.text}\n{text}"
    if b.page is not None:
        c.page_start = b.page if c.page_start is None else min(c.page_start, b.page)
        c.page_end = b.page if c.page_end is None else max(c.page_end, b.page)
    if b.line_start is not None:
        c.line_start = b.line_start if c.line_start is None else min(c.line_start, b.line_start)
        c.line_end = b.line_end if c.line_end is None else max(c.line_end or 0, b.line_end or b.line_start)
    times = [t for t in (c.time_start, c.time_end, b.time_start, b.time_end) if t]
    if times:
        c.time_start, c.time_end = min(times), max(times)


def chunk_document(
    doc: ParsedDocument, max_chars: int = MAX_CHARS, known_assets: list[str] | None = None
) -> list[Chunk]:
    """Pack ``doc``'s blocks into chunks of at most about ``max_chars`` characters.

    ``known_assets`` (the catalog's asset names), when given, decides which tokens are asset ids.
    """
    chunks: list[Chunk] = []
    headers: dict[int, str | None] = {}
    open_by_key: dict[tuple[str, str | None, str | None], Chunk] = {}
    last_key: tuple[str, str | None, str | None] | None = None
    for b in doc.blocks:
        grouped = b.kind in ("row", "line", "record") and b.group is not None and doc.format in ("csv", "text", "json")
        key = (b.section, b.group if grouped else None, b.table_header)
        pieces = _split_long(b.text, max_chars)
        for piece in pieces:
            cur = open_by_key.get(key) if grouped else (open_by_key.get(key) if key == last_key else None)
            if cur is not None and len(cur.text) + 1 + len(piece) <= max_chars:
                _extend(cur, b, piece)
            else:
                text = f"{b.table_header}\n{piece}" if b.table_header else piece
                cur = _new_chunk(b, text)
                headers[id(cur)] = b.table_header
                chunks.append(cur)
                if not grouped:
                    open_by_key.clear()
                open_by_key[key] = cur
            last_key = key
    return [_finish(doc, c, headers.get(id(c)), known_assets) for c in chunks]
