"""The grounding check: numbers and asset codes in an answer must come from the evidence."""

from __future__ import annotations

from assistant.grounding import check_grounding

EVIDENCE = [
    {"value": 45.2871, "unit": "°C", "source_timestamp": "2026-11-26T20:10:03Z", "path": "Site/P-101/Temperature"}
]


def test_rounded_values_and_timestamps_are_grounded() -> None:
    assert check_grounding("P-101 is at 45.3 °C (2026-11-26 20:10:03 UTC).", EVIDENCE).grounded
    assert check_grounding("P-101: aktuell 45,29 °C.", EVIDENCE).grounded


def test_invented_numbers_and_codes_are_not() -> None:
    r = check_grounding("P-101 is at 47.0 °C, P-102 too.", EVIDENCE)
    assert not r.grounded and r.ungrounded_numbers == ["47.0"] and r.ungrounded_codes == ["P-102"]
    assert not check_grounding("P-101 is at 45.29 °C", [{"value": 45.2}]).grounded


def test_numbers_at_the_start_of_a_quoted_line_are_grounded() -> None:
    # JSON escapes the line break before "5.2"; the number is still in the evidence
    passage = {"text": "5.1 Stop the pump.\n5.2 Wait 30 minutes.", "source": "manual.md"}
    assert check_grounding("According to manual.md: “5.1 Stop the pump. 5.2 Wait 30 minutes.”", [passage]).grounded
    assert not check_grounding("According to manual.md: “5.3 Wait 40 minutes.”", [passage]).grounded
