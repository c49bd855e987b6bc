"""The adapter's held-out PLAN questions through the agent's own planner: the router with its rails alone, and the
combined planner (the rails, and the LLM plans where the router is unsure: ``llm.plan_when_unsure``).

Each held-out row carries its catalog excerpt (``kind: name, name; …`` in the prompt) and, for follow-ups, the
previous turn; both are turned back into catalog assets (with the signals of their kind, as a server would list
them) and a conversation, so the planner sees what it would see at run time. The outputs are plans in the
adapter's JSON form, scored by :func:`assistant.finetune.evaluate.score` like the adapter's own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from assistant.finetune.data import KINDS, SIGNAL_NAMES, UNITS, Example, kind_of
from assistant.finetune.formats import plan_target
from assistant.planner import Conversation, Slots, llm_may_plan, slots_from_llm, slots_from_rails
from tools.opcua.catalog import Asset, Signal


def _prompt_line(prompt: str, label: str) -> str:
    return next((ln.removeprefix(label).strip() for ln in prompt.splitlines() if ln.startswith(label)), "")


def catalog_of(row: Example) -> list[Asset]:
    """The row's catalog excerpt as OPC UA catalog assets: the kind words as description, the kind's signals."""
    assets = []
    for group in _prompt_line(row.prompt, "assets:").split("; "):
        kind_words, _, names = group.partition(": ")
        kind = kind_of(kind_words)
        quantities = KINDS[kind][2] if kind else ["temperature"]
        for name in filter(None, (n.strip() for n in names.split(","))):
            node = f"ns=2;s={name}"
            signals = [
                Signal(node_id=f"{node}.{SIGNAL_NAMES[q]}", namespace_uri="urn:held-out", browse_name=SIGNAL_NAMES[q],
                       display_name=SIGNAL_NAMES[q], description="", path=[name, SIGNAL_NAMES[q]],
                       asset_node_id=node, data_type="Double", unit=UNITS[q][0])
                for q in quantities
            ]  # fmt: skip
            assets.append(Asset(node_id=node, browse_name=name, display_name=name,
                                description=f"{kind_words} {name}", path=[name], endpoint="opc.tcp://held-out",
                                signals=signals))  # fmt: skip
    return assets


def conversation_of(row: Example, assets: Sequence[Asset]) -> Conversation | None:
    """The previous turn of a follow-up row (``previous: question -> plan``), resolved against the catalog."""
    previous = _prompt_line(row.prompt, "previous:")
    if not previous:
        return None
    question, _, plan_json = previous.rpartition(" -> ")
    plan = json.loads(plan_json)
    chosen = [a for name in plan["assets"] for a in assets if a.display_name == name]
    conversation = Conversation()
    conversation.remember(question, Slots(intent=plan["intent"], assets=chosen))
    return conversation


def plans_on_rails(rows: Sequence[Example], router: Any, llm: Any = None) -> tuple[list[str], int]:
    """Each PLAN row's plan from the rails (``llm`` None) or combined with the LLM; also how many rows the LLM
    planned (the router was unsure and the LLM's plan validated)."""
    outputs, planned = [], 0
    for row in rows:
        question = _prompt_line(row.prompt, "question:")
        assets = catalog_of(row)
        conversation = conversation_of(row, assets)
        route = router.route(question)
        slots = slots_from_rails(question, route, assets, conversation)
        if llm is not None and llm_may_plan(route, slots):
            by_llm = slots_from_llm(llm, question, router.intents, assets, conversation=conversation)
            if by_llm is not None:
                slots, planned = by_llm, planned + 1
        outputs.append(plan_target(slots.intent, [a.display_name for a in slots.assets]))
    return outputs, planned
