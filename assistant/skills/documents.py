"""Documents: manuals, procedures and logs searched with citations; the answer quotes what the plant's own
documents say and where. Retrieved text is quoted as data — it never selects a tool or changes the plan."""

from __future__ import annotations

import asyncio

from assistant.contract import AskResult, Citation
from assistant.turn import Turn

QUOTE_CHARS = 420


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + " …"


async def search(turn: Turn) -> AskResult:
    from tools.documents.search import search_documents

    asset = turn.slots.asset.display_name if turn.slots and turn.slots.asset else None
    settings = turn.agent.settings

    async def run():  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(search_documents, settings, turn.question, asset, None, 3)

    found = await turn.tool(
        "documents.search", {"query": turn.question, "asset": asset, "k": 3}, run,
        lambda r: {"passages": [{"text": p.text, "source": p.citation.source, "locator": p.citation.locator,
                                 "score": round(p.score, 4), "untrusted": p.untrusted, "suspicious": p.suspicious}
                                for p in r.passages]},
    )  # fmt: skip
    if not found.passages:
        return turn.result(turn.text("documents_none"), "answer")
    top = found.passages[0]
    for p in found.passages:
        turn.citations.append(Citation(source=p.citation.source, locator=p.citation.locator, text=p.text))
    answer = turn.text("documents_answer", source=top.citation.source, locator=top.citation.locator,
                       quote=_quote(top.text))  # fmt: skip
    if len(found.passages) > 1:
        more = "; ".join(f"{p.citation.source} ({p.citation.locator})" for p in found.passages[1:])
        answer += " " + turn.text("documents_more", sources=more)
    return turn.result(answer)
