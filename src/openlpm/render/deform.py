"""MotionFrame -> displacement of every mesh vertex (expression shapes, head rotation, body)."""

from __future__ import annotations

import copy

import numpy as np

from openlpm.character.mesh import Mesh
from openlpm.character.topology import CHIN, N_LANDMARKS
from openlpm.motion.frame import MotionFrame
from openlpm.motion.params import BLENDSHAPES, HEAD_LIMIT_DEG, PARAM_INDEX
from openlpm.render.body import UpperBody
from openlpm.render.face_frame import FaceFrame
from openlpm.render.head_room import ease_tilt
from openlpm.render.shapes import ShapeBuilder

_N_SHAPES = len(BLENDSHAPES)
_HEAD = slice(PARAM_INDEX["headYaw"], PARAM_INDEX["headRoll"] + 1)
_BODY = slice(PARAM_INDEX["bodyX"], PARAM_INDEX["bodyY"] + 1)
_LEAN, _SHRUG = PARAM_INDEX["bodyLean"], PARAM_INDEX["bodyShrug"]
_JAW, _CLOSE = PARAM_INDEX["jawOpen"], PARAM_INDEX["mouthClose"]
# A jaw turns about its hinge: the lips part early in its travel, as in ARKit captures of
# speech, where jawOpen 0.1-0.3 is a plainly open mouth. The linear field at jawOpen 0.1 parted
# the lips by about a pixel at 512 px, which reads as shut; weight**JAW_EXPONENT opens them
# sooner and leaves 0 and 1 where they were.
JAW_EXPONENT = 0.6


def jaw_response(weights: np.ndarray) -> np.ndarray:
    """Blendshape weights with jawOpen on the hinge's curve; mouthClose scaled with it, so that
    mouthClose == jawOpen still shuts the lips (p/b/m) and a partial closure keeps its share.

    mouthClose is held to jawOpen (ARKit's own rule): it undoes the jaw's pull on the lips, and
    beyond what the jaw opened it pushed the lower lip up through the upper one (a dark knot
    where the lips crossed, mouthClose alone)."""
    jaw, close = float(weights[_JAW]), float(weights[_CLOSE])
    held = min(close, max(jaw, 0.0))
    if (jaw <= 0.0 or jaw >= 1.0) and held == close:
        return weights
    out = weights.copy()
    if 0.0 < jaw < 1.0:
        out[_JAW] = jaw**JAW_EXPONENT
        held *= out[_JAW] / jaw
    out[_CLOSE] = held
    return out


def turn(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """3x3 rotation for image axes (x right, y down, z away), signs as in motion/params.py."""
    y, p = np.radians([yaw_deg, pitch_deg])
    cy, sy, cp, sp = np.cos(y), np.sin(y), np.cos(p), np.sin(p)
    # pitch @ yaw written out (its other terms are exact zeros, so the entries are the same):
    # the renderer turns the head every frame, and small numpy matrices cost more than the
    # arithmetic. yaw: + moves the (near) nose to image right; pitch: + moves the nose up.
    return np.array([[cy, 0, -sy], [sp * sy, cp, sp * cy], [cp * sy, -sp, cp * cy]], np.float32)


def tilt(roll_deg: float) -> np.ndarray:
    """2x2 rotation in the image plane: + moves the crown to image right."""
    r = np.radians(roll_deg)
    c, s = np.cos(r), np.sin(r)
    return np.array([[c, -s], [s, c]], np.float32)


class Deformer:
    """Computes where every vertex of a mesh goes for a pose."""

    def __init__(self, mesh: Mesh, landmarks: np.ndarray) -> None:
        self.mesh = mesh
        self.frame = FaceFrame.from_landmarks(landmarks)
        uv = self.frame.to_face(mesh.rest[:, :2].astype(np.float64))
        shapes = ShapeBuilder(uv, N_LANDMARKS)
        fields = shapes.build()  # (52, V, 2) in face heights
        self.rest_offset = self.frame.to_pixels_delta(shapes.rest_closure()).astype(np.float32)
        pixel_fields = self.frame.to_pixels_delta(fields.astype(np.float64))
        # (V*2, 52): one matrix product turns blendshape weights into displacements.
        self.shape_matrix = pixel_fields.reshape(_N_SHAPES, -1).T.astype(np.float32).copy()
        self.rest = mesh.rest.astype(np.float32)
        self.pivot = mesh.pivot.astype(np.float32)
        # The head tilts sideways from the neck, not about its own centre: a low pivot keeps the
        # shoulders (far below the head centre) from swinging with it.
        chin = landmarks[CHIN, :2]
        self.neck = np.float32([self.pivot[0], chin[1] + 0.1 * self.frame.height])
        self.head_weight = mesh.head_weight[:, None].astype(np.float32)
        self.body_weight = mesh.body_weight[:, None].astype(np.float32)
        # How far the head may tilt each way (render/head_room.py; the caller measures it).
        self.roll_room = (HEAD_LIMIT_DEG, HEAD_LIMIT_DEG)
        height = float(mesh.rest[:, 1].max() + 1)
        self.upper_body = UpperBody(
            mesh.rest[:, :2], mesh.body_weight, self.neck, self.frame.origin,
            self.frame.height, round(height),
        )  # fmt: skip

    def joined(self, other: Deformer) -> Deformer:
        """This deformer's vertices followed by ``other``'s (a variant of this one, such as the
        mouth's teeth anchors), moved by one call per pose: the call's cost is mostly its
        fixed overhead, not the vertices."""
        both = copy.copy(self)
        both.shape_matrix = np.vstack([self.shape_matrix, other.shape_matrix])
        for name in ("rest_offset", "rest", "head_weight", "body_weight"):
            setattr(both, name, np.concatenate([getattr(self, name), getattr(other, name)]))
        both.upper_body = self.upper_body.joined(other.upper_body)
        return both

    def displacement(self, frame: MotionFrame) -> np.ndarray:
        """(V, 2) float32 pixel displacement of every vertex."""
        v = frame.vector
        disp = (self.shape_matrix @ jaw_response(v[:_N_SHAPES])).reshape(-1, 2) + self.rest_offset
        yaw, pitch, roll = v[_HEAD]
        if roll:
            roll = ease_tilt(float(roll), self.roll_room)
        if yaw or pitch or roll:
            posed = self.rest.copy()
            posed[:, :2] += disp
            turned = (posed - self.pivot) @ turn(yaw, pitch).T + self.pivot
            tilted = (turned[:, :2] - self.neck) @ tilt(roll).T + self.neck
            disp += self.head_weight * (tilted - posed[:, :2])
        lean, shrug = v[_LEAN], v[_SHRUG]
        if yaw or pitch or roll or lean or shrug:
            posed = self.rest[:, :2] + disp
            disp += self.upper_body.displacement(posed, yaw, pitch, roll, lean, shrug)
        body = v[_BODY]
        if body.any():
            disp += self.body_weight * (body * np.float32(self.frame.height))
        return disp
