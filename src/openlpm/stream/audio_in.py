"""Audio into a session: PCM bytes checked and decoded, resampled as a stream, buffered.

Every push is validated here (the one place a bad chunk is refused, with a message that says
what was wrong). Resampling is streaming (resample_poly's filter, polyphase, in numpy, so a
live session loads no libav): chunks of any size join without clicks, and the filter's delay
(10 samples at the lower rate: 0.6 ms at 16 kHz) is the only latency it adds.
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np

from openlpm.audio.dsp import PolyphaseStream
from openlpm.errors import StreamInputError
from openlpm.stream.options import MAX_INPUT_RATE

QUEUED_AHEAD_S = 0.5  # input that waited longer was queued ahead of time, not delayed


def decode_pcm16(data: object, sample_rate: object, max_bytes: int) -> np.ndarray:
    """Mono signed 16-bit little-endian PCM bytes -> float32 samples in [-1, 1)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise StreamInputError(
            f"audio must be bytes of mono 16-bit PCM, got {type(data).__name__}; "
            "convert numpy samples with (x * 32767).astype('<i2').tobytes()"
        )
    check_rate(sample_rate)
    raw = memoryview(data).cast("B")
    if len(raw) % 2:
        raise StreamInputError(
            f"audio is {len(raw)} bytes, an odd count: 16-bit PCM has 2 bytes per sample"
        )
    if len(raw) > max_bytes:
        raise StreamInputError(f"one audio chunk may be at most {max_bytes} bytes, got {len(raw)}")
    return np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0


def check_samples(samples: object, sample_rate: object) -> np.ndarray:
    """Float samples (any float array, mono) -> 1-D float32 clipped to [-1, 1]."""
    check_rate(sample_rate)
    x = np.asarray(samples)
    if x.ndim != 1 or x.dtype.kind != "f":
        raise StreamInputError(f"samples must be 1-D float (mono), got {x.dtype} {x.shape}")
    if not np.isfinite(x).all():
        raise StreamInputError("samples contain NaN or infinity")
    return np.clip(x.astype(np.float32), -1.0, 1.0)


def check_text(
    text: object, words: object
) -> tuple[str | None, list[tuple[str, float, float]] | None]:
    """The words spoken in a push: text (a str with a word in it, or None) and optional word
    timestamps [(word, start s, end s), ...] from the push's start."""
    if text is not None and (not isinstance(text, str) or not text.strip()):
        raise StreamInputError(
            f"text must be the words spoken (a non-empty string) or None, got {text!r}"
        )
    if words is None:
        return text, None
    if text is None:
        raise StreamInputError("words (timestamps) need the text they belong to: give text too")
    try:
        timed = [(str(w), float(a), float(b)) for w, a, b in words]  # type: ignore[attr-defined]
    except (TypeError, ValueError) as e:
        raise StreamInputError(
            f"words must be (word, start_s, end_s) tuples, seconds from the push's start: {e}"
        ) from e
    if any(not (0 <= a <= b < 3600) for _, a, b in timed):
        raise StreamInputError("each word's times must satisfy 0 <= start_s <= end_s (seconds)")
    return text, timed


def check_rate(sample_rate: object) -> int:
    if (
        isinstance(sample_rate, bool)
        or not isinstance(sample_rate, int | np.integer)
        or not 4000 <= sample_rate <= MAX_INPUT_RATE
    ):
        raise StreamInputError(
            f"sample_rate must be an integer 4000..{MAX_INPUT_RATE} Hz, got {sample_rate!r}"
        )
    return int(sample_rate)


class Resampler:
    """A streaming resampler to ``rate`` Hz; the input rate may change between chunks (the old
    rate's filter tail is flushed first). Input at ``rate`` passes through untouched."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._from = 0
        self._filter: PolyphaseStream | None = None

    def __call__(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        if sample_rate == self.rate and self._filter is None:
            return samples
        out = []
        if sample_rate != self._from:  # a new input rate: flush the old filter's tail
            if self._filter is not None:
                out.append(self._filter.flush())
            self._from = sample_rate
            self._filter = None
            if sample_rate == self.rate:
                return np.concatenate([*out, samples])
            self._filter = PolyphaseStream(self.rate, sample_rate)
        out.append(self._filter(samples))
        return np.concatenate(out) if len(out) > 1 else out[0]


class AudioBuffer:
    """A thread-safe FIFO of samples, each chunk stamped with when it was pushed.

    ``take`` removes samples from the front and reports the push time of the oldest chunk
    among them that was pushed less than QUEUED_AHEAD_S ago: audio streamed in real time
    waits far less, so its wait is the engine's latency; audio that waited longer was queued
    ahead of its playback on purpose (a whole TTS line pushed at once) and is not latency.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._chunks: deque[tuple[np.ndarray, float]] = deque()
        self._size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    def put(self, samples: np.ndarray, pushed_at: float) -> bool:
        """Append; False (nothing added) when it would exceed the capacity."""
        with self._lock:
            if self._size + len(samples) > self.capacity:
                return False
            if len(samples):
                self._chunks.append((samples, pushed_at))
                self._size += len(samples)
            return True

    def put_dropping_oldest(self, samples: np.ndarray, pushed_at: float) -> int:
        """Append, discarding the oldest samples beyond the capacity; returns how many."""
        cut = max(0, len(samples) - self.capacity)
        samples = samples[cut:]
        with self._lock:
            self._chunks.append((samples, pushed_at))
            self._size += len(samples)
            excess = max(0, self._size - self.capacity)
            self._pop(excess)
            return cut + excess

    def take(self, n: int, now: float) -> tuple[np.ndarray, float | None]:
        """Up to ``n`` samples from the front, and the oldest recent push time among them."""
        with self._lock:
            count = min(n, self._size)
            fresh = [t for t in self._push_times(count) if now - t < QUEUED_AHEAD_S]
            samples = self._pop(count)
        return samples, (min(fresh) if fresh else None)

    def oldest_push(self) -> float | None:
        with self._lock:
            return self._chunks[0][1] if self._chunks else None

    def clear(self) -> int:
        with self._lock:
            dropped = self._size
            self._chunks.clear()
            self._size = 0
            return dropped

    def _push_times(self, n: int) -> list[float]:
        """Push times of the chunks the first ``n`` samples come from."""
        times, covered = [], 0
        for chunk, t in self._chunks:
            if covered >= n:
                break
            times.append(t)
            covered += len(chunk)
        return times

    def _pop(self, n: int) -> np.ndarray:
        parts, left = [], n
        while left > 0:
            chunk, t = self._chunks[0]
            if len(chunk) <= left:
                parts.append(chunk)
                self._chunks.popleft()
                left -= len(chunk)
            else:
                parts.append(chunk[:left])
                self._chunks[0] = (chunk[left:], t)
                left = 0
        self._size -= n
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)
