"""Audio fixtures synthesised at test time (no committed binaries) with :mod:`assistant.voice.synth` (espeak-ng, or
the SVOX Pico voices, far more natural in German), and silent clips. A missing voice skips the test."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from assistant.voice.synth import VoiceUnavailable, pico_available
from assistant.voice.synth import synthesise as synth

__all__ = ["pico_available", "silence", "synthesise"]


def synthesise(text: str, language: str, path: Path, speed: int = 140, voice: str = "espeak") -> Path:
    """A WAV of ``text`` spoken in ``language`` by espeak-ng (default) or Pico (``voice="pico"``)."""
    try:
        return synth(text, language, path, voice=voice, speed=speed)
    except VoiceUnavailable as exc:
        pytest.skip(str(exc))


def silence(path: Path, seconds: float, rate: int = 16_000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return path
