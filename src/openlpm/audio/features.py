"""Streaming log-mel features at 16 kHz: 10 ms hop, 25 ms window, level-normalised causally.

Frame ``k`` is the 25 ms window that ends at sample ``(k + 1) * HOP``: it is complete once
audio up to ``k * 10 ms + one hop`` has arrived, so a frame never waits for more than a hop.
Frames are computed one at a time (same array shapes every time), so the output is
bit-identical however the samples are chunked.

Level: every band is taken relative to a running speech level (dB), a causal tracker that
follows frames within ``GATE_DB`` of it (fast up, slow down) and holds through pauses, so a quiet
and a loud recording of the same speech give the same features after a few hundred ms.
"""

from __future__ import annotations

import math

import numpy as np

SAMPLE_RATE = 16000  # Hz
HOP = 160  # samples: 10 ms, 100 frames per second
WINDOW = 400  # samples: 25 ms
N_FFT = 512  # samples: the window zero-padded to a power of two
N_MELS = 40  # mel bands, 60 Hz .. 7.6 kHz
F_MIN, F_MAX = 60.0, 7600.0  # Hz
N_FEATURES = N_MELS + 1  # the bands and the frame energy, both relative to the level
FRAME_RATE = SAMPLE_RATE / HOP  # frames per second
MAX_PIECE = 4 * HOP  # samples: longer pushes are cut into 40 ms pieces (bounded buffers)

POWER_FLOOR = 1e-12  # mean-square power floor: -120 dB full scale (digital silence)
RANGE_DB = 70.0  # bands further below the level are clamped there, so whatever the gain, the
# weak bands and silence look the same (an absolute floor would move with the gain)
# The level tracks the loud frames of speech (vowels): it starts low so that the fast attack,
# not the slow release, finds the level of a new recording within a syllable or two.
LEVEL_INIT_DB = -45.0  # dB full scale
GATE_DB = 20.0  # frames quieter than level - GATE_DB (pauses, noise floor) leave it alone
ATTACK_S, RELEASE_S = 0.1, 2.0  # tracker time constants toward louder / quieter frames
SCALE_DB = 20.0  # features are dB / SCALE_DB: speech bands land in about -3..1


def mel_filterbank(n_mels: int = N_MELS, n_fft: int = N_FFT, rate: int = SAMPLE_RATE) -> np.ndarray:
    """(n_fft // 2 + 1, n_mels) triangular filters on the HTK mel scale, each summing to 1."""

    def mel(f: np.ndarray | float) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    edges_mel = np.linspace(mel(F_MIN), mel(F_MAX), n_mels + 2)
    edges = 700.0 * (10.0 ** (edges_mel / 2595.0) - 1.0)  # Hz
    freqs = np.arange(n_fft // 2 + 1) * rate / n_fft
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    tri = np.maximum(0.0, np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)))
    tri /= np.maximum(tri.sum(axis=1, keepdims=True), 1e-12)
    return np.ascontiguousarray(tri.T)


class LogMelStream:
    """Push 16 kHz float samples in any chunk sizes; get back the frames they completed.

    Each frame is ``N_FEATURES`` float32 values: ``N_MELS`` log-mel bands then the log energy,
    in units of ``SCALE_DB`` dB relative to the running speech level. ``energy_db`` of the
    frames (absolute, dB full scale) comes back alongside, for loudness-driven behaviour.
    Memory is fixed: one window of samples and a few scalars.
    """

    def __init__(self) -> None:
        self._fb = mel_filterbank().astype(np.float64)
        self._window = np.hanning(WINDOW + 2)[1:-1]  # periodic-ish Hann without zero ends
        # Samples waiting to become frames; starts with the history before t = 0 (silence).
        self._buf = np.zeros(WINDOW + MAX_PIECE, np.float64)
        self._fill = WINDOW - HOP
        self.level_db = LEVEL_INIT_DB
        self.frames_done = 0
        self._attack = 1.0 - math.exp(-1.0 / (ATTACK_S * FRAME_RATE))
        self._release = 1.0 - math.exp(-1.0 / (RELEASE_S * FRAME_RATE))

    @property
    def state_nbytes(self) -> int:
        return int(self._buf.nbytes + self._fb.nbytes + self._window.nbytes)

    def push(self, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(features (n, N_FEATURES) float32, energy_db (n,) float32) of the completed frames."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        feats: list[np.ndarray] = []
        energies: list[float] = []
        for start in range(0, len(x), MAX_PIECE):
            piece = x[start : start + MAX_PIECE]
            self._buf[self._fill : self._fill + len(piece)] = piece
            self._fill += len(piece)
            while self._fill >= WINDOW:
                f, e = self._frame(self._buf[:WINDOW])
                feats.append(f)
                energies.append(e)
                self._buf[: self._fill - HOP] = self._buf[HOP : self._fill]
                self._fill -= HOP
        if not feats:
            return np.zeros((0, N_FEATURES), np.float32), np.zeros(0, np.float32)
        return np.stack(feats), np.asarray(energies, np.float32)

    def _frame(self, frame: np.ndarray) -> tuple[np.ndarray, float]:
        spectrum = np.fft.rfft(frame * self._window, N_FFT)
        power = (spectrum.real**2 + spectrum.imag**2) / (WINDOW * WINDOW / 4)  # fixed scale
        bands_db = 10.0 * np.log10(power @ self._fb + POWER_FLOOR)
        energy_db = 10.0 * math.log10(float(np.mean(frame * frame)) + POWER_FLOOR)
        self._track(energy_db)
        out = np.empty(N_FEATURES, np.float32)
        out[:N_MELS] = np.maximum(bands_db - self.level_db, -RANGE_DB) / SCALE_DB
        out[N_MELS] = max(energy_db - self.level_db, -RANGE_DB) / SCALE_DB
        self.frames_done += 1
        return out, energy_db

    def _track(self, energy_db: float) -> None:
        """Follow speech-like frames; pauses and the noise floor below the gate are ignored."""
        if energy_db < self.level_db - GATE_DB:
            return
        rate = self._attack if energy_db > self.level_db else self._release
        self.level_db += rate * (energy_db - self.level_db)


def log_mel(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Features and energies of a whole 16 kHz signal (a fresh stream; frames it completes)."""
    return LogMelStream().push(samples)
