"""The agent: question → language → resolved asset and signal → tool calls → grounded answer.

The default path is on rails: the catalog resolver picks the asset and signal, the OPC UA adapter reads, and
a per-language template composes the answer, so it is correct without a strong model. When settings allow,
the LLM may rephrase the template answer; the rephrasing is kept only if the grounding check passes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from assistant import answers
from assistant.config import Settings
from assistant.contract import AskResult, Citation, ToolCall
from assistant.errors import BadQuestion, UnknownAsset, UnknownSignal
from assistant.grounding import check_grounding
from assistant.language import detect_language
from assistant.llm.base import LLM
from assistant.prompts import prompts_dir
from tools.opcua.adapter import OpcUaAdapter
from tools.opcua.catalog import Asset
from tools.opcua.resolve import (
    ASSET_CODE,
    question_quantities,
    resolve_assets,
    resolve_signal,
    signal_quantity,
)

MAX_QUESTION_CHARS = 2000


class Agent:
    def __init__(
        self, settings: Settings, adapter: OpcUaAdapter | None = None, llm_factory: Callable[[], LLM] | None = None
    ) -> None:
        self.settings = settings
        self.adapter = adapter or OpcUaAdapter(settings)
        self._llm_factory = llm_factory
        self._llm: LLM | None = None

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            if self._llm_factory is None:
                from assistant.llm import create_llm

                self._llm = create_llm(self.settings)
            else:
                self._llm = self._llm_factory()
        return self._llm

    async def _tool(
        self,
        calls: list[ToolCall],
        name: str,
        arguments: dict[str, Any],
        fn: Callable[[], Awaitable[Any]],
        summarise: Callable[[Any], Any],
    ) -> Any:
        t0 = time.perf_counter()
        result = await fn()
        calls.append(
            ToolCall(
                tool=name,
                arguments=arguments,
                result=summarise(result),
                duration_ms=round((time.perf_counter() - t0) * 1000, 2),
            )
        )
        return result

    async def ask(self, question: str, language: str | None = None) -> AskResult:
        t0 = time.perf_counter()
        text = (question or "").strip()
        if not text:
            raise BadQuestion("the question is empty — please type or say a question")
        if len(text) > MAX_QUESTION_CHARS:
            raise BadQuestion(f"the question is too long ({len(text)} characters; at most {MAX_QUESTION_CHARS})")
        lang = language or detect_language(text, fallback=self.settings.language)
        result = await self._answer(text, lang)
        result.latency_ms = round((time.perf_counter() - t0) * 1000, 1)
        return result

    async def _answer(self, question: str, lang: str) -> AskResult:
        calls: list[ToolCall] = []
        quantities = question_quantities(question)
        assets: list[Asset] = await self._tool(
            calls,
            "opcua.catalog",
            {"endpoints": [e.url for e in self.adapter.endpoints]},
            self.adapter.assets,
            lambda a: {"assets": len(a), "signals": sum(len(x.signals) for x in a)},
        )
        resolution = resolve_assets(question, assets)
        calls.append(
            ToolCall(
                tool="opcua.find_asset",
                arguments={"query": question},
                result=[{"asset": m.asset.path_text, "score": m.score, "why": m.why} for m in resolution.assets],
                duration_ms=0.0,
            )
        )
        if resolution.best is None:
            if quantities or ASSET_CODE.search(question):
                examples = ", ".join(a.display_name for a in assets[:6])
                endpoints = ", ".join(e.url for e in self.adapter.endpoints)
                raise UnknownAsset(
                    answers.render("unknown_asset", lang, query=repr(question), endpoints=endpoints, examples=examples)
                )
            return AskResult(
                question=question,
                language=lang,
                answer=answers.render("out_of_scope", lang),
                tool_calls=calls,
                kind="refusal",
            )
        if resolution.ambiguous:
            options = ", ".join(f"{m.asset.display_name} ({m.asset.path_text})" for m in resolution.assets[:4])
            return AskResult(
                question=question,
                language=lang,
                tool_calls=calls,
                kind="clarification",
                answer=answers.render("clarify_asset", lang, options=options),
            )
        asset = resolution.best.asset
        signals = resolve_signal(question, asset)
        if not signals:
            raise UnknownSignal(
                answers.render(
                    "unknown_signal",
                    lang,
                    asset=asset.display_name,
                    options=", ".join(s.display_name for s in asset.signals),
                )
            )
        if len(signals) > 1 and signals[1].score >= signals[0].score - 1e-6:
            tied = [s.signal.display_name for s in signals if s.score >= signals[0].score - 1e-6]
            return AskResult(
                question=question,
                language=lang,
                tool_calls=calls,
                kind="clarification",
                answer=answers.render("clarify_signal", lang, asset=asset.display_name, options=", ".join(tied)),
            )
        signal = signals[0].signal
        readings = await self._tool(
            calls,
            "opcua.read",
            {"node_ids": [signal.node_id], "endpoint": asset.endpoint},
            lambda: self.adapter.read([signal], asset.endpoint),
            lambda rs: [r.to_dict() for r in rs],
        )
        reading = readings[0]
        label = answers.quantity_label(signal_quantity(signal), signal.display_name, lang)
        fields = dict(
            quantity=label,
            asset=asset.display_name,
            node=reading.stable_id,
            endpoint=asset.endpoint,
            time=answers.format_time(reading.source_timestamp),
            status=reading.status,
        )
        if not reading.good:
            text = answers.render("bad_status", lang, **fields)
        elif isinstance(reading.value, bool) or not reading.unit:
            text = answers.render("current_state", lang, value=answers.format_value(reading.value, lang), **fields)
        else:
            text = answers.render(
                "current_value", lang, value=answers.format_value(reading.value, lang), unit=reading.unit, **fields
            )
        citations = [
            Citation(
                source=asset.endpoint,
                locator=f"{reading.stable_id} @ {reading.source_timestamp}",
                text=f"{reading.path} = {reading.value} {reading.unit}".strip(),
            )
        ]
        result = AskResult(question=question, language=lang, answer=text, tool_calls=calls, citations=citations)
        if self.settings.llm.rewrite_answers and reading.good:
            self._rewrite(result)
        result.grounded = check_grounding(result.answer, self._evidence(result)).grounded
        return result

    @staticmethod
    def _evidence(result: AskResult) -> list[Any]:
        calls = [{"arguments": c.arguments, "result": c.result} for c in result.tool_calls]
        return [*calls, *(c.model_dump() for c in result.citations)]

    def _rewrite(self, result: AskResult) -> None:
        """Let the LLM rephrase the template answer; keep it only if every number and code is grounded."""
        prompt = (prompts_dir() / "rewrite.txt").read_text(encoding="utf-8").format(answer=result.answer)
        completion = self.llm.complete(prompt, max_tokens=self.settings.llm.max_tokens, stop=["\n"])
        candidate = completion.text.strip()
        report = check_grounding(candidate, self._evidence(result))
        if candidate and report.grounded and not completion.timed_out:
            result.answer = candidate
            result.mode = "llm"
        else:
            result.mode = "fallback"
