"""Head turns: folded (flipped) mesh triangles per pose, and the nose's parallax.

    python benchmarks/bench_head_turns.py [--data DIR] [--image face.png ...]

One line per portrait (the bundled astronaut and Mona Lisa, plus DIR/portraits/* and every
--image). Columns Y-25..P+15: triangles of at least a pixel (at 512 px) that the head pose turns
over; each is a seam or a duplicated edge in the frame (target: 0 everywhere). Triangles that the
rest pose itself collapses (lips parted in the image, brought together) are left out. "nose@20":
how far the nose tip moves against the midpoint of the eye corners at yaw -20 and +20, in eye
distances (the 3D cue of a turn; bigger reads as more turned).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from openlpm.character import build_rig
from openlpm.cli import bundled
from openlpm.io.images import load_image
from openlpm.motion import MotionFrame
from openlpm.render import Renderer
from openlpm.render.deform import Deformer

POSES = [("headYaw", a) for a in (-25, -20, -15, -8, 8, 15, 20, 25)] + [
    ("headPitch", a) for a in (-15, -10, 10, 15)
]


def doubled_areas(xy: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    a, b, c = (xy[triangles[:, k]] for k in range(3))
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])


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
    print(f"{'portrait':40s} {head}  nose@-20 nose@+20")
    for path in paths:
        d = Renderer(build_rig(load_image(path)), 512).deformer
        row = " ".join(f"{flips(d, {n: a}):5d}" for n, a in POSES)
        print(f"{path.name[:40]:40s} {row}  {nose_shift(d, -20):+8.3f} {nose_shift(d, 20):+8.3f}")


if __name__ == "__main__":
    main()
