"""The ``ask --json`` contract: one object per question. Other parts (evaluation, UI) build on it; keep it stable.

``{"question", "language", "answer", "tool_calls": [{"tool", "arguments", "result", "duration_ms"}],
"citations": [{"source", "locator", "text"}], "latency_ms", "mode", "grounded"}`` — fields may be added,
never renamed or removed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ToolCall(BaseModel):
    tool: str
    arguments: dict[str, Any]
    result: Any
    duration_ms: float


class Citation(BaseModel):
    source: str
    locator: str
    text: str


class AskResult(BaseModel):
    question: str
    language: str
    answer: str
    tool_calls: list[ToolCall] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    latency_ms: float = 0.0
    mode: Literal["router", "llm", "fallback"] = "router"
    grounded: bool = True
    kind: Literal["answer", "clarification", "refusal", "error"] = "answer"
    error: str | None = None
    assets: list[str] = Field(default_factory=list, description="the assets the answer is about")
    from_context: bool = Field(False, description="a follow-up: assets or intent came from the conversation")
