"""Export a fine-tuned model to ONNX, quantize it to int8, write the model card.

``python -m sentiment.export artifacts/hf-model`` (``sentiment.train`` calls
it at the end). The shipped directory holds only what inference needs:
``model.onnx`` (int8), ``tokenizer.json`` and ``model_info.json``, plus the
card. Needs the ``train`` extra.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from sentiment import card
from sentiment.labels import LABELS

SHIPPED = Path(__file__).resolve().parent / "model"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def classifier(hf_dir: Path):  # type: ignore[no-untyped-def]
    """The trained model in ``hf_dir``, whichever head it has, in eval mode."""
    from transformers import AutoConfig, AutoModelForSequenceClassification

    from sentiment.mean_pooled import MeanPooledClassifier

    pooled = "MeanPooledClassifier" in (AutoConfig.from_pretrained(hf_dir).architectures or [])
    return (MeanPooledClassifier if pooled else AutoModelForSequenceClassification).from_pretrained(hf_dir).eval()


def export_fp32(hf_dir: Path, path: Path) -> None:
    import torch

    model = classifier(hf_dir)
    ids = torch.ones(2, 16, dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(model, (ids, torch.ones_like(ids)), str(path), input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                        "logits": {0: "batch"}})


def quantize(fp32: Path, int8: Path, layers: int = 0) -> None:
    """Dynamic int8, per output channel. For e5 (``layers`` > 0) the feed-forward output projections
    of the upper half stay float: their GELU activations have outliers that int8 flattens, which
    cost 4 points of TweetEval macro-recall (0.707 -> 0.666); kept float, the loss is gone for
    5 MB more."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    keep = [f"/bert/encoder/layer.{i}/output/dense/MatMul" for i in range(layers // 2, layers)]
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=bool(layers),
                     nodes_to_exclude=keep)


def ship(hf_dir: Path, out_dir: Path, fp32: Path) -> dict:  # type: ignore[type-arg]
    """Write what inference needs to ``out_dir`` (int8 ONNX, tokenizer, info); return the training record."""
    training = json.loads((hf_dir / "training.json").read_text())
    fp32.parent.mkdir(parents=True, exist_ok=True)
    export_fp32(hf_dir, fp32)
    out_dir.mkdir(parents=True, exist_ok=True)
    quantize(fp32, out_dir / "model.onnx", training.get("encoder_layers", 0))
    shutil.copyfile(hf_dir / "tokenizer.json", out_dir / "tokenizer.json")
    info = {"version": version(training), "labels": list(LABELS), "max_length": training["max_length"],
            "languages": ["en", "zh", "mixed"], "base_model": training["base_model"]}
    (out_dir / "model_info.json").write_text(json.dumps(info, indent=2) + "\n")
    return training


def version(training: dict) -> str:  # type: ignore[type-arg]
    """Names the base, its depth and the seed: ``e5s-l6-en-zh-13-int8``."""
    base = "e5s" if training.get("encoder_layers") else "minilm"
    return f"{base}-l{training.get('encoder_layers', 6)}-en-zh-{training.get('seed', 0)}-int8"


def run(hf_dir: Path, out_dir: Path = SHIPPED) -> None:
    fp32 = ARTIFACTS / "model.fp32.onnx"
    training = ship(hf_dir, out_dir, fp32)
    print(f"wrote {out_dir} ({(out_dir / 'model.onnx').stat().st_size / 1e6:.1f} MB)", flush=True)
    card.write(hf_dir, fp32, out_dir, training)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("hf_dir", type=Path, nargs="?", default=ARTIFACTS / "hf-model")
    parser.add_argument("--out", type=Path, default=SHIPPED)
    args = parser.parse_args()
    run(args.hf_dir, args.out)


if __name__ == "__main__":
    main()
