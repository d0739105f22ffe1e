"""A scorer routes each language to its model, and each score names the model that judged it."""

from __future__ import annotations

import numpy as np

from sentiment.scoring import Scorer


class Fixed:
    """A backend that answers one label for everything and remembers what it was asked."""

    def __init__(self, version: str, column: int, languages: frozenset[str] | None) -> None:
        self.version, self.column, self.languages = version, column, languages
        self.seen: list[str] = []

    def probabilities(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        out = np.zeros((len(texts), 3), dtype=np.float32)
        out[:, self.column] = 1.0
        return out


def test_each_language_goes_to_its_model() -> None:
    english, chinese = Fixed("en-model", 2, frozenset({"en"})), Fixed("zh-model", 0, frozenset({"zh", "mixed"}))
    scorer = Scorer(english, batch_size=2, routes={"zh": chinese, "mixed": chinese})
    scores = scorer.score(["what a lovely day", "太差了，再也不买了", "I love this 产品 so much", "great stuff here",
                           "物流很慢"])
    assert [(s.language, s.label, s.model_version) for s in scores] == [
        ("en", "positive", "en-model"), ("zh", "negative", "zh-model"), ("mixed", "negative", "zh-model"),
        ("en", "positive", "en-model"), ("zh", "negative", "zh-model")]
    assert len(english.seen) == 2 and len(chinese.seen) == 3
    assert scorer.version == "en-model+mixed:zh-model+zh:zh-model"


def test_a_routed_language_passes_the_gate_of_the_default_model() -> None:
    english, chinese = Fixed("en-model", 2, frozenset({"en"})), Fixed("zh-model", 0, frozenset({"zh"}))
    gated, routed = Scorer(english).score(["好吃"])[0], Scorer(english, routes={"zh": chinese}).score(["好吃"])[0]
    assert gated.label == "unscored" and routed.label == "negative"
    assert Scorer(english, routes={"zh": chinese}).score(["مرحبا بكم"])[0].label == "unscored"


def test_without_routes_one_model_judges_all() -> None:
    only = Fixed("one", 1, None)
    assert {s.model_version for s in Scorer(only).score(["hello there friend", "你好"])} == {"one"}
    assert Scorer(only).version == "one"
