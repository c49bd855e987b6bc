"""The real bundled LLM: loads from the installed package (no hub), generates, follows a JSON-schema grammar,
and its rephrasings only reach the operator through the grounding check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.config import EndpointSettings, Settings
from assistant.errors import ModelMissing
from assistant.llm import create_llm
from assistant.llm.bundled import resolve_model_path

pytestmark = pytest.mark.llm


@pytest.fixture(scope="module")
def llm(models_dir: Path):  # type: ignore[no-untyped-def]
    # a generous per-call timeout: these tests check behaviour, not speed, on a possibly busy machine
    return create_llm(Settings(data_dir=models_dir, llm={"timeout_s": 600}))


def test_bundled_model_is_assembled_from_the_package(models_dir: Path) -> None:
    path = resolve_model_path(Settings(data_dir=models_dir))
    assert path.parent == models_dir / "models" and path.suffix == ".gguf"
    assert path.stat().st_size > 200 * 2**20


def test_generates_tokens(llm) -> None:  # type: ignore[no-untyped-def]
    prompt = "Country: Germany. Capital: Berlin.\nCountry: Italy. Capital: Rome.\nCountry: France. Capital:"
    out = llm.complete(prompt, max_tokens=6, stop=["\n"])
    assert out.tokens > 0 and out.text.strip()
    assert out.text.strip().startswith("Paris")


def test_grammar_constrained_json(llm) -> None:  # type: ignore[no-untyped-def]
    schema = {
        "type": "object",
        "properties": {"tool": {"enum": ["read_value", "search_documents"]}, "asset": {"enum": ["P-101", "K-2"]}},
        "required": ["tool", "asset"],
    }
    out = llm.complete(
        "Question: What is the temperature of pump P-101?\nJSON plan:", max_tokens=40, json_schema=schema
    )
    plan = json.loads(out.text)
    assert plan["tool"] in {"read_value", "search_documents"} and plan["asset"] in {"P-101", "K-2"}


def test_unknown_bundled_model_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match=r"setting llm\.model"):
        resolve_model_path(Settings(data_dir=tmp_path, llm={"model": "gpt-5"}))


async def test_rewrite_is_grounded_or_falls_back(other_plant, models_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from assistant.agent import Agent

    settings = Settings(
        data_dir=models_dir, llm={"rewrite_answers": True}, opcua={"endpoints": [EndpointSettings(url=other_plant)]}
    )
    agent = Agent(settings)
    try:
        result = await agent.ask("What is the current temperature of pump P-101?")
    finally:
        await agent.adapter.close()
    assert result.mode in {"llm", "fallback"}
    assert result.grounded is True
    assert "61.5" in result.answer  # whatever the wording, the value survives


class ScriptedRewriter:
    """An LLM that rephrases every answer with one fixed text; ``fills_cap``: it used the whole token budget."""

    name = "scripted"

    def __init__(self, text: str, fills_cap: bool = False) -> None:
        self.text, self.fills_cap = text, fills_cap

    def complete(self, prompt: str, *, max_tokens: int = 64, **kw):  # type: ignore[no-untyped-def]
        from assistant.llm.base import Completion

        return Completion(self.text, max_tokens if self.fills_cap else 12, 0.01)


async def _ask_with_rewrite(plant: str, data_dir: Path, llm: ScriptedRewriter, **llm_settings: object):  # type: ignore[no-untyped-def]
    """The P-101 temperature question on ``plant`` with rewrites on and ``llm`` as the rewriter."""
    from assistant.agent import Agent

    settings = Settings(data_dir=data_dir, llm={"rewrite_answers": True, **llm_settings},
                        opcua={"endpoints": [EndpointSettings(url=plant)]})  # fmt: skip
    agent = Agent(settings, llm_factory=lambda: llm)  # type: ignore[arg-type,return-value]
    try:
        return await agent.ask("What is the current temperature of pump P-101?")
    finally:
        await agent.adapter.close()


async def test_ungrounded_rewrite_is_rejected(other_plant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    inventor = ScriptedRewriter("Pump P101 runs at 99.9 °C and was serviced on 2020-01-01.")
    result = await _ask_with_rewrite(other_plant, tmp_path, inventor)
    assert result.mode == "fallback" and "99.9" not in result.answer and "61.5 °C" in result.answer


async def test_rewrite_that_leaves_out_the_value_falls_back(other_plant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A rewrite with nothing wrong in it but without the measured value is no answer: the template answer stays."""
    vague = ScriptedRewriter("The temperature of pump P101 is normal at the moment.")
    result = await _ask_with_rewrite(other_plant, tmp_path, vague)
    assert result.mode == "fallback" and "61.5 °C" in result.answer


async def test_rewrite_cut_at_the_token_cap_falls_back(other_plant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A rewrite that filled the whole token budget stopped mid-sentence: the template answer is kept."""
    rambler = ScriptedRewriter("Pump P101 is at 61.5 °C, which", fills_cap=True)  # grounded so far, but cut
    result = await _ask_with_rewrite(other_plant, tmp_path, rambler, max_tokens=8)
    assert result.mode == "fallback" and not result.answer.endswith("which") and "61.5 °C" in result.answer
