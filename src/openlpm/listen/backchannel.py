"""Backchannel opportunities in the user's speech: the moments a listener nods or says "mm-hm".

Causal (one video frame at a time, decided from the past only), from two cues:
- a pause: at least ``pause_s`` of silence after at least ``min_speech_s`` of speech;
- low pitch (Ward and Tsukahara 2000, "Prosodic features which cue back-channel responses in
  English and Japanese"): a region below the speaker's 26th-percentile pitch lasting at least
  110 ms, at least 700 ms into a stretch of speech; a shorter pause after it is then enough.
A refractory period keeps opportunities apart (W&T use 800 ms).

It also keeps what the listener needs to choose its response: how long the speaker had been
talking before the pause (``talk_s``) and whether the phrase ended on a rise (``rise_st``, in
semitones: the last voiced stretch against the phrase's own level), as a question does.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Literal

import numpy as np

from openlpm.audio.prosody import F0_MAX, F0_MIN

Cue = Literal["pause", "low_pitch"]

_BINS_PER_OCTAVE = 24  # quarter tones: finer than anyone hears a pitch level
_N_BINS = math.ceil(_BINS_PER_OCTAVE * math.log2(F0_MAX / F0_MIN))


@dataclass(frozen=True)
class BackchannelOptions:
    pause_s: float = 0.2  # silence that ends a phrase
    min_speech_s: float = 1.0  # speech (gaps under pause_s included) a pause must follow
    low_pitch_quantile: float = 0.26  # W&T: below the speaker's 26th-percentile pitch...
    low_pitch_s: float = 0.11  # ...for at least 110 ms...
    low_pitch_speech_s: float = 0.7  # ...after at least 700 ms of speech
    low_pitch_pause_s: float = 0.1  # then this much silence is enough
    low_pitch_recent_s: float = 0.5  # if the low region ended at most this long before it
    refractory_s: float = 1.2  # between two opportunities
    vad_on: float = 0.5  # speech starts at this VAD probability (Silero's default threshold)
    vad_off: float = 0.35  # and ends under this one (hysteresis, as Silero's own iterator)
    pitch_memory_s: float = 60.0  # voiced seconds the pitch percentile remembers
    min_voiced_s: float = 1.0  # voiced speech heard before the percentile is trusted
    # Silero's probability stays high through short pauses: a frame this far (dB) under the
    # recent speech level counts as silence even so (people hear a 0.4 s gap as a pause).
    quiet_db: float = 20.0
    rise_tail_s: float = 0.3  # a phrase's final rise is measured over its last voiced 0.3 s
    rise_memory_s: float = 8.0  # against the phrase's level over at most this much voicing

    def __post_init__(self) -> None:
        if not 0 < self.low_pitch_quantile < 1:
            raise ValueError(f"low_pitch_quantile must be in (0, 1), got {self.low_pitch_quantile}")
        if not 0 <= self.vad_off <= self.vad_on <= 1:
            raise ValueError("need 0 <= vad_off <= vad_on <= 1")


class PitchLevel:
    """A running quantile of voiced pitch: a log-frequency histogram that slowly forgets."""

    def __init__(self, fps: float, memory_s: float) -> None:
        self.counts = np.zeros(_N_BINS)
        self.decay = math.exp(-1.0 / (memory_s * fps))  # per voiced frame
        self.total = 0.0  # the histogram's weight, in voiced frames

    def add(self, f0_hz: float) -> None:
        self.counts *= self.decay
        self.total = self.total * self.decay + 1.0
        self.counts[_bin(f0_hz)] += 1.0

    def quantile(self, q: float) -> float:
        """Hz below which a fraction ``q`` of the remembered pitch lies (bin resolution)."""
        k = int(np.searchsorted(np.cumsum(self.counts), q * self.counts.sum()))
        return F0_MIN * 2 ** (min(k, _N_BINS - 1) / _BINS_PER_OCTAVE)


def _bin(f0_hz: float) -> int:
    k = int(_BINS_PER_OCTAVE * math.log2(max(f0_hz, F0_MIN) / F0_MIN))
    return min(k, _N_BINS - 1)


class BackchannelDetector:
    """Call :meth:`step` once per video frame; it returns the cue when an opportunity arises."""

    def __init__(self, fps: float = 25.0, options: BackchannelOptions | None = None) -> None:
        self.fps, self.dt = fps, 1.0 / fps
        self.opt = options or BackchannelOptions()
        self.pitch = PitchLevel(fps, self.opt.pitch_memory_s)
        self.t = 0.0
        self.speaking = False
        self.talk_s = 0.0  # speech in the current stretch (short gaps do not end it)
        self.silent_s = 0.0  # silence so far
        self.low_run_s = 0.0  # the current run of low-pitch frames
        self.low_at = -math.inf  # when the last qualifying low-pitch region was heard
        self.last_fire = -math.inf
        self.level_db = -math.inf  # the recent speech level (a peak tracker)
        self.answered = False  # this pause has had its opportunity
        # semitones (re F0_MIN) of the phrase's recent voiced frames (bounded: hours are fine)
        self.phrase_f0: deque[float] = deque(maxlen=max(1, round(self.opt.rise_memory_s * fps)))
        self.rise_st = 0.0  # how far the last phrase's end rose above its level (semitones)

    def step(
        self, vad_prob: float, f0_hz: float = 0.0, loudness_db: float | None = None
    ) -> Cue | None:
        """Advance one frame with its VAD probability, pitch (Hz, 0 when unvoiced) and, if
        known, loudness (dB: quiet frames inside the VAD's speech are pauses too)."""
        self.t += self.dt
        threshold = self.opt.vad_off if self.speaking else self.opt.vad_on
        self.speaking = vad_prob >= threshold and not self._quiet(loudness_db)
        if self.speaking:
            self._speech(f0_hz)
            return None
        self.silent_s += self.dt
        self.low_run_s = 0.0
        if self.silent_s <= self.dt + 1e-9:  # the phrase just ended: did it rise?
            tail = round(self.opt.rise_tail_s * self.fps)
            self.rise_st = final_rise(list(self.phrase_f0), tail)
        return self._pause()

    def _quiet(self, loudness_db: float | None) -> bool:
        if loudness_db is None:
            return False
        decay = self.dt / 2.0  # dB per frame: the level forgets loud moments over seconds
        self.level_db = max(loudness_db, self.level_db - 20 * decay)
        return loudness_db < self.level_db - self.opt.quiet_db

    def _speech(self, f0_hz: float) -> None:
        if self.silent_s >= self.opt.pause_s:  # the last pause ended a phrase
            self.talk_s = 0.0
            self.phrase_f0.clear()
        self.silent_s, self.answered = 0.0, False
        self.talk_s += self.dt
        low = False
        if f0_hz > 0:
            self.phrase_f0.append(12 * math.log2(max(f0_hz, F0_MIN) / F0_MIN))
            ready = self.pitch.total >= self.opt.min_voiced_s * self.fps
            low = ready and f0_hz < self.pitch.quantile(self.opt.low_pitch_quantile)
            self.pitch.add(f0_hz)
        self.low_run_s = self.low_run_s + self.dt if low else 0.0
        long_enough = self.low_run_s >= self.opt.low_pitch_s - 1e-9
        if long_enough and self.talk_s >= self.opt.low_pitch_speech_s:
            self.low_at = self.t

    def _pause(self) -> Cue | None:
        if self.answered or self.t - self.last_fire < self.opt.refractory_s:
            return None
        pause_start = self.t - self.silent_s
        cue: Cue | None = None
        if pause_start - self.low_at <= self.opt.low_pitch_recent_s:
            if self.silent_s >= self.opt.low_pitch_pause_s - 1e-9:
                cue = "low_pitch"
        elif self.silent_s >= self.opt.pause_s - 1e-9 and self.talk_s >= self.opt.min_speech_s:
            cue = "pause"
        if cue is not None:
            self.last_fire, self.answered = self.t, True
        return cue


def final_rise(semitones: list[float], tail: int) -> float:
    """How far (semitones) the last ``tail`` voiced frames rise above the phrase before them:
    the median of the tail against the median of the rest (0 for a phrase too short)."""
    if tail < 1 or len(semitones) < 2 * tail:
        return 0.0
    return float(np.median(semitones[-tail:]) - np.median(semitones[:-tail]))


def opportunities(
    vad_prob: np.ndarray,
    f0_hz: np.ndarray,
    fps: float = 25.0,
    options: BackchannelOptions | None = None,
) -> list[tuple[float, Cue]]:
    """(time in seconds, cue) of every opportunity in per-frame VAD and pitch tracks; the time
    is the end of the frame that revealed it (frame ``i`` ends at ``(i + 1) / fps``)."""
    detector = BackchannelDetector(fps, options)
    found: list[tuple[float, Cue]] = []
    for i, (p, f) in enumerate(zip(vad_prob, f0_hz, strict=True)):
        cue = detector.step(float(p), float(f))
        if cue is not None:
            found.append(((i + 1) / fps, cue))
    return found
