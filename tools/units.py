"""Unit conversion of plant values with pint: the unit a question asks for, and the conversion as a tool.

The value always comes from the plant in its own engineering unit; the conversion is a recorded tool call, so a
converted number in an answer is grounded like any other."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from assistant.errors import OperatorError
from assistant.prompts import load_yaml
from tools.opcua.resolve import fold

# engineering-unit symbols as servers send them → pint's spelling
_SYMBOLS = {"rpm": "rpm", "1/min": "rpm", "min⁻¹": "rpm", "°C": "degC", "°F": "degF", "m3/h": "m**3/h"}


@dataclass(frozen=True, slots=True)
class TargetUnit:
    pint: str
    symbol: str


@functools.cache
def _registry() -> Any:
    import pint

    return pint.UnitRegistry(autoconvert_offset_to_baseunit=True)


def _tokens(text: str) -> list[str]:
    """Lower-case tokens that keep unit spellings whole ("kPa" → "kpa", "l/min", "°f")."""
    return re.findall(r"[\w°/³²]+", fold(text))


def target_unit(question: str) -> TargetUnit | None:
    """The unit the question asks the answer in ("… in Fahrenheit", "Liter pro Minute"), if any."""
    qwords = _tokens(question)
    best: tuple[int, TargetUnit] | None = None
    for entry in load_yaml("lexicon/target_units.yaml"):
        for phrase in entry["words"]:
            pw = _tokens(phrase)
            n = len(pw)
            found = pw and any(qwords[i : i + n] == pw for i in range(len(qwords) - n + 1))
            if found and (best is None or n > best[0]):  # the longest phrase wins ("l/min" over "l")
                best = (n, TargetUnit(str(entry["pint"]), str(entry["symbol"])))
    return best[1] if best else None


def convert(value: float, unit: str, to: str) -> float:
    """``value`` in the server's ``unit`` expressed in ``to`` (pint spelling); a clear error when impossible."""
    import pint

    reg = _registry()
    try:
        return float(reg.Quantity(float(value), _SYMBOLS.get(unit, unit)).to(to).magnitude)
    except (pint.errors.DimensionalityError, pint.errors.UndefinedUnitError, ValueError, AttributeError) as exc:
        raise OperatorError(f"cannot convert {unit} to {to}: {exc}") from None
