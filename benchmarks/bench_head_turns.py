"""Head turns: folded (flipped) mesh triangles per pose, and the nose's parallax.

    python benchmarks/bench_head_turns.py [--data DIR] [--image face.png ...]

One line per portrait (the bundled astronaut and Mona Lisa, plus DIR/portraits/* and every
--image). Columns Y-25..R+15: triangles of at least a pixel (at 512 px) that the head pose turns
over; each is a seam or a duplicated edge in the frame (target: 0 everywhere). Triangles that the
rest pose itself collapses (lips parted in the image, brought together) are left out. "nose@20":
how far the nose tip moves against the midpoint of the eye corners at yaw -20 and +20, in eye
distances (the 3D cue of a turn; bigger reads as more turned). "miss@R15": the share of the
moving samples of the backward warp that land more than a pixel from where they should at a
tilt of -15 and +15 degrees (each shows a wrong piece of the picture: torn hair, a speck).
Tilts are eased into the portrait's room, as the renderer eases them; "room": the largest tilt
each way (render/head_room.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from openlpm.character import build_rig
from openlpm.cli import bundled
from openlpm.io.images import load_image
from openlpm.motion import MotionFrame
from openlpm.render import Renderer
from openlpm.render.deform import Deformer
from openlpm.render.head_room import doubled_areas

POSES = (
    [("headYaw", a) for a in (-25, -20, -15, -8, 8, 15, 20, 25)]
    + [("headPitch", a) for a in (-15, -10, 10, 15)]
    + [("headRoll", a) for a in (-15, -10, 10, 15)]
)


def flips(d: Deformer, pose: dict[str, float]) -> int:
    tri, rest = d.mesh.triangles, d.rest[:, :2]
    at_rest = doubled_areas(rest, tri)
    neutral = doubled_areas(rest + d.displacement(MotionFrame.of({})), tri)
    visible = (np.sign(neutral) == np.sign(at_rest)) & (np.abs(neutral) >= 0.25 * np.abs(at_rest))
    visible &= np.abs(neutral) >= 2.0
    posed = doubled_areas(rest + d.displacement(MotionFrame.of(pose)), tri)
    return int((visible & (np.sign(posed) != np.sign(neutral))).sum())


def nose_shift(d: Deformer, yaw: float) -> float:
    rest = d.rest[:, :2]
    xy = rest + d.displacement(MotionFrame.of(headYaw=yaw))
    still = rest + d.displacement(MotionFrame.of({}))
    eyes = np.linalg.norm(rest[33] - rest[263])

    def offset(p: np.ndarray) -> float:
        return float(p[1, 0] - (p[33, 0] + p[263, 0]) / 2)

    return (offset(xy) - offset(still)) / eyes


def inverse_misses(renderer: Renderer, pose: dict[str, float]) -> float:
    """Share of the moving coarse samples whose backward source x misses x + D(x) = p by more
    than a pixel, D looked up bilinearly (independent of the solver)."""
    warp = renderer.warp
    disp = renderer.deformer.displacement(MotionFrame.of(pose))
    shape = (warp.ch, warp.cw)
    forward = [warp.spread.apply(disp[:, k]).reshape(shape) for k in (0, 1)]
    field, f = warp.backward(disp), warp.factor
    x, y = warp.coarse_x + field.dx, warp.coarse_y + field.dy
    at_x, at_y = (x - (f - 1) / 2) / f, (y - (f - 1) / 2) / f
    lands = [
        cv2.remap(d, at_x, at_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) for d in forward
    ]
    miss = np.maximum(np.abs(x + lands[0] - warp.coarse_x), np.abs(y + lands[1] - warp.coarse_y))
    moving = np.abs(forward[0]) + np.abs(forward[1]) > 0
    return float((miss[moving] > 1.0).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="a data folder with portraits/")
    parser.add_argument("--image", type=Path, action="append", default=[])
    args = parser.parse_args()
    paths = [Path(bundled("astronaut.jpg")), Path(bundled("monalisa.jpg"))]
    if args.data:
        paths += sorted((args.data / "portraits").iterdir())
    paths += args.image
    head = " ".join(f"{n[4]}{a:+d}".rjust(5) for n, a in POSES)
    print(f"{'portrait':40s} {head}  nose@-20 nose@+20 miss@R-15 miss@R+15 room")
    for path in paths:
        renderer = Renderer(build_rig(load_image(path)), 512)
        d = renderer.deformer
        row = " ".join(f"{flips(d, {n: a}):5d}" for n, a in POSES)
        misses = [inverse_misses(renderer, {"headRoll": a}) for a in (-15, 15)]
        print(
            f"{path.name[:40]:40s} {row}  {nose_shift(d, -20):+8.3f} {nose_shift(d, 20):+8.3f}"
            f" {misses[0]:9.3f} {misses[1]:9.3f} {d.roll_room[0]:4.1f}/{d.roll_room[1]:4.1f}"
        )


if __name__ == "__main__":
    main()
