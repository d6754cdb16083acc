"""What a sink is: something that takes every frame a session makes, on the engine thread."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from openlpm.stream.frames import VideoFrame


@runtime_checkable
class Sink(Protocol):
    """``write`` is called on the session's engine thread for every frame it emits, so it
    must be quick (a few ms at most: it delays the frame); ``close`` once, after the last."""

    def write(self, frame: VideoFrame) -> None: ...

    def close(self) -> None: ...
