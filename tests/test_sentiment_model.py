"""The shipped models: load offline, score sensibly, survive bad input; Chinese goes to its own."""

from __future__ import annotations

import pytest

from sentiment.normalize import normalize
from sentiment.onnx_backend import shipped_scorer
from sentiment.scoring import Scorer


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return shipped_scorer(batch_size=8)


def test_normalisation_matches_training_conventions() -> None:
    assert normalize("@alice look at https://x.co/abc sooooo good 😂") == \
        "@user look at http soo good face with tears of joy"


@pytest.mark.parametrize(("text", "label"), [
    ("I love this, the new release is amazing!", "positive"),
    ("This is terrible, worst support ever. I hate it.", "negative"),
    ("The store opens at 9am on Tuesday.", "neutral"),
    ("太好吃了，非常满意，下次还来", "positive"),
    ("太差了，等了两个小时，再也不买了", "negative"),
])
def test_clear_cases(scorer: Scorer, text: str, label: str) -> None:
    (score,) = scorer.score([text])
    assert score.label == label
    assert abs(score.p_negative + score.p_neutral + score.p_positive - 1) < 1e-4


def test_languages_reported(scorer: Scorer) -> None:
    english, chinese, arabic = scorer.score(["what a lovely day it is today", "今天天气很好", "هذا رائع جدا"])
    assert (english.language, chinese.language, arabic.language) == ("en", "zh", "ar")
    assert arabic.label == "unscored" and arabic.p_positive is None
    assert english.model_version.startswith("minilm-l6-en-zh")
    assert chinese.model_version.startswith("e5s-l6-en-zh")


@pytest.mark.parametrize(("text", "label"), [
    ("这本小说的结局让人失望，翻译也很生硬", "negative"),  # books: a topic of its own
    ("师傅上门安装很专业，热水器用了一个月很满意", "positive"),
    ("今天的 event 太棒了，谢谢大家", "positive"),
    ("The new update is 垃圾, crashes every time", "negative"),
])
def test_chinese_and_mixed_go_to_the_multilingual_model(scorer: Scorer, text: str, label: str) -> None:
    (score,) = scorer.score([text])
    assert (score.label, score.model_version[:3]) == (label, "e5s")


@pytest.mark.parametrize("text", ["", "   ", "https://example.com", "@someone", "\x00\x07\x1b"])
def test_nothing_to_judge_is_unscored(scorer: Scorer, text: str) -> None:
    assert scorer.score([text])[0].label == "unscored"


@pytest.mark.parametrize(("text", "label"), [("😍😍🔥", "positive"), ("😡😡", "negative")])
def test_emoji_only_replies_are_scored(scorer: Scorer, text: str, label: str) -> None:
    (score,) = scorer.score([text])
    assert (score.label, score.language) == (label, "en")


@pytest.mark.parametrize(("text", "language"), [
    ("今天的 event 太棒了", "zh"), ("I love this 产品 so much", "mixed"), ("好", "zh"), ("ok", "en"),
    ("これは素晴らしい製品です", "ja"), ("我の最爱，好喝好喝", "zh"),
])
def test_han_characters_make_chinese_or_mixed(scorer: Scorer, text: str, language: str) -> None:
    (score,) = scorer.score([text])
    assert score.language == language
    assert (score.label == "unscored") == (language == "ja")


@pytest.mark.parametrize("text", ["great " * 20_000, "bad\ud800 surrogate \udfff here", "mixed 中文 and English 😀",
                                  "tab\tand\nnewline and \u200b zero width", "a" * 100_000])
def test_odd_input_never_raises(scorer: Scorer, text: str) -> None:
    (score,) = scorer.score([text])
    assert score.label in {"negative", "neutral", "positive", "unscored"}


def test_batch_order_preserved(scorer: Scorer) -> None:
    texts = ["I hate this so much", "short", "I absolutely love it, thank you team!"] * 5
    labels = [s.label for s in scorer.score(texts)]
    single = [scorer.score([t])[0].label for t in texts]
    assert labels == single
