"""Input and output: images, audio, and H.264/AAC video."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Audio": "openlpm.io.audio",
    "load_audio": "openlpm.io.audio",
    "write_wav": "openlpm.io.audio",
    "load_image": "openlpm.io.images",
    "save_image": "openlpm.io.images",
    "VideoWriter": "openlpm.io.video",
    "read_video": "openlpm.io.video",
    "read_video_audio": "openlpm.io.video",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:  # lazy: a live session that reads no file loads no libav
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'openlpm.io' has no attribute {name!r}")
