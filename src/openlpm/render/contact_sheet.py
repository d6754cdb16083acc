"""Contact sheet: the character at every motion parameter's extremes, one labelled tile each."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from openlpm.motion.frame import MotionFrame
from openlpm.motion.params import BLENDSHAPES, RANGES
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
    cv2.rectangle(out, (0, TILE - 16), (TILE, TILE), (255, 255, 255), -1)
    cv2.putText(
        out, text, (3, TILE - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.36, (20, 20, 20), 1, cv2.LINE_AA
    )
    return out
