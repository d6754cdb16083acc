"""Files a client uploads over the socket: a character image, an agent speech file.

Both reuse the package's strict decoders (``load_image``, ``load_audio``), which read paths, so
the bytes go through a private temporary file. Limits are checked before decoding: an image's
pixel count from its header (a decompression bomb is refused without being inflated), an audio
file's duration from its container.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from openlpm.errors import AudioError, ImageError, ProtocolError
from openlpm.io.audio import Audio, load_audio
from openlpm.io.images import load_image, read_header

if TYPE_CHECKING:  # PyAV is imported where an upload is read: a live session loads no libav
    import av


@contextmanager
def _as_file(data: bytes) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(prefix="openlpm-upload-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def decode_image_upload(data: bytes, max_pixels: int) -> np.ndarray:
    """RGB uint8 of an uploaded PNG or JPEG; :class:`ProtocolError` ``bad_image`` otherwise."""
    try:
        header = read_header(data, "the uploaded image")
    except ImageError as e:
        raise ProtocolError("bad_image", str(e)) from e
    if header.kind == "other":
        raise ProtocolError(
            "bad_image", "the upload is not a PNG or JPEG image; convert it to PNG or JPEG"
        )
    if header.width * header.height > max_pixels:
        raise ProtocolError(
            "bad_image",
            f"the uploaded image is {header.width}x{header.height} "
            f"({header.width * header.height / 1e6:.0f} megapixels), above the "
            f"{max_pixels / 1e6:.0f} MP limit; downscale it (2048 px is plenty)",
        )
    with _as_file(data) as path:
        try:
            return load_image(path)
        except ImageError as e:
            raise ProtocolError("bad_image", str(e).replace(path.name, "the uploaded image")) from e


def decode_audio_upload(data: bytes, sample_rate: int, max_seconds: float) -> Audio:
    """Mono float audio of an uploaded speech file; :class:`ProtocolError` ``bad_audio``."""
    with _as_file(data) as path:
        _check_duration(path, max_seconds)
        try:
            audio = load_audio(path, sample_rate=sample_rate)
        except AudioError as e:
            raise ProtocolError("bad_audio", str(e).replace(path.name, "the uploaded file")) from e
    if audio.samples.size == 0:
        raise ProtocolError("bad_audio", "the uploaded audio file holds no samples")
    return audio


def _check_duration(path: Path, max_seconds: float) -> None:
    import av

    try:
        with av.open(str(path)) as container:
            streams = container.streams.audio
            seconds = _seconds(container, streams[0]) if streams else None
    except av.FFmpegError as e:
        raise ProtocolError(
            "bad_audio", "the upload is not an audio file FFmpeg can read; send WAV, MP3 or OGG"
        ) from e
    if seconds is None:
        raise ProtocolError("bad_audio", "the uploaded file has no audio stream")
    if seconds > max_seconds:
        raise ProtocolError(
            "too_big",
            f"the uploaded audio lasts {seconds:.0f} s, above the {max_seconds:.0f} s limit; "
            "cut it or stream it as PCM chunks",
        )


def _seconds(container: av.container.InputContainer, stream: av.AudioStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        from av import time_base

        return container.duration / time_base
    return 0.0  # unknown (raw streams): load_audio decodes it; the byte cap bounds it
