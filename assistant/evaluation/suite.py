"""Question suites as data: YAML files in ``eval/suites/`` with cases, expectations and the CI gate.

A suite file::

    name: smoke
    gate: {answer_accuracy: 0.9, tool_choice_accuracy: 0.9}   # minimum figures; a run below fails
    defaults: {ignore_tools: [opcua.catalog], forbid_tools: ["opcua.write*", "opcua.call*"]}
    rename: {maintenance.rul: maintenance.remaining_useful_life}  # adjust expected tool names in one place
    cases:
      - id: live-en-01
        question: What is the current temperature of pump P-101?
        language: en
        category: live_value
        expect: {type: live_value, asset: P-101, signal: Temperature, rel_tol: 0.05}
        tools: [{tool: opcua.read, args: {node_ids: "*P-101.Temperature"}}]

``expect.type`` says how the truth is found and scored (see :mod:`assistant.evaluation.truth` and
:mod:`assistant.evaluation.scoring`); ``tools`` lists the calls a correct plan makes (``[]``: no tool — the
right move is to answer without the plant, refuse or ask back); omitted: tool choice is not scored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ExpectType = Literal[
    "live_value",
    "compare",
    "alarms",
    "history_stat",
    "threshold",
    "diagnosis",
    "rul",
    "plan",
    "anomalies",
    "document",
    "kind",
    "report",
]
Kind = Literal["answer", "clarification", "refusal", "error"]
CATEGORIES = (
    "live_value",
    "history_stats",
    "threshold_periods",
    "alarms",
    "diagnosis_rul",
    "maintenance_plan",
    "manual_lookup",
    "log_lookup",
    "multi_step",
    "follow_up",
    "ambiguous_asset",
    "out_of_scope",
    "prompt_injection",
    "unit_conversion",
    "shift_report",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExpectedCall(_Model):
    """One call a correct plan makes: the tool (or alternatives) and key arguments (glob patterns, numbers).

    Argument keys may list alternatives (``"signal|node_ids": "*P-101*Temperature"``); string values are
    case-insensitive glob patterns matched against the value or any element of a list value.
    """

    tool: str | list[str]
    args: dict[str, Any] = Field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [self.tool] if isinstance(self.tool, str) else list(self.tool)


class Expect(_Model):
    type: ExpectType
    kind: Kind | list[Kind] = "answer"
    asset: str | None = None
    assets: list[str] = Field(default_factory=list)
    signal: str | None = None
    stat: Literal["avg", "min", "max"] | None = None
    window_hours: float | None = Field(None, gt=0, description="window when the answer's tool calls show none")
    threshold: float | None = None
    direction: Literal["above", "below"] = "above"
    convert_to: str | None = Field(None, description="unit the question asks the value in")
    rel_tol: float | None = Field(None, ge=0)
    abs_tol: float | None = Field(None, ge=0)
    keywords: list[str] = Field(default_factory=list, description="all must appear (case-insensitive)")
    any_keywords: list[str] = Field(default_factory=list, description="at least one must appear")
    sources: list[str] = Field(default_factory=list, description="expected citation sources (file names, globs)")
    forbid: list[str] = Field(default_factory=list, description="text that must not appear in the answer")
    max_days: float | None = Field(None, description="rul: the predicted remaining life must be at most this")
    min_days: float | None = Field(None, description="rul: ... and at least this")

    @property
    def kinds(self) -> list[str]:
        return [self.kind] if isinstance(self.kind, str) else list(self.kind)


class ReportRequest(_Model):
    """A shift handover report the case builds instead of asking a question (``iiot-assistant report shift``)."""

    line: str | None = Field(None, description="line or area ('Line1'); none: the plant")
    shift: str | None = Field(None, description="shift spec ('yesterday-late', 'last'); none: the last shift")


class Case(_Model):
    id: str
    question: str
    language: str
    category: str
    expect: Expect
    tools: list[ExpectedCall] | None = None
    context: list[str] = Field(default_factory=list, description="earlier questions of the conversation")
    audio: bool = Field(False, description="synthesise the question, transcribe it, then ask the transcript")
    report: ReportRequest | None = Field(None, description="build this shift report instead of asking the question")
    tags: list[str] = Field(default_factory=list)
    suite: str = ""

    @field_validator("category")
    @classmethod
    def _category(cls, v: str) -> str:
        if v not in CATEGORIES:
            raise ValueError(f"unknown category {v!r}; one of {', '.join(CATEGORIES)}")
        return v


class Defaults(_Model):
    ignore_tools: list[str] = Field(default_factory=lambda: ["opcua.catalog"])
    forbid_tools: list[str] = Field(default_factory=lambda: ["opcua.write*", "opcua.call*"])
    rel_tol: float = 0.05
    timeout_s: float = 120.0


class Suite(_Model):
    name: str
    description: str = ""
    gate: dict[str, float] = Field(default_factory=dict, description="minimum headline figures, e.g. answer_accuracy")
    defaults: Defaults = Field(default_factory=Defaults)
    rename: dict[str, str] = Field(default_factory=dict, description="expected tool name → name the system uses")
    cases: list[Case]
    path: str = ""

    @model_validator(mode="after")
    def _finish(self) -> Suite:
        seen: set[str] = set()
        for case in self.cases:
            if case.id in seen:
                raise ValueError(f"duplicate case id {case.id!r} in suite {self.name!r}")
            seen.add(case.id)
            case.suite = self.name
            for call in case.tools or []:
                call.tool = [self.rename.get(n, n) for n in call.names]
        return self


def suites_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "eval" / "suites"


def resolve_suite_paths(specs: list[str]) -> list[Path]:
    """Suite arguments → files: a path, a folder (its ``*.yaml``), a name in ``eval/suites/`` (``smoke``), or a
    name prefix (``full`` → ``full-*.yaml``)."""
    out: list[Path] = []
    for spec in specs:
        p = Path(spec)
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out += sorted(p.glob("*.yaml"))
        elif (suites_dir() / f"{spec}.yaml").is_file():
            out.append(suites_dir() / f"{spec}.yaml")
        elif found := sorted(suites_dir().glob(f"{spec}-*.yaml")):
            out += found
        else:
            known = ", ".join(sorted(f.stem for f in suites_dir().glob("*.yaml")))
            raise FileNotFoundError(f"no suite {spec!r} (a YAML file, a folder, or one of: {known})")
    return list(dict.fromkeys(out))


def load_suite(path: Path) -> Suite:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a suite is a mapping with name and cases")
    return Suite.model_validate({**data, "path": str(path)})
