"""The exact prompt formats the agent sends the LLM — PLAN (slot filling) and ANSWER (rephrasing) — built in one place.

The planner, the answer writer and the synthetic training data all use these builders, so a LoRA adapter sees at
run time exactly the prompts it was trained on. Prompts are raw text (no chat template) ending in a newline; the
model's reply is one line. The prompt texts live in ``prompts/planner.txt`` and ``prompts/rewrite.txt``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from assistant.prompts import prompts_dir

PLAN_MAX_ASSETS = 10  # catalog excerpt size: short prompts (training cost and speed on 2 cores)
PLAN_MAX_TOKENS = 64
ANSWER_MAX_TOKENS = 128  # the longest ANSWER target (a history summary with its source) is ~120 tokens
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _template(name: str) -> str:
    return (prompts_dir() / name).read_text(encoding="utf-8").strip()


def asset_kind(display_name: str, description: str) -> str:
    """A short kind for the catalog excerpt: the (at most two) words before the asset's name in its description."""
    text = description or ""
    at = text.find(display_name) if display_name else -1
    words = _WORD.findall(text[:at] if at > 0 else text)
    picked = words[-2:] if at > 0 else words[:2]
    return " ".join(w.lower() for w in picked) or "asset"


def catalog_text(entries: Sequence[tuple[str, str]]) -> str:
    """``kind: name, name; kind: name`` — grouped by kind in order of first appearance (compact for small contexts)."""
    groups: dict[str, list[str]] = {}
    for name, kind in entries:
        groups.setdefault(kind, []).append(name)
    return "; ".join(f"{kind}: {', '.join(names)}" for kind, names in groups.items())


def plan_target(intent: str, assets: Sequence[str]) -> str:
    """The plan as the model writes it (property order = the grammar's order)."""
    return json.dumps({"intent": intent, "assets": list(assets)}, ensure_ascii=False)


def plan_schema(intents: Sequence[str], names: Sequence[str]) -> dict[str, Any]:
    """JSON schema whose enums are the real intents and the excerpt's asset names."""
    return {
        "type": "object",
        "properties": {
            "intent": {"enum": list(intents)},
            "assets": {"type": "array", "items": {"enum": list(names)}, "maxItems": 3},
        },
        "required": ["intent", "assets"],
        "additionalProperties": False,
    }


def plan_prompt(entries: Sequence[tuple[str, str]], question: str, previous: tuple[str, str] | None = None) -> str:
    """PLAN prompt: catalog excerpt, the previous turn (question and its plan) when there is one, the question."""
    prev = f"previous: {_one_line(previous[0])} -> {previous[1]}\n" if previous else ""
    text = _template("planner.txt").format(assets=catalog_text(entries), previous=prev, question=_one_line(question))
    return text + "\n"


def answer_prompt(language: str, facts: str) -> str:
    """ANSWER prompt: the template answer (facts from tool results) to say again as one short sentence."""
    text = _template("rewrite.txt").format(language=language, facts=_one_line(facts))
    return text + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def plan_excerpt(question: str, assets: Sequence[Any], limit: int = PLAN_MAX_ASSETS) -> list[Any]:
    """At most ``limit`` catalog assets (one per display name) for the PLAN prompt: the ones the resolver matches in
    the question first, then the rest of the catalog; kept in catalog order."""
    unique = list({a.display_name: a for a in assets}.values())
    if len(unique) <= limit:
        return unique
    from tools.opcua.resolve import resolve_assets

    picked: list[str] = []
    for match in resolve_assets(question, unique).assets:
        if match.asset.display_name not in picked:
            picked.append(match.asset.display_name)
    picked = picked[: limit // 2]
    for a in unique:
        if len(picked) >= limit:
            break
        if a.display_name not in picked:
            picked.append(a.display_name)
    keep = set(picked)
    return [a for a in unique if a.display_name in keep]


def plan_entries(assets: Sequence[Any]) -> list[tuple[str, str]]:
    """(name, kind) pairs of catalog assets for :func:`plan_prompt`."""
    return [(a.display_name, asset_kind(a.display_name, a.description)) for a in assets]


def parse_plan(text: str, intents: Sequence[str], names: Sequence[str]) -> dict[str, Any] | None:
    """The plan in ``text`` if it is one JSON object whose intent and assets are among the enums."""
    try:
        plan = json.loads(text.strip().split("\n")[0])
    except json.JSONDecodeError:
        return None
    if not isinstance(plan, dict) or plan.get("intent") not in intents:
        return None
    assets = plan.get("assets")
    if not isinstance(assets, list) or not all(a in names for a in assets) or len(assets) > 3:
        return None
    return {"intent": plan["intent"], "assets": list(dict.fromkeys(assets))}


def decode_plan(
    llm: Any,
    prompt: str,
    intents: Sequence[str],
    names: Sequence[str],
    max_tokens: int = PLAN_MAX_TOKENS,
    fallback: bool = True,
) -> tuple[dict[str, Any] | None, str]:
    """Greedy PLAN decoding: free first, grammar-constrained (enums) only when the free plan does not validate.

    When the free greedy text validates, the grammar would have allowed every one of its tokens, so constrained
    greedy decoding gives the same plan — at a fraction of the cost: llama.cpp's grammar sampler checks the whole
    262k-token vocabulary at every step (tens of seconds per plan on 2 cores).
    """
    free = llm.complete(prompt, max_tokens=max_tokens, stop=["\n"])
    plan = parse_plan(free.text, intents, names)
    if plan is not None or not fallback:
        return plan, free.text.strip()
    constrained = llm.complete(prompt, max_tokens=max_tokens, json_schema=plan_schema(intents, names))
    return parse_plan(constrained.text, intents, names), constrained.text.strip()
