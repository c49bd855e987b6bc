"""One question being answered: its language, route, the catalog, and the tool calls and citations so far."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant import answers
from assistant.contract import AskResult, Citation, ToolCall
from assistant.router import Route

if TYPE_CHECKING:
    from assistant.planner import Slots
from tools.opcua.catalog import Asset

if TYPE_CHECKING:
    from assistant.agent import Agent


@dataclass
class Turn:
    agent: Agent
    question: str
    lang: str
    assets: list[Asset]
    route: Route | None = None
    slots: Slots | None = None
    calls: list[ToolCall] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    scratch: dict[str, Any] = field(default_factory=dict)  # data shared by the tool calls of this turn

    async def tool(self, name: str, arguments: dict[str, Any], fn: Callable[[], Awaitable[Any]],
                   summarise: Callable[[Any], Any] = lambda r: r) -> Any:  # fmt: skip
        """Run one tool call, record it (arguments, summarised result, duration) and log it."""
        t0 = time.perf_counter()
        outcome = "ok"
        try:
            result = await fn()
            return result
        except Exception as exc:
            outcome = f"error: {exc}"
            raise
        finally:
            ms = round((time.perf_counter() - t0) * 1000, 2)
            if outcome == "ok":
                self.calls.append(ToolCall(tool=name, arguments=arguments, result=summarise(result), duration_ms=ms))
            self.agent.tool_log.record("tool_call", question_id=self.agent.question_id, tool=name,
                                       arguments=arguments, duration_ms=ms, outcome=outcome)  # fmt: skip

    @property
    def signal_text(self) -> str:
        """The words that choose a signal: the question, plus the earlier one a follow-up leans on."""
        extra = self.slots.context_question if self.slots else ""
        return f"{self.question} {extra}".strip()

    def text(self, key: str, **fields: Any) -> str:
        return answers.render(key, self.lang, **fields)

    def result(self, answer: str, kind: str = "answer") -> AskResult:
        return AskResult(question=self.question, language=self.lang, answer=answer, tool_calls=self.calls,
                         citations=self.citations, kind=kind)  # type: ignore[arg-type]  # fmt: skip
