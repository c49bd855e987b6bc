"""The grounding check: numbers and asset codes in an answer must come from the evidence."""

from __future__ import annotations

from assistant.grounding import check_grounding, dropped_values

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


HISTORY_IT = (
    "Dal 2026-02-22 04:29:15 UTC al 2026-08-24 08:56:20 UTC, la velocità di FM-358A è stata in media 837,5 rpm "
    "(minimo 16 rpm, massimo 1659 rpm; 5110 valori, fonte OPC UA HistoryRead opc.tcp://127.0.0.1:4840/werk/sued)."
)


def test_a_rephrasing_that_leaves_out_a_measured_value_is_caught() -> None:
    # grounded (16 and 1659 are in the facts), but the average is gone: "between 16 and 1659" is not the answer
    garbled = "La velocità di FM-358A è stata tra le 16 e le 1659 rpm (5110 valori)."
    assert check_grounding(garbled, [HISTORY_IT]).grounded
    assert dropped_values(HISTORY_IT, garbled) == ["837,5"]
    # the same values in other words, rounded, without the times, count, node or address: nothing dropped
    faithful = "FM-358A: media 838 rpm, minimo 16 e massimo 1659 rpm (HistoryRead)."
    assert dropped_values(HISTORY_IT, faithful) == []


def test_times_codes_node_ids_and_ports_are_no_measured_values() -> None:
    live = ("The current pressure of WT-491A is 7.2 bar (measured 2026-06-08 18:19:12 UTC; source: node "
            "nsu=urn:plant:ua;s=WT-491A.Pressure on opc.tcp://opcua.local:48010).")  # fmt: skip
    assert dropped_values(live, "WT-491A is at 7.2 bar.") == []
    assert dropped_values(live, "WT-491A is fine.") == ["7.2"]
    values = "Füllstand 57 %, Durchfluss 3,2 m³/h, 65 °F, 1480 rpm, 2.1 mm/s, 8 A"
    assert dropped_values(values, "nothing") == ["57", "3,2", "65", "1480", "2.1", "8"]
