"""The binary half of the WebSocket protocol (docs/protocol.md): audio and images in, frames out.

Every binary message starts with a little-endian header whose first byte is its kind.

Client -> server, a 12-byte header then the payload::

    u8 kind   u8 version(1)   u16 channels(1)   u32 sample_rate   u32 seq   payload...

Server -> client video frame, a 40-byte header then the JPEG, then the agent audio (PCM16 LE
mono) that plays from ``audio_pts``::

    u8 kind(0x81) u8 version(1) u8 flags u8 reserved  u32 index  f64 pts
    u32 audio_rate  u32 audio_samples  u32 jpeg_bytes  u32 ack  f64 audio_pts
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from openlpm.errors import ProtocolError
from openlpm.server.config import Limits

VERSION = 1
CLIENT_HEADER = struct.Struct("<BBHII")
FRAME_HEADER = struct.Struct("<BBBBIdIIIId")
MIN_RATE, MAX_RATE = 8000, 48000


class Kind(IntEnum):
    USER_AUDIO = 0x01  # the user's microphone: PCM16 LE mono at sample_rate
    AGENT_AUDIO = 0x02  # the character's speech, streamed: PCM16 LE mono at sample_rate
    AGENT_AUDIO_FILE = 0x03  # the character's speech as a file (WAV, MP3, OGG, ...)
    IMAGE = 0x04  # a character image (PNG, JPEG, ...): replaces the character
    REFERENCE = 0x05  # an expression reference of the current character (PNG, JPEG)
    FRAME = 0x81  # server -> client: one video frame and its audio


class Flags(IntEnum):
    SPEAKING = 1
    LISTENING = 2


@dataclass(frozen=True)
class BinaryMessage:
    kind: Kind
    sample_rate: int  # 0 for files and images
    seq: int
    payload: bytes


def parse_binary(data: bytes, limits: Limits) -> BinaryMessage:
    """Validate one client binary message; raises :class:`ProtocolError` (never fatal)."""
    if len(data) < CLIENT_HEADER.size:
        raise ProtocolError(
            "bad_binary",
            f"a binary message starts with a {CLIENT_HEADER.size}-byte header "
            f"(kind, version, channels, sample_rate, seq), got {len(data)} bytes",
        )
    kind_byte, version, channels, rate, seq = CLIENT_HEADER.unpack_from(data)
    try:
        kind = Kind(kind_byte)
    except ValueError:
        kind = None
    if kind is None or kind is Kind.FRAME:
        raise ProtocolError(
            "bad_binary",
            f"unknown binary kind 0x{kind_byte:02x}: 0x01 user audio, 0x02 agent audio, "
            "0x03 agent audio file, 0x04 character image, 0x05 expression reference",
        )
    if version != VERSION:
        raise ProtocolError(
            "bad_binary", f"binary header version {version}; this server speaks version {VERSION}"
        )
    payload = data[CLIENT_HEADER.size :]
    if kind in (Kind.USER_AUDIO, Kind.AGENT_AUDIO):
        _check_pcm(payload, channels, rate, limits)
    else:
        _check_file(kind, payload, limits)
    return BinaryMessage(kind, rate, seq, payload)


def _check_pcm(payload: bytes, channels: int, rate: int, limits: Limits) -> None:
    if payload[:4] == b"RIFF" or payload[:3] == b"ID3" or payload[:4] == b"OggS":
        raise ProtocolError(
            "bad_audio",
            "this chunk is an audio file, not raw PCM16 samples: send files as kind 0x03, "
            "or strip the header and send the samples",
        )
    if channels != 1:
        raise ProtocolError(
            "bad_audio", f"audio chunks must be mono (channels 1), got {channels}; mix down first"
        )
    if not MIN_RATE <= rate <= MAX_RATE:
        raise ProtocolError(
            "bad_audio",
            f"sample_rate must be within {MIN_RATE}..{MAX_RATE} Hz, got {rate}",
        )
    if len(payload) % 2:
        raise ProtocolError(
            "bad_audio",
            f"PCM16 audio has 2 bytes per sample; got an odd {len(payload)} bytes "
            "(float32 or 8-bit samples? convert to signed 16-bit little-endian)",
        )
    if len(payload) > limits.max_audio_chunk:
        raise ProtocolError(
            "too_big",
            f"an audio chunk may be at most {limits.max_audio_chunk} bytes, got {len(payload)}; "
            "send shorter chunks (20-100 ms is typical)",
        )


def _check_file(kind: Kind, payload: bytes, limits: Limits) -> None:
    image = kind in (Kind.IMAGE, Kind.REFERENCE)
    cap = limits.max_image if image else limits.max_audio_file
    what = "an image" if image else "an audio file"
    if not payload:
        raise ProtocolError("bad_binary", f"{what} upload is empty (0 bytes)")
    if len(payload) > cap:
        raise ProtocolError(
            "too_big", f"{what} may be at most {cap // 1_000_000} MB, got {len(payload):,} bytes"
        )


def pcm16_to_float(payload: bytes) -> np.ndarray:
    return np.frombuffer(payload, dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm16(samples: np.ndarray) -> bytes:
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    return np.round(clipped * 32767.0).astype("<i2").tobytes()


@dataclass(frozen=True)
class FrameHeader:
    index: int
    pts: float
    flags: int
    audio_rate: int
    audio_samples: int
    jpeg_bytes: int
    ack: int
    audio_pts: float


def pack_frame(header: FrameHeader, jpeg: bytes, pcm16: bytes) -> bytes:
    head = FRAME_HEADER.pack(
        Kind.FRAME, VERSION, header.flags, 0, header.index, header.pts, header.audio_rate,
        header.audio_samples, header.jpeg_bytes, header.ack, header.audio_pts,
    )  # fmt: skip
    return b"".join((head, jpeg, pcm16))


def unpack_frame(data: bytes) -> tuple[FrameHeader, bytes, np.ndarray]:
    """Client side (tests, benchmark, Python clients): header, JPEG bytes, int16 audio."""
    kind, version, flags, _, index, pts, rate, samples, jpeg_len, ack, audio_pts = (
        FRAME_HEADER.unpack_from(data)
    )
    if kind != Kind.FRAME or version != VERSION:
        raise ValueError(f"not a version-{VERSION} frame message (kind 0x{kind:02x})")
    start = FRAME_HEADER.size
    jpeg = data[start : start + jpeg_len]
    audio = np.frombuffer(data, dtype="<i2", count=samples, offset=start + jpeg_len)
    header = FrameHeader(index, pts, flags, rate, samples, jpeg_len, ack, audio_pts)
    return header, jpeg, audio


def pack_client(kind: Kind, payload: bytes, sample_rate: int = 0, seq: int = 0) -> bytes:
    """Client side: one binary message (tests, benchmark, Python clients)."""
    return CLIENT_HEADER.pack(kind, VERSION, 1, sample_rate, seq) + payload
