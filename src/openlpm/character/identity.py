"""Is this the same face? A check that needs no face-recognition model (dlib is only in the
``bench`` extra), for expression references: another picture of the character must show the
same face, whatever its expression.

Two signatures, each compared between the character's rig and the candidate picture:

- **shape**: the rigid landmarks (eye corners, nose, forehead, cheekbones, temples; not lips,
  lids, brows or jaw, which expressions move) in 3-D, compared after the best similarity
  transform (Umeyama); the residual is in inter-ocular distances. Head turns and expressions
  leave it small; another face's proportions do not.
- **look**: both faces warped to a canonical frame (eye centres at fixed points), then compared
  where expressions change little (forehead, nose, cheeks; not the eyes, brows or mouth): the
  skin's chromaticity (Lab a*, b*) and its blurred grey pattern (correlation after removing
  the mean and contrast, so exposure and light level do not count). A different person, or
  another picture style, changes both.

The thresholds come from measurements on real material (the shared portraits against each
other; frames of real talking videos against a frame of the same video), see
``benchmarks/bench_references.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from openlpm.analysis.head_pose import POSE_LANDMARKS

# Rigid landmarks: mediapipe's own rigid basis without the jaw angle (it moves as the jaw opens).
RIGID = tuple(i for i in POSE_LANDMARKS if i not in (136, 365))
EYE_RIGHT_CORNERS, EYE_LEFT_CORNERS = (33, 133), (263, 362)
CANON = 96  # canonical crop side
_CANON_EYES = np.float32([[30, 38], [66, 38]])  # where the eye centres go in the crop

# Skin regions that expressions change little (polygons of landmarks).
_FOREHEAD = (10, 338, 297, 299, 9, 69, 67, 109)
_NOSE = (168, 417, 351, 419, 248, 281, 275, 4, 45, 51, 3, 196, 122, 193)
_CHEEK_R = (116, 117, 118, 119, 120, 100, 142, 203, 206, 216, 192, 213, 147, 123)
_CHEEK_L = (345, 346, 347, 348, 349, 329, 371, 423, 426, 436, 416, 433, 376, 352)
REGIONS = (_FOREHEAD, _NOSE, _CHEEK_R, _CHEEK_L)


@dataclass(frozen=True)
class Likeness:
    """How far apart two faces are; each part is 0 for identical faces."""

    shape: float  # rigid-landmark residual, inter-ocular distances (RMS)
    chroma: float  # skin colour difference, Lab a*b* units
    pattern: float  # 1 - correlation of the skin's grey pattern

    def score(self) -> float:
        """One number, 1 at the decision threshold (below: the same face)."""
        return max(
            self.shape / SHAPE_LIMIT, self.chroma / CHROMA_LIMIT, self.pattern / PATTERN_LIMIT
        )

    @property
    def same(self) -> bool:
        return self.score() < 1.0


SHAPE_LIMIT = 0.1
PATTERN_BLUR = 3.0  # canonical-crop pixels (the crop is 36 px between the eye centres)
CHROMA_LIMIT = 5.0
PATTERN_LIMIT = 0.34


def compare(
    rgb_a: np.ndarray, landmarks_a: np.ndarray, rgb_b: np.ndarray, landmarks_b: np.ndarray
) -> Likeness:
    """How far face b (478 landmarks in pixels of ``rgb_b``) is from face a."""
    pa, pb = landmarks_a[:, :3].astype(np.float64), landmarks_b[:, :3].astype(np.float64)
    crop_a, lm_a = _canonical(rgb_a, pa)
    crop_b, _ = _canonical(rgb_b, pb)
    # Blurred: what is compared is the skin's broad light-and-shade pattern (nose, cheekbones,
    # brow ridge), which landmark jitter of a pixel or two does not disturb.
    crop_a = cv2.GaussianBlur(crop_a, (0, 0), PATTERN_BLUR)
    crop_b = cv2.GaussianBlur(crop_b, (0, 0), PATTERN_BLUR)
    mask = _region_mask(lm_a)
    lab_a = cv2.cvtColor(crop_a, cv2.COLOR_RGB2LAB).astype(np.float32)[mask]
    lab_b = cv2.cvtColor(crop_b, cv2.COLOR_RGB2LAB).astype(np.float32)[mask]
    if len(lab_a) < 50:
        return Likeness(shape=1.0, chroma=100.0, pattern=1.0)
    chroma = np.median(lab_a[:, 1:], axis=0) - np.median(lab_b[:, 1:], axis=0)
    return Likeness(
        shape=_shape_residual(_rigid(pa), _rigid(pb)),
        chroma=float(np.linalg.norm(chroma)),
        pattern=1.0 - _correlation(lab_a[:, 0], lab_b[:, 0]),
    )


def _rigid(pts: np.ndarray) -> np.ndarray:
    shape = pts[list(RIGID)]
    return (shape - shape.mean(0)) / _inter_ocular(pts)


def _inter_ocular(pts: np.ndarray) -> float:
    right = pts[list(EYE_RIGHT_CORNERS), :2].mean(0)
    left = pts[list(EYE_LEFT_CORNERS), :2].mean(0)
    return max(float(np.linalg.norm(left - right)), 1e-6)


def _shape_residual(a: np.ndarray, b: np.ndarray) -> float:
    """RMS distance between point sets after the best similarity transform of b onto a."""
    a0, b0 = a - a.mean(0), b - b.mean(0)
    u, s, vt = np.linalg.svd(b0.T @ a0)
    fix = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    rotation = u @ fix @ vt
    scale = float((s * np.diag(fix)).sum() / max((b0**2).sum(), 1e-12))
    moved = scale * b0 @ rotation
    return float(np.sqrt(((moved - a0) ** 2).sum(1).mean()))


def _canonical(rgb: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The face warped so that the eye centres sit at fixed points; (crop, landmarks in it)."""
    eyes = np.float32(
        [pts[list(EYE_RIGHT_CORNERS), :2].mean(0), pts[list(EYE_LEFT_CORNERS), :2].mean(0)]
    )
    matrix = _similarity(eyes, _CANON_EYES)
    crop = cv2.warpAffine(rgb, matrix, (CANON, CANON), flags=cv2.INTER_AREA)
    lm = pts[:, :2] @ matrix[:, :2].T.astype(np.float64) + matrix[:, 2]
    return crop, lm


def _similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 similarity taking two points onto two points."""
    k = complex(*(dst[1] - dst[0])) / complex(*(src[1] - src[0]))
    m = np.float32([[k.real, -k.imag, 0], [k.imag, k.real, 0]])
    m[:, 2] = dst[0] - m[:, :2] @ src[0]
    return m


def _region_mask(lm: np.ndarray) -> np.ndarray:
    mask = np.zeros((CANON, CANON), np.uint8)
    for region in REGIONS:
        cv2.fillPoly(mask, [np.round(lm[list(region)] * 4).astype(np.int32)], 1, shift=2)
    return mask > 0


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a = (a - a.mean()) / max(float(a.std()), 1e-3)
    b = (b - b.mean()) / max(float(b.std()), 1e-3)
    return float(np.mean(a * b))
