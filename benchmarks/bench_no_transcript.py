"""Base's phones without a transcript: p/b/m closure and cost of each choice on real speech.

    python benchmarks/bench_no_transcript.py --data ../shared/data

For every clip of DATA/speech that TRANSCRIPTS.tsv gives words for, Base performs the clip
three ways: with the transcript (forced alignment), as English without it (word recognition,
then forced alignment of the words heard: ``--language en``) and as another language (phone
recognition). Each p/b/m of the reference timing (forced alignment of the transcript, the
benchmark's protocol) is a hit if the motion shuts the lips (mouthClose = jawOpen) within the
phone +- 1 frame. CPU RTF: CPU seconds of finding the phones per second of audio (one core;
the first clip also loads the decoders).
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from openlpm.audio.align import phones_for
from openlpm.audio.prosody import analyse
from openlpm.bench.metrics.lips import closure
from openlpm.io.audio import load_audio
from openlpm.motion.base import BaseOptions, perform
from openlpm.motion.params import PARAM_INDEX

CHOICES = (("transcript", "en"), ("words (en)", "en"), ("phones (other)", None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="the data folder (speech/TRANSCRIPTS.tsv)")
    args = parser.parse_args()
    folder = Path(args.data) / "speech"
    with open(folder / "TRANSCRIPTS.tsv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r.get("transcript")]
    totals = {name: [0, 0, 0.0, 0.0] for name, _ in CHOICES}
    print(f"{'clip':34} {'phones from':15} {'p/b/m':>6} {'closed':>7} {'CPU RTF':>8}")
    for row in rows:
        audio = load_audio(folder / row["file"])
        reference = phones_for(audio, row["transcript"])
        prosody = analyse(audio)
        for name, language in CHOICES:
            transcript = row["transcript"] if name == "transcript" else None
            t0 = time.process_time()
            phones = phones_for(audio, transcript, language)
            cpu = time.process_time() - t0
            track = perform(prosody, phones, BaseOptions())
            apart = (
                track.values[:, PARAM_INDEX["jawOpen"]] - track.values[:, PARAM_INDEX["mouthClose"]]
            )
            c = closure(reference, apart, track.fps)
            t = totals[name]
            t[0], t[1], t[2], t[3] = (
                t[0] + c.bilabials,
                t[1] + c.hits,
                t[2] + cpu,
                t[3] + audio.duration,
            )
            print(f"{row['file']:34} {name:15} {c.bilabials:6d} {c.rate or 0:7.2f} "
                  f"{cpu / audio.duration:8.2f}")  # fmt: skip
    for name, (n, hits, cpu, seconds) in totals.items():
        print(f"{'all':34} {name:15} {n:6d} {hits / max(n, 1):7.2f} {cpu / seconds:8.2f}")


if __name__ == "__main__":
    main()
