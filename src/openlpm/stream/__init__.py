"""The real-time engine: typed frames through small processors on a monotonic clock.

    audio in (audio_in) -> AgentVoice (Online model) + UserEars (listener) -> DuplexMixer
    -> LivePrompts -> Renderer -> sinks and the outbox -> Session.frames()

:class:`Session` is the public API (see session.py and README_API.md); :class:`MotionPipeline`
is the motion half without threads or clock, for offline export and tests.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Session": "openlpm.stream.session",
    "SessionOptions": "openlpm.stream.options",
    "SessionStats": "openlpm.stream.frames",
    "VideoFrame": "openlpm.stream.frames",
    "MotionTick": "openlpm.stream.frames",
    "MotionPipeline": "openlpm.stream.pipeline",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:  # lazy: importing the package loads no models
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'openlpm.stream' has no attribute {name!r}")
