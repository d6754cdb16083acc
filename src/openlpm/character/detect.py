"""Face detection and 478 landmarks with mediapipe's face mesh (with iris), run with onnxruntime
(:mod:`openlpm.vision`)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from openlpm.character.topology import CHIN, FOREHEAD
from openlpm.errors import NoFaceError
from openlpm.vision.face_mesh import FaceMesh

MIN_FACE_PX = 64  # smaller faces have too few pixels to animate
MAX_FACES = 8
MIN_DETECTION = 0.3  # the detector's score; low, since characters are not all photos


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
    """Every face mediapipe finds, largest first.

    Found in two passes: the whole picture, then each face again in a square crop around it.
    On a wide picture with several people the first pass can misplace a small face's features
    (a chin a tenth of a face too low); the crop pass sees that face the way a portrait shows
    it, and agrees with the first to within a pixel on a portrait.
    """
    found = FaceMesh(max_faces=MAX_FACES, min_detection=MIN_DETECTION).process(rgb)
    crop_mesh = FaceMesh(max_faces=1, min_detection=MIN_DETECTION)
    faces = [_in_crop(crop_mesh, rgb, DetectedFace(pts)) for pts in found]
    faces.sort(key=lambda f: -f.height)
    return faces


CROP_SIDE = 384  # pixels of the square crop the second pass looks at
CROP_MARGIN = 1.8  # crop side / the face's larger box side


def _in_crop(mesh: FaceMesh, rgb: np.ndarray, face: DetectedFace) -> DetectedFace:
    """``face`` measured again in a square crop centred on it (``face`` itself when the crop
    pass finds nothing or something else)."""
    x0, y0, x1, y1 = face.box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    scale = CROP_SIDE / (CROP_MARGIN * max(x1 - x0, y1 - y0))  # crop pixels per image pixel
    to_crop = np.float32(
        [[scale, 0, CROP_SIDE / 2 - cx * scale], [0, scale, CROP_SIDE / 2 - cy * scale]]
    )
    size = (CROP_SIDE, CROP_SIDE)
    crop = cv2.warpAffine(rgb, to_crop, size, borderMode=cv2.BORDER_REPLICATE)
    found = mesh.process(crop)
    if not found:
        return face
    pts = found[0].copy()
    pts[:, 0] = (pts[:, 0] - to_crop[0, 2]) / scale
    pts[:, 1] = (pts[:, 1] - to_crop[1, 2]) / scale
    pts[:, 2] /= scale
    again = DetectedFace(pts)
    centre_moved = np.hypot(*(np.mean(again.box[::2]) - cx, np.mean(again.box[1::2]) - cy))
    return again if centre_moved < 0.25 * face.height else face


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
