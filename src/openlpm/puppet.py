"""Puppeteering: a character image plus motion curves (and optional audio) -> an MP4."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from openlpm.character.rig import Rig
from openlpm.io.audio import Audio
from openlpm.io.video import VideoWriter
from openlpm.motion.frame import MotionTrack
from openlpm.render.scene import Scene

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
    return render_scene_video([rig], [track], out_path, size, audio, progress)


def render_scene_video(
    rigs: Sequence[Rig],
    tracks: Sequence[MotionTrack],
    out_path: str | os.PathLike[str],
    size: int = 512,
    audio: Audio | None = None,
    progress: FrameProgress | None = None,
) -> PuppetResult:
    """Several characters of one picture, one track each (the tracks are padded to the
    longest, and to the audio); one H.264 MP4 with ``audio`` muxed in."""
    if len(rigs) != len(tracks) or not rigs:
        raise ValueError(f"one track per character: {len(rigs)} rigs, {len(tracks)} tracks")
    fps = tracks[0].fps
    if any(abs(t.fps - fps) > 1e-9 for t in tracks):
        raise ValueError(f"the tracks have different frame rates: {[t.fps for t in tracks]}")
    seconds = max([t.duration for t in tracks] + [audio.duration if audio else 0.0])
    tracks = [padded_to(t, seconds) for t in tracks]
    scene = Scene(rigs, size)
    width, height = scene.size
    n = len(tracks[0])
    with VideoWriter(out_path, width, height, fps, audio=audio) as writer:
        for i in range(n):
            writer.write(scene.render([t[i] for t in tracks]))
            if progress:
                progress(i + 1, n)
    return PuppetResult(str(out_path), n, width, height, fps)
