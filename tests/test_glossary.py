"""Cross-lingual query expansion from the lexicons: technical words added in the corpus languages, nothing else."""

from __future__ import annotations

from tools.documents.glossary import expand


def test_german_terms_get_their_english_words_and_the_reverse() -> None:
    assert expand("Wann wurde das Lager der Pumpe P-102 gewechselt?").endswith("pump bearing replaced")
    added = expand("Which oil do I use for the screw compressors?").split("?", 1)[1].split()
    assert {"kompressor", "öl"} <= set(added)


def test_questions_without_technical_words_are_left_alone() -> None:
    assert expand("Who won the match yesterday?") == "Who won the match yesterday?"


def test_maintenance_procedure_words_cross_both_ways() -> None:
    added = set(expand("How often must the level probe be calibrated?").split("?", 1)[1].split())
    assert {"kalibrieren", "sonde", "intervall"} <= added
    added = set(expand("Wie quittiere ich einen Überstrom am Förderband?").split("?", 1)[1].split())
    assert {"reset", "overcurrent", "conveyor"} <= added
