"""mediapipe's selfie segmentation (general model, 256 x 256): a soft person mask."""

from __future__ import annotations

import cv2
import numpy as np

from openlpm.vision.models import NormRect, crop_tensor, onnx_session

SIDE = 256


def person_probability(rgb: np.ndarray) -> np.ndarray:
    """(H, W) float32 in [0, 1]: how likely each pixel belongs to a person. The whole image is
    stretched to the model's square, and the mask back (bilinear), as mediapipe does."""
    session = onnx_session("selfie_segmentation")
    tensor = crop_tensor(rgb, NormRect(0.5, 0.5, 1.0, 1.0), SIDE, (0.0, 1.0), cv2.BORDER_CONSTANT)
    (mask,) = session.run(None, {session.get_inputs()[0].name: tensor})
    h, w = rgb.shape[:2]
    return cv2.resize(mask[0, :, :, 0], (w, h), interpolation=cv2.INTER_LINEAR)
