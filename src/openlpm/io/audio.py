"""Audio loading (any format FFmpeg decodes) and 16-bit WAV writing."""

from __future__ import annotations

import os
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from openlpm.errors import AudioError
from openlpm.io.atomic import atomic_path

if TYPE_CHECKING:  # PyAV is imported where a file is decoded: a live session loads no libav
    import av


@dataclass(frozen=True, eq=False)
class Audio:
    """Mono float32 samples in [-1, 1] at ``sample_rate`` Hz."""

    samples: np.ndarray
    sample_rate: int

    def __post_init__(self) -> None:
        if self.samples.ndim != 1 or self.samples.dtype != np.float32:
            raise ValueError(
                f"Audio samples must be 1-D float32, got {self.samples.dtype} {self.samples.shape}"
            )
        if self.sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {self.sample_rate}")

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.sample_rate

    def resampled(self, sample_rate: int) -> Audio:
        """The same sound at another rate (polyphase filter: no aliasing)."""
        if sample_rate == self.sample_rate:
            return self
        from math import gcd

        from openlpm.audio.dsp import resample_poly  # scipy's, without importing scipy.signal

        g = gcd(sample_rate, self.sample_rate)
        out = resample_poly(self.samples, sample_rate // g, self.sample_rate // g)
        return Audio(np.clip(out, -1, 1).astype(np.float32), sample_rate)


def load_audio(path: str | os.PathLike[str], sample_rate: int | None = 16000) -> Audio:
    """Decode the first audio stream of any file FFmpeg reads, mixed to mono.

    ``sample_rate=None`` keeps the file's own rate. Raises :class:`AudioError` for a missing
    file, a file FFmpeg cannot decode, or one without an audio stream. A stream with no samples
    gives an empty :class:`Audio`.
    """
    if sample_rate is not None and sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive or None, got {sample_rate}")
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"audio file not found: {path}; check the path")
    if path.stat().st_size == 0:
        raise AudioError(f"{path.name} is empty (0 bytes); give a WAV, MP3, OGG or M4A file")
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioError(f"{path.name} has no audio stream; give a file with sound")
            stream = container.streams.audio[0]
            rate = sample_rate or stream.codec_context.sample_rate
            chunks = _decode_mono(container, stream, rate)
    except av.FFmpegError as e:
        raise AudioError(
            f"cannot decode {path.name} as audio ({e.strerror or e}); "
            "give a WAV, MP3, OGG or M4A file"
        ) from e
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return Audio(np.clip(samples, -1.0, 1.0).astype(np.float32, copy=False), int(rate))


def _decode_mono(
    container: av.container.InputContainer, stream: av.AudioStream, rate: int
) -> list[np.ndarray]:
    """Resample every frame to planar float at ``rate`` and average the channels.

    The channels are averaged here rather than by asking FFmpeg for a mono layout: its float
    down-mix weights stereo by 1/sqrt(2) each, which can exceed [-1, 1]; a plain mean cannot.
    """
    import av

    resampler = av.AudioResampler(format="fltp", rate=rate)
    chunks: list[np.ndarray] = []
    for frame in container.decode(stream):
        chunks.extend(_planes_mean(f) for f in resampler.resample(frame))
    chunks.extend(_planes_mean(f) for f in resampler.resample(None))
    return [c for c in chunks if c.size]


def _planes_mean(frame: av.AudioFrame) -> np.ndarray:
    planes = frame.to_ndarray()  # (channels, samples) for a planar format
    return (
        planes.mean(axis=0, dtype=np.float32)
        if planes.shape[0] > 1
        else planes[0].astype(np.float32)
    )


def write_wav(path: str | os.PathLike[str], audio: Audio) -> None:
    """Write 16-bit PCM mono WAV atomically (samples clipped to [-1, 1])."""
    pcm = np.round(np.clip(audio.samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with atomic_path(path) as tmp, wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(audio.sample_rate)
        out.writeframes(pcm.tobytes())


def mix_audio(tracks: list[Audio]) -> Audio:
    """The sum of ``tracks`` from time 0, at the highest of their rates, as long as the longest;
    scaled down only where needed so the sum never clips."""
    if not tracks:
        raise ValueError("mix_audio needs at least one track")
    rate = max(t.sample_rate for t in tracks)
    parts = [t.resampled(rate).samples for t in tracks]
    out = np.zeros(max(len(p) for p in parts), np.float32)
    for part in parts:
        out[: len(part)] += part
    peak = float(np.abs(out).max(initial=0.0))
    if peak > 1.0:
        out /= peak
    return Audio(out, rate)
