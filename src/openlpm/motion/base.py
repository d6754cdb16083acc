"""Base: the offline performance model. Sees the whole utterance, then writes every curve.

A pipeline of timeline passes (as in rhubarb-lip-sync):
audio -> prosody (loudness, pitch, pauses, accents) and phones (alignment or TTS timing)
      -> mouth curves (visemes + coarticulation + lip closure), scaled by loudness
      -> head, brows, gaze, blinks, breathing from prosody and a seeded generator
      -> one MotionTrack at the video frame rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openlpm.audio.phones import PhoneTimeline
from openlpm.audio.prosody import FRAME_RATE, Prosody
from openlpm.motion import behaviour as B
from openlpm.motion import upper_body
from openlpm.motion.coarticulation import mouth_curves
from openlpm.motion.frame import MotionTrack
from openlpm.motion.params import PARAM_INDEX, PARAMS
from openlpm.motion.visemes import MOUTH_CHANNELS


@dataclass(frozen=True)
class BaseOptions:
    """How lively the performance is; the defaults suit a calm, friendly speaker."""

    fps: float = 25.0
    seed: int = 0
    head_motion: float = 1.0  # scales head drift, nods and tilts
    smile: float = 0.12  # resting smile
    nod_deg: float = 4.0  # chin-down pulse on a strong pitch accent
    jaw_loudness: float = 0.6  # how much loudness opens the jaw beyond the viseme
    # The mouth shows the sound this much ahead: lips lead speech, and a viewer forgives video
    # ahead of sound far more than behind it (ITU-R BT.1359: -125 ms vs +45 ms).
    mouth_lead_s: float = 0.04

    def __post_init__(self) -> None:
        if not 1 <= self.fps <= 120:
            raise ValueError(f"fps must be within 1..120, got {self.fps}")
        for name in ("head_motion", "smile", "nod_deg", "jaw_loudness", "mouth_lead_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")


def perform(
    prosody: Prosody, phones: PhoneTimeline, options: BaseOptions = BaseOptions()
) -> MotionTrack:
    """The full performance for one utterance."""
    fps = options.fps
    n = max(1, int(np.ceil(max(prosody.duration, phones.duration) * fps)))
    times = np.arange(n) / fps
    rng = np.random.default_rng(options.seed)
    out = np.zeros((n, len(PARAMS)), np.float32)

    def put(name: str, curve: np.ndarray) -> None:
        out[:, PARAM_INDEX[name]] = np.clip(curve, -30, 30)

    mouth = mouth_track(prosody, phones, fps, n, options)
    for k, name in enumerate(MOUTH_CHANNELS):
        put(name, mouth[:, k])

    speaking = np.interp(
        times, prosody.times, B.gaussian_filter1d(prosody.speech.astype(float), 0.3 * FRAME_RATE)
    )
    pauses = prosody.pauses()
    accents = prosody.accents()
    phrase_starts = [
        end for start, end in pauses if end - start >= 0.4 and end < prosody.duration - 0.3
    ]
    _head(put, rng, times, fps, speaking, accents, pauses, options)
    _face(put, rng, times, fps, accents, options)
    blinks = B.blink_curve(times, B.blink_times(rng, times[-1] + 1 / fps, pauses), fps)
    put("eyeBlinkLeft", blinks)
    put("eyeBlinkRight", blinks)
    _gaze(put, *B.gaze(rng, times, fps, phrase_starts))
    _upper_body(put, B.breathing(rng, times, fps), times, accents)
    return MotionTrack(out, fps)


def mouth_track(
    prosody: Prosody, phones: PhoneTimeline, fps: float, n: int, options: BaseOptions
) -> np.ndarray:
    """(n, len(MOUTH_CHANNELS)) mouth weights in [0, 1]: visemes with coarticulation and lip
    closure, the jaw scaled by loudness. Frame i shows the mouth of i / fps + the lead."""
    lead = options.mouth_lead_s
    times = np.arange(n) / fps
    loud = np.interp(times + lead, prosody.times, prosody.loudness(), left=0, right=0)
    mouth = mouth_curves(phones, fps, n, lead)
    gain = 1 - options.jaw_loudness + options.jaw_loudness * 1.6 * loud
    mouth[:, MOUTH_CHANNELS.index("jawOpen")] *= gain
    mouth[:, MOUTH_CHANNELS.index("mouthClose")] *= gain  # closures track the jaw they undo
    return np.clip(mouth, 0, 1)


def _upper_body(put, inhale: np.ndarray, times: np.ndarray, accents) -> None:
    body_y, shrug = upper_body.breath_pose(inhale)
    put("bodyY", body_y)
    put("bodyShrug", shrug)
    put("bodyLean", upper_body.emphasis_lean(times, accents))


def _head(put, rng, times, fps, speaking, accents, pauses, options) -> None:
    scale = options.head_motion * (0.5 + 0.5 * speaking)
    yaw = B.smooth_noise(rng, len(times), fps, 0.9, B.HEAD_DRIFT_DEG[0]) * scale
    pitch = B.smooth_noise(rng, len(times), fps, 0.7, B.HEAD_DRIFT_DEG[1]) * scale
    roll = B.smooth_noise(rng, len(times), fps, 1.2, B.HEAD_DRIFT_DEG[2]) * scale
    h = options.head_motion
    for t, strength in accents:  # nod down on the stressed syllable, a touch early
        B.add_bump(pitch, times, t - 0.04, 0.4, -h * options.nod_deg * strength)
        B.add_bump(yaw, times, t, 0.5, h * rng.normal(0, 0.8) * strength)
    for start, _end in pauses:  # phrase end: a small tilt and settle
        if start > 0.5:
            B.add_bump(
                roll, times, start + 0.1, 0.8, h * rng.choice([-1, 1]) * rng.uniform(0.8, 1.8)
            )
            B.add_bump(pitch, times, start + 0.1, 0.8, -h * 1.0)
    put("headYaw", yaw)
    put("headPitch", pitch)
    put("headRoll", roll)


def _face(put, rng, times, fps, accents, options) -> None:
    brows = np.zeros_like(times)
    for t, strength in accents:
        if strength > 0.5:
            B.add_bump(brows, times, t - 0.05, 0.45, 0.45 * strength)
    brows = np.minimum(brows, 0.6)
    put("browInnerUp", brows)
    put("browOuterUpLeft", 0.6 * brows)
    put("browOuterUpRight", 0.6 * brows)
    smile = options.smile + B.smooth_noise(rng, len(times), fps, 2.0, 0.04)
    put("mouthSmileLeft", np.clip(smile, 0, 1))
    put("mouthSmileRight", np.clip(smile + B.smooth_noise(rng, len(times), fps, 2.0, 0.015), 0, 1))
    put("cheekSquintLeft", np.clip(0.3 * smile, 0, 1))
    put("cheekSquintRight", np.clip(0.3 * smile, 0, 1))


def _gaze(put, x: np.ndarray, y: np.ndarray) -> None:
    """Gaze (x + toward the character's left, y + up) -> the eight ARKit look channels."""
    left, right = np.clip(x, 0, 1), np.clip(-x, 0, 1)
    put("eyeLookOutLeft", left)  # looking to its left: the left eye turns out
    put("eyeLookInRight", left)  # and the right eye turns in
    put("eyeLookInLeft", right)
    put("eyeLookOutRight", right)
    put("eyeLookUpLeft", np.clip(y, 0, 1))
    put("eyeLookUpRight", np.clip(y, 0, 1))
    put("eyeLookDownLeft", np.clip(-y, 0, 1))
    put("eyeLookDownRight", np.clip(-y, 0, 1))
