"""Why Online's lips read shut away from p/b/m on real speech, measured from the pixels.

    python benchmarks/bench_online_closure.py --data DIR [--system online]

Renders the speaking benchmark's pairs (`openlpm bench --groups speaking`: same clips, same
portraits, same seed) for the clips with a transcript, re-detects the inner-lip gap, and scores
closure as the bench does. For every phone away from p/b/m and pauses on which the lips read shut
(gap < 0.02 face heights), it names what shut them at the most-shut frame:

- closure: the network's closure output (mouthClose at least half of jawOpen: motion/online.py
  shuts the lips as Base does on p/b/m);
- gate: the speech-probability gate rested the mouth (jawOpen under 0.02);
- small: a partial opening (jawOpen - mouthClose) that this portrait draws as shut.

A mapping change (ramp, jaw floor, gate) only moves "gate" and "small"; "closure" needs a closure
head that tells p/b/m from other stops in real voices (a retrain, issue 11).
"""

from __future__ import annotations

import argparse
import math
import tempfile
from collections import Counter
from pathlib import Path

CAUSES = ("closure", "gate", "small")


def main() -> None:
    import numpy as np

    from openlpm.analysis import measure_video
    from openlpm.bench.context import Context
    from openlpm.bench.data import discover
    from openlpm.bench.groups.speaking import pairs
    from openlpm.bench.metrics.lips import BILABIALS, CLOSED, _touches, closure
    from openlpm.bench.options import BenchOptions
    from openlpm.bench.progress import NoProgress
    from openlpm.bench.systems import Utterance
    from openlpm.motion.params import PARAM_INDEX
    from openlpm.render import Renderer

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--system", default="online", choices=("online", "base"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp())
    options = BenchOptions(out=out, data=args.data, systems=(args.system,), seed=args.seed)
    ctx = Context(options, discover(args.data), NoProgress(), out)
    jaw, close = PARAM_INDEX["jawOpen"], PARAM_INDEX["mouthClose"]
    rows, totals = [], Counter()
    for clip, portrait in pairs(ctx):
        if clip.phones is None:
            continue
        utt = Utterance(clip.audio, clip.transcript, clip.language)
        track = ctx.system(args.system).speak(utt, options.fps, args.seed)
        renderer = Renderer(ctx.rig(portrait), 512)
        measures = measure_video([renderer.render(f) for f in track])
        gap = np.array([np.nan if m is None else m.mouth_gap for m in measures])
        result = closure(clip.phones, gap, options.fps)
        causes = Counter()
        seq = clip.phones.phones
        for k, p in enumerate(seq):
            if p.label == "SIL" or p.label in BILABIALS or _touches(seq, k, BILABIALS | {"SIL"}):
                continue
            lo = max(0, math.floor(p.start * options.fps) - 1)
            window = gap[lo : min(len(gap), math.ceil(p.end * options.fps) + 2)]
            if not np.isfinite(window).any() or np.nanmin(window) >= CLOSED:
                continue
            v = track.values[lo + int(np.nanargmin(window))]
            if v[jaw] < 0.02:
                causes["gate"] += 1
            elif v[close] >= 0.5 * v[jaw]:
                causes["closure"] += 1
            else:
                causes["small"] += 1
        totals.update(causes)
        rows.append((clip.name, portrait.name, result, causes))
    print(f"{args.system}: phones away from p/b/m read shut, by cause (seed {args.seed})")
    _table(rows, totals)


def _table(rows: list, totals: Counter) -> None:
    import numpy as np

    print("| clip | portrait | p/b/m closed | closed elsewhere | beyond chance | "
          + " | ".join(CAUSES) + " |")  # fmt: skip
    print("|---|---|---|---|---|" + "---|" * len(CAUSES))
    for name, portrait, r, causes in rows:
        counts = " | ".join(str(causes[c]) for c in CAUSES)
        print(f"| {name} | {portrait} | {r.rate:.2f} ({r.bilabials}) "
              f"| {r.chance:.2f} ({r.others}) | {r.beyond_chance:+.2f} | {counts} |")  # fmt: skip
    rate = float(np.mean([r.rate for _, _, r, _ in rows]))
    chance = float(np.mean([r.chance for _, _, r, _ in rows]))
    counts = " | ".join(str(totals[c]) for c in CAUSES)
    print(f"| **mean** | | {rate:.2f} | {chance:.2f} | {rate - chance:+.2f} | {counts} |")


if __name__ == "__main__":
    main()
