"""Head rotation from 2-D face landmarks, by fitting a rigid 3-D reference face (cv2.solvePnP).

The reference is mediapipe's ``canonical_face_model.obj`` (centimetres; x toward the image right
of a face looking at the camera, y up, z toward the camera), restricted to the 33 landmarks
that mediapipe's own face-geometry pipeline uses as its rigid "Procrustes basis": eye corners,
nose, forehead, cheekbones and the jaw angle. Lips, lids and brows are left out so that
expressions do not read as head motion.

Angles follow :mod:`openlpm.motion.params`: +yaw turns the face to the character's left (the
nose moves to image right), +pitch raises the chin, +roll moves the top of the head toward
image right. They are measured relative to the line of sight from the camera to the face, not
to the optical axis, so a frontal face reads (about) zero wherever it sits in the frame; and
they are the intrinsic yaw-pitch-roll (Y, X', Z'') decomposition, so a pure yaw, pitch or roll
reads back as itself.

Absolute pitch carries a per-face offset of a few degrees (typically -10 to 0 on frontal
portraits: faces differ from the canonical one); compare against the same face's neutral frame.

The signs are pinned by tests/test_analysis.py (an exactly projected reference face, mirrored
and rotated portraits) and were checked by eye on real talking-head video: the frames with the
highest pitch show the chin raised, the highest yaw the nose toward image right.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Canonical face model vertices (x, y, z in cm) of the midline and the character's right side.
_MIDLINE_AND_RIGHT: dict[int, tuple[float, float, float]] = {
    4: (0.0, -0.463170, 7.586580),  # nose tip
    6: (0.0, 2.473255, 5.788627),  # nose bridge
    10: (0.0, 8.261778, 4.481535),  # forehead top
    33: (-4.445859, 2.663991, 3.173422),  # eye, outer corner
    54: (-6.279331, 6.615427, 1.425850),  # temple
    67: (-3.523964, 8.005976, 3.729163),  # forehead
    117: (-5.258659, 0.945811, 2.974312),  # cheekbone
    119: (-3.300681, 0.861641, 3.872784),  # under the eye
    121: (-1.820731, 1.467954, 4.224124),  # side of the nose bridge
    127: (-7.743095, 2.364999, -2.005167),  # face edge at eye height
    129: (-1.785794, -0.978284, 4.850470),  # nostril
    132: (-7.270895, -2.890917, -2.252455),  # face edge below the cheekbone
    133: (-1.856432, 2.585245, 3.757904),  # eye, inner corner
    136: (-5.085276, -7.178590, 0.714711),  # jaw angle
    143: (-6.407571, 2.236021, 1.560843),  # beside the outer eye corner
    147: (-6.234883, -1.944430, 1.663542),  # cheek
    198: (-1.246815, 0.230297, 5.681036),  # side of the nose
    205: (-3.832928, -1.537326, 4.137731),  # cheek beside the nose
}
# The model is mirror-symmetric: character's right landmark -> its left twin.
_MIRROR: dict[int, int] = {
    33: 263, 54: 284, 67: 297, 117: 346, 119: 348, 121: 350, 127: 356, 129: 358, 132: 361,
    133: 362, 136: 365, 143: 372, 147: 376, 198: 420, 205: 425,
}  # fmt: skip
# mediapipe landmark index -> canonical model point (x right, y up, z toward the camera; cm).
REFERENCE_POINTS: dict[int, tuple[float, float, float]] = {
    **_MIDLINE_AND_RIGHT,
    **{_MIRROR[i]: (-x, y, z) for i, (x, y, z) in _MIDLINE_AND_RIGHT.items() if i in _MIRROR},
}
POSE_LANDMARKS: tuple[int, ...] = tuple(REFERENCE_POINTS)

# OpenCV's camera frame is x right, y down, z away from the camera: flip y and z so that a face
# looking straight into the camera has the identity rotation.
_OBJECT_POINTS = np.array(list(REFERENCE_POINTS.values()), dtype=np.float64) * (1.0, -1.0, -1.0)


@dataclass(frozen=True)
class HeadPose:
    """Head rotation in degrees, signs as in :mod:`openlpm.motion.params`."""

    yaw: float
    pitch: float
    roll: float


def _camera_matrix(width: int, height: int) -> np.ndarray:
    # A pinhole with focal length = image width (about a 53 degree horizontal field of view).
    focal = float(width)
    return np.array(
        [[focal, 0.0, width / 2.0], [0.0, focal, height / 2.0], [0.0, 0.0, 1.0]], dtype=np.float64
    )


def _line_of_sight(translation: np.ndarray) -> np.ndarray:
    """The smallest rotation (3 x 3) taking the optical axis onto the ray from the camera to the
    face."""
    ray = translation / np.linalg.norm(translation)
    axis = np.cross((0.0, 0.0, 1.0), ray)
    sin = float(np.linalg.norm(axis))
    if sin < 1e-12:
        return np.eye(3)
    return cv2.Rodrigues(axis / sin * np.arctan2(sin, ray[2]))[0]


def _euler_yxz(rotation: np.ndarray) -> tuple[float, float, float]:
    """Intrinsic Y-X'-Z'' angles (degrees) of ``rotation`` = R_y(a) R_x(b) R_z(c), as scipy's
    ``Rotation.as_euler("YXZ")`` gives them (b within +-90 degrees), without importing scipy
    (38 MB in a live process, which measures a portrait's pose)."""
    about_x = np.arcsin(np.clip(-rotation[1, 2], -1.0, 1.0))
    about_y = np.arctan2(rotation[0, 2], rotation[2, 2])
    about_z = np.arctan2(rotation[1, 0], rotation[1, 1])
    return float(np.degrees(about_y)), float(np.degrees(about_x)), float(np.degrees(about_z))


def head_pose_from_landmarks(landmarks: np.ndarray, image_size: tuple[int, int]) -> HeadPose:
    """Fit the reference face to ``landmarks`` (N x 2 or N x 3 pixels, mediapipe's 468/478 order).

    ``image_size`` is ``(width, height)`` in pixels.
    """
    width, height = image_size
    image_points = np.ascontiguousarray(landmarks[list(POSE_LANDMARKS), :2], dtype=np.float64)
    ok, rvec, tvec = cv2.solvePnP(
        _OBJECT_POINTS, image_points, _camera_matrix(width, height), None, flags=cv2.SOLVEPNP_SQPNP
    )
    if not ok:
        raise RuntimeError("cv2.solvePnP found no head pose")
    # A face above the image centre that looks frontal is in fact turned toward the camera:
    # undo that so that the angles say how the face looks, not where it sits in the frame.
    rotation = _line_of_sight(tvec.ravel()).T @ cv2.Rodrigues(rvec)[0]
    # Intrinsic Y-X'-Z'' in OpenCV axes. A rotation about +y (down) turns the nose to image
    # left and one about +x (right) tips the nose down, so both flip sign; one about +z (into
    # the image) moves the top of the head to image right, which is already +roll.
    about_y, about_x, about_z = _euler_yxz(rotation)
    return HeadPose(yaw=float(-about_y), pitch=float(-about_x), roll=float(about_z))
