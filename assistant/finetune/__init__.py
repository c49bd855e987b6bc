"""Teaching the bundled model the plant: synthetic PLAN/ANSWER data, LoRA training, GGUF conversion, evaluation.

``formats`` (the prompt formats the agent sends, shared by the planner, the answer writer and the training data)
and ``data`` are light; ``train`` and ``convert`` import torch/transformers/peft lazily (the ``[train]`` extra).
"""
