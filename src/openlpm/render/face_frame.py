"""A face-aligned coordinate frame: positions in face heights, relative to the mouth centre.

Expression shapes are written in this frame (u to the image right along the eye line, v down),
so they work on tilted faces and at any image size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openlpm.character.topology import CHIN, FOREHEAD, LEFT_EYE, RIGHT_EYE


@dataclass(frozen=True)
class FaceFrame:
    origin: np.ndarray  # (2,) pixels: centre of the mouth
    ex: np.ndarray  # (2,) unit vector along the eye line, toward image right
    ey: np.ndarray  # (2,) unit vector perpendicular, toward the chin
    height: float  # face height in pixels (forehead to chin)

    @classmethod
    def from_landmarks(cls, lm: np.ndarray) -> FaceFrame:
        ex = lm[LEFT_EYE.outer, :2] - lm[RIGHT_EYE.outer, :2]
        ex = ex / np.linalg.norm(ex)
        ey = np.array([-ex[1], ex[0]])
        origin = (lm[13, :2] + lm[14, :2]) / 2
        height = float(np.linalg.norm(lm[FOREHEAD, :2] - lm[CHIN, :2]))
        return cls(origin.astype(np.float64), ex, ey, height)

    def to_face(self, xy: np.ndarray) -> np.ndarray:
        """Pixel positions (N, 2) -> face coordinates (N, 2) in face heights."""
        d = xy - self.origin
        return np.column_stack([d @ self.ex, d @ self.ey]) / self.height

    def to_pixels_delta(self, duv: np.ndarray) -> np.ndarray:
        """Displacements in face heights (..., 2) -> pixel displacements (..., 2)."""
        return (duv[..., :1] * self.ex + duv[..., 1:2] * self.ey) * self.height
