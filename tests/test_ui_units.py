"""UI building blocks without a browser: password hashes, charts from tool results, evidence HTML, UI texts."""

from __future__ import annotations

from typer.testing import CliRunner

from assistant.security.passwords import hash_password, users_app, verify_password
from assistant.ui.charts import figure_for, find_rul, find_series
from assistant.ui.evidence import render_evidence
from assistant.ui.texts import t, ui_languages


def test_password_hash_roundtrip_and_format() -> None:
    h = hash_password("s3cret-pass", iterations=100_000)
    algorithm, iterations, salt, digest = h.split("$")
    assert algorithm == "pbkdf2_sha256" and iterations == "100000" and salt and digest
    assert verify_password("s3cret-pass", h)
    assert not verify_password("wrong-pass", h)
    assert not verify_password("s3cret-pass", "md5$1$abc$def") and not verify_password("x", "garbage")
    assert hash_password("s3cret-pass", 100_000) != h  # salted


def test_users_hash_command_prints_a_verifiable_hash() -> None:
    out = CliRunner().invoke(users_app, ["hash", "--password", "long-enough-1", "--iterations", "100000"])
    assert out.exit_code == 0, out.output
    assert verify_password("long-enough-1", out.output.strip())
    short = CliRunner().invoke(users_app, ["hash", "--password", "short"])
    assert short.exit_code == 2


def test_series_found_in_historian_and_opcua_shapes_with_limits_and_periods() -> None:
    points = [
        {"time": "2026-11-26T10:00:00Z", "avg": 40.0, "min": 39.0, "max": 41.0, "count": 60},
        {"time": "2026-11-26T10:01:00Z", "avg": 41.0, "min": 40.0, "max": 42.0, "count": 60},
    ]
    historian = {"signal": "P-101.Temperature", "unit": "°C", "window": {"meaning": "last hour"}, "points": points}
    opcua = {"path": "P-101/Temperature", "unit": "°C", "threshold": 80.0,
             "alarm_periods": [{"start": "2026-11-26T10:00:30Z", "end": None, "code": "E-10"}],
             "points": [{"time": "2026-11-26T10:00:00Z", "value": 40.5, "status": "Good"}]}  # fmt: skip
    found = find_series({"nested": [historian, opcua]})
    assert [s.name for s in found] == ["P-101.Temperature", "P-101/Temperature"]
    assert found[0].low == [39.0, 40.0] and found[1].thresholds == [80.0] and found[1].periods[0]["code"] == "E-10"
    fig = figure_for([{"tool": "historian.downsample", "result": historian}], "de")
    assert fig is not None and len(fig.data) == 3  # min/max band (2 traces) + average
    assert figure_for([{"tool": "opcua.read", "result": [{"value": 1.0, "unit": "bar"}]}], "en") is None


def test_rul_band_accepts_several_spellings() -> None:
    assert (
        find_rul({"asset": "S-1", "rul_hours": 120.0, "rul_hours_low": 80.0, "rul_hours_high": 190.0})[0].upper == 190
    )
    band = find_rul({"result": {"asset": "P-1", "rul_days": 10, "lower": 7, "upper": 14}})[0]
    assert (band.unit, band.median, band.lower) == ("d", 10.0, 7.0)
    rul = {"asset": "S-1", "rul_hours": 100, "rul_hours_low": 50, "rul_hours_high": 150}
    fig = figure_for([{"tool": "maintenance.remaining_useful_life", "result": rul}], "en")
    assert fig is not None and "Remaining useful life" in fig.layout.title.text


def test_evidence_shows_values_units_times_node_ids_and_passages() -> None:
    result = {
        "answer": "x", "mode": "router", "kind": "answer", "grounded": True, "latency_ms": 5,
        "tool_calls": [{"tool": "opcua.read", "arguments": {"node_ids": ["ns=2;s=A"]}, "duration_ms": 1.0,
                        "result": [{"value": 43.7, "unit": "°C", "stable_id": "nsu=urn:x;s=A", "status": "Good",
                                    "source_timestamp": "2026-11-26T10:00:00Z", "path": "Plant/A"}]},
                       {"tool": "documents.search", "arguments": {"query": "E-10"}, "duration_ms": 2.0,
                        "result": {"passages": [{"source": "manual.pdf", "page": 12, "text": "Check the <seal>."}]}}],
        "citations": [{"source": "manual.pdf", "locator": "p. 12", "text": "Check the seal."}],
    }  # fmt: skip
    html = render_evidence(result, "en")
    for needle in ("43.7 °C", "2026-11-26T10:00:00Z", "nsu=urn:x;s=A", "manual.pdf · 12", "&lt;seal&gt;", "<details"):
        assert needle in html
    assert "Werkzeugaufrufe" in render_evidence(result, "de")


def test_every_ui_and_report_language_has_every_key_and_placeholder() -> None:
    import re

    from assistant.prompts import available_languages, load_yaml

    assert {"en", "de", "fr", "es", "it"} <= set(ui_languages())
    assert {"en", "de", "fr", "es", "it"} <= set(available_languages("report"))
    field = re.compile(r"\{[a-z_]+(?::[^}]*)?\}")
    for kind in ("ui", "report"):
        english = load_yaml(f"{kind}/en.yaml")
        for lang in available_languages(kind):
            texts = load_yaml(f"{kind}/{lang}.yaml")
            assert list(texts) == list(english), (kind, lang)
            for key, value in english.items():
                if isinstance(value, str):  # the same fields, or a translation would fail or drop a figure
                    assert sorted(field.findall(texts[key])) == sorted(field.findall(value)), (kind, lang, key)
    assert t("de", "new_conversation") == "Neues Gespräch"
    assert t("fr", "language_name") == "Français" and t("it", "speech_locale") == "it-IT"
