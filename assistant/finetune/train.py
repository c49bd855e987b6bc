"""LoRA training of the bundled Gemma 3 270M on the CPU, and the ``models finetune`` pipeline around it.

Pipeline: synthetic data (:mod:`assistant.finetune.data`) → a plain fp32 Hugging Face checkpoint dequantized from the
bundled GGUF (transformers reads GGUF; ``save_pretrained`` refuses a GGUF-loaded model, so the state dict is written
with safetensors and the quantization config dropped) → LoRA (peft, r 32 on the attention projections, loss
on target tokens only, the LM head applied to target positions only) → GGUF adapter (:mod:`assistant.finetune.convert`).
Intermediate files live in the cache folder, never in the repository. Training checkpoints every N steps and
``resume`` continues from the last one. torch/transformers/peft come from the ``[train]`` extra and load lazily;
nothing is downloaded (offline flags are set before transformers is imported).
"""

from __future__ import annotations

import json
import os
import random
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.errors import OperatorError
from assistant.finetune import ANSWER_EXAMPLES, PLAN_EXAMPLES
from assistant.finetune.data import Example

# Attention projections only: llama.cpp applies each adapted matrix as two extra small matmuls per token, so the
# decode speed falls with the number of adapted matrices, not with the rank (measured: all seven projections at r 16
# ran at 0.79-0.88 of the base model's tokens/s, the four attention ones at 0.90-0.96).
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj")
TRAIN_EXTRA_HINT = "pip install -e '.[train]'"


@dataclass
class TrainConfig:
    r: int = 32
    alpha: int = 64
    dropout: float = 0.05
    lr: float = 4e-4
    target_modules: tuple[str, ...] = TARGET_MODULES
    batch_size: int = 4
    epochs: float = 1.0
    max_steps: int = 0  # > 0 overrides epochs
    seed: int = 0
    threads: int = 2
    checkpoint_every: int = 20
    stop_after: int = 0  # > 0: stop after this many steps of the schedule and export (resume continues)
    time_budget_s: float = 0.0  # > 0: the same when this many seconds of training are exceeded


def require_train_extra() -> None:
    """Fail with a clear message when the training dependencies are missing."""
    missing = []
    for module in ("torch", "transformers", "peft", "safetensors", "gguf"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise OperatorError(
            f"fine-tuning needs the training extra ({', '.join(missing)} not installed): run {TRAIN_EXTRA_HINT}"
        )


def _offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def base_checkpoint(gguf_path: Path, out_dir: Path, log: Callable[[str], None] = print) -> Path:
    """A plain fp32 HF checkpoint of the GGUF (made once; ~1 GB in the cache folder)."""
    if (out_dir / "model.safetensors").is_file() and (out_dir / "config.json").is_file():
        return out_dir
    require_train_extra()
    _offline()
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log(f"dequantizing {gguf_path.name} into {out_dir} (once)")
    tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous().clone() for k, v in model.state_dict().items() if k != "lm_head.weight"}  # tied
    save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
    config = model.config.to_dict()
    for key in ("quantization_config", "_model_name_or_path"):
        config.pop(key, None)
    config["architectures"] = ["Gemma3ForCausalLM"]
    config["torch_dtype"] = "float32"
    (tmp / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    tok.save_pretrained(str(tmp))
    if out_dir.exists():
        import shutil

        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    return out_dir


def load_base(base_dir: Path, threads: int) -> tuple[Any, Any]:
    _offline()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(threads)
    tok = AutoTokenizer.from_pretrained(str(base_dir))
    model = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32, attn_implementation="sdpa")
    return tok, model


def encode(tok: Any, example: Example) -> tuple[list[int], list[int]]:
    """Prompt and target tokenized separately (as llama.cpp sees the prompt); labels only on target + EOS."""
    prompt = tok(example.prompt).input_ids
    target = [*tok(example.target, add_special_tokens=False).input_ids, tok.eos_token_id]
    return prompt + target, [-100] * len(prompt) + target


def make_batches(lengths: Sequence[int], cfg: TrainConfig) -> list[list[int]]:
    """Seeded, length-bucketed batches (sorted within chunks of 8 batches: less padding), repeated to the step count."""
    rng = random.Random(cfg.seed)
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    chunk = cfg.batch_size * 8
    chunks = [sorted(idx[i : i + chunk], key=lambda k: lengths[k]) for i in range(0, len(idx), chunk)]
    batches = [c[i : i + cfg.batch_size] for c in chunks for i in range(0, len(c), cfg.batch_size)]
    rng.shuffle(batches)
    steps = cfg.max_steps or max(1, int(len(batches) * cfg.epochs))
    return (batches * (steps // len(batches) + 1))[:steps]


def train_lora(
    base_dir: Path,
    rows: Sequence[Example],
    work_dir: Path,
    cfg: TrainConfig,
    *,
    resume: bool = False,
    log: Callable[[str], None] = print,
    progress: bool = True,
) -> dict[str, Any]:
    """Train; the peft adapter lands in ``work_dir/adapter``. Returns the training summary (also saved as JSON)."""
    require_train_extra()
    _offline()
    import torch
    import torch.nn.functional as F
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict
    from peft.utils import get_peft_model_state_dict
    from tqdm import tqdm

    torch.manual_seed(cfg.seed)
    tok, model = load_base(base_dir, cfg.threads)
    lora = LoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout, task_type="CAUSAL_LM",
                      target_modules=list(cfg.target_modules))  # fmt: skip
    model = get_peft_model(model, lora)
    data = [encode(tok, r) for r in rows]
    batches = make_batches([len(x) for x, _ in data], cfg)
    steps = len(batches)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    warm = max(1, steps // 15)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * max(0.05, 1 - s / steps))
    work_dir.mkdir(parents=True, exist_ok=True)
    ckpt = work_dir / "checkpoint.pt"
    start, elapsed_before, history = 0, 0.0, []
    if resume and ckpt.is_file():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        if state["steps"] != steps or state["n_examples"] != len(rows):
            raise OperatorError(f"checkpoint {ckpt} is for another run (delete it or run without --resume)")
        set_peft_model_state_dict(model, state["lora"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        start, elapsed_before, history = state["step"], state["elapsed_s"], state["history"]
        torch.set_rng_state(state["rng"])
        log(f"resuming at step {start}/{steps}")
    inner = model.base_model.model  # Gemma3ForCausalLM
    softcap = getattr(inner.config, "final_logit_softcapping", None)
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    model.train()
    t0 = time.perf_counter()

    def save(step: int) -> None:
        tmp = ckpt.with_suffix(".tmp")
        torch.save({"lora": get_peft_model_state_dict(model), "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(), "step": step, "steps": steps, "n_examples": len(rows),
                    "elapsed_s": elapsed_before + time.perf_counter() - t0, "history": history,
                    "rng": torch.get_rng_state()}, tmp)  # fmt: skip
        tmp.replace(ckpt)

    bar = tqdm(total=steps, initial=start, desc="LoRA", unit="step", disable=not progress, dynamic_ncols=True)
    step = start
    for step in range(start, steps):
        b = batches[step]
        length = max(len(data[k][0]) for k in b)
        ids = torch.full((len(b), length), pad)
        labels = torch.full((len(b), length), -100)
        mask = torch.zeros((len(b), length), dtype=torch.long)
        for i, k in enumerate(b):
            x, y = data[k]
            ids[i, : len(x)] = torch.tensor(x)
            labels[i, : len(y)] = torch.tensor(y)
            mask[i, : len(x)] = 1
        hidden = inner.model(input_ids=ids, attention_mask=mask).last_hidden_state
        ys = labels[:, 1:]
        sel = ys != -100
        logits = inner.lm_head(hidden[:, :-1][sel]).float()
        if softcap:
            logits = torch.tanh(logits / softcap) * softcap
        loss = F.cross_entropy(logits, ys[sel])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        history.append({"step": step + 1, "loss": round(loss.item(), 4), "seq_len": length})
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}")
        done = step + 1
        elapsed = elapsed_before + time.perf_counter() - t0
        if done % cfg.checkpoint_every == 0 and done < steps:
            save(done)
            if not progress:
                log(f"step {done}/{steps} loss {loss.item():.3f} elapsed {elapsed:.0f}s")
        over_budget = cfg.time_budget_s and elapsed > cfg.time_budget_s
        if done < steps and (over_budget or (cfg.stop_after and done >= cfg.stop_after)):
            save(done)
            log(f"stopping at step {done}/{steps} (budget); the adapter is exported, --resume continues")
            break
    bar.close()
    done = step + 1 if steps > start else start
    train_s = elapsed_before + time.perf_counter() - t0
    out = work_dir / "adapter"
    model.save_pretrained(str(out))
    summary = {
        "config": asdict(cfg),
        "examples": len(rows),
        "steps": done,
        "schedule_steps": steps,
        "train_seconds": round(train_s, 1),
        "seconds_per_step": round(train_s / max(1, steps), 2),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2),
        "cpus": os.cpu_count(),
        "final_loss_avg10": round(sum(h["loss"] for h in history[-10:]) / max(1, len(history[-10:])), 4),
        "trainable_params": sum(p.numel() for p in params),
        "history": history,
    }
    (out / "train_summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    if ckpt.exists() and done >= steps:
        ckpt.unlink()
    return summary


def export_checkpoint(work_dir: Path, cfg: TrainConfig, n_examples: int, log: Callable[[str], None] = print) -> dict:
    """The peft adapter of the last checkpoint (e.g. of a run stopped from outside) → ``work_dir/adapter``."""
    import torch
    from safetensors.torch import save_file

    state = torch.load(work_dir / "checkpoint.pt", map_location="cpu", weights_only=False)
    out = work_dir / "adapter"
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in state["lora"].items()}, str(out / "adapter_model.safetensors"))
    config = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": cfg.r, "lora_alpha": cfg.alpha,
              "lora_dropout": cfg.dropout, "target_modules": list(cfg.target_modules), "bias": "none"}  # fmt: skip
    (out / "adapter_config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    steps = state["step"]
    history = state["history"]
    summary = {
        "config": asdict(cfg), "examples": n_examples, "steps": steps, "schedule_steps": state["steps"],
        "train_seconds": round(state["elapsed_s"], 1), "seconds_per_step": round(state["elapsed_s"] / max(1, steps), 2),
        "final_loss_avg10": round(sum(h["loss"] for h in history[-10:]) / max(1, len(history[-10:])), 4),
        "history": history,
    }  # fmt: skip
    (out / "train_summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    log(f"exported the checkpoint of step {steps}/{state['steps']} to {out}")
    return summary


def work_dir_for(settings: Any, plant: bool) -> Path:
    return Path(settings.cache_path) / "finetune" / ("plant" if plant else "default")


def plant_catalog(settings: Any) -> list[Any]:
    """The configured OPC UA server's browsed catalog as generator input."""
    import asyncio

    from assistant.finetune.data import catalog_from_assets
    from tools.opcua.adapter import OpcUaAdapter

    async def browse() -> list[Any]:
        adapter = OpcUaAdapter(settings)
        try:
            return await adapter.assets()
        finally:
            close = getattr(adapter, "close", None)
            if close is not None:
                await close()

    return catalog_from_assets(asyncio.run(browse()))


def run_finetune(
    settings: Any,
    out: Path,
    *,
    plant: bool = False,
    resume: bool = False,
    seed: int = 0,
    n_plan: int = PLAN_EXAMPLES,
    n_answer: int = ANSWER_EXAMPLES,
    cfg: TrainConfig | None = None,
    log: Callable[[str], None] = print,
    progress: bool = True,
) -> dict[str, Any]:
    """Data → base checkpoint → LoRA → GGUF adapter at ``out``. Returns the summary (also beside the adapter)."""
    from assistant.finetune.data import generate, write_jsonl
    from assistant.finetune.evaluate import held_out
    from assistant.llm.bundled import resolve_model_path

    require_train_extra()
    cfg = cfg or TrainConfig(seed=seed)
    work = work_dir_for(settings, plant)
    catalog = plant_catalog(settings) if plant else None
    train_rows = generate("train", seed=seed, n_plan=n_plan, n_answer=n_answer, plant=catalog)
    write_jsonl(train_rows, work / "data" / "train.jsonl")
    write_jsonl(held_out(seed), work / "data" / "test.jsonl")
    log(f"data: {len(train_rows)} training examples ({n_plan} plan, {n_answer} answer), seed {seed} -> {work / 'data'}")
    gguf = resolve_model_path(settings)
    base = base_checkpoint(gguf, Path(settings.cache_path) / "finetune" / "base_hf", log)
    summary_path = work / "adapter" / "train_summary.json"
    if resume and summary_path.is_file() and not (work / "checkpoint.pt").exists():
        log("training already finished: converting")
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    else:
        summary = train_lora(base, train_rows, work, cfg, resume=resume, log=log, progress=progress)
    from assistant.finetune.convert import convert_adapter  # imported late: long runs pick up the current converter

    convert_adapter(work / "adapter", out, base_gguf=gguf)
    summary.update({"seed": seed, "plan_examples": n_plan, "answer_examples": n_answer, "plant": plant,
                    "adapter": str(out), "adapter_bytes": out.stat().st_size})  # fmt: skip
    brief = {k: v for k, v in summary.items() if k != "history"}
    out.with_suffix(".train.json").write_text(json.dumps(brief, indent=1), encoding="utf-8")
    size_mb = out.stat().st_size / 1e6
    log(f"adapter: {out} ({size_mb:.1f} MB), {summary['steps']} steps in {summary['train_seconds']:.0f} s")
    return summary
