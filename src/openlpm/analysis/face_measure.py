"""Measure a face in rendered pixels with mediapipe's face mesh (478 landmarks, irises refined),
run with onnxruntime (:mod:`openlpm.vision`).

Everything here looks only at the image, never at how it was made, so the same numbers can
judge any renderer, a real video or a reference portrait.

Conventions. "Left" and "right" are the character's own sides, as in
:mod:`openlpm.motion.params`: for a face looking at the camera the left eye (landmarks
263/362) is on the image's right. Lengths are divided by the face height (forehead landmark 10
to chin landmark 152, in the image plane) so that they do not depend on the face's size in the
frame. "Up" and "down" for the mouth and brows are along that forehead-to-chin axis, so they
are unaffected by head roll.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType

import numpy as np

from openlpm.analysis.head_pose import head_pose_from_landmarks
from openlpm.vision.face_mesh import FaceMesh

NUM_LANDMARKS = 478  # 468 mesh points + 2 x 5 iris points (refine_landmarks=True)

FOREHEAD, CHIN = 10, 152
MOUTH_CORNERS = (61, 291)  # character's right, left
INNER_LIP_CENTRE = (13, 14)  # upper, lower
# Matched upper/lower inner-lip points across the middle of the mouth (right to left).
INNER_LIP_PAIRS = ((81, 178), (82, 87), (13, 14), (312, 317), (311, 402))
# Eye aspect ratio points p1..p6 (Soukupova & Cech 2016): p1, p4 the corners, p2/p6 and p3/p5
# the upper/lower lid pairs. Listed as (p1, p2, p3, p4, p5, p6).
EYE_RIGHT = (33, 160, 158, 133, 153, 144)
EYE_LEFT = (362, 385, 387, 263, 373, 380)
IRIS_CENTRE_RIGHT, IRIS_CENTRE_LEFT = 468, 473
BROW_RIGHT = (70, 63, 105, 66, 107)  # upper brow edge, outer to inner
BROW_LEFT = (300, 293, 334, 296, 336)


@dataclass(frozen=True, eq=False)  # eq=False: an array field has no plain ==
class FaceMeasurement:
    """What :class:`FaceAnalyzer` measures in one image. Ratios are per face height.

    The iris offsets mean little while the eye is shut (low EAR).
    """

    # (478, 3) float32 pixels, read-only: x right, y down, z depth relative to the head's
    # centre, scaled like x (smaller is nearer the camera).
    landmarks: np.ndarray
    face_height: float  # pixels, landmark 10 to 152
    mouth_gap: float  # mean inner-lip opening; ~0 closed, ~0.1+ wide open
    mouth_width: float  # corner to corner
    mouth_corner_lift: float  # corners above the inner-lip centre; + is up (smile)
    ear_left: float  # eye aspect ratio, character's left eye; open ~0.25-0.35, shut < 0.12
    ear_right: float
    iris_left: tuple[float, float]  # iris centre offset from the eye centre, per eye width
    iris_right: tuple[float, float]  # (+x toward image right, +y down, in the eye's frame)
    brow_height: float  # mean of the two sides below
    brow_height_left: float  # brow above the eye-corner midpoint
    brow_height_right: float
    yaw: float  # degrees, + face turned to the character's left
    pitch: float  # degrees, + chin up
    roll: float  # degrees, + top of head toward image right


def _face_axis(points: np.ndarray) -> tuple[np.ndarray, float]:
    """The face's own "down" (unit vector, forehead to chin) and the face height in pixels."""
    along = points[CHIN] - points[FOREHEAD]
    height = float(np.linalg.norm(along))
    return along / height, height


def eye_aspect_ratio(points: np.ndarray, eye: tuple[int, ...]) -> float:
    """(|p2-p6| + |p3-p5|) / (2 |p1-p4|) on 2-D points; ``eye`` lists p1..p6."""
    p1, p2, p3, p4, p5, p6 = (points[i] for i in eye)
    lids = np.linalg.norm(p2 - p6) + np.linalg.norm(p3 - p5)
    return float(lids / (2.0 * np.linalg.norm(p1 - p4)))


def _iris_offset(points: np.ndarray, eye: tuple[int, ...], iris: int) -> tuple[float, float]:
    # The eye's own frame: x along the corner line toward image right, y a quarter turn
    # clockwise from it (down), so head roll does not leak into the gaze numbers.
    a, b = points[eye[0]], points[eye[3]]
    if a[0] > b[0]:
        a, b = b, a
    width = float(np.linalg.norm(b - a))
    x_axis = (b - a) / width
    y_axis = np.array([-x_axis[1], x_axis[0]])
    offset = points[iris] - (a + b) / 2.0
    return float(offset @ x_axis / width), float(offset @ y_axis / width)


def _brow_height(
    points: np.ndarray, brow: tuple[int, ...], eye: tuple[int, ...], down: np.ndarray
) -> float:
    # Measured from the eye corners, which do not move when the eye blinks.
    eye_centre = (points[eye[0]] + points[eye[3]]) / 2.0
    return float((eye_centre - points[list(brow)].mean(axis=0)) @ down)


def measure_landmarks(landmarks: np.ndarray, image_size: tuple[int, int]) -> FaceMeasurement:
    """All measures from 478 landmarks in pixels (x, y and optionally z; stored as given).

    ``image_size`` is (width, height), for the head pose's camera.
    """
    if landmarks.shape[0] != NUM_LANDMARKS:
        raise ValueError(f"expected {NUM_LANDMARKS} landmarks, got {landmarks.shape[0]}")
    pts = landmarks[:, :2].astype(np.float64)
    down, height = _face_axis(pts)
    upper, lower = zip(*INNER_LIP_PAIRS, strict=True)
    gaps = np.clip((pts[list(lower)] - pts[list(upper)]) @ down, 0.0, None)
    lip_centre = pts[list(INNER_LIP_CENTRE)].mean(axis=0)
    corners = pts[list(MOUTH_CORNERS)]
    brow_left = _brow_height(pts, BROW_LEFT, EYE_LEFT, down) / height
    brow_right = _brow_height(pts, BROW_RIGHT, EYE_RIGHT, down) / height
    pose = head_pose_from_landmarks(pts, image_size)
    frozen_landmarks = landmarks.astype(np.float32)  # a copy, which the caller cannot change
    frozen_landmarks.setflags(write=False)
    return FaceMeasurement(
        landmarks=frozen_landmarks,
        face_height=height,
        mouth_gap=float(gaps.mean() / height),
        mouth_width=float(np.linalg.norm(corners[1] - corners[0]) / height),
        mouth_corner_lift=float(((lip_centre - corners) @ down).mean() / height),
        ear_left=eye_aspect_ratio(pts, EYE_LEFT),
        ear_right=eye_aspect_ratio(pts, EYE_RIGHT),
        iris_left=_iris_offset(pts, EYE_LEFT, IRIS_CENTRE_LEFT),
        iris_right=_iris_offset(pts, EYE_RIGHT, IRIS_CENTRE_RIGHT),
        brow_height=(brow_left + brow_right) / 2.0,
        brow_height_left=brow_left,
        brow_height_right=brow_right,
        yaw=pose.yaw,
        pitch=pose.pitch,
        roll=pose.roll,
    )


class FaceAnalyzer:
    """mediapipe FaceMesh (one face, irises refined) that returns :class:`FaceMeasurement`.

    ``video=False`` treats every image on its own (detection each time); ``video=True`` tracks
    the face from frame to frame, which is faster and steadier but expects consecutive frames
    of one video. :meth:`close` (or leaving the analyzer as a context manager) forgets the
    tracked face, so the next image starts afresh.
    """

    def __init__(self, video: bool = False, min_confidence: float = 0.5) -> None:
        self.video = video
        self.min_confidence = min_confidence
        self._mesh = FaceMesh(
            max_faces=1, min_detection=min_confidence, min_presence=min_confidence, video=video
        )

    def landmarks(self, rgb: np.ndarray) -> np.ndarray | None:
        """(478, 3) float32 landmarks in pixels (z scaled like x), or None when no face."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an H x W x 3 uint8 RGB image, got {rgb.shape} {rgb.dtype}")
        faces = self._mesh.process(rgb)
        return faces[0] if faces else None

    def measure(self, rgb: np.ndarray) -> FaceMeasurement | None:
        """Measure the face in an RGB uint8 image; None when no face is found."""
        landmarks = self.landmarks(rgb)
        if landmarks is None:
            return None
        return measure_landmarks(landmarks, (rgb.shape[1], rgb.shape[0]))

    def close(self) -> None:
        self._mesh.reset()

    def __enter__(self) -> FaceAnalyzer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def measure_video(
    frames: Iterable[np.ndarray], progress: Callable[[int], None] | None = None
) -> list[FaceMeasurement | None]:
    """Measure consecutive RGB frames of one video with face tracking; None where no face.

    ``progress``, if given, is called with the number of frames done after each frame.
    """
    measurements: list[FaceMeasurement | None] = []
    with FaceAnalyzer(video=True) as analyzer:
        for done, frame in enumerate(frames, start=1):
            measurements.append(analyzer.measure(frame))
            if progress is not None:
                progress(done)
    return measurements
