"""Language detection of questions and answers: lingua among the shipped languages, judged on the words only."""

from __future__ import annotations

import pytest

from assistant.language import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("What is the current temperature of pump P-101?", "en"),
        ("Wie hoch ist die Temperatur der Pumpe P-101?", "de"),
        ("Quelle est la pression du compresseur K-2 ?", "fr"),
        ("¿Cuál es el caudal de la bomba P-102?", "es"),
        ("Qual è la velocità del mandrino S-1?", "it"),
        ("Ist der Kompressor K-2 in Betrieb?", "de"),
        ("WIE HOCH IST DIE TEMPERATUR DER PUMPE P-101?", "de"),  # all capitals: words all the same
    ],
)
def test_questions_in_five_languages(text: str, lang: str) -> None:
    assert detect_language(text, fallback="?") == lang


def test_acronyms_identifiers_and_addresses_do_not_outvote_the_words() -> None:
    # an Italian answer whose source is named in English-looking tokens (UTC, OPC UA, HistoryRead, an address)
    answer = ("MX-617: temperatura media di 36,9 °C dal 2026-03-18 05:21:10 UTC al 2026-12-23 20:32:37 UTC, minimo "
              "25,9 °C, massimo 48 °C (1029 valori; OPC UA HistoryRead opc.tcp://10.0.3.15:4840).")  # fmt: skip
    assert detect_language(answer, fallback="?") == "it"
    assert detect_language("P-101 OPC UA HistoryRead 12,5 °C", fallback="?") == "?"  # no words: cannot tell
