"""UI texts as data: ``prompts/ui/<lang>.yaml`` (flat keys → strings with ``{placeholders}``).

A key missing in a language falls back to English; adding a UI language is adding a file.
"""

from __future__ import annotations

from typing import Any

from assistant.prompts import available_languages, load_yaml

FALLBACK = "en"


def ui_languages() -> list[str]:
    return available_languages("ui")


def _table(lang: str) -> dict[str, Any]:
    return load_yaml(f"ui/{lang if lang in ui_languages() else FALLBACK}.yaml")


def t(lang: str, key: str, **fields: Any) -> str:
    """The UI text ``key`` in ``lang`` (English when missing), placeholders filled."""
    text = _table(lang).get(key)
    if text is None:
        text = _table(FALLBACK)[key]
    return str(text).format(**fields) if fields else str(text)


def words(lang: str, key: str) -> list[str]:
    """A word list from the UI texts (e.g. history words), in ``lang`` and English."""
    out = list(_table(lang).get(key) or [])
    return out + [w for w in (_table(FALLBACK).get(key) or []) if w not in out]
