"""Causal non-verbal behaviour for the streaming path: one frame at a time, bounded state.

The same repertoire as the offline passes in behaviour.py (blinks, gaze, head drift, nods on
accents, tilts at phrase ends, brows, breathing, a resting smile), decided from the past only:
an accent is a loudness-and-pitch peak the moment it is heard, a pause is a stretch of silence
as it happens. State is a handful of floats and a random generator, whatever the session length.
"""

from __future__ import annotations

import math

import numpy as np

from openlpm.audio.prosody import PAUSE_MIN_S, SILENCE_DB
from openlpm.motion import upper_body
from openlpm.motion.behaviour import (
    BEAT_S,
    BLINK_CLOSE_S,
    BLINK_HOLD_S,
    BLINK_OPEN_S,
    BLINKS_PER_MINUTE,
    GESTURE_DEG,
    GESTURE_S,
    HEAD_STEP_LIMIT_DEG,
    MIN_BLINK_GAP_S,
    PHRASE_SHIFT_DEG,
    PHRASE_SHIFT_S,
    POSTURE_DEG,
    POSTURE_S,
    Drift,
    ease,
    gesture_gain,
)
from openlpm.motion.params import PARAM_INDEX, PARAMS

_I = PARAM_INDEX
LOUD_RANGE_DB = 35.0  # loudness 0..1 over this range above the silence floor


class LiveBehaviour:
    """Call :meth:`step` once per video frame with what was heard in that frame."""

    def __init__(self, fps: float = 25.0, seed: int = 0) -> None:
        self.fps = fps
        self.rng = np.random.default_rng(seed)
        self.t = 0.0
        # The Base model's layers (behaviour.py): posture, loudness-driven gesture, and a new
        # posture per phrase, eased in over two cascaded stages (no velocity jump).
        self.posture = [Drift(self.rng, fps, POSTURE_S, a) for a in POSTURE_DEG]
        self.gesture = [Drift(self.rng, fps, GESTURE_S, a) for a in GESTURE_DEG]
        self.shift_target = [0.0, 0.0, 0.0]
        self.shift_mid = [0.0, 0.0, 0.0]
        self.shift = [0.0, 0.0, 0.0]
        self.loud = 0.0  # smoothed 0..1 loudness of the own voice
        self.head: list[float] | None = None  # the last yaw, pitch, roll sent
        self.smile = Drift(self.rng, fps, 2.0, 0.04)
        self.breath_phase = self.rng.uniform(0, 2 * math.pi)
        self.speaking = 0.0  # smoothed 0..1
        self.silent_for = 0.0  # seconds of silence so far
        self.level = -30.0  # running loudness (dB) of recent speech, for accent detection
        self.next_blink = self.rng.uniform(0.5, 2.5)
        self.blink_start = -10.0
        self.nod_start, self.nod_strength, self.nod_yaw = -10.0, 0.0, 0.0
        self.tilt_start, self.tilt_sign = -10.0, 1.0
        self.gaze_until, self.gaze = 0.0, (0.0, 0.0)
        self.glance_start, self.glance = -10.0, (0.0, 0.0)

    def step(self, loudness_db: float, speaking: bool) -> np.ndarray:
        """(len(PARAMS),) float32 with every non-mouth channel set; mouth channels are 0."""
        dt = 1.0 / self.fps
        self.t += dt
        self._hear(loudness_db, speaking, dt)
        out = np.zeros(len(PARAMS), np.float32)
        self._head(out)
        self._eyes(out)
        smile = 0.12 + self.smile.step()
        out[_I["mouthSmileLeft"]] = out[_I["mouthSmileRight"]] = max(smile, 0.0)
        out[_I["cheekSquintLeft"]] = out[_I["cheekSquintRight"]] = max(0.3 * smile, 0.0)
        self.breath_phase += 2 * math.pi * 0.25 * dt
        breath_y, shrug = upper_body.breath_pose(0.5 + 0.5 * math.sin(self.breath_phase))
        out[_I["bodyY"]], out[_I["bodyShrug"]] = breath_y, shrug
        return out

    def _hear(self, loudness_db: float, speaking: bool, dt: float) -> None:
        self.speaking = ease(self.speaking, float(speaking), dt, 0.3)
        level = min(max((loudness_db - SILENCE_DB) / LOUD_RANGE_DB, 0.0), 1.0) if speaking else 0.0
        self.loud = ease(self.loud, level, dt, 0.08)
        if speaking:
            if self.silent_for >= 0.4:  # a phrase starts: a new posture, maybe a glance away
                self.shift_target = [float(self.rng.normal(0, a)) for a in PHRASE_SHIFT_DEG]
                if self.rng.random() < 0.5:
                    self.glance_start = self.t
                    self.glance = (
                        self.rng.choice([-1, 1]) * self.rng.uniform(0.25, 0.45),
                        self.rng.uniform(0.1, 0.3),
                    )
            self.silent_for = 0.0
            peak = loudness_db - self.level
            self.level = ease(self.level, loudness_db, dt, 1.5)
            if peak > 6.0 and self.t - self.nod_start > 0.6:  # a stressed syllable: nod
                self.nod_start, self.nod_strength = self.t, min(1.0, (peak - 6.0) / 6.0 + 0.3)
                self.nod_yaw = float(self.rng.normal(0, 1.2))
        else:
            self.silent_for += dt
            pause_starts = self.silent_for - dt < PAUSE_MIN_S <= self.silent_for
            if pause_starts and self.t - self.tilt_start > 2.0:  # a phrase ended
                self.tilt_start, self.tilt_sign = self.t, float(self.rng.choice([-1, 1]))
                blinked_lately = self.t - self.blink_start < MIN_BLINK_GAP_S
                if self.rng.random() < 0.6 and not blinked_lately:  # blink at the boundary
                    self.next_blink = min(self.next_blink, self.t + self.rng.uniform(0.0, 0.2))

    def _head(self, out: np.ndarray) -> None:
        dt, scale, gain = 1.0 / self.fps, 0.6 + 0.4 * self.speaking, gesture_gain(self.loud)
        angles = []
        for k in range(3):
            self.shift_mid[k] = ease(
                self.shift_mid[k], self.shift_target[k], dt, PHRASE_SHIFT_S / 3
            )
            self.shift[k] = ease(self.shift[k], self.shift_mid[k], dt, PHRASE_SHIFT_S / 3)
            angles.append(
                self.posture[k].step() * scale + self.gesture[k].step() * gain + self.shift[k]
            )
        # a beat rises from 0 when the stressed syllable is heard
        nod = self.nod_strength * _bump(self.t - self.nod_start - BEAT_S / 2, BEAT_S)
        tilt = _bump(self.t - self.tilt_start - 0.4, 0.8)
        wanted = (
            angles[0] + self.nod_yaw * nod,
            angles[1] - 4.5 * nod - 1.0 * tilt,
            angles[2] + 1.3 * self.tilt_sign * tilt,
        )
        self.head = self.head or list(wanted)  # the first frame starts where the model is
        for k, name in enumerate(("headYaw", "headPitch", "headRoll")):  # never a jump
            step = min(max(wanted[k] - self.head[k], -HEAD_STEP_LIMIT_DEG), HEAD_STEP_LIMIT_DEG)
            self.head[k] += step
            out[_I[name]] = self.head[k]
        brows = 0.45 * nod if self.nod_strength > 0.5 else 0.0
        out[_I["browInnerUp"]] = brows
        out[_I["browOuterUpLeft"]] = out[_I["browOuterUpRight"]] = 0.6 * brows

    def _eyes(self, out: np.ndarray) -> None:
        if self.t >= self.next_blink:
            self.blink_start = self.t
            gap = self.rng.gamma(4.0, 60.0 / BLINKS_PER_MINUTE / 4.0)
            self.next_blink = self.t + max(MIN_BLINK_GAP_S, gap)
        s = self.t - self.blink_start
        closing = min(max(s / BLINK_CLOSE_S, 0.0), 1.0)
        opening = min(max(1 - (s - BLINK_CLOSE_S - BLINK_HOLD_S) / BLINK_OPEN_S, 0.0), 1.0)
        out[_I["eyeBlinkLeft"]] = out[_I["eyeBlinkRight"]] = min(closing, opening) ** 0.7
        if self.t >= self.gaze_until:
            self.gaze_until = self.t + self.rng.uniform(0.8, 2.5)
            self.gaze = (self.rng.normal(0, 0.08), self.rng.normal(0, 0.05))
        g = _bump(self.t - self.glance_start - 0.45, 0.9)
        x, y = self.gaze[0] + g * self.glance[0], self.gaze[1] + g * self.glance[1]
        out[_I["eyeLookOutLeft"]] = out[_I["eyeLookInRight"]] = max(x, 0.0)
        out[_I["eyeLookInLeft"]] = out[_I["eyeLookOutRight"]] = max(-x, 0.0)
        out[_I["eyeLookUpLeft"]] = out[_I["eyeLookUpRight"]] = max(y, 0.0)
        out[_I["eyeLookDownLeft"]] = out[_I["eyeLookDownRight"]] = max(-y, 0.0)


def _bump(t: float, width: float) -> float:
    """A 0..1..0 Hann pulse of total width ``width`` centred on t = 0."""
    x = t / width + 0.5
    return math.sin(math.pi * x) ** 2 if 0 < x < 1 else 0.0
