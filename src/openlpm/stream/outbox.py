"""Outbox: the bounded hand-over of frames from the engine thread to one consumer.

At most ``maxlen`` frames wait. A full outbox drops its oldest frame (latency stays bounded
and a consumer that never reads costs nothing more) but keeps that frame's sound: it moves
to the next frame, so the voice never skips (capped at MAX_CARRY_S when nobody reads).
On a virtual clock the engine waits for space instead (``put(block=True)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
from collections import deque

import numpy as np

from openlpm.stream.frames import VideoFrame

MAX_CARRY_S = 1.0  # sound carried over by dropped frames, at most


def merge_audio(earlier: VideoFrame, later: VideoFrame) -> VideoFrame:
    """``later`` carrying ``earlier``'s sound in front of its own (the most recent
    MAX_CARRY_S at most)."""
    keep = int(MAX_CARRY_S * later.audio_rate)
    sound = np.concatenate([earlier.agent_audio, later.agent_audio])
    cut = max(0, len(sound) - keep)
    return dataclasses.replace(
        later,
        agent_audio=sound[cut:],
        audio_pts=earlier.audio_pts + cut / later.audio_rate,
        input_at=_earliest(earlier.input_at, later.input_at),
    )


def _earliest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


class Outbox:
    def __init__(self, maxlen: int) -> None:
        self.maxlen = maxlen
        self._frames: deque[VideoFrame] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._attached = False
        self.dropped = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def attached(self) -> bool:
        """A consumer is reading (frames() or iter_frames() was started)."""
        return self._attached

    def put(self, frame: VideoFrame, block: bool = False) -> None:
        with self._cond:
            while block and len(self._frames) >= self.maxlen and not self._closed:
                self._cond.wait(0.1)
            if self._closed:
                return
            if len(self._frames) >= self.maxlen:
                oldest = self._frames.popleft()
                target = self._frames.popleft() if self._frames else frame
                merged = merge_audio(oldest, target)
                if target is frame:
                    frame = merged
                else:
                    self._frames.appendleft(merged)
                self.dropped += 1
            self._frames.append(frame)
        self._wake()

    def get_nowait(self) -> VideoFrame | None:
        with self._cond:
            frame = self._frames.popleft() if self._frames else None
            self._cond.notify_all()
            return frame

    def get(self, timeout: float | None = None) -> VideoFrame | None:
        """Blocking get for threads; None when closed and empty, or on timeout."""
        self._attached = True
        with self._cond:
            if not self._frames and not self._closed:
                self._cond.wait(timeout)
        return self.get_nowait()

    async def aget(self) -> VideoFrame | None:
        """The next frame; None once the outbox is closed and empty."""
        if self._event is None:
            self._loop = asyncio.get_running_loop()
            self._event = asyncio.Event()
        self._attached = True
        while True:
            self._event.clear()
            frame = self.get_nowait()
            if frame is not None or self._closed:
                return frame
            await self._event.wait()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._wake()

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()
        loop, event = self._loop, self._event
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the consumer's loop has closed
                loop.call_soon_threadsafe(event.set)
