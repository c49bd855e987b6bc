"""Held-out evaluation of a LoRA adapter with llama.cpp, exactly as the agent runs it, and the parity check with
transformers.

PLAN rows are decoded as the planner does (:func:`assistant.finetune.formats.decode_plan`: free greedy, and
grammar-constrained with the enums — the router's intents, the excerpt's asset names — when that does not validate)
through :class:`assistant.llm.llamacpp.LlamaCppLLM`; scored for valid JSON, intent ("tool") accuracy, asset
accuracy (the same set of assets) and exact match. ANSWER rows are decoded freely up to the newline; an answer
is right when it contains the value as formatted in the facts, the unit, and is in the requested language
(lingua); the grounding check's verdict is reported too. Speed: decode tokens/s with and without the adapter on
the same prompt, rounds interleaved.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.finetune.data import LANGS, Example, generate
from assistant.finetune.formats import ANSWER_MAX_TOKENS, PLAN_MAX_TOKENS, decode_plan
from assistant.grounding import check_grounding
from assistant.language import detect_language

SPEED_PROMPT = "### ANSWER\nlanguage: en\nfacts: The current flow of P-7 is 41.5 m³/h.\nanswer:\n"


# Large enough to tell the targets apart: 60 plans per language (one miss in 300 is 0.3 points), and 50 answers per
# language, so that one wrong answer leaves a language at 0.98, the target, rather than below it.
HELD_OUT_PLANS = 300
HELD_OUT_ANSWERS = 250


def plan_intents() -> list[str]:
    """The intents the agent's planner offers (the router's, English file plus topic folders)."""
    from assistant.prompts import load_layered

    return list(load_layered("router", "en"))


def parse_plan(text: str) -> dict[str, Any] | None:
    try:
        plan = json.loads(text.strip().split("\n")[0])
    except json.JSONDecodeError:
        return None
    return plan if isinstance(plan, dict) else None


def answer_ok(text: str, row: Example) -> dict[str, bool]:
    gold = row.gold
    facts = row.prompt.split("facts: ", 1)[1].split("\n", 1)[0]
    return {
        "value": gold["value"] in text,
        "unit": gold["unit"] in text,
        "language": detect_language(text, fallback="?") == row.lang,
        "grounded": bool(text.strip()) and check_grounding(text, [facts]).grounded,
    }


def score(rows: Sequence[Example], outputs: Sequence[str]) -> dict[str, Any]:
    plans = [(r, o) for r, o in zip(rows, outputs, strict=True) if r.task == "plan"]
    answers = [(r, o) for r, o in zip(rows, outputs, strict=True) if r.task == "answer"]
    out: dict[str, Any] = {}
    if plans:
        parsed = [(r, parse_plan(o)) for r, o in plans]
        tool = [p is not None and p.get("intent") == r.gold["intent"] for r, p in parsed]
        asset = [p is not None and sorted(p.get("assets") or []) == sorted(r.gold["assets"]) for r, p in parsed]
        out["plan"] = {
            "n": len(parsed),
            "json_valid": _rate([p is not None for _r, p in parsed]),
            "tool_accuracy": _rate(tool),
            "asset_accuracy": _rate(asset),
            "exact_match": _rate([t and a for t, a in zip(tool, asset, strict=True)]),
            "by_language": {
                lang: {"n": sum(r.lang == lang for r, _p in parsed),
                       "tool": _rate([t for (r, _p), t in zip(parsed, tool, strict=True) if r.lang == lang]),
                       "asset": _rate([a for (r, _p), a in zip(parsed, asset, strict=True) if r.lang == lang])}
                for lang in LANGS
            },
            "by_case": {
                case: _rate([t and a for (r, _p), t, a in zip(parsed, tool, asset, strict=True)
                             if r.gold.get("case") == case])
                for case in sorted({r.gold.get("case", "plain") for r, _p in parsed})
            },
            # what went wrong, to read: the question (the prompt's question line), the gold plan and the output
            "mistakes": [
                {"lang": r.lang, "question": _question_of(r.prompt), "gold": r.target, "got": o}
                for (r, o), t, a in zip(plans, tool, asset, strict=True) if not (t and a)
            ],
        }  # fmt: skip
    if answers:
        checks = [(r, answer_ok(o, r)) for r, o in answers]
        right = [c["value"] and c["unit"] and c["language"] for _r, c in checks]
        out["answer"] = {
            "n": len(checks),
            "value_unit_language": _rate(right),
            "grounded": _rate([c["grounded"] for _r, c in checks]),
            "by_language": {
                lang: _rate([ok for (r, _c), ok in zip(checks, right, strict=True) if r.lang == lang]) for lang in LANGS
            },
            "by_language_n": {lang: sum(r.lang == lang for r, _c in checks) for lang in LANGS},
        }
    return out


def _question_of(prompt: str) -> str:
    """The question line of a PLAN prompt (``prompts/planner.txt``), without its label."""
    lines = [ln for ln in prompt.splitlines() if ln.startswith("question:")]
    return lines[-1].removeprefix("question:").strip()[:200] if lines else prompt.strip()[-200:]


def _rate(flags: Sequence[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def held_out(seed: int = 0, n_plans: int = 0, n_answers: int = 0) -> list[Example]:
    """The held-out split (:data:`HELD_OUT_PLANS` PLAN + :data:`HELD_OUT_ANSWERS` ANSWER rows, balanced by
    language), optionally a prefix of each."""
    rows = generate("test", seed=seed, n_plan=HELD_OUT_PLANS, n_answer=HELD_OUT_ANSWERS)
    plans = [r for r in rows if r.task == "plan"][: n_plans or None]
    answers = [r for r in rows if r.task == "answer"][: n_answers or None]
    return plans + answers


def run_llamacpp(
    llm: Any, rows: Sequence[Example], intents: Sequence[str], constrained: bool = True
) -> tuple[list[str], float, int]:
    """Outputs as the agent would get them (plans: free greedy, grammar-constrained when that does not validate;
    ``constrained=False`` skips the slow constrained pass); also seconds and answer tokens."""
    outputs, tokens, t0 = [], 0, time.perf_counter()
    for r in rows:
        if r.task == "plan":
            plan, text = decode_plan(llm, r.prompt, intents, r.gold["names"], PLAN_MAX_TOKENS, fallback=constrained)
            outputs.append(json.dumps(plan, ensure_ascii=False) if plan is not None else text)
        else:
            c = llm.complete(r.prompt, max_tokens=ANSWER_MAX_TOKENS, stop=["\n"])
            outputs.append(c.text.strip())
            tokens += c.tokens
    return outputs, time.perf_counter() - t0, tokens


def decode_speed(llms: dict[str, Any], rounds: int = 5, tokens: int = 48) -> dict[str, float]:
    """Decode tokens/s per model on the same short prompt (EOS suppressed), rounds interleaved against load drift,
    after one untimed round each (a model's first call pays for its buffers, whichever model it is)."""
    spent = dict.fromkeys(llms, 0.0)
    for timed in [False] + [True] * rounds:
        for name, llm in llms.items():
            raw = llm._llm
            t0 = time.perf_counter()
            raw.create_completion(SPEED_PROMPT, max_tokens=tokens, temperature=0.0, top_k=1,
                                  logit_bias={raw.token_eos(): -1e9})  # fmt: skip
            spent[name] += (time.perf_counter() - t0) if timed else 0.0
    return {name: round(rounds * tokens / s, 1) for name, s in spent.items()}


def evaluate_adapter_file(
    settings: Any,
    adapter: Path,
    *,
    n_plans: int = 0,
    n_answers: int = 0,
    with_base: bool = False,
    with_rails: bool = False,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Everything ``models evaluate-adapter`` prints; ``summary`` is its last JSON line."""
    from assistant.errors import OperatorError
    from assistant.llm.bundled import resolve_model_path
    from assistant.llm.llamacpp import LlamaCppLLM

    if not adapter.is_file():
        raise OperatorError(f"adapter file not found: {adapter} (train one with 'iiot-assistant models finetune')")
    model = resolve_model_path(settings)
    s = settings.llm
    kw = dict(n_threads=s.n_threads, n_ctx=s.n_ctx, timeout_s=max(s.timeout_s, 120.0))
    tuned = LlamaCppLLM(model, lora_path=adapter, **kw)  # type: ignore[arg-type]
    base = LlamaCppLLM(model, **kw)  # type: ignore[arg-type]
    rows = held_out(seed, n_plans, n_answers)
    intents = plan_intents()
    n_plan, n_answer = sum(r.task == "plan" for r in rows), sum(r.task == "answer" for r in rows)
    log(f"held-out: {n_plan} plan + {n_answer} answer rows (unseen asset names and phrasings), "
        f"adapter {adapter.name} ({adapter.stat().st_size / 1e6:.1f} MB)")  # fmt: skip
    outputs, seconds, tokens = run_llamacpp(tuned, rows, intents)
    result: dict[str, Any] = {"adapter": score(rows, outputs), "seconds": round(seconds, 1), "tokens": tokens}
    result["outputs"] = [{"task": r.task, "lang": r.lang, "gold": r.gold, "target": r.target, "output": o}
                         for r, o in zip(rows, outputs, strict=True)]  # fmt: skip
    _log_scores("base + adapter", result["adapter"], log)
    if with_base:
        base_out, _s, _t = run_llamacpp(base, rows, intents, constrained=False)
        result["base"] = score(rows, base_out)
        _log_scores("base model (plans: free decoding only, invalid = wrong)", result["base"], log)
    if with_rails:
        result.update(_rails_scores(settings, rows, tuned, log))
    speed = decode_speed({"base": base, "adapter": tuned})
    ratio = round(speed["adapter"] / speed["base"], 3)
    log(f"decode speed: base {speed['base']} tok/s, with adapter {speed['adapter']} tok/s (ratio {ratio:.2f})")
    plan, answer = result["adapter"].get("plan", {}), result["adapter"].get("answer", {})
    result["summary"] = {
        "plan_exact_match": plan.get("exact_match"),
        "tool_accuracy": plan.get("tool_accuracy"),
        "asset_accuracy": plan.get("asset_accuracy"),
        "answer_accuracy": answer.get("by_language"),
        "answer_grounded": answer.get("grounded"),
        "adapter_bytes": adapter.stat().st_size,
        "tokens_per_s": speed,
        "tokens_per_s_ratio": ratio,
        "n_plan": plan.get("n"),
        "n_answer": answer.get("n"),
    }
    if with_base:
        result["summary"]["base_tool_accuracy"] = result["base"].get("plan", {}).get("tool_accuracy")
        result["summary"]["base_asset_accuracy"] = result["base"].get("plan", {}).get("asset_accuracy")
        result["summary"]["base_answer_accuracy"] = result["base"].get("answer", {}).get("by_language")
    for mode in ("router", "combined") if with_rails else ():
        p = result[mode].get("plan", {})
        result["summary"][f"{mode}_tool_accuracy"] = p.get("tool_accuracy")
        result["summary"][f"{mode}_exact_match"] = p.get("exact_match")
        result["summary"][f"{mode}_tool_by_language"] = {k: v["tool"] for k, v in p.get("by_language", {}).items()}
    return result


def _rails_scores(settings: Any, rows: Sequence[Example], tuned: Any, log: Callable[[str], None]) -> dict[str, Any]:
    """The same PLAN rows through the agent's planner: router + rails alone, and combined
    (the adapter plans where the router is unsure: ``llm.plan_when_unsure``)."""
    from assistant.embeddings import embed
    from assistant.finetune.rails_eval import plans_on_rails
    from assistant.router import SemanticRouter

    router = SemanticRouter(embed, settings.cache_path)
    plans = [r for r in rows if r.task == "plan"]
    out: dict[str, Any] = {}
    for mode, llm in (("router", None), ("combined", tuned)):
        outputs, by_llm = plans_on_rails(plans, router, llm)
        out[mode] = score(plans, outputs)
        out[mode]["llm_planned"] = by_llm
        _log_scores(f"{mode} (agent's planner{', LLM where the router is unsure' if llm else ', no LLM'})",
                    out[mode], log)  # fmt: skip
    return out


def _log_scores(label: str, s: dict[str, Any], log: Callable[[str], None]) -> None:
    if "plan" in s:
        p = s["plan"]
        log(f"{label} plan: tool {p['tool_accuracy']}, asset {p['asset_accuracy']}, exact {p['exact_match']}, "
            f"valid JSON {p['json_valid']} (n={p['n']})")  # fmt: skip
    if "answer" in s:
        a = s["answer"]
        langs = ", ".join(f"{k} {v}" for k, v in a["by_language"].items())
        log(f"{label} answer value+unit+language: {a['value_unit_language']} ({langs}); grounded {a['grounded']}")


# --- parity with transformers ------------------------------------------------------------------------------------


def peft_state_from_gguf(adapter: Path) -> tuple[dict[str, Any], float, int]:
    """The LoRA tensors of a GGUF adapter as a peft state dict (f16 → f32), its alpha and rank."""
    import numpy as np
    import torch
    from gguf import GGUFReader

    from assistant.finetune.convert import GGUF_NAMES

    back = {v: k for k, v in GGUF_NAMES.items()}
    reader = GGUFReader(str(adapter))
    field = reader.get_field("adapter.lora.alpha")
    alpha = float(field.contents()) if field is not None else 32.0
    state, rank = {}, 0
    for t in reader.tensors:
        _blk, layer, module, _w, ab = t.name.split(".")
        shape = [int(x) for x in reversed(t.shape.tolist())]
        value = torch.from_numpy(np.array(t.data, dtype=np.float32).reshape(shape))
        key = f"base_model.model.model.layers.{layer}.{back[module]}.lora_{ab[-1].upper()}.weight"
        state[key] = value
        rank = shape[0] if ab == "lora_a" else rank
    return state, alpha, rank


def transformers_greedy_steps(
    base_dir: Path, adapter: Path, prompts: Sequence[str], max_new_tokens: int = 48
) -> list[tuple[str, list[tuple[str, float]]]]:
    """Greedy continuations with transformers + peft (weights read back from the GGUF adapter), cut at a newline,
    with each generated token and its margin (logit of the chosen token minus the runner-up's): where two greedy
    decoders part, a small margin says the two best tokens were near-tied."""
    import torch
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict

    from assistant.finetune.train import load_base

    tok, model = load_base(base_dir, 2)
    state, alpha, rank = peft_state_from_gguf(adapter)
    adapted = sorted({key.split(".")[-3] for key in state})  # …layers.N.self_attn.q_proj.lora_A.weight → q_proj
    model = get_peft_model(model, LoraConfig(r=rank, lora_alpha=alpha, target_modules=adapted,
                                             task_type="CAUSAL_LM", lora_dropout=0.0))  # fmt: skip
    set_peft_model_state_dict(model, state)
    model.eval()
    outs = []
    with torch.no_grad():
        for p in prompts:
            ids = tok(p, return_tensors="pt")
            gen = model.generate(**ids, max_new_tokens=max_new_tokens, do_sample=False, output_scores=True,
                                 return_dict_in_generate=True)  # fmt: skip
            new = gen.sequences[0][ids.input_ids.shape[1] :]
            steps = []
            for token, scores in zip(new.tolist(), gen.scores, strict=False):
                top = torch.topk(scores[0].float(), 2).values
                steps.append((tok.decode([token], skip_special_tokens=True), float(top[0] - top[1])))
            outs.append((tok.decode(new, skip_special_tokens=True).split("\n")[0].strip(), steps))
    return outs


def parting_margin(ours: str, steps: Sequence[tuple[str, float]]) -> float | None:
    """Where ``ours`` first departs from the greedy tokens in ``steps``: the margin of that step (None: no parting)."""
    text = ""
    for piece, margin in steps:
        if not ours.startswith((text + piece).strip()) and (text + piece).strip():
            return margin
        text += piece
    return None


def llamacpp_greedy(model: Path, adapter: Path | None, prompts: Sequence[str], max_new_tokens: int = 48) -> list[str]:
    from assistant.llm.llamacpp import LlamaCppLLM

    llm = LlamaCppLLM(model, n_threads=2, n_ctx=1024, timeout_s=120.0, lora_path=adapter)
    return [llm.complete(p, max_tokens=max_new_tokens, stop=["\n"]).text.strip() for p in prompts]
