"""Which client audio chunk a frame answers: the basis of latency measured over the socket.

The engine stamps each frame with ``input_at``, the monotonic time the oldest fresh input it
used was pushed. The server notes the time just before each push together with the client's
chunk ``seq``; the chunk of a frame is the last one noted at or before ``input_at``. The frame
carries that ``seq`` as ``ack``, so a client can time chunk sent -> frame received on its own
clock.
"""

from __future__ import annotations

from collections import deque


class AckTracker:
    def __init__(self, horizon_s: float = 10.0) -> None:
        self._horizon = horizon_s
        self._pushes: deque[tuple[float, int]] = deque()  # (monotonic time, seq), oldest first

    def pushed(self, seq: int, now: float) -> None:
        self._pushes.append((now, seq))
        while self._pushes and self._pushes[0][0] < now - self._horizon:
            self._pushes.popleft()

    def seq_for(self, input_at: float | None) -> int:
        """The seq of the chunk pushed last at or before ``input_at``; 0 when unknown."""
        if input_at is None:
            return 0
        for at, seq in reversed(self._pushes):
            if at <= input_at:
                return seq
        return 0
