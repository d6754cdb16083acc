"""UserEars: the user's audio (a microphone, live) -> the listening pose, one per tick.

Live, the user's sound is heard the moment it arrives: every tick takes all of it, turns it
into per-frame features (VAD, loudness, pitch) and steps the listener once. A burst of audio
(a client sending 100 ms packets) queues a few feature frames; more than
``max_user_backlog_s`` of them are stepped through at once (the listener keeps its state,
latency stays bounded). With no audio the listener idles (blinks, gaze, breathing).
On a virtual clock (``realtime=False``) each tick hears exactly one frame of queued sound.
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np

from openlpm.errors import BufferFullError
from openlpm.listen.listener import Hearing, LiveListener
from openlpm.listen.vad import SAMPLE_RATE
from openlpm.stream.audio_in import AudioBuffer, Resampler
from openlpm.stream.options import SessionOptions
from openlpm.stream.voice import chunk_length

SILENCE = (0.0, -90.0, 0.0)  # vad probability, loudness dB, f0 Hz
HOLD_S = 0.2  # a stream this recent is late, not over: repeat its last features meanwhile


class UserEars:
    """Push user audio from any thread; call :meth:`step` once per tick from the engine."""

    def __init__(self, options: SessionOptions) -> None:
        self.fps, self.realtime = options.fps, options.realtime
        seconds = options.max_user_backlog_s if self.realtime else options.max_agent_buffer_s
        self.buffer = AudioBuffer(int(seconds * SAMPLE_RATE))
        self._resample = Resampler(SAMPLE_RATE)
        self._push_lock = threading.Lock()
        self._hearing = Hearing(options.fps)
        self.listener = LiveListener(options.fps, options.seed + 7919)  # not the voice's draws
        self._features: deque[tuple[float, float, float]] = deque()
        self._backlog = max(1, round(options.max_user_backlog_s * options.fps))
        self._last = SILENCE
        self._heard_at = -float("inf")
        self._tick = 0
        self.skipped_s = 0.0  # user audio discarded because it came faster than real time

    def push(self, samples: np.ndarray, sample_rate: int, now: float) -> None:
        with self._push_lock:
            x = self._resample(samples, sample_rate)
            if self.realtime:
                self.skipped_s += self.buffer.put_dropping_oldest(x, now) / SAMPLE_RATE
            elif not self.buffer.put(x, now):
                raise BufferFullError("the user audio buffer is full; let the session catch up")

    def step(self, now: float) -> tuple[np.ndarray, bool, float | None]:
        """This tick: (listening pose vector, the user is heard speaking, input time)."""
        n = len(self.buffer) if self.realtime else chunk_length(self._tick, SAMPLE_RATE, self.fps)
        samples, pushed_at = self.buffer.take(n, now)
        self._tick += 1
        if len(samples):
            self._features.extend(self._hearing.push(samples))
            self._heard_at = now
        while len(self._features) > self._backlog:  # catch up: keep state, skip the poses
            self.listener.step(*self._features.popleft())
        if self._features:
            self._last = self._features.popleft()
        elif not self.realtime or now - self._heard_at > HOLD_S:
            self._last = SILENCE
        vec = self.listener.step(*self._last)
        return vec, self.listener.detector.speaking, pushed_at
