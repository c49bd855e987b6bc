"""Dates named in a document question ("in September", "am 6. Oktober", "on 2026-10-06", "le 3 novembre"):
the period they mean, so that log passages from that period can rank higher.

Owns the date reading for retrieval. Month names come from ``prompts/lexicon/months.yaml`` (any language
listed there); ISO (``2026-10-06``) and German numeric dates (``06.10.2026``) are read as well. A date written
without a year means the latest such period the index's logs reach: the question is asked of those logs, so
"September" is the last September they cover, whatever today's date is. Short month forms that are also words
("mar", "may", "mai" on their own) count only beside a day number. Seasons ("this autumn", "im Herbst";
``prompts/lexicon/seasons.yaml``) are their three months, the latest that has begun.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date

from assistant.prompts import load_yaml

_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DOTTED = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_AMBIGUOUS = {"mar", "may", "mai", "sep", "set", "dec", "gen", "mag", "ago", "jun", "jul"}


@dataclass(frozen=True)
class Period:
    """A closed range of days named by a question."""

    start: date
    end: date

    def overlaps(self, first: str | None, last: str | None) -> bool:
        """Does a passage's time range (ISO date strings; either may be missing) touch this period?"""
        if not first and not last:
            return False
        a = (first or last or "")[:10]
        b = (last or first or "")[:10]
        return a <= self.end.isoformat() and b >= self.start.isoformat()


@functools.cache
def _months() -> dict[str, int]:
    out: dict[str, int] = {}
    for names in load_yaml("lexicon/months.yaml").values():
        for number, forms in enumerate(names, start=1):
            for form in forms:
                out.setdefault(str(form).lower(), number)
    return out


@functools.cache
def _month_pattern() -> re.Pattern[str]:
    names = sorted(_months(), key=len, reverse=True)
    alt = "|".join(re.escape(n) for n in names)
    # an optional day before ("6. Oktober", "3 novembre") or after ("October 6", "October 6th") the month name
    return re.compile(
        rf"(?<![\w])(?:(?P<d1>\d{{1,2}})\.?\s*(?:de\s+)?)?(?P<m>{alt})\.?(?:\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b)?"
        rf"(?:\s+(?P<y>\d{{4}}))?(?![\w])",
        re.IGNORECASE,
    )


_SEASON_START = {"spring": 3, "summer": 6, "autumn": 9, "winter": 12}


@functools.cache
def _seasons() -> dict[str, str]:
    return {str(w).lower(): season for names in load_yaml("lexicon/seasons.yaml").values()
            for season, words in names.items() for w in words}  # fmt: skip


def _season(question: str, until: date) -> Period | None:
    low = question.lower()
    for word, season in _seasons().items():
        if re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", low):
            first = _SEASON_START[season]
            year = until.year if until.month >= first else until.year - 1  # January/February: last year's winter
            start = date(year, first, 1)
            end_month, end_year = (first + 2 - 1) % 12 + 1, year + (first + 2 > 12)
            return Period(start, date(end_year, end_month, calendar.monthrange(end_year, end_month)[1]))
    return None


def _latest(month: int, day: int | None, year: int | None, until: date) -> Period | None:
    years = [year] if year else [until.year, until.year - 1]
    for y in years:
        last_day = calendar.monthrange(y, month)[1]
        if day is not None and not 1 <= day <= last_day:
            return None
        start = date(y, month, day or 1)
        if year or start <= until:
            return Period(start, date(y, month, day or last_day))
    return None


def named_period(question: str, until: date) -> Period | None:
    """The period the question names (the first date it mentions), or None; ``until``: the newest log date."""
    if m := _ISO.search(question):
        d = date(int(m[1]), int(m[2]), int(m[3]))
        return Period(d, d)
    if m := _DOTTED.search(question):
        try:
            d = date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            return None
        return Period(d, d)
    for m in _month_pattern().finditer(question):
        name = m["m"].lower()
        day = m["d1"] or m["d2"]
        if name in _AMBIGUOUS and not day:
            continue
        return _latest(_months()[name], int(day) if day else None, int(m["y"]) if m["y"] else None, until)
    return _season(question, until)
