"""Audio fixtures synthesised at test time (no committed binaries): espeak-ng, or the SVOX Pico voices of the
``ttspico`` package (far more natural, above all in German), and silent clips."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import pytest

VOICES = {"en": "en-us", "de": "de"}
PICO_VOICES = {"en": "en-US", "de": "de-DE", "fr": "fr-FR", "es": "es-ES", "it": "it-IT"}
PICO_RATE = 16_000  # Pico speaks 16-bit mono PCM at 16 kHz


def espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    return exe


def pico_available() -> bool:
    try:
        import ttspico  # noqa: F401
    except ImportError:
        return False
    return True


def synthesise(text: str, language: str, path: Path, speed: int = 140, voice: str = "espeak") -> Path:
    """A WAV of ``text`` spoken in ``language`` by espeak-ng (en, de) or Pico (``voice="pico"``: en, de, fr, es, it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if voice == "pico":
        return _pico(text, language, path)
    subprocess.run([espeak(), "-v", VOICES.get(language, language), "-s", str(speed), "-w", str(path), text],
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    return path


def _pico(text: str, language: str, path: Path) -> Path:
    if not pico_available():
        pytest.skip("the Pico voices are not installed (pip install -e '.[dev]' installs ttspico)")
    import ttspico

    pcm = ttspico.TtsEngine(PICO_VOICES[language]).speak(text)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(PICO_RATE)
        w.writeframes(pcm or b"")
    return path


def silence(path: Path, seconds: float, rate: int = 16_000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return path
