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


# French, Spanish and Italian (prompts/time/fr.yaml, es.yaml, it.yaml): the same windows as their English twins
ROMANCE_CASES = [
    # French
    ("hier", at(25, 0), at(26, 0)),
    ("la dernière heure", at(26, 9, 30), NOW),
    ("les 2 dernières heures", at(26, 8, 30), NOW),
    ("les trois dernières heures", at(26, 7, 30), NOW),
    ("sur les dernières 24 heures", at(25, 10, 30), NOW),
    ("depuis 6 h", at(26, 6), NOW),
    ("depuis 6h30", at(26, 6, 30), NOW),
    ("hier entre 8 h et 16 h", at(25, 8), at(25, 16)),
    ("hier de 8 h à 16 h", at(25, 8), at(25, 16)),
    ("cette équipe", at(26, 6), NOW),
    ("ce poste", at(26, 6), NOW),
    ("l'équipe actuelle", at(26, 6), NOW),
    ("avant-hier", at(24, 0), at(25, 0)),
    ("aujourd'hui", at(26, 0), NOW),
    ("la semaine dernière", at(19, 10, 30), NOW),
    ("le dernier poste", at(25, 22), at(26, 6)),
    ("l'équipe du matin d'hier", at(25, 6), at(25, 14)),
    ("la nuit dernière", at(25, 22), at(26, 6)),
    ("depuis 3 jours", at(23, 10, 30), NOW),
    ("une demi-heure", at(26, 10), NOW),
    ("Quelle était la température moyenne de la pompe P-101 au cours de la dernière heure ?", at(26, 9, 30), NOW),
    # Spanish
    ("ayer", at(25, 0), at(26, 0)),
    ("las últimas 2 horas", at(26, 8, 30), NOW),
    ("las últimas dos horas", at(26, 8, 30), NOW),
    ("las 3 últimas horas", at(26, 7, 30), NOW),
    ("desde las 6", at(26, 6), NOW),
    ("ayer entre las 8 y las 16", at(25, 8), at(25, 16)),
    ("ayer desde las 8 hasta las 16", at(25, 8), at(25, 16)),
    ("este turno", at(26, 6), NOW),
    ("el turno actual", at(26, 6), NOW),
    ("anteayer", at(24, 0), at(25, 0)),
    ("hoy", at(26, 0), NOW),
    ("la semana pasada", at(19, 10, 30), NOW),
    ("el turno anterior", at(25, 22), at(26, 6)),
    ("los 2 últimos turnos", at(25, 14), at(26, 6)),
    ("turno de mañana de ayer", at(25, 6), at(25, 14)),
    ("anoche", at(25, 22), at(26, 6)),
    ("hace 3 horas", at(26, 7, 30), NOW),
    ("¿Caudal mínimo de P-3 en las últimas 24 horas?", at(25, 10, 30), NOW),
    # Italian
    ("ieri", at(25, 0), at(26, 0)),
    ("nelle ultime 3 ore", at(26, 7, 30), NOW),
    ("nelle ultime tre ore", at(26, 7, 30), NOW),
    ("nell'ultima ora", at(26, 9, 30), NOW),
    ("mezz'ora", at(26, 10), NOW),
    ("dalle 6", at(26, 6), NOW),
    ("dalle 8.30", at(26, 8, 30), NOW),
    ("ieri tra le 8 e le 16", at(25, 8), at(25, 16)),
    ("ieri dalle 8 alle 16", at(25, 8), at(25, 16)),
    ("questo turno", at(26, 6), NOW),
    ("il turno in corso", at(26, 6), NOW),
    ("l'altro ieri", at(24, 0), at(25, 0)),
    ("oggi", at(26, 0), NOW),
    ("la settimana scorsa", at(19, 10, 30), NOW),
    ("l'ultimo turno", at(25, 22), at(26, 6)),
    ("gli ultimi 3 turni", at(25, 6), at(26, 6)),
    ("turno del mattino di ieri", at(25, 6), at(25, 14)),
    ("il turno di notte", at(25, 22), at(26, 6)),
    ("stanotte", at(25, 22), at(26, 6)),
    ("le 24 ore precedenti", at(25, 10, 30), NOW),
    ("Qual era la pressione media del compressore K-2 nelle ultime 8 ore?", at(26, 2, 30), NOW),
]


@pytest.mark.parametrize(("text", "start", "end"), ROMANCE_CASES, ids=[c[0] for c in ROMANCE_CASES])
def test_french_spanish_italian_phrases(parser: TimeParser, text: str, start: datetime, end: datetime) -> None:
    w = parser.parse(text, NOW)
    assert (w.start, w.end) == (start, end), w.meaning
    assert w.expression == text
    assert w.start.tzinfo is not None and w.start.utcoffset() == NOW.utcoffset()


def test_romance_word_orders_keep_english_and_german_meanings(parser: TimeParser) -> None:
    # "N last unit" needs a plural 'last' word: the 2 of "Linie 2 letzte Woche" is the line, not two weeks
    assert parser.parse("Linie 2 letzte Woche", NOW).start == at(19, 10, 30)
    assert parser.parse("line 2 last week", NOW).start == at(19, 10, 30)
    # minutes follow an o'clock word only when written onto it ('6h30'): '6 Uhr 80 °C' is 6 o'clock
    w = parser.parse("Wie oft hat die Temperatur von P-101 seit 6 Uhr 80 °C überschritten?", NOW)
    assert (w.start, w.end) == (at(26, 6), NOW)


def test_since_a_number_and_a_unit_is_a_duration(parser: TimeParser) -> None:
    assert parser.parse("seit 3 Stunden", NOW).start == at(26, 7, 30)
    assert parser.parse("since 2 days", NOW).start == at(24, 10, 30)
    assert parser.parse("depuis 3 jours", NOW).start == at(23, 10, 30)
    # unless the unit also names an hour of the clock and the number can be one
    assert parser.parse("depuis 6 heures", NOW).start == at(26, 6)
    assert parser.parse("depuis 24 heures", NOW).start == at(25, 10, 30)


@pytest.mark.parametrize(
    "question",
    [
        "Qual è la temperatura di P-101 ora?",  # 'ora' is 'now' here, and 101 belongs to the pump
        "Quanto vale la pressione su K-1 ora?",
        "¿Qué presión tiene el compresor K-9 ahora?",
        "Quelle est la température actuelle de la pompe P-7 ?",
        "Quelles alarmes sont actives maintenant ?",
    ],
)
def test_romance_live_questions_name_no_window(parser: TimeParser, question: str) -> None:
    with pytest.raises(TimeExpressionError, match="could not understand the time"):
        parser.parse(question, NOW)


@pytest.mark.parametrize("text", ["des éléphants bleus", "elefantes azules", "elefanti blu"])
def test_romance_unknown_phrase_gives_the_english_error(parser: TimeParser, text: str) -> None:
    with pytest.raises(TimeExpressionError) as english:
        parser.parse("blue elephants", NOW)
    with pytest.raises(TimeExpressionError) as other:
        parser.parse(text, NOW)
    assert str(other.value) == str(english.value).replace("blue elephants", text)
    assert other.value.exit_code == english.value.exit_code == 2
