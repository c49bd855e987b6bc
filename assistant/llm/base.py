"""The interface every LLM backend implements: plain and grammar-constrained completion, streaming, timeouts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(slots=True)
class Completion:
    text: str
    tokens: int
    seconds: float
    timed_out: bool = False


class LLM(Protocol):
    name: str

    def stream(
        self,
        prompt: str,
        *,
        max_tokens: int,
        stop: list[str] | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> Iterator[str]:
        """Yield text pieces as they are generated (greedy decoding)."""
        ...

    def complete(
        self,
        prompt: str,
        *,
        max_tokens: int,
        stop: list[str] | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> Completion:
        """The whole completion, cut at the backend's per-call timeout."""
        ...


def collect(pieces: Iterator[str], timeout_s: float) -> Completion:
    """Join a stream of text pieces into a Completion, stopping (and saying so) at the timeout."""
    t0 = time.perf_counter()
    out: list[str] = []
    timed_out = False
    for piece in pieces:
        out.append(piece)
        if time.perf_counter() - t0 > timeout_s:
            timed_out = True
            break
    if hasattr(pieces, "close"):
        pieces.close()
    return Completion("".join(out), len(out), time.perf_counter() - t0, timed_out)
