"""Mp4Sink: record a live session (H.264 video + the agent's voice as AAC), streamed to disk.

Frames are placed by their index on the session clock: a dropped frame repeats the image
before it, so the file plays in real time and the voice (written from each frame's
``audio_pts``) stays in sync. The file appears under its name when the sink closes.
"""

from __future__ import annotations

import contextlib
import os
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from openlpm.errors import StreamError
from openlpm.io.atomic import temp_path_for
from openlpm.io.video import fps_fraction
from openlpm.stream.frames import VideoFrame

_AAC_RATES = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000}


class Mp4Sink:
    def __init__(
        self, path: str | os.PathLike[str], fps: float, audio_rate: int, crf: int = 23
    ) -> None:
        if audio_rate not in _AAC_RATES:
            raise ValueError(f"AAC takes {sorted(_AAC_RATES)} Hz, not {audio_rate}")
        self.path, self.rate, self.audio_rate = Path(path), fps_fraction(fps), audio_rate
        self._crf = crf
        self._tmp = temp_path_for(self.path)
        self._container = av.open(str(self._tmp), "w", format="mp4")
        self._video: av.VideoStream | None = None  # sized by the first frame
        self._audio = self._container.add_stream("aac", rate=audio_rate)
        self._audio.layout = "mono"
        self._next = 0  # next video frame index to write
        self._sound_at = 0  # next audio sample to write
        self._last: np.ndarray | None = None
        self.frames = 0

    def write(self, frame: VideoFrame) -> None:
        if frame.image is None:
            raise StreamError("an mp4 recording needs rendered frames (render=True)")
        if self._video is None:
            self._video = self._add_video(frame.image.shape[1], frame.image.shape[0])
        while self._last is not None and self._next < frame.index:  # dropped: hold the last
            self._encode(self._last)
        self._next = max(self._next, frame.index)
        self._encode(frame.image)
        self._last = frame.image
        self._write_sound(frame)

    def _add_video(self, width: int, height: int) -> av.VideoStream:
        stream = self._container.add_stream("libx264", rate=self.rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = 1 / self.rate
        stream.codec_context.time_base = 1 / self.rate
        stream.options = {"crf": str(self._crf), "preset": "ultrafast", "tune": "zerolatency"}
        return stream

    def _encode(self, rgb: np.ndarray) -> None:
        assert self._video is not None
        yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)
        out = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        out.pts, out.time_base = self._next, 1 / self.rate
        self._container.mux(self._video.encode(out))
        self._next += 1
        self.frames += 1

    def _write_sound(self, frame: VideoFrame) -> None:
        start = round(frame.audio_pts * self.audio_rate)
        sound = frame.agent_audio[max(0, self._sound_at - start) :]
        gap = max(0, start - self._sound_at)
        chunk = np.concatenate([np.zeros(gap, np.float32), sound]).astype(np.float32)
        if not len(chunk):
            return
        out = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
        out.sample_rate, out.pts = self.audio_rate, self._sound_at
        out.time_base = Fraction(1, self.audio_rate)
        self._container.mux(self._audio.encode(out))
        self._sound_at += len(chunk)

    def close(self) -> None:
        if self._container is None:
            return
        try:
            if self._video is None:
                raise StreamError(f"no frames were recorded to {self.path.name}")
            self._container.mux(self._audio.encode(None))
            self._container.mux(self._video.encode(None))
            self._container.close()
            os.replace(self._tmp, self.path)
        except BaseException:
            self.abort()
            raise
        self._container = None

    def abort(self) -> None:
        if self._container is not None:
            with contextlib.suppress(Exception):
                self._container.close()
            self._container = None
        with contextlib.suppress(OSError):
            self._tmp.unlink()
