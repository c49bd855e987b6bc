"""Speech-to-text for operators' voice questions, and ``iiot-assistant ask --audio FILE``.

:class:`SpeechToText` turns a recording into an operator's question: the language is forced from the user's
setting (auto-detection is unreliable on short clips) and restricted to the plant's languages when not given,
the catalog's asset ids are passed as hotwords, decoding is greedy-stable (temperature 0, bounded tokens), and
asset ids in the transcript are fuzzy-matched to the catalog (:mod:`assistant.voice.fuzzy`). A recording that
is too short or silent yields an empty :class:`Transcript` with a friendly message instead of an error.
:func:`ask_audio` is the same path without the UI: transcribe, ask the agent, return the ``ask --json`` contract
plus ``transcript`` (the text asked) and ``speech`` (raw text, language, audio length, timing, corrections).
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.errors import BadQuestion
from assistant.ui.texts import t
from assistant.voice.audio import SAMPLE_RATE, load_audio, speech_energy
from assistant.voice.fuzzy import match_asset_ids
from assistant.voice.model import load_model

MIN_SECONDS = 0.6
MIN_ENERGY = 0.003
MAX_NEW_TOKENS = 96
DETECT_LANGUAGES = ("en", "de")


@dataclass(slots=True)
class Transcript:
    text: str
    raw_text: str
    language: str
    audio_seconds: float
    duration_ms: float
    corrections: list[dict[str, str]] = field(default_factory=list)
    message: str | None = None  # set when nothing usable was heard (too short, silent)

    @property
    def empty(self) -> bool:
        return not self.text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def hotwords_from(names: list[str], limit: int = 24) -> str:
    """Asset ids as Whisper hotwords (bounded: the hotword prompt shares the decoder's context)."""
    seen: list[str] = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return " ".join(seen[:limit])


class SpeechToText:
    """One Whisper model per process; calls are serialised (CTranslate2 uses all given threads per call)."""

    def __init__(self, settings: Settings, cpu_threads: int = 2) -> None:
        self.settings = settings
        self.cpu_threads = cpu_threads
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        load_model(self.settings, cpu_threads=self.cpu_threads)

    def transcribe(self, audio: Any, language: str | None = None, asset_names: list[str] | None = None,
                   ui_language: str | None = None) -> Transcript:  # fmt: skip
        """Transcribe ``audio`` (path, bytes or Gradio ``(sr, array)``); ``language`` forces the language."""
        t0 = time.perf_counter()
        msg_lang = ui_language or language or self.settings.language
        samples = load_audio(audio)
        seconds = samples.size / SAMPLE_RATE
        if seconds < MIN_SECONDS or speech_energy(samples) < MIN_ENERGY:
            key = "voice_too_short" if seconds < MIN_SECONDS else "voice_silent"
            return Transcript("", "", language or "", round(seconds, 2), _ms(t0), message=t(msg_lang, key))
        model = load_model(self.settings, cpu_threads=self.cpu_threads)
        names = asset_names or []
        with self._lock:
            lang = language
            if lang is None:
                _, _, probs = model.detect_language(samples)
                ranked = dict(probs or [])
                lang = max(DETECT_LANGUAGES, key=lambda c: ranked.get(c, 0.0))
            # without hints first: the whole catalog as hotwords makes Whisper base recite it
            raw = self._decode(model, samples, lang, seconds, None)
            similar = similar_ids(raw, names)
            if similar:  # a code was heard that is not in the catalog: listen again, hinted with look-alikes
                hinted = self._decode(model, samples, lang, seconds, hotwords_from(similar))
                if not _degenerate(hinted, names):
                    raw = hinted
        text, corrections = match_asset_ids(raw, names)
        if not any(ch.isalnum() for ch in text):
            return Transcript("", raw, lang, round(seconds, 2), _ms(t0), message=t(msg_lang, "voice_nothing_heard"))
        return Transcript(text, raw, lang, round(seconds, 2), _ms(t0), [asdict(c) for c in corrections])

    @staticmethod
    def _decode(model: Any, samples: np.ndarray, lang: str, seconds: float, hotwords: str | None) -> str:
        segments, _ = model.transcribe(
            samples.astype(np.float32), language=lang, beam_size=5, temperature=0.0, max_new_tokens=MAX_NEW_TOKENS,
            condition_on_previous_text=False, vad_filter=seconds > 20, hotwords=hotwords, without_timestamps=True,
        )  # fmt: skip
        return " ".join(s.text.strip() for s in segments).strip()


_HEARD_CODE = re.compile(r"\b([A-Za-z]{1,4})[\s-]?(\d{1,5})\b")


def similar_ids(text: str, names: list[str], limit: int = 6) -> list[str]:
    """Catalog ids that look like a code heard in ``text`` but not equal to any id (e.g. heard P1001 → P-101)."""
    norm = {re.sub(r"[^0-9a-z]", "", n.casefold()): n for n in names}
    found: list[str] = []
    for letters, digits in _HEARD_CODE.findall(text):
        heard = f"{letters}{digits}".casefold()
        if heard in norm:
            continue
        for key, name in norm.items():
            key_digits = re.sub(r"\D", "", key)
            alike = key_digits == digits or _one_edit(key_digits, digits)
            if key_digits and alike and name not in found:
                found.append(name)
    return found[:limit]


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _degenerate(text: str, names: list[str]) -> bool:
    """A transcript that is mostly catalog ids or repeats a word three times or more (a recited hotword list)."""
    toks = [w.strip(".,?!").casefold() for w in text.split()]
    if not toks:
        return False
    ids = {n.casefold() for n in names}
    return sum(w in ids for w in toks) * 2 > len(toks) or max(toks.count(w) for w in toks) >= 3


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)


async def catalog_names(adapter: Any) -> list[str]:
    """Asset display names (and browse names) of the configured plant, for hotwords and fuzzy matching."""
    names: list[str] = []
    for a in await adapter.assets():
        names += [a.display_name, a.browse_name]
    return names


async def ask_audio_async(settings: Settings, path: str | Path, language: str | None = None) -> dict[str, Any]:
    from assistant.agent import Agent

    audio = Path(path)
    if not audio.exists():
        raise BadQuestion(f"audio file not found: {audio}")
    agent = Agent(settings)
    try:
        names = await catalog_names(agent.adapter)
        stt = SpeechToText(settings)
        heard = await asyncio.to_thread(stt.transcribe, audio, language, names)
        if heard.empty:
            raise BadQuestion(heard.message or t(language or settings.language, "voice_nothing_heard"))
        result = await agent.ask(heard.text, language=language)
    finally:
        await agent.adapter.close()
    out = result.model_dump(mode="json")
    out["transcript"] = heard.text
    out["speech"] = heard.to_dict()
    return out


def ask_audio(settings: Settings, path: str | Path, language: str | None = None) -> dict[str, Any]:
    """Transcribe the recording at ``path`` and answer it: the ``ask --json`` contract plus ``transcript``.

    Raises :class:`assistant.errors.BadQuestion` (exit code 2) when the file is missing or nothing was heard.
    """
    return asyncio.run(ask_audio_async(settings, path, language))
