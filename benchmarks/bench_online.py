"""Online motion cost per video frame (features + network + behaviour), one thread.

    python benchmarks/bench_online.py [--seconds 20] [--fps 25]

Streams TTS speech through OnlineStream in 40 ms chunks, as a live microphone would.
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one thread, as in a live session
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import numpy as np

    from openlpm.audio.features import SAMPLE_RATE
    from openlpm.audio.tts import synthesize
    from openlpm.motion.online import CHUNK, OnlineModel

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--fps", type=float, default=25.0)
    args = parser.parse_args()
    text = "Bob bought a map; Mama made pumpkin pie. Would you move the blue boat, Peter?"
    speech = synthesize(text).audio.resampled(SAMPLE_RATE).samples
    x = np.resize(speech, int(args.seconds * SAMPLE_RATE))
    model = OnlineModel.load()
    stream = model.stream(args.fps)
    stream.push(x[: SAMPLE_RATE // 2])  # warm up
    worst, frames = 0.0, 0
    start = time.perf_counter()
    for s in range(SAMPLE_RATE // 2, len(x), CHUNK):
        t = time.perf_counter()
        n = len(stream.push(x[s : s + CHUNK]))
        worst = max(worst, (time.perf_counter() - t) / max(n, 1))
        frames += n
    total = time.perf_counter() - start
    print(f"{frames} frames at {args.fps:g} fps: {1000 * total / frames:.3f} ms per video frame "
          f"(worst 40 ms chunk {1000 * worst:.3f} ms per frame); "
          f"real-time factor {total / (len(x) / SAMPLE_RATE - 0.5):.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
