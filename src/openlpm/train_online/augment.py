"""Audio augmentation for training: noise at a random SNR, synthetic reverb, gain, filters.

The teacher sees the clean audio; the student hears these versions, so it learns to follow the
mouth through rooms, microphones and noise. All randomness comes from the generator passed in.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, fftconvolve, sosfilt

RATE = 16000  # Hz
SNR_DB = (5.0, 40.0)
RT60_S = (0.1, 0.6)  # reverb time: 60 dB decay
GAIN_DB = (-25.0, 6.0)
P_NOISE, P_REVERB, P_FILTER = 0.9, 0.5, 0.5  # how often each is applied
P_CLEAN = 0.06  # sessions left clean (digital silence in the pauses, as TTS at run time);
# few, or the student learns that a stop's closure is digital silence, as only TTS makes it


def augment(x: np.ndarray, babble: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A randomly degraded copy of ``x``; ``babble`` is other speech for babble noise."""
    gain = 10.0 ** (rng.uniform(*GAIN_DB) / 20.0)
    if rng.random() < P_CLEAN:
        return np.clip(x * gain, -1, 1).astype(np.float32)
    y = x.astype(np.float64)
    if rng.random() < P_REVERB:
        y = reverb(y, rng.uniform(*RT60_S), rng)
    if rng.random() < P_FILTER:
        y = band_limit(y, rng)
    if rng.random() < P_NOISE:
        y = y + noise(len(y), babble, rng) * _noise_scale(y, rng.uniform(*SNR_DB))
    return np.clip(y * gain, -1, 1).astype(np.float32)


def reverb(x: np.ndarray, rt60: float, rng: np.random.Generator) -> np.ndarray:
    """Convolve with an exponentially decaying noise tail after a direct path."""
    n = int(rt60 * RATE)
    t = np.arange(n) / RATE
    ir = rng.standard_normal(n) * 10.0 ** (-3.0 * t / rt60)  # -60 dB at rt60
    ir[: int(0.002 * RATE)] = 0.0  # the first reflection arrives a couple of ms late
    ir *= rng.uniform(0.3, 1.0) / np.sqrt(np.sum(ir**2))  # reverberant energy vs direct
    ir[0] = 1.0
    y = fftconvolve(x, ir)[: len(x)]
    return y * np.sqrt(np.sum(x**2) / max(np.sum(y**2), 1e-12))


def band_limit(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random telephone-ish low-pass or a bass-cutting high-pass."""
    if rng.random() < 0.5:
        sos = butter(4, rng.uniform(2500, 7000), "lowpass", fs=RATE, output="sos")
    else:
        sos = butter(2, rng.uniform(80, 400), "highpass", fs=RATE, output="sos")
    return sosfilt(sos, x)


def noise(n: int, babble: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n,) unit-RMS noise: white, pink, or babble (several shifted copies of other speech)."""
    kind = rng.integers(3)
    if kind == 0:
        out = rng.standard_normal(n)
    elif kind == 1:
        spectrum = np.fft.rfft(rng.standard_normal(n))
        spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1.0))  # 1/f power
        out = np.fft.irfft(spectrum, n)
    else:
        out = np.zeros(n)
        for _ in range(rng.integers(3, 7)):
            out += np.roll(np.resize(babble, n), rng.integers(n)) * rng.uniform(0.5, 1.0)
    return out / max(float(np.sqrt(np.mean(out**2))), 1e-9)


def _noise_scale(speech: np.ndarray, snr_db: float) -> float:
    """Noise RMS for ``snr_db`` against the speech's active (loud) frames."""
    frames = speech[: len(speech) // 160 * 160].reshape(-1, 160)
    power = np.mean(frames**2, axis=1)
    active = power[power > 0.01 * power.max()] if power.size else np.ones(1)
    return float(np.sqrt(np.mean(active)) * 10.0 ** (-snr_db / 20.0))
