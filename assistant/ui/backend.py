"""What the UI runs, off the UI's event loop: agents in worker threads, charts' history, overview, control.

Gradio serves every browser from one event loop; the agent's rails (embeddings, optional LLM) are CPU-bound.
So questions run on a pool of ``workers`` threads, each with its own event loop, :class:`Agent` and OPC UA
sessions (the router's example embeddings are shared). A separate *ops* thread serves the plant overview,
history charts and gated writes, so the overview stays live while the workers answer someone else.

Streaming: :meth:`Backend.ask_stream` is an async generator of events (``("delta", text)`` … ``("result", r)``).
Today the agent returns one result and the text is released in chunks; an agent that streams tokens plugs in
here without changing the UI.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from assistant.agent import Agent
from assistant.audit import audit_log
from assistant.config import Settings
from assistant.contract import AskResult
from assistant.errors import OperatorError
from assistant.loop_thread import LoopThread
from assistant.planner import Conversation
from assistant.ui.texts import t, words
from tools.opcua.catalog import Asset, Signal
from tools.opcua.control import Confirmation, Controller
from tools.opcua.resolve import fold, question_quantities, resolve_assets, resolve_signal

T = TypeVar("T")
CHUNK_WORDS = 3
CHUNK_DELAY_S = 0.03
DEFAULT_HISTORY_HOURS = 1.0
MAX_CHART_POINTS = 2000
OVERVIEW_SIGNALS_PER_ASSET = 4
MAX_SESSIONS = 500  # conversations kept (least recently used dropped)


def ui_workers(settings: Settings) -> int:
    """Questions answered at the same time (``ui.workers`` when the settings have it; default 2)."""
    return max(1, int(getattr(settings.ui, "workers", 2)))


def ui_max_queue(settings: Settings) -> int:
    """Questions that may wait for a worker before new ones are turned away (``ui.max_queue``; default 64)."""
    return max(1, int(getattr(settings.ui, "max_queue", 64)))


class _Worker:
    def __init__(self, settings: Settings, name: str, router: Any | None) -> None:
        self.thread = LoopThread(name)
        self.agent = Agent(settings, router=router)

    async def run(self, fn: Callable[[Agent], Awaitable[T]]) -> T:
        future = asyncio.run_coroutine_threadsafe(fn(self.agent), self.thread.loop)  # type: ignore[arg-type]
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.thread.run(self.agent.adapter.close(), timeout=5)
        self.thread.close()


@dataclass
class Answer:
    """One answered question as the UI shows it."""

    result: dict[str, Any]
    asked: str  # the question sent to the agent (with follow-up context)
    asset: str | None = None  # the asset the answer is about (for follow-ups)
    extra_calls: list[dict[str, Any]] = field(default_factory=list)  # UI-side tool calls (history for charts)
    notes: list[str] = field(default_factory=list)


class Backend:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        from assistant.embeddings import embed
        from assistant.router import SemanticRouter

        self._router: Any = None
        self._router_factory = lambda: SemanticRouter(embed, settings.cache_path)
        self.ops = _Worker(settings, "ui-ops", None)
        self.workers = [_Worker(settings, f"ui-agent-{i}", None) for i in range(ui_workers(settings))]
        self._free: asyncio.Queue[_Worker] | None = None
        self.controller = Controller(settings, self.ops.agent.adapter, audit_log(settings.data_dir))
        # the agent's conversation per browser session: follow-ups ("and yesterday?") inherit intent, assets, words
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()

    def conversation(self, session: str) -> Conversation:
        conv = self._conversations.pop(session, None) or Conversation()
        self._conversations[session] = conv
        while len(self._conversations) > MAX_SESSIONS:
            self._conversations.popitem(last=False)
        return conv

    def forget(self, session: str | None) -> None:
        """'New conversation': follow-ups no longer lean on earlier questions."""
        if session:
            self._conversations.pop(session, None)

    def _shared_router(self) -> Any:
        if self._router is None:
            self._router = self._router_factory()
            for w in [self.ops, *self.workers]:
                w.agent._router = self._router
        return self._router

    async def warm_up(self) -> None:
        await asyncio.to_thread(self._shared_router)

    async def _with_worker(self, fn: Callable[[Agent], Awaitable[T]]) -> T:
        if self._free is None:
            self._free = asyncio.Queue()
            for w in self.workers:
                self._free.put_nowait(w)
        worker = await self._free.get()
        try:
            return await worker.run(fn)
        finally:
            self._free.put_nowait(worker)

    async def on_ops(self, fn: Callable[[Agent], Awaitable[T]]) -> T:
        return await self.ops.run(fn)

    # -- questions -------------------------------------------------------------------------------------------
    async def assets(self) -> list[Asset]:
        return await self.on_ops(lambda a: a.adapter.assets())

    async def contextualize(self, question: str, last_asset: str | None) -> tuple[str, str | None]:
        """A follow-up that names no asset ("and the pressure?") is asked about the previous answer's asset."""
        if not last_asset:
            return question, None
        try:
            assets = await self.assets()
        except OperatorError:
            return question, None
        if resolve_assets(question, assets).best is not None:
            return question, None
        if question_quantities(question) or len(question.split()) <= 6:
            return f"{question.rstrip()} ({last_asset})", last_asset
        return question, None

    async def ask(
        self, question: str, language: str | None, last_asset: str | None = None, session: str | None = None
    ) -> Answer:
        """Answer in the session's conversation (the agent resolves follow-ups); without a session, a follow-up
        that names no asset is asked about ``last_asset``."""
        await asyncio.to_thread(self._shared_router)
        if session:
            asked, ctx, conv = question, None, self.conversation(session)
        else:
            (asked, ctx), conv = await self.contextualize(question, last_asset), None
        result: AskResult = await self._with_worker(lambda a: a.ask(asked, language=language, conversation=conv))
        lang = result.language
        answer = Answer(result.model_dump(mode="json"), asked)
        if ctx or (result.from_context and result.assets):
            answer.notes.append(t(lang, "context_note", asset=ctx or ", ".join(result.assets)))
        with contextlib.suppress(OperatorError):
            assets = await self.assets()
            best = resolve_assets(asked, assets).best
            if best is None and result.assets:  # the agent's own resolution (a follow-up names no asset)
                best = next((m for a in result.assets if (m := resolve_assets(a, assets).best)), None)
            answer.asset = best.asset.display_name if best else None
            if best is not None and self.wants_history(asked, lang) and not _has_series(result):
                call = await self.history_call(asked, best.asset, lang)
                if call is not None:
                    answer.extra_calls.append(call)
                    answer.notes.append(t(lang, "chart_source_history", node=call["result"].get("stable_id", "")))
        return answer

    async def ask_stream(self, question: str, language: str | None, last_asset: str | None = None,
                         session: str | None = None) -> AsyncIterator[tuple[str, Any]]:  # fmt: skip
        """Events for the UI: ``("delta", text so far)`` … then ``("result", Answer)``."""
        answer = await self.ask(question, language, last_asset, session)
        text = answer.result.get("answer", "")
        parts = re.split(r"(\s+)", text)
        shown = ""
        for i in range(0, len(parts), CHUNK_WORDS * 2):
            shown += "".join(parts[i : i + CHUNK_WORDS * 2])
            yield "delta", shown
            await asyncio.sleep(CHUNK_DELAY_S)
        yield "result", answer

    # -- history for charts ----------------------------------------------------------------------------------
    def wants_history(self, question: str, lang: str) -> bool:
        from tools.historian.timewindow import window_from

        q = fold(question)
        if any(fold(w) in q for w in words(lang, "history_words")):
            return True
        try:
            window_from(question, self.settings.plant)
        except Exception:
            return False
        return True

    def _window(self, question: str) -> tuple[datetime, datetime, str]:
        from tools.historian.timewindow import window_from

        try:
            w = window_from(question, self.settings.plant)
            return w.start.astimezone(UTC), w.end.astimezone(UTC), w.text()
        except Exception:
            end = datetime.now(UTC)
            start = end - timedelta(hours=DEFAULT_HISTORY_HOURS)
            return start, end, f"{start:%Y-%m-%d %H:%M} – {end:%H:%M} UTC"

    async def history_call(self, question: str, asset: Asset, lang: str) -> dict[str, Any] | None:
        """OPC UA history of the signal the question names (``opcua.history``), with alarm limits and periods."""
        ranked = resolve_signal(question, asset)
        numeric = [s for s in asset.signals if s.history_readable or s.historizing]
        signal: Signal | None = ranked[0].signal if ranked else (numeric[0] if numeric else None)
        if signal is None:
            return None
        start, end, window = self._window(question)

        async def fetch(agent: Agent) -> dict[str, Any]:
            hist = await agent.adapter.history(signal, asset.endpoint, start, end, MAX_CHART_POINTS)
            data = hist.to_dict()
            data["window"] = {"meaning": window}
            with contextlib.suppress(Exception):
                events = await agent.adapter.events(start - timedelta(hours=1), end + timedelta(days=1), 2000)
                data["alarm_periods"], data["threshold"] = _alarm_periods(events, asset, signal)
            return data

        t0 = asyncio.get_running_loop().time()
        try:
            data = await self.on_ops(fetch)
        except OperatorError:
            return None
        if not data.get("points"):
            return None
        return {
            "tool": "opcua.history",
            "arguments": {
                "node_id": signal.node_id,
                "endpoint": asset.endpoint,
                "start": data["start"],
                "end": data["end"],
            },
            "result": data,
            "duration_ms": round((asyncio.get_running_loop().time() - t0) * 1000, 1),
        }

    # -- overview --------------------------------------------------------------------------------------------
    async def overview(self) -> dict[str, Any]:
        """Assets with a few live values each, and the standing alarms — one batched read per endpoint."""

        async def collect(agent: Agent) -> dict[str, Any]:
            assets = await agent.adapter.assets()
            by_endpoint: dict[str, list[Signal]] = {}
            for a in assets:
                sigs = [s for s in a.signals if s.unit][:OVERVIEW_SIGNALS_PER_ASSET] or a.signals[:2]
                by_endpoint.setdefault(a.endpoint, []).extend(sigs)
            values: dict[str, Any] = {}
            for ep, sigs in by_endpoint.items():
                for r in await agent.adapter.read(sigs, ep):
                    values[r.node_id] = r
            rows = []
            for a in assets:
                sigs = [s for s in a.signals if s.unit][:OVERVIEW_SIGNALS_PER_ASSET] or a.signals[:2]
                shown = []
                for s in sigs:
                    r = values.get(s.node_id)
                    if r is not None and r.good:
                        v = _short(r.value)
                        shown.append(f"{s.display_name} {v} {s.unit}".strip())
                rows.append([a.display_name, a.path[-2] if len(a.path) > 1 else "", " · ".join(shown)])
            alarms = await agent.adapter.active_alarms()
            return {"assets": rows, "alarms": [a.to_dict() for a in alarms]}

        return await self.on_ops(collect)

    async def maintenance_plan(self, lang: str) -> tuple[list[list[Any]], str | None]:
        """Work orders from the agent's maintenance-plan skill; ``(rows, None)`` or ``([], reason)``."""
        question = t(lang, "overview_plan") + "?"
        try:
            result: AskResult = await self._with_worker(lambda a: a.ask(question, language=lang))
        except OperatorError as exc:
            return [], exc.message
        for call in result.tool_calls:
            orders = _find_key(call.result, "work_orders")
            if isinstance(orders, list):
                rows = [[o.get("asset"), o.get("action"), o.get("scheduled_start") or "", o.get("reason"),
                         o.get("priority")] for o in orders if isinstance(o, dict)]  # fmt: skip
                return rows, None
        return [], result.answer

    # -- control ---------------------------------------------------------------------------------------------
    async def writable(self) -> dict[str, list[Signal]]:
        return {a.display_name: [s for s in a.signals if s.writable] for a in await self.assets()
                if any(s.writable for s in a.signals)}  # fmt: skip

    async def propose(self, user: str, role: str, asset_name: str, signal_name: str, value: float) -> Confirmation:
        assets = {a.display_name: a for a in await self.assets()}
        asset = assets[asset_name]
        signal = next(s for s in asset.signals if s.display_name == signal_name)
        return await self.on_ops(lambda _a: self.controller.propose_write(user, role, asset.endpoint, signal, value))

    async def current(self, asset_name: str, signal_name: str) -> tuple[Signal, Any]:
        assets = {a.display_name: a for a in await self.assets()}
        asset = assets[asset_name]
        signal = next(s for s in asset.signals if s.display_name == signal_name)
        reading = (await self.on_ops(lambda a: a.adapter.read([signal], asset.endpoint)))[0]
        return signal, reading.value if reading.good else None

    async def confirm(self, confirmation_id: str, user: str, approve: bool) -> Any:
        return await self.on_ops(lambda _a: self.controller.confirm(confirmation_id, user, approve))

    def close(self) -> None:
        for w in [self.ops, *self.workers]:
            w.close()


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.4g}"
    return str(v)


def _has_series(result: AskResult) -> bool:
    from assistant.ui.charts import find_rul, find_series

    return any(find_series(c.result) or find_rul(c.result) for c in result.tool_calls)


def _find_key(obj: Any, key: str, depth: int = 0) -> Any:
    if depth > 4:
        return None
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            found = _find_key(v, key, depth + 1)
            if found is not None:
                return found
    return None


def _alarm_periods(events: list[Any], asset: Asset, signal: Signal) -> tuple[list[dict[str, Any]], list[float]]:
    """Alarm periods of ``asset`` (raise → clear per code) and the limits of alarms on ``signal``."""
    names = {asset.display_name, asset.browse_name}
    open_: dict[str, str] = {}
    periods: list[dict[str, Any]] = []
    limits: set[float] = set()
    for ev in events:
        if ev.source not in names or not ev.code:
            continue
        sig = str(ev.fields.get("Signal") or "")
        limit = ev.fields.get("Limit")
        if isinstance(limit, int | float) and (not sig or sig == signal.browse_name) and _about(ev, signal):
            limits.add(float(limit))
        if (ev.state or "Active") in ("Cleared", "Inactive", "Normal"):
            if ev.code in open_:
                periods.append({"start": open_.pop(ev.code), "end": ev.time, "code": ev.code})
        else:
            open_.setdefault(ev.code, ev.time)
    periods += [{"start": s, "end": None, "code": c} for c, s in open_.items()]
    return periods, sorted(limits)


def _about(ev: Any, signal: Signal) -> bool:
    """Whether an alarm event concerns ``signal``: its trigger value lies near the signal's range, or the message
    names the signal's quantity. Without a signal field we accept the event's limit only for matching quantities."""
    from tools.opcua.resolve import question_quantities, signal_quantity

    quantity = signal_quantity(signal)
    return quantity is not None and quantity in question_quantities(ev.message)
