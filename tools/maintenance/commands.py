"""``iiot-assistant models train|evaluate``: train the maintenance models into the data folder (or the shipped
folder) and regenerate their validation; ``evaluate`` ends with one JSON line of headline figures.

Mounted by the host CLI: ``app.add_typer(models_app, name="models")``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.finetune import ANSWER_EXAMPLES, PLAN_EXAMPLES
from tools.maintenance.registry import SHIPPED_DIR, clear_cache, data_dir, load_bundle

models_app = typer.Typer(no_args_is_help=True, help="Maintenance models: train and evaluate.")


def _settings(config: Path | None) -> Any:
    from assistant.config import load_settings

    return load_settings(config).settings


@models_app.command("train")
def train(
    out: Annotated[Path | None, typer.Option("--out", help="folder for the model files (default: data folder)")] = None,
    ship: Annotated[bool, typer.Option("--ship", help="write into the repository's models/maintenance/")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="small data sets (tests, smoke runs)")] = False,
    config: Annotated[Path | None, typer.Option("--config", help="TOML settings file")] = None,
) -> None:
    """Generate training data from the physics, fit, validate, save models + model cards."""
    from tools.maintenance.training import train_models

    target = out or (SHIPPED_DIR if ship else data_dir(_settings(config)))
    assert target is not None
    t = time.perf_counter()
    train_models(Path(target), quick=quick, log=typer.echo)
    clear_cache()
    typer.echo(f"models written to {target} in {time.perf_counter() - t:.0f} s")


@models_app.command("evaluate")
def evaluate(
    quick: Annotated[bool, typer.Option("--quick", help="small validation sets")] = False,
    config: Annotated[Path | None, typer.Option("--config", help="TOML settings file")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="also write the full validation as JSON")] = None,
) -> None:
    """Regenerate the validation of the loaded models from fresh seeds; last line: one JSON object."""
    from tools.maintenance import training

    settings = _settings(config) if config else None
    sizes = training.QUICK if quick else training.FULL
    t = time.perf_counter()
    clf = load_bundle("bearing_diagnosis", settings)
    rulm = load_bundle("bearing_rul", settings)
    typer.echo(f"models: {clf.name} {clf.version} ({clf.source}), {rulm.name} {rulm.version} ({rulm.source})")
    dval = training.validate_diagnosis(clf.model, None, sizes)
    h = dval["held_out_bearings"]
    typer.echo(f"diagnosis  macro-F1 held-out bearings {h['macro_f1']:.3f} (target ≥ 0.95), accuracy "
               f"{h['accuracy']:.3f}, ECE {h['ece']:.3f}, {h['n']} waveforms / {h['n_bearings']} bearings")  # fmt: skip
    n = dval["new_bearing_types"]
    typer.echo(f"           new bearing types {', '.join(n['bearing_types'])}: macro-F1 {n['macro_f1']:.3f}")
    fs = clf.validation.get("new_bearing_types_after_fewshot")
    if fs:
        typer.echo(f"           after {clf.validation.get('fewshot_labelled_bearings_per_type')} labelled bearing(s) "
                   f"per new type (at training): macro-F1 {fs['macro_f1']:.3f}")  # fmt: skip
    rval = training.validate_rul(rulm.model, None, sizes)
    r = rval["held_out_bearings"]
    typer.echo(f"rul        RMSE relative to P-F interval {r['rmse_relative']:.3f} (to total record "
               f"{r['rmse_relative_to_total_life']:.3f}), 80 % band coverage {r['band_coverage']:.3f} (target ≥ 0.80), "
               f"{r['n']} snapshots / {r['n_runs']} runs")  # fmt: skip
    rn = rval["new_bearing_types"]
    typer.echo(f"           new bearing types: RMSE rel {rn['rmse_relative']:.3f}, coverage {rn['band_coverage']:.3f}")
    rfs = rulm.validation.get("new_bearing_types_after_fewshot")
    if rfs:
        runs = rulm.validation.get("fewshot_labelled_runs_per_type")
        typer.echo(f"           after {runs} labelled run(s) per type (at training): "
                   f"RMSE rel {rfs['rmse_relative']:.3f}, coverage {rfs['band_coverage']:.3f}")  # fmt: skip
    aval = training.validate_anomaly(sizes)
    delay = aval["detection_delay_s_median"]
    typer.echo(f"anomaly    precision {aval['precision']:.3f}, recall {aval['recall']:.3f}, right signal "
               f"{aval['named_right_signal']:.3f}, median detection delay {delay or 0:.0f} s after onset")  # fmt: skip
    lat = training.measure_latency(settings)
    typer.echo(f"latency    diagnose {lat['diagnose']:.1f} ms, remaining_useful_life "
               f"{lat['remaining_useful_life']:.1f} ms per asset (target < 50 ms); "
               f"anomalies incl. fitting {lat['anomalies_incl_fit']:.0f} ms")  # fmt: skip
    typer.echo(f"evaluation took {time.perf_counter() - t:.0f} s")
    if report:
        report.write_text(json.dumps({"diagnosis": dval, "rul": rval, "anomaly": aval, "latency_ms": lat}, indent=2,
                                     default=str), encoding="utf-8")  # fmt: skip
    typer.echo(json.dumps({
        "macro_f1": round(h["macro_f1"], 4),
        "rul_rmse_relative": round(r["rmse_relative"], 4),
        "band_coverage": round(r["band_coverage"], 4),
        "detection_delay_s": None if delay is None else round(delay),
        "latency_ms": round(lat["diagnose"] + lat["remaining_useful_life"], 2),
    }))  # fmt: skip


ADAPTER_HELP = "GGUF adapter file (default: the data folder's; --ship: the repository's models/adapter/)"


@models_app.command("finetune")
def finetune(
    plant: Annotated[bool, typer.Option("--plant", help="train on the configured plant's browsed catalog")] = False,
    out: Annotated[Path | None, typer.Option("--out", help=ADAPTER_HELP)] = None,
    ship: Annotated[bool, typer.Option("--ship", help="write the repository's shipped adapter + model card")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="continue from the last checkpoint")] = False,
    seed: Annotated[int, typer.Option("--seed", help="data and training seed")] = 0,
    plan_examples: Annotated[int, typer.Option("--plan-examples", help="synthetic PLAN examples")] = PLAN_EXAMPLES,
    answer_examples: Annotated[
        int, typer.Option("--answer-examples", help="synthetic ANSWER examples")
    ] = ANSWER_EXAMPLES,
    max_steps: Annotated[int, typer.Option("--max-steps", help="stop after this many steps (0: epochs)")] = 0,
    epochs: Annotated[float, typer.Option("--epochs", help="passes over the training data")] = 1.0,
    stop_after: Annotated[int, typer.Option("--stop-after", help="stop after N steps of the schedule")] = 0,
    time_budget: Annotated[float, typer.Option("--time-budget", help="seconds; stop, export, --resume later")] = 0.0,
    config: Annotated[Path | None, typer.Option("--config", help="TOML settings file")] = None,
) -> None:
    """LoRA-fine-tune the bundled LLM on synthetic plant data (CPU; needs the [train] extra) → GGUF adapter."""
    from assistant.finetune.card import write_model_card
    from assistant.finetune.convert import SHIPPED_ADAPTER, default_adapter_path
    from assistant.finetune.train import TrainConfig, run_finetune

    settings = _settings(config)
    target = out or (SHIPPED_ADAPTER if ship else default_adapter_path(settings, plant))
    cfg = TrainConfig(seed=seed, epochs=epochs, max_steps=max_steps, stop_after=stop_after, time_budget_s=time_budget)
    summary = run_finetune(settings, Path(target), plant=plant, resume=resume, seed=seed, n_plan=plan_examples,
                           n_answer=answer_examples, cfg=cfg, log=typer.echo)  # fmt: skip
    if ship:
        write_model_card(Path(target).parent, summary, adapter=Path(target))
    if Path(target) != SHIPPED_ADAPTER:
        typer.echo(f'use it: set llm.adapter = "{target}"')


@models_app.command("evaluate-adapter")
def evaluate_adapter(
    adapter: Annotated[Path | None, typer.Option("--adapter", help="GGUF adapter (default: the shipped one)")] = None,
    plans: Annotated[int, typer.Option("--plans", help="held-out PLAN examples (0: all 300)")] = 0,
    answers: Annotated[int, typer.Option("--answers", help="held-out ANSWER examples (0: all 250)")] = 0,
    base: Annotated[bool, typer.Option("--base/--no-base", help="also score the base model without adapter")] = False,
    rails: Annotated[bool, typer.Option("--rails/--no-rails", help="also score router, router+LLM")] = False,
    seed: Annotated[int, typer.Option("--seed", help="held-out data seed")] = 0,
    report: Annotated[Path | None, typer.Option("--report", help="write the full results (JSON)")] = None,
    card: Annotated[bool, typer.Option("--card", help="store figures beside the adapter, refresh its card")] = False,
    config: Annotated[Path | None, typer.Option("--config", help="TOML settings file")] = None,
) -> None:
    """Held-out plan/answer accuracy of the LoRA adapter with llama.cpp, adapter size, speed; last line JSON."""
    from assistant.finetune.convert import SHIPPED_ADAPTER
    from assistant.finetune.evaluate import evaluate_adapter_file

    settings = _settings(config)
    result = evaluate_adapter_file(settings, Path(adapter or SHIPPED_ADAPTER), n_plans=plans, n_answers=answers,
                                   with_base=base, with_rails=rails, seed=seed, log=typer.echo)  # fmt: skip
    if report:
        report.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    if card:
        import sys

        from assistant.finetune.card import write_model_card

        target = Path(adapter or SHIPPED_ADAPTER)
        stored = {k: v for k, v in result.items() if k != "outputs"}
        if "plan" in stored.get("base", {}):  # the base model gets every plan wrong: its mistakes say nothing
            stored["base"] = {**stored["base"], "plan": {k: v for k, v in stored["base"]["plan"].items()
                                                         if k != "mistakes"}}  # fmt: skip
        stored["command"] = "iiot-assistant models evaluate-adapter " + " ".join(sys.argv[3:])
        target.with_suffix(".eval.json").write_text(json.dumps(stored, indent=1, ensure_ascii=False), encoding="utf-8")
        write_model_card(target.parent, adapter=target)
    typer.echo(json.dumps(result["summary"], ensure_ascii=False))
