"""What a question asks for: an event in the plant's history (logs) or how things are meant to be (documentation).

Owns a small, language-independent prior for ranking. Questions like "when was the filter replaced?", "what
happened last night?", "why did the line stop?" are answered by logs, work orders and shift notes; questions like
"how do I reset…?", "what does this alarm mean?", "how often…?", "what is the limit…?" by manuals and
procedures. The intent is read the way the assistant's semantic router reads intents: by embedding similarity to
a few example questions per side, in several languages, with the same embedding model as the index — so it works
for any language the model knows and needs no word lists. The examples are generic (no plant, asset or document
of the demo corpus) and :func:`event_intent` returns a bounded score, so a wrong guess only nudges the ranking.

Among logs, :func:`work_intent` tells a question about the work done — what was found, who repaired it, which
parts were used, what the cause was (work orders and shift notes say that) — from one about the alarms themselves
— when, how often, which value (the alarm log says that). Same method, same bounds.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

EVENT_EXAMPLES = (
    "When did the machine fail?",
    "What happened to the motor last week?",
    "Why did the line stop yesterday?",
    "Which alarms occurred in March?",
    "What did the operator report on Monday?",
    "When was the filter last replaced?",
    "Show the work order history of the fan",
    "What was found during the last repair?",
    "Which parts were used when the motor was replaced?",
    "Was ist letzte Nacht an der Anlage passiert?",
    "Wann wurde der Filter zuletzt getauscht?",
    "Warum ist die Linie gestern stehen geblieben?",
    "Welche Störungen gab es im März?",
    "Was hat die Schicht gemeldet?",
    "Welche Teile wurden bei der Reparatur verbaut?",
    "Quand la machine est-elle tombée en panne ?",
    "¿Qué pasó con el motor la semana pasada?",
)
DOC_EXAMPLES = (
    "How do I reset the drive?",
    "What does this alarm code mean?",
    "How often must the filter be replaced?",
    "What is the maximum permitted temperature?",
    "Which oil should be used?",
    "What are the safety rules before maintenance?",
    "What should I do when the pressure is too high?",
    "Which spare part number is needed?",
    "Wie quittiere ich die Störung?",
    "Was bedeutet diese Meldung?",
    "Wie oft muss das Öl gewechselt werden?",
    "Welcher Grenzwert gilt für die Temperatur?",
    "Was ist vor Wartungsarbeiten zu beachten?",
    "Comment réinitialiser l'alarme ?",
    "¿Cada cuánto se cambia el aceite?",
)
WORK_EXAMPLES = (
    "What was found during the repair?",
    "Who repaired the pump?",
    "Which parts were replaced?",
    "What was the cause of the failure?",
    "What did the technician do?",
    "How was the problem fixed?",
    "Was wurde bei der Reparatur gefunden?",
    "Wer hat die Maschine repariert?",
    "Welche Teile wurden getauscht?",
    "Was war die Ursache der Störung?",
    "Qui a réparé la machine ?",
    "¿Qué piezas se cambiaron?",
    "Chi ha riparato la pompa?",
)
ALARM_EXAMPLES = (
    "When did the alarm occur?",
    "How often was the alarm raised?",
    "Which alarms were active last night?",
    "What value did the signal have when the alarm came?",
    "Which machine had the most alarms?",
    "When was the alarm cleared?",
    "Wann kam der Alarm?",
    "Wie oft wurde die Störung gemeldet?",
    "Welche Alarme gab es gestern?",
    "Welche Maschine hatte die meisten Alarme?",
    "Quand l'alarme s'est-elle déclenchée ?",
    "¿Cuántas veces saltó la alarma?",
    "Quante volte è scattato l'allarme?",
)
SCALE = 0.05  # a similarity margin of this size already means a clear intent
TOP = 3  # compare the mean of the best few examples per side (one odd example does not decide)

_LOCK = threading.Lock()


_VECTORS: dict[tuple[int, str], tuple[Any, np.ndarray, np.ndarray]] = {}


def _examples(ef: Any, side_a: tuple[str, ...], side_b: tuple[str, ...], key: str) -> tuple[np.ndarray, np.ndarray]:
    with _LOCK:
        hit = _VECTORS.get((id(ef), key))
        if hit is None or hit[0] is not ef:
            vecs = np.asarray(ef([*side_a, *side_b]), dtype=np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
            hit = (ef, vecs[: len(side_a)], vecs[len(side_a) :])
            _VECTORS[(id(ef), key)] = hit
        return hit[1], hit[2]


def _lean(a: np.ndarray, b: np.ndarray, query_vector: np.ndarray) -> float:
    q = query_vector / (np.linalg.norm(query_vector) + 1e-9)
    return float(np.clip((np.sort(a @ q)[-TOP:].mean() - np.sort(b @ q)[-TOP:].mean()) / SCALE, -1.0, 1.0))


def event_intent(ef: Any, query_vector: np.ndarray) -> float:
    """In [-1, 1]: > 0 the question asks about events (logs), < 0 about documentation; 0 when unsure."""
    return _lean(*_examples(ef, EVENT_EXAMPLES, DOC_EXAMPLES, "event"), query_vector)


def work_intent(ef: Any, query_vector: np.ndarray) -> float:
    """In [-1, 1]: > 0 the question asks about work done (work orders, shift notes), < 0 about alarm occurrences."""
    return _lean(*_examples(ef, WORK_EXAMPLES, ALARM_EXAMPLES, "work"), query_vector)
