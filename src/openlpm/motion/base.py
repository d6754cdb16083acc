"""Base: the offline performance model. Sees the whole utterance, then writes every curve.

A pipeline of timeline passes (as in rhubarb-lip-sync):
audio -> prosody (loudness, pitch, pauses, accents) and phones (alignment or TTS timing)
      -> mouth curves (visemes + coarticulation + lip closure), scaled by loudness
      -> head, brows, gaze, blinks, breathing from prosody and a seeded generator
      -> one MotionTrack at the video frame rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

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
    head_motion: float = 1.0  # scales head drift, gestures, beats and tilts
    smile: float = 0.12  # resting smile
    nod_deg: float = 4.5  # chin-down beat on a strong pitch accent
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
    arousal = _arousal(prosody, times, fps)
    # the voice's loudness as the mouth shows it (mouth_track's lead): gestures swell with it
    loud = np.interp(
        times + options.mouth_lead_s, prosody.times, prosody.loudness(), left=0, right=0
    )
    _head(put, rng, times, fps, loud, speaking, accents, pauses, phrase_starts, arousal, options)
    _face(put, rng, times, fps, accents, arousal, options)
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


def _arousal(prosody: Prosody, times: np.ndarray, fps: float) -> np.ndarray:
    """(frames,) 0..1, 0.5 for ordinary speech: each phrase's pitch range (semitones, 10th to
    90th percentile; about 9 in the data's speech) and loudness against the utterance's,
    so a lively, loud phrase livens the performance a little and a flat, quiet one calms it."""
    loudness = prosody.loudness()
    overall = float(loudness[prosody.speech].mean()) if prosody.speech.any() else 0.0
    per_frame = np.full(len(prosody.speech), 0.5)
    bounds = [0.0, *[a for a, _ in prosody.pauses()], prosody.duration]
    for a, b in pairwise(bounds):
        lo, hi = round(a * FRAME_RATE), round(b * FRAME_RATE)
        voiced = prosody.voiced[lo:hi]
        if voiced.sum() < 10:
            continue
        st = 12 * np.log2(prosody.f0[lo:hi][voiced])
        spread = np.percentile(st, 90) - np.percentile(st, 10)
        louder = loudness[lo:hi][prosody.speech[lo:hi]].mean() - overall
        per_frame[lo:hi] = np.clip(0.5 + (spread - 9.0) / 12 + 0.8 * louder, 0.0, 1.0)
    smooth = B.gaussian_filter1d(per_frame, 0.4 * FRAME_RATE)
    return np.interp(times, prosody.times, smooth)


def _head(
    put, rng, times, fps, loud, speaking, accents, pauses, phrase_starts, arousal, options
) -> None:
    """Head yaw, pitch, roll: posture drift, loudness-driven gesture, a new posture per phrase,
    beats on stressed syllables and a settle at phrase ends (layers in behaviour.py); the
    speech's arousal scales all of it by 0.75..1.25."""
    h, n = options.head_motion, len(times)
    lively = 0.75 + 0.5 * arousal
    gain = B.gesture_gain(B.gaussian_filter1d(loud, 0.08 * fps))
    shift = _phrase_postures(rng, times, fps, phrase_starts)
    angles = []
    for k in range(3):
        posture = B.smooth_noise(rng, n, fps, B.POSTURE_S, B.POSTURE_DEG[k])
        gesture = B.smooth_noise(rng, n, fps, B.GESTURE_S, B.GESTURE_DEG[k]) * gain
        angles.append(h * lively * (posture * (0.6 + 0.4 * speaking) + gesture + shift[k]))
    yaw, pitch, roll = angles
    for t, strength in accents:  # a beat: chin down on the stressed syllable, a touch early
        strength *= float(np.interp(t, times, lively))
        B.add_bump(pitch, times, t - 0.04, B.BEAT_S, -h * options.nod_deg * strength)
        B.add_bump(yaw, times, t, B.BEAT_S * 1.4, h * rng.normal(0, 1.2) * strength)
    for start, _end in pauses:  # phrase end: a small tilt and the head settles down
        if start > 0.5:
            B.add_bump(
                roll, times, start + 0.1, 0.8, h * rng.choice([-1, 1]) * rng.uniform(0.8, 1.8)
            )
            B.add_bump(pitch, times, start + 0.1, 0.8, -h * 1.0)
    put("headYaw", B.slew_limited(yaw, B.HEAD_STEP_LIMIT_DEG))  # fast beats, never a jump
    put("headPitch", B.slew_limited(pitch, B.HEAD_STEP_LIMIT_DEG))
    put("headRoll", B.slew_limited(roll, B.HEAD_STEP_LIMIT_DEG))


def _phrase_postures(rng, times, fps, phrase_starts) -> list[np.ndarray]:
    """(yaw, pitch, roll) offsets: a new resting posture drawn at each phrase start, reached
    over PHRASE_SHIFT_S (a larger move where a phrase begins, held through the phrase)."""
    out = []
    for k in range(3):
        steps = np.zeros_like(times)
        for start in phrase_starts:
            lo = np.searchsorted(times, start)
            steps[lo:] = rng.normal(0, B.PHRASE_SHIFT_DEG[k])
        out.append(B.gaussian_filter1d(steps, B.PHRASE_SHIFT_S * fps / 2.5))
    return out


def _face(put, rng, times, fps, accents, arousal, options) -> None:
    brows = np.zeros_like(times)
    for t, strength in accents:
        if strength > 0.5:
            B.add_bump(brows, times, t - 0.05, 0.45, 0.45 * strength)
    brows = np.minimum(brows * (0.7 + 0.6 * arousal), 0.6)  # livelier speech, livelier brows
    put("browInnerUp", brows)
    put("browOuterUpLeft", 0.6 * brows)
    put("browOuterUpRight", 0.6 * brows)
    smile = options.smile + 0.08 * (arousal - 0.5) + B.smooth_noise(rng, len(times), fps, 2.0, 0.04)
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
