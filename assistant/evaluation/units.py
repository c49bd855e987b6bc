"""Units for scoring: spellings of the same unit, conversions between units of one quantity, and the numbers
(with the unit that follows them) found in an answer text in any of the shipped languages."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# canonical unit → spellings seen in answers (case-sensitive where case matters: K vs k, W vs w)
UNIT_ALIASES: dict[str, tuple[str, ...]] = {
    "°C": ("°C", "° C", "degC", "deg C", "Grad Celsius", "degrees Celsius", "degrés Celsius", "grados Celsius"),
    "°F": ("°F", "° F", "degF", "Fahrenheit", "degrees Fahrenheit"),
    "K": ("K", "Kelvin", "kelvin"),
    "bar": ("bar",),
    "mbar": ("mbar",),
    "psi": ("psi", "PSI"),
    "kPa": ("kPa",),
    "MPa": ("MPa",),
    "Pa": ("Pa",),
    "m³/h": ("m³/h", "m3/h", "m^3/h", "cbm/h"),
    "l/min": ("l/min", "L/min", "Liter pro Minute", "litres per minute", "liters per minute"),
    "l/s": ("l/s", "L/s"),
    "gpm": ("gpm", "US gpm"),
    "kW": ("kW",),
    "W": ("W",),
    "hp": ("hp", "HP", "PS"),
    "mm/s": ("mm/s",),
    "in/s": ("in/s", "ips"),
    "rpm": ("rpm", "RPM", "U/min", "1/min", "min⁻¹", "tr/min", "rpm.", "giri/min"),
    "Hz": ("Hz",),
    "%": ("%", "Prozent", "percent", "pour cent", "por ciento", "per cento"),
    "A": ("A",),
    "m/s": ("m/s",),
    "m/min": ("m/min",),
    "h": ("h", "hours", "hour", "hrs", "Stunden", "Stunde", "Std.", "Std", "heures", "heure", "horas", "hora", "ore",
          "ora"),
    "min": ("min", "minutes", "minute", "mins", "Minuten", "Minute", "minutos", "minuto", "minuti"),
    "s": ("s", "seconds", "second", "Sekunden", "secondes", "segundos", "secondi"),
    "d": ("d", "days", "day", "Tage", "Tagen", "Tag", "jours", "jour", "días", "dias", "día", "giorni", "giorno"),
    "week": ("weeks", "week", "Wochen", "Woche", "semaines", "semaine", "semanas", "semana", "settimane", "settimana"),
}  # fmt: skip

_LINEAR: dict[tuple[str, str], Callable[[float], float]] = {
    ("°C", "°F"): lambda v: v * 9 / 5 + 32,
    ("°F", "°C"): lambda v: (v - 32) * 5 / 9,
    ("°C", "K"): lambda v: v + 273.15,
    ("K", "°C"): lambda v: v - 273.15,
}
_FACTORS: dict[str, tuple[str, float]] = {  # unit → (base unit of its quantity, factor to the base)
    "bar": ("Pa", 1e5), "mbar": ("Pa", 100.0), "psi": ("Pa", 6894.757), "kPa": ("Pa", 1e3), "MPa": ("Pa", 1e6),
    "Pa": ("Pa", 1.0),
    "m³/h": ("m³/s", 1 / 3600), "l/min": ("m³/s", 1e-3 / 60), "l/s": ("m³/s", 1e-3), "gpm": ("m³/s", 6.309020e-5),
    "kW": ("W", 1e3), "W": ("W", 1.0), "hp": ("W", 745.6999),
    "mm/s": ("m/s", 1e-3), "in/s": ("m/s", 0.0254), "m/s": ("m/s", 1.0), "m/min": ("m/s", 1 / 60),
    "rpm": ("1/s", 1 / 60), "Hz": ("1/s", 1.0),
    "s": ("s", 1.0), "min": ("s", 60.0), "h": ("s", 3600.0), "d": ("s", 86400.0), "week": ("s", 604800.0),
}  # fmt: skip

_BY_SPELLING = {alias: canon for canon, aliases in UNIT_ALIASES.items() for alias in aliases}
_FOLDED = {alias.casefold(): canon for alias, canon in _BY_SPELLING.items() if len(alias) > 3}


def canonical_unit(text: str | None) -> str | None:
    """The canonical spelling of a unit (``m3/h`` → ``m³/h``, ``U/min`` → ``rpm``); None when unknown/empty."""
    if not text:
        return None
    t = text.strip()
    return _BY_SPELLING.get(t) or _FOLDED.get(t.casefold())


def same_unit(a: str | None, b: str | None) -> bool:
    ca, cb = canonical_unit(a), canonical_unit(b)
    return ca is not None and ca == cb


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit``; ValueError when the units measure different things."""
    f, t = canonical_unit(from_unit) or from_unit, canonical_unit(to_unit) or to_unit
    if f == t:
        return value
    if (f, t) in _LINEAR:
        return _LINEAR[(f, t)](value)
    if (f, "°C") in _LINEAR and ("°C", t) in _LINEAR:
        return _LINEAR[("°C", t)](_LINEAR[(f, "°C")](value))
    if f in _FACTORS and t in _FACTORS and _FACTORS[f][0] == _FACTORS[t][0]:
        return value * _FACTORS[f][1] / _FACTORS[t][1]
    raise ValueError(f"cannot convert {from_unit} to {to_unit}")


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number found in an answer: its candidate values (a comma may be decimal or thousands), unit, position."""

    raw: str
    values: tuple[float, ...]
    unit: str | None
    start: int


_URL = re.compile(r"\S+://\S+|nsu=\S+|ns=\d+;\S+")
# asset/alarm codes, part numbers, work orders: hyphenated tokens with a letter and a digit (P-101, 6309-2Z-C3)
_CODE = re.compile(r"(?<![\w-])(?=[\w-]*[A-Za-z])(?=[\w-]*\d)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+(?![\w-])")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z| ?UTC|[+-]\d{2}:?\d{2})?")
_DATE = re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}(?::\d{2})?\b")
_UNIT_ALT = "|".join(re.escape(a) for a in sorted(_BY_SPELLING, key=len, reverse=True))
_QTY = re.compile(
    rf"(?<![\w.,])(?P<num>[-−]?\d+(?:[.,\u202f\u00a0']\d+)*)(?:\s?(?P<unit>{_UNIT_ALT})(?![\w/³]))?(?!\w)"
)


def mask_noise(text: str) -> str:
    """Blank out what is not a measured number: URLs/node ids, asset codes, timestamps, dates, clock times."""
    for pattern in (_URL, _TIMESTAMP, _DATE, _CODE):
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def _candidates(raw: str) -> tuple[float, ...]:
    s = raw.replace("−", "-").replace("\u202f", "").replace("\u00a0", "").replace("'", "")
    out: list[float] = []
    if "," in s and "." in s:  # 1,234.5 or 1.234,5
        last = max(s.rfind(","), s.rfind("."))
        dec = s[last]
        other = "." if dec == "," else ","
        s_ = s.replace(other, "").replace(dec, ".")
        out.append(float(s_))
    elif "," in s or "." in s:
        sep = "," if "," in s else "."
        parts = s.split(sep)
        if len(parts) == 2:
            out.append(float(f"{parts[0]}.{parts[1]}"))  # decimal
        if all(len(p) == 3 for p in parts[1:]):
            out.append(float("".join(parts)))  # thousands
    else:
        out.append(float(s))
    return tuple(dict.fromkeys(out))


_RANGE = re.compile(r"\s*[–-]\s*|\s+(?:to|bis|à|a|al)\s+")


def quantities(text: str) -> list[Quantity]:
    """Numbers in ``text`` with the unit right after them (canonical) where there is one."""
    found = []
    masked = mask_noise(text)
    for m in _QTY.finditer(masked):
        try:
            values = _candidates(m.group("num"))
        except ValueError:
            continue
        if not values:
            continue
        unit = _BY_SPELLING.get(m.group("unit") or "") if m.group("unit") else None
        found.append(Quantity(m.group("num"), values, unit, m.start()))
    # a range says its unit once: "2.1–68 days" is 2.1 days to 68 days
    for i in range(len(found) - 2, -1, -1):
        q, nxt = found[i], found[i + 1]
        if q.unit is None and nxt.unit and _RANGE.fullmatch(masked[q.start + len(q.raw) : nxt.start]):
            found[i] = Quantity(q.raw, q.values, nxt.unit, q.start)
    return found
