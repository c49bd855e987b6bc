"""Documents: manuals, procedures and logs searched with citations; the answer quotes what the plant's own
documents say and where — the line that answers (a table row after its header), and a second document when it
answers about as well. Retrieved text is quoted as data — it never selects a tool or changes the plan. Other
skills search through :func:`find` and quote through :func:`quote`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from assistant.contract import AskResult, Citation
from assistant.turn import Turn

if TYPE_CHECKING:
    from tools.documents.search import Passage, SearchResult

QUOTE_CHARS = 420
SECOND_QUOTE_MARGIN = 0.05  # a passage from another document this close to the best one is quoted too
FOCUS_MARGIN = 0.1  # a record holding the asked field this close to the best alarm row of its event is quoted first


def _cut(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + " …"


def quote(passage: Passage, line_only: bool = False) -> str:
    """The passage as quoted in an answer: from its start when its best line fits, else from that line on
    (after the table header, when the line is a table row) — the matching row is never cut away. A record
    field the question asks for (``focus``: 'findings: …') is kept in the quote the same way. ``line_only``:
    just the best line (with its table header) or the asked field, for a short hint."""
    flat = " ".join(passage.text.split())
    focus = " ".join((passage.focus or "").split())
    if focus and (pos := flat.find(focus)) >= 0:
        if line_only:
            return _cut(focus)
        if pos + len(focus) <= QUOTE_CHARS - 2:
            return _cut(flat)
        # the record from a field boundary on, so that the asked field ('technician: …') is inside the quote
        start = max(0, pos + len(focus) - (QUOTE_CHARS - 4))
        boundary = flat.find("; ", start, pos)
        start = boundary + 2 if boundary >= 0 else pos
        return _cut("… " + flat[start:])
    line = " ".join((passage.highlight or "").split())
    if line_only and line:
        return _cut(f"{' '.join(passage.header.split())} … {line}" if passage.header else line)
    pos = flat.find(line) if line else -1
    if pos < 0 or pos + len(line) <= QUOTE_CHARS - 2:
        return _cut(flat)
    lead = " ".join(passage.header.split()) + " … " if passage.header else "… "
    return _cut(lead + flat[pos:])


async def find(
    turn: Turn, query: str, asset: str | None = None, doc_type: list[str] | None = None, k: int = 3
) -> SearchResult:
    """``documents.search`` as a recorded tool call of this turn (audit log, evidence panel, grounding)."""
    from tools.documents.search import search_documents

    settings = turn.agent.settings

    async def run():  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(search_documents, settings, query, asset, doc_type, k)

    args: dict[str, Any] = {"query": query, "asset": asset, "k": k}
    if doc_type:
        args["doc_type"] = doc_type
    return await turn.tool(
        "documents.search", args, run,
        lambda r: {"passages": [{"text": p.text, "source": p.citation.source, "locator": p.citation.locator,
                                 "score": round(p.score, 4), "line": p.highlight, "untrusted": p.untrusted,
                                 "suspicious": p.suspicious}
                                for p in r.passages]},
    )  # fmt: skip


def cite(turn: Turn, passage: Passage) -> None:
    turn.citations.append(Citation(source=passage.citation.source, locator=passage.citation.locator,
                                   text=passage.text))  # fmt: skip


def _same_event(a: Passage, b: Passage) -> bool:
    """Do two log passages share an asset and a time range (ISO strings compared to the minute)?"""
    if not set(a.assets) & set(b.assets) or not (a.time_start or a.time_end) or not (b.time_start or b.time_end):
        return False
    a0, a1 = (a.time_start or a.time_end or "")[:16], (a.time_end or a.time_start or "")[:16]
    b0, b1 = (b.time_start or b.time_end or "")[:16], (b.time_end or b.time_start or "")[:16]
    return a0 <= b1 and b0 <= a1


def answering_order(passages: list[Passage]) -> list[Passage]:
    """Best line first; but when that is an alarm row and a record of the same event holds the field the question
    asks for (``focus``: a finding, cause, technician) and scores close to it, the record answers: it goes first."""
    ordered = sorted(passages, key=lambda p: -p.highlight_score)
    if not ordered or ordered[0].focus or ordered[0].doc_type != "alarm_log":
        return ordered
    top = ordered[0]
    record = next((p for p in ordered[1:] if p.focus and _same_event(p, top)
                   and p.highlight_score >= top.highlight_score - FOCUS_MARGIN), None)  # fmt: skip
    return ordered if record is None else [record, *(p for p in ordered if p is not record)]


async def search(turn: Turn) -> AskResult:
    asset = turn.slots.asset.display_name if turn.slots and turn.slots.asset else None
    found = await find(turn, turn.question, asset)
    if not found.passages:
        return turn.result(turn.text("documents_none"), "answer")
    # the passage whose best line matches best is quoted (a whole chunk's vector can win the ranking on
    # its neighbourhood, a line wins on the fact asked for); the others are cited after it
    # two documents that answer about equally well (an alarm log and the work order) are both quoted
    ordered = answering_order(found.passages)
    top = ordered[0]
    second = next((p for p in ordered[1:] if p.citation.source != top.citation.source
                   and p.highlight_score >= top.highlight_score - SECOND_QUOTE_MARGIN), None)  # fmt: skip
    ordered = [top, *([second] if second else []), *(p for p in ordered[1:] if p is not second)]
    for p in ordered:
        cite(turn, p)
    answer = turn.text("documents_answer", source=top.citation.source, locator=top.citation.locator,
                       quote=quote(top))  # fmt: skip
    if second is not None:
        answer += " " + turn.text("documents_also", source=second.citation.source,
                                  locator=second.citation.locator, quote=quote(second))  # fmt: skip
    rest = ordered[2:] if second is not None else ordered[1:]
    if rest:
        more = "; ".join(f"{p.citation.source} ({p.citation.locator})" for p in rest)
        answer += " " + turn.text("documents_more", sources=more)
    return turn.result(answer)
