"""Time expressions (English, German, ISO) resolve to exact windows in plant time and the shift calendar."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from assistant.config import PlantSettings, ShiftSettings
from tools.historian.timewindow import TimeExpressionError, TimeParser, window_from

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=TZ)  # Thursday, early shift


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


@pytest.fixture(scope="module")
def parser() -> TimeParser:
    return TimeParser(PlantSettings(timezone="Europe/Berlin"))


CASES = [
    # the phrases the issue names
    ("last hour", at(26, 9, 30), NOW),
    ("since 6 am", at(26, 6), NOW),
    ("yesterday", at(25, 0), at(26, 0)),
    ("this shift", at(26, 6), NOW),
    ("letzte Stunde", at(26, 9, 30), NOW),
    ("gestern zwischen 8 und 16 Uhr", at(25, 8), at(25, 16)),
    ("2026-11-25T08:00/2026-11-25T16:00", at(25, 8), at(25, 16)),
    ("2026-11-20 to 2026-11-22", at(20, 0), at(23, 0)),
    ("2026-11-25T07:00:00Z/2026-11-25T09:00:00Z", at(25, 8), at(25, 10)),
    # more English
    ("in the last 24 hours", at(25, 10, 30), NOW),
    ("past 30 min", at(26, 10), NOW),
    ("the last two hours", at(26, 8, 30), NOW),
    ("today", at(26, 0), NOW),
    ("yesterday between 8 am and 4 pm", at(25, 8), at(25, 16)),
    ("since yesterday 22:00", at(25, 22), NOW),
    ("last shift", at(25, 22), at(26, 6)),
    ("last 3 shifts", at(25, 6), at(26, 6)),
    ("early shift yesterday", at(25, 6), at(25, 14)),
    ("last night", at(25, 22), at(26, 6)),
    ("this week", at(23, 0), NOW),
    ("last 7 days", at(19, 10, 30), NOW),
    ("between 8 and 9", at(26, 8), at(26, 9)),
    # more German
    ("seit 6 Uhr", at(26, 6), NOW),
    ("seit gestern", at(25, 0), NOW),
    ("in den letzten 2 Stunden", at(26, 8, 30), NOW),
    ("letzte Schicht", at(25, 22), at(26, 6)),
    ("Frühschicht gestern", at(25, 6), at(25, 14)),
    ("Nachtschicht", at(25, 22), at(26, 6)),
    ("in der aktuellen Schicht", at(26, 6), NOW),
    ("heute", at(26, 0), NOW),
    ("vorgestern", at(24, 0), at(25, 0)),
    ("diese Woche", at(23, 0), NOW),
    ("letzte 3 Tage", at(23, 10, 30), NOW),
    ("25.11.2026", at(25, 0), at(26, 0)),
    ("vor 2 Stunden", at(26, 8, 30), NOW),
    # inside a question
    ("wann war die Temperatur gestern über 80 °C?", at(25, 0), at(26, 0)),
    ("average pressure of K-2 in the last hour", at(26, 9, 30), NOW),
]


@pytest.mark.parametrize(("text", "start", "end"), CASES, ids=[c[0] for c in CASES])
def test_phrases(parser: TimeParser, text: str, start: datetime, end: datetime) -> None:
    w = parser.parse(text, NOW)
    assert (w.start, w.end) == (start, end), w.meaning
    assert w.expression == text
    assert w.start.tzinfo is not None and w.start.utcoffset() == NOW.utcoffset()


def test_shift_calendar_across_midnight(parser: TimeParser) -> None:
    w = parser.parse("this shift", at(26, 23, 15))
    assert (w.start, w.end, w.meaning) == (at(26, 22), at(26, 23, 15), "current night shift")
    w = parser.parse("diese Schicht", at(27, 3))
    assert (w.start, w.end) == (at(26, 22), at(27, 3))
    w = parser.parse("last shift", at(27, 3))
    assert (w.start, w.end, w.meaning) == (at(26, 14), at(26, 22), "previous late shift")


def test_custom_shift_calendar_and_timezone() -> None:
    plant = PlantSettings(
        timezone="America/New_York",
        shifts=[
            ShiftSettings(name="day", start="07:00", end="19:00"),
            ShiftSettings(name="night", start="19:00", end="07:00"),
        ],
    )
    ny = ZoneInfo("America/New_York")
    now = datetime(2026, 11, 26, 20, 0, tzinfo=ny)
    w = window_from("this shift", plant, now=now)
    assert (w.start, w.end) == (datetime(2026, 11, 26, 19, tzinfo=ny), now)
    w = window_from("day shift yesterday", plant, now=now)
    assert (w.start, w.end) == (datetime(2026, 11, 25, 7, tzinfo=ny), datetime(2026, 11, 25, 19, tzinfo=ny))
    with pytest.raises(TimeExpressionError, match="no shift called 'late'"):
        window_from("late shift", plant, now=now)


def test_bad_expressions(parser: TimeParser) -> None:
    with pytest.raises(TimeExpressionError, match="no time window given"):
        parser.parse("  ", NOW)
    with pytest.raises(TimeExpressionError, match="could not understand the time 'blue elephants'"):
        parser.parse("blue elephants", NOW)
    with pytest.raises(TimeExpressionError, match="has not started yet, or is empty"):
        parser.parse("2026-12-01/2026-12-02", NOW)
    with pytest.raises(TimeExpressionError, match="not a time of day"):
        parser.parse("yesterday between 8 and 27", NOW)


def test_explicit_start_end_in_plant_time() -> None:
    plant = PlantSettings(timezone="Europe/Berlin")
    w = window_from(None, plant, now=NOW, start=datetime(2026, 11, 26, 8, 0), end=datetime(2026, 11, 26, 9, 0))
    assert (w.start, w.end) == (at(26, 8), at(26, 9))
    assert w.seconds == 3600
