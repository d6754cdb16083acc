"""Speaking speed: real-time factor of `openlpm render` (Base), Online motion and end-to-end fps.

    python benchmarks/bench_speak.py [--seconds 10]

Targets (issue 3): Base at 512x512, 25 fps, H.264, analysis and encoding included: real-time
factor <= 0.5 on this 2-core machine; Online motion <= 2 ms per frame; Online end-to-end
(motion + render + encode) >= 60 frames/s.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from openlpm.audio.tts import synthesize
from openlpm.character import build_rig
from openlpm.cli import bundled
from openlpm.io.audio import load_audio, write_wav
from openlpm.io.images import load_image
from openlpm.puppet import render_video
from openlpm.speak import SpeakOptions, speak_audio

TEXT = (
    "Good morning, and welcome back. Today we will look at the weather, the markets and "
    "a few small stories from around the world. Please make yourself comfortable, this "
    "will not take long."
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the test speech")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        speech = synthesize((TEXT + " ") * max(1, round(args.seconds / 9)))
        write_wav(wav, speech.audio)
        build_rig(load_image(bundled("astronaut.jpg")))  # load mediapipe's models once
        print(f"load average {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores")
        for mode in ("base", "online"):
            t0 = time.perf_counter()
            audio = load_audio(wav, sample_rate=None)
            perf = speak_audio(audio, SpeakOptions(mode=mode))
            t_motion = time.perf_counter() - t0
            rig = build_rig(load_image(bundled("astronaut.jpg")))
            t_rig = time.perf_counter() - t0 - t_motion
            render_video(rig, perf.track, Path(tmp) / f"{mode}.mp4", size=512, audio=perf.audio)
            total = time.perf_counter() - t0
            frames = len(perf.track)
            t_video = total - t_motion - t_rig
            print(
                f"{mode:6s} {audio.duration:5.1f} s of speech -> {frames} frames 512x512: "
                f"{total:5.2f} s, real-time factor {total / audio.duration:.2f} "
                f"(motion {1000 * t_motion / frames:.2f} ms/frame, rig {t_rig:.2f} s, "
                f"render + encode {frames / t_video:.0f} frames/s; "
                f"end to end {frames / total:.0f} frames/s)"
            )


if __name__ == "__main__":
    main()
