"""Teaching the bundled model the plant: synthetic PLAN/ANSWER data, LoRA training, GGUF conversion, evaluation.

``formats`` (the prompt formats the agent sends, shared by the planner, the answer writer and the training data)
and ``data`` are light; ``train`` and ``convert`` import torch/transformers/peft lazily (the ``[train]`` extra).
"""

# the shipped adapter's training set (`models finetune --ship --seed 0` reproduces it); here, not in ``train``, so the
# CLI reads the defaults without importing the data generator at start-up
PLAN_EXAMPLES = 2400
ANSWER_EXAMPLES = 500
