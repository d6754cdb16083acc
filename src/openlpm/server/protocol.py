"""The JSON half of the WebSocket protocol (docs/protocol.md): typed messages, one parser.

Client messages are parsed and validated here, and only here; every problem becomes a
:class:`ProtocolError` whose text says how to fix the message. Server messages are built by the
small functions at the end, so their fields are spelled in one place.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from openlpm.errors import ProtocolError
from openlpm.server.config import Limits

PROTOCOL_VERSION = 1
MessageId = str | int | None


@dataclass(frozen=True)
class Hello:
    """Starts the session: which character, at what size and frame rate."""

    character: str | None = None  # a catalog id; "upload" = wait for an image; None = default
    size: int = 512
    fps: float = 25.0
    seed: int = 0
    voice: str = "en-us"
    quality: int | None = None  # JPEG quality 30..95; None = the server's default
    id: MessageId = None


@dataclass(frozen=True)
class ChooseCharacter:
    character: str
    id: MessageId = None


@dataclass(frozen=True)
class Say:
    text: str
    id: MessageId = None


@dataclass(frozen=True)
class Prompt:
    text: str
    id: MessageId = None


@dataclass(frozen=True)
class Stop:
    """Silence the character now: queued agent speech is dropped."""

    id: MessageId = None


@dataclass(frozen=True)
class StatsRequest:
    id: MessageId = None


@dataclass(frozen=True)
class Ping:
    t: float | None = None  # echoed back: the client's clock, for round-trip times
    id: MessageId = None


@dataclass(frozen=True)
class Bye:
    """The client is leaving: the server ends the session and closes the socket (1000)."""

    id: MessageId = None


ClientMessage = Hello | ChooseCharacter | Say | Prompt | Stop | StatsRequest | Ping | Bye
_TYPES = ("hello", "character", "say", "prompt", "stop", "stats", "ping", "bye")


def parse_text(text: str, limits: Limits) -> ClientMessage:
    """Parse one JSON control message; raises :class:`ProtocolError` (never fatal)."""
    if len(text) > limits.max_text:
        raise ProtocolError(
            "too_big",
            f"a JSON message may be at most {limits.max_text} characters, got {len(text)}; "
            "send audio and images as binary messages",
        )
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise ProtocolError(
            "bad_json", f"not valid JSON ({e.msg} at character {e.pos}); send one JSON object"
        ) from e
    if not isinstance(obj, dict):
        raise ProtocolError(
            "bad_json",
            f'a message must be a JSON object like {{"type": "say", ...}}, got {text[:40]!r}',
        )
    kind = obj.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(
            "bad_field", f'every message needs a "type"; one of {", ".join(_TYPES)}'
        )
    return _parse(kind, _Fields(kind, obj), limits)


def _parse(kind: str, f: _Fields, limits: Limits) -> ClientMessage:
    if kind == "hello":
        return Hello(
            character=f.opt_str("character", 64),
            size=f.int_in("size", 512, 128, 1024),
            fps=f.float_in("fps", 25.0, 5.0, 60.0),
            seed=f.int_in("seed", 0, 0, 2**31 - 1),
            voice=f.opt_str("voice", 32) or "en-us",
            quality=f.int_in("quality", None, 30, 95),
            id=f.id,
        )
    if kind == "character":
        return ChooseCharacter(f.text("character", 64), f.id)
    if kind == "say":
        return Say(f.text("text", limits.max_say_chars), f.id)
    if kind == "prompt":
        return Prompt(f.text("text", limits.max_prompt_chars), f.id)
    if kind == "ping":
        return Ping(f.float_in("t", None, -math.inf, math.inf), f.id)
    simple = {"stop": Stop, "stats": StatsRequest, "bye": Bye}
    if kind in simple:
        return simple[kind](f.id)
    raise ProtocolError(
        "unknown_type", f"unknown message type {kind!r}; the types are {', '.join(_TYPES)}"
    )


class _Fields:
    """Typed access to a message's fields; errors name the message type and the field."""

    def __init__(self, kind: str, obj: dict[str, Any]) -> None:
        self.kind, self.obj = kind, obj
        ident = obj.get("id")
        if ident is not None and (isinstance(ident, bool) or not isinstance(ident, str | int)):
            raise self.error("id", "a string or an integer (it is echoed in the reply)")
        self.id: MessageId = ident

    def error(self, name: str, want: str) -> ProtocolError:
        got = json.dumps(self.obj.get(name))[:40]
        return ProtocolError("bad_field", f'"{self.kind}": "{name}" must be {want}, got {got}')

    def text(self, name: str, max_chars: int) -> str:
        value = self.opt_str(name, max_chars)
        if not value or not value.strip():
            raise self.error(name, "a non-empty string")
        return value.strip()

    def opt_str(self, name: str, max_chars: int) -> str | None:
        value = self.obj.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(name, "a string")
        if len(value) > max_chars:
            raise ProtocolError(
                "too_big",
                f'"{self.kind}": "{name}" may be at most {max_chars} characters, '
                f"got {len(value)}; split it into several messages",
            )
        return value

    def int_in(self, name: str, default: int | None, low: int, high: int) -> Any:
        value = self.obj.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(name, f"an integer within {low}..{high}")
        return value

    def float_in(self, name: str, default: float | None, low: float, high: float) -> Any:
        value = self.obj.get(name, default)
        if value is None:
            return None
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or not low <= value <= high:
            raise self.error(name, f"a number within {low:g}..{high:g}")
        return float(value)


# --- server -> client ------------------------------------------------------------------------


def encode(kind: str, **fields: Any) -> str:
    """One server message as JSON text; ``id`` is left out when None (other fields are null)."""
    if fields.get("id", 0) is None:
        del fields["id"]
    return json.dumps({"type": kind, **fields})


def error_message(error: ProtocolError, id: MessageId = None) -> str:
    return encode("error", code=error.code, message=str(error), fatal=error.fatal, id=id)
