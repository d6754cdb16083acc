"""Server settings and the limits that keep one client from hurting the others."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from openlpm.errors import ServerConfigError


@dataclass(frozen=True)
class Limits:
    """Per-connection and per-server limits (all sizes in bytes)."""

    max_sessions: int = 4  # live sessions at once; each one costs about a core at 512x512 25 fps
    max_message: int = 12_000_000  # hard WebSocket cap: above it the socket is closed (1009)
    max_text: int = 16_000  # a JSON control message
    max_say_chars: int = 2_000  # one `say` line
    max_prompt_chars: int = 500
    max_audio_chunk: int = 192_000  # a PCM16 chunk: 2 s at 48 kHz
    max_audio_file: int = 10_000_000  # an uploaded speech file
    max_audio_seconds: float = 120.0
    max_image: int = 10_000_000  # an uploaded character image
    max_image_pixels: int = 40_000_000  # decompression bombs are refused from the header
    send_frames: int = 3  # video frames waiting for a slow client; older ones are dropped
    send_control: int = 256  # JSON messages waiting for a client; over it the client is dropped
    carried_audio_seconds: float = 5.0  # audio of dropped frames kept for the next frame
    send_buffer: int = 262_144  # kernel send buffer per socket: bounds hidden latency
    hello_timeout: float = 30.0  # a connection must say hello within this
    stall_timeout: float = 30.0  # a client that reads nothing for this long is disconnected
    stats_interval: float = 1.0


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    image: Path | None = None  # an extra character offered first (the default one)
    token: str | None = None
    jpeg_quality: int = 80
    chroma: str | None = None  # "#rrggbb": the overlay's background instead of transparency
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if not is_loopback(self.host) and not self.token:
            raise ServerConfigError(
                f"--host {self.host} exposes the server beyond this machine: add --token "
                "(a random one is made and printed) or keep the default --host 127.0.0.1"
            )
        if not 0 <= self.port <= 65535:
            raise ServerConfigError(f"--port must be within 0..65535, got {self.port}")
        if self.image is not None and not Path(self.image).is_file():
            raise ServerConfigError(f"--image {self.image}: no such file; check the path")
        if self.chroma is not None and not _is_hex_colour(self.chroma):
            raise ServerConfigError(
                f"--chroma {self.chroma!r} is not a colour: give it as '#rrggbb', e.g. '#00ff00'"
            )
        if self.limits.max_sessions < 1:
            raise ServerConfigError("--max-sessions must be at least 1")


def _is_hex_colour(text: str) -> bool:
    return (
        len(text) == 7 and text[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in text[1:])
    )


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def new_token() -> str:
    return secrets.token_urlsafe(18)
