"""The semantic router: a question's intent by embedding similarity to example questions (``prompts/router/``).

Examples in every shipped language sit in one embedding space (the bundled multilingual encoder), so a question
in any language finds its intent. An intent's score is the mean of its two nearest examples; the confidence is
that score and its margin over the runner-up. Example embeddings are cached in the data folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.prompts import available_languages, load_layered

Embedder = Callable[[list[str]], np.ndarray]


@dataclass(slots=True)
class Route:
    intent: str
    score: float
    margin: float
    ranking: list[tuple[str, float]]

    @property
    def confident(self) -> bool:
        return self.score >= 0.55 and self.margin >= 0.03


class SemanticRouter:
    def __init__(self, embed: Embedder, cache_dir: Path | None = None) -> None:
        self._embed = embed
        examples: list[tuple[str, str]] = []
        for lang in available_languages("router"):
            for intent, questions in load_layered("router", lang).items():
                examples += [(intent, q) for q in questions]
        self.intents = sorted({i for i, _ in examples})
        self._labels = np.array([self.intents.index(i) for i, _ in examples])
        texts = [q for _, q in examples]
        self._matrix = self._load(texts, cache_dir)

    def _load(self, texts: list[str], cache_dir: Path | None) -> np.ndarray:
        digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
        path = cache_dir / f"router-{digest}.npy" if cache_dir else None
        if path and path.exists():
            return np.load(path)
        matrix = self._embed(texts)
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, matrix)
        return matrix

    def route(self, question: str) -> Route:
        q = self._embed([question])[0]
        sims = self._matrix @ q
        scores = []
        for k, intent in enumerate(self.intents):
            top = np.sort(sims[self._labels == k])[-2:]
            scores.append((intent, float(top.mean())))
        scores.sort(key=lambda x: -x[1])
        margin = scores[0][1] - scores[1][1] if len(scores) > 1 else scores[0][1]
        return Route(scores[0][0], round(scores[0][1], 4), round(margin, 4), [(i, round(s, 4)) for i, s in scores])
