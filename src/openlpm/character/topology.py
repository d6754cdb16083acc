"""Named landmark indices of mediapipe's 478-point face mesh (468 face + 10 iris).

"Left"/"right" are the character's own sides: the left eye is on the image's right for a frontal
face. Lid and lip contours run from the image-left corner to the image-right corner.
"""

from __future__ import annotations

from dataclasses import dataclass

N_FACE = 468
N_LANDMARKS = 478

FOREHEAD = 10
CHIN = 152
NOSE_TIP = 1

# Lips, each contour from the image-left mouth corner to the image-right one.
LIP_OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIP_OUTER_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIP_INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIP_INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
MOUTH_CORNER_RIGHT = 61  # character's right corner (image left)
MOUTH_CORNER_LEFT = 291

FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip

CHEEK_RIGHT = (50, 101, 36, 205, 187, 123, 117, 118, 119, 100)
CHEEK_LEFT = (280, 330, 266, 425, 411, 352, 346, 347, 348, 329)
NOSE_WING_RIGHT = (48, 64, 98, 129, 49, 102)
NOSE_WING_LEFT = (278, 294, 327, 358, 279, 331)


@dataclass(frozen=True)
class EyeIndices:
    outer: int  # corner toward the ear
    inner: int  # corner toward the nose
    upper: tuple[int, ...]  # lid contour, image-left to image-right, corners included
    lower: tuple[int, ...]
    iris_center: int
    iris_ring: tuple[int, ...]
    brow_upper: tuple[int, ...]  # outer to inner
    brow_lower: tuple[int, ...]


RIGHT_EYE = EyeIndices(
    outer=33,
    inner=133,
    upper=(33, 246, 161, 160, 159, 158, 157, 173, 133),
    lower=(33, 7, 163, 144, 145, 153, 154, 155, 133),
    iris_center=468,
    iris_ring=(469, 470, 471, 472),
    brow_upper=(70, 63, 105, 66, 107),
    brow_lower=(46, 53, 52, 65, 55),
)
LEFT_EYE = EyeIndices(
    outer=263,
    inner=362,
    upper=(362, 398, 384, 385, 386, 387, 388, 466, 263),
    lower=(362, 382, 381, 380, 374, 373, 390, 249, 263),
    iris_center=473,
    iris_ring=(474, 475, 476, 477),
    brow_upper=(300, 293, 334, 296, 336),
    brow_lower=(276, 283, 282, 295, 285),
)
