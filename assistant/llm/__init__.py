"""LLM backends behind one small interface (:class:`assistant.llm.base.LLM`), chosen by settings."""

from __future__ import annotations

from assistant.config import Settings
from assistant.llm.base import LLM


def create_llm(settings: Settings) -> LLM:
    """The configured backend. Model files are resolved (and checked) here, before any generation."""
    if settings.llm.backend == "llamacpp":
        from assistant.llm.llamacpp import LlamaCppLLM

        return LlamaCppLLM.from_settings(settings)
    from assistant.llm.openai_compat import OpenAICompatLLM

    return OpenAICompatLLM.from_settings(settings)
