"""Puppeteering: a character image plus motion curves (and optional audio) -> an MP4."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from openlpm.character.rig import Rig
from openlpm.io.audio import Audio
from openlpm.io.video import VideoWriter
from openlpm.motion.frame import MotionTrack
from openlpm.render.renderer import Renderer

FrameProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class PuppetResult:
    path: str
    frames: int
    width: int
    height: int
    fps: float

    @property
    def duration(self) -> float:
        return self.frames / self.fps


def padded_to(track: MotionTrack, seconds: float) -> MotionTrack:
    """The track held on its last pose until it covers ``seconds`` (audio longer than motion)."""
    need = int(np.ceil(seconds * track.fps - 1e-6))
    if need <= len(track):
        return track
    last = track.values[-1:] if len(track) else np.zeros((1, track.values.shape[1]), np.float32)
    pad = np.repeat(last, need - len(track), axis=0)
    return MotionTrack(np.vstack([track.values, pad]).astype(np.float32), track.fps)


def render_video(
    rig: Rig,
    track: MotionTrack,
    out_path: str | os.PathLike[str],
    size: int = 512,
    audio: Audio | None = None,
    progress: FrameProgress | None = None,
) -> PuppetResult:
    """Render every pose of ``track`` and write an H.264 MP4 (with ``audio`` muxed in)."""
    if audio is not None:
        track = padded_to(track, audio.duration)
    renderer = Renderer(rig, size)
    with VideoWriter(out_path, renderer.width, renderer.height, track.fps, audio=audio) as writer:
        for i, pose in enumerate(track):
            writer.write(renderer.render(pose))
            if progress:
                progress(i + 1, len(track))
    return PuppetResult(str(out_path), len(track), renderer.width, renderer.height, track.fps)
