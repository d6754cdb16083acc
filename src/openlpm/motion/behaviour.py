"""Non-verbal behaviour: blinks, gaze, head motion, brows, breathing and a resting smile.

Pure functions of a timeline (pauses, pitch accents, speaking activity) and a seeded random
generator, so the same seed gives the same performance. Noise is band-limited (Gaussian-filtered
white noise), so motion is smooth and never loops.
"""

from __future__ import annotations

import math

import numpy as np

from openlpm.motion.smoothing import gaussian_filter1d

BLINKS_PER_MINUTE = 20.0  # people blink 15-30 times a minute in conversation
MIN_BLINK_GAP_S = 1.2
BLINK_CLOSE_S, BLINK_HOLD_S, BLINK_OPEN_S = 0.07, 0.04, 0.13


def ease(value: float, target: float, dt: float, time_s: float) -> float:
    """One step of ``dt`` seconds of a first-order approach of ``value`` to ``target`` with
    time constant ``time_s``: the smoothing every causal, frame-by-frame behaviour uses."""
    return value + (1 - math.exp(-dt / time_s)) * (target - value)


# Speaking head motion, fitted to Open LPM-Bench's human reference (the data's four real
# talking-head videos measured from their pixels: yaw std 0.7-8.4 (mean 4.2), pitch std
# 1.4-4.7 (3.7) degrees, head speed 7-30 (20) degrees/s): three layers per angle (yaw, pitch,
# roll), in degrees of the commanded curve. Renders measure about two thirds of the command
# (the fold bound of character/fold.py keeps turns from tearing, and shrinks them): with the
# yaw and pitch layers a third larger than the video figures, Base measures yaw / pitch std
# 3.8 / 3.4 degrees and the live model 5.0 / 3.7 (before: 2.8 / 2.4 and 3.7 / 2.6, half a
# real speaker's pitch); beats are left as they were, nods per minute already match.
# - posture: a slow wander (time scale POSTURE_S), always there;
# - gesture: faster movement (GESTURE_S) that swells with the voice's loudness, so the head
#   moves while words come and is nearly still in pauses;
# - phrase shift: a new resting posture taken at the start of each phrase (after a pause).
# Beats (a chin-down dip on each stressed syllable) and a settle at phrase ends come on top.
POSTURE_DEG = (6.5, 4.4, 2.4)
POSTURE_S = 1.2
GESTURE_DEG = (5.5, 5.2, 2.4)
GESTURE_S = 0.2
PHRASE_SHIFT_DEG = (5.2, 3.6, 2.0)
PHRASE_SHIFT_S = 0.35  # how long the head takes to reach the new posture
BEAT_S = 0.32  # width of a beat's down-and-up
PAUSE_STILLNESS = 0.25  # share of the gesture layer left in a pause


HEAD_STEP_LIMIT_DEG = 2.5  # the most a head angle moves in one frame (25 fps): fast, not a jump


def slew_limited(x: np.ndarray, limit: float) -> np.ndarray:
    """``x`` following itself with steps of at most ``limit`` per frame (catching up after)."""
    out = np.array(x, dtype=np.float64, copy=True)
    for i in range(1, len(out)):
        out[i] = out[i - 1] + min(max(out[i] - out[i - 1], -limit), limit)
    return out


def gesture_gain(loudness: np.ndarray | float) -> np.ndarray | float:
    """Scale of the gesture layer for a 0..1 loudness: still in pauses, full on loud words."""
    return PAUSE_STILLNESS + (1 - PAUSE_STILLNESS) * np.sqrt(np.clip(loudness, 0.0, 1.0))


class Drift:
    """Band-limited noise, one sample per step: unit white noise through two one-pole
    low-passes (time constant ``time_s``), scaled to standard deviation ``amplitude``."""

    def __init__(
        self, rng: np.random.Generator, fps: float, time_s: float, amplitude: float
    ) -> None:
        self.rng, self.a = rng, math.exp(-1.0 / max(time_s * fps, 1.0))
        a = self.a
        variance = (1 - a) ** 4 * (1 + a * a) / (1 - a * a) ** 3  # of the cascade, unit input
        self.gain = amplitude / math.sqrt(variance)
        self.x = self.y = 0.0
        for _ in range(int(4 * time_s * fps)):  # start in the stationary state, not frozen at 0
            self.step()

    def step(self) -> float:
        self.x = self.a * self.x + (1 - self.a) * self.rng.standard_normal()
        self.y = self.a * self.y + (1 - self.a) * self.x
        return self.y * self.gain


def smooth_noise(
    rng: np.random.Generator, n: int, fps: float, sigma_s: float, amplitude: float
) -> np.ndarray:
    """(n,) band-limited noise with standard deviation about ``amplitude``."""
    if n == 0:
        return np.zeros(0)
    sigma = max(sigma_s * fps, 0.5)
    pad = int(4 * sigma)
    x = gaussian_filter1d(rng.standard_normal(n + 2 * pad), sigma)[pad : pad + n]
    return x * (amplitude / (np.sqrt(1 / (2 * np.sqrt(np.pi) * sigma)) + 1e-12))


def bump(times: np.ndarray, centre: float, width_s: float) -> np.ndarray:
    """A smooth 0..1..0 pulse (Hann window) of total width ``width_s`` centred at ``centre``."""
    x = np.clip((times - centre) / width_s + 0.5, 0, 1)
    return np.sin(np.pi * x) ** 2


def add_bump(
    curve: np.ndarray, times: np.ndarray, centre: float, width_s: float, amount: float
) -> None:
    """curve += amount * bump, touching only the frames the pulse covers (long files stay fast)."""
    lo, hi = np.searchsorted(times, [centre - width_s / 2, centre + width_s / 2])
    curve[lo:hi] += amount * bump(times[lo:hi], centre, width_s)


def blink_times(
    rng: np.random.Generator, duration: float, pauses: list[tuple[float, float]]
) -> list[float]:
    """Blink onsets: some right after pause onsets (people blink at phrase boundaries), the rest
    a gamma-distributed process filling in to about BLINKS_PER_MINUTE."""
    chosen = [start + rng.uniform(0.0, 0.2) for start, _ in pauses if rng.random() < 0.6]
    t = rng.uniform(0.3, 2.5)
    mean_gap = 60.0 / BLINKS_PER_MINUTE
    while t < duration:
        chosen.append(t)
        t += max(MIN_BLINK_GAP_S, rng.gamma(4.0, mean_gap / 4.0))
    kept: list[float] = []
    for onset in sorted(chosen):
        if onset < duration - 0.25 and (not kept or onset - kept[-1] >= MIN_BLINK_GAP_S):
            kept.append(onset)
    return kept


def blink_curve(times: np.ndarray, onsets: list[float], fps: float) -> np.ndarray:
    """eyeBlink weight: fast close, brief hold at 1 on a whole frame, slower open."""
    out = np.zeros_like(times)
    for onset in onsets:
        shut = np.ceil((onset + BLINK_CLOSE_S) * fps) / fps  # the lids are fully shut on a frame
        lo, hi = np.searchsorted(times, [shut - BLINK_CLOSE_S, shut + BLINK_HOLD_S + BLINK_OPEN_S])
        t = times[lo:hi]
        closing = np.clip((t - (shut - BLINK_CLOSE_S)) / BLINK_CLOSE_S, 0, 1)
        opening = np.clip(1 - (t - (shut + BLINK_HOLD_S)) / BLINK_OPEN_S, 0, 1)
        out[lo:hi] = np.maximum(out[lo:hi], np.minimum(closing, opening) ** 0.7)
    return out


def gaze(
    rng: np.random.Generator, times: np.ndarray, fps: float, phrase_starts: list[float]
) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) gaze in -1..1 (x + toward the character's left, y + up): eye contact with small
    saccades held for a second or two, and a glance away when a phrase starts after a pause."""
    n = len(times)
    x, y = np.zeros(n), np.zeros(n)
    t, end = 0.0, (times[-1] if n else 0.0)
    while t < end:
        hold = rng.uniform(0.8, 2.5)
        lo, hi = np.searchsorted(times, [t, t + hold])
        x[lo:hi], y[lo:hi] = rng.normal(0, 0.08), rng.normal(0, 0.05)
        t += hold
    for start in phrase_starts:
        if rng.random() < 0.5:
            width = rng.uniform(0.6, 1.1)
            add_bump(x, times, start + 0.25, width, rng.choice([-1, 1]) * rng.uniform(0.25, 0.45))
            add_bump(y, times, start + 0.25, width, rng.uniform(0.1, 0.3))
    # Saccades are fast but not instant: one frame of smoothing.
    return gaussian_filter1d(x, 0.6), gaussian_filter1d(y, 0.6)


def breathing(rng: np.random.Generator, times: np.ndarray, fps: float) -> np.ndarray:
    """The inhale in [0, 1] (1: lungs full): a slow breath (about 15 a minute) with a
    wandering rate; motion.upper_body turns it into the chest and shoulders' pose."""
    rate = 0.25 + smooth_noise(rng, len(times), fps, 3.0, 0.04)  # breaths per second
    phase = 2 * np.pi * np.cumsum(rate) / fps + rng.uniform(0, 2 * np.pi)
    return 0.5 + 0.5 * np.sin(phase)
