"""Convert mediapipe's face models (Apache-2.0) from TFLite to the ONNX files openlpm ships.

Run once, not at run time, in a separate environment (tensorflow is not an openlpm dependency):

    python -m venv .venvconv
    .venvconv/bin/pip install tensorflow-cpu==2.21.0 tf2onnx==1.17.0 onnx onnxruntime \\
        mediapipe==0.10.21   # only for its .tflite files; or pass --tflite-dir
    .venvconv/bin/python tools/convert_face_models.py src/openlpm/assets/models

tf2onnx converts every standard TFLite operator. Two models also use mediapipe's own custom
operators, which tf2onnx leaves as opaque nodes; this script replaces each with the same
arithmetic in standard ONNX operators (following mediapipe's C++ kernels in
``mediapipe/util/tflite/operations``):

- ``face_landmark_with_attention``: ``Landmarks2TransformMatrix`` (a rotated crop box around
  the lips or an eye, from the mesh's own first guess), ``TransformTensorBilinear`` (samples the
  feature map in that box: ``GridSample``) and ``TransformLandmarks`` (maps the refined points
  back: a 2 x 2 matrix and a shift).
- ``selfie_segmentation``: ``Convolution2DTransposeBias`` (``ConvTranspose``, stride 2).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MODELS = {  # output name: path of the .tflite inside mediapipe's package
    "face_detection_short_range": "modules/face_detection/face_detection_short_range.tflite",
    "face_landmark_with_attention": "modules/face_landmark/face_landmark_with_attention.tflite",
    "selfie_segmentation": "modules/selfie_segmentation/selfie_segmentation.tflite",
}
OPSET = 17


class GraphEditor:
    """Adds standard nodes and constants to a graph under unique names."""

    def __init__(self, graph: onnx.GraphProto, prefix: str) -> None:
        self.graph, self.prefix, self.count = graph, prefix, 0
        self.nodes: list[onnx.NodeProto] = []

    def name(self) -> str:
        self.count += 1
        return f"{self.prefix}/onnx_{self.count}"

    def const(self, value: np.ndarray) -> str:
        name = self.name()
        self.graph.initializer.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type: str, *inputs: str, out: str | None = None, **attrs) -> str:
        output = out or self.name()
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], self.name(), **attrs))
        return output


def _attr(node: onnx.NodeProto, name: str):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    raise KeyError(name)


def landmarks_to_transform_matrix(g: GraphEditor, node: onnx.NodeProto) -> None:
    """(1, 468, 3) landmarks -> (1, 4, 4) crop matrix (output grid -> input pixels)."""
    marks = g.op(
        "Slice",
        node.input[0],
        g.const(np.int64([0])),
        g.const(np.int64([2])),
        g.const(np.int64([2])),
    )  # (1, 468, 2): x, y
    left = g.op("Gather", marks, g.const(np.int64([_attr(node, "left_rotation_idx")])), axis=1)
    right = g.op("Gather", marks, g.const(np.int64([_attr(node, "right_rotation_idx")])), axis=1)
    assert abs(_attr(node, "target_rotation_radians")) < 1e-9
    d = g.op("Sub", right, left)  # (1, 1, 2)
    u = g.op("Div", d, g.op("ReduceL2", d, axes=[2], keepdims=1))
    ux = g.op("Slice", u, g.const(np.int64([0])), g.const(np.int64([1])), g.const(np.int64([2])))
    uy = g.op("Slice", u, g.const(np.int64([1])), g.const(np.int64([2])), g.const(np.int64([2])))
    # rotation r = -atan2(dy, dx): cos r = ux, sin r = -uy. rt = R(r)^T = R(-r).
    eye = np.eye(2, dtype=np.float32)[None]
    quarter = np.float32([[[0, -1], [1, 0]]])
    rt = g.op("Add", g.op("Mul", ux, g.const(eye)), g.op("Mul", uy, g.const(quarter)))
    r = g.op("Transpose", rt, perm=[0, 2, 1])
    subset = g.op("Gather", marks, g.const(np.int64(_attr(node, "subset_idxs"))), axis=1)
    turned = g.op("MatMul", subset, rt)  # rows: R(r) applied to each point
    lo = g.op("ReduceMin", turned, axes=[1], keepdims=1)
    hi = g.op("ReduceMax", turned, axes=[1], keepdims=1)
    size = g.op("Sub", hi, lo)  # (1, 1, 2): crop width, height
    mid = g.op("Mul", g.op("Add", lo, hi), g.const(np.float32(0.5)))
    centre = g.op("MatMul", mid, r)  # back by R(-r)
    out_wh = np.float32([_attr(node, "output_width"), _attr(node, "output_height")])
    scale = np.float32([_attr(node, "scale_x"), _attr(node, "scale_y")]) / out_wh
    b = g.op("Mul", rt, g.op("Mul", size, g.const(scale)))  # R(-r) @ diag(sx, sy)
    shift = g.op("MatMul", g.const((-out_wh / 2)[None, None]), g.op("Transpose", b, perm=[0, 2, 1]))
    t = g.op("Transpose", g.op("Add", centre, shift), perm=[0, 2, 1])  # (1, 2, 1)
    top = g.op("Concat", b, g.const(np.zeros((1, 2, 1), np.float32)), t, axis=2)
    bottom = g.const(np.float32([[[0, 0, 1, 0], [0, 0, 0, 1]]]))
    g.op("Concat", top, bottom, axis=1, out=node.output[0])


def transform_tensor_bilinear(g: GraphEditor, node: onnx.NodeProto, hw: tuple[int, int]) -> None:
    """NHWC features sampled bilinearly on the matrix's output grid; zero outside the map."""
    out_h, out_w = _attr(node, "output_height"), _attr(node, "output_width")
    in_h, in_w = hw
    rows = g.op(
        "Slice",
        node.input[1],
        g.const(np.int64([0])),
        g.const(np.int64([2])),
        g.const(np.int64([1])),
    )  # (1, 2, 4)
    # mediapipe's align-corners correction: col 3 += 0.5 col 0 + 0.5 col 1 - 0.5
    fix = np.eye(4, dtype=np.float32)
    fix[0, 3] = fix[1, 3] = 0.5
    rows = g.op("Sub", g.op("MatMul", rows, g.const(fix)), g.const(np.float32([0, 0, 0, 0.5])))
    oy, ox = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    grid_points = np.stack([ox.ravel(), oy.ravel(), 0 * ox.ravel(), 1 + 0 * ox.ravel()], 1)
    tc = g.op("MatMul", g.const(grid_points[None]), g.op("Transpose", rows, perm=[0, 2, 1]))
    tc = g.op("Reshape", tc, g.const(np.int64([1, out_h, out_w, 2])))  # input pixels (x, y)
    limit = np.float32([in_w - 1, in_h - 1])
    inside = g.op(
        "Cast",
        g.op(
            "And",
            g.op("GreaterOrEqual", tc, g.const(np.float32(0))),
            g.op("LessOrEqual", tc, g.const(limit)),
        ),
        to=TensorProto.FLOAT,
    )
    inside = g.op("ReduceMin", inside, axes=[3], keepdims=1)  # (1, oh, ow, 1)
    grid = g.op("Sub", g.op("Mul", tc, g.const(2 / limit)), g.const(np.float32(1)))
    nchw = g.op("Transpose", node.input[0], perm=[0, 3, 1, 2])
    sampled = g.op("GridSample", nchw, grid, align_corners=1, mode="bilinear", padding_mode="zeros")
    nhwc = g.op("Transpose", sampled, perm=[0, 2, 3, 1])
    g.op("Mul", nhwc, inside, out=node.output[0])


def transform_landmarks(g: GraphEditor, node: onnx.NodeProto) -> None:
    """(1, N, 2) points through the matrix's top-left 2 x 2 and its shift."""
    m = node.input[1]
    lin = g.op(
        "Slice", m, g.const(np.int64([0, 0])), g.const(np.int64([2, 2])), g.const(np.int64([1, 2]))
    )
    shift = g.op(
        "Slice", m, g.const(np.int64([0, 3])), g.const(np.int64([2, 4])), g.const(np.int64([1, 2]))
    )  # (1, 2, 1)
    moved = g.op("MatMul", node.input[0], g.op("Transpose", lin, perm=[0, 2, 1]))
    g.op("Add", moved, g.op("Transpose", shift, perm=[0, 2, 1]), out=node.output[0])


def conv_transpose_bias(g: GraphEditor, node: onnx.NodeProto, model: onnx.ModelProto) -> None:
    """mediapipe's transposed convolution with bias: stride 2, 'SAME' (no overlap for 2 x 2)."""
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    kernel = inits[node.input[1]]  # OHWI
    assert kernel.shape[1:3] == (2, 2), kernel.shape
    weights = g.const(np.ascontiguousarray(kernel.transpose(3, 0, 1, 2)).astype(np.float32))
    bias = g.const(inits[node.input[2]].astype(np.float32).reshape(-1))
    nchw = g.op("Transpose", node.input[0], perm=[0, 3, 1, 2])
    up = g.op("ConvTranspose", nchw, weights, bias, strides=[2, 2], kernel_shape=[2, 2])
    g.op("Transpose", up, perm=[0, 2, 3, 1], out=node.output[0])


def prelu_as_relu(g: GraphEditor, node: onnx.NodeProto) -> None:
    """PRelu(x) = r + a (x - r) with r = Relu(x): the same numbers, but in operators that
    onnxruntime runs in its blocked (NCHWc) layout; its PRelu forces a layout change around
    every call, which made the mesh 1.4 x slower."""
    x, slope = node.input
    positive = g.op("Relu", x)
    g.op("Add", positive, g.op("Mul", g.op("Sub", x, positive), slope), out=node.output[0])


def replace_custom_ops(model: onnx.ModelProto) -> onnx.ModelProto:
    model = onnx.shape_inference.infer_shapes(model)  # the feature maps' sizes
    graph = model.graph
    shapes = {
        v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
        for v in list(graph.value_info) + list(graph.input) + list(graph.output)
    }
    kept: list[onnx.NodeProto] = []
    for node in graph.node:
        if not node.op_type.startswith("TFL_") and node.op_type != "PRelu":
            kept.append(node)
            continue
        g = GraphEditor(graph, node.name)
        if node.op_type == "PRelu":
            prelu_as_relu(g, node)
        elif node.op_type == "TFL_Landmarks2TransformMatrix":
            landmarks_to_transform_matrix(g, node)
        elif node.op_type == "TFL_TransformTensorBilinear":
            _, h, w, _ = shapes[node.input[0]]
            transform_tensor_bilinear(g, node, (h, w))
        elif node.op_type == "TFL_TransformLandmarks":
            transform_landmarks(g, node)
        elif node.op_type == "TFL_Convolution2DTransposeBias":
            conv_transpose_bias(g, node, model)
        else:
            raise SystemExit(f"no replacement for custom operator {node.op_type}")
        kept.extend(g.nodes)
    del graph.node[:]
    graph.node.extend(kept)
    used = {name for node in graph.node for name in node.input}
    unused = [i for i in graph.initializer if i.name not in used]  # the replaced ops' weights
    for init in unused:
        graph.initializer.remove(init)
    del model.opset_import[:]
    model.opset_import.append(helper.make_opsetid("", OPSET))
    return onnx.shape_inference.infer_shapes(model)


def mediapipe_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("mediapipe")
    if spec is None or spec.origin is None:
        raise SystemExit("mediapipe==0.10.21 is not installed here: pass --tflite-dir")
    return Path(spec.origin).parent


def convert(tflite: Path, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tf2onnx.convert",
                "--tflite",
                str(tflite),
                "--output",
                str(raw),
                "--opset",
                str(OPSET),
            ],
            check=True,
            capture_output=True,
        )
        model = replace_custom_ops(onnx.load(raw))
    onnx.checker.check_model(model)
    onnx.save(model, out)
    print(f"{out}: {out.stat().st_size / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--tflite-dir", type=Path, help="mediapipe's package folder")
    args = parser.parse_args()
    source = args.tflite_dir or mediapipe_dir()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, rel in MODELS.items():
        convert(source / rel, args.out_dir / f"{name}.onnx")


if __name__ == "__main__":
    main()
