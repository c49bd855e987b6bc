"""Speech-to-text benchmark: latency and word error rate of the offline Whisper base path on EN and DE clips (and a
few FR, ES and IT ones).

Clips are synthesised (operator questions about the demo plant) into ``--out`` (default: a temporary folder) by
each ``--voice``: espeak-ng, and the SVOX Pico voices of ``ttspico`` (installed with the dev extra; natural enough in
German for the figures to be about recognition, not about espeak's robotic German); or taken from ``--clips DIR``
(``*.wav`` with a ``.txt`` reference beside each, ``name.de.wav`` for German).
Each clip is transcribed with the language forced (as the UI does from the user's setting), the demo plant's
asset ids as hotwords, and asset-id matching. Prints one line per clip, then per-language figures and one JSON line.

    .venv/bin/python eval/bench_stt.py [--voice pico --voice espeak] [--out DIR] [--clips DIR] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.config import Settings
from assistant.sim.layout import demo_layout
from assistant.voice.metrics import word_error_rate
from assistant.voice.synth import pico_available, synthesise
from assistant.voice.transcribe import SpeechToText

CLIPS = {
    "en": [
        "What is the temperature of pump P-101?",
        "What is the current pressure of compressor K-2?",
        "Show me the active alarms.",
        "How did the vibration of spindle S-1 develop over the last hour?",
        "What is the flow of pump P-102?",
        "Is tank T-101 running low?",
    ],
    "de": [
        "Wie hoch ist die Temperatur der Pumpe P-101?",
        "Wie hoch ist der Druck am Kompressor K-2?",
        "Welche Alarme sind aktiv?",
        "Wie hat sich die Schwingung der Spindel S-1 in der letzten Stunde entwickelt?",
        "Wie hoch ist der Durchfluss der Pumpe P-102?",
        "Wie voll ist der Behälter T-101?",
    ],
    "fr": [
        "Quelle est la température de la pompe P-101 ?",
        "Quelles alarmes sont actives ?",
        "Quelle est la pression du compresseur K-2 ?",
    ],
    "es": [
        "¿Cuál es la temperatura de la bomba P-101?",
        "¿Qué alarmas están activas?",
        "¿Cuál es la presión del compresor K-2?",
    ],
    "it": [
        "Qual è la temperatura della pompa P-101?",
        "Quali allarmi sono attivi?",
        "Qual è la pressione del compressore K-2?",
    ],
}


def _clips(args: argparse.Namespace) -> list[tuple[str, str, Path, str]]:
    """(voice, language, wav, reference text) per clip."""
    if args.clips:
        out = []
        for wav in sorted(Path(args.clips).glob("*.wav")):
            lang = "de" if wav.stem.endswith(".de") else "en"
            out.append(("recorded", lang, wav, wav.with_suffix(".txt").read_text(encoding="utf-8").strip()))
        return out
    folder = Path(args.out or tempfile.mkdtemp(prefix="stt-bench-"))
    voices = args.voice or (["pico", "espeak"] if pico_available() else ["espeak"])
    out = []
    for voice in voices:
        for lang, texts in CLIPS.items():
            for i, text in enumerate(texts):
                wav = synthesise(text, lang, folder / f"{voice}-{lang}-{i}.wav", voice=voice)
                out.append((voice, lang, wav, text))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="folder for the synthesised clips")
    ap.add_argument("--clips", help="folder of recorded clips (*.wav + *.txt)")
    ap.add_argument(
        "--voice",
        action="append",
        choices=["pico", "espeak"],
        help="synthetic voice (repeatable; default: pico and espeak, espeak alone without ttspico)",
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data-dir", help="data folder (model joined into <data-dir>/models/whisper-base)")
    args = ap.parse_args()
    settings = Settings(data_dir=Path(args.data_dir)) if args.data_dir else Settings()
    names = [a.id for _p, a in demo_layout().assets()]
    stt = SpeechToText(settings, cpu_threads=args.threads)
    t0 = time.perf_counter()
    stt.warm_up()
    load_s = time.perf_counter() - t0
    rows = []
    for voice, lang, wav, ref in _clips(args):
        heard = stt.transcribe(wav, lang, names)
        wer = word_error_rate(ref, heard.text)
        ids = [w for w in ref.replace("?", "").split() if any(c.isdigit() for c in w)]
        id_ok = all(i in heard.text for i in ids)
        rows.append({"voice": voice, "lang": lang, "ms": heard.duration_ms, "audio_s": heard.audio_seconds,
                     "wer": wer, "id_ok": id_ok})  # fmt: skip
        mark = "ok " if id_ok else "MISS"
        print(f"{voice:6} {lang} {heard.duration_ms:7.0f} ms  {heard.audio_seconds:4.1f} s  WER {wer:4.2f}  id {mark}"
              f"  {ref!r} → {heard.text!r}")  # fmt: skip
    summary: dict[str, object] = {"model_load_s": round(load_s, 2), "threads": args.threads}
    for voice, lang in sorted({(str(r["voice"]), str(r["lang"])) for r in rows}):
        rs = [r for r in rows if r["lang"] == lang and r["voice"] == voice]
        ms = sorted(float(r["ms"]) for r in rs)
        group = f"{lang}/{voice}"
        summary[group] = {
            "clips": len(rs),
            "wer": round(statistics.mean(float(r["wer"]) for r in rs), 3),
            "asset_ids_ok": f"{sum(bool(r['id_ok']) for r in rs)}/{len(rs)}",
            "latency_ms_p50": round(statistics.median(ms), 0),
            "latency_ms_max": round(ms[-1], 0),
            "rtf": round(sum(float(r["ms"]) for r in rs) / 1000 / sum(float(r["audio_s"]) for r in rs), 2),
        }
        s = summary[group]
        print(
            f"{group}: {len(rs)} clips, mean WER {s['wer']}, asset ids {s['asset_ids_ok']}, "  # type: ignore[index]
            f"latency p50 {s['latency_ms_p50']} ms, max {s['latency_ms_max']} ms, real-time factor {s['rtf']}"
        )  # type: ignore[index]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
