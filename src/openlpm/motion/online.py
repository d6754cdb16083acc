"""Online: the causal, frame-synchronous performance model, distilled from Base.

audio (16 kHz chunks) -> streaming log-mel (audio/features.py) -> a small MLP over ~300 ms of
past frames and 80 ms of look-ahead -> the mouth channels, a lip-closure probability and a
speech probability -> one MotionFrame per video frame, the rest of the face and head from
:class:`LiveBehaviour`. Inference is numpy only; the weights ship in the package and are made
by ``python -m openlpm.train_online`` (PyTorch, CPU), see assets/online_mouth.md.

Network, per feature frame k (10 ms): a shared linear projection of the features (41 -> P);
per video frame: the projections of frames k - PAST .. k + AHEAD, flattened, through two ReLU
layers to the outputs. Lips: where the closure probability is high the lips are shut the way
Base shuts them (mouthClose = jawOpen, the lip openers at 0), so p/b/m close on screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from openlpm.audio.features import FRAME_RATE, HOP, N_FEATURES, SAMPLE_RATE, LogMelStream
from openlpm.errors import InputError
from openlpm.io.audio import Audio
from openlpm.motion.coarticulation import _LIP_OPENERS
from openlpm.motion.frame import MotionFrame, MotionTrack
from openlpm.motion.live_behaviour import LiveBehaviour
from openlpm.motion.params import PARAM_INDEX, PARAMS
from openlpm.motion.visemes import MOUTH_CHANNELS

WEIGHTS = "online_mouth.npz"  # in openlpm/assets
MAX_AHEAD = 8  # feature frames: 80 ms of look-ahead at most (DESIGN.md)
CHUNK = 4 * HOP  # samples: perform() feeds the stream 40 ms at a time

# What the network regresses: every mouth channel but mouthClose (set from the closure
# output), one value for each Left/Right pair (Base moves them together).
REGRESSED: tuple[str, ...] = tuple(
    n for n in MOUTH_CHANNELS if n != "mouthClose" and not n.endswith("Right")
)
OUTPUTS: tuple[str, ...] = (*REGRESSED, "closure", "speech")  # the last two are logits
# Closure probability ramp: open below, shut above. The head is calibrated so that p > 0.5
# shuts as many frames as the teacher's closures on held-out TTS (train_online/fit.py); on real
# speech it fires more often, so the lips wait for a surer closure (issue 11, real clips: shut on
# 31% of other phones with 0.35-0.6, 24% with this, at 72% instead of 75% of the p/b/m).
CLOSURE_LO, CLOSURE_HI = 0.45, 0.7
SPEECH_THRESHOLD = 0.5  # speech probability above which the character counts as speaking
# Mouth gate: below GATE_LO speech probability the mouth rests (Base's rest shape in pauses:
# no false lip motion in silence or noise), fully driven above GATE_HI.
GATE_LO, GATE_HI = 0.15, 0.45
# The gate holds its highest value of the last GATE_HOLD_S: inside speech the speech probability
# dips for a frame or two (on held-out TTS, 90% of the dips under GATE_HI within a phone last at
# most 80 ms), and on real speech such a dip rested the mouth mid-word, which reads as a closure
# (issue 11: 19 of the 80 shut phones away from p/b/m in the speaking bench). Pauses are longer,
# and the bench's pause test trims 120 ms at each end.
GATE_HOLD_S = 0.08
# While speaking the jaw stays at least this open, as Base's does outside p/b/m (its 10th
# percentile over speech is ~0.11): where the network is unsure on real speech it answers with
# a near-closed jaw, which reads as a closure on screen; the closure output still shuts the
# lips fully, and the gate still rests the mouth in pauses.
SPEAKING_JAW_MIN = 0.1

_TARGETS = [
    [PARAM_INDEX[n]] + ([PARAM_INDEX[n[:-4] + "Right"]] if n.endswith("Left") else [])
    for n in REGRESSED
]
_JAW, _CLOSE = PARAM_INDEX["jawOpen"], PARAM_INDEX["mouthClose"]
_OPENERS = [PARAM_INDEX[n] for n in _LIP_OPENERS]
_MOUTH = [PARAM_INDEX[n] for n in MOUTH_CHANNELS]
_LAYERS = ("w0", "b0", "w1", "b1", "w2", "b2", "w3", "b3")


@dataclass(frozen=True, eq=False)
class MouthNet:
    """The network's float32 weights (see the module docstring) and its window."""

    mean: np.ndarray  # (N_FEATURES,) input normalisation
    std: np.ndarray  # (N_FEATURES,)
    w0: np.ndarray  # (N_FEATURES, P) per-frame projection
    b0: np.ndarray
    w1: np.ndarray  # (frames * P, H)
    b1: np.ndarray
    w2: np.ndarray  # (H, H)
    b2: np.ndarray
    w3: np.ndarray  # (H, len(OUTPUTS))
    b3: np.ndarray
    past: int  # feature frames before the current one
    ahead: int  # feature frames after it (look-ahead)

    def __post_init__(self) -> None:
        frames, width = self.past + 1 + self.ahead, self.w0.shape[1]
        if not 0 <= self.ahead <= MAX_AHEAD or self.past < 0:
            raise ValueError(f"look-ahead must be 0..{MAX_AHEAD} frames, got {self.ahead}")
        expected = {
            "mean": (N_FEATURES,), "std": (N_FEATURES,), "w0": (N_FEATURES, width),
            "b0": (width,), "w1": (frames * width, self.w1.shape[1]), "b1": self.w1.shape[1:],
            "w2": (self.w1.shape[1], self.w2.shape[1]), "b2": self.w2.shape[1:],
            "w3": (self.w2.shape[1], len(OUTPUTS)), "b3": (len(OUTPUTS),),
        }  # fmt: skip
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise ValueError(f"{name} is {getattr(self, name).shape}, expected {shape}")

    @property
    def frames(self) -> int:
        return self.past + 1 + self.ahead

    def project(self, features: np.ndarray) -> np.ndarray:
        """(..., N_FEATURES) -> (..., P): the per-frame part, computed once per frame."""
        return ((features - self.mean) / self.std) @ self.w0 + self.b0

    def head(self, window: np.ndarray) -> np.ndarray:
        """(frames, P) projections, oldest first -> (len(OUTPUTS),) raw outputs."""
        h = np.maximum(window.reshape(-1) @ self.w1 + self.b1, 0.0)
        h = np.maximum(h @ self.w2 + self.b2, 0.0)
        return h @ self.w3 + self.b3

    def save(self, path: str | Path) -> None:
        arrays = {k: np.asarray(getattr(self, k), np.float32) for k in ("mean", "std", *_LAYERS)}
        meta = dict(past=self.past, ahead=self.ahead, outputs=np.array(OUTPUTS))
        np.savez_compressed(path, **arrays, **meta, features=_feature_signature())

    @classmethod
    def read(cls, path: str | Path) -> MouthNet:
        """Load and check a weights file; errors say how to get a good one."""
        fix = "retrain it with `python -m openlpm.train_online --out PATH`"
        try:
            with np.load(path, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
        except (OSError, ValueError) as e:
            raise InputError(f"cannot read Online weights {path}: {e}; {fix}") from e
        missing = [k for k in ("mean", "std", *_LAYERS, "past", "ahead", "outputs", "features")
                   if k not in data]  # fmt: skip
        if missing:
            raise InputError(f"{path} lacks {', '.join(missing)}: not Online weights; {fix}")
        if tuple(data["outputs"]) != OUTPUTS or not np.array_equal(
            data["features"], _feature_signature()
        ):
            raise InputError(f"{path} was trained for other features or outputs; {fix}")
        arrays = {k: data[k].astype(np.float32) for k in ("mean", "std", *_LAYERS)}
        try:
            return cls(**arrays, past=int(data["past"]), ahead=int(data["ahead"]))
        except ValueError as e:
            raise InputError(f"{path} has inconsistent weights ({e}); {fix}") from e


def _feature_signature() -> np.ndarray:
    from openlpm.audio import features as F

    return np.array([F.SAMPLE_RATE, F.HOP, F.WINDOW, F.N_FFT, F.N_MELS, F.LEVEL_INIT_DB])


def silence_features() -> np.ndarray:
    """The feature frame of digital silence at stream start: what precedes t = 0."""
    return LogMelStream().push(np.zeros(HOP * 4, np.float32))[0][0]


def speech_gate(out: np.ndarray) -> float:
    """0 (mouth at rest) .. 1 (driven) from the speech output of raw network outputs."""
    speech = _sigmoid(float(out[-1]))
    return min(max((speech - GATE_LO) / (GATE_HI - GATE_LO), 0.0), 1.0)


def mouth_from_outputs(out: np.ndarray, gate: float | None = None) -> np.ndarray:
    """Raw network outputs -> (len(PARAMS),) with only the mouth channels set, lips applied.
    ``gate`` overrides :func:`speech_gate` (the stream passes the held one)."""
    vec = np.zeros(len(PARAMS), np.float32)
    for value, targets in zip(out[: len(REGRESSED)], _TARGETS, strict=True):
        vec[targets] = value
    vec[_JAW] = max(vec[_JAW], SPEAKING_JAW_MIN)
    gate = speech_gate(out) if gate is None else gate
    vec[_MOUTH] = np.clip(vec[_MOUTH], 0.0, 1.0) * gate
    p = _sigmoid(float(out[len(REGRESSED)]))
    shut = min(max((p - CLOSURE_LO) / (CLOSURE_HI - CLOSURE_LO), 0.0), 1.0)
    vec[_CLOSE] = shut * vec[_JAW]  # lips together, whatever the jaw does (as Base)
    vec[_OPENERS] *= 1.0 - shut
    return vec


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-min(max(x, -60.0), 60.0)))


class OnlineStream:
    """Push 16 kHz float32 samples (any chunk size); get each video frame once its look-ahead
    has arrived. Frame i (time i / fps) needs audio up to i / fps + ahead + one hop.

    State is fixed-size: the feature stream's window, a ring of projected frames and energies,
    and the behaviour's few scalars; an hour costs the memory of a second.
    """

    def __init__(self, net: MouthNet, fps: float = 25.0, seed: int = 0) -> None:
        if not 1 <= fps <= 120:
            raise ValueError(f"fps must be within 1..120, got {fps}")
        self.net, self.fps = net, fps
        self._mel = LogMelStream()
        self._behaviour = LiveBehaviour(fps, seed)
        self._ring = np.tile(net.project(silence_features()), (net.frames, 1)).astype(np.float32)
        self._energy = np.full(net.frames, -120.0, np.float32)  # dB, same ring positions
        self._pos = 0  # ring slot of the oldest frame
        self._frames_in = 0  # feature frames seen
        self._samples_in = 0
        self._next = 0  # index of the next video frame to emit
        self._limit: int | None = None  # set by flush(): frames past the audio's end
        self._per = max(1, round(FRAME_RATE / fps))  # feature frames per video frame
        self._gates = np.zeros(round(GATE_HOLD_S * fps) + 1, np.float32)  # recent frames' gates

    @property
    def state_nbytes(self) -> int:
        """Bytes of stream state (constant over a session)."""
        return self._mel.state_nbytes + self._ring.nbytes + self._energy.nbytes + self._gates.nbytes

    @property
    def frames_out(self) -> int:
        return self._next

    def push(self, samples: np.ndarray) -> list[MotionFrame]:
        if self._limit is not None:
            raise RuntimeError("this stream was flushed; start another with OnlineModel.stream()")
        x = np.asarray(samples, np.float32).reshape(-1)
        self._samples_in += len(x)
        return self._consume(x)

    def flush(self) -> list[MotionFrame]:
        """The frames still waiting for look-ahead (silence is assumed after the end), up to
        ceil(duration * fps) frames in all. The stream takes no more audio afterwards."""
        if self._limit is not None:
            return []
        self._limit = math.ceil(self._samples_in / SAMPLE_RATE * self.fps - 1e-9)
        if self._next >= self._limit:
            return []
        needed = (self._centre(self._limit - 1) + self.net.ahead + 1) * HOP
        return self._consume(np.zeros(max(0, needed - self._samples_in), np.float32))

    def _consume(self, x: np.ndarray) -> list[MotionFrame]:
        out: list[MotionFrame] = []
        for start in range(0, len(x), CHUNK):
            feats, energy = self._mel.push(x[start : start + CHUNK])
            for f, e in zip(feats, energy, strict=True):
                self._add(f, float(e))
                out.extend(self._ready())
        return out

    def _add(self, features: np.ndarray, energy_db: float) -> None:
        self._ring[self._pos] = self.net.project(features)
        self._energy[self._pos] = energy_db
        self._pos = (self._pos + 1) % self.net.frames
        self._frames_in += 1

    def _centre(self, i: int) -> int:
        """The feature frame at (or just before) video frame i's time."""
        return math.floor(i * FRAME_RATE / self.fps + 1e-9)

    def _ready(self) -> list[MotionFrame]:
        out = []
        while (self._limit is None or self._next < self._limit) and (
            self._centre(self._next) + self.net.ahead < self._frames_in
        ):
            out.append(self._emit())
            self._next += 1
        return out

    def _emit(self) -> MotionFrame:
        order = (self._pos + np.arange(self.net.frames)) % self.net.frames  # oldest first
        raw = self.net.head(self._ring[order])
        self._gates[self._next % len(self._gates)] = speech_gate(raw)
        vec = mouth_from_outputs(raw, float(self._gates.max()))
        speaking = _sigmoid(float(raw[-1])) > SPEECH_THRESHOLD
        vec += self._behaviour.step(self._loudness_db(order), speaking)
        return MotionFrame(vec).clipped()

    def _loudness_db(self, order: np.ndarray) -> float:
        """Mean power (dB) of the feature frames of this video frame (ending at its centre)."""
        centre = self.net.past  # ring position of the current frame, oldest-first order
        recent = self._energy[order[max(0, centre - self._per + 1) : centre + 1]]
        return float(10.0 * np.log10(np.mean(10.0 ** (recent / 10.0))))


class OnlineModel:
    """The shipped Online model: ``OnlineModel.load().perform(audio)`` or ``.stream()``."""

    def __init__(self, net: MouthNet) -> None:
        self.net = net

    @classmethod
    def load(cls, path: str | Path | None = None) -> OnlineModel:
        if path is None:
            with resources.as_file(resources.files("openlpm") / "assets" / WEIGHTS) as p:
                if not p.is_file():
                    raise InputError(
                        f"the package lacks {WEIGHTS}; train it with "
                        f"`python -m openlpm.train_online --out src/openlpm/assets/{WEIGHTS}`"
                    )
                return cls(MouthNet.read(p))
        return cls(MouthNet.read(path))

    def stream(self, fps: float = 25.0, seed: int = 0) -> OnlineStream:
        return OnlineStream(self.net, fps, seed)

    def perform(self, audio: Audio, fps: float = 25.0, seed: int = 0) -> MotionTrack:
        """A whole recording through the stream (40 ms chunks): ceil(duration * fps) frames."""
        n = math.ceil(audio.duration * fps - 1e-9)
        x = audio.resampled(SAMPLE_RATE).samples
        stream = self.stream(fps, seed)
        frames: list[MotionFrame] = []
        for start in range(0, len(x), CHUNK):
            frames.extend(stream.push(x[start : start + CHUNK]))
        frames.extend(stream.flush())
        while 0 < len(frames) < n:  # resampling can round the length down by a sample
            frames.append(frames[-1])
        return MotionTrack.from_frames(frames[:n], fps)
