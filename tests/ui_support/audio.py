"""Audio fixtures synthesised at test time with espeak-ng (no committed binaries), and silent clips."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import pytest

VOICES = {"en": "en-us", "de": "de"}


def espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    return exe


def synthesise(text: str, language: str, path: Path, speed: int = 140) -> Path:
    """A WAV of ``text`` spoken by espeak-ng in ``language`` (en, de)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([espeak(), "-v", VOICES.get(language, language), "-s", str(speed), "-w", str(path), text],
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    return path


def silence(path: Path, seconds: float, rate: int = 16_000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return path
