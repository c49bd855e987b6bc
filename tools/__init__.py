"""Tool adapters, one sub-package per kind of plant system (OPC UA, historian, documents, maintenance).

``tools.langchain_tools(settings)`` offers them as LangChain StructuredTools.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.config import Settings


def langchain_tools(settings: Settings, **kwargs: Any) -> list[Any]:
    from tools.langchain_tools import langchain_tools as build

    return build(settings, **kwargs)
