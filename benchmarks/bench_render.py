"""Renderer speed: frames per second on ONE thread at 512x512, and rig build time.

    python benchmarks/bench_render.py [--image face.png] [--frames 300]

Prints one line per figure. Targets (issue 2): >= 200 frames/s rendering a 512x512 frame from a
MotionFrame on one thread; <= 3 s to build a rig from a 1024x1024 portrait. Both remap sources are
timed in the same run: the supersampled one (the default, issue 10) and plain bilinear remapping
from the image (``Renderer(..., supersample=False)``, what every frame used before).
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

from openlpm.character import build_rig
from openlpm.cli import bundled
from openlpm.io.images import load_image
from openlpm.motion import MotionFrame
from openlpm.render import Renderer


def speaking_poses(n: int, head: bool = True, body: bool = True) -> list[MotionFrame]:
    """A varied sequence: jaw, lips, blinks and gaze; optionally head turns and breathing."""
    rng = np.random.default_rng(0)
    frames = []
    for i in range(n):
        t = i / 25.0

        def wave(hz: float, amp: float, t: float = t) -> float:
            return float(amp * np.sin(2 * np.pi * hz * t))

        blink = float(i % 90 < 4)
        pose = {
            "jawOpen": 0.5 + wave(4, 0.5),
            "mouthSmileLeft": 0.3,
            "mouthSmileRight": 0.3,
            "eyeBlinkLeft": blink,
            "eyeBlinkRight": blink,
            "eyeLookOutLeft": 0.3 * rng.random(),
        }
        if head:
            pose |= {"headYaw": wave(0.3, 8), "headPitch": wave(0.5, 4), "headRoll": wave(0.2, 3)}
        if body:
            pose |= {"bodyY": wave(0.25, 0.01)}
        frames.append(MotionFrame.of(pose))
    return frames


def frames_per_second(
    renderer: Renderer, poses: list[MotionFrame], rounds: int = 3
) -> tuple[float, float, float]:
    """(frames/s, p95 ms per frame, frames/s of CPU time) of the best of ``rounds`` passes:
    the machine is shared, and the best pass is the one least disturbed by other work. The
    CPU-time figure (this thread's own time) leaves out the time other processes held the
    core, so it moves less with the load; a quiet machine's wall clock is close to it."""
    for pose in poses[:20]:
        renderer.render(pose)
    best, best_cpu = None, float("inf")
    for _ in range(rounds):
        per_frame = []
        cpu0 = time.thread_time()
        for pose in poses:
            t0 = time.perf_counter()
            renderer.render(pose)
            per_frame.append(time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.thread_time() - cpu0)
        ms = np.array(per_frame) * 1000
        if best is None or ms.mean() < best.mean():
            best = ms
    return 1000 / best.mean(), float(np.percentile(best, 95)), len(poses) / best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default=str(bundled("astronaut.jpg")))
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    cv2.setNumThreads(1)  # the target is per thread: a 2-core machine also encodes and listens

    image = load_image(args.image)
    square = cv2.resize(image, (1024, 1024), interpolation=cv2.INTER_CUBIC)
    build_rig(square)  # warm up mediapipe's graphs
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        rig = build_rig(square)
        times.append(time.perf_counter() - t0)
    print(f"rig build, 1024x1024 portrait: {np.median(times):.2f} s (median of 3; target <= 3 s)")

    for supersample in (True, False):
        t0 = time.perf_counter()
        renderer = Renderer(rig, args.size, supersample=supersample)
        setup_ms = (time.perf_counter() - t0) * 1000
        w, h = renderer.size
        source = "supersampled source" if supersample else "plain bilinear (before issue 10)"
        print(f"render {w}x{h} on 1 thread, {source}, best of 3 passes (target >= 200 frames/s):")
        print(f"  {'renderer setup':44s} {setup_ms:6.0f} ms")
        for label, head, body in (
            ("face (jaw, lips, blinks, gaze)", False, False),
            ("face + head turns", True, False),
            ("face + head + breathing (whole body moves)", True, True),
        ):
            fps, p95, cpu_fps = frames_per_second(renderer, speaking_poses(args.frames, head, body))
            print(
                f"  {label:44s} {fps:6.0f} frames/s  (p95 {p95:.2f} ms; "
                f"CPU time: {cpu_fps:.0f} frames/s)"
            )


if __name__ == "__main__":
    main()
