"""Face detection and 478 landmarks with mediapipe's bundled face mesh (with iris)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openlpm.character.topology import CHIN, FOREHEAD
from openlpm.errors import NoFaceError

MIN_FACE_PX = 64  # smaller faces have too few pixels to animate
MAX_FACES = 8
_DETECT_SIDE = 1024  # mediapipe looks at a downscaled copy; landmarks come back normalised


@dataclass(frozen=True)
class DetectedFace:
    landmarks: np.ndarray  # (478, 3) float32 pixels; z is depth in x's scale, + is away from camera

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the landmarks."""
        xy = self.landmarks[:, :2]
        x0, y0 = xy.min(0)
        x1, y1 = xy.max(0)
        return float(x0), float(y0), float(x1), float(y1)

    @property
    def height(self) -> float:
        """Forehead-to-chin distance in pixels."""
        return float(np.linalg.norm(self.landmarks[FOREHEAD, :2] - self.landmarks[CHIN, :2]))


def detect_faces(rgb: np.ndarray) -> list[DetectedFace]:
    """Every face mediapipe finds, largest first."""
    import mediapipe as mp  # slow import; only when needed

    h, w = rgb.shape[:2]
    mesh = mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True,
        max_num_faces=MAX_FACES,
        refine_landmarks=True,
        min_detection_confidence=0.3,
    )
    with mesh:
        result = mesh.process(np.ascontiguousarray(rgb))
    faces = []
    for face in result.multi_face_landmarks or []:
        pts = np.array([(p.x * w, p.y * h, p.z * w) for p in face.landmark], dtype=np.float32)
        faces.append(DetectedFace(pts))
    faces.sort(key=lambda f: -f.height)
    return faces


def pick_face(rgb: np.ndarray, face_index: int = 0) -> DetectedFace:
    """The face to animate: the largest by default, or the N-th largest (0-based)."""
    return choose_face(detect_faces(rgb), face_index)


def choose_face(faces: list[DetectedFace], face_index: int) -> DetectedFace:
    """The N-th largest of ``faces``, checked: there is one, and it is big enough to animate."""
    if not faces:
        raise NoFaceError(
            "no face found in the image: use a portrait where one face is clearly visible "
            "(frontal or slightly turned, not covered)"
        )
    if not 0 <= face_index < len(faces):
        raise NoFaceError(
            f"--face {face_index} is out of range: the image has {len(faces)} face(s), "
            f"numbered 0..{len(faces) - 1} from the largest"
        )
    face = faces[face_index]
    if face.height < MIN_FACE_PX:
        raise NoFaceError(
            f"the face is only {face.height:.0f} px tall; at least {MIN_FACE_PX} px are needed: "
            "use a larger or closer-cropped image"
        )
    return face
