"""Voice activity: the probability that someone is speaking, per 32 ms, from Silero VAD.

The model is Silero VAD 6.2.3 (MIT; ``silero_vad.onnx``, the 16 kHz half), run in numpy from its
weights as stored by ``tools/convert_silero_vad.py`` in ``assets/models/silero_vad_16k.npz``: an
onnxruntime session for it held 8-9 MB of every live process's memory for a tenth of a
millisecond of work per chunk, which numpy does as fast. Its probabilities match onnxruntime's
on the ONNX file to 1e-5 (tests/test_listen.py).
Unlike webrtcvad, it does not take white noise for speech.
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np

from openlpm.errors import OpenLPMError
from openlpm.io.audio import Audio

SAMPLE_RATE = 16000  # Hz: the model's rate
CHUNK = 512  # samples the model takes per call: 32 ms at 16 kHz
CONTEXT = 64  # samples of the previous chunk the model sees again (Silero's own wrapper does this)
CHUNK_S = CHUNK / SAMPLE_RATE  # seconds per probability
WEIGHTS = "silero_vad_16k.npz"  # in openlpm/assets/models
_STATE_SHAPE = (2, 1, 128)  # the model's recurrent state (LSTM h and c)
_HOP = 128  # the STFT's hop; its frames are 256 samples (4 per chunk with context and padding)
_PAD = 64  # reflection padding on the right of (context + chunk)


def _taps(weight: np.ndarray) -> np.ndarray:
    """(out, in, 3) Conv1d kernel as (3 * out, in): one product gives every tap's response."""
    return np.ascontiguousarray(weight.transpose(2, 0, 1).reshape(-1, weight.shape[1]))


def _conv_taps(taps: np.ndarray, bias: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Kernel-3, padding-1, stride-1 Conv1d of x (C, T) then ReLU: the taps' responses to every
    frame shifted into place (the padding's zeros add nothing)."""
    before, centre, after = (taps @ x).reshape(3, -1, x.shape[1])
    out = centre + bias
    out[:, 1:] += before[:, :-1]
    out[:, :-1] += after[:, 1:]
    return np.maximum(out, 0.0, out=out)


def _conv_matrix(weight: np.ndarray, frames: int, stride: int) -> np.ndarray:
    """Kernel-3, padding-1 Conv1d over a fixed number of frames as one matrix on frame-major
    vectors (frame 0's channels, then frame 1's...): a single product per layer."""
    out_ch, in_ch, _ = weight.shape
    count = (frames - 1) // stride + 1
    matrix = np.zeros((count * out_ch, frames * in_ch), np.float32)
    for t in range(count):
        for k in range(3):
            source = t * stride + k - 1
            if 0 <= source < frames:
                matrix[t * out_ch : (t + 1) * out_ch, source * in_ch : (source + 1) * in_ch] = (
                    weight[:, :, k]
                )
    return matrix


class SileroVad:
    """Silero VAD's 16 kHz network: (context + chunk, state) -> (speech probability, state).

    Per chunk: an FFT and ~0.4 M multiply-adds in six numpy products. The layers after the
    first see 4, 2 and 1 frames, so each is one matrix (0.3 MB in all); the first keeps its taps
    (a matrix would take 1 MB)."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        w = {name: np.asarray(value, np.float32) for name, value in weights.items()}
        # the STFT's basis (258, 256) is a periodic Hann window times the real DFT's cosines and
        # sines (tests/test_listen.py checks): its first row, the window, and an FFT do its work
        self.window = w["stft_basis"][0, 0, :]
        self.conv0 = _taps(w["conv0_w"]), w["conv0_b"][:, None]
        self.convs = [  # on 4 frames (stride 2), 2 (stride 2), 1: frame-major vectors
            (_conv_matrix(w[f"conv{i}_w"], frames, stride), np.tile(w[f"conv{i}_b"], count))
            for i, frames, stride, count in ((1, 4, 2, 2), (2, 2, 2, 1), (3, 1, 1, 1))
        ]
        # one product for the LSTM's input and recurrent weights, gates reordered from
        # PyTorch's (i, f, g, o) to (i, f, o, g): the three sigmoids in one go
        order = np.r_[0:256, 384:512, 256:384]
        self.lstm_w = np.ascontiguousarray(
            np.concatenate([w["lstm_w_ih"], w["lstm_w_hh"]], 1)[order]
        )
        self.lstm_b = (w["lstm_b_ih"] + w["lstm_b_hh"])[order]
        self.out_w, self.out_b = w["out_w"][0, :, 0], w["out_b"][0]

    def __call__(self, x: np.ndarray, state: np.ndarray) -> tuple[float, np.ndarray]:
        """x: (CONTEXT + CHUNK,) float32 samples; state: (2, 1, 128) h and c."""
        padded = np.concatenate([x, x[-2 : -2 - _PAD : -1]])  # reflection, as ONNX's Pad
        blocks = padded.reshape(-1, _HOP)  # frames of 256 at a hop of 128: pairs of blocks
        frames = np.concatenate([blocks[:-1], blocks[1:]], axis=1)  # (4, 256)
        magnitude = np.abs(np.fft.rfft(frames * self.window)).T  # (129 bins, 4 frames)
        features = _conv_taps(*self.conv0, magnitude).T.ravel()  # frame-major
        for matrix, bias in self.convs:
            features = np.maximum(matrix @ features + bias, 0.0)
        h, c = state[0, 0], state[1, 0]
        gates = self.lstm_w @ np.concatenate([features, h]) + self.lstm_b
        size = len(h)
        sig = 1.0 / (1.0 + np.exp(-gates[: 3 * size]))
        c = sig[size : 2 * size] * c + sig[:size] * np.tanh(gates[3 * size :])
        h = sig[2 * size :] * np.tanh(c)
        logit = np.maximum(h, 0.0) @ self.out_w + self.out_b  # float32, as the model's output
        return float(1.0 / (1.0 + np.exp(-logit))), np.stack([h, c])[:, None, :]


@functools.cache
def _model() -> SileroVad:
    """One model per process: its weights are read-only, a stream's state is its own."""
    path = resources.files("openlpm") / "assets" / "models" / WEIGHTS
    if not path.is_file():
        raise OpenLPMError(
            f"the package lacks {WEIGHTS}; make it with `tools/convert_silero_vad.py`"
        )
    with path.open("rb") as f, np.load(f) as stored:
        return SileroVad({name: stored[name] for name in stored.files})


class VadStream:
    """Causal VAD: push 16 kHz samples as they arrive, get one probability per full chunk."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything heard (a new, unrelated stream follows)."""
        self._state = np.zeros(_STATE_SHAPE, np.float32)
        self._context = np.zeros(CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)

    def push(self, samples: np.ndarray) -> list[float]:
        """Speech probabilities (0..1) of the chunks completed by ``samples`` (mono, 16 kHz)."""
        audio = np.concatenate([self._pending, np.asarray(samples, np.float32).ravel()])
        whole = len(audio) // CHUNK * CHUNK
        self._pending = audio[whole:].copy()
        return [self._chunk(audio[a : a + CHUNK]) for a in range(0, whole, CHUNK)]

    def _chunk(self, chunk: np.ndarray) -> float:
        prob, self._state = _model()(np.concatenate([self._context, chunk]), self._state)
        self._context = chunk[-CONTEXT:].copy()
        return prob


def speech_probability(audio: Audio | np.ndarray) -> np.ndarray:
    """(ceil(samples / CHUNK),) float32 speech probability per 32 ms chunk, the last chunk
    zero-padded. ``audio`` is an :class:`Audio` (any rate) or float samples at 16 kHz;
    probability ``i`` covers ``[i, i + 1) * CHUNK_S`` seconds."""
    samples = audio.resampled(SAMPLE_RATE).samples if isinstance(audio, Audio) else audio
    samples = np.asarray(samples, np.float32).ravel()
    padded = np.pad(samples, (0, -len(samples) % CHUNK))
    return np.asarray(VadStream().push(padded), np.float32)
