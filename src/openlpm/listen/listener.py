"""The listening performance: how the character behaves while the user speaks, and when idle.

Causal and frame-synchronous (:class:`LiveListener`), so the same code serves a live microphone
and a file (:func:`listen` just runs it over the file). Calmer than speaking: the mouth stays
shut (never a false lip movement), the eyes hold contact with an occasional glance away, the
head nods shortly after each backchannel opportunity (sometimes twice, sometimes with a smile
or raised brows), blinks cluster at the speaker's pauses, and posture drifts slowly. Every slow
motion is band-limited noise, never a loop, so hours of idle never visibly repeat.
"""

from __future__ import annotations

import math

import numpy as np

from openlpm.audio.prosody import HOP, SILENCE_DB, WINDOW, _pitch
from openlpm.io.audio import Audio
from openlpm.listen import gestures
from openlpm.listen.backchannel import BackchannelDetector, Cue
from openlpm.listen.gestures import Pulse
from openlpm.listen.vad import SAMPLE_RATE, VadStream
from openlpm.motion import upper_body
from openlpm.motion.behaviour import (
    BLINK_CLOSE_S,
    BLINK_HOLD_S,
    BLINK_OPEN_S,
    MIN_BLINK_GAP_S,
    Drift,
    ease,
)
from openlpm.motion.frame import MotionTrack
from openlpm.motion.params import PARAM_INDEX, PARAMS

_I = PARAM_INDEX
# Blinks per minute, idle .. fully attentive: attention inhibits blinking, and the speaker's
# pauses add a few back (listeners' blinks cluster there: Nakano et al. 2009).
BLINKS_PER_MINUTE = (17.0, 11.0)
NOD_DELAY_S = (0.2, 0.4)  # from an opportunity to the start of the nod
CLEAR_NOD_DELAY_S = (0.05, 0.25)  # at a clear phrase end, already 0.4 s into the pause
NOD_P = 0.5  # a brief opportunity gets a nod this often; else only a face, or nothing
MIN_NOD_GAP_S = 2.0  # a nod at every brief opportunity looks like a bobblehead
# A clear phrase end (a pause this long after this much speech) is answered by a nod nearly
# always: the opportunity listeners take most reliably. A nod already made in this pause
# answers it; one made earlier in the phrase (at a comma) does not.
LONG_PAUSE_S, LONG_TALK_S, LONG_PAUSE_NOD_P = 0.4, 1.5, 0.95
SMILE_P, BROW_P = 0.3, 0.15  # the "mm" smile; a brow raise at a phrase end that did not rise
RISE_ST, RISE_BROW_P = 1.0, 0.9  # a phrase end rising (semitones; a question): brows up
NOD_SCALE = (0.9, 1.2)  # one listener nods deeper than another, for a whole session
REST_SMILE = 0.08
PAUSE_S = 0.2  # silence that ends the speaker's phrase
AVERT_EVERY_S = (5.0, 12.0)  # mean gap between glances away: idle .. fully attentive


# name, time constant (s), amplitude (degrees; face heights for body_*; Hz for breath_rate)
_DRIFTS: tuple[tuple[str, float, float], ...] = (
    ("yaw", 0.8, 0.5), ("yaw_slow", 6.0, 1.4),
    ("pitch", 0.7, 0.35), ("pitch_slow", 8.0, 0.9),
    ("roll", 1.0, 0.35), ("roll_slow", 7.0, 1.0),
    ("body_x", 8.0, 0.008), ("body_y", 10.0, 0.004),
    ("breath_rate", 4.0, 0.03), ("smile", 3.0, 0.02),
)  # fmt: skip


class LiveListener:
    """Call :meth:`step` once per video frame with what the user's audio did in that frame."""

    def __init__(self, fps: float = 25.0, seed: int = 0) -> None:
        if not 1 <= fps <= 120:
            raise ValueError(f"fps must be within 1..120, got {fps}")
        self.fps, self.dt, self.t = fps, 1.0 / fps, 0.0
        self.rng = rng = np.random.default_rng(seed)
        self.detector = BackchannelDetector(fps)
        self.drift = {name: Drift(rng, fps, tau, amp) for name, tau, amp in _DRIFTS}
        self.attention = 0.2  # 0..1: rises while the user speaks
        self.last_cue: Cue | None = None  # the opportunity heard in the last step, if any
        self.pulses: list[Pulse] = []  # the gestures under way
        self.last_nod = -math.inf  # when the latest nod starts (it may lie ahead)
        self.nod_end = -math.inf  # and when it is over
        self.pause_start = -math.inf  # when the user's current (or last) pause began
        # The listener's own trait, from a stream of its own: the idle motion of a seed stays
        # what it was.
        self.nod_scale = np.random.default_rng([seed, 1]).uniform(*NOD_SCALE)
        self.repeated_last = False  # whether the last nod had more than one cycle
        self.talked_s, self.silent_s = 0.0, math.inf
        self.phrase_s = 0.0  # speech since the last long pause
        self.tilt, self.tilt_target = 0.0, 0.0
        self.breath_phase = rng.uniform(0, 2 * math.pi)
        self.blink_start, self.next_blink = -math.inf, rng.uniform(0.5, 3.0)
        self.gaze, self.fixation, self.next_fixation = (0.0, 0.0), (0.0, 0.0), 0.0
        self.follow = (0.0, 0.0)  # the head's share of a glance away
        self.avert, self.avert_until = (0.0, 0.0), -math.inf
        self.next_avert = rng.uniform(*AVERT_EVERY_S)

    def step(self, vad_prob: float, loudness_db: float = -90.0, f0_hz: float = 0.0) -> np.ndarray:
        """(len(PARAMS),) float32 pose for this frame; the mouth channels are always 0."""
        self.t += self.dt
        self.last_cue = self.detector.step(vad_prob, f0_hz, loudness_db)
        self._hear(self.detector.speaking, loudness_db)
        if self.last_cue is not None:
            self._respond()
        out = np.zeros(len(PARAMS), np.float32)
        self._head(out)
        self._face(out)
        self._eyes(out)
        self._body(out)
        self.pulses = [p for p in self.pulses if self.t < p.end]
        return out

    def _hear(self, speaking: bool, loudness_db: float) -> None:
        if speaking:
            if self.silent_s >= 3.0:  # a new turn: lean into a fresh head tilt
                self.tilt_target = self.rng.choice([-1.0, 1.0]) * self.rng.uniform(1.0, 2.5)
            self.talked_s, self.silent_s = self.talked_s + self.dt, 0.0
            self.phrase_s += self.dt
            loud = min(max((loudness_db - SILENCE_DB) / 25.0, 0.0), 1.0)
            self.attention = ease(self.attention, 0.8 + 0.2 * loud, self.dt, 1.2)
            return
        if self.silent_s == 0.0:
            self.pause_start = self.t - self.dt
        self.silent_s += self.dt
        pause = self.silent_s - self.dt < PAUSE_S <= self.silent_s
        if pause and self.talked_s >= 1.0 and self.rng.random() < 0.35:  # blink at a phrase end
            self._blink_soon(self.rng.uniform(0.0, 0.2))
        long_pause = self.silent_s - self.dt < LONG_PAUSE_S <= self.silent_s
        if long_pause:
            if self.phrase_s >= LONG_TALK_S:
                self._answer_long_pause()
            self.phrase_s = 0.0
        if self.silent_s >= PAUSE_S:
            self.talked_s = 0.0
        self.attention = ease(self.attention, 0.2, self.dt, 6.0)

    def _respond(self) -> None:
        """A brief opportunity: now and then a nod, maybe a "mm" smile; raised brows
        when the phrase ended on a rise (a question), now and then otherwise."""
        rng, t = self.rng, self.t
        if t - self.last_nod >= MIN_NOD_GAP_S and rng.random() < NOD_P:
            self._nod(t + rng.uniform(*NOD_DELAY_S))
        if rng.random() < SMILE_P:
            self.pulses += gestures.mm_smile(rng, t + rng.uniform(0.1, 0.3))
        rising = self.detector.rise_st >= RISE_ST
        if rng.random() < (RISE_BROW_P if rising else BROW_P):
            self.pulses += gestures.brow_flash(rng, t + rng.uniform(0.05, 0.2), rising)
            if rising:  # the head cocks a little with the question
                side = rng.choice([-1.0, 1.0])
                self.pulses.append(Pulse("roll", t + 0.1, rng.uniform(0.9, 1.3), side * 2.0))

    def _answer_long_pause(self) -> None:
        """A clear phrase end: a nod, unless this pause already has one."""
        if self.last_nod >= self.pause_start or self.rng.random() >= LONG_PAUSE_NOD_P:
            return
        start = max(self.t + self.rng.uniform(*CLEAR_NOD_DELAY_S), self.nod_end)
        self._nod(start)
        if self.rng.random() < SMILE_P:
            self.pulses += gestures.mm_smile(self.rng, start + self.rng.uniform(0.0, 0.2))

    def _nod(self, start: float) -> None:
        cycles = gestures.nod(self.rng, start, self.nod_scale, self.repeated_last)
        self.repeated_last = len(cycles) > 1
        self.pulses += cycles
        if self.rng.random() < 0.2:  # people often blink with a nod
            self._blink_soon(start - self.t)
        self.last_nod, self.nod_end = start, cycles[-1].end

    def _pulse(self, channel: str) -> float:
        """The head's gestures add up (a nod's cycles overlap); the face's overlap as one:
        two "mm" smiles at once are no broader than one (and never part the lips)."""
        values = [p.at(self.t) for p in self.pulses if p.channel == channel]
        if channel in ("pitch", "roll"):
            return sum(values)
        return max(values, default=0.0)

    def _head(self, out: np.ndarray) -> None:
        d, fidget = self.drift, 1.0 - 0.4 * self.attention  # attentive: stiller
        self.tilt = ease(self.tilt, self.tilt_target * self.attention, self.dt, 1.0)
        fx, fy = self.follow
        out[_I["headYaw"]] = fidget * d["yaw"].step() + d["yaw_slow"].step() + 5.0 * fx
        out[_I["headPitch"]] = (
            fidget * d["pitch"].step() + d["pitch_slow"].step() + 3.0 * fy
            - 1.0 * self.attention + self._pulse("pitch")  # a slight lean in; the nods
        )  # fmt: skip
        out[_I["headRoll"]] = (
            fidget * d["roll"].step() + d["roll_slow"].step() + self.tilt + self._pulse("roll")
        )

    def _face(self, out: np.ndarray) -> None:
        smile = max(REST_SMILE + self.drift["smile"].step() + self._pulse("smile"), 0.0)
        out[_I["mouthSmileLeft"]] = out[_I["mouthSmileRight"]] = smile
        out[_I["cheekSquintLeft"]] = out[_I["cheekSquintRight"]] = 0.3 * smile
        out[_I["mouthPressLeft"]] = out[_I["mouthPressRight"]] = self._pulse("press")
        brows = 0.05 * self.attention + self._pulse("brow")
        out[_I["browInnerUp"]] = brows
        out[_I["browOuterUpLeft"]] = out[_I["browOuterUpRight"]] = 0.6 * brows

    def _body(self, out: np.ndarray) -> None:
        rate = 0.25 + self.drift["breath_rate"].step()  # breaths per second, wandering
        self.breath_phase += 2 * math.pi * rate * self.dt
        breath_y, shrug = upper_body.breath_pose(0.5 + 0.5 * math.sin(self.breath_phase))
        out[_I["bodyX"]] = self.drift["body_x"].step()
        out[_I["bodyY"]] = self.drift["body_y"].step() + breath_y
        out[_I["bodyShrug"]] = shrug
        out[_I["bodyLean"]] = upper_body.attentive_lean(self.attention)

    def _blink_soon(self, delay_s: float) -> None:
        earliest = self.blink_start + MIN_BLINK_GAP_S
        self.next_blink = max(earliest, min(self.next_blink, self.t + delay_s))

    def _eyes(self, out: np.ndarray) -> None:
        rng, t = self.rng, self.t
        if t >= self.next_blink:
            self.blink_start = t
            idle, attentive = BLINKS_PER_MINUTE
            rate = idle + (attentive - idle) * self.attention
            gap = rng.gamma(4.0, 60.0 / rate / 4.0)
            self.next_blink = t + max(MIN_BLINK_GAP_S, gap)
        s = t - self.blink_start
        closing = min(max(s / BLINK_CLOSE_S, 0.0), 1.0)
        opening = min(max(1 - (s - BLINK_CLOSE_S - BLINK_HOLD_S) / BLINK_OPEN_S, 0.0), 1.0)
        out[_I["eyeBlinkLeft"]] = out[_I["eyeBlinkRight"]] = min(closing, opening) ** 0.7
        x, y = self._gaze_target()
        self.gaze = (ease(self.gaze[0], x, self.dt, 0.03), ease(self.gaze[1], y, self.dt, 0.03))
        averting = t < self.avert_until
        ax, ay = self.avert if averting else (0.0, 0.0)
        self.follow = (ease(self.follow[0], ax, self.dt, 0.35),
                       ease(self.follow[1], ay, self.dt, 0.35))  # fmt: skip
        gx, gy = self.gaze
        out[_I["eyeLookOutLeft"]] = out[_I["eyeLookInRight"]] = max(gx, 0.0)
        out[_I["eyeLookInLeft"]] = out[_I["eyeLookOutRight"]] = max(-gx, 0.0)
        out[_I["eyeLookUpLeft"]] = out[_I["eyeLookUpRight"]] = max(gy, 0.0)
        out[_I["eyeLookDownLeft"]] = out[_I["eyeLookDownRight"]] = max(-gy, 0.0)

    def _gaze_target(self) -> tuple[float, float]:
        """Eye contact with small fixational shifts; now and then a glance away (sideways or
        down, as in thought), less often the more attentive the listener is."""
        rng, t = self.rng, self.t
        if t >= self.next_fixation:
            self.next_fixation = t + rng.uniform(0.6, 2.0)
            self.fixation = (rng.normal(0, 0.04), rng.normal(-0.02, 0.03))
        if t >= self.next_avert:
            self.avert_until = t + rng.uniform(0.6, 1.6) * (1.5 - self.attention)
            self.avert = (rng.choice([-1.0, 1.0]) * rng.uniform(0.2, 0.45), rng.uniform(-0.35, 0.1))
            lo, hi = AVERT_EVERY_S
            mean_gap = lo + (hi - lo) * self.attention
            self.next_avert = self.avert_until + max(2.0, rng.exponential(mean_gap))
        return self.avert if t < self.avert_until else self.fixation


class Hearing:
    """Per-video-frame features of the user's 16 kHz audio, causally: push samples as they
    arrive, get ``(vad_prob, loudness_db, f0_hz)`` for every frame they complete."""

    def __init__(self, fps: float = 25.0) -> None:
        self.fps = fps
        self.vad = VadStream()
        self.prob = 0.0  # the latest VAD probability (chunks and frames do not align)
        self.frames = 0  # frames emitted
        self.consumed = 0  # samples consumed into frames
        self.pending = np.zeros(0, np.float32)
        self.history = np.zeros(WINDOW, np.float32)  # the last WINDOW samples, for pitch

    def push(self, samples: np.ndarray) -> list[tuple[float, float, float]]:
        self.pending = np.concatenate([self.pending, np.asarray(samples, np.float32).ravel()])
        out = []
        while True:
            end = round((self.frames + 1) * SAMPLE_RATE / self.fps)  # no drift at any fps
            size = end - self.consumed
            if len(self.pending) < size:
                return out
            frame, self.pending = self.pending[:size], self.pending[size:]
            self.consumed, self.frames = end, self.frames + 1
            out.append(self._features(frame))

    def _features(self, frame: np.ndarray) -> tuple[float, float, float]:
        probs = self.vad.push(frame)
        self.prob = probs[-1] if probs else self.prob
        loudness = 10 * math.log10(float(np.mean(frame.astype(np.float64) ** 2)) + 1e-12)
        recent = np.concatenate([self.history, frame])
        self.history = recent[-WINDOW:]
        hops = max(1, len(frame) // HOP)  # pitch every 10 ms, windows ending inside the frame
        ends = len(recent) - HOP * np.arange(hops)
        windows = np.stack([recent[e - WINDOW : e] for e in ends]).astype(np.float64)
        f0 = _pitch(windows)
        voiced = f0[f0 > 0]
        speechy = loudness > SILENCE_DB and 2 * len(voiced) >= hops
        return self.prob, loudness, float(np.median(voiced)) if speechy else 0.0


def listen(user_audio: Audio, fps: float = 25.0, seed: int = 0) -> MotionTrack:
    """The listener's performance over a recording of the user: exactly what
    :class:`Hearing` + :class:`LiveListener` give when the same audio streams in live."""
    return listen_with_activity(user_audio, fps, seed)[0]


def listen_with_activity(
    user_audio: Audio, fps: float = 25.0, seed: int = 0, duration: float | None = None
) -> tuple[MotionTrack, np.ndarray]:
    """:func:`listen`, plus a (frames,) bool array: whether the listener heard the user speak
    in each frame. ``duration`` (seconds) pads the user's audio with silence (idle)."""
    samples = user_audio.resampled(SAMPLE_RATE).samples
    seconds = max(len(samples) / SAMPLE_RATE, duration or 0.0)
    n = max(1, math.ceil(seconds * fps - 1e-9))
    padded = np.pad(samples, (0, max(0, round(n * SAMPLE_RATE / fps) - len(samples))))
    listener = LiveListener(fps, seed)
    rows, heard = [], []
    for features in Hearing(fps).push(padded):
        rows.append(listener.step(*features))
        heard.append(listener.detector.speaking)
    return MotionTrack(np.stack(rows), fps), np.array(heard, bool)
