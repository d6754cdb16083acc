"""The systems under test. Every one produces a MotionTrack that the same renderer draws.

- ``static``: the image, unmoving (the renderer's fidelity floor; no lip sync at all).
- ``flap``: what most VTuber apps do: mouth opening = speech loudness (calibrated once to the
  clip's loud speech, causal, fast attack and slower release), blinks at a fixed rate.
- ``pylipsync``: a uLipSync-style MFCC vowel matcher (the registry's pylipsync: templates for
  A/I/U/E/O and silence), its vowel weights mapped to mouth shapes, the same fixed blinks.
- ``base``, ``online``: openlpm's offline and causal models (:mod:`openlpm.speak`); both
  listen with :func:`openlpm.listen.listen` and converse with :mod:`openlpm.converse`.

Baselines hear only the character's own voice, as a VTuber app hears its user's microphone:
they do nothing while the character listens, and ignore text prompts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from openlpm.bench.metrics.signals import frame_rms
from openlpm.errors import InputError
from openlpm.io.audio import Audio
from openlpm.motion.behaviour import blink_curve
from openlpm.motion.frame import MotionTrack
from openlpm.motion.params import PARAM_INDEX, PARAMS

BLINK_PERIOD_S = 4.0  # fixed-rate blinks: 15 a minute
FLAP_RANGE_DB = 30.0  # flap: the mouth opens over this range below the loud speech
FLAP_JAW = 0.7  # jawOpen at loud speech
FLAP_RELEASE_S = 0.08  # the mouth closes with this time constant (opens at once)
LIPSYNC_SMOOTH_S = 0.05  # pylipsync: uLipSync's per-frame smoothing, as a time constant
# uLipSync vowel -> mouth shape (the usual A/I/U/E/O blend shapes, in ARKit terms)
VOWEL_SHAPES: dict[str, dict[str, float]] = {
    "aa": {"jawOpen": 0.65},
    "ee": {"jawOpen": 0.3, "mouthStretchLeft": 0.4, "mouthStretchRight": 0.4},
    "ih": {"jawOpen": 0.2, "mouthSmileLeft": 0.3, "mouthSmileRight": 0.3},
    "oh": {"jawOpen": 0.45, "mouthFunnel": 0.5},
    "ou": {"jawOpen": 0.15, "mouthPucker": 0.7},
}


@dataclass(frozen=True)
class Utterance:
    """What a system may use to speak: the audio and, if known, its transcript."""

    audio: Audio
    transcript: str | None = None
    language: str | None = None  # of the speech, when known ("en", "fr", ...)


def frames_for(seconds: float, fps: float) -> int:
    return max(1, math.ceil(seconds * fps - 1e-9))


def fit(track: MotionTrack, n: int) -> MotionTrack:
    """``track`` cut or held on its last pose to exactly ``n`` frames."""
    values = track.values[:n]
    if len(values) < n:
        last = values[-1:] if len(values) else np.zeros((1, len(PARAMS)), np.float32)
        values = np.vstack([values, np.repeat(last, n - len(values), axis=0)])
    return MotionTrack(np.ascontiguousarray(values, np.float32), track.fps)


def neutral(n: int, fps: float) -> MotionTrack:
    return MotionTrack(np.zeros((n, len(PARAMS)), np.float32), fps)


class System:
    """A system under test; the default is the static image."""

    name = "static"
    controllable = False  # follows text prompts

    def speak(self, utt: Utterance, fps: float, seed: int) -> MotionTrack:
        return neutral(frames_for(utt.audio.duration, fps), fps)

    def listen(self, user: Audio, fps: float, seed: int) -> MotionTrack:
        return self.idle(user.duration, fps, seed)

    def converse(self, agent: Utterance, user: Audio, fps: float, seed: int) -> MotionTrack:
        return self.speak(agent, fps, seed)  # baselines hear only their own voice

    def idle(self, seconds: float, fps: float, seed: int) -> MotionTrack:
        return neutral(frames_for(seconds, fps), fps)

    def control(self, prompt: str, seconds: float, start: float, fps: float, seed: int):
        """(track, plan description): an idle track with the prompt applied, if understood."""
        return self.idle(seconds, fps, seed), "ignored (no text control)"


class _Blinking(System):
    """Fixed-rate blinks, as VTuber apps add them."""

    def idle(self, seconds: float, fps: float, seed: int) -> MotionTrack:
        track = neutral(frames_for(seconds, fps), fps)
        times = np.arange(len(track)) / fps
        onsets = list(np.arange(BLINK_PERIOD_S / 2, seconds - 0.3, BLINK_PERIOD_S))
        lids = blink_curve(times, onsets, fps)
        for name in ("eyeBlinkLeft", "eyeBlinkRight"):
            track.values[:, PARAM_INDEX[name]] = lids
        return track

    def speak(self, utt: Utterance, fps: float, seed: int) -> MotionTrack:
        track = self.idle(utt.audio.duration, fps, seed)
        for name, curve in self.mouth(utt.audio, fps, len(track)).items():
            track.values[:, PARAM_INDEX[name]] = curve
        return track

    def mouth(self, audio: Audio, fps: float, n: int) -> dict[str, np.ndarray]:
        raise NotImplementedError


class Flap(_Blinking):
    name = "flap"

    def mouth(self, audio: Audio, fps: float, n: int) -> dict[str, np.ndarray]:
        # Causal: each frame hears the frame of audio that ends at its time.
        shifted = Audio(
            np.pad(audio.samples, (round(audio.sample_rate / fps / 2), 0)), audio.sample_rate
        )
        db = 20 * np.log10(frame_rms(shifted, fps, n) + 1e-9)
        top = np.percentile(db, 95) if n else 0.0
        level = np.clip((db - top + FLAP_RANGE_DB) / FLAP_RANGE_DB, 0.0, 1.0)
        decay = math.exp(-1.0 / (FLAP_RELEASE_S * fps))
        out, value = np.zeros(n), 0.0
        for i, x in enumerate(level):
            value = x if x > value else value * decay + x * (1 - decay)
            out[i] = value
        return {"jawOpen": FLAP_JAW * out}


class PyLipSync(_Blinking):
    name = "pylipsync"

    def mouth(self, audio: Audio, fps: float, n: int) -> dict[str, np.ndarray]:
        weights = vowel_weights(audio, fps, n)
        curves: dict[str, np.ndarray] = {}
        for vowel, shape in VOWEL_SHAPES.items():
            for name, amount in shape.items():
                curves[name] = curves.get(name, np.zeros(n)) + amount * weights[vowel]
        return {k: np.clip(v, 0, 1) for k, v in curves.items()}


def vowel_weights(audio: Audio, fps: float, n: int) -> dict[str, np.ndarray]:
    """pylipsync's per-frame A/I/U/E/O targets, smoothed the way uLipSync smooths them."""
    try:
        from pylipsync import PhonemeAnalyzer
    except ImportError as e:
        raise InputError(
            "the pylipsync system needs pylipsync: pip install pylipsync==0.2.1"
        ) from e
    rate = PhonemeAnalyzer.TARGET_SAMPLE_RATE
    samples = audio.resampled(rate).samples
    # pylipsync steps by rate // fps samples; ask for an integer rate and resample the result.
    step_fps = math.ceil(fps)
    segments = PhonemeAnalyzer().extract_phoneme_segments(samples, rate, fps=step_fps)
    raw = {v: np.zeros(len(segments)) for v in VOWEL_SHAPES}
    for k, seg in enumerate(segments):
        for p in seg.phonemes:
            if p.name in raw:
                raw[p.name][k] = p.target
    hop_s = (rate // step_fps) / rate
    times = np.arange(n) / fps
    alpha = 1 - math.exp(-1.0 / (LIPSYNC_SMOOTH_S * fps))
    out = {}
    for vowel, values in raw.items():
        sampled = np.interp(times, (np.arange(len(values)) + 0.5) * hop_s, values)
        out[vowel] = _ema(sampled, alpha)
    return out


def _ema(x: np.ndarray, alpha: float) -> np.ndarray:
    out, value = np.zeros(len(x)), 0.0
    for i, v in enumerate(x):
        value += alpha * (v - value)
        out[i] = value
    return out


class Openlpm(System):
    """openlpm's own models: ``base`` (offline) or ``online`` (causal)."""

    controllable = True

    def __init__(self, mode: str) -> None:
        self.name = mode

    def _perform(self, utt: Utterance, fps: float, seed: int):
        from openlpm.speak import SpeakOptions, speak_audio

        transcript = utt.transcript if self.name == "base" else None
        return speak_audio(utt.audio, SpeakOptions(self.name, fps, seed, transcript, utt.language))

    def speak(self, utt: Utterance, fps: float, seed: int) -> MotionTrack:
        return fit(self._perform(utt, fps, seed).track, frames_for(utt.audio.duration, fps))

    def listen(self, user: Audio, fps: float, seed: int) -> MotionTrack:
        from openlpm.listen import listen

        return fit(listen(user, fps, seed), frames_for(user.duration, fps))

    def converse(self, agent: Utterance, user: Audio, fps: float, seed: int) -> MotionTrack:
        from openlpm.converse import converse

        perf = converse(self._perform(agent, fps, seed), user, fps=fps, seed=seed)
        return fit(perf.track, frames_for(max(agent.audio.duration, user.duration), fps))

    def idle(self, seconds: float, fps: float, seed: int) -> MotionTrack:
        silence = Audio(np.zeros(round(seconds * 16000), np.float32), 16000)
        return self.speak(Utterance(silence), fps, seed)

    def control(self, prompt: str, seconds: float, start: float, fps: float, seed: int):
        from openlpm.prompts import apply_plan, parse_prompt

        plan = parse_prompt(prompt)
        track = apply_plan(plan, self.idle(seconds, fps, seed), start=start, seed=seed)
        return track, plan.describe()


def make_system(name: str) -> System:
    if name in ("base", "online"):
        return Openlpm(name)
    return {"static": System, "flap": Flap, "pylipsync": PyLipSync}[name]()
