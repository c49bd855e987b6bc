"""The agent: question → language → intent (semantic router + rails) → skill → tool calls → grounded answer.

On rails by default: the router picks the intent from example questions, the catalog resolver picks assets and
signals, skills call the tools, and per-language templates compose the answer — correct without a strong model.
Deterministic rails correct the router where the question says more than its wording (a time window means
history; an asset and a measured quantity mean a value). When settings allow, the LLM may rephrase the answer;
the rephrasing is kept only if the grounding check passes. Text from tools or documents never selects a tool.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from assistant.audit import JsonlLog, tool_call_log
from assistant.config import Settings
from assistant.contract import AskResult
from assistant.errors import BadQuestion, OperatorError, UnknownAsset
from assistant.grounding import check_grounding, dropped_values
from assistant.language import detect_language
from assistant.llm.base import LLM
from assistant.planner import (
    ASSET_FREE_INTENTS,
    Conversation,
    Slots,
    llm_may_plan,
    slots_from_llm,
    slots_from_rails,
)
from assistant.router import SemanticRouter
from assistant.skills import alarms, documents, history, kpi, live, maintenance
from assistant.turn import Turn
from tools.opcua.adapter import OpcUaAdapter
from tools.opcua.resolve import ASSET_CODE

MAX_QUESTION_CHARS = 2000
MAX_COMPARED = 4  # assets answered side by side in one question


class Agent:
    def __init__(
        self,
        settings: Settings,
        adapter: OpcUaAdapter | None = None,
        llm_factory: Callable[[], LLM] | None = None,
        router: SemanticRouter | None = None,
        historian: Any = None,
    ) -> None:
        self.settings = settings
        self.adapter = adapter or OpcUaAdapter(settings)
        self.tool_log: JsonlLog = tool_call_log(settings.data_dir)
        self.question_id = ""
        self._llm_factory = llm_factory
        self._llm: LLM | None = None
        self._router = router
        self._historian = historian
        self._historian_checked = historian is not None

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            if self._llm_factory is None:
                from assistant.llm import create_llm

                self._llm = create_llm(self.settings)
            else:
                self._llm = self._llm_factory()
        return self._llm

    @property
    def historian(self) -> Any:
        """The historian's query tools over the configured store, or None when nothing has been collected."""
        if not self._historian_checked:
            self._historian_checked = True
            from tools.historian import duckdb_path, open_store
            from tools.historian.queries import Historian

            if self.settings.historian.backend == "clickhouse" or duckdb_path(self.settings).exists():
                try:
                    self._historian = Historian(open_store(self.settings, read_only=True), self.settings)
                except OperatorError:
                    self._historian = None
        return self._historian

    @property
    def router(self) -> SemanticRouter:
        if self._router is None:
            from assistant.embeddings import embed

            self._router = SemanticRouter(embed, self.settings.cache_path)
        return self._router

    async def ask(
        self, question: str, language: str | None = None, conversation: Conversation | None = None
    ) -> AskResult:
        """Answer one question; pass the same ``conversation`` for follow-ups."""
        t0 = time.perf_counter()
        text = (question or "").strip()
        if not text:
            raise BadQuestion("the question is empty — please type or say a question")
        if len(text) > MAX_QUESTION_CHARS:
            raise BadQuestion(f"the question is too long ({len(text)} characters; at most {MAX_QUESTION_CHARS})")
        self.question_id = uuid.uuid4().hex[:12]
        lang = language or detect_language(text, fallback=self.settings.language)
        turn = Turn(self, text, lang, assets=[])
        result = await self._answer(turn, conversation)
        if turn.slots is not None:
            result.mode = "llm" if turn.slots.source == "llm" else result.mode
            result.assets = [a.display_name for a in turn.slots.assets]
            result.from_context = turn.slots.source == "context"
        if result.kind == "answer" and self.settings.llm.rewrite_answers and result.citations:
            self._rewrite(result)
        result.grounded = check_grounding(result.answer, self._evidence(result)).grounded
        result.latency_ms = round((time.perf_counter() - t0) * 1000, 1)
        return result

    async def _slots(self, turn: Turn, conversation: Conversation | None) -> Slots:
        route = self.router.route(turn.question)
        turn.route = route
        turn.assets = await turn.tool(
            "opcua.catalog", {"endpoints": [e.url for e in self.adapter.endpoints]}, self.adapter.assets,
            lambda a: {"assets": len(a), "signals": sum(len(x.signals) for x in a)},
        )  # fmt: skip
        slots = slots_from_rails(turn.question, route, turn.assets, conversation, self.settings.plant)
        if self.settings.llm.plan_when_unsure and llm_may_plan(route, slots):
            planned = slots_from_llm(
                self.llm, turn.question, self.router.intents, turn.assets, conversation=conversation
            )  # the previous turn goes into the PLAN prompt
            if planned is not None:
                slots = planned
        return slots

    async def _answer(self, turn: Turn, conversation: Conversation | None) -> AskResult:
        slots = await self._slots(turn, conversation)
        turn.slots = slots
        if conversation is not None:
            conversation.remember(turn.question, slots)
        if (kpi_intent := kpi.handles(turn)) is not None:  # may hand an unsure KPI guess back to the other intents
            return await kpi.answer(turn, kpi_intent)
        intent, asset = slots.intent, slots.asset
        if intent == "out_of_scope":
            return turn.result(turn.text("out_of_scope"), "refusal")
        if intent == "write_request":
            return turn.result(turn.text("write_refused"), "refusal")
        if slots.ambiguous and not slots.assets:
            options = ", ".join(f"{m.asset.display_name} ({m.asset.path_text})" for m in slots.ambiguous[:4])
            return turn.result(turn.text("clarify_asset", options=options), "clarification")
        if intent == "compare" and len(slots.assets) >= 2:
            return await live.compare(turn, slots.assets)
        if intent == "alarms":
            return await alarms.active_alarms(turn, asset)
        if intent == "documents":
            return await documents.search(turn)
        if intent == "diagnosis" and asset is not None:
            return await maintenance.diagnose(turn, asset)
        if intent == "remaining_useful_life" and asset is not None:
            return await maintenance.remaining_life(turn, asset)
        if intent == "maintenance_plan":
            return await maintenance.maintenance_plan(turn)
        if intent == "anomalies":
            return await maintenance.anomalies(turn, slots.assets)
        if slots.unknown_codes and not slots.assets:
            examples = ", ".join(a.display_name for a in turn.assets[:6])
            endpoints = ", ".join(e.url for e in self.adapter.endpoints)
            raise UnknownAsset(turn.text("unknown_asset", query=slots.unknown_codes[0], endpoints=endpoints,
                                         examples=examples))  # fmt: skip
        if intent in ("history_stats", "threshold_periods") and asset is not None:
            skill = history.threshold_periods if intent == "threshold_periods" else history.history_stats
            if len(slots.assets) == 1:
                return await skill(turn, asset)
            parts = [await skill(turn, a) for a in slots.assets[:MAX_COMPARED]]  # "compare K-1 and K-2 over 8 h"
            kind = "answer" if all(p.kind == "answer" for p in parts) else parts[0].kind
            return turn.result(" ".join(p.answer for p in parts), kind)
        if intent not in ASSET_FREE_INTENTS and asset is None:
            if slots.quantities or ASSET_CODE.search(turn.question):
                examples = ", ".join(a.display_name for a in turn.assets[:6])
                endpoints = ", ".join(e.url for e in self.adapter.endpoints)
                raise UnknownAsset(
                    turn.text("unknown_asset", query=repr(turn.question), endpoints=endpoints, examples=examples)
                )
            return turn.result(turn.text("out_of_scope"), "refusal")
        if intent in ("current_value", "compare") and asset is not None:
            return await live.current_value(turn, asset)
        if asset is not None and slots.quantities and intent not in ("diagnosis", "remaining_useful_life", "anomalies"):
            return await live.current_value(turn, asset)
        return turn.result(turn.text("not_available", intent=intent), "refusal")

    @staticmethod
    def _evidence(result: AskResult) -> list[Any]:
        calls = [{"arguments": c.arguments, "result": c.result} for c in result.tool_calls]
        return [*calls, *(c.model_dump() for c in result.citations)]

    def _rewrite(self, result: AskResult) -> None:
        """Let the LLM rephrase the template answer; keep it only if every number and code is grounded and every
        measured value of the template answer is still in it.

        The prompt is the ANSWER format the plant adapter is trained on (:mod:`assistant.finetune.formats`).
        """
        from assistant.finetune.formats import answer_prompt

        prompt = answer_prompt(result.language, result.answer)
        cap = self.settings.llm.max_tokens
        completion = self.llm.complete(prompt, max_tokens=cap, stop=["\n"])
        candidate = completion.text.strip()
        report = check_grounding(candidate, self._evidence(result))
        cut = completion.timed_out or completion.tokens >= cap  # a sentence stopped mid-way is no answer
        # every measured value of the template answer must be said again: grounded numbers alone let a rewrite
        # leave out the average and call the minimum "media"
        if candidate and report.grounded and not cut and not dropped_values(result.answer, candidate):
            result.answer = candidate
            result.mode = "llm"
        else:
            result.mode = "fallback"
