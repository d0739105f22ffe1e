"""Backend (b): any Hugging Face sequence-classification model by local path."""

from __future__ import annotations

from pathlib import Path

import pytest

HF_EXTRA = 'needs torch and transformers: pip install -e ".[hf]" (CI runs these after the main suite)'
torch = pytest.importorskip("torch", reason=HF_EXTRA)
transformers = pytest.importorskip("transformers", reason=HF_EXTRA)

from sentiment import loader  # noqa: E402

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "day", "the", "is"]


def tiny_model(path: Path, labels: dict[int, str]) -> Path:
    (path / "vocab.txt").parent.mkdir(parents=True, exist_ok=True)
    (path / "vocab.txt").write_text("\n".join(WORDS) + "\n")
    transformers.BertTokenizerFast(vocab_file=str(path / "vocab.txt")).save_pretrained(path)
    config = transformers.BertConfig(vocab_size=len(WORDS), hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=32, id2label=labels,
                                     label2id={v: k for k, v in labels.items()})
    torch.manual_seed(0)
    transformers.BertForSequenceClassification(config).save_pretrained(path)
    return path


def test_three_label_model_by_local_path(tmp_path: Path) -> None:
    model = tiny_model(tmp_path / "m3", {0: "Positive", 1: "Negative", 2: "Neutral"})
    scorer = loader.load("transformers", str(model))
    scores = scorer.score(["the day is good", "bad bad day", "https://example.com @someone", "مرحبا بكم"])
    assert scorer.version == f"hf:{model}"
    for score in scores[:2]:
        assert abs(score.p_negative + score.p_neutral + score.p_positive - 1) < 1e-5
    assert scores[2].label == "unscored" and scores[3].label != "unscored"
    raw = scorer.backend.model(**scorer.backend.tokenizer(["the day is good"], return_tensors="pt")).logits
    probs = torch.softmax(raw, -1)[0]
    assert abs(scores[0].p_positive - float(probs[0])) < 1e-5 and abs(scores[0].p_negative - float(probs[1])) < 1e-5


def test_two_label_model_has_no_neutral(tmp_path: Path) -> None:
    model = tiny_model(tmp_path / "m2", {0: "LABEL_0", 1: "LABEL_1"})
    (score,) = loader.load("transformers", str(model)).score(["good day"])
    assert score.p_neutral == 0 and abs(score.p_negative + score.p_positive - 1) < 1e-5


def test_transformers_backend_needs_a_model() -> None:
    with pytest.raises(ValueError, match="needs a model"):
        loader.load("transformers")
