"""Shift specifications for KPIs and the handover report: 'yesterday-late', 'late', 'last', 'current',
'2026-11-25-early' → the exact shift window from the plant calendar (``plant.shifts``, ``plant.timezone``).

An unknown shift name is an error that lists the plant's shifts — a KPI is never computed for a window guessed
from a word the calendar does not know. :func:`check_shift_words` applies the same rule to free-text windows.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from assistant.config import PlantSettings
from tools.historian.timewindow import TimeExpressionError, TimeWindow, _parser
from tools.kpi.discovery import lexicon
from tools.opcua.resolve import fold

_DAY_WORDS = {"today": 0, "heute": 0, "yesterday": 1, "gestern": 1, "vorgestern": 2}
_CURRENT = {"current", "this", "now", "aktuell", "aktuelle", "diese", "jetzt"}
_LAST = {"last", "previous", "letzte", "vorige", "prev"}


def _day(word: str, now: datetime) -> date | None:
    w = fold(word)
    if w in _DAY_WORDS:
        return now.date() - timedelta(days=_DAY_WORDS[w])
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", w):
        return date.fromisoformat(w)
    return None


def shift_window(spec: str | None, plant: PlantSettings | None = None, now: datetime | None = None) -> TimeWindow:
    """The window of one shift; ``spec`` empty or 'last' = the last completed shift."""
    parser = _parser(plant)
    now = (now or datetime.now(parser.tz)).astimezone(parser.tz)
    raw = (spec or "last").strip()
    s = fold(raw).replace("_", "-").replace(" ", "-")
    occ = parser.shift_occurrences(now, days=8)
    if s in _LAST or s == "":
        done = [o for o in occ if o.end <= now]
        o = done[-1]
        return parser._window(o.start, o.end, now, raw, f"previous {o.name} shift")
    if s in _CURRENT:
        cur = next((o for o in reversed(occ) if o.start <= now < o.end), None)
        if cur is None:
            raise TimeExpressionError("no shift is running now according to the plant calendar")
        return parser._window(cur.start, now, now, raw, f"current {cur.name} shift")
    m = re.fullmatch(r"(?:(?P<day>\d{4}-\d{2}-\d{2}|[a-z]+)-)?(?P<name>[a-z]+?)(?:-?(?:shift|schicht))?", s)
    if not m:
        raise TimeExpressionError(f"'{raw}' is not a shift; say e.g. 'yesterday-late', 'late', 'last' or 'current'")
    unfold = {fold(w): w for w in parser.shift_word}
    name = parser._canon_shift(unfold.get(m.group("name"), m.group("name")))  # raises for an unknown name
    if m.group("day"):
        day = _day(m.group("day"), now)
        if day is None:
            raise TimeExpressionError(f"'{m.group('day')}' is not a day; say 'today', 'yesterday' or YYYY-MM-DD")
        found = [o for o in parser.shift_occurrences(datetime.combine(day, datetime.min.time(), parser.tz), 1)
                 if o.name == name and o.start.date() == day]  # fmt: skip
        if not found:
            raise TimeExpressionError(f"no {name} shift on {day.isoformat()} in the plant calendar")
        o = found[0]
        return parser._window(o.start, o.end, now, raw, f"{name} shift of {day.isoformat()}")
    started = [o for o in occ if o.name == name and o.start <= now]
    o = started[-1]
    return parser._window(o.start, o.end, now, raw, f"{name} shift starting {o.start:%Y-%m-%d %H:%M}")


def previous_shifts(window: TimeWindow, count: int, plant: PlantSettings | None = None) -> list[TimeWindow]:
    """The ``count`` shifts before the one starting at ``window.start`` (newest first)."""
    parser = _parser(plant)
    occ = [o for o in parser.shift_occurrences(window.start, days=max(3, count)) if o.end <= window.start]
    out = []
    for o in reversed(occ[-count:]):
        out.append(TimeWindow(o.start, o.end, f"{o.start.isoformat()}/{o.end.isoformat()}", f"{o.name} shift"))
    return out


def check_shift_words(expression: str, plant: PlantSettings | None = None) -> None:
    """Raise when a free-text window names a shift the plant calendar does not have ('brunch shift')."""
    parser = _parser(plant)
    units = "|".join(re.escape(fold(w)) for w in parser.lx["units"]["shift"])
    text = fold(expression)
    fillers = {fold(str(w)) for w in lexicon()["shift_fillers"]} | {fold(w) for w in parser.lx.get("last", [])}
    known = {fold(w) for w in parser.shift_word} | {fold(s.name) for s in parser.shifts}
    for m in re.finditer(rf"(?<![\w])([a-z0-9]+)[\s-]*(?:{units})(?![\w])", text):
        word = m.group(1)
        if word in known or word in fillers or word.isdigit() or word in _DAY_WORDS:
            continue
        if any(word + fold(u) in known for u in parser.lx["units"]["shift"]):
            continue  # a compound the lexicon knows: 'Mittagsschicht'
        parser._canon_shift(word)  # raises: no shift called '<word>' (shifts: …)


def shift_label(window: TimeWindow, plant: PlantSettings | None = None) -> str:
    """'late 2026-11-25 14:00–22:00' for a shift window (the plant's own shift name), else the window's times."""
    parser = _parser(plant)
    name = next((o.name for o in parser.shift_occurrences(window.start, 1) if o.start == window.start), "")
    return f"{name} {window.start:%Y-%m-%d %H:%M}–{window.end:%H:%M}".strip()
