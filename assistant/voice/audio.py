"""Audio in any shape the UI or CLI hands over → 16 kHz mono float32 samples for Whisper.

Accepted: a file path (any format PyAV decodes: wav, ogg, webm, mp3, m4a), raw file bytes, or Gradio's
``(sample_rate, int16 array (n,) or (n, channels))`` from a browser microphone (44.1/48 kHz).
"""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_RATE = 16_000


def _wav_bytes(sr: int, data: np.ndarray) -> io.BytesIO:
    if data.dtype.kind == "f":
        data = (np.clip(data, -1.0, 1.0) * 32767).astype(np.int16)
    elif data.dtype != np.int16:
        data = data.astype(np.int16)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1 if data.ndim == 1 else int(data.shape[1]))
        w.setsampwidth(2)
        w.setframerate(int(sr))
        w.writeframes(np.ascontiguousarray(data).tobytes())
    buf.seek(0)
    return buf


def load_audio(audio: Any) -> np.ndarray:
    """16 kHz mono float32 samples; an empty array for ``None`` or an empty recording."""
    from faster_whisper import decode_audio

    if audio is None:
        return np.zeros(0, dtype=np.float32)
    if isinstance(audio, tuple):
        sr, data = audio
        data = np.asarray(data)
        if data.size == 0:
            return np.zeros(0, dtype=np.float32)
        return decode_audio(_wav_bytes(int(sr), data), sampling_rate=SAMPLE_RATE)
    if isinstance(audio, bytes | bytearray):
        if not audio:
            return np.zeros(0, dtype=np.float32)
        return decode_audio(io.BytesIO(audio), sampling_rate=SAMPLE_RATE)
    path = Path(str(audio))
    if not path.exists() or path.stat().st_size == 0:
        return np.zeros(0, dtype=np.float32)
    return decode_audio(str(path), sampling_rate=SAMPLE_RATE)


def speech_energy(samples: np.ndarray) -> float:
    """Root mean square of the loudest 100 ms window (0 for silence)."""
    if samples.size == 0:
        return 0.0
    win = SAMPLE_RATE // 10
    n = samples.size // win
    if n == 0:
        return float(np.sqrt(np.mean(samples**2)))
    frames = samples[: n * win].reshape(n, win)
    return float(np.sqrt(np.mean(frames**2, axis=1)).max())
