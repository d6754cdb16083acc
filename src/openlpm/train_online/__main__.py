"""``python -m openlpm.train_online --out src/openlpm/assets/online_mouth.npz [--minutes N]
[--speech-dir DIR] [--eval-dir DIR] [--seed 0]``; ``--closure-head --init WEIGHTS`` to retrain
only the closure logit on WEIGHTS' frozen trunk; or ``--evaluate DIR`` to score a weights file
(``--out``, default the shipped one) against Base on real speech."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections import Counter
from pathlib import Path

DEFAULT_OUT = Path("src/openlpm/assets/online_mouth.npz")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.evaluate:
        from openlpm.train_online.evaluate import evaluate_dir, table

        print(table(evaluate_dir(Path(args.evaluate), args.out)))
        return 0
    return train(args, argv if argv is not None else sys.argv[1:])


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m openlpm.train_online", description=__doc__)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="weights (.npz) to write/read")
    p.add_argument("--minutes", type=float, default=40.0, help="minutes of TTS speech to make")
    p.add_argument("--copies", type=int, default=2, help="augmented versions of each session")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--speech-dir", help="real speech to add (targets from phone recognition)")
    p.add_argument("--eval-dir", help="real speech to evaluate on after training")
    p.add_argument("--evaluate", metavar="DIR", help="only evaluate --out on DIR")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2, help="data-making processes")
    p.add_argument("--threads", type=int, default=2, help="torch threads (1 on a busy machine)")
    p.add_argument("--device", default="cpu", help="torch device: cpu (default) or cuda")
    p.add_argument("--hidden", type=int, default=256, help="hidden layer width")
    p.add_argument("--batch", type=int, default=512, help="windows per step")
    p.add_argument("--ahead", type=int, default=8, help="look-ahead in 10 ms feature frames (0..8)")
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (one-cycle)")
    p.add_argument("--init", type=Path, help="weights (.npz) to start from (fine-tuning)")
    p.add_argument(
        "--closure-head",
        action="store_true",
        help="retrain only the closure logit of --init on its frozen trunk (fit.py"
        " fit_closure_head); every other output stays as in --init",
    )
    p.add_argument(
        "--recorded",
        type=float,
        default=0.0,
        help="share of sessions in English voices built from human recordings (Festival, Flite;"
        " train_online/recorded.py), 0..1 (default 0, as the shipped weights were trained)",
    )
    return p


def train(args: argparse.Namespace, argv: list[str]) -> int:
    import torch

    from openlpm.motion.online import OUTPUTS
    from openlpm.train_online import fit as F
    from openlpm.train_online.data import make_examples, sessions_for

    torch.set_num_threads(args.threads)
    log_lines: list[str] = []

    def log(line: str) -> None:
        print(line, flush=True)
        log_lines.append(line)

    t0 = time.time()
    n_sessions = sessions_for(args.minutes)
    speech_dir = Path(args.speech_dir) if args.speech_dir else None
    examples = list(
        make_examples(n_sessions, args.seed, args.copies, args.workers, speech_dir, args.recorded)
    )
    t_data = time.time() - t0
    n_val = max(1, round(len(examples) / args.copies * 0.05)) * args.copies
    train_ex, val_ex = examples[:-n_val], examples[-n_val:]
    log(f"data: {len(examples)} examples ({_minutes(examples):.1f} min of audio) in {t_data:.0f} s")
    options = F.FitOptions(
        epochs=args.epochs,
        seed=args.seed,
        hidden=args.hidden,
        batch=args.batch,
        device=args.device,
        ahead=args.ahead,
        lr=args.lr,
    )
    init = None
    if args.init:
        from openlpm.motion.online import MouthNet

        init = MouthNet.read(args.init)
    elif args.closure_head:
        raise SystemExit("--closure-head needs --init WEIGHTS (the trunk to keep)")
    t1 = time.time()
    val_table = F.Table.of(val_ex, options.past).to(args.device)
    if args.closure_head:
        model = F.fit_closure_head(init, train_ex, options, log)
        cal = F.Calibration.none()
        closure = OUTPUTS.index("closure")
        reference = F.student_of(init, options).to(args.device)
        cal.shift[closure] = F.match_closure_rate(model, reference, val_table, options)
        log(f"closure shift {cal.shift[closure]:+.3f}: shut on as many held-out frames as --init")
    else:
        model, _ = F.fit(train_ex, val_ex, options, log, init)
        cal = F.calibrate(model, val_table, options)
        log(f"calibration (held-out sessions): {cal.describe()}")
    t_fit = time.time() - t1
    net = F.export(model, options, cal)
    metrics = F.evaluate_table(F.student_of(net, options).to(args.device), val_table, options)
    log("held-out, calibrated: " + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()))
    for line in _closure_aucs(val_ex, {"these weights": net, "--init": init}):
        log(line)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    net.save(args.out)
    diff = F.check_export(model, net, val_table, options, cal)
    log(f"numpy vs torch: max |difference| {diff:.2e}")
    if diff > 1e-3:
        raise SystemExit(f"the numpy export disagrees with torch by {diff}: a bug in export()")
    evaluation = ""
    if args.eval_dir:
        from openlpm.train_online.evaluate import evaluate_dir, table

        evaluation = table(evaluate_dir(Path(args.eval_dir), args.out))
        print(evaluation)
    _record(args, argv, examples, train_ex, options, net, metrics, evaluation,
            (t_data, t_fit, time.time() - t0), log_lines)  # fmt: skip
    return 0


def _closure_aucs(examples: list, nets: dict) -> list[str]:
    """Per-phone closure AUC of each net on the held-out eSpeak and recorded-voice sessions."""
    from openlpm.train_online.closure_auc import ClosureAUC, closure_logits, phone_maxima

    lines = []
    for kind, sel in (("eSpeak", [e for e in examples if ":" not in e.voice]),
                      ("recorded voices", [e for e in examples if ":" in e.voice])):  # fmt: skip
        for name, net in nets.items():
            if sel and net is not None:
                maxima = [phone_maxima(closure_logits(net, e.features), e.phones) for e in sel]
                lines.append(f"held-out {kind}, {name}: {ClosureAUC.of(maxima).describe()}")
    return lines


def _counts(counter: Counter) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items()))


def _minutes(examples: list) -> float:
    return sum(e.seconds for e in examples) / 60.0


def _record(args, argv, examples, train_ex, options, net, metrics, evaluation, times, log) -> None:
    """Write the training record next to the weights (same name, .md)."""
    from openlpm.motion.online import OUTPUTS
    from openlpm.train_online import augment as A
    from openlpm.train_online import recorded
    from openlpm.train_online.data import PITCH, RATE_WPM, VARIANTS

    params = sum(getattr(net, k).size for k in ("w0", "b0", "w1", "b1", "w2", "b2", "w3", "b3"))
    sessions = examples[:: args.copies]
    espeak = [e for e in sessions if ":" not in e.voice]
    human = [e for e in sessions if ":" in e.voice]
    voices = Counter(e.voice.split("+")[0] for e in espeak)
    variants = Counter(e.voice.split("+")[1] if "+" in e.voice else "default" for e in espeak)
    unique = _minutes(sessions)
    init = "random (seeded)"
    if args.init:
        import hashlib

        digest = hashlib.sha256(args.init.read_bytes()).hexdigest() if args.init.is_file() else "?"
        init = f"the weights in `{args.init}` (sha256 {digest[:16]}...)"
    torch_version = __import__("torch").__version__
    head_only = (
        "\n\nOnly the closure logit was trained (`--closure-head`, fit.py `fit_closure_head`): a"
        " logistic regression from zero on the frozen trunk's last hidden layer, the closure"
        " column of the last layer; the features, trunk and every other output are those of"
        " `--init`, bit for bit. Its shift makes the lips shut (p > 0.5) on as many held-out"
        " frames as `--init`'s head does (fit.py `match_closure_rate`). The architecture and"
        " calibration below describe the whole network."
        if args.closure_head
        else ""
    )
    breath = f"{A.BREATH_DB[0]:.0f}..{A.BREATH_DB[1]:.0f}"
    what = "closure head record" if args.closure_head else "training record"
    text = f"""# Online mouth model: {what}

Written by `python -m openlpm.train_online`; regenerate with the command below.

## Command

```
python -m openlpm.train_online {shlex.join(argv)}
```

seed {args.seed}; torch {torch_version} on {args.device}, {args.threads} thread(s),
{args.workers} data processes. The data are the same on any machine (a pure function of the
seed); the weights match to float rounding (CPU and GPU kernels sum in different orders).

## Data

- {len(sessions)} sessions of TTS speech ({unique:.1f} min), each in {args.copies} augmented
  versions ({_minutes(examples):.1f} min of audio in all); {len(train_ex)} versions trained on,
  the last 5% of sessions held out for validation.
- voices built from human recordings (train_online/recorded.py; {args.recorded:.0%} of sessions,
  English): {len(human)} sessions ({_minutes(human):.1f} min):
  {_counts(Counter(e.voice for e in human))}.
  Duration stretch {recorded.STRETCH[0]}-{recorded.STRETCH[1]}. The training machine needs
  the Debian packages `{recorded.PACKAGES}`.
- eSpeak NG: {len(espeak)} sessions ({_minutes(espeak):.1f} min); languages / voices
  (sessions): {_counts(voices)}
- voice variants (sessions; {len(variants)} of eSpeak's {len(VARIANTS) - 2}): {_counts(variants)}
- rates {RATE_WPM[0]}-{RATE_WPM[1]} wpm, pitch {PITCH[0]}-{PITCH[1]}, pitch range 10-100;
  1-4 utterances per session of 1-2 random sentences (train_online/sentences.py), pauses
  0.05-1.2 s.
- augmentation (train_online/augment.py), per version: speed perturbation
  x{A.SPEED[0]}-{A.SPEED[1]} (p {A.P_SPEED}; pitch, formants i.e. vocal-tract length, and rate
  together; the teacher runs on the perturbed audio); gain -25..+6 dB; 6% clean; otherwise
  aspiration noise following the voice's envelope at {breath} dB (p {A.P_BREATH}), reverb
  (p {A.P_REVERB}, exponentially decaying noise, RT60 0.1-0.6 s), a microphone's colour (1-3
  peaking filters +-10 dB, p {A.P_MIC}), low-pass 2.5-7 kHz or high-pass 80-400 Hz
  (p {A.P_FILTER}), white / pink / babble noise at SNR 5-40 dB (p {A.P_NOISE}), a codec
  (8 kHz, mu-law or coarse quantisation, p {A.P_CODEC}); in training (fit.py `_colour`), per
  window: the mel axis stretched by up to +-{options.warp:.0%} (VTLP), a random spectral tilt
  and level offset, and up to {options.mask_bands} adjacent bands masked.
- real recordings with recognised phones (--speech-dir): {args.speech_dir or "none"}.
- targets: Base (`motion/base.py`) at 100 frames/s on the clean (speed-perturbed) audio with
  the exact TTS phone timing: the mouth channels, closure frames of p/b/m (widened by 20 ms
  each side), and prosody's speech mask.

## Model

Log-mel features (audio/features.py: 40 bands + energy, 10 ms hop, causal level
normalisation); initialised from {init}.{head_only}

Per frame a linear projection 41 -> {options.proj}; per video frame the
projections of {options.past} past frames, the current one and {options.ahead} ahead
({options.ahead * 10} ms look-ahead), flattened, -> {options.hidden} -> {options.hidden} (ReLU)
-> {len(OUTPUTS)} outputs ({", ".join(OUTPUTS)}). {params:,} parameters,
{args.out.stat().st_size / 1e6:.2f} MB (.npz, float32). {_training(args, options)}

## Time

data {times[0] / 60:.1f} min, training {times[1] / 60:.1f} min, total {times[2] / 60:.1f} min
({args.device}, {args.workers} data processes).

## Validation (held-out TTS sessions, 100 frames/s)

{chr(10).join(f"- {k}: {v:.3f}" for k, v in metrics.items())}

## Evaluation on real speech ({args.eval_dir or "not run"}), 25 fps

{evaluation or "Run with --eval-dir DIR."}

## Log

```
{chr(10).join(log)}
```
"""
    args.out.with_name(record_name(args.out, args.closure_head)).write_text(text, encoding="utf-8")


def _training(args: argparse.Namespace, options) -> str:
    """The optimiser and calibration sentences of the record's Model section."""
    common = (f"AdamW, one-cycle lr {options.lr}, batch {options.batch}, {options.epochs} epochs, "
              f"closure positive weight {options.closure_pos_weight}")  # fmt: skip
    if args.closure_head:
        return (f"The closure column: {common}, the trunk in eval mode (no dropout); the "
                "feature augmentation of fit.py `_colour`.")  # fmt: skip
    return (
        f"{common}, dropout {options.dropout}. Calibrated on the held-out sessions (fit.py "
        "`calibrate`, folded into the last layer): each mouth channel mapped to the teacher's "
        "mean and spread over speech, the closure logit shifted so that the lips shut on as "
        "many frames as the teacher's closures cover."
    )


def record_name(out: Path, closure_head: bool) -> str:
    """The record beside the weights: NAME.md, or NAME_closure_head.md for a closure head
    retrain (the trunk's record stays: the weights are the product of both runs)."""
    return f"{out.stem}_closure_head.md" if closure_head else f"{out.stem}.md"


if __name__ == "__main__":
    raise SystemExit(main())
