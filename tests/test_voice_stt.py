"""Offline speech-to-text: synthesised questions (espeak-ng; Pico for German) are transcribed with the bundled
Whisper base weights, asset ids are matched to the catalog, silence and too-short clips get a friendly message, and
``ask_audio`` is the ``ask --audio`` path: transcript plus the ``ask --json`` contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import EndpointSettings, Settings
from assistant.errors import BadQuestion
from assistant.voice.fuzzy import match_asset_ids
from assistant.voice.metrics import word_error_rate
from assistant.voice.transcribe import SpeechToText, ask_audio
from tests.conftest import SHARED_CACHE
from tests.ui_support.audio import silence, synthesise

CATALOG = ["P-101", "P-102", "K-2", "S-1", "T-101", "Pump P-101"]


def test_asset_ids_heard_in_many_shapes_match_the_catalog() -> None:
    for heard in ("pump P 101", "pump p101", "pump P. 101", "pump P1 01", "pump B-101"):
        text, fixes = match_asset_ids(f"What is the temperature of {heard}?", CATALOG)
        assert "P-101" in text, (heard, text)
    text, fixes = match_asset_ids("pressure at K2 and K 2.", CATALOG)
    assert text == "pressure at K-2 and K-2." and len(fixes) == 2
    assert match_asset_ids("at 10 o'clock, level 3", CATALOG)[0] == "at 10 o'clock, level 3"
    assert match_asset_ids("pump X-999", CATALOG)[0] == "pump X-999"


def test_letter_code_with_spoken_digits_matches_the_catalog_only() -> None:
    # Whisper writes German "S eins" as "S eine"; "K zwei", "P one oh one" are codes spoken digit by digit
    assert match_asset_ids("Wie hoch ist die Drehzahl von S eine?", CATALOG)[0] == "Wie hoch ist die Drehzahl von S-1?"
    assert match_asset_ids("Druck am K zwei.", CATALOG)[0] == "Druck am K-2."
    text, fixes = match_asset_ids("temperature of P one oh one", CATALOG)
    assert text == "temperature of P-101" and fixes[0].asset == "P-101"
    # articles stay articles: not after a code, or no such asset in the catalog, or a word rather than a code
    for kept in ("Gibt es eine Störung an P-101?", "Hat T eine Störung?", "Hat der Tank eine Störung?",
                 "Is K one of them?"):  # fmt: skip
        assert match_asset_ids(kept, CATALOG)[0] == kept, kept


def test_word_error_rate() -> None:
    assert word_error_rate("What is the pressure of K-2", "what is the pressure of K 2?") == 0.0
    assert word_error_rate("a b c d", "a x c") == pytest.approx(0.5)


@pytest.fixture(scope="module")
def stt(models_dir: Path) -> SpeechToText:
    return SpeechToText(Settings(data_dir=models_dir, cache_dir=SHARED_CACHE))


def test_synthesised_question_is_transcribed_with_the_asset_id(stt: SpeechToText, tmp_path: Path) -> None:
    clip = synthesise("What is the temperature of pump P 101?", "en", tmp_path / "q.wav")
    heard = stt.transcribe(clip, "en", CATALOG)
    assert not heard.empty and heard.language == "en"
    assert "P-101" in heard.text or "P101" in heard.text, heard
    assert "temperature" in heard.text.lower()
    assert (stt.settings.data_dir / "models" / "whisper-base" / "model.bin").exists()  # joined in the data folder


def test_german_question_is_transcribed_with_the_asset_id(stt: SpeechToText, tmp_path: Path) -> None:
    clip = synthesise("Wie hoch ist der Druck am Kompressor K 2?", "de", tmp_path / "de.wav", voice="pico")
    heard = stt.transcribe(clip, "de", CATALOG)
    assert heard.language == "de" and "K-2" in heard.text, heard
    assert {"druck", "kompressor"} <= set(heard.text.lower().replace("?", "").split()), heard


def test_empty_silent_and_short_audio_get_a_friendly_message(stt: SpeechToText, tmp_path: Path) -> None:
    for audio in (None, silence(tmp_path / "short.wav", 0.2), silence(tmp_path / "quiet.wav", 2.0),
                  (48_000, np.zeros(0, dtype=np.int16)), tmp_path / "missing.wav"):  # fmt: skip
        heard = stt.transcribe(audio, "de")
        assert heard.empty and heard.message and "Fehler" not in heard.message
    assert "too short" in (stt.transcribe(silence(tmp_path / "s.wav", 0.2), "en").message or "")


def test_ask_audio_transcribes_and_answers(demo_plant: Any, models_dir: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=models_dir, cache_dir=SHARED_CACHE)
    settings.opcua.endpoints = [EndpointSettings(url=demo_plant.endpoint)]
    clip = synthesise("What is the temperature of pump P 101?", "en", tmp_path / "ask.wav")
    out = ask_audio(settings, clip, "en")
    assert "P-101" in out["transcript"]
    assert "°C" in out["answer"] and out["kind"] == "answer" and out["tool_calls"][-1]["tool"] == "opcua.read"
    assert out["speech"]["language"] == "en" and out["speech"]["audio_seconds"] > 1
    with pytest.raises(BadQuestion, match="too short"):
        ask_audio(settings, silence(tmp_path / "empty.wav", 0.1), "en")


def test_ask_audio_answers_a_german_question_in_german(demo_plant: Any, models_dir: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=models_dir, cache_dir=SHARED_CACHE)
    settings.opcua.endpoints = [EndpointSettings(url=demo_plant.endpoint)]
    clip = synthesise("Wie hoch ist die Temperatur der Pumpe P 101?", "de", tmp_path / "frage.wav", voice="pico")
    out = ask_audio(settings, clip, "de")
    assert "P-101" in out["transcript"] and "Temperatur" in out["transcript"], out["transcript"]
    assert out["language"] == "de" and out["kind"] == "answer" and out["tool_calls"][-1]["tool"] == "opcua.read"
    assert "°C" in out["answer"] and "Temperatur" in out["answer"], out["answer"]
