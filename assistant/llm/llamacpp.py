"""In-process llama.cpp backend (llama-cpp-python): loads a GGUF, greedy decoding, optional JSON-schema grammar."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.llm.base import Completion, collect
from assistant.llm.bundled import resolve_model_path


class LlamaCppLLM:
    """One loaded model. Calls are serialised: a llama.cpp context is not safe to share between threads."""

    def __init__(
        self, model_path: Path, *, n_threads: int, n_ctx: int, timeout_s: float, lora_path: Path | None = None
    ) -> None:
        from llama_cpp import Llama

        self.name = model_path.stem
        self.model_path = model_path
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._llm = Llama(
            model_path=str(model_path),
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            seed=0,
            verbose=False,
            lora_path=str(lora_path) if lora_path else None,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> LlamaCppLLM:
        """The configured model plus the LoRA adapter of ``llm.adapter`` (the shipped plant adapter by default)."""
        from assistant.finetune.convert import resolve_adapter_path

        s = settings.llm
        model, adapter = resolve_model_path(settings), resolve_adapter_path(settings)
        llm = cls(model, n_threads=s.n_threads, n_ctx=s.n_ctx, timeout_s=s.timeout_s, lora_path=adapter)
        if adapter is not None:
            llm.name = f"{model.stem}+{adapter.stem}"
        return llm

    def _grammar(self, json_schema: dict[str, Any] | None) -> Any:
        if json_schema is None:
            return None
        from llama_cpp import LlamaGrammar

        return LlamaGrammar.from_json_schema(json.dumps(json_schema), verbose=False)

    def stream(
        self, prompt: str, *, max_tokens: int, stop: list[str] | None = None, json_schema: dict[str, Any] | None = None
    ) -> Iterator[str]:
        with self._lock:
            for chunk in self._llm.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=0.0,
                top_k=1,
                stop=stop or [],
                grammar=self._grammar(json_schema),
                stream=True,
            ):
                yield chunk["choices"][0]["text"]

    def complete(
        self, prompt: str, *, max_tokens: int, stop: list[str] | None = None, json_schema: dict[str, Any] | None = None
    ) -> Completion:
        return collect(self.stream(prompt, max_tokens=max_tokens, stop=stop, json_schema=json_schema), self.timeout_s)
