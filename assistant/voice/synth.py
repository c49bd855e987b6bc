"""Synthetic spoken questions for the scripted evaluation, the speech benchmark and the tests.

Two offline voices: the SVOX Pico voices of the ``ttspico`` package (en, de, fr, es, it; installed with the dev
extra), natural enough for Whisper base to be measured on German, and espeak-ng (Debian package), robotic but with
many languages. ``voice="auto"`` takes Pico when it is installed. This module only makes test audio; the
assistant never speaks through it (answers are read aloud by the operator's browser).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import wave
from pathlib import Path

PICO_VOICES = {"en": "en-US", "de": "de-DE", "fr": "fr-FR", "es": "es-ES", "it": "it-IT"}
PICO_RATE = 16_000  # Pico speaks 16-bit mono PCM at 16 kHz
ESPEAK_VOICES = {"en": "en-us"}  # other languages: espeak-ng's voice of the same name
_CODE_DASH = re.compile(r"(?<=[A-Za-z])-(?=\d)")  # "P-101" is said "P 101", not "P minus 101" or "P-hunderteins"


class VoiceUnavailable(RuntimeError):
    """The requested synthetic voice is not installed (the message says how to install it)."""


def pico_available() -> bool:
    return importlib.util.find_spec("ttspico") is not None


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def available_voice(language: str) -> str | None:
    """The voice ``voice="auto"`` would use for ``language``: "pico", "espeak" or None."""
    if pico_available() and language in PICO_VOICES:
        return "pico"
    return "espeak" if espeak_available() else None


def synthesise(text: str, language: str, path: Path, voice: str = "auto", speed: int = 140) -> Path:
    """A WAV of ``text`` spoken in ``language`` by ``voice`` ("pico", "espeak" or "auto"); asset codes are read as
    an operator says them ("P-101" as "P 101")."""
    chosen = available_voice(language) if voice == "auto" else voice
    text = _CODE_DASH.sub(" ", text)
    path.parent.mkdir(parents=True, exist_ok=True)
    if chosen == "pico":
        return _pico(text, language, path)
    if chosen == "espeak":
        exe = shutil.which("espeak-ng")
        if exe is None:
            raise VoiceUnavailable("espeak-ng is not installed (apt-get install espeak-ng)")
        subprocess.run([exe, "-v", ESPEAK_VOICES.get(language, language), "-s", str(speed), "-w", str(path), text],
                       check=True, capture_output=True, timeout=60)  # fmt: skip
        return path
    raise VoiceUnavailable("no synthetic voice installed: pip install ttspico (dev extra) or apt-get install espeak-ng")


def _pico(text: str, language: str, path: Path) -> Path:
    if language not in PICO_VOICES:
        raise VoiceUnavailable(f"Pico has no voice for '{language}' (one of: {', '.join(PICO_VOICES)})")
    if not pico_available():
        raise VoiceUnavailable("the Pico voices are not installed: pip install -e '.[dev]' (package ttspico)")
    import ttspico

    pcm = ttspico.TtsEngine(PICO_VOICES[language]).speak(text)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(PICO_RATE)
        w.writeframes(pcm or b"")
    return path
