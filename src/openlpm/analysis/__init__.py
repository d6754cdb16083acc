"""Analysis: measure a face from rendered pixels, independent of any renderer.

:class:`FaceAnalyzer` runs mediapipe's face mesh (ONNX, :mod:`openlpm.vision`) and returns a
:class:`FaceMeasurement` (mouth opening, eye aspect ratios, gaze, brows, head pose) per image;
:func:`measure_video` does the same for the frames of a video with face tracking. The models
load on the first measurement.
"""

from openlpm.analysis.face_measure import (
    FaceAnalyzer,
    FaceMeasurement,
    eye_aspect_ratio,
    measure_landmarks,
    measure_video,
)
from openlpm.analysis.head_pose import HeadPose, head_pose_from_landmarks

__all__ = [
    "FaceAnalyzer",
    "FaceMeasurement",
    "HeadPose",
    "eye_aspect_ratio",
    "head_pose_from_landmarks",
    "measure_landmarks",
    "measure_video",
]
