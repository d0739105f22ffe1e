"""``score(texts)``: batched sentiment with a language gate in front of the model.

Text the model cannot judge (nothing but emoji, links or mentions; empty after
cleaning; a language it was not trained for) gets the label ``unscored``
instead of a confident-looking guess. Scoring never raises for odd input.

A scorer may route languages to other models (``routes``): no one small model
is best at both English tweets and Chinese reviews of any topic. Each score
names the model that judged it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import structlog

from sentiment.labels import LABELS, UNSCORED
from sentiment.language import detect
from sentiment.normalize import has_words, normalize

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Score:
    label: str
    p_negative: float | None
    p_neutral: float | None
    p_positive: float | None
    language: str
    model_version: str


class Backend(Protocol):
    """A model that maps normalised texts to (n, 3) probabilities in LABELS order."""

    version: str
    languages: frozenset[str] | None

    def probabilities(self, texts: list[str]) -> np.ndarray: ...


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class Scorer:
    def __init__(self, backend: Backend, batch_size: int = 64, gate_languages: bool = True,
                 routes: Mapping[str, Backend] | None = None) -> None:
        self.backend = backend
        self.batch_size = batch_size
        self.gate_languages = gate_languages
        self.routes = dict(routes or {})

    @property
    def version(self) -> str:
        """The default model's version, then each routed language's: ``a`` or ``a+zh:b+mixed:b``."""
        return "+".join([self.backend.version, *(f"{lang}:{b.version}" for lang, b in sorted(self.routes.items()))])

    def backend_for(self, language: str) -> Backend:
        return self.routes.get(language, self.backend)

    def _eligible(self, text: str) -> tuple[str, str | None]:
        """(language, normalised text or None when unscorable)."""
        if not has_words(text):
            return "und", None
        clean = normalize(text)
        language = detect(clean)
        supported = self.backend.languages
        if self.gate_languages and supported is not None and language not in supported | self.routes.keys():
            return language, None
        return language, clean

    def score(self, texts: Sequence[str]) -> list[Score]:
        """One score per text, in order. Identical texts (chat repeats "gm", "lol", "+1" a
        lot) are judged once: the result depends on nothing but the text."""
        distinct = list(dict.fromkeys(t if isinstance(t, str) else "" for t in texts))
        prepared = [self._eligible(t) for t in distinct]
        groups: dict[int, list[int]] = {}
        for i, (language, clean) in enumerate(prepared):
            if clean is not None:
                groups.setdefault(id(self.backend_for(language)), []).append(i)
        probs: dict[int, np.ndarray] = {}
        for todo in groups.values():
            backend = self.backend_for(prepared[todo[0]][0])
            for start in range(0, len(todo), self.batch_size):
                chunk = todo[start : start + self.batch_size]
                probs.update(zip(chunk, backend.probabilities([prepared[i][1] or "" for i in chunk]), strict=True))
        scores = {}
        for i, (language, _) in enumerate(prepared):
            p = probs.get(i)
            version = self.backend_for(language).version
            scores[distinct[i]] = Score(UNSCORED, None, None, None, language, version) if p is None else \
                Score(LABELS[int(np.argmax(p))], float(p[0]), float(p[1]), float(p[2]), language, version)
        return [scores[t if isinstance(t, str) else ""] for t in texts]


def score_safely(scorer: Scorer, texts: Sequence[str]) -> list[Score]:
    """``scorer.score`` that never raises: a failing batch is retried text by text,
    then a text that still fails is marked unscored."""
    try:
        return scorer.score(texts)
    except Exception:
        log.exception("sentiment batch failed; retrying one by one", size=len(texts))
    out = []
    for text in texts:
        try:
            out.extend(scorer.score([text]))
        except Exception:
            log.exception("sentiment text failed; marking unscored", length=len(text))
            out.append(Score(UNSCORED, None, None, None, "und", scorer.version))
    return out
