"""The model card beside a shipped adapter: how it was made (data seed, example counts, steps, time on this machine,
command lines) and what it scores on the held-out split. Rendered from ``<adapter>.train.json`` and, when present,
``<adapter>.eval.json`` (written by ``models evaluate-adapter --card``)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from assistant.finetune.convert import GGUF_NAMES, SHIPPED_ADAPTER

ALL_PROJECTIONS = [m.split(".")[-1] for m in GGUF_NAMES]  # what adapters trained before the setting existed used


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100 * float(x):.0f} %"


def write_model_card(folder: Path, summary: dict[str, Any] | None = None, adapter: Path = SHIPPED_ADAPTER) -> Path:
    train = {k: v for k, v in (summary or _load(adapter.with_suffix(".train.json"))).items() if k != "history"}
    if summary is not None:
        adapter.with_suffix(".train.json").write_text(json.dumps(train, indent=1), encoding="utf-8")
    ev = _load(adapter.with_suffix(".eval.json"))
    cfg = train.get("config", {})
    schedule = train.get("schedule_steps", train.get("steps"))
    size = adapter.stat().st_size if adapter.is_file() else 0
    lines = [
        f"# Model card: {adapter.name}",
        "",
        "LoRA adapter for the bundled Gemma 3 270M (Q4_K_M GGUF) that teaches it the two jobs the agent gives an LLM:",
        '**PLAN** (catalog excerpt + question [+ previous turn] → `{"intent": …, "assets": […]}`, kept only inside',
        "the enums of the router's intents and the excerpt's asset names: greedy, grammar-constrained when the free",
        "plan does not validate) and **ANSWER** (the template",
        "answer built from tool results → one short sentence in the question's language keeping value, unit, time and",
        "node; the agent keeps it only if the grounding check passes). Prompt formats: `prompts/planner.txt`,",
        "`prompts/rewrite.txt` (built by `assistant/finetune/formats.py`). Loaded by the llama.cpp backend by default",
        '(`llm.adapter = "bundled"`; `"none"` switches it off, or give another adapter file).',
        "",
        "## Training",
        f"- Data: synthetic, seed {train.get('seed', cfg.get('seed'))}: {train.get('plan_examples')} PLAN + "
        f"{train.get('answer_examples')} ANSWER examples in EN/DE/FR/ES/IT (`assistant/finetune/data.py`, phrasings "
        "in `prompts/finetune/<lang>.yaml` plus the router's example questions); catalogs: excerpts of the demo plant "
        "and generic invented plants (16 asset kinds).",
        "- Held-out split (never seen in training): asset names (numbers 400–499 for seen kinds; four unseen asset "
        "kinds: heat exchanger, mixer, chiller, filling machine) and every fourth phrasing template of every intent "
        "(the training-only phrasings, `plan_extra`, written after the held-out set was fixed, never are).",
        f"- LoRA r {cfg.get('r')}, alpha {cfg.get('alpha')}, dropout {cfg.get('dropout')} on "
        f"{'/'.join(m.removesuffix('_proj') for m in cfg.get('target_modules', ALL_PROJECTIONS))} of all layers "
        f"({train.get('trainable_params', '3.8 M')} trainable parameters); AdamW lr {cfg.get('lr')}, "
        f"batch {cfg.get('batch_size')}, linear warm-up/decay over {schedule} steps; "
        "loss on target tokens only; raw prompts, no chat template.",
        f"- Steps trained: {train.get('steps')} of a {schedule}-step schedule, "
        f"{train.get('train_seconds', 0) / 60:.0f} min on this machine ({train.get('cpus') or os.cpu_count()} vCPUs, "
        f"{train.get('seconds_per_step')} s/step, torch CPU, {cfg.get('threads')} threads; {platform.machine()}); "
        f"final training loss (mean of last 10 steps) {train.get('final_loss_avg10')}.",
        f"- Adapter: f16 LoRA GGUF written with the `gguf` package, {size / 1e6:.1f} MB.",
        "",
        "## Held-out evaluation (llama.cpp, as the agent runs it)",
    ]
    s = ev.get("summary", {})
    if s:
        base = ev.get("base", {})
        plans = {m: ev.get(m, {}).get("plan", {}) for m in ("adapter", "base", "router", "combined")}
        rails = bool(plans["router"])
        cols = ["base + adapter", "base model alone"]
        cols += ["router + rails", "router, adapter if unsure"] if rails else []

        def row(label: str, values: list[Any]) -> str:
            return f"| {label} | " + " | ".join(_pct(v) for v in values[: len(cols)]) + " |"

        lines += [
            f"Command: `{ev.get('command', 'iiot-assistant models evaluate-adapter')}`",
            "",
            "| | " + " | ".join(cols) + " |",
            "|---" * (len(cols) + 1) + "|",
        ]
        for key, label in (("tool_accuracy", "tool (intent) accuracy"), ("asset_accuracy", "asset accuracy"),
                           ("exact_match", "exact match")):  # fmt: skip
            lines.append(row(f"plan: {label}", [p.get(key) for p in plans.values()]))
        for lang in plans["adapter"].get("by_language") or {}:
            tools = [(p.get("by_language") or {}).get(lang, {}).get("tool") for p in plans.values()]
            lines.append(row(f"plan: tool accuracy, {lang.upper()}", tools))
        for lang, acc in (s.get("answer_accuracy") or {}).items():
            b = (base.get("answer", {}).get("by_language") or {}).get(lang)
            lines.append(row(f"answer value+unit+language, {lang.upper()}", [acc, b, None, None]))
        grounded = [s.get("answer_grounded"), base.get("answer", {}).get("grounded"), None, None]
        lines += [
            row("answers passing the grounding check", grounded),
            "",
            f"{s.get('n_plan')} PLAN and {s.get('n_answer')} ANSWER held-out rows (balanced over the five "
            "languages); the base model's plans are decoded freely only (its grammar-constrained pass costs about a "
            "minute a plan here; free, it produces no valid plan). Decode speed: "
            f"{(s.get('tokens_per_s') or {}).get('adapter')} tok/s with the adapter vs "
            f"{(s.get('tokens_per_s') or {}).get('base')} without (ratio {s.get('tokens_per_s_ratio')}).",
        ]
        if rails:
            lines += [
                "",
                "The last two columns send the same held-out questions through the agent's own planner "
                "(`assistant/finetune/rails_eval.py`): the semantic router with its rails and the catalog resolver "
                "alone, and combined: the adapter plans the questions the router is unsure of "
                f"({ev['combined'].get('llm_planned')} of {plans['combined'].get('n')} here; `llm.plan_when_unsure`, "
                "off by default). Answers are the "
                "adapter's job only (–).",
            ]
    else:
        lines.append("Not evaluated yet: run `iiot-assistant models evaluate-adapter --base --rails --card`.")
    lines += [
        "",
        "## Reproduce",
        "```",
        "pip install -e '.[train]'",
        f"iiot-assistant models finetune --ship --seed {train.get('seed', 0)}"
        + (f" --stop-after {train['steps']}" if train.get("steps") != train.get("schedule_steps") else ""),
        "iiot-assistant models evaluate-adapter --base --rails --card",
        "```",
        "Intermediate files (dequantized base checkpoint ~1 GB, data, checkpoints) go to `<cache>/finetune/`; "
        "`--resume` continues an interrupted run; `--plant` trains on the configured server's browsed catalog.",
        "",
        "## Limits",
        "- 270 M parameters: the adapter picks among the intents and catalog names it is shown; the rails (router, "
        "resolver, per-language templates, grounding check) stay in charge and are the fallback.",
        "- Trained on short synthetic questions; unusual phrasings, long conversations and other answer kinds "
        "(alarms, documents, diagnosis) are not trained.",
    ]
    card = folder / "MODEL_CARD.md"
    card.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return card
