"""The server's only contact with the streaming engine (:class:`openlpm.Session`).

Everything the server needs from a live session goes through :class:`LiveSession`, so a change
in the engine's API (``src/openlpm/stream/README_API.md``) is absorbed here, and the engine's
input errors become protocol errors the client can read.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from openlpm.character.rig import Rig
from openlpm.errors import (
    BufferFullError,
    InputError,
    ProtocolError,
    SessionClosedError,
    StreamInputError,
)
from openlpm.server.binary import Flags
from openlpm.server.outbox import OutFrame


@dataclass(frozen=True)
class SessionOptions:
    size: int = 512
    fps: float = 25.0
    seed: int = 0
    voice: str = "en-us"


class LiveSession:
    """One engine session for one client. Construction blocks (run it on a thread)."""

    def __init__(self, rig: Rig, options: SessionOptions) -> None:
        from openlpm import Session  # the engine imports heavy models: only when a client comes

        self.options = options
        self._session: Any = Session(
            rig=rig, size=options.size, fps=options.fps, seed=options.seed, voice=options.voice
        )

    def push_user_audio(self, pcm16: bytes, sample_rate: int) -> None:
        with _as_protocol_errors():
            self._session.push_user_audio(pcm16, sample_rate=sample_rate)

    def push_agent_audio(self, pcm16: bytes, sample_rate: int) -> None:
        with _as_protocol_errors():
            self._session.push_agent_audio(pcm16, sample_rate=sample_rate)

    def push_agent_samples(self, samples: np.ndarray, sample_rate: int) -> None:
        with _as_protocol_errors():
            self._session.push_agent_samples(samples, sample_rate)

    async def say(self, text: str) -> float:
        """Speak a line with the built-in TTS; its duration in seconds."""
        with _as_protocol_errors():
            return float(await self._session.asay(text))

    async def prompt(self, text: str) -> tuple[str, list[str]]:
        """Steer the motion; (what was understood, the parts that were not)."""
        with _as_protocol_errors():
            plan = await self._session.aprompt(text)
        return plan.describe(), list(plan.not_understood)

    def interrupt(self) -> float:
        """Drop the agent speech not yet played; seconds dropped."""
        return float(self._session.interrupt())

    async def frames(self) -> AsyncIterator[OutFrame]:
        async for frame in self._session.frames():
            yield _out_frame(frame)

    def stats(self) -> dict[str, Any]:
        """The engine's counters (frames, dropped, fps, latency and render ms, ...)."""
        out = dataclasses.asdict(self._session.stats)
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}

    async def aclose(self) -> None:
        await self._session.aclose()

    def close(self) -> None:
        self._session.close()


@contextlib.contextmanager
def _as_protocol_errors() -> Iterator[None]:
    """Engine input errors -> ProtocolError (reported to the client, connection kept)."""
    try:
        yield
    except BufferFullError as e:
        raise ProtocolError("buffer_full", str(e)) from e
    except SessionClosedError as e:  # the character changed while a request was running
        raise ProtocolError("not_ready", "that session has ended; send it again") from e
    except StreamInputError as e:
        raise ProtocolError("bad_audio", str(e)) from e
    except ProtocolError:
        raise
    except InputError as e:
        raise ProtocolError("bad_input", str(e)) from e


def _out_frame(frame: Any) -> OutFrame:
    flags = (Flags.SPEAKING if frame.speaking else 0) | (Flags.LISTENING if frame.listening else 0)
    return OutFrame(
        index=int(frame.index),
        pts=float(frame.pts),
        flags=int(flags),
        rgb=frame.image,
        audio=np.asarray(frame.agent_audio, dtype=np.float32),
        audio_rate=int(frame.audio_rate),
        audio_pts=float(frame.audio_pts),
        input_at=frame.input_at,
        alpha=frame.alpha,
    )
