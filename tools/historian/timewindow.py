"""Time expressions → an exact window in plant time.

Resolves phrases like 'last hour', 'since 6 am', 'yesterday', 'this shift', 'letzte Stunde',
'gestern zwischen 8 und 16 Uhr', 'les 3 dernières heures', 'ayer entre las 8 y las 16', 'dalle 6' and ISO ranges
('2026-11-25T08:00/2026-11-25T16:00') against the plant's time zone and shift calendar (``settings.plant``).
The words live in ``prompts/time/<language>.yaml`` (data, not code; en, de, fr, es, it). All files are merged
into one lexicon, so no language is chosen per question: a phrase in any of them is understood, and a language
without a file only as far as its words happen to be in another's. The patterns here are language-neutral slots
filled from those lists: a 'last' word stands before the number ('last 3 hours'), or from ``last_mid`` between
number and unit ('les 3 dernières heures'), or from ``last_after`` after the unit ('la semaine dernière',
'el turno anterior'); ``this_after`` words follow the unit ('el turno actual'); ``last_night`` holds whole
phrases ('anoche'). ``dateparser``, in the lexicon's languages, is the last resort for free-form dates
('25 November 2026', '3 hours ago'). Windows are half-open [start, end) and never reach past 'now'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from assistant.config import PlantSettings, ShiftSettings
from tools.historian.store import HistorianError

LEXICON_DIR = Path(__file__).resolve().parents[2] / "prompts" / "time"
_DMY = r"(?<!\d)(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d)"
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400}


class TimeExpressionError(HistorianError):
    exit_code = 2


@dataclass(frozen=True, slots=True)
class TimeWindow:
    start: datetime
    end: datetime
    expression: str
    meaning: str

    @property
    def start_ms(self) -> int:
        return int(self.start.timestamp() * 1000)

    @property
    def end_ms(self) -> int:
        return int(self.end.timestamp() * 1000)

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def text(self) -> str:
        a, b = self.start, self.end
        tail = b.strftime("%H:%M:%S") if a.date() == b.date() else b.strftime("%Y-%m-%d %H:%M:%S")
        return f"{a.strftime('%Y-%m-%d %H:%M:%S')} – {tail} {a.tzname()}"


@dataclass(frozen=True, slots=True)
class _Shift:
    name: str
    start: datetime
    end: datetime


def _alt(words: list[str]) -> str:
    ws = sorted({w.lower() for w in words if w}, key=len, reverse=True)
    if not ws:
        return "(?!)"  # an empty slot matches nothing, not the empty string
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ws) + ")"


@lru_cache(maxsize=4)
def _lexicon(directory: str) -> dict[str, Any]:
    merged: dict[str, Any] = {"units": {}, "numbers": {}, "meridiem": {}, "shift_names": {}, "languages": []}
    for f in sorted(Path(directory).glob("*.yaml")):
        merged["languages"].append(f.stem)
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for key, val in data.items():
            if isinstance(val, dict):
                target = merged.setdefault(key, {})
                for k, v in val.items():
                    if isinstance(v, list):
                        target.setdefault(k, []).extend(str(x) for x in v)
                    else:
                        target[str(k)] = v
            else:
                merged.setdefault(key, []).extend(str(x) for x in val)
    return merged


def _b(p: str) -> str:
    return rf"(?<![\w]){p}(?![\w])"


class TimeParser:
    """Parse time expressions for one plant calendar. ``parse(text, now)`` → :class:`TimeWindow`."""

    def __init__(self, plant: PlantSettings | None = None, lexicon_dir: Path = LEXICON_DIR) -> None:
        plant = plant or PlantSettings()
        self.tz = ZoneInfo(plant.timezone)
        self.shifts: list[ShiftSettings] = list(plant.shifts)
        lx = _lexicon(str(lexicon_dir))
        self.lx = lx
        self.numbers: dict[str, float] = {k.lower(): float(v) for k, v in lx["numbers"].items()}
        self.unit_of: dict[str, str] = {w.lower(): u for u, ws in lx["units"].items() for w in ws}
        self.shift_word: dict[str, str] = {}
        for canon, words in lx["shift_names"].items():
            for w in words:
                self.shift_word[w.lower()] = canon
        for s in self.shifts:
            self.shift_word.setdefault(s.name.lower(), s.name.lower())
        # a number starts a word, and is not the tail of a code: "P-101 ora" is not "101 hours"
        num = rf"(?P<num>(?<![\w.,])(?<![^\W\d_]-)\d+(?:[.,]\d+)?|(?<![\w]){_alt(list(self.numbers))})"
        self.re_last = _alt(lx["last"])
        self.re_this = _alt(lx["this"])
        last_mid, last_after = _b(_alt(lx.get("last_mid", []))), _b(_alt(lx.get("last_after", [])))
        this_after = _b(_alt(lx.get("this_after", [])))
        units = _alt(list(self.unit_of))
        shift_unit = _alt(lx["units"]["shift"])

        def last_n(unit: str) -> re.Pattern[str]:
            # 'last 3 hours', 'les 3 dernières heures', 'la semaine dernière';
            # a unit never continues a word: "and" is not "an" + "d"
            return re.compile(
                rf"(?:(?P<last>{_b(self.re_last)})\s*)?(?:{num}\s*)?(?:(?P<last2>{last_mid})\s+)?"
                rf"(?<![^\W\d_])(?P<unit>{unit})(?![\w])(?:\s+(?P<last3>{last_after}))?"
            )

        self.p_relative = last_n(units)
        self.p_this_unit = re.compile(
            rf"{_b(self.re_this)}\s+(?P<unit>{units})(?![\w])|(?<![^\W\d_])(?P<unit2>{units})\s+{this_after}"
        )
        self.p_this_shift = re.compile(
            rf"{_b(self.re_this)}\s+{shift_unit}(?![\w])|(?<![\w]){shift_unit}\s+{this_after}"
        )
        self.p_last_shift = last_n(shift_unit)
        names = _alt(list(self.shift_word))
        self.p_named_shift = re.compile(
            rf"(?<![\w])(?P<name>{names})\s*-?\s*{shift_unit}(?![\w])|(?<![\w]){shift_unit}\s+(?P<name2>{names})(?![\w])"
        )
        self.p_last_night = re.compile(
            rf"{_b(self.re_last)}\s+(?:night|nacht)(?![\w])|{_b(_alt(lx.get('last_night', [])))}"
        )
        mer = _alt(list(lx["meridiem"])) if lx["meridiem"] else "(?!x)x"
        self.meridiem: dict[str, str] = {k.lower(): v for k, v in lx["meridiem"].items()}
        oclock = _alt(lx["oclock"])
        self.oclock = {w.lower() for w in lx["oclock"]}
        # minutes after ':', '.' or right after an o'clock word: '8:30', '8.30', '8h30'
        self._time = lambda i: (
            rf"(?P<h{i}>\d{{1,2}})(?:(?::|\.|\s*(?:{oclock}))(?P<m{i}>\d{{2}})(?!\d))?"
            rf"\s*(?P<ap{i}>{mer})?\s*(?:{oclock})?"
        )
        between, conj = _alt(lx["between"]), _alt(lx["and"])
        self.p_between = re.compile(rf"{_b(between)}\s+{self._time(1)}\s*{conj}\s*{self._time(2)}(?![\w])")
        self.p_since = re.compile(rf"{_b(_alt(lx['since']))}\s+")
        self.p_time = re.compile(rf"^{self._time(1)}(?![\w])")
        self.p_unit_next = re.compile(rf"\s*(?P<unit>{units})(?![\w])")
        self.p_day = re.compile(
            rf"{_b(_alt(lx['day_before_yesterday']))}|(?P<yest>{_b(_alt(lx['yesterday']))})|"
            rf"(?P<today>{_b(_alt(lx['today']))})|(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})(?![\d:t])"
        )
        iso_conj = _alt(["/", "..", "to", "bis", "until", "–", "and", "und", " - "])
        self.p_iso_range = re.compile(rf"({self._ISO})\s*{iso_conj}\s*({self._ISO})")
        self.p_iso_since = re.compile(rf"(?:{_alt(lx['since'])}\s+)?({self._ISO})")

    # --- helpers ----------------------------------------------------------------------------------------
    def _local(self, d: date, t: time) -> datetime:
        return datetime.combine(d, t, tzinfo=self.tz)

    def _num(self, s: str | None) -> float:
        if not s:
            return 1.0
        s = s.lower()
        return float(s.replace(",", ".")) if s[0].isdigit() else self.numbers[s]

    def _time_of(self, m: re.Match[str], i: int) -> time:
        h, mi = int(m.group(f"h{i}")), int(m.group(f"m{i}") or 0)
        ap = self.meridiem.get((m.group(f"ap{i}") or "").lower().replace(" ", ""))
        if ap == "pm" and h < 12:
            h += 12
        elif ap == "am" and h == 12:
            h = 0
        if h == 24 and mi == 0:
            return time(23, 59, 59, 999000)
        if h > 23 or mi > 59:
            raise TimeExpressionError(f"'{m.group(0).strip()}' is not a time of day")
        return time(h, mi)

    def shift_occurrences(self, around: datetime, days: int = 3) -> list[_Shift]:
        out: list[_Shift] = []
        base = around.astimezone(self.tz).date()
        for d in range(-days, 2):
            day = base + timedelta(days=d)
            for s in self.shifts:
                st = self._local(day, time.fromisoformat(s.start))
                en = self._local(day, time.fromisoformat(s.end))
                if en <= st:
                    en = self._local(day + timedelta(days=1), time.fromisoformat(s.end))
                out.append(_Shift(s.name, st, en))
        return sorted(out, key=lambda x: x.start)

    def _canon_shift(self, word: str) -> str:
        names = {s.name.lower(): s.name for s in self.shifts}
        if word.lower() in names:  # the plant's own shift names win over the lexicon's synonyms
            return names[word.lower()]
        canon = self.shift_word.get(word.lower(), word.lower())
        if canon not in names:
            raise TimeExpressionError(
                f"no shift called '{word}' in the plant calendar (shifts: {', '.join(s.name for s in self.shifts)})"
            )
        return names[canon]

    def _window(self, start: datetime, end: datetime, now: datetime, text: str, meaning: str) -> TimeWindow:
        end = min(end, now)
        if start >= end:
            raise TimeExpressionError(f"the time window '{text}' ({meaning}) has not started yet, or is empty")
        return TimeWindow(start.astimezone(self.tz), end.astimezone(self.tz), text, meaning)

    def _iso(self, s: str) -> tuple[datetime, bool]:
        s = s.strip().upper().replace(" ", "T")
        try:
            if len(s) == 10:
                return self._local(date.fromisoformat(s), time()), True
            dt = datetime.fromisoformat(s)
        except ValueError as exc:
            raise TimeExpressionError(f"'{s}' is not an ISO date or time") from exc
        return (dt if dt.tzinfo else dt.replace(tzinfo=self.tz)), False

    # --- the grammar -----------------------------------------------------------------------------------
    def parse(self, text: str, now: datetime | None = None) -> TimeWindow:
        raw = (text or "").strip()
        if not raw:
            raise TimeExpressionError("no time window given; say e.g. 'last hour', 'yesterday' or 'this shift'")
        now = (now or datetime.now(self.tz)).astimezone(self.tz)
        s = " ".join(raw.lower().replace("’", "'").split())
        s = re.sub(_DMY, lambda m: f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}", s)  # 25.11.2026 → 2026-11-25
        s = s.strip(" ?!.,;")
        for step in (self._iso_range, self._since, self._day, self._between_today, self._shift, self._relative):
            w = step(s, now, raw)
            if w is not None:
                return w
        return self._fallback(s, now, raw)

    _ISO = r"\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:z|[+-]\d{2}:?\d{2})?"

    def _iso_range(self, s: str, now: datetime, raw: str) -> TimeWindow | None:
        m = self.p_iso_range.search(s)
        if not m:
            m1 = self.p_iso_since.fullmatch(s)
            if m1 and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", m1.group(1)):
                a, _ = self._iso(m1.group(1))
                return self._window(a, now, now, raw, f"since {a.isoformat()}")
            return None
        a, _ = self._iso(m.group(1))
        b, b_is_date = self._iso(m.group(2))
        if b_is_date:
            b += timedelta(days=1)  # an end date includes that whole day
        return self._window(a, b, now, raw, "ISO range")

    def _since(self, s: str, now: datetime, raw: str) -> TimeWindow | None:
        for m in self.p_since.finditer(s):
            if self.p_between.match(s, m.start()):
                continue  # 'desde las 8 hasta las 16', 'dalle 8 alle 16': a range, not an open start
            rest = s[m.end() :].strip()
            day = now.date()
            # the day comes first ('since yesterday 22:00') or after the time ('since 6 am yesterday'): a
            # since-word that means 'from' ('depuis le tableau … hier') does not reach a later day word
            dm = self.p_day.match(rest)
            if not dm and (tm := self.p_time.search(rest)):
                dm = self.p_day.search(rest, tm.end())
            explicit_day = False
            if dm:
                day = self._day_of(dm, now)
                explicit_day = True
                rest = (rest[: dm.start()] + rest[dm.end() :]).strip()
            tm = self.p_time.search(rest)
            if tm:
                # a number and a unit is a duration ('seit 3 Stunden', 'depuis 2 jours'), left to the relative
                # step, unless the unit also names an hour of the clock and the number can be one ('depuis 6 h')
                um = self.p_unit_next.match(rest, tm.end("h1"))
                if (
                    um
                    and not (tm.group("m1") or tm.group("ap1"))
                    and (int(tm.group("h1")) > 23 or um.group("unit") not in self.oclock)
                ):
                    continue
                t = self._time_of(tm, 1)
                start = self._local(day, t)
                if start > now and not explicit_day:
                    start -= timedelta(days=1)
                return self._window(start, now, now, raw, f"since {start.strftime('%Y-%m-%d %H:%M')}")
            if explicit_day:
                start = self._local(day, time())
                return self._window(start, now, now, raw, f"since {day.isoformat()} 00:00")
        return None

    def _day_of(self, m: re.Match[str], now: datetime) -> date:
        if m.group("iso"):
            return date.fromisoformat(m.group("iso"))
        if m.group("today"):
            return now.date()
        if m.group("yest"):
            return now.date() - timedelta(days=1)
        return now.date() - timedelta(days=2)

    def _day(self, s: str, now: datetime, raw: str) -> TimeWindow | None:
        m = self.p_day.search(s)
        if not m:
            return None
        day = self._day_of(m, now)
        rest = s[: m.start()] + " " + s[m.end() :]
        bm = self.p_between.search(rest)
        if bm:
            a, b = self._local(day, self._time_of(bm, 1)), self._local(day, self._time_of(bm, 2))
            if b <= a:
                b += timedelta(days=1)
            return self._window(a, b, now, raw, f"{day.isoformat()} {a:%H:%M}–{b:%H:%M}")
        sm = self.p_named_shift.search(rest)
        if sm:
            name = self._canon_shift(sm.group("name") or sm.group("name2"))
            occ = next(o for o in self.shift_occurrences(now) if o.name == name and o.start.date() == day)
            return self._window(occ.start, occ.end, now, raw, f"{name} shift of {day.isoformat()}")
        start = self._local(day, time())
        return self._window(start, self._local(day + timedelta(days=1), time()), now, raw, f"day {day.isoformat()}")

    def _between_today(self, s: str, now: datetime, raw: str) -> TimeWindow | None:
        bm = self.p_between.search(s)
        if not bm:
            return None
        a, b = self._local(now.date(), self._time_of(bm, 1)), self._local(now.date(), self._time_of(bm, 2))
        if b <= a:
            b += timedelta(days=1)
        if a > now:
            a, b = a - timedelta(days=1), b - timedelta(days=1)
        return self._window(a, b, now, raw, f"{a:%Y-%m-%d %H:%M}–{b:%H:%M}")

    def _shift(self, s: str, now: datetime, raw: str) -> TimeWindow | None:
        shift_words = (self.p_this_shift, self.p_last_shift, self.p_named_shift, self.p_last_night)
        if not any(p.search(s) for p in shift_words):
            return None  # no shift named: the calendar need not be laid out
        occ = self.shift_occurrences(now)
        started = [o for o in occ if o.start <= now]
        if self.p_this_shift.search(s):
            cur = next((o for o in reversed(started) if o.end > now), None)
            if cur is None:
                raise TimeExpressionError("no shift is running now according to the plant calendar")
            return self._window(cur.start, now, now, raw, f"current {cur.name} shift")
        m = next((m for m in self.p_last_shift.finditer(s) if m["last"] or m["last2"] or m["last3"]), None)
        if m:
            n = max(1, int(self._num(m.group("num"))))
            done = [o for o in occ if o.end <= now]
            if len(done) < n:
                raise TimeExpressionError(f"only {len(done)} shifts are in the calendar window")
            first, last = done[-n], done[-1]
            meaning = f"previous {last.name} shift" if n == 1 else f"previous {n} shifts"
            return self._window(first.start, last.end, now, raw, meaning)
        m = self.p_named_shift.search(s)
        if m:
            name = self._canon_shift(m.group("name") or m.group("name2"))
            o = next(o for o in reversed(started) if o.name == name)
            return self._window(o.start, o.end, now, raw, f"{name} shift starting {o.start:%Y-%m-%d %H:%M}")
        if self.p_last_night.search(s):
            night = [o for o in started if o.start.hour >= 18 or o.end.date() > o.start.date()]
            if night:
                o = night[-1]
                return self._window(o.start, o.end, now, raw, f"{o.name} shift starting {o.start:%Y-%m-%d %H:%M}")
        return None

    def _relative(self, s: str, now: datetime, raw: str) -> TimeWindow | None:
        m = self.p_this_unit.search(s)
        if m:
            unit = self.unit_of[m.group("unit") or m.group("unit2")]
            if unit == "hour":
                start = now.replace(minute=0, second=0, microsecond=0)
            elif unit == "day":
                start = self._local(now.date(), time())
            elif unit == "week":
                start = self._local(now.date() - timedelta(days=now.weekday()), time())
            elif unit == "month":
                start = self._local(now.date().replace(day=1), time())
            else:
                start = now.replace(second=0, microsecond=0)
            return self._window(start, now, now, raw, f"this {unit} (since {start:%Y-%m-%d %H:%M})")
        for m in self.p_relative.finditer(s):
            if not (m.group("last") or m.group("num") or m.group("last2") or m.group("last3")):
                continue
            unit = self.unit_of[m.group("unit")]
            if unit == "shift":
                continue
            n = self._num(m.group("num"))
            start = now - timedelta(seconds=n * _UNIT_SECONDS[unit])
            return self._window(start, now, now, raw, f"last {n:g} {unit}{'s' if n != 1 else ''}")
        return None

    def _fallback(self, s: str, now: datetime, raw: str) -> TimeWindow:
        import dateparser

        found = dateparser.parse(
            s,
            languages=self.lx["languages"],
            settings={
                "TIMEZONE": str(self.tz),
                "RETURN_AS_TIMEZONE_AWARE": True,
                "RELATIVE_BASE": now.replace(tzinfo=None),
                "PREFER_DATES_FROM": "past",
                "DATE_ORDER": "DMY",
            },
        )
        if found is None:
            raise TimeExpressionError(
                f"could not understand the time '{raw}'; say e.g. 'last hour', 'since 6 am', 'yesterday', "
                "'this shift', 'letzte Stunde', 'gestern zwischen 8 und 16 Uhr' or an ISO range"
            )
        found = found.astimezone(self.tz)
        if found.time() == time() and not re.search(r"\d:\d", s):
            day = found.date()
            return self._window(
                self._local(day, time()), self._local(day + timedelta(days=1), time()), now, raw, f"day {day}"
            )
        return self._window(found, now, now, raw, f"since {found:%Y-%m-%d %H:%M}")


def window_from(
    expression: str | None,
    plant: PlantSettings | None = None,
    now: datetime | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> TimeWindow:
    """A window from an expression, or from explicit start/end datetimes (naive ones are plant time)."""
    parser = _parser(plant)
    if start is not None or end is not None:
        now = (now or datetime.now(parser.tz)).astimezone(parser.tz)
        b = end or now
        b = b if b.tzinfo else b.replace(tzinfo=parser.tz)
        a = start or b - timedelta(hours=1)
        a = a if a.tzinfo else a.replace(tzinfo=parser.tz)
        return parser._window(a, b, now, expression or f"{a.isoformat()}/{b.isoformat()}", "explicit range")
    return parser.parse(expression or "", now)


_PARSERS: dict[str, TimeParser] = {}


def _parser(plant: PlantSettings | None) -> TimeParser:
    plant = plant or PlantSettings()
    key = plant.model_dump_json()
    if key not in _PARSERS:
        _PARSERS[key] = TimeParser(plant)
    return _PARSERS[key]
