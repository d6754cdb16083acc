"""Helpers shared by tests: write audio files in any format (tests must make their inputs)."""

from __future__ import annotations

import wave
from pathlib import Path

import av
import numpy as np


def encode_audio(path: Path, codec: str, planes: np.ndarray, rate: int, fmt: str = "fltp") -> None:
    """Encode (channels, samples) float audio with PyAV, in 1024-sample frames with exact pts."""
    layout = "mono" if planes.shape[0] == 1 else "stereo"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = layout
        for start in range(0, planes.shape[1], 1024):
            chunk = planes[:, start : start + 1024]
            data = chunk.astype(np.float32) if fmt == "fltp" else chunk.T.reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(data), format=fmt, layout=layout
            )
            frame.sample_rate, frame.pts = rate, start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def write_pcm_wav(
    path: Path, samples: np.ndarray, rate: int, width: int, channels: int = 1
) -> None:
    """Integer PCM WAV of 1 to 4 bytes per sample through the stdlib (8-bit WAV is unsigned)."""
    peak = 2 ** (8 * width - 1) - 1
    ints = np.round(samples * peak).astype(np.int64)
    if width == 1:
        ints += 128
    raw = b"".join(int(v).to_bytes(width, "little", signed=width > 1) for v in ints.ravel())
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(raw)
