"""Same pixels: render a fixed set of poses on several portraits, store them, compare later.

    python benchmarks/render_check.py save DIR [--data ../shared/data]
    python benchmarks/render_check.py compare DIR [--crops /tmp/crops]

``save`` builds each portrait's rig once (kept in DIR/rigs, so both runs warp the very same
rig), renders every pose of :func:`check_poses` at 512 px and writes the frames to DIR.
``compare`` renders them again with the current code and prints the PSNR of every portrait's
worst frame against the stored one; with ``--crops`` it also writes side-by-side 2x face crops
(stored | now) of the worst frames to look at. A renderer optimisation must keep every frame
within MIN_PSNR of what it drew before.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from openlpm.character import Rig, build_rig
from openlpm.cli import bundled
from openlpm.io.images import load_image
from openlpm.motion import MotionFrame
from openlpm.render import Renderer
from openlpm.render.expressions import EXPRESSIONS

MIN_PSNR = 45.0
SIZE = 512


def check_poses() -> dict[str, MotionFrame]:
    """Named poses covering every layer: jaw, lips, eyes, head, body, expressions."""
    poses = {
        "neutral": {},
        "jaw0.3": {"jawOpen": 0.3},
        "jaw0.6": {"jawOpen": 0.6},
        "jaw1.0": {"jawOpen": 1.0},
        "blink": {"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0},
        "half_blink_look": {"eyeBlinkLeft": 0.5, "eyeBlinkRight": 0.5, "eyeLookOutLeft": 0.6},
        "yaw+15": {"headYaw": 15.0},
        "yaw-15": {"headYaw": -15.0},
        "pitch+10": {"headPitch": 10.0},
        "pitch-10": {"headPitch": -10.0},
        "roll+10": {"headRoll": 10.0},
        "roll-10": {"headRoll": -10.0},
        "breathing": {"bodyY": 0.01},
        "lean_shrug": {"bodyLean": 0.5, "bodyShrug": 0.5},
        "body_x": {"bodyX": 0.01},
        "speak_turn": {"jawOpen": 0.5, "mouthSmileLeft": 0.3, "headYaw": 6.0, "headRoll": -2.0},
        "tongue_close": {"jawOpen": 0.4, "tongueOut": 0.6, "mouthClose": 0.2},
        "everything": {
            "jawOpen": 0.7,
            "mouthSmileLeft": 0.4,
            "mouthSmileRight": 0.4,
            "eyeBlinkLeft": 0.3,
            "eyeLookUpRight": 0.5,
            "headYaw": -9.0,
            "headPitch": 4.0,
            "headRoll": 3.0,
            "bodyY": -0.008,
            "bodyShrug": 0.3,
        },
    }
    poses |= {name: dict(pose) for name, pose in EXPRESSIONS.items()}
    poses["neutral_again"] = {}  # after everything: the layers must restore the still
    return {name: MotionFrame.of(pose) for name, pose in poses.items()}


def portraits(data: Path | None) -> dict[str, Path]:
    found = {f"bundled_{n}": bundled(f"{n}.jpg") for n in ("astronaut", "monalisa")}
    if data is not None:
        for path in sorted((data / "portraits").glob("*")):
            found[path.stem] = path
    return found


def rig_of(name: str, image: Path, store: Path) -> Rig:
    folder = store / "rigs" / name
    if not (folder / "rig.json").exists():
        build_rig(load_image(str(image))).save(folder)
    return Rig.load(folder)


def render_all(rig: Rig) -> dict[str, np.ndarray]:
    renderer = Renderer(rig, SIZE)
    return {name: renderer.render(pose) for name, pose in check_poses().items()}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def face_crop(frame: np.ndarray, rig: Rig) -> np.ndarray:
    """The face box of a frame, 2x (nearest), as the issue's contact sheets look at it."""
    w0, h0 = rig.size
    lm = rig.face.landmarks[:, :2] * np.float32([frame.shape[1] / w0, frame.shape[0] / h0])
    x0, y0 = np.maximum(lm.min(0) - 10, 0).astype(int)
    x1, y1 = np.minimum(lm.max(0) + 10, frame.shape[1::-1]).astype(int)
    return cv2.resize(frame[y0:y1, x0:x1], None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)


def save(store: Path, data: Path | None) -> None:
    for name, image in portraits(data).items():
        frames = render_all(rig_of(name, image, store))
        np.savez_compressed(store / f"{name}.npz", **frames)
        print(f"{name}: {len(frames)} frames stored")


def compare(store: Path, data: Path | None, crops: Path | None) -> bool:
    ok = True
    for name, image in portraits(data).items():
        rig = rig_of(name, image, store)
        with np.load(store / f"{name}.npz") as z:
            before = {k: z[k] for k in z.files}
        now = render_all(rig)
        scores = {k: psnr(before[k], now[k]) for k in before}
        face = {k: psnr(face_crop(before[k], rig), face_crop(now[k], rig)) for k in before}
        worst = min(scores, key=scores.get)
        moving = [s for k, s in scores.items() if not k.startswith("neutral")]
        print(
            f"{name:36s} frame: worst {scores[worst]:5.1f} dB ({worst}), median "
            f"{np.median(moving):5.1f}; face box: worst {min(face.values()):5.1f} dB; "
            f"neutral {scores['neutral']:.1f} dB"
        )
        ok &= scores[worst] >= MIN_PSNR
        if crops is not None:
            crops.mkdir(parents=True, exist_ok=True)
            for k in sorted(scores, key=scores.get)[:3]:
                pair = np.hstack([face_crop(before[k], rig), face_crop(now[k], rig)])
                cv2.imwrite(str(crops / f"{name}_{k}.png"), cv2.cvtColor(pair, cv2.COLOR_RGB2BGR))
    print(f"every frame within {MIN_PSNR} dB: {'yes' if ok else 'NO'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["save", "compare"])
    parser.add_argument("store", type=Path)
    parser.add_argument("--data", type=Path, help="the shared data folder (portraits/)")
    parser.add_argument("--crops", type=Path, help="write 2x face crops of the worst frames here")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    args.store.mkdir(parents=True, exist_ok=True)
    if args.action == "save":
        save(args.store, args.data)
    elif not compare(args.store, args.data, args.crops):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
