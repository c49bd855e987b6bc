"""Documents: questions asking a record for a field (finding, cause, technician) or a manual for a part number —
the cue reading, the field and part-number recognition, one-letter asset ids in logs, the focused quote, and the
ranking over a small fixture index (no demo corpus names)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.skills.documents import answering_order
from tools.documents.chunking import chunk_document
from tools.documents.codes import asset_ids
from tools.documents.fields import asked_field, asked_fields, asks_for_part, part_numbers, record_fields
from tools.documents.index import forget_indexes, open_index
from tools.documents.parsers import parse_file
from tools.documents.search import Citation, Passage, search_documents

ALARMS = """timestamp,asset,code,severity,event,value,unit,message
2025-03-10 06:00:00,R-7,E-61,600,RAISED,88.1,%,Mixer torque high
2025-03-10 06:05:00,R-7,E-61,600,ACKNOWLEDGED,88.1,%,Mixer torque high
2025-03-10 07:40:00,R-7,E-61,600,CLEARED,71.0,%,Mixer torque high
2025-03-11 09:00:00,G-3,E-70,500,RAISED,3.1,bar,Gearbox oil pressure low
"""
ORDERS = {
    "orders": [
        {"id": "JOB-0051", "asset": "R-7", "type": "corrective", "trigger": "E-61", "opened": "2025-03-10 06:00",
         "closed": "2025-03-10 15:00", "fault": "agitator shaft seized",
         "findings": "Agitator shaft bushing worn through; shaft scored over 3 cm.",
         "work_done": "Replaced the bushing, polished the shaft, refilled the gear oil.",
         "technician": "P. Lindqvist", "hours": 5.5},
        {"id": "JOB-0052", "asset": "G-3", "type": "preventive", "trigger": "interval", "opened": "2025-03-20 08:00",
         "closed": "2025-03-20 09:00", "findings": "no findings", "work_done": "Oil sample taken.",
         "technician": "R. Okafor", "hours": 1.0},
    ]
}  # fmt: skip
MANUAL = """---
title: Mixer manual
doc_type: manual
language: en
---
# Mixer manual

## 1 Scope
This manual applies to the batch mixers R-7 and R-8 with their agitator drives, gearboxes and shaft bushings.

## 5 Maintenance
| Task | Interval | Notes |
|---|---|---|
| Check the gear oil level | weekly | top up with gear oil when below the mark |
| Replace the agitator shaft bushing | every 8,000 hours | bushing 4412-BR-20 |
| Clean the vent filter | monthly | compressed air only |
"""


def test_questions_asking_for_a_record_field_in_several_languages() -> None:
    assert asked_fields("Who repaired the mixer in March?")
    assert asked_fields("Welcher Techniker hat den Mischer repariert?")
    assert asked_fields("Warum ist der Behälter übergelaufen?")
    assert asked_fields("Qu'est-ce qui a été constaté sur le mélangeur ?")
    assert asked_fields("¿Quién reparó el mezclador?")
    assert asked_fields("What is the temperature of the mixer?") == []
    who = asked_fields("Welcher Techniker hat den Mischer repariert?")
    assert "technician" in who[0]  # the most specific field first: the technician before the work done


def test_part_number_questions_and_work_orders_are_told_apart() -> None:
    assert asks_for_part("Which bushing do I order for the mixer?")
    assert asks_for_part("Welche Buchse muss ich bestellen?")
    assert asks_for_part("Quelle est la référence du joint ?")
    assert not asks_for_part("Show the work order of the mixer")
    assert not asks_for_part("What must I check in order to restart the mixer?")


def test_record_fields_and_part_numbers_are_recognised() -> None:
    record = "id: JOB-1; asset: R-7; fault: shaft seized; findings: bushing worn; shaft scored.; technician: P. Lind"
    assert {"id", "asset", "fault", "findings", "technician"} <= set(record_fields(record))
    assert asked_field(record, asked_fields("Who fixed it?")) == "technician: P. Lind"
    assert asked_field(record, asked_fields("What was found?")) == "findings: bushing worn; shaft scored."
    assert asked_field("timestamp: 2025-03-10; asset: R-7; message: torque high", asked_fields("Who fixed it?")) is None
    line = "Replace bushing 4412-BR-20 (grease GX-2000, filter FT-0215) on R-7 at E-61, see ISO 10816-3, 2025-03-10"
    assert part_numbers(line) == ["4412-BR-20", "GX-2000", "FT-0215"]


def test_one_letter_asset_ids_and_the_asset_column_tag_log_rows(tmp_path: Path) -> None:
    assert asset_ids("S-4 spindle vibration; 5 S at 4 A; R-7 ok") == ["S-4", "R-7"]
    path = tmp_path / "alarms.csv"
    path.write_text(ALARMS, encoding="utf-8")
    chunks = chunk_document(parse_file(path))
    assert {"R-7", "G-3"} <= {a for c in chunks for a in c.assets}
    assert all(c.assets[0] == ("R-7" if "R-7" in c.text else "G-3") for c in chunks)


def test_the_asked_field_stays_inside_a_long_record_quote() -> None:
    from assistant.skills.documents import QUOTE_CHARS, quote

    text = "; ".join([f"note{i}: " + "long remark about the mixer drive " * 2 for i in range(8)])
    text += "; technician: P. Lindqvist; hours: 5.5"
    passage = Passage(text=text, score=0.5, citation=Citation(source="jobs.json", locator="record 1", text=text),
                      chunk_id="c1", source_path="/logs/jobs.json", title="Jobs", doc_type="maintenance_log",
                      focus="technician: P. Lindqvist")  # fmt: skip
    quoted = quote(passage)
    assert "technician: P. Lindqvist" in quoted and len(quoted) <= QUOTE_CHARS and quoted.startswith("… note")
    short = passage.model_copy(update={"text": "id: JOB-1; technician: P. Lindqvist"})
    assert quote(short) == "id: JOB-1; technician: P. Lindqvist"


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    forget_indexes()
    folder = tmp_path_factory.mktemp("records")
    (folder / "alarms.csv").write_text(ALARMS, encoding="utf-8")
    (folder / "jobs.json").write_text(json.dumps(ORDERS), encoding="utf-8")
    (folder / "mixer_manual.md").write_text(MANUAL, encoding="utf-8")
    settings = Settings(data_dir=tmp_path_factory.mktemp("records-index"))
    report = open_index(settings).add([folder])
    assert not report.errors, report.errors
    yield settings
    forget_indexes()


def test_field_questions_rank_the_record_holding_the_field_first(plant: Settings) -> None:
    for question in ("What was found when mixer R-7 tripped on E-61 in March?",
                     "Warum hat der Mischer R-7 im März ausgelöst?",
                     "Which technician repaired mixer R-7 in March?"):  # fmt: skip
        result = search_documents(plant, question, asset="R-7", k=3)
        # the answer quotes the record holding the asked field, even when an alarm row of the event scores a bit higher
        best = answering_order(result.passages)[0]
        assert best.citation.source == "jobs.json", [(p.citation.source, p.highlight_score) for p in result.passages]
        assert best.focus and best.focus in best.text
    who = search_documents(plant, "Which technician repaired mixer R-7 in March?", asset="R-7", k=3)
    assert who.passages[0].focus == "technician: P. Lindqvist"


def test_part_questions_quote_the_line_with_the_part_number(plant: Settings) -> None:
    result = search_documents(plant, "Which bushing do I order for the agitator of a mixer?", k=3)
    best = max(result.passages, key=lambda p: p.highlight_score)
    assert best.citation.source == "mixer_manual.md" and best.highlight and "4412-BR-20" in best.highlight


def test_a_record_of_another_event_does_not_displace_the_alarm_row() -> None:
    def log(doc_type: str, score: float, start: str, focus: str | None = None) -> Passage:
        return Passage(text="x", score=score, citation=Citation(source=doc_type, locator="l", text="x"), chunk_id=start,
                       source_path=doc_type, title=doc_type, doc_type=doc_type, assets=["R-7"], time_start=start,
                       time_end=start, highlight_score=score, focus=focus)  # fmt: skip

    alarm = log("alarm_log", 0.6, "2025-03-10 06:00")
    same = log("maintenance_log", 0.55, "2025-03-10 06:00", focus="findings: worn")
    other = log("maintenance_log", 0.55, "2025-04-02 08:00", focus="findings: worn")
    assert answering_order([alarm, same])[0] is same
    assert answering_order([alarm, other])[0] is alarm
