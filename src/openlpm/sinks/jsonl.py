"""JSON lines: one object per frame, for scripts and other engines.

``{"index": 12, "t": 0.48, "speaking": true, "listening": false, "pose": {"jawOpen": 0.31,
...}}``: every parameter of :mod:`openlpm.motion.params` (52 ARKit blendshapes in [0, 1],
headYaw/headPitch/headRoll in degrees, bodyX/bodyY in face heights, bodyLean relative size,
bodyShrug 0-1), 4 decimals.
"""

from __future__ import annotations

import json
import os

from openlpm.sinks.textfile import AtomicText
from openlpm.stream.frames import VideoFrame


def frame_record(frame: VideoFrame) -> dict[str, object]:
    pose = {k: round(v, 4) for k, v in frame.pose.as_dict().items()}
    return {
        "index": frame.index,
        "t": round(frame.pts, 6),
        "speaking": frame.speaking,
        "listening": frame.listening,
        "pose": pose,
    }


class JsonLinesSink:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._out = AtomicText(path)

    def write(self, frame: VideoFrame) -> None:
        self._out.write(json.dumps(frame_record(frame), separators=(",", ":")) + "\n")

    def close(self) -> None:
        self._out.close()

    def abort(self) -> None:
        self._out.abort()
