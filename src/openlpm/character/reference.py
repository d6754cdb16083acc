"""Expression references: more pictures of the same character, each showing a state the main
image does not (the mouth open with teeth, the eyes closed, a smile, the head turned).

A reference is detected, checked to show the character's face (:mod:`.identity`), classified
by what its landmarks measure against the main image's (mouth gap, eye aspect ratio, corner
lift and mouth width, head yaw), and aligned to the rig by a similarity transform fitted on
the rigid landmarks, so its pixels lie where the rig's do. The renderer then takes the
matching state's texture from it (:mod:`openlpm.render.references`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from openlpm.analysis.face_measure import FaceMeasurement, measure_landmarks
from openlpm.character.detect import MIN_FACE_PX, detect_faces
from openlpm.character.identity import RIGID, Likeness, compare
from openlpm.errors import ImageError, ReferenceImageError

MOUTH_OPEN = "mouth open"
EYES_CLOSED = "eyes closed"
SMILE = "smile"
HEAD_TURN = "head turn"

OPEN_GAP = 0.04  # inner-lip gap (face heights) of an open mouth (the human range's open frames)
OPEN_GAIN = 0.02  # ... and this much more open than the main image
CLOSED_EYE = 0.6  # eye aspect ratio below this share of the main image's: closed
# Corners raised this much more (inter-ocular distances) than in the image, or the mouth this
# much wider. On the renderer's own poses of the ten shared portraits a full smile measured
# +0.08..+0.16 and 1.06..1.33; blinks, head turns of 15 degrees and open mouths at most +0.04
# and 1.07.
SMILE_LIFT = 0.06
SMILE_WIDTH = 1.15
NOSE_BASE = 2  # subnasale: unmoved by blinks and by the jaw
TURN_DEG = 8.0  # head yaw this much different
TEXTURED = frozenset({MOUTH_OPEN, EYES_CLOSED, SMILE})  # states the renderer takes from a reference

if TYPE_CHECKING:
    from openlpm.character.rig import Rig

ImageSource = str | os.PathLike[str] | np.ndarray


@dataclass(frozen=True, eq=False)
class Reference:
    """One accepted reference, in the rig's image coordinates."""

    name: str
    image: np.ndarray  # (H, W, 3) uint8 RGB, the rig image's size, aligned to it
    landmarks: np.ndarray  # (478, 3) float32 pixels in the rig image
    states: frozenset[str]
    measured: FaceMeasurement  # in the reference's own picture
    likeness: Likeness
    closed_eyes: frozenset[str] = frozenset()  # "Left", "Right": the character's own sides

    def describe(self) -> str:
        """What it shows, e.g. "open.png: mouth open, smile"; states that give no texture yet
        (a head turn) are marked as such."""
        parts = [s if s in TEXTURED else f"{s} (not used yet)" for s in sorted(self.states)]
        if len(self.closed_eyes) == 1:  # a wink
            side = next(iter(self.closed_eyes)).lower()
            parts = [f"{side} eye closed" if p == EYES_CLOSED else p for p in parts]
        return f"{self.name}: {', '.join(parts)}"


def with_references(rig: Rig, sources: Sequence[ImageSource]) -> Rig:
    """``rig`` with the references in ``sources`` (paths or RGB arrays) checked and added."""
    if not sources:
        return rig
    refs = [load_reference(s, rig.image, rig.face.landmarks) for s in sources]
    return dataclasses.replace(rig, references=rig.references + tuple(refs))


def load_reference(source: ImageSource, rig_image: np.ndarray, rig_landmarks: np.ndarray,
                   name: str | None = None) -> Reference:  # fmt: skip
    """Check, classify and align one reference for the character in ``rig_image``.

    Raises :class:`ReferenceImageError` (one line, saying what to do) for a file that is not an
    image, a picture without a face, another person's face, or one that shows no state the
    renderer takes a texture from (the mouth open, the eyes closed, a smile).
    """
    from openlpm.character.rig import analysis_size

    label = name or (Path(source).name if not isinstance(source, np.ndarray) else "reference")
    rgb = analysis_size(_read(source, label))
    faces = detect_faces(rgb)
    if not faces:
        raise ReferenceImageError(
            f"the reference {label} shows no face: give another picture of the character's "
            "face (the mouth open, the eyes closed, a smile or a slight head turn)"
        )
    face = faces[0]
    if face.height < MIN_FACE_PX:
        raise ReferenceImageError(
            f"the face in the reference {label} is only {face.height:.0f} px tall; "
            f"at least {MIN_FACE_PX} px are needed: use a larger or closer-cropped picture"
        )
    like = compare(rig_image, rig_landmarks, rgb, face.landmarks)
    if not like.same:
        raise ReferenceImageError(
            f"the reference {label} shows a different face than the character (likeness "
            f"{like.score():.2f}, above the limit 1.0): give a picture of the same character"
        )
    measured = measure_landmarks(face.landmarks, (rgb.shape[1], rgb.shape[0]))
    main = measure_landmarks(rig_landmarks, (rig_image.shape[1], rig_image.shape[0]))
    states = classify(measured, main)
    if not states & TEXTURED:
        shown = "only a head turn, which gives no texture yet" if states else "nothing new"
        raise ReferenceImageError(
            f"the reference {label} shows {shown} (mouth gap {measured.mouth_gap:.3f}, eye "
            f"openness {min(measured.ear_left, measured.ear_right):.2f}, yaw "
            f"{measured.yaw - main.yaw:+.0f} deg from the image): give one with the mouth open, "
            "the eyes closed or a smile"
        )
    image, landmarks = _aligned(rgb, face.landmarks, rig_image.shape[:2], rig_landmarks)
    closed = closed_eyes(measured, main)
    return Reference(label, image, landmarks, states, measured, like, closed)


def classify(ref: FaceMeasurement, main: FaceMeasurement) -> frozenset[str]:
    """The states ``ref`` shows that the main image ``main`` does not."""
    states = set()
    if ref.mouth_gap >= OPEN_GAP and ref.mouth_gap - main.mouth_gap >= OPEN_GAIN:
        states.add(MOUTH_OPEN)
    if closed_eyes(ref, main):
        states.add(EYES_CLOSED)
    lift = _corner_drop(main) - _corner_drop(ref)
    if lift >= SMILE_LIFT or ref.mouth_width / max(main.mouth_width, 1e-3) >= SMILE_WIDTH:
        states.add(SMILE)
    if abs(ref.yaw - main.yaw) >= TURN_DEG:
        states.add(HEAD_TURN)
    return frozenset(states)


def closed_eyes(ref: FaceMeasurement, main: FaceMeasurement) -> frozenset[str]:
    """The eyes (character's sides) ``ref`` shows closed: their aspect ratio is under
    CLOSED_EYE of the main image's."""
    ratios = {
        "Left": ref.ear_left / max(main.ear_left, 1e-3),
        "Right": ref.ear_right / max(main.ear_right, 1e-3),
    }
    return frozenset(side for side, ratio in ratios.items() if ratio < CLOSED_EYE)


def _corner_drop(m: FaceMeasurement) -> float:
    """How far the mouth corners sit below the base of the nose, in inter-ocular distances:
    both are rigid (unlike the lips, which a grin lifts, the chin, which an open jaw drops, or
    the eyes, whose landmarks shift on a blink), so a smile reads as a smaller drop and an open
    mouth does not."""
    pts = m.landmarks[:, :2].astype(np.float64)
    eyes = pts[[33, 133, 362, 263]]
    right, left = eyes[:2].mean(0), eyes[2:].mean(0)
    iod = max(float(np.linalg.norm(left - right)), 1e-6)
    across = (left - right) / iod
    down = np.array([-across[1], across[0]])
    return float(((pts[[61, 291]] - pts[NOSE_BASE]) @ down).mean() / iod)


def _read(source: ImageSource, label: str) -> np.ndarray:
    from openlpm.io.images import load_image

    if isinstance(source, np.ndarray):
        if source.ndim != 3 or source.shape[2] != 3 or source.dtype != np.uint8:
            raise ReferenceImageError(
                f"the reference {label} must be an (H, W, 3) uint8 RGB array, got "
                f"{source.shape} {source.dtype}"
            )
        return np.ascontiguousarray(source)
    try:
        return load_image(source)
    except ImageError as e:
        raise ReferenceImageError(f"the reference {label} cannot be used: {e}") from e


def _aligned(
    rgb: np.ndarray, landmarks: np.ndarray, size: tuple[int, int], rig_landmarks: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The reference moved onto the rig's face by the similarity that best maps its rigid
    landmarks onto the rig's; (image at the rig's size, landmarks in rig pixels)."""
    src = landmarks[list(RIGID), :2].astype(np.float32)
    dst = rig_landmarks[list(RIGID), :2].astype(np.float32)
    matrix, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.LMEDS)
    if matrix is None:  # degenerate points: fall back to no motion
        matrix = np.float32([[1, 0, 0], [0, 1, 0]])
    h, w = size
    image = cv2.warpAffine(rgb, matrix, (w, h), flags=cv2.INTER_CUBIC,
                           borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
    moved = landmarks.astype(np.float32).copy()
    moved[:, :2] = landmarks[:, :2] @ matrix[:, :2].T + matrix[:, 2]
    moved[:, 2] *= scale
    return image, moved
