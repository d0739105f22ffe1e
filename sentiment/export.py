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


def export_fp32(hf_dir: Path, path: Path) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(hf_dir).eval()
    ids = torch.ones(2, 16, dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(model, (ids, torch.ones_like(ids)), str(path), input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                        "logits": {0: "batch"}})


def quantize(fp32: Path, int8: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)


def run(hf_dir: Path, out_dir: Path = SHIPPED) -> None:
    training = json.loads((hf_dir / "training.json").read_text())
    fp32 = ARTIFACTS / "model.fp32.onnx"
    fp32.parent.mkdir(parents=True, exist_ok=True)
    export_fp32(hf_dir, fp32)
    out_dir.mkdir(parents=True, exist_ok=True)
    quantize(fp32, out_dir / "model.onnx")
    shutil.copyfile(hf_dir / "tokenizer.json", out_dir / "tokenizer.json")
    version = f"minilm-l6-en-zh-{training.get('seed', 0)}-int8"
    info = {"version": version, "labels": list(LABELS), "max_length": training["max_length"],
            "languages": ["en", "zh", "mixed"], "base_model": training["base_model"]}
    (out_dir / "model_info.json").write_text(json.dumps(info, indent=2) + "\n")
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
