"""Identity: dlib's 128-D face descriptor (ResNet, LFW 99.38%); the same person is < 0.6 apart.

The face box comes from the mediapipe landmarks the analyzer already found in the frame (mapped
onto the box dlib's HOG detector would draw, so the descriptor sees what it was trained on):
dlib's own detector misses most drawn characters. The model files are located with
importlib, not by importing face_recognition_models, which needs pkg_resources (gone from
setuptools >= 82).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from openlpm.errors import InputError

SAME_PERSON = 0.6
_SHAPE = "shape_predictor_5_face_landmarks.dat"
_NET = "dlib_face_recognition_resnet_model_v1.dat"
# dlib's HOG box against the mediapipe landmark box, fitted on ten portraits of every style:
# about as wide, square, its bottom a little above the chin.
_BOX_WIDTH = 1.05
_BOX_LIFT = 0.07


def _models_dir() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        raise InputError(
            "identity needs face-recognition-models: pip install face-recognition-models==0.3.0"
        )
    return Path(spec.origin).parent / "models"


@cache
def _models() -> tuple[Any, Any]:
    try:
        import dlib
    except ImportError as e:
        raise InputError("identity needs dlib: pip install dlib-bin==20.0.1.post1") from e
    folder = _models_dir()
    return (
        dlib.shape_predictor(str(folder / _SHAPE)),
        dlib.face_recognition_model_v1(str(folder / _NET)),
    )


def face_box(landmarks: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the face box dlib expects, from mediapipe landmarks."""
    xy = landmarks[:, :2]
    (x0, _), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    side = _BOX_WIDTH * (x1 - x0)
    cx, bottom = (x0 + x1) / 2, y1 - _BOX_LIFT * side
    return round(cx - side / 2), round(bottom - side), round(cx + side / 2), round(bottom)


def descriptor(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """(128,) float64 descriptor of the face the landmarks mark in an RGB uint8 image."""
    import dlib

    shape_model, net = _models()
    box = dlib.rectangle(*face_box(landmarks))
    image = np.ascontiguousarray(rgb)
    return np.asarray(net.compute_face_descriptor(image, shape_model(image, box)), np.float64)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))
