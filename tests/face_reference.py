"""The images whose mediapipe landmarks are stored in ``fixtures/face_reference.npz``."""

from __future__ import annotations

import cv2
import numpy as np

from openlpm.cli import bundled
from openlpm.io.images import load_image


def turned_variant(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` mirrored, turned 12 degrees and scaled to 80 % on a replicated border: a face
    no bundled file shows as such."""
    h, w = rgb.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), 12.0, 0.8)
    return cv2.warpAffine(rgb[:, ::-1].copy(), turn, (w, h), borderMode=cv2.BORDER_REPLICATE)


def bundled_reference_images() -> dict[str, np.ndarray]:
    astronaut = load_image(bundled("astronaut.jpg"))
    monalisa = load_image(bundled("monalisa.jpg"))
    return {
        "astronaut": astronaut,
        "monalisa": monalisa,
        "monalisa_turned": turned_variant(monalisa),
    }
