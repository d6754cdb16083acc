"""What waits to be sent to one client, bounded whatever the client does.

Control messages (JSON) are few and must all arrive: they queue, up to a cap that only a client
that stopped reading can reach. Video frames are many and only the newest matters: at most a few
wait, and when another comes the oldest waiting one is dropped (counted). Its audio is not
dropped: it is carried into the next frame, so speech plays on without gaps (late rather than
lost), up to a cap in seconds beyond which the oldest carried audio goes too.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from openlpm.errors import ProtocolError


@dataclass
class OutFrame:
    """A frame not yet encoded: JPEG encoding happens at send time, so dropped frames cost none."""

    index: int
    pts: float
    flags: int
    rgb: np.ndarray
    audio: np.ndarray  # float32 mono at audio_rate, plays from audio_pts
    audio_rate: int
    audio_pts: float
    input_at: float | None = None  # server monotonic time of the oldest fresh input used
    ack: int = 0  # the client's seq of that input (0: none), filled in by the connection
    alpha: np.ndarray | None = None  # (H, W) uint8 person mask, for the overlay


@dataclass
class OutboxStats:
    frames_sent: int = 0
    frames_dropped: int = 0
    audio_dropped_s: float = 0.0


@dataclass
class Outbox:
    max_frames: int
    max_control: int
    max_audio_s: float
    stats: OutboxStats = field(default_factory=OutboxStats)

    def __post_init__(self) -> None:
        self._control: deque[str] = deque()
        self._frames: deque[OutFrame] = deque()
        self._ready = asyncio.Event()

    def put_text(self, text: str) -> None:
        if len(self._control) >= self.max_control:
            raise ProtocolError(
                "too_slow", "the client has not read its messages for too long", fatal=True
            )
        self._control.append(text)
        self._ready.set()

    def put_frame(self, frame: OutFrame) -> None:
        self._frames.append(frame)
        while len(self._frames) > self.max_frames:
            old = self._frames.popleft()
            self._carry_audio(old, self._frames[0])
            self.stats.frames_dropped += 1
        self._ready.set()

    def _carry_audio(self, old: OutFrame, into: OutFrame) -> None:
        if old.audio.size == 0 or old.audio_rate != into.audio_rate:
            return
        # Consecutive frames carry consecutive audio: the merged run starts where old's did.
        audio, start = np.concatenate((old.audio, into.audio)), old.audio_pts
        cap = int(self.max_audio_s * into.audio_rate)
        if audio.size > cap:
            cut = audio.size - cap
            self.stats.audio_dropped_s += cut / into.audio_rate
            audio, start = audio[cut:], start + cut / into.audio_rate
        into.audio, into.audio_pts = audio, start
        into.ack = max(into.ack, old.ack)

    async def get(self) -> str | OutFrame:
        """The next message to send: control messages first, then the oldest waiting frame."""
        while not self._control and not self._frames:
            self._ready.clear()
            await self._ready.wait()
        if self._control:
            return self._control.popleft()
        return self._frames.popleft()

    def drop_frames(self) -> None:
        """Forget waiting frames (the character changed: they show the old one)."""
        self._frames.clear()
