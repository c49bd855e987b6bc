"""Documents: retrieval building blocks — general asset ids, per-block units, the intent prior, cached search state."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from tools.documents.chunking import chunk_document
from tools.documents.codes import alarm_codes, asset_ids, code_tokens, meaning_text, normalise_asset
from tools.documents.embedding import UsemEmbedding
from tools.documents.index import forget_indexes, open_index, unit_parent
from tools.documents.intent import event_intent, work_intent
from tools.documents.parsers import parse_file
from tools.documents.search import search_documents

MANUAL = """---
title: Fan and press manual
doc_type: manual
language: en
---
# Fan and press manual

## 2 Alarm codes
| Code | Message | Action |
|---|---|---|
| ALM-7 | Fan FAN-7 vibration high | Check the impeller balance. |
| ALM-8 | Press HP-3 oil pressure low | Check the hydraulic oil level (oil HL-46). |

## 3 Lubrication
Regrease the fan bearings of FAN-7 every 1,500 operating hours with 12 g of grease.
"""


def test_asset_ids_need_no_prefix_list() -> None:
    text = "FAN-7 and HP-3 tripped; P-101, CV-3 ok; alarm E-42; parts GR-2000, ST-0816, SB-7014-P4, WO-2026-0414"
    assert asset_ids(text) == ["FAN-7", "HP-3", "P-101", "CV-3"]
    assert alarm_codes(text) == ["E-42"]
    # the catalog's names, when known, decide (however the text writes them)
    assert asset_ids("fan7 and P101 and HP-3", known=["FAN-7", "P-101"]) == ["FAN-7", "P-101"]
    assert asset_ids("nothing here", known=[]) == []
    assert normalise_asset("fan7") == "FAN-7" and normalise_asset("hp 3") == "HP-3"
    # alarm-code lookup is unchanged: codes are still code tokens, lenient in queries
    assert "E-42" in code_tokens("what does e42 mean", strict=False)
    assert {"E-42", "GR-2000", "SB-7014-P4"} <= set(code_tokens(text))


def test_table_chunks_get_one_unit_per_row_without_the_header(tmp_path: Path) -> None:
    path = tmp_path / "fan_press_manual.md"
    path.write_text(MANUAL, encoding="utf-8")
    chunks = chunk_document(parse_file(path))
    table = next(c for c in chunks if "ALM-7" in c.text)
    assert table.text.startswith("Code | Message | Action")
    assert len(table.units) == 2 and all("Code | Message" not in u for u in table.units)
    assert table.units[0].startswith("Fan and press manual › 2 Alarm codes\n| ALM-7") or "ALM-7" in table.units[0]
    assert {"FAN-7", "HP-3"} <= set(table.assets)
    single = next(c for c in chunks if "Regrease" in c.text)
    assert single.units == []  # one block: the chunk's own vector is enough
    known = chunk_document(parse_file(path), known_assets=["HP-3"])
    assert next(c for c in known if "ALM-7" in c.text).assets == ["HP-3"]


def test_intent_prior_reads_events_and_documentation_in_any_language() -> None:
    ef = UsemEmbedding()

    def intent(q: str) -> float:
        return event_intent(ef, ef([q])[0])

    assert intent("When was the gearbox of the mixer repaired?") > 0
    assert intent("Was ist gestern Nacht an der Presse passiert?") > 0
    assert intent("How do I reset the overload alarm?") < 0
    assert intent("Wie oft muss das Getriebeöl gewechselt werden?") < 0
    # how things normally are, and what causes a symptom in general, is documentation too
    assert intent("Welchen Durchfluss hat das Rührwerk normalerweise im Betrieb?") < 0
    assert intent("What causes a gearbox to run hot?") < 0

    def work(q: str) -> float:
        return work_intent(ef, ef([q])[0])

    # among logs: the work done (work orders, shift notes) against the alarms themselves (the alarm log)
    assert work("Who fixed the hydraulic leak on the press?") > 0
    assert work("Welche Ersatzteile wurden beim Getriebe eingebaut?") > 0
    assert work("How many times did the overload alarm come last month?") < 0
    assert work("Wann ist der Übertemperaturalarm am Mischer gekommen?") < 0


def test_search_state_is_cached_and_invalidated_by_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forget_indexes()
    settings = Settings(data_dir=tmp_path / "data")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fan_press_manual.md").write_text(MANUAL, encoding="utf-8")
    idx = open_index(settings)
    idx.add([docs])
    calls = {"n": 0}
    real = idx.committed

    def counting() -> dict:
        calls["n"] += 1
        return real()

    monkeypatch.setattr(idx, "committed", counting)
    for q in ("fan vibration", "ALM-8", "Wie oft werden die Lüfterlager geschmiert?"):
        assert search_documents(settings, q, k=3).passages
    assert calls["n"] <= 1  # not once per query
    top = search_documents(settings, "ALM-8", k=1).passages[0]
    assert "ALM-8" in top.matched_codes and top.section == "2 Alarm codes"
    de = search_documents(settings, "Wie oft müssen die Lager des Ventilators geschmiert werden?", k=1).passages[0]
    assert de.section == "3 Lubrication"
    # a write by this process is visible to the next query at once
    (docs / "press_log.csv").write_text(
        "timestamp,asset,code,message\n2026-11-20 08:00:00,HP-3,ALM-8,Press oil pressure low\n", encoding="utf-8"
    )
    idx.add([docs])
    hits = search_documents(settings, "HP-3 oil pressure low alarm", asset="hp3", doc_type="alarm_log", k=3)
    assert [p.citation.source for p in hits.passages] == ["press_log.csv"]
    # the manual names HP-3 in its alarm table, so it is about HP-3 as a whole (its lubrication section too)
    scoped = search_documents(settings, "regrease interval", asset="HP-3", doc_type="manual", k=3)
    assert any(p.section == "3 Lubrication" for p in scoped.passages)
    units = idx.units.get(include=["metadatas"])
    metas = units["metadatas"] or []
    assert units["ids"] and all(unit_parent(u) == m["parent"] for u, m in zip(units["ids"], metas, strict=True))
    forget_indexes()


def test_meaning_text_drops_codes_and_numbers_but_keeps_the_words() -> None:
    text = "5.1 After a standstill of more than 8 hours run the warm-up program WU-12: 10 minutes at 3,000 rpm."
    assert meaning_text(text) == "After a standstill of more than hours run the warm-up program: minutes at rpm."
    record = "id: WO-2026-0425; asset: K-2; opened: 2026-11-03 07:30; findings: Leak at a quick coupling"
    assert meaning_text(record) == "findings: Leak at a quick coupling"  # fields that were only ids go
    assert meaning_text("Was tue ich bei Alarm E-51?") == "Was tue ich bei Alarm?"
    assert meaning_text("E-42") == "E-42"  # nothing but a code: kept, the vector still needs a text


def test_named_periods_in_several_languages_read_against_the_newest_log() -> None:
    from datetime import date

    from tools.documents.dates import Period, named_period

    until = date(2026, 11, 24)  # the newest log entry of the index
    assert named_period("What was found when K-2 kept loading in November?", until) == Period(
        date(2026, 11, 1), date(2026, 11, 30)
    )
    assert named_period("Was hat die Frühschicht am 6. Oktober gemeldet?", until) == Period(
        date(2026, 10, 6), date(2026, 10, 6)
    )
    assert named_period("What happened on October 6th?", until) == Period(date(2026, 10, 6), date(2026, 10, 6))
    assert named_period("¿Qué pasó el 3 de noviembre?", until) == Period(date(2026, 11, 3), date(2026, 11, 3))
    assert named_period("Que s'est-il passé en septembre ?", until) == Period(date(2026, 9, 1), date(2026, 9, 30))
    # a month after the newest log is last year's; explicit dates and years are taken as written
    assert named_period("Which alarms came in December?", until) == Period(date(2025, 12, 1), date(2025, 12, 31))
    assert named_period("Was ist am 24.09.2026 passiert?", until) == Period(date(2026, 9, 24), date(2026, 9, 24))
    assert named_period("log of 2026-10-06", until) == Period(date(2026, 10, 6), date(2026, 10, 6))
    # short month forms that are words count only beside a day; impossible days name nothing
    assert named_period("May I restart the pump?", until) is None
    assert named_period("am 31. November", until) is None
    assert named_period("How do I reset alarm E-42?", until) is None
    assert Period(date(2026, 10, 6), date(2026, 10, 6)).overlaps("2026-10-06 08:10", None)
    assert not Period(date(2026, 10, 6), date(2026, 10, 6)).overlaps("2026-09-08 14:20", "2026-09-09 10:20")


def test_seasons_are_their_three_months_the_latest_begun() -> None:
    from datetime import date

    from tools.documents.dates import Period, named_period

    autumn = Period(date(2026, 9, 1), date(2026, 11, 30))
    assert named_period("Which spindle had the most overload alarms this autumn?", date(2026, 11, 24)) == autumn
    assert named_period("Was ist im Herbst passiert?", date(2026, 8, 1)) == Period(date(2025, 9, 1), date(2025, 11, 30))
    assert named_period("last winter", date(2026, 1, 10)) == Period(date(2025, 12, 1), date(2026, 2, 28))
    assert named_period("Why does the pressure fall?", date(2026, 11, 24)) is None  # a verb, not a season


def test_identical_vectors_share_a_row_and_cap_the_pool() -> None:
    from tools.documents.vectors import VectorTable

    flood = [(f"log-{i}", [1.0, 0.0, 0.0]) for i in range(50)]  # 50 chunks with one and the same vector
    table = VectorTable.build(
        [cid for cid, _ in flood] + ["page", "page"], [v for _, v in flood] + [[0.0, 1.0, 0.0], [0.6, 0.8, 0.0]]
    )
    assert len(table) == 3 and len(table.owners[0]) == 50
    scores = table.scores([np.asarray([1.0, 0.2, 0.0], dtype=np.float32)], penalty=0.05)
    pool = table.nearest(scores, n=5, per_vector=3)
    assert "page" in pool and len(pool) == 4  # three copies, then the page (its best vector), not five copies
    assert pool["page"] == pytest.approx(table.similarity(scores, "page"))
    assert set(table.nearest(scores, n=5, allowed={"page", "log-7"})) == {"page", "log-7"}


def test_a_flood_of_near_empty_log_rows_does_not_hide_the_manual(tmp_path: Path) -> None:
    """Log rows that are only codes and numbers embed as nearly the same text; the manual page must still be found."""
    forget_indexes()
    settings = Settings(data_dir=tmp_path / "data")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fan_press_manual.md").write_text(MANUAL, encoding="utf-8")
    rows = ["timestamp,asset,code,event,value,note"]
    for i in range(800):
        rows.append(f"2025-03-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00,HP-{1 + i % 9},ALM-{i % 5},RAISED,"
                    f"{(i * 7) % 120}.5,{('checked', 'no action', 'reset by operator')[i % 3]}")  # fmt: skip
    (docs / "press_alarm_log.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    idx = open_index(settings)
    idx.add([docs])
    tables = idx.vector_tables()
    assert len(tables["alarm_log"]) < idx.unit_count() // 4  # identical row vectors are stored once
    for q in ("How often must the fan bearings be regreased?", "Wie oft werden die Lüfterlager geschmiert?"):
        top = search_documents(settings, q, k=3).passages
        assert any(p.section == "3 Lubrication" for p in top), [(p.citation.source, p.citation.locator) for p in top]
    forget_indexes()


MIXER_MANUAL = """---
title: Mixer operating manual
doc_type: manual
language: en
---
# Mixer operating manual

## 1 Scope
This manual covers the batch mixers MX-1 to MX-4 and the work done on them by operators: their normal operation,
working ranges, the drive and the agitator shaft.

## 2 Safety
Lock out the main switch and wait until the agitator has stopped. Wear gloves and goggles.

## 3 Resetting after a trip
After an overload trip, find the cause, let the motor cool down for 15 minutes, then press RESET and restart.
"""


def test_headings_share_topics_with_questions_in_any_language() -> None:
    from tools.documents.glossary import topics

    assert topics("Was muss ich vor Arbeiten am Mischer beachten?") & topics("2 Safety")
    assert topics("What must I do after the mixer shut down?") & topics("3 Wiederanlauf nach einer Abschaltung")
    assert not topics("What must I do after the mixer shut down?") & topics("1 Scope")
    assert not topics("Mixer operating manual")  # an equipment kind names the manual, not a section's topic


@pytest.mark.parametrize("question, section", [
    ("Was muss ich vor Arbeiten am Mischer beachten?", "2 Safety"),
    ("Mischer abgeschaltet, was nun?", "3 Resetting after a trip"),  # the embedding alone ranks Safety first
])  # fmt: skip
def test_a_section_heading_on_the_questions_topic_ranks_first(tmp_path: Path, question: str, section: str) -> None:
    """German questions, English manual: the section whose heading is the question's topic comes first."""
    forget_indexes()
    settings = Settings(data_dir=tmp_path / "data")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "mixer_manual.md").write_text(MIXER_MANUAL, encoding="utf-8")
    open_index(settings).add([docs])
    top = search_documents(settings, question, k=3).passages
    assert top[0].section == section, [(p.section, round(p.score, 3)) for p in top]
    forget_indexes()
