"""The grounding check: every number and asset code in an answer must appear in the evidence.

Evidence is the tool results and retrieved passages of this question. A number is grounded when some
evidence number rounds to it at the answer's precision (45.3 is grounded by 45.2871); decimal commas are
read as points. Asset-like codes (P-101, E-42) must appear in the evidence text.

A rephrased answer must also keep the measured values of the answer it rephrases (:func:`dropped_values`):
grounded numbers alone let "between 16 and 1659 rpm" stand for an average, minimum and maximum.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_NUM = re.compile(r"(?<![\w.])[-−]?\d+(?:[.,]\d+)?(?![\w])")
_CODE = re.compile(r"\b[A-Za-z]{1,4}-\d{1,5}\b")
# a number with a unit after it ("43.7 °C", "12,5 bar", "57 %", "3.2 m³/h"); times, node ids and addresses are
# blanked first, so "08:39:22 UTC" or "opc.tcp://host:4840" are no values
_VALUE = re.compile(r"(?<![\w.,])[-−]?\d+(?:[.,]\d+)?(?=\s?(?:%|°\s?[^\W\d_]|[^\W\d_]{1,3}(?:/[^\W\d_]+)?(?![\w])))")
_CODE_LIKE = re.compile(r"\b[A-Za-z]{1,4}-\d{1,5}[A-Za-z]?\b")  # also "WT-491A": its "491A" is no value
_NOT_VALUES = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?|\d{1,2}:\d{2}(?::\d{2})?|\S*(?:://|;s=|=)\S*"
)


@dataclass(slots=True)
class GroundingReport:
    grounded: bool
    ungrounded_numbers: list[str] = field(default_factory=list)
    ungrounded_codes: list[str] = field(default_factory=list)


def _numbers(text: str) -> list[tuple[str, float, int]]:
    out = []
    for m in _NUM.finditer(text):
        raw = m.group(0).replace("−", "-")
        norm = raw.replace(",", ".")
        decimals = len(norm.split(".")[1]) if "." in norm else 0
        try:
            out.append((m.group(0), float(norm), decimals))
        except ValueError:
            continue
    return out


def evidence_text(evidence: list[Any]) -> str:
    """Evidence as one text; JSON's escaped line breaks become spaces (else "\\n5.2" hides the number 5.2)."""
    return "\n".join(
        e
        if isinstance(e, str)
        else json.dumps(e, ensure_ascii=False, default=str).replace("\\n", " ").replace("\\t", " ")
        for e in evidence
    )


def check_grounding(answer: str, evidence: list[Any]) -> GroundingReport:
    text = evidence_text(evidence)
    ev_numbers = [v for _raw, v, _d in _numbers(text)]
    # timestamps and ids split into their digit groups count as evidence too
    ev_numbers += [float(d) for d in re.findall(r"\d+", text)]
    bad_numbers = []
    for raw, value, decimals in _numbers(_CODE.sub(" ", answer)):  # codes are checked as codes below
        tol = 0.5 * 10 ** (-decimals) + 1e-9
        if not any(abs(value - e) <= tol for e in ev_numbers):
            bad_numbers.append(raw)
    folded = text.casefold()
    bad_codes = [c for c in _CODE.findall(answer) if c.casefold() not in folded]
    return GroundingReport(not bad_numbers and not bad_codes, bad_numbers, bad_codes)


def dropped_values(source: str, rewrite: str) -> list[str]:
    """The measured values (numbers with a unit) of ``source`` that ``rewrite`` does not state, at the rewrite's
    precision or better ("43.7 °C" is kept by "43.7" or "44", not by leaving it out)."""
    kept = [(v, d) for _raw, v, d in _numbers(_CODE_LIKE.sub(" ", rewrite))]
    out = []
    for m in _VALUE.finditer(_NOT_VALUES.sub(" ", _CODE_LIKE.sub(" ", source))):
        value = float(m.group(0).replace("−", "-").replace(",", "."))
        if not any(abs(value - v) <= 0.5 * 10 ** (-d) + 1e-9 for v, d in kept):
            out.append(m.group(0))
    return out
