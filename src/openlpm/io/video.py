"""H.264/AAC MP4 writing (atomic, streamable) and simple reading for tests and benchmarks."""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import cv2
import numpy as np

from openlpm.errors import AudioError, InputError
from openlpm.io.atomic import temp_path_for
from openlpm.io.audio import Audio, load_audio

# Sample rates the AAC encoder accepts; other rates are resampled to 48 kHz by the encoder.
_AAC_RATES = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000}
# Frames are converted with OpenCV's RGB -> I420 (BT.601 matrix, limited range), about ten
# times faster than swscale; the stream is tagged to match so players use the same matrix.
_SPC_BT601 = 6  # AVCOL_SPC_SMPTE170M
_BT709 = 1  # AVCOL_PRI_BT709 / AVCOL_TRC_BT709: sRGB content has BT.709 primaries
_MPEG_RANGE = 1  # AVCOL_RANGE_MPEG (16-235)
# Converted frames waiting for the encoder thread: enough to ride out an uneven frame, and a
# bounded amount of memory (1.5 MB at 512x512) when the encoder is the slower side.
_QUEUED_FRAMES = 4


def fps_fraction(fps: float) -> Fraction:
    """An exact rational frame rate: 25 -> 25/1, 29.97 -> 2997/100, 30000/1001 stays NTSC."""
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    return Fraction(fps).limit_denominator(1001)


class VideoWriter:
    """Write RGB frames to an H.264 MP4, optionally with an AAC audio track.

    Use as a context manager. Frames go to a hidden temp file in the target folder; a clean
    exit muxes the audio (trimmed or padded with silence to the video's length) and renames
    the temp file onto ``path``; an exception deletes it, so no half-written video is left.

    ``write`` converts the frame to YUV and hands it to an encoder thread (PyAV lets go of the
    GIL while libx264 encodes and while packets are written): the caller renders the next
    frame meanwhile. An error of the encoder is raised by the next ``write`` or by ``close``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        width: int,
        height: int,
        fps: float = 25.0,
        audio: Audio | None = None,
        crf: int = 20,
        preset: str = "veryfast",
    ) -> None:
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ValueError(
                f"yuv420p needs a positive even width and height, got {width}x{height}"
            )
        self.path = Path(path)
        self.width, self.height = width, height
        self.rate = fps_fraction(fps)
        self.frames = 0
        self._audio = audio
        self._audio_sent = 0  # samples of self._audio already given to the encoder
        self._closed = False
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(_QUEUED_FRAMES)
        self._encoder: threading.Thread | None = None
        self._error: BaseException | None = None  # the encoder thread's, raised by the caller
        self._tmp = temp_path_for(self.path)
        try:
            self._container = av.open(
                str(self._tmp), "w", format="mp4", container_options={"movflags": "+faststart"}
            )
            self._video = self._add_video(crf, preset)
            self._sound = self._add_audio(audio) if audio is not None else None
        except BaseException:
            self._abort()
            raise
        self._encoder = threading.Thread(target=self._encode_all, name="video-encoder", daemon=True)
        self._encoder.start()

    def _add_video(self, crf: int, preset: str) -> av.VideoStream:
        stream = self._container.add_stream("libx264", rate=self.rate)
        stream.width, stream.height, stream.pix_fmt = self.width, self.height, "yuv420p"
        stream.time_base = 1 / self.rate  # one tick per frame: exact timestamps
        ctx = stream.codec_context
        ctx.time_base = 1 / self.rate
        ctx.thread_type, ctx.thread_count = "AUTO", 0  # 0: libx264 picks threads for all cores
        ctx.colorspace, ctx.color_range = _SPC_BT601, _MPEG_RANGE
        ctx.color_primaries = ctx.color_trc = _BT709
        stream.options = {"crf": str(crf), "preset": preset}
        return stream

    def _add_audio(self, audio: Audio) -> av.AudioStream:
        rate = audio.sample_rate if audio.sample_rate in _AAC_RATES else 48000
        stream = self._container.add_stream("aac", rate=rate)
        stream.layout = "mono"
        stream.bit_rate = 64000 if rate <= 16000 else 96000
        return stream

    def write(self, frame_rgb: np.ndarray) -> None:
        """Append one RGB uint8 frame of exactly (height, width, 3)."""
        if frame_rgb.shape != (self.height, self.width, 3) or frame_rgb.dtype != np.uint8:
            raise ValueError(
                f"frames must be uint8 ({self.height}, {self.width}, 3), "
                f"got {frame_rgb.dtype} {frame_rgb.shape}"
            )
        self._raise_encoder_error()
        # A new array: the caller may reuse its frame as soon as this returns.
        yuv = cv2.cvtColor(frame_rgb, cv2.COLOR_RGB2YUV_I420)  # (height * 3/2, width) planes
        self._queue.put(yuv)
        self.frames += 1

    def _encode_all(self) -> None:
        """The encoder thread: encode and mux every queued frame until ``None``; after an
        error, keep taking frames (so that ``write`` never blocks) without encoding them."""
        encoded = 0
        while (yuv := self._queue.get()) is not None:
            if self._error is not None or self._closed:
                continue
            try:
                self._encode(yuv, encoded)
                encoded += 1
            except BaseException as e:  # handed to the caller's thread
                self._error = e

    def _encode(self, yuv: np.ndarray, index: int) -> None:
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.colorspace, frame.color_range = _SPC_BT601, _MPEG_RANGE
        frame.pts = index
        frame.time_base = 1 / self.rate
        self._container.mux(self._video.encode(frame))
        self._send_audio(index + 1)  # keep audio interleaved with video for streaming playback

    def _raise_encoder_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _stop_encoder(self) -> None:
        """Let the encoder thread finish the queued frames and end."""
        encoder, self._encoder = self._encoder, None
        if encoder is not None:
            self._queue.put(None)
            encoder.join()

    @property
    def duration(self) -> float:
        """Seconds of video written so far."""
        return float(self.frames / self.rate)

    def _send_audio(self, frames: int, flush: bool = False) -> None:
        """Encode audio up to the end of the first ``frames`` video frames (silence past the
        audio's end)."""
        if self._audio is None or self._sound is None:
            return
        rate = self._audio.sample_rate
        until = int(frames * rate / self.rate)  # Fraction arithmetic: exact
        if until > self._audio_sent:
            chunk = self._audio.samples[self._audio_sent : until]
            chunk = np.pad(chunk, (0, until - self._audio_sent - len(chunk)))
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
            frame.sample_rate, frame.pts = rate, self._audio_sent
            frame.time_base = Fraction(1, rate)
            self._container.mux(self._sound.encode(frame))
            self._audio_sent = until
        if flush:
            self._container.mux(self._sound.encode(None))

    def close(self) -> None:
        """Flush the encoders and move the finished file onto ``path``."""
        if self._closed:
            return
        try:
            if self.frames == 0:
                raise ValueError(f"no frames were written to {self.path.name}")
            self._stop_encoder()
            self._raise_encoder_error()
            self._send_audio(self.frames, flush=True)
            self._container.mux(self._video.encode(None))
            self._container.close()
            os.replace(self._tmp, self.path)
            self._closed = True
        except BaseException:
            self._abort()
            raise

    def _abort(self) -> None:
        self._closed = True  # the encoder thread drops the frames still queued
        self._stop_encoder()
        with contextlib.suppress(Exception):
            self._container.close()
        with contextlib.suppress(OSError):
            self._tmp.unlink()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._abort()


def read_video(path: str | os.PathLike[str]) -> tuple[list[np.ndarray], float]:
    """Decode every frame of the first video stream as RGB uint8; returns (frames, fps)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"video file not found: {path}; check the path")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise InputError(f"{path.name} has no video stream; give a video file")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
            rate = stream.average_rate or stream.guessed_rate
    except av.FFmpegError as e:
        raise InputError(f"cannot decode {path.name} as video ({e.strerror or e})") from e
    if rate is None:
        raise InputError(f"{path.name} does not state a frame rate")
    return frames, float(rate)


def read_video_audio(path: str | os.PathLike[str], sample_rate: int = 16000) -> Audio:
    """The audio track of a video, trimmed to the track's stated duration.

    AAC pads its last frame, so a decoder returns up to one frame (1024 samples) more than was
    encoded; the container's duration says where the real audio ends.
    """
    audio = load_audio(path, sample_rate)
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            seconds = stream.duration * stream.time_base if stream.duration else None
    except (av.FFmpegError, IndexError) as e:
        raise AudioError(f"cannot read the audio track of {Path(path).name}") from e
    if seconds is None:
        return audio
    keep = round(seconds * audio.sample_rate)
    return Audio(audio.samples[:keep], audio.sample_rate)
