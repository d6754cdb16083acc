"""The typed frames that flow through the engine and out of a session.

audio chunks (AudioIn) -> one MotionTick per clock tick (pose + the agent sound of that frame)
-> one VideoFrame per shown frame (the tick plus its image). Frozen: a frame handed to a
consumer or a sink is never changed behind its back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openlpm.motion.frame import MotionFrame


@dataclass(frozen=True, eq=False)
class MotionTick:
    """What the motion stage made for one tick of the session clock."""

    index: int  # tick number: the frame shown at index / fps seconds
    pose: MotionFrame
    agent_audio: np.ndarray  # float32 mono at SessionOptions.audio_rate: this frame's sound
    speaking: bool  # the agent's voice is active in this frame
    listening: bool  # the character hears the user speak
    input_at: float | None  # monotonic time of the oldest fresh input used, if any


@dataclass(frozen=True, eq=False)
class VideoFrame:
    """One frame out of a session.

    ``agent_audio`` is the agent's sound (float32 mono at ``audio_rate`` Hz) that plays from
    ``audio_pts`` to the end of this frame: normally exactly 1/fps of sound starting at
    ``pts``; after dropped frames it also carries their sound, so the voice stays whole
    (``audio_pts`` then lies before ``pts``). Play the sound of consecutive frames back to back
    and show each image at its ``pts``: voice and lips are in sync.
    """

    index: int  # frame number on the session clock (gaps where frames were dropped)
    pts: float  # seconds since the session started: index / fps
    image: np.ndarray | None  # (H, W, 3) uint8 RGB; None when the session does not render
    pose: MotionFrame
    agent_audio: np.ndarray
    audio_rate: int
    audio_pts: float
    speaking: bool
    listening: bool
    # monotonic push time of the oldest input sample this frame used (audio queued ahead of
    # its time, waiting > 0.5 s, does not count): latency_s is measured from there
    input_at: float | None
    emitted_at: float  # monotonic time the engine finished the frame
    # (H, W) uint8: the character's mask in this frame (255 = person, 0 = background), for
    # transparent overlays; None when the session does not render
    alpha: np.ndarray | None = None

    @property
    def latency_s(self) -> float | None:
        """Audio in to frame out, seconds (None when the frame used no fresh input)."""
        return None if self.input_at is None else self.emitted_at - self.input_at


@dataclass(frozen=True)
class SessionStats:
    """A snapshot of a session's counters (``session.stats``)."""

    frames: int  # frames delivered (to the consumer, or made when nobody reads)
    dropped: int  # frames not delivered: late (not rendered) + overflowed the queue
    dropped_late: int  # the engine fell behind the clock and skipped the render
    dropped_queue: int  # the consumer was too slow: the oldest waiting frame was discarded
    fps: float  # delivered frames per second over the last ~2 s
    latency_p50_ms: float | None  # audio pushed -> frame delivered, over the last ~20 s
    latency_p95_ms: float | None
    render_p50_ms: float | None  # motion + render time per frame
    render_p95_ms: float | None
    agent_buffered_s: float  # agent audio waiting to play
    uptime_s: float
    speaking: bool
    listening: bool
