"""A peft LoRA adapter (safetensors) → a llama.cpp LoRA GGUF, written with the ``gguf`` package.

Same layout as llama.cpp's ``convert_lora_to_gguf.py`` for Gemma 3: ``general.type = adapter``, ``adapter.type =
lora``, ``adapter.lora.alpha``, one ``.lora_a`` ([r, in]) and ``.lora_b`` ([out, r]) f16 tensor per adapted weight,
named like the base model's GGUF tensors (``blk.N.attn_q.weight`` …; Gemma 3 needs no q/k permutation). Also where
the shipped adapter lives and where ``models finetune`` writes one by default.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from assistant.errors import OperatorError

SHIPPED_DIR = Path(__file__).resolve().parent.parent.parent / "models" / "adapter"
SHIPPED_ADAPTER = SHIPPED_DIR / "gemma3-270m-plant-lora.gguf"
# HF module (Gemma 3) → llama.cpp tensor
GGUF_NAMES = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}  # fmt: skip
_PEFT_KEY = re.compile(r"layers\.(\d+)\.(self_attn\.[qkvo]_proj|mlp\.(?:gate|up|down)_proj)\.lora_([AB])\.weight$")


def default_adapter_path(settings: Any, plant: bool) -> Path:
    name = "plant-lora.gguf" if plant else SHIPPED_ADAPTER.name
    return Path(settings.data_dir).expanduser() / "models" / "adapter" / name


def gguf_tensor_name(peft_key: str) -> str:
    """``base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight`` → ``blk.3.attn_q.weight.lora_a``."""
    m = _PEFT_KEY.search(peft_key)
    if not m:
        raise OperatorError(f"unexpected tensor in the LoRA adapter: {peft_key} (only attention/MLP projections)")
    layer, module, ab = m.groups()
    return f"blk.{layer}.{GGUF_NAMES[module]}.weight.lora_{ab.lower()}"


def _architecture(base_gguf: Path | None) -> str:
    if base_gguf is None:
        return "gemma3"
    from gguf import GGUFReader

    field = GGUFReader(str(base_gguf)).get_field("general.architecture")
    return str(field.contents()) if field is not None else "gemma3"


def convert_adapter(peft_dir: Path, out: Path, base_gguf: Path | None = None) -> Path:
    """Write ``out`` (f16 LoRA GGUF) from ``peft_dir`` (adapter_config.json + adapter_model.safetensors)."""
    import numpy as np
    from gguf import GGUFWriter
    from safetensors.numpy import load_file

    config = json.loads((peft_dir / "adapter_config.json").read_text(encoding="utf-8"))
    tensors = load_file(str(peft_dir / "adapter_model.safetensors"))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    writer = GGUFWriter(str(tmp), arch=_architecture(base_gguf))
    writer.add_type("adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(config["lora_alpha"]))
    writer.add_name(out.stem)
    named = sorted((gguf_tensor_name(k), v) for k, v in tensors.items())
    for name, value in named:
        writer.add_tensor(name, np.ascontiguousarray(value.astype(np.float16)))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out)
    return out


def resolve_adapter_path(settings: Any) -> Path | None:
    """The LoRA adapter llama.cpp loads (setting ``llm.adapter``), or None.

    ``bundled``: the shipped adapter, only for the bundled model it was trained for (none if the file is absent or
    ``llm.model_path`` names another GGUF); ``none``: no adapter; anything else: a GGUF adapter file that must exist.
    """
    llm = settings.llm
    choice = (llm.adapter or "none").strip()
    if choice.lower() == "none":
        return None
    if choice.lower() == "bundled":
        bundled_model = llm.model_path is None and llm.model == "gemma3-270m"
        return SHIPPED_ADAPTER if bundled_model and SHIPPED_ADAPTER.is_file() else None
    path = Path(choice).expanduser()
    if not path.is_file():
        from assistant.errors import ModelMissing

        raise ModelMissing(
            f"LoRA adapter file not found: {path} (setting llm.adapter: 'bundled', 'none' or a GGUF adapter file)"
        )
    return path
