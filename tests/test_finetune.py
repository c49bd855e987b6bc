"""The plant LoRA adapter: seeded synthetic data with a held-out split by names and phrasings, a tiny training smoke
that ends in a GGUF llama.cpp loads, the shipped adapter beating the base model on held-out plans, llama.cpp and
transformers agreeing on greedy text, and the ``llm.adapter`` setting."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.errors import ModelMissing
from assistant.finetune.convert import SHIPPED_ADAPTER, gguf_tensor_name, resolve_adapter_path
from assistant.finetune.data import HELD_OUT_KINDS, Example, generate
from assistant.finetune.evaluate import HELD_OUT_ANSWERS, HELD_OUT_PLANS, held_out
from assistant.finetune.formats import plan_prompt, plan_target
from assistant.llm.base import Completion
from tests.conftest import SHARED_CACHE

NEAR_TIE = 1.0  # logits: two next tokens this close may swap between llama.cpp and transformers (rounding)

HAVE_TRAIN = all(importlib.util.find_spec(m) for m in ("torch", "transformers", "peft", "safetensors", "gguf"))
needs_train = pytest.mark.skipif(not HAVE_TRAIN, reason="needs the [train] extra: pip install -e '.[train]'")
needs_adapter = pytest.mark.skipif(not SHIPPED_ADAPTER.is_file(), reason="the shipped adapter is not in the repo")


# --- data ----------------------------------------------------------------------------------------------------------
def test_generator_is_seeded() -> None:
    a = generate("train", seed=3, n_plan=60, n_answer=20)
    b = generate("train", seed=3, n_plan=60, n_answer=20)
    c = generate("train", seed=4, n_plan=60, n_answer=20)
    assert [r.to_json() for r in a] == [r.to_json() for r in b]
    assert [r.to_json() for r in a] != [r.to_json() for r in c]
    assert {r.lang for r in a} == {"en", "de", "fr", "es", "it"}


def _names(rows: list[Example]) -> set[str]:
    return {n for r in rows if r.task == "plan" for n in r.gold["names"]} | {
        r.gold["asset"] for r in rows if r.task == "answer"
    }


def test_held_out_split_shares_no_asset_names_or_templates() -> None:
    train = generate("train", seed=0, n_plan=480, n_answer=150)
    test = held_out()
    assert not _names(train) & _names(test)
    assert not {r.gold["template"].casefold() for r in train} & {r.gold["template"].casefold() for r in test}
    assert any(r.gold.get("case") == "lexicon" for r in train)  # vocabulary questions from the router's lexicons
    assert {r.gold["intent"] for r in test if r.task == "plan"} >= {"current_value", "history_stats", "out_of_scope"}
    for lang in ("en", "de", "fr", "es", "it"):  # balanced by language
        assert sum(r.lang == lang and r.task == "answer" for r in test) == HELD_OUT_ANSWERS // 5
        assert sum(r.lang == lang and r.task == "plan" for r in test) == HELD_OUT_PLANS // 5
    # unseen asset kinds appear only in the held-out prompts
    assert not any(kind.replace("_", " ") in r.prompt for r in train for kind in HELD_OUT_KINDS)
    # plan targets are valid JSON over the catalog excerpt's names
    for r in train:
        if r.task == "plan":
            plan = json.loads(r.target)
            assert set(plan["assets"]) <= set(r.gold["names"]) and plan["intent"] == r.gold["intent"]


def test_both_splits_draw_every_style_of_asset_name() -> None:
    styles = {"dashless": r"[A-Z]+\d+", "dashed": r"[A-Z]+-\d+", "suffixed": r"[A-Z]+-\d+[AB]"}
    for split in ("train", "test"):
        rows = generate(split, seed=0, n_plan=300, n_answer=0) if split == "train" else held_out()
        names = _names(rows)
        for style, pattern in styles.items():
            assert any(re.fullmatch(pattern, n) for n in names), (split, style)


def test_training_only_phrasings_are_trained_and_never_equal_a_held_out_one() -> None:
    from assistant.finetune.data import LANGS, Generator, phrasings, split_templates

    train, test = Generator("train", 0), Generator("test", 0)
    for lang in LANGS:
        extra = phrasings(lang).get("plan_extra") or {}
        plan = phrasings(lang)["plan"]
        assert set(extra) <= set(plan), lang  # the intents the planner knows
        held = {t.casefold().rstrip(" .!?") for ts in plan.values() for t in split_templates(ts, "test")}
        for intent, templates in extra.items():
            for template in templates:
                template.format(a="A-1", b="B-2", q="q", t="t", x="1 bar", n="3")  # only the generator's slots
                assert ("{b}" not in template) or ("{a}" in template), (lang, template)
                assert template.casefold().rstrip(" .!?") not in held, (lang, template)  # a held-out phrasing
                assert template in train.templates[lang][intent], (lang, template)
                assert template not in test.templates[lang].get(intent, []), (lang, template)


def test_lexicon_questions_carry_the_routers_words_in_every_language() -> None:
    from assistant.finetune.data import LANGS, LEXICON_INTENTS, lexicon_templates
    from assistant.prompts import load_yaml

    cues = load_yaml("lexicon/intent_cues.yaml")
    for lang in LANGS:
        templates = lexicon_templates(lang)
        assert set(templates) == {*LEXICON_INTENTS, "write_request", "history_stats"}, lang
        for intent in LEXICON_INTENTS:  # every cue word of the intent is in some question of that intent
            for cue in cues[intent][lang]:
                assert any(cue in t for t in templates[intent]), (lang, intent, cue)
        assert all("{a}" in t for ts in templates.values() for t in ts)
    assert "RUL {a}?" in lexicon_templates("en")["remaining_useful_life"]  # short words as acronyms too
    assert "Kannst du {a} quittieren?" in lexicon_templates("de")["write_request"]


def test_answer_paraphrases_keep_every_fact_and_lead_with_the_asked_for_figure() -> None:
    from assistant.finetune.data import LANGS, phrasings

    needs = {"current_value": ("{asset}", "{value}", "{unit}", "{quantity}", "{time}", "{node}"),
             "history_stats": ("{asset}", "{quantity}", "{avg}", "{min}", "{max}", "{unit}", "{start}", "{end}",
                               "{count}", "{source}")}  # fmt: skip
    for lang in LANGS:
        answers = phrasings(lang)["answers"]
        assert len(answers["history_stats"]) >= 6 and len(answers["current_value"]) >= 6, lang
        for kind, fields in needs.items():
            for template in answers[kind]:
                assert all(f in template for f in fields), (lang, template)
        for template in answers["history_stats"]:
            # the asked-for figure first: an answer that wanders or is cut off after the range keeps its average
            assert template.index("{avg}") < min(template.index("{min}"), template.index("{max}")), (lang, template)
            # and the count after the figures: answers copying "… recorded {count} values …" stopped at the count
            assert template.index("{max}") < template.index("{count}"), (lang, template)
        for template in answers["current_value"]:
            # the value before the node id: an answer copying a node-first phrasing wrote the node, never the value
            assert template.index("{value}") < template.index("{node}"), (lang, template)


class RecordingLLM:
    name = "recording"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.calls: list[dict[str, Any]] = []

    def complete(self, prompt: str, **kwargs: Any) -> Completion:
        self.calls.append({"prompt": prompt, **kwargs})
        return Completion(self.reply, 5, 0.01)


def _asset(name: str, description: str) -> Any:
    from tools.opcua.catalog import Asset

    return Asset(node_id=f"ns=2;s={name}", browse_name=name, display_name=name, description=description,
                 path=["Plant", name], endpoint="opc.tcp://x:4840")  # fmt: skip


def test_planner_sends_the_trained_plan_format() -> None:
    from assistant.planner import Conversation, Slots, slots_from_llm

    assets = [_asset("P-1", "Centrifugal pump P-1, cooling"), _asset("K-7", "Screw air compressor K-7")]
    llm = RecordingLLM('{"intent": "current_value", "assets": ["K-7"]}')
    conversation = Conversation()
    conversation.remember("Wie warm ist P-1?", Slots(intent="current_value", assets=[assets[0]]))
    slots = slots_from_llm(llm, "und K-7?", ["current_value", "alarms"], assets, conversation=conversation)
    assert slots is not None and slots.intent == "current_value" and [a.display_name for a in slots.assets] == ["K-7"]
    expected = plan_prompt([("P-1", "centrifugal pump"), ("K-7", "air compressor")], "und K-7?",
                           ("Wie warm ist P-1?", plan_target("current_value", ["P-1"])))  # fmt: skip
    assert llm.calls[0]["prompt"] == expected and expected.endswith("plan:\n")
    assert len(llm.calls) == 1  # a valid free plan needs no grammar pass
    # a plan naming something outside the enums does not validate: the grammar-constrained pass decides
    wrong = RecordingLLM('{"intent": "poem", "assets": []}')
    assert slots_from_llm(wrong, "x", ["alarms"], assets) is None
    assert len(wrong.calls) == 2 and wrong.calls[1]["json_schema"]["properties"]["assets"]["items"]["enum"] == [
        "P-1", "K-7"
    ]  # fmt: skip


def test_rails_evaluation_gives_the_planner_the_rows_catalog_and_previous_turn() -> None:
    from assistant.finetune.formats import plan_entries
    from assistant.finetune.rails_eval import catalog_of, conversation_of

    rows = [r for r in held_out(0) if r.task == "plan"]
    assert {r.gold["case"] for r in rows} >= {"plain", "followup", "clarify"}
    for row in rows:
        assets = catalog_of(row)
        assert sorted(a.display_name for a in assets) == sorted(row.gold["names"])
        assert all(a.signals for a in assets)  # every asset has its kind's signals, as a server lists them
        conversation = conversation_of(row, assets)
        assert (conversation is not None) == (row.gold["case"] == "followup")
        previous = None
        if conversation is not None and conversation.last is not None:
            question, slots = conversation.last
            previous = (question, plan_target(slots.intent, [a.display_name for a in slots.assets]))
        question = row.prompt.rsplit("question: ", 1)[1].removesuffix("\nplan:\n")
        # the agent's planner would send the adapter exactly this row's prompt
        assert plan_prompt(plan_entries(assets), question, previous) == row.prompt


def test_rails_evaluation_asks_the_llm_only_where_the_router_is_unsure() -> None:
    from assistant.finetune.evaluate import plan_intents
    from assistant.finetune.rails_eval import plans_on_rails
    from assistant.router import Route

    class FixedRouter:
        intents = plan_intents()

        def __init__(self, confident: bool) -> None:
            self.score, self.margin = (0.9, 0.3) if confident else (0.4, 0.01)

        def route(self, question: str) -> Route:
            ranking = [("current_value", self.score)] + [(i, 0.0) for i in self.intents if i != "current_value"]
            return Route("current_value", self.score, self.margin, ranking)

    row = next(r for r in held_out(0) if r.task == "plan" and r.gold["case"] == "plain"
               and r.gold["intent"] == "current_value" and len(r.gold["assets"]) == 1)  # fmt: skip
    llm = RecordingLLM(plan_target("diagnosis", row.gold["assets"]))
    sure, planned = plans_on_rails([row], FixedRouter(confident=True), llm)
    assert planned == 0 and not llm.calls
    assert json.loads(sure[0]) == {"intent": "current_value", "assets": row.gold["assets"]}  # the resolver's asset
    unsure, planned = plans_on_rails([row], FixedRouter(confident=False), llm)
    assert planned == 1 and len(llm.calls) == 1
    assert json.loads(unsure[0]) == {"intent": "diagnosis", "assets": row.gold["assets"]}  # the LLM's plan counts


def test_a_write_command_found_by_the_rails_is_not_re_planned_by_the_llm() -> None:
    from assistant.finetune.evaluate import plan_intents
    from assistant.finetune.rails_eval import plans_on_rails
    from assistant.planner import is_write_command
    from assistant.router import Route

    class UnsureRouter:
        intents = plan_intents()

        def route(self, question: str) -> Route:
            ranking = [("alarms", 0.4)] + [(i, 0.0) for i in self.intents if i != "alarms"]
            return Route("alarms", 0.4, 0.01, ranking)

    rows = [r for r in held_out(0) if r.task == "plan" and r.gold["intent"] == "write_request" and r.gold["assets"]]
    row = next(r for r in rows if is_write_command(r.prompt.rsplit("question: ", 1)[1].removesuffix("\nplan:\n")))
    llm = RecordingLLM(plan_target("alarms", row.gold["assets"]))  # the model reads "acknowledge …" as alarms
    plans, planned = plans_on_rails([row], UnsureRouter(), llm)
    assert planned == 0 and not llm.calls
    assert json.loads(plans[0])["intent"] == "write_request"


def test_model_card_sets_the_adapter_beside_the_router_and_the_combined_planner(tmp_path: Path) -> None:
    from assistant.finetune.card import write_model_card

    adapter = tmp_path / "a.gguf"
    adapter.write_bytes(b"0" * 1000)
    train = {"seed": 0, "steps": 10, "schedule_steps": 10, "train_seconds": 600, "cpus": 3}
    adapter.with_suffix(".train.json").write_text(json.dumps(train))

    def plan(tool: float, de: float) -> dict[str, Any]:
        return {"n": 300, "tool_accuracy": tool, "asset_accuracy": 1.0, "exact_match": tool,
                "by_language": {"en": {"tool": tool}, "de": {"tool": de}}}  # fmt: skip

    ev = {"summary": {"tool_accuracy": 0.9, "answer_accuracy": {"de": 0.98}, "n_plan": 300},
          "adapter": {"plan": plan(0.9, 0.8)}, "base": {"plan": plan(0.0, 0.0), "answer": {"by_language": {"de": 0.3}}},
          "router": {"plan": plan(0.6, 0.55)}, "combined": {"plan": plan(0.95, 0.93), "llm_planned": 120}}  # fmt: skip
    adapter.with_suffix(".eval.json").write_text(json.dumps(ev))
    card = write_model_card(tmp_path, adapter=adapter).read_text(encoding="utf-8")
    assert "| | base + adapter | base model alone | router + rails | router, adapter if unsure |" in card
    assert "| plan: tool accuracy, DE | 80 % | 0 % | 55 % | 93 % |" in card
    assert "| answer value+unit+language, DE | 98 % | 30 % | – | – |" in card  # answers are the adapter's job
    assert "(120 of 300 here;" in card  # how many questions the adapter planned in the combined planner
    assert "10 min on this machine (3 vCPUs," in card  # the machine it was trained on, not the one writing the card


# --- settings ------------------------------------------------------------------------------------------------------
def test_adapter_setting(tmp_path: Path) -> None:
    assert resolve_adapter_path(Settings(data_dir=tmp_path, llm={"adapter": "none"})) is None
    bundled = resolve_adapter_path(Settings(data_dir=tmp_path))
    assert bundled == (SHIPPED_ADAPTER if SHIPPED_ADAPTER.is_file() else None)
    other_model = tmp_path / "other.gguf"
    other_model.write_bytes(b"GGUF")
    assert resolve_adapter_path(Settings(data_dir=tmp_path, llm={"model_path": str(other_model)})) is None
    with pytest.raises(ModelMissing, match=r"llm\.adapter") as err:
        resolve_adapter_path(Settings(data_dir=tmp_path, llm={"adapter": str(tmp_path / "missing.gguf")}))
    assert "missing.gguf" in err.value.message


def test_tensor_names_follow_llama_cpp() -> None:
    key = "base_model.model.model.layers.17.mlp.down_proj.lora_B.weight"
    assert gguf_tensor_name(key) == "blk.17.ffn_down.weight.lora_b"
    assert gguf_tensor_name("base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight") == (
        "blk.0.attn_output.weight.lora_a"
    )


# --- training smoke ------------------------------------------------------------------------------------------------
def _tiny_base(folder: Path) -> Path:
    """A 2-layer Gemma 3 with the real layer shapes (so its adapter fits the bundled model's first layers), a
    byte-level tokenizer and a small vocabulary: the whole pipeline in seconds."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig, PreTrainedTokenizerFast

    specials = ["<pad>", "<eos>", "<bos>"]
    vocab = {t: i for i, t in enumerate(specials)}
    for ch in pre_tokenizers.ByteLevel.alphabet():
        vocab.setdefault(ch, len(vocab))
    tk = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>")
    cfg = Gemma3TextConfig(vocab_size=len(vocab), hidden_size=640, intermediate_size=2048, num_hidden_layers=2,
                           num_attention_heads=4, num_key_value_heads=1, head_dim=256, pad_token_id=0,
                           eos_token_id=1, bos_token_id=2)  # fmt: skip
    Gemma3ForCausalLM(cfg).save_pretrained(str(folder))
    tok.save_pretrained(str(folder))
    return folder


@needs_train
def test_training_smoke_resumes_and_converts(tmp_path: Path, models_dir: Path) -> None:
    from assistant.finetune.convert import convert_adapter
    from assistant.finetune.train import TrainConfig, train_lora

    base = _tiny_base(tmp_path / "tiny")
    rows = generate("train", seed=1, n_plan=6, n_answer=2)
    cfg = TrainConfig(batch_size=2, max_steps=4, checkpoint_every=1, stop_after=2, seed=1)
    first = train_lora(base, rows, tmp_path / "work", cfg, progress=False, log=lambda _m: None)
    assert first["steps"] == 2 and (tmp_path / "work" / "checkpoint.pt").is_file()
    cfg.stop_after = 0
    done = train_lora(base, rows, tmp_path / "work", cfg, resume=True, progress=False, log=lambda _m: None)
    assert done["steps"] == 4 and not (tmp_path / "work" / "checkpoint.pt").exists()
    assert [h["step"] for h in done["history"]] == [1, 2, 3, 4]
    gguf = convert_adapter(tmp_path / "work" / "adapter", tmp_path / "smoke-lora.gguf")
    from gguf import GGUFReader

    reader = GGUFReader(str(gguf))
    assert str(reader.get_field("general.type").contents()) == "adapter"
    assert len(reader.tensors) == 2 * len(cfg.target_modules) * 2  # 2 layers x adapted projections x (a, b)
    # llama.cpp loads it onto the bundled model (it covers that model's first two layers)
    from assistant.llm.bundled import resolve_model_path
    from assistant.llm.llamacpp import LlamaCppLLM

    llm = LlamaCppLLM(resolve_model_path(Settings(data_dir=models_dir)), n_threads=2, n_ctx=256, timeout_s=120,
                      lora_path=gguf)  # fmt: skip
    assert llm.complete("Pump P-1 temperature:", max_tokens=3).tokens > 0


def test_training_without_the_extra_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from assistant.errors import OperatorError
    from assistant.finetune import train

    real_import = builtins.__import__

    def no_peft(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "peft":
            raise ImportError("no peft")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_peft)
    with pytest.raises(OperatorError, match=r"pip install -e '\.\[train\]'"):
        train.require_train_extra()


# --- the shipped adapter -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bundled_model(models_dir: Path) -> Path:
    from assistant.llm.bundled import resolve_model_path

    return resolve_model_path(Settings(data_dir=models_dir))


@pytest.mark.llm
@needs_adapter
def test_shipped_adapter_plans_held_out_questions(bundled_model: Path) -> None:
    from assistant.finetune.evaluate import held_out, plan_intents, run_llamacpp, score
    from assistant.llm.llamacpp import LlamaCppLLM

    rows = [r for r in held_out(0) if r.task == "plan"][:40:4]  # 10 rows, every language, unseen names/phrasings
    intents = plan_intents()
    scores = {}
    for name, lora in (("adapter", SHIPPED_ADAPTER), ("base", None)):
        llm = LlamaCppLLM(bundled_model, n_threads=2, n_ctx=1024, timeout_s=300, lora_path=lora)
        # the base model's free plans never validate; its grammar-constrained pass costs ~1 min a plan: skipped
        outputs, _s, _t = run_llamacpp(llm, rows, intents, constrained=name == "adapter")
        scores[name] = score(rows, outputs)["plan"]
    # held-out on 50 rows (model card): tool 0.80, asset 0.98 — intent choice is the weaker half
    assert scores["adapter"]["tool_accuracy"] >= 0.5 and scores["adapter"]["asset_accuracy"] >= 0.8, scores
    assert scores["base"]["exact_match"] <= 0.2, scores  # the base model alone cannot do it


@pytest.mark.llm
@needs_adapter
def test_shipped_adapter_answers_in_the_question_language(bundled_model: Path) -> None:
    from assistant.finetune.evaluate import held_out, plan_intents, run_llamacpp, score
    from assistant.llm.llamacpp import LlamaCppLLM

    rows = [r for r in held_out(0) if r.task == "answer"][:5]  # one per language
    llm = LlamaCppLLM(bundled_model, n_threads=2, n_ctx=1024, timeout_s=300, lora_path=SHIPPED_ADAPTER)
    outputs, _s, _t = run_llamacpp(llm, rows, plan_intents())
    assert score(rows, outputs)["answer"]["value_unit_language"] >= 0.8, outputs


@pytest.mark.llm
@needs_train
@needs_adapter
def test_llamacpp_matches_transformers_greedy(bundled_model: Path) -> None:
    from assistant.finetune.evaluate import held_out, llamacpp_greedy, parting_margin, transformers_greedy_steps
    from assistant.finetune.train import base_checkpoint

    # the dequantized checkpoint is ~1 GB and takes a minute or two to make: reuse the user's when there is one
    made = Settings().cache_path / "finetune" / "base_hf"
    folder = made if (made / "model.safetensors").is_file() else SHARED_CACHE / "finetune" / "base_hf"
    base = base_checkpoint(bundled_model, folder, log=lambda _m: None)
    rows = held_out(0)
    prompts = [rows[0].prompt, rows[-1].prompt]  # one PLAN, one ANSWER
    ours = llamacpp_greedy(bundled_model, SHIPPED_ADAPTER, prompts, 40)
    theirs = transformers_greedy_steps(base, SHIPPED_ADAPTER, prompts, 40)
    assert json.loads(ours[0]) == json.loads(theirs[0][0])  # the plan: the same
    for mine, (text, steps) in zip(ours, theirs, strict=True):
        if mine != text:  # llama.cpp's kernels round differently: the two may part only where two tokens tie
            margin = parting_margin(mine, steps)
            assert margin is not None and margin < NEAR_TIE, (mine, text, margin)
