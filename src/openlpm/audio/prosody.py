"""Prosody features at 100 frames/s: loudness, pitch and voicing, pauses and pitch accents.

Pure functions of the samples (no model): fast enough for a 30-minute file and the same at
training and run time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openlpm.audio.dsp import find_peaks
from openlpm.io.audio import Audio

SAMPLE_RATE = 16000  # Hz: everything here runs at the speech models' rate
HOP = 160  # samples: 10 ms, 100 feature frames per second
WINDOW = 640  # samples: 40 ms analysis window (two periods of a 50 Hz voice)
FRAME_RATE = SAMPLE_RATE / HOP  # feature frames per second
F0_MIN, F0_MAX = 60.0, 420.0  # Hz: the pitch search range
SILENCE_DB = -45.0  # dB below full scale: quieter frames count as silence
PAUSE_MIN_S = 0.15  # a silence at least this long is a pause
_BLOCK = 2000  # feature frames analysed at once (20 s)


@dataclass(frozen=True)
class Prosody:
    rms_db: np.ndarray  # (T,) loudness per 10 ms, dB full scale
    f0: np.ndarray  # (T,) Hz, 0 where unvoiced
    voiced: np.ndarray  # (T,) bool
    speech: np.ndarray  # (T,) bool: loud enough to be speech

    @property
    def times(self) -> np.ndarray:
        return (np.arange(len(self.rms_db)) + 0.5) / FRAME_RATE

    @property
    def duration(self) -> float:
        return len(self.rms_db) / FRAME_RATE

    def loudness(self) -> np.ndarray:
        """(T,) 0 at the silence floor .. 1 at the utterance's loud speech (95th percentile)."""
        top = np.percentile(self.rms_db[self.speech], 95) if self.speech.any() else 0.0
        return np.clip((self.rms_db - SILENCE_DB) / max(top - SILENCE_DB, 1.0), 0.0, 1.0)

    def pauses(self) -> list[tuple[float, float]]:
        """(start, end) seconds of silences of at least PAUSE_MIN_S, the ends included."""
        return [
            (a / FRAME_RATE, b / FRAME_RATE)
            for a, b in _runs(~self.speech)
            if b - a >= PAUSE_MIN_S * FRAME_RATE
        ]

    def accents(self, min_gap_s: float = 0.35) -> list[tuple[float, float]]:
        """(time, strength 0..1) of pitch accents: voiced pitch peaks above the speaker's median."""
        if self.voiced.sum() < 10:
            return []
        semitones = np.zeros_like(self.f0)
        median = np.median(self.f0[self.voiced])
        semitones[self.voiced] = 12 * np.log2(self.f0[self.voiced] / median)
        prominence = np.where(self.voiced, semitones + 3 * self.loudness(), -50.0)
        peaks, heights = find_peaks(prominence, 2.5, max(1, round(min_gap_s * FRAME_RATE)))
        strength = np.clip((heights - 2.5) / 4, 0.2, 1.0)
        return [(float(i / FRAME_RATE), float(v)) for i, v in zip(peaks, strength, strict=True)]


def analyse(audio: Audio) -> Prosody:
    """Prosody of mono audio at any sample rate; memory stays small for hour-long files."""
    frames = _frames(audio)
    n = len(frames)
    rms_db = np.empty(n, np.float32)
    f0 = np.empty(n, np.float32)
    for a in range(0, n, _BLOCK):  # the FFTs need ~20 KB per frame: go a block at a time
        block = frames[a : a + _BLOCK].astype(np.float64)
        rms_db[a : a + _BLOCK] = _loudness_db(block)
        f0[a : a + _BLOCK] = _pitch(block)
    speech = _speech(rms_db)
    f0 *= speech
    return Prosody(rms_db, f0, f0 > 0, speech)


def speech_frames(audio: Audio) -> np.ndarray:
    """(T,) bool: :func:`analyse`'s ``speech``, without the pitch (most of its time)."""
    frames = _frames(audio)
    rms_db = np.empty(len(frames), np.float32)
    for a in range(0, len(frames), _BLOCK):
        rms_db[a : a + _BLOCK] = _loudness_db(frames[a : a + _BLOCK].astype(np.float64))
    return _speech(rms_db)


def _frames(audio: Audio) -> np.ndarray:
    """(T, WINDOW) analysis windows every HOP samples at SAMPLE_RATE: a view, no copy."""
    x = audio.resampled(SAMPLE_RATE).samples
    n = max(1, int(np.ceil(len(x) / HOP)))
    padded = np.pad(x, (WINDOW // 2, WINDOW // 2 + n * HOP))
    return np.lib.stride_tricks.sliding_window_view(padded, WINDOW)[::HOP][:n]


def _loudness_db(block: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.mean(block**2, axis=1) + 1e-12)


def _speech(rms_db: np.ndarray) -> np.ndarray:
    return _smooth_bool(rms_db > _silence_threshold(rms_db), 5)


def _silence_threshold(rms_db: np.ndarray) -> float:
    """Silence is quiet in absolute terms, or 10 dB under the typical level of this recording
    (a noisy room never reaches SILENCE_DB between words)."""
    floor, typical = np.percentile(rms_db, 5), np.percentile(rms_db, 50)
    return float(max(SILENCE_DB, min(floor + 10.0, typical - 10.0)))


def _pitch(frames: np.ndarray) -> np.ndarray:
    """Autocorrelation pitch per frame (Hz), 0 where the best peak is weak (unvoiced)."""
    windowed = (frames - frames.mean(1, keepdims=True)) * np.hanning(frames.shape[1])
    spectrum = np.fft.rfft(windowed, 2 * frames.shape[1], axis=1)
    ac = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, : frames.shape[1]]
    lo, hi = int(SAMPLE_RATE / F0_MAX), int(SAMPLE_RATE / F0_MIN)
    lags = ac[:, lo:hi] / np.maximum(ac[:, :1], 1e-12)
    best = lags.argmax(1)
    strength = lags[np.arange(len(lags)), best]
    f0 = SAMPLE_RATE / (best + lo)
    return np.where(strength > 0.45, f0, 0.0)


def _smooth_bool(x: np.ndarray, width: int) -> np.ndarray:
    """Close gaps shorter than ``width`` frames (stop closures inside words stay speech)."""
    out = x.copy()
    for a, b in _runs(~x):
        if b - a < width and a > 0 and b < len(x):
            out[a:b] = True
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index runs where ``mask`` is True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))
