"""Contact sheets: the character at every motion parameter's extremes, one labelled tile each
(:func:`contact_sheet`), or the close-up a user looks at first: 2x face crops of the mouth
openings, the main expressions, a blink, a glance and head turns (:func:`closeup_sheet`)."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from openlpm.motion.frame import MotionFrame
from openlpm.motion.params import BLENDSHAPES, RANGES
from openlpm.render.expressions import EXPRESSIONS
from openlpm.render.renderer import Renderer

TILE = 160  # pixels per tile side
COLUMNS = 10
POSE_LIMIT_DEG = 15.0  # head rotation shown, within the renderer's comfortable range


def sheet_poses() -> list[tuple[str, MotionFrame]]:
    """(label, pose): neutral, each blendshape at 1, head and body at both ends."""
    poses = [("neutral", MotionFrame.neutral())]
    poses += [(name, MotionFrame.of({name: 1.0})) for name in BLENDSHAPES]
    for name in ("headYaw", "headPitch", "headRoll"):
        poses += [
            (f"{name} {s}{POSE_LIMIT_DEG:g}", MotionFrame.of({name: float(f"{s}{POSE_LIMIT_DEG}")}))
            for s in "+-"
        ]
    for name in ("bodyX", "bodyY"):
        hi = RANGES[name][1] * 0.4
        poses += [(f"{name} {s}{hi:g}", MotionFrame.of({name: float(f"{s}{hi}")})) for s in "+-"]
    return poses


def contact_sheet(
    renderer: Renderer, progress: Callable[[int, int], None] | None = None
) -> np.ndarray:
    """(H, W, 3) uint8 RGB grid of tiles cropped around the head."""
    poses = sheet_poses()
    crop = _head_box(renderer)
    tiles = []
    for i, (label, pose) in enumerate(poses):
        frame = renderer.render(pose)
        x0, y0, x1, y1 = crop
        tile = cv2.resize(frame[y0:y1, x0:x1], (TILE, TILE), interpolation=cv2.INTER_AREA)
        tiles.append(_label(tile, label))
        if progress:
            progress(i + 1, len(poses))
    rows = -(-len(tiles) // COLUMNS)
    tiles += [np.full_like(tiles[0], 255)] * (rows * COLUMNS - len(tiles))
    return np.vstack([np.hstack(tiles[r * COLUMNS : (r + 1) * COLUMNS]) for r in range(rows)])


CLOSEUP_ZOOM = 2  # close-up tiles show the face at twice the render's pixel size
CLOSEUP_COLUMNS = 6


def closeup_poses() -> list[tuple[str, MotionFrame]]:
    """(label, pose): neutral, three openings, smile, grin, surprise, blink, a glance to the
    left and the head turned both ways."""
    look_left = {"eyeLookOutLeft": 1.0, "eyeLookInRight": 1.0}  # the character's left
    poses = {
        "neutral": {},
        **{f"open {j:g}": {"jawOpen": j} for j in (0.3, 0.6, 1.0)},
        **{name: EXPRESSIONS[name] for name in ("smile", "grin", "surprise")},
        "blink": {"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0},
        "look left": look_left,
        f"head +{POSE_LIMIT_DEG:g}": {"headYaw": POSE_LIMIT_DEG},
        f"head -{POSE_LIMIT_DEG:g}": {"headYaw": -POSE_LIMIT_DEG},
        "open 0.6 head +15": {"jawOpen": 0.6, "headYaw": POSE_LIMIT_DEG},
    }
    return [(label, MotionFrame.of(values)) for label, values in poses.items()]


def closeup_sheet(
    renderer: Renderer, progress: Callable[[int, int], None] | None = None
) -> np.ndarray:
    """(H, W, 3) uint8 RGB grid of labelled face crops at :data:`CLOSEUP_ZOOM` x."""
    poses = closeup_poses()
    f = renderer.deformer.frame
    half = 0.55 * f.height  # the face, brows to chin, with a little room for the turns
    cx, cy = f.origin[0], f.origin[1] - 0.02 * f.height
    x0, y0 = max(0, round(cx - half)), max(0, round(cy - half))
    x1, y1 = min(renderer.width, round(cx + half)), min(renderer.height, round(cy + half))
    tiles = []
    for i, (label, pose) in enumerate(poses):
        crop = renderer.render(pose)[y0:y1, x0:x1]
        size = (crop.shape[1] * CLOSEUP_ZOOM, crop.shape[0] * CLOSEUP_ZOOM)
        tile = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)
        tiles.append(_label(tile, label))
        if progress:
            progress(i + 1, len(poses))
    rows = -(-len(tiles) // CLOSEUP_COLUMNS)
    tiles += [np.full_like(tiles[0], 255)] * (rows * CLOSEUP_COLUMNS - len(tiles))
    return np.vstack(
        [np.hstack(tiles[r * CLOSEUP_COLUMNS : (r + 1) * CLOSEUP_COLUMNS]) for r in range(rows)]
    )


def _head_box(renderer: Renderer) -> tuple[int, int, int, int]:
    """A square around the face with room for hair and head motion."""
    f = renderer.deformer.frame
    cx, cy = f.origin[0], f.origin[1] - 0.3 * f.height
    half = 0.85 * f.height
    x0, y0 = max(0, round(cx - half)), max(0, round(cy - half))
    x1, y1 = min(renderer.width, round(cx + half)), min(renderer.height, round(cy + half))
    return x0, y0, x1, y1


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    out = tile.copy()
    h, w = out.shape[:2]
    scale = max(0.36, h / 450)
    band = round(16 * scale / 0.36)
    cv2.rectangle(out, (0, h - band), (w, h), (255, 255, 255), -1)
    cv2.putText(
        out, text, (3, h - band // 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (20, 20, 20), 1,
        cv2.LINE_AA,
    )  # fmt: skip
    return out
