"""Access to the files in ``prompts/``: lexicons, answer templates, router examples — data, not code."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import OperatorError


def prompts_dir() -> Path:
    """The repository's ``prompts/`` folder (the project installs in editable mode)."""
    return Path(__file__).resolve().parent.parent / "prompts"


@functools.cache
def load_yaml(relative: str) -> Any:
    path = prompts_dir() / relative
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OperatorError(f"prompt file missing: {path}") from None


@functools.cache
def load_layered(kind: str, lang: str) -> dict[str, Any]:
    """``prompts/<kind>/<lang>.yaml`` merged with topic files ``prompts/<kind>/<topic>/<lang>.yaml``.

    A feature adds its own templates or router examples in its own folder, without editing the shared file.
    """
    merged: dict[str, Any] = dict(load_yaml(f"{kind}/{lang}.yaml") or {})
    for path in sorted((prompts_dir() / kind).glob(f"*/{lang}.yaml")):
        merged.update(load_yaml(str(path.relative_to(prompts_dir()))) or {})
    return merged


def available_languages(kind: str = "answers") -> list[str]:
    """Languages that have a file in ``prompts/<kind>/`` — adding a language is adding files."""
    return sorted(p.stem for p in (prompts_dir() / kind).glob("*.yaml"))
