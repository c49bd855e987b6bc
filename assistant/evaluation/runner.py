"""Run suites against a running system and score every case.

The system is the demo plant started in process (backfilled history, the demo fault scenario, the demo corpus
indexed when the documents tool is installed), or existing OPC UA servers (``opcua``). Modes:

- ``router``: the agent on rails (default); ``llm``: the agent with LLM rephrasing (``llm.rewrite_answers``);
- ``llm-base`` / ``llm-adapter``: the agent with the LLM planning when the router is unsure and rephrasing, on the
  base model alone (``llm.adapter = none``) or with the plant LoRA adapter (``llm.adapter``, else the shipped one);
- baselines: ``llm-only`` (the configured LLM answers from the question alone, no tools) and ``retrieval-only``
  (the top passage of the document search is the answer) — so the value of the tools is visible.

Each case: truth snapshot → (voice: synthesise with Pico or espeak-ng, transcribe with ``assistant.voice``) → earlier
questions of the conversation → the question → truth after → scores. Cases run one after another.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import inspect
import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.audit import tool_call_log
from assistant.config import EndpointSettings, FaultSettings, Settings, SimSettings
from assistant.contract import AskResult, Citation, ToolCall
from assistant.errors import OperatorError
from assistant.evaluation.metrics import check_gate, summarise
from assistant.evaluation.scoring import detect_kind, score
from assistant.evaluation.suite import Case, Defaults, ReportRequest, Suite, load_suite, resolve_suite_paths
from assistant.evaluation.truth import Truth, TruthProvider
from assistant.llm.base import LLM, Completion
from tools.opcua.adapter import OpcUaAdapter

Mode = Literal["router", "llm", "llm-base", "llm-adapter", "llm-only", "retrieval-only"]
MODES: tuple[str, ...] = ("router", "llm", "llm-base", "llm-adapter", "llm-only", "retrieval-only")
AGENT_MODES: tuple[str, ...] = ("router", "llm", "llm-base", "llm-adapter")
BASELINES: tuple[str, ...] = ("llm-only", "retrieval-only")


class EvalOptions(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    suites: list[str]
    modes: list[str] = Field(default_factory=lambda: ["router"])
    report_dir: Path | None = None
    opcua: list[str] = Field(default_factory=list, description="existing plant endpoints; empty: start the demo")
    model: str | None = Field(None, description="GGUF path or bundled model name for the LLM modes")
    seed: int = 42
    backfill_days: float = 1.0
    faults: list[FaultSettings] | None = Field(None, description="fault scenario of an existing plant (for truth)")
    categories: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    ids: list[str] = Field(default_factory=list, description="case ids or glob patterns")
    limit: int | None = None
    index_corpus: bool = True
    progress: bool = True


@dataclass
class RunOutput:
    records: list[dict[str, Any]]
    summary: dict[str, Any]
    gate_failures: list[str]
    report_dir: Path | None
    suites: list[Suite] = field(default_factory=list)


class CountingLLM:
    """Wraps an LLM and counts generated tokens (the agent's rephrasing calls, the baseline's answers)."""

    def __init__(self, inner: LLM) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "llm")
        self.tokens = 0

    def complete(self, prompt: str, **kw: Any) -> Completion:
        c = self.inner.complete(prompt, **kw)
        self.tokens += int(c.tokens)
        return c

    def stream(self, prompt: str, **kw: Any) -> Iterator[str]:
        for piece in self.inner.stream(prompt, **kw):
            self.tokens += 1
            yield piece


def _select(cases: list[Case], opts: EvalOptions) -> list[Case]:
    import fnmatch

    out = [
        c
        for c in cases
        if (not opts.categories or c.category in opts.categories)
        and (not opts.languages or c.language in opts.languages)
        and (not opts.ids or any(fnmatch.fnmatchcase(c.id, p) for p in opts.ids))
    ]
    return out[: opts.limit] if opts.limit else out


@contextlib.contextmanager
def running_system(settings: Settings, opts: EvalOptions) -> Iterator[dict[str, Any]]:
    """The plant under test: existing endpoints, or the demo plant in process for the duration of the run."""
    if opts.opcua:
        settings.opcua.endpoints = [EndpointSettings(url=u) for u in opts.opcua]
        yield {"plant": "external", "endpoints": opts.opcua, "faults": opts.faults, "started": None}
        return
    from assistant.demo import DEMO_FAULTS
    from assistant.loop_thread import LoopThread
    from assistant.sim.server import PlantServer

    faults = list(opts.faults if opts.faults is not None else DEMO_FAULTS)
    sim = SimSettings(port=_free_port(), seed=opts.seed, backfill_days=opts.backfill_days, faults=faults)
    plant = PlantServer(sim, settings.data_dir.expanduser())
    loop = LoopThread("eval-plant")
    scratch = Path(tempfile.mkdtemp(prefix="iiot-eval-historian-"))
    try:
        loop.run(plant.start(), timeout=1800)
        settings.opcua.endpoints = [EndpointSettings(url=plant.endpoint)]
        if settings.historian.backend == "duckdb":
            # this run's plant, this run's history: a historian file left by an earlier run holds another plant's
            # past (and not the last hour), so the in-process plant gets a scratch historian of its own
            settings.historian.duckdb_path = scratch / "history.duckdb"
        _fill_historian(settings, plant)
        yield {"plant": "demo (in process)", "endpoints": [plant.endpoint], "faults": faults, "started": time.time(),
               "seed": opts.seed, "backfill_days": opts.backfill_days}  # fmt: skip
    finally:
        with contextlib.suppress(Exception):
            loop.run(plant.stop(), timeout=30)
        loop.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _fill_historian(settings: Settings, plant: Any) -> None:
    """The demo plant's backfilled history into the settings' DuckDB historian, as the demo's collector would have
    stored it: KPI and history questions then run on the historian like at a plant (an empty historian only)."""
    from assistant.sim.export import export_history
    from tools.historian import duckdb_path
    from tools.historian.duckdb_store import DuckDBStore

    if settings.historian.backend != "duckdb" or duckdb_path(settings).exists():
        return
    store = DuckDBStore(duckdb_path(settings))
    try:
        store.ensure_schema()
        export_history(plant, store)
    finally:
        store.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- voice --------------------------------------------------------------------------------------------------------
def voice_unavailable() -> str | None:
    from assistant.voice.synth import espeak_available, pico_available

    if not (pico_available() or espeak_available()):
        return "voice: no synthetic voice installed (ttspico or espeak-ng)"
    try:
        if importlib.util.find_spec("assistant.voice.transcribe") is None:
            return "voice: assistant.voice not installed"
    except ImportError:
        return "voice: assistant.voice not installed"
    return None


_STT: dict[str, Any] = {}


def transcribe(case: Case, settings: Settings, workdir: Path, names: list[str]) -> str:
    """Synthesise the question (Pico's voice when installed, else espeak-ng; the case's language), transcribe it
    with ``assistant.voice`` as the operator UI does: language set to the operator's, the plant's asset names as
    hotwords."""
    from assistant.voice.synth import synthesise
    from assistant.voice.transcribe import SpeechToText

    wav = synthesise(case.question, case.language, workdir / f"{case.id}.wav")
    stt = _STT.setdefault("stt", SpeechToText(settings))
    heard = stt.transcribe(wav, case.language, names)
    return str(heard.text).strip()


# -- one mode -----------------------------------------------------------------------------------------------------
class Responder:
    """Answers a question in one mode; ``unavailable`` says why the mode cannot run here."""

    def __init__(self, mode: str, settings: Settings, opts: EvalOptions, router: Any, log_dir: Path) -> None:
        self.mode = mode
        self.settings = settings.model_copy(deep=True)
        self.unavailable: str | None = None
        self.llm: CountingLLM | None = None
        self.agent: Any = None
        self._conversations: dict[str, Any] = {}
        if opts.model:
            path = Path(opts.model).expanduser()
            if path.exists():
                self.settings.llm.model_path = path
            else:
                self.settings.llm.model = opts.model
        if mode in AGENT_MODES:
            from assistant.agent import Agent

            uses_llm = mode != "router"
            self.settings.llm.rewrite_answers = uses_llm
            if mode in ("llm-base", "llm-adapter"):
                self.settings.llm.plan_when_unsure = True
                if mode == "llm-base":
                    self.settings.llm.adapter = "none"
                elif self.settings.llm.adapter.lower() == "none":
                    self.settings.llm.adapter = "bundled"
            self.agent = Agent(self.settings, llm_factory=self._llm if uses_llm else None, router=router)
            self.agent.tool_log = tool_call_log(log_dir)
        elif mode == "llm-only":
            try:
                self._llm()
            except OperatorError as exc:
                self.unavailable = f"baseline unavailable: {exc.message}"
            except Exception as exc:
                self.unavailable = f"baseline unavailable: {type(exc).__name__}: {exc}"
        elif mode == "retrieval-only":
            try:
                from tools.documents.search import search_documents  # noqa: F401
            except ImportError:
                self.unavailable = "baseline unavailable: tools.documents.search is not installed"

    def _llm(self) -> CountingLLM:
        if self.llm is None:
            from assistant.llm import create_llm

            self.llm = CountingLLM(create_llm(self.settings))
        return self.llm

    def forget(self, session: str) -> None:
        self._conversations.pop(session, None)

    @property
    def tokens(self) -> int:
        return self.llm.tokens if self.llm else 0

    async def ask(self, question: str, language: str | None, session: str) -> AskResult:
        if self.agent is not None:
            kwargs: dict[str, Any] = {"language": language}
            params = inspect.signature(self.agent.ask).parameters
            if "conversation" in params:  # follow-ups: one conversation per case
                from assistant.planner import Conversation

                kwargs["conversation"] = self._conversations.setdefault(session, Conversation())
            elif "session_id" in params:
                kwargs["session_id"] = session
            return await self.agent.ask(question, **kwargs)
        if self.mode == "llm-only":
            return await asyncio.to_thread(self._llm_only, question, language)
        return await asyncio.to_thread(self._retrieval_only, question, language)

    async def report(self, request: ReportRequest, question: str, language: str) -> AskResult:
        """The shift report the CLI and the UI build, as markdown; its KPI inputs and every statement's evidence
        ride along as one tool call for the truth and the scorer."""
        from assistant.report.builder import build_shift_report
        from assistant.report.render import to_markdown

        if self.agent is None or self.agent.historian is None:
            raise OperatorError("a shift report needs the agent's historian (router or LLM modes with history)")
        t0 = time.perf_counter()
        report = await build_shift_report(self.settings, self.agent.historian, self.agent.adapter, line=request.line,
                                          shift=request.shift, language=language)  # fmt: skip
        statements = [st for sec in report.sections for st in sec.statements]
        call = ToolCall(
            tool="report.shift", arguments={"line": request.line, "shift": request.shift, "language": language},
            result={"window": report.window, "statements": len(statements),
                    "without_evidence": [st.text for st in statements if not st.evidence], **report.data},
            duration_ms=round((time.perf_counter() - t0) * 1000, 1),
        )  # fmt: skip
        return AskResult(question=question, language=report.language, answer=to_markdown(report), kind="answer",  # type: ignore[arg-type]
                         tool_calls=[call], latency_ms=call.duration_ms)  # fmt: skip

    def _llm_only(self, question: str, language: str | None) -> AskResult:
        t0 = time.perf_counter()
        prompt = (Path(__file__).parent / "baseline_prompt.txt").read_text(encoding="utf-8").format(question=question)
        c = self._llm().complete(prompt, max_tokens=self.settings.llm.max_tokens, stop=["\n\n", "Question:"])
        text = c.text.strip()
        return AskResult(question=question, language=language or "", answer=text, kind=detect_kind(text),  # type: ignore[arg-type]
                         latency_ms=round((time.perf_counter() - t0) * 1000, 1))  # fmt: skip

    def _retrieval_only(self, question: str, language: str | None) -> AskResult:
        from tools.documents.search import search_documents

        t0 = time.perf_counter()
        found = search_documents(self.settings, question, k=3)
        passages = found.passages
        call = ToolCall(tool="documents.search", arguments={"query": question, "k": 3},
                        result={"passages": [p.model_dump(include={"text", "citation", "score"}) for p in passages]},
                        duration_ms=found.latency_ms)  # fmt: skip
        return AskResult(
            question=question, language=language or "", answer=passages[0].text if passages else "",
            tool_calls=[call], citations=[Citation(**p.citation.model_dump()) for p in passages],
            latency_ms=round((time.perf_counter() - t0) * 1000, 1),
        )  # fmt: skip


def _error_result(question: str, language: str, message: str) -> AskResult:
    return AskResult(question=question, language=language, answer=message, kind="error", error=message)


async def _run_case(
    case: Case, defaults: Defaults, responder: Responder, truth: TruthProvider, settings: Settings, workdir: Path
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": case.id, "suite": case.suite, "category": case.category, "language": case.language,
        "run_mode": responder.mode, "question": case.question, "context": case.context, "audio": case.audio,
        "transcript": None, "status": "scored", "skip_reason": None,
    }  # fmt: skip
    if responder.unavailable:
        return {**rec, "status": "skipped", "skip_reason": responder.unavailable}
    question = case.question
    if case.audio:
        reason = voice_unavailable()
        if reason:
            return {**rec, "status": "skipped", "skip_reason": reason}
        try:
            names = list(await truth.assets())
            question = await asyncio.to_thread(transcribe, case, settings, workdir / "audio", names)
        except Exception as exc:
            question = ""
            rec["skip_reason"] = f"voice failed: {type(exc).__name__}: {exc}"
        rec["transcript"] = question
        with contextlib.suppress(Exception):
            from assistant.voice.metrics import word_error_rate

            rec["wer"] = round(word_error_rate(case.question, question), 3)
    tokens0 = responder.tokens
    session = f"eval-{case.id}-{time.time_ns()}"
    for earlier in case.context:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(responder.ask(earlier, case.language, session), defaults.timeout_s)
    snap = await truth.before(case)
    t0 = time.perf_counter()
    if case.report is not None and responder.agent is None:
        return {**rec, "status": "skipped", "skip_reason": f"{responder.mode}: shift reports are built by the agent"}
    try:
        if case.report is not None:
            asked = responder.report(case.report, question, case.language)
        else:
            asked = responder.ask(question, None, session)
        result = await asyncio.wait_for(asked, defaults.timeout_s)
    except OperatorError as exc:
        result = _error_result(question, case.language, exc.message)
    except TimeoutError:
        result = _error_result(question, case.language, f"timed out after {defaults.timeout_s:g} s")
    except Exception as exc:
        result = _error_result(question, case.language, f"{type(exc).__name__}: {exc}")
    responder.forget(session)
    if not result.latency_ms:
        result.latency_ms = round((time.perf_counter() - t0) * 1000, 1)
    try:
        t: Truth = await truth.truth(case, snap, result)
    except Exception as exc:
        t = Truth(False, f"no truth: {type(exc).__name__}: {exc}")
    rec.update(
        answer=result.answer, kind=result.kind, answer_mode=result.mode, detected_language=result.language,
        agent_grounded=result.grounded, error=result.error, latency_ms=result.latency_ms,
        tokens=responder.tokens - tokens0,
        tool_calls=[c.model_dump() for c in result.tool_calls], citations=[c.model_dump() for c in result.citations],
        truth=t.data if t.available else None,
        expected_tools=[c.model_dump() for c in case.tools] if case.tools is not None else None,
    )  # fmt: skip
    if not t.available:
        return {**rec, "status": "skipped", "skip_reason": t.reason}
    rec["scores"] = score(case, result, t, defaults).to_dict()
    return rec


async def _run_all(
    work: list[tuple[Case, Suite]], opts: EvalOptions, settings: Settings, system: dict[str, Any], workdir: Path
) -> list[dict[str, Any]]:
    from assistant.embeddings import embed
    from assistant.router import SemanticRouter

    needs_router = any(m in AGENT_MODES for m in opts.modes)
    router = SemanticRouter(embed, settings.cache_path) if needs_router else None
    truth_adapter = OpcUaAdapter(settings)
    truth = TruthProvider(truth_adapter, system.get("faults"), system.get("started"))
    records: list[dict[str, Any]] = []
    total = len(work) * len(opts.modes)
    progress = _progress(total, opts.progress)
    try:
        for mode in opts.modes:
            responder = Responder(mode, settings, opts, router, workdir)
            try:
                for case, suite in work:
                    progress.update(f"{mode} {case.id}")
                    records.append(await _run_case(case, suite.defaults, responder, truth, settings, workdir))
                    progress.advance(records[-1])
                    with (workdir / "cases.partial.jsonl").open("a", encoding="utf-8") as f:  # follow a long run
                        f.write(json.dumps(records[-1], ensure_ascii=False, default=str) + "\n")
            finally:
                if responder.agent is not None:
                    await responder.agent.adapter.close()
    finally:
        progress.close()
        await truth_adapter.close()
    return records


class _progress:
    """A progress bar on stderr (rich), or nothing."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar: Any = None
        self.passed = self.done = 0
        if enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            columns = (TextColumn("[bold]eval"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"))
            self.bar = Progress(*columns, TimeRemainingColumn(), transient=False)
            self.bar.start()
            self.task = self.bar.add_task("", total=total)

    def update(self, text: str) -> None:
        if self.bar:
            self.bar.update(self.task, description=f"{text[:40]:<40} pass {self.passed}/{self.done}")

    def advance(self, rec: dict[str, Any]) -> None:
        self.done += 1
        self.passed += bool(rec.get("scores", {}).get("answer"))
        if self.bar:
            self.bar.advance(self.task)

    def close(self) -> None:
        if self.bar:
            self.bar.stop()


def run_evaluation(opts: EvalOptions, settings: Settings) -> RunOutput:
    """Load the suites, run every case in every mode against the system, summarise, write the report."""
    for m in opts.modes:
        if m not in MODES:
            raise ValueError(f"unknown mode {m!r}; one of {', '.join(MODES)}")
    suites = [load_suite(p) for p in resolve_suite_paths(opts.suites)]
    work = [(c, s) for s in suites for c in _select(s.cases, opts)]
    settings = settings.model_copy(deep=True)
    if settings.cache_dir is None:
        settings.cache_dir = settings.cache_path  # one shared cache for the router's embeddings
    started = datetime.now(UTC)
    workdir = opts.report_dir or Path(tempfile.mkdtemp(prefix="iiot-eval-"))
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "cases.partial.jsonl").unlink(missing_ok=True)
    with running_system(settings, opts) as system:
        corpus = _index_corpus(settings, opts) if not opts.opcua else "as configured"
        records = asyncio.run(_run_all(work, opts, settings, system, workdir))
    meta = {
        "started": started.isoformat(timespec="seconds"),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
        "suites": [s.name for s in suites],
        "modes": opts.modes,
        "model": opts.model or str(settings.llm.model_path or settings.llm.model),
        "plant": {k: v for k, v in system.items() if k != "faults"},
        "faults": [f.model_dump() for f in system.get("faults") or []],
        "corpus": corpus,
        "voice": voice_unavailable() or "available",
    }
    summary = summarise(records, opts.modes[0], meta)
    gates = {s.name: s.gate for s in suites if s.gate}
    failures = check_gate(gates, records, opts.modes[0])
    summary["gate"] = {"gates": gates, "failures": failures, "passed": not failures}
    if opts.report_dir:
        from assistant.evaluation.report import write_report

        write_report(opts.report_dir, records, summary)
    return RunOutput(records, summary, failures, opts.report_dir, suites)


def _index_corpus(settings: Settings, opts: EvalOptions) -> str:
    """The demo corpus in the document index (incremental), when the documents tool is installed."""
    if not opts.index_corpus:
        return "not indexed"
    try:
        from tools.documents import ensure_demo_corpus

        report = ensure_demo_corpus(settings)
        files = getattr(report, "files", [])
        return f"demo corpus indexed ({len(files)} files checked, {getattr(report, 'chunks', '?')} chunks new)"
    except ImportError:
        return "documents tool not installed"
    except Exception as exc:
        return f"indexing failed: {type(exc).__name__}: {exc}"
