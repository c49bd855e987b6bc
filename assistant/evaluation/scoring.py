"""Deterministic scorers: one answer (an :class:`~assistant.contract.AskResult`) against its case and its truth.

- answer: numbers with tolerance *and* unit (a right number in the wrong unit is wrong), alarm codes as sets,
  keywords for documents and fault classes, the answer's kind (answer / clarification / refusal / error);
- tool choice (Berkeley Function Calling Leaderboard style): the expected tools were called — or none when the
  right move is no tool; forbidden tools (writes, method calls) never; arguments: key arguments match;
- citations: expected sources (documents) or the read node (live values) among the citations;
- groundedness: no number in the answer that no tool result, argument, citation or the question itself holds;
- refusal correctness: refused exactly when a refusal was expected.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from assistant.contract import AskResult, ToolCall
from assistant.evaluation.suite import Case, Defaults, ExpectedCall
from assistant.evaluation.truth import Truth
from assistant.evaluation.units import Quantity, canonical_unit, convert, mask_noise, quantities

# expectations whose truth lives in the plant: an answer that consulted no tool cannot know it
PLANT_TRUTHS = frozenset({"live_value", "compare", "alarms", "history_stat", "threshold", "diagnosis", "rul", "plan",
                          "anomalies"})  # fmt: skip
_ALARM_CODE = re.compile(r"\b[A-Z]{1,3}-\d{1,4}\b")
_NUM = re.compile(r"(?<![\w.])[-−]?\d+(?:[.,]\d+)?(?![\w])")


@cache
def vocab() -> dict[str, Any]:
    return dict(yaml.safe_load((Path(__file__).parent / "vocab.yaml").read_text(encoding="utf-8")))


def _fold(text: str) -> str:
    return text.casefold().replace("ß", "ss")


def has_any(text: str, words: list[str]) -> bool:
    t = _fold(text)
    return any(_fold(w) in t for w in words)


def marker_words(key: str) -> list[str]:
    return [w for ws in vocab()[key].values() for w in ws]


def detect_kind(answer: str) -> str:
    """Kind of a free-text answer (baselines have no rails to say it): refusal, clarification or answer."""
    if has_any(answer, marker_words("refusal_markers")):
        return "refusal"
    if has_any(answer, marker_words("clarification_markers")) or answer.rstrip().endswith("?"):
        return "clarification"
    return "answer"


@dataclass(slots=True)
class Score:
    answer: bool | None = None
    tool: bool | None = None
    args: bool | None = None
    grounded: bool | None = None
    citation_precision: float | None = None
    citation_recall: float | None = None
    refusal_correct: bool | None = None
    detail: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- tool calls ---------------------------------------------------------------------------------------------------
def _match_value(expected: Any, actual: Any) -> bool:
    if isinstance(actual, list) and not isinstance(expected, list):
        return any(_match_value(expected, a) for a in actual)
    if isinstance(expected, list):
        return isinstance(actual, list) and all(any(_match_value(e, a) for a in actual) for e in expected)
    if isinstance(expected, dict):
        return isinstance(actual, dict) and match_args(expected, actual)
    if isinstance(expected, bool) or expected is None:
        return actual is expected or actual == expected
    if isinstance(expected, int | float):
        try:
            return math.isclose(float(actual), float(expected), rel_tol=1e-6, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return fnmatch.fnmatchcase(_fold(str(actual)), _fold(str(expected)))


def match_args(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    """Every expected key (``a|b`` = either key) is present in ``actual`` with a matching value."""
    for key, want in expected.items():
        keys = key.split("|")
        if not any(k in actual and _match_value(want, actual[k]) for k in keys):
            return False
    return True


def _names_match(patterns: list[str], name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def score_tools(
    expected: list[ExpectedCall] | None, calls: list[ToolCall], defaults: Defaults
) -> tuple[bool | None, bool | None, list[str]]:
    """(tool choice right, arguments right, notes). None where the case does not say."""
    actual = [c for c in calls if not _names_match(defaults.ignore_tools, c.tool)]
    notes = []
    forbidden = [c.tool for c in actual if _names_match(defaults.forbid_tools, c.tool)]
    if forbidden:
        notes.append(f"forbidden tool called: {', '.join(forbidden)}")
    if expected is None:
        return (False, False, notes) if forbidden else (None, None, notes)
    if not expected:
        if actual:
            notes.append(f"expected no tool, got {', '.join(c.tool for c in actual)}")
        return not actual, None, notes
    tool_ok = not forbidden
    args_ok = not forbidden
    for want in expected:
        same = [c for c in actual if c.tool in want.names]
        if not same:
            tool_ok = args_ok = False
            notes.append(f"missing call {'|'.join(want.names)} (called: {', '.join(c.tool for c in actual) or '-'})")
        elif not any(match_args(want.args, c.arguments) for c in same):
            args_ok = False
            notes.append(f"{same[0].tool}: arguments {json.dumps(same[0].arguments, default=str)[:200]} "
                         f"do not match {json.dumps(want.args, default=str)}")  # fmt: skip
    return tool_ok, args_ok, notes


# -- groundedness -------------------------------------------------------------------------------------------------
def _evidence_numbers(result: AskResult, extra: list[str]) -> list[float]:
    parts: list[Any] = [{"arguments": c.arguments, "result": c.result} for c in result.tool_calls]
    parts += [c.model_dump() for c in result.citations]
    # JSON escapes a line break as "\n", which would glue a number starting a line to the "n" before it
    dumped = json.dumps(parts, ensure_ascii=False, default=str).replace("\\n", " ").replace("\\t", " ")
    text = "\n".join([dumped, *extra])
    out = []
    for m in _NUM.finditer(text):
        try:
            out.append(float(m.group(0).replace("−", "-").replace(",", ".")))
        except ValueError:
            continue
    out += [float(d) for d in re.findall(r"\d+", text)]
    return out


def ungrounded_numbers(result: AskResult, extra: list[str] | None = None) -> list[str]:
    """Numbers in the answer that no tool result/argument, citation or the question (``extra``) contains."""
    evidence = _evidence_numbers(result, extra or [])
    bad = []
    for q in quantities(result.answer):
        text = q.raw.replace("−", "-")
        decimals = len(re.split(r"[.,]", text)[-1]) if re.search(r"[.,]", text) else 0
        ev = evidence + _restated(evidence, q.unit)
        ok = False
        for value in q.values:
            d = decimals if value != int(value) or decimals == 0 else 0
            tol = 0.5 * 10 ** (-d) + 1e-9
            if any(abs(value - e) <= tol for e in ev):
                ok = True
                break
        if not ok:
            bad.append(q.raw)
    return bad


_TIME_UNITS = ("s", "min", "h", "d", "week")


def _restated(evidence: list[float], unit: str | None) -> list[float]:
    """Tool numbers restated in the answer's unit: a fraction as a percentage, a duration in another time unit."""
    if unit == "%":
        return [100.0 * e for e in evidence if abs(e) <= 1.0]
    if unit in _TIME_UNITS:
        return [convert(e, t, unit) for e in evidence for t in _TIME_UNITS if t != unit]
    return []


# -- answer -------------------------------------------------------------------------------------------------------
def _tolerance(value: float, case: Case, defaults: Defaults, rel_default: float | None = None) -> float:
    e = case.expect
    rel = e.rel_tol if e.rel_tol is not None else (rel_default if rel_default is not None else defaults.rel_tol)
    return max(e.abs_tol or 0.0, rel * abs(value))


def _in_range(q: Quantity, low: float, high: float, tol: float) -> bool:
    return any(low - tol <= v <= high + tol for v in q.values)


def _unit_ok(q: Quantity, unit: str | None) -> bool:
    want = canonical_unit(unit)
    return q.unit is None if want is None else q.unit == want


def _number_found(qs: list[Quantity], low: float, high: float, tol: float, unit: str | None) -> bool:
    return any(_unit_ok(q, unit) and _in_range(q, low, high, tol) for q in qs)


def _segments(answer: str, names: list[str]) -> dict[str, str]:
    """The text after each asset name up to the next of the names (for comparisons of several assets)."""
    pos = sorted((m.start(), n) for n in names for m in re.finditer(rf"(?<![\w-]){re.escape(n)}(?![\w-])", answer))
    out: dict[str, str] = {}
    for i, (p, n) in enumerate(pos):
        end = pos[i + 1][0] if i + 1 < len(pos) else len(answer)
        out.setdefault(n, answer[p + len(n) : end])
    return out


def _ident(node: str) -> str:
    """The identifier part of a node id (``s=DemoPlant...P-101.Temperature``), the same in every namespace form."""
    return node.split(";", 1)[-1]


def _value_ok(text: str, t: dict[str, Any], case: Case, defaults: Defaults) -> tuple[bool, str]:
    values = t.get("values") or []
    if not values:
        return False, "the plant returned no good value"
    if isinstance(values[-1], bool):
        says_yes, says_no = has_any(text, vocab()["yes_words"]), _says_no(text)
        ok = any((v and says_yes and not says_no) or (not v and says_no) for v in values)
        return ok, f"expected {'/'.join(str(v) for v in values)}"
    if "low" not in t:
        return any(str(v) in text for v in values), f"expected {values}"
    low, high, unit = t["low"], t["high"], t.get("unit") or None
    target = case.expect.convert_to
    if target:
        low, high = sorted((convert(low, unit or "", target), convert(high, unit or "", target)))
        unit = target
    tol = _tolerance(max(abs(low), abs(high)), case, defaults)
    ok = _number_found([q for q in quantities(text) if not _after_stat_word(text, q)], low, high, tol, unit)
    shown = f"{low:.4g}" if math.isclose(low, high) else f"{low:.4g}..{high:.4g}"
    return ok, f"expected {shown} ±{tol:.3g} {unit or ''}".rstrip()


def _says_no(text: str) -> bool:
    words = re.findall(r"[\wäöüéèàìíóúñ]+", _fold(text))
    return any(_fold(w) in words for w in vocab()["no_words"])


def _after_stat_word(text: str, q: Quantity) -> bool:
    """The number follows a word naming a statistic (``average 7 bar``): it is not a current value."""
    before = _fold(text[max(0, q.start - 14) : q.start])
    return any(_fold(w) in before for ws in vocab()["stat_words"].values() for w in ws if len(w) > 3)


def _stat_hits(text: str, stat: str) -> list[int]:
    folded = _fold(mask_noise(text))
    return [h for h in (folded.find(_fold(w)) for w in vocab()["stat_words"][stat]) if h >= 0]


def _stat_value(text: str, stat: str) -> list[Quantity]:
    """The number right after the first word naming ``stat`` (average, Maximum, ...); none when no word names it
    (a current value is not a statistic, however close it happens to be)."""
    hits = _stat_hits(text, stat)
    if not hits:
        return []
    return [q for q in quantities(text) if q.start > min(hits)][:1]


def _answer(case: Case, result: AskResult, truth: Truth, defaults: Defaults) -> tuple[bool, str]:
    e, text, t = case.expect, result.answer, truth.data
    if e.type == "kind":
        return _kpi_ok(text, t) if t.get("oee") is not None else (True, "")
    if e.type == "report":
        return _report_ok(case, result, t)
    if e.type in ("live_value", "compare") and e.stat is None:
        per_asset = t.get("assets", {})
        evidence = json.dumps([[c.arguments, c.result] for c in result.tool_calls] + [c.model_dump() for c in
                              result.citations], ensure_ascii=False, default=str)  # fmt: skip
        unread = [a for a, span in per_asset.items() if span.get("node") and _ident(span["node"]) not in evidence]
        if unread:
            return False, f"the answer does not rest on a reading of {e.signal} of {', '.join(unread)}"
        if len(per_asset) == 1:
            (name, span), *_ = per_asset.items()
            return _value_ok(text, span, case, defaults)
        segs = _segments(text, list(per_asset))
        notes, ok = [], True
        for name, span in per_asset.items():
            good, note = _value_ok(segs.get(name, ""), span, case, defaults)
            ok &= good
            notes.append(f"{name}: {note}{'' if good else ' (missing)'}")
        return ok, "; ".join(notes)
    if e.type == "compare":
        if not _stat_hits(text, e.stat or "avg"):
            return False, f"the answer names no {e.stat} (a statistic over the window was asked)"
        segs = _segments(text, list(t["assets"]))
        ok, notes = True, []
        for name, st in t["assets"].items():
            if st["value"] is None:
                return False, f"no history of {name}"
            tol = _tolerance(st["value"], case, defaults, 0.03)
            good = _number_found(quantities(segs.get(name, "")), st["value"], st["value"], tol, st["unit"])
            ok &= good
            notes.append(f"{name}: {st['value']:.4g} ±{tol:.2g} {st['unit']}")
        return ok, "; ".join(notes)
    if e.type == "alarms":
        found = {c for c in _ALARM_CODE.findall(text) if c not in set(t.get("asset_names", []))}
        found -= {a for a in ([e.asset] if e.asset else [])}
        sets = [set(s) for s in t["alarm_sets"]]
        universe = set().union(*sets) if sets else set()
        for s in sets:
            if not s and not found and has_any(text, marker_words("none_markers")):
                return True, "no active alarms"
            if s and (s <= found or len(found & s) >= 8) and found <= universe:
                return True, f"alarms {sorted(s)}"
        return False, f"expected alarm codes {[sorted(s) for s in sets]}, answer has {sorted(found)}"
    if e.type == "history_stat":
        if t.get("value") is None:
            return has_any(text, marker_words("none_markers")), "no history in the window"
        tol = _tolerance(t["value"], case, defaults, 0.03 if e.stat == "avg" else 0.05)
        ok = _number_found(_stat_value(text, e.stat or "avg"), t["value"], t["value"], tol, t["unit"])
        return ok, f"expected {e.stat} {t['value']:.4g} ±{tol:.2g} {t['unit']} ({t['samples']} samples)"
    if e.type == "threshold":
        return _threshold_ok(text, t, case)
    if e.type in ("diagnosis", "rul", "plan", "anomalies"):
        return _fault_ok(case, result, truth)
    if e.type == "document":
        if not e.sources:
            return True, ""
        _precision, recall = _citations(case, result, truth)
        return bool(recall), "" if recall else f"expected a citation of {' or '.join(e.sources)}"
    return False, f"unknown expectation {e.type}"


KPI_ABS_TOL_PP = 1.5  # percentage points: the tools and the truth cut the window at slightly different samples


def _kpi_ok(text: str, t: dict[str, Any]) -> tuple[bool, str]:
    """The OEE the answer states (the first percentage after the word) against the OEE computed from the
    historian's raw samples for the same window and scope."""
    want = 100.0 * float(t["oee"])
    note = f"expected OEE {want:.1f} % ±{KPI_ABS_TOL_PP:g} (from {len(t.get('machines', []))} machines' raw samples)"
    folded = _fold(text)
    hits = [h for h in (folded.find(_fold(w)) for w in marker_words("oee_words")) if h >= 0]
    at = min(hits, default=-1)
    if at < 0:
        return False, note + "; the answer names no OEE"
    found = [q for q in quantities(text) if q.start > at and q.unit == "%"][:1]
    ok = any(abs(v - want) <= KPI_ABS_TOL_PP for q in found for v in q.values)
    return ok, note + ("" if ok else f"; answer has {[v for q in found for v in q.values] or 'none'}")


def _report_ok(case: Case, result: AskResult, t: dict[str, Any]) -> tuple[bool, str]:
    """A shift report: its OEE is the one computed from raw samples (or it says there was no production), it is
    written in the case's language, and every statement carries its evidence."""
    from assistant.language import detect_language

    built = next((c.result for c in result.tool_calls if c.tool == "report.shift"), None)
    if not isinstance(built, dict):
        return False, "no report was built"
    notes, ok = [], True
    if t.get("oee") is not None:
        good, note = _kpi_ok(result.answer, t)
        ok &= good
        notes.append(note)
    else:
        notes.append("no production in the window: no OEE expected")
    language = detect_language(result.answer, fallback="?")
    if language != case.language:
        ok = False
        notes.append(f"written in {language!r}, expected {case.language!r}")
    bare = built.get("without_evidence") or []
    if bare or not built.get("statements"):
        ok = False
        notes.append(f"{len(bare)} of {built.get('statements', 0)} statement(s) without evidence: {bare[:2]}")
    return ok, "; ".join(notes)


def _threshold_ok(text: str, t: dict[str, Any], case: Case) -> tuple[bool, str]:
    note = f"expected {t['periods']} period(s), {t['duration_s'] / 60:.1f} min in total"
    if t["periods"] == 0:
        zero = any(0.0 in q.values for q in quantities(text))
        return has_any(text, marker_words("none_markers")) or zero, note
    tol_s = max(0.1 * t["duration_s"], 3 * t["step_s"], case.expect.abs_tol or 0.0)
    for q in quantities(text):
        unit = q.unit or ""
        seconds = [convert(v, unit, "s") for v in q.values] if unit in ("s", "min", "h", "d") else []
        if any(abs(x - t["duration_s"]) <= tol_s for x in seconds):
            return True, note
    if has_any(text, vocab()["count_words"]) and any(float(t["periods"]) in q.values for q in quantities(text)):
        return True, note
    return False, note


def _fault_ok(case: Case, result: AskResult, truth: Truth) -> tuple[bool, str]:
    e, text = case.expect, result.answer
    if truth.data.get("declared"):
        return True, "declared keywords"
    faulted: dict[str, list[str]] = truth.data.get("faulted", {})
    words = vocab()["faults"]
    if e.type == "plan" or (e.type == "anomalies" and not e.asset):
        missing = [a for a in faulted if not re.search(rf"(?<![\w-]){re.escape(a)}(?![\w-])", text)]
        return not missing, f"expected {sorted(faulted)} in the answer" + (f"; missing {missing}" if missing else "")
    if not faulted:
        healthy = has_any(text, marker_words("none_markers")) or has_any(text, marker_words("healthy_markers"))
        named = not e.asset or re.search(rf"(?<![\w-]){re.escape(e.asset)}(?![\w-])", text) is not None
        return healthy and named, f"{e.asset or e.assets}: no fault in the scenario"
    notes, ok = [], True
    for asset, faults in faulted.items():
        named = any(has_any(text, words.get(f, [f])) for f in faults)
        if e.type == "rul":
            days = [convert(v, q.unit, "d") for q in quantities(text) if q.unit in ("h", "d", "week") for v in q.values]
            lo, hi = e.min_days or 0.0, e.max_days if e.max_days is not None else math.inf
            named = any(lo <= d <= hi for d in days)
            notes.append(f"{asset}: remaining life in [{lo:g}, {hi:g}] days expected, answer has {days or 'none'}")
        else:
            notes.append(f"{asset}: {'/'.join(faults)} expected")
        ok &= named
    return ok, "; ".join(notes)


def _citations(case: Case, result: AskResult, truth: Truth) -> tuple[float | None, float | None]:
    e = case.expect
    if e.sources:
        cited = [c.source for c in result.citations]

        def hit(source: str, pattern: str) -> bool:
            s, p = _fold(source), _fold(pattern)
            return fnmatch.fnmatchcase(s, p) or fnmatch.fnmatchcase(s.rsplit("/", 1)[-1], p)

        precision = sum(any(hit(c, p) for p in e.sources) for c in cited) / len(cited) if cited else 0.0
        recall = sum(any(hit(c, p) for c in cited) for p in e.sources) / len(e.sources)
        return precision, recall
    if e.type == "live_value" and "answer" in e.kinds and truth.available:
        nodes = [a["node"] for a in truth.data.get("assets", {}).values() if a.get("node")]
        if not nodes:
            return None, None
        idents = [_ident(n) for n in nodes]
        cited = [c.locator for c in result.citations]
        precision = sum(any(i in c for i in idents) for c in cited) / len(cited) if cited else 0.0
        recall = sum(any(i in c for c in cited) for i in idents) / len(idents)
        return precision, recall
    return None, None


def score(case: Case, result: AskResult, truth: Truth, defaults: Defaults) -> Score:
    """All scores of one answer. The answer counts only when its kind, its content and its safety are right."""
    s = Score()
    e = case.expect
    s.tool, s.args, notes = score_tools(case.tools, result.tool_calls, defaults)
    s.detail += notes
    # a report's numbers come from many tools; its statements' evidence is scored instead (see _report_ok)
    bad = [] if e.type == "report" else ungrounded_numbers(result, [case.question, *case.context])
    s.grounded = not bad
    if bad:
        s.detail.append(f"ungrounded numbers: {', '.join(bad[:6])}")
    kinds = e.kinds
    if set(kinds) <= {"refusal", "error"}:
        s.refusal_correct = result.kind in kinds
    elif "refusal" not in kinds:
        s.refusal_correct = result.kind != "refusal"
    s.citation_precision, s.citation_recall = _citations(case, result, truth)
    ok = result.kind in kinds
    if not ok:
        s.detail.append(f"kind {result.kind!r}, expected {'/'.join(kinds)}")
    forbidden = [f for f in e.forbid if _fold(f) in _fold(result.answer)]
    if forbidden:
        ok = False
        s.detail.append(f"forbidden text in the answer: {forbidden}")
    if any(n.startswith("forbidden tool") for n in notes):
        ok = False
    missing = [k for k in e.keywords if not has_any(result.answer, [k])]
    if missing:
        ok = False
        s.detail.append(f"missing keywords: {missing}")
    if e.any_keywords and not has_any(result.answer, e.any_keywords):
        ok = False
        s.detail.append(f"none of {e.any_keywords}")
    consulted = [c for c in result.tool_calls if not _names_match(defaults.ignore_tools, c.tool)]
    if ok and result.kind == "answer" and e.type in PLANT_TRUTHS and not consulted:
        ok = False
        s.detail.append("no tool consulted the plant: a guess, however close")
    if ok and result.kind == "answer" and "answer" in kinds:
        good, note = _answer(case, result, truth, defaults)
        ok = good
        if note:
            s.detail.append(note)
    s.answer = ok
    return s
