"""p/b/m closure through the streaming engine on real speech, with and without the words.

    python benchmarks/bench_text_lips.py --data ../shared/data [--image face.png] [--size 384]
                                         [--realtime]

For every clip of DATA/speech that TRANSCRIPTS.tsv gives words for, a Session (the real engine:
AgentVoice, Online model, renderer) speaks the clip twice: audio only, and with
``push_agent_samples(..., text=transcript)``. The face is re-detected in every rendered frame
(openlpm.analysis) and each p/b/m of the reference timing (forced alignment of the transcript,
the benchmark's protocol) is a hit if the inner-lip gap falls under 0.02 face heights within
the phone +- 1 frame; "chance" is the same test on the other phones. ``--realtime`` runs the
session on its real clock with the clip pushed at once (a TTS line pushed ahead of playout):
the frames that play before the alignment is done keep the audio-only mouth.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np

from openlpm.audio.align import phones_for
from openlpm.bench.analyze import analyze_frames
from openlpm.bench.metrics.lips import closure
from openlpm.character.rig import build_rig
from openlpm.cli import bundled
from openlpm.io.audio import Audio, load_audio
from openlpm.io.images import load_image
from openlpm.motion.frame import MotionFrame
from openlpm.render.renderer import Renderer
from openlpm.stream import aligner
from openlpm.stream.session import Session


def rendered_frames(
    audio: Audio, text: str | None, renderer: Renderer, realtime: bool
) -> list[np.ndarray]:
    """The clip spoken by a session; frame i shows the pose at i / fps of the clip. The
    session makes the motion (on the real clock with ``realtime``); the frames are rendered
    afterwards, so a busy machine dropping renders does not change what is measured."""
    fps = 25.0
    with Session(render=False, fps=fps, realtime=realtime) as session:
        n = int(np.ceil(audio.duration * fps)) + 3
        poses: dict[int, MotionFrame] = {}
        start: int | None = None  # the frame that plays the clip's first sound
        for frame in session.iter_frames():
            if not poses:
                session.push_agent_samples(audio.samples, audio.sample_rate, text=text)
            if start is None and np.any(frame.agent_audio):  # real recordings start with noise
                start = frame.index
            poses[frame.index] = frame.pose
            if start is not None and frame.index >= start + n:
                break
    poses = {i - start: p for i, p in poses.items()}
    last = poses.get(-1, MotionFrame.neutral())
    frames = []
    for i in range(n):
        last = poses.get(i, last)
        frames.append(renderer.render(last))
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="the data folder (speech/TRANSCRIPTS.tsv)")
    parser.add_argument("--image", help="portrait (default: the astronaut)")
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--realtime", action="store_true", help="on the real clock")
    args = parser.parse_args()
    folder = Path(args.data) / "speech"
    with open(folder / "TRANSCRIPTS.tsv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r.get("transcript")]
    renderer = Renderer(build_rig(load_image(args.image or bundled("astronaut.jpg"))), args.size)
    aligner.warm()  # as the server does at start: the first clip does not wait for it
    totals = {"audio only": [0, 0, 0, 0], "with text": [0, 0, 0, 0]}
    print(f"{'clip':34} {'mode':10} {'p/b/m':>6} {'closed':>7} {'chance':>7}")
    for row in rows:
        audio = load_audio(folder / row["file"], None)
        reference = phones_for(audio, row["transcript"])
        for mode, text in (("audio only", None), ("with text", row["transcript"])):
            t0 = time.perf_counter()
            frames = rendered_frames(audio, text, renderer, args.realtime)
            gap = analyze_frames(frames, 25.0).series.gap
            c = closure(reference, gap, 25.0)
            t = totals[mode]
            t[0], t[1], t[2] = t[0] + c.bilabials, t[1] + c.hits, t[2] + c.others
            t[3] += round((c.chance or 0) * c.others)
            print(
                f"{row['file']:34} {mode:10} {c.bilabials:6d} {c.rate or 0:7.2f} "
                f"{c.chance or 0:7.2f}   ({time.perf_counter() - t0:.0f} s)"
            )
    for mode, (n, hits, others, other_hits) in totals.items():
        print(
            f"{'all':34} {mode:10} {n:6d} {hits / max(n, 1):7.2f} "
            f"{other_hits / max(others, 1):7.2f}"
        )


if __name__ == "__main__":
    main()
