"""Audio augmentation for training: voices (speed and vocal-tract length), breath, rooms,
microphones, codecs, noise and gain.

The teacher sees the clean audio; the student hears these versions, so it learns to follow the
mouth through other voices, rooms, microphones and noise. :func:`perturb_speed` changes the
timing, so the teacher runs on its output (data.py); the rest keep the timing. All randomness
comes from the generator passed in.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.signal import butter, fftconvolve, resample_poly, sosfilt

RATE = 16000  # Hz
SNR_DB = (5.0, 40.0)
RT60_S = (0.1, 0.6)  # reverb time: 60 dB decay
GAIN_DB = (-25.0, 6.0)
P_NOISE, P_REVERB, P_FILTER = 0.9, 0.5, 0.5  # how often each is applied
P_BREATH, P_MIC, P_CODEC = 0.5, 0.6, 0.3
SPEED = (0.85, 1.2)  # speed perturbation: pitch, formants (vocal-tract length) and rate at once
P_SPEED = 0.7
BREATH_DB = (-30.0, -12.0)  # aspiration noise against the voice: eSpeak's voices are dry
P_CLEAN = 0.06  # sessions left clean (digital silence in the pauses, as TTS at run time);
# few, or the student learns that a stop's closure is digital silence, as only TTS makes it


def augment(x: np.ndarray, babble: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A randomly degraded copy of ``x``; ``babble`` is other speech for babble noise."""
    gain = 10.0 ** (rng.uniform(*GAIN_DB) / 20.0)
    if rng.random() < P_CLEAN:
        return np.clip(x * gain, -1, 1).astype(np.float32)
    y = x.astype(np.float64)
    if rng.random() < P_BREATH:
        y = breath(y, rng)
    if rng.random() < P_REVERB:
        y = reverb(y, rng.uniform(*RT60_S), rng)
    if rng.random() < P_MIC:
        y = microphone(y, rng)
    if rng.random() < P_FILTER:
        y = band_limit(y, rng)
    if rng.random() < P_NOISE:
        y = y + noise(len(y), babble, rng) * _noise_scale(y, rng.uniform(*SNR_DB))
    y = np.clip(y * gain, -1, 1)
    if rng.random() < P_CODEC:
        y = codec(y, rng)
    return y.astype(np.float32)


def speed_factor(rng: np.random.Generator) -> float:
    """1.0 (unchanged) or a random factor in SPEED: a shorter or longer vocal tract."""
    return float(rng.uniform(*SPEED)) if rng.random() < P_SPEED else 1.0


def perturb_speed(x: np.ndarray, factor: float) -> np.ndarray:
    """Play ``x`` ``factor`` times faster (Kaldi-style speed perturbation): every frequency,
    the pitch and the formants, scales by ``factor`` and every time by 1 / factor."""
    if factor == 1.0:
        return x
    ratio = Fraction(1.0 / factor).limit_denominator(64)
    return resample_poly(x, ratio.numerator, ratio.denominator).astype(x.dtype)


def breath(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Add aspiration: high-passed noise following the voice's own envelope."""
    sos = butter(2, rng.uniform(800, 2500), "highpass", fs=RATE, output="sos")
    hiss = sosfilt(sos, rng.standard_normal(len(x)))
    frames = np.abs(x[: len(x) // 160 * 160]).reshape(-1, 160).mean(axis=1)
    envelope = np.interp(np.arange(len(x)), np.arange(len(frames)) * 160 + 80, frames)
    hiss *= envelope / max(float(np.sqrt(np.mean(hiss**2))), 1e-9)
    return x + hiss * 10.0 ** (rng.uniform(*BREATH_DB) / 20.0)


def microphone(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A microphone's colour: one to three random peaks or dips of +-10 dB."""
    y = x
    for _ in range(rng.integers(1, 4)):
        y = _peak(y, rng.uniform(150, 6000), rng.uniform(-10, 10), rng.uniform(0.7, 3.0))
    return y


def _peak(x: np.ndarray, f0: float, gain_db: float, q: float) -> np.ndarray:
    """RBJ peaking equaliser."""
    a, w = 10.0 ** (gain_db / 40.0), 2 * np.pi * f0 / RATE
    alpha = np.sin(w) / (2 * q)
    b = np.array([1 + alpha * a, -2 * np.cos(w), 1 - alpha * a])
    den = np.array([1 + alpha / a, -2 * np.cos(w), 1 - alpha / a])
    sos = np.concatenate([b / den[0], den / den[0]])[None]
    return sosfilt(sos, x)


def codec(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A telephone or a cheap codec: 8 kHz sampling, mu-law 8-bit, or coarse quantisation."""
    kind = rng.integers(3)
    if kind == 0:
        return resample_poly(resample_poly(x, 1, 2), 2, 1)[: len(x)]
    if kind == 1:
        mu = 255.0
        y = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
        y = np.round(y * 127.0) / 127.0
        return np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu
    step = 2.0 ** -rng.integers(8, 12)
    return np.round(x / step) * step


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
