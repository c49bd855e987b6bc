"""OpenAI-compatible completion endpoint backend (llama.cpp's server, vLLM): streaming over HTTP, timeouts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from assistant.config import Settings
from assistant.errors import ModelMissing, OperatorError
from assistant.llm.base import Completion, collect


def _gbnf(json_schema: dict[str, Any]) -> str | None:
    try:
        from llama_cpp.llama_grammar import json_schema_to_gbnf
    except ImportError:
        return None
    return str(json_schema_to_gbnf(json.dumps(json_schema)))


class OpenAICompatLLM:
    def __init__(self, base_url: str, *, model: str, api_key: str | None, timeout_s: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = model
        self.timeout_s = timeout_s
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAICompatLLM:
        s = settings.llm
        if not s.base_url:
            raise ModelMissing("llm.backend is 'openai' but no endpoint is set (setting llm.base_url)")
        return cls(s.base_url, model=s.model, api_key=s.api_key, timeout_s=s.timeout_s)

    def stream(
        self, prompt: str, *, max_tokens: int, stop: list[str] | None = None, json_schema: dict[str, Any] | None = None
    ) -> Iterator[str]:
        body: dict[str, Any] = {
            "model": self.name,
            "prompt": prompt,
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "stream": True,
        }
        if stop:
            body["stop"] = stop
        if json_schema is not None:
            body["response_format"] = {"type": "json_object", "schema": json_schema}  # vLLM and most servers
            body["guided_json"] = json_schema  # vLLM's own name
            grammar = _gbnf(json_schema)
            if grammar:
                body["grammar"] = grammar  # llama.cpp's server applies a GBNF grammar to completions
        try:
            with httpx.stream(
                "POST", f"{self.base_url}/completions", json=body, headers=self._headers, timeout=self.timeout_s
            ) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise OperatorError(f"LLM server {self.base_url} answered {resp.status_code}: {resp.text[:200]}")
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    yield json.loads(data)["choices"][0].get("text", "")
        except httpx.HTTPError as exc:
            raise OperatorError(f"cannot reach the LLM server {self.base_url} (setting llm.base_url): {exc}") from exc

    def complete(
        self, prompt: str, *, max_tokens: int, stop: list[str] | None = None, json_schema: dict[str, Any] | None = None
    ) -> Completion:
        return collect(self.stream(prompt, max_tokens=max_tokens, stop=stop, json_schema=json_schema), self.timeout_s)
