"""How far a portrait's head can tilt before the person squeezes against the fixed image border.

The image border never moves (character/mesh.py). A closeup whose head or hair reaches the edge
has little room to tilt: past it, the side of the head squeezes against the border and reads as
cut off by a straight line (the caricature's cheek at 12 degrees). Tilts are measured once per
portrait, on its mesh, and eased into the room it has: taken as asked up to TILT_KNEE of the
room, then bending smoothly toward the room's edge, so that speech's small tilts pass unchanged
and a large one (a prompt's head tilt) becomes the largest this picture can show.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from openlpm.motion.frame import MotionFrame
from openlpm.motion.params import HEAD_LIMIT_DEG

if TYPE_CHECKING:
    from openlpm.render.deform import Deformer

TILT_KNEE = 0.6  # share of the room taken as asked
MIN_KEPT_AREA = 0.25  # a tilt within the room squeezes no triangle of the person below this share
_MIN_AREA_PX2 = 2.0  # smaller triangles (slivers, closed lips) are not judged
_BISECTIONS = 7  # the room to within HEAD_LIMIT_DEG / 2**7, about a quarter of a degree


def tilt_room(deformer: Deformer, person: np.ndarray) -> tuple[float, float]:
    """(left, right): the largest tilt in degrees each way (headRoll -, +) that keeps every
    triangle over the person (``person``: (T,) bool, one per mesh triangle) at least
    MIN_KEPT_AREA of its area. Call it with the deformer's own room unlimited."""
    tri, rest = deformer.mesh.triangles, deformer.rest[: len(deformer.mesh.rest), :2]
    neutral = doubled_areas(rest + deformer.displacement(MotionFrame.of({}))[: len(rest)], tri)
    judged = person & (np.abs(neutral) >= _MIN_AREA_PX2)
    if not judged.any():
        return HEAD_LIMIT_DEG, HEAD_LIMIT_DEG

    def keeps(roll: float) -> bool:
        moved = rest + deformer.displacement(MotionFrame.of(headRoll=roll))[: len(rest)]
        return bool((doubled_areas(moved, tri)[judged] / neutral[judged]).min() >= MIN_KEPT_AREA)

    room = []
    for sign in (-1.0, 1.0):
        if keeps(sign * HEAD_LIMIT_DEG):
            room.append(HEAD_LIMIT_DEG)
            continue
        ok, too_far = 0.0, HEAD_LIMIT_DEG
        for _ in range(_BISECTIONS):
            middle = (ok + too_far) / 2
            ok, too_far = (middle, too_far) if keeps(sign * middle) else (ok, middle)
        room.append(ok)
    return room[0], room[1]


def ease_tilt(roll: float, room: tuple[float, float]) -> float:
    """``roll`` (degrees) eased into ``room`` (left, right): unchanged up to TILT_KNEE of the
    room on its side, then bending toward the room's edge with slope 1 at the knee."""
    limit = room[0] if roll < 0 else room[1]
    if limit <= 0:
        return 0.0
    size = abs(roll)
    knee = TILT_KNEE * limit
    if size <= knee or limit >= HEAD_LIMIT_DEG:
        return roll
    soft = (1 - TILT_KNEE) * limit
    return math.copysign(knee + soft * math.tanh((size - knee) / soft), roll)


def doubled_areas(xy: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(T,) twice each triangle's signed area at vertex positions ``xy``: the sign flips
    where a pose turns a triangle over."""
    a, b, c = (xy[triangles[:, k]] for k in range(3))
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])
