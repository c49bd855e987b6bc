"""The grounding check: every number and asset code in an answer must appear in the evidence.

Evidence is the tool results and retrieved passages of this question. A number is grounded when some
evidence number rounds to it at the answer's precision (45.3 is grounded by 45.2871); decimal commas are
read as points. Asset-like codes (P-101, E-42) must appear in the evidence text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_NUM = re.compile(r"(?<![\w.])[-−]?\d+(?:[.,]\d+)?(?![\w])")
_CODE = re.compile(r"\b[A-Za-z]{1,4}-\d{1,5}\b")


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
