"""mediapipe's face mesh with attention: 478 landmarks (468 + 10 iris points, lips and eyes
refined) from a rotated 192 x 192 crop, on still images or tracked through a video."""

from __future__ import annotations

import math

import numpy as np

from openlpm.vision.face_detection import box_iou, detect, face_rect, rect_from_points
from openlpm.vision.models import NormRect, crop_tensor, onnx_session

SIDE = 192
NUM_LANDMARKS = 478
# Which of the 478 points each refinement output replaces (the model's own order).
LIPS = (
    61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 185, 40, 39, 37, 0, 267, 269, 270, 409,
    78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 191, 80, 81, 82, 13, 312, 311, 310, 415,
    76, 77, 90, 180, 85, 16, 315, 404, 320, 307, 306, 184, 74, 73, 72, 11, 302, 303, 304, 408,
    62, 96, 89, 179, 86, 15, 316, 403, 319, 325, 292, 183, 42, 41, 38, 12, 268, 271, 272, 407,
)  # fmt: skip
LEFT_EYE = (
    33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173, 130, 25, 110,
    24, 23, 22, 26, 112, 243, 247, 30, 29, 27, 28, 56, 190, 226, 31, 228, 229, 230, 231, 232,
    233, 244, 113, 225, 224, 223, 222, 221, 189, 35, 124, 46, 53, 52, 65, 143, 111, 117, 118,
    119, 120, 121, 128, 245, 156, 70, 63, 105, 66, 107, 55, 193,
)  # fmt: skip
RIGHT_EYE = (
    263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398, 359, 255,
    339, 254, 253, 252, 256, 341, 463, 467, 260, 259, 257, 258, 286, 414, 446, 261, 448, 449,
    450, 451, 452, 453, 464, 342, 445, 444, 443, 442, 441, 413, 265, 353, 276, 283, 282, 295,
    372, 340, 346, 347, 348, 349, 350, 357, 465, 383, 300, 293, 334, 296, 336, 285, 417,
)  # fmt: skip
LEFT_IRIS = tuple(range(468, 473))
RIGHT_IRIS = tuple(range(473, 478))
EYE_CONTOUR = 16  # the first 16 points of an eye's list: its lid contour (iris depth = mean)
TRACK_FROM = (33, 263)  # eye corners that level the crop when tracking


def _decode(outputs: dict[str, np.ndarray]) -> np.ndarray:
    """(478, 3) landmarks in the crop, normalised to 0..1 (z scaled like x)."""
    marks = np.zeros((NUM_LANDMARKS, 3), np.float32)
    marks[:468] = outputs["output_mesh_identity"].reshape(468, 3)
    parts = (
        ("output_lips", LIPS),
        ("output_left_eye", LEFT_EYE),
        ("output_right_eye", RIGHT_EYE),
        ("output_left_iris", LEFT_IRIS),
        ("output_right_iris", RIGHT_IRIS),
    )
    for name, indices in parts:
        marks[list(indices), :2] = outputs[name].reshape(-1, 2)
    for iris, eye in ((LEFT_IRIS, LEFT_EYE), (RIGHT_IRIS, RIGHT_EYE)):
        marks[list(iris), 2] = marks[list(eye[:EYE_CONTOUR]), 2].mean()
    return marks / SIDE


def _project(marks: np.ndarray, rect: NormRect) -> np.ndarray:
    """Crop-normalised landmarks to image-normalised ones (mediapipe's LandmarkProjection)."""
    c, s = math.cos(rect.rotation), math.sin(rect.rotation)
    x, y = marks[:, 0] - 0.5, marks[:, 1] - 0.5
    out = np.empty_like(marks)
    out[:, 0] = (c * x - s * y) * rect.width + rect.x_center
    out[:, 1] = (s * x + c * y) * rect.height + rect.y_center
    out[:, 2] = marks[:, 2] * rect.width
    return out


def landmarks_in(rgb: np.ndarray, rect: NormRect, min_presence: float) -> np.ndarray | None:
    """(478, 3) image-normalised landmarks of the face in ``rect``, or None when the model
    says no face is there."""
    session = onnx_session("face_landmark_with_attention")
    tensor = crop_tensor(rgb, rect, SIDE, (0.0, 1.0))
    names = [o.name for o in session.get_outputs()]
    outputs = dict(zip(names, session.run(None, {"input_1": tensor}), strict=True))
    presence = 1 / (1 + math.exp(-float(np.clip(outputs["conv_faceflag"].ravel()[0], -80, 80))))
    if presence < min_presence:
        return None
    return _project(_decode(outputs), rect)


def track_rect(marks: np.ndarray, shape: tuple[int, int]) -> NormRect:
    """The next frame's crop from this frame's landmarks (mediapipe's landmarks-to-ROI)."""
    lo, hi = marks[:, :2].min(0), marks[:, :2].max(0)
    box = (float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1]))
    return rect_from_points(box, marks[TRACK_FROM[0]], marks[TRACK_FROM[1]], shape)


def to_pixels(marks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Image-normalised landmarks to pixels (z scaled like x), float32."""
    h, w = shape
    return (marks * np.float32([w, h, w])).astype(np.float32)


class FaceMesh:
    """Up to ``max_faces`` faces' landmarks per image, as mediapipe's legacy FaceMesh with
    ``refine_landmarks=True``.

    Still images (``video=False``) run the detector every time. In a video the face is
    tracked: the previous frame's landmarks give the crop, and the detector runs only while
    fewer than ``max_faces`` faces are tracked.
    """

    def __init__(
        self,
        max_faces: int = 1,
        min_detection: float = 0.5,
        min_presence: float = 0.5,
        video: bool = False,
    ) -> None:
        self.max_faces, self.video = max_faces, video
        self.min_detection, self.min_presence = min_detection, min_presence
        self._tracked: list[NormRect] = []

    def process(self, rgb: np.ndarray) -> list[np.ndarray]:
        """(478, 3) landmarks in pixels for each face found (detector order: best first)."""
        shape = rgb.shape[:2]
        rects = list(self._tracked) if self.video else []
        if len(rects) < self.max_faces:
            found = detect(rgb, self.min_detection)[: self.max_faces]
            rects += [r for r in (face_rect(f, shape) for f in found) if not _overlaps(r, rects)]
            rects = rects[: self.max_faces]
        faces = [
            m for m in (landmarks_in(rgb, r, self.min_presence) for r in rects) if m is not None
        ]
        if self.video:
            self._tracked = [track_rect(m, shape) for m in faces]
        return [to_pixels(m, shape) for m in faces]

    def reset(self) -> None:
        """Forget the tracked faces (the next frame is unrelated to the last)."""
        self._tracked = []


def _overlaps(rect: NormRect, others: list[NormRect], threshold: float = 0.5) -> bool:
    """Whether ``rect`` overlaps an already tracked face (mediapipe's association step, on
    the unrotated boxes)."""

    def box(r: NormRect) -> np.ndarray:
        return np.float32(
            [
                r.x_center - r.width / 2,
                r.y_center - r.height / 2,
                r.x_center + r.width / 2,
                r.y_center + r.height / 2,
            ]
        )

    return any(box_iou(box(rect), box(o)[None])[0] > threshold for o in others)
