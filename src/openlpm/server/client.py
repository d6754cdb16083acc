"""A Python client of the protocol (docs/protocol.md): for tests, benchmarks and programs.

    async with await LiveClient.connect("http://127.0.0.1:8000") as client:
        ready = await client.hello(character="monalisa")
        await client.stream_audio(Kind.AGENT_AUDIO, speech, 24000)   # paced in real time
        async for frame in client.frames(seconds=5): frame.rgb(), frame.audio, frame.pts

Frames and JSON messages are read by one background task into a queue (frames) and a list
(messages), so sending audio in real time never waits on reading.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import cv2
import numpy as np

from openlpm.server.binary import Flags, FrameHeader, Kind, pack_client, unpack_frame

CHUNK_S = 0.02  # 20 ms: what a microphone or a voice API delivers at a time


@dataclass
class Frame:
    header: FrameHeader
    jpeg: bytes
    audio: np.ndarray  # int16 at header.audio_rate, playing from header.audio_pts
    received_at: float  # time.monotonic() on arrival

    @property
    def pts(self) -> float:
        return self.header.pts

    @property
    def speaking(self) -> bool:
        return bool(self.header.flags & Flags.SPEAKING)

    @property
    def listening(self) -> bool:
        return bool(self.header.flags & Flags.LISTENING)

    def rgb(self) -> np.ndarray:
        bgr = cv2.imdecode(np.frombuffer(self.jpeg, np.uint8), cv2.IMREAD_COLOR)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


class ServerError(Exception):
    """The server answered with an error message."""

    def __init__(self, message: dict[str, Any]) -> None:
        super().__init__(f"{message.get('code')}: {message.get('message')}")
        self.message = message


CLOSE_TIMEOUT_S = 5.0  # the longest close() waits for the server's side of the handshake, s


class LiveClient:
    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, http: aiohttp.ClientSession, read: bool = True
    ) -> None:
        self.ws, self.http = ws, http
        self.messages: list[dict[str, Any]] = []
        self.sent_at: dict[int, float] = {}  # seq -> monotonic send time of audio chunks
        self.seq = 0
        self._frames: asyncio.Queue[Frame | None] = asyncio.Queue()
        self._new_message = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        if read:
            self.start_reading()

    @classmethod
    async def connect(
        cls, base_url: str, token: str | None = None, read: bool = True, **ws_options: Any
    ) -> LiveClient:
        """Connect to ``base_url`` (http://host:port); ``read=False`` leaves the socket unread
        until :meth:`start_reading` (a client that does not read, for backpressure tests)."""
        http = aiohttp.ClientSession()
        url = base_url.rstrip("/") + "/ws" + (f"?token={token}" if token else "")
        try:
            ws = await http.ws_connect(url, max_msg_size=0, **ws_options)
        except Exception:
            await http.close()
            raise
        return cls(ws, http, read)

    @property
    def reading_done(self) -> bool:
        return self._reader is not None and self._reader.done()

    def start_reading(self) -> None:
        if self._reader is None:
            self._reader = asyncio.create_task(self._read())

    async def __aenter__(self) -> LiveClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        # aiohttp's close() reads on until the server's CLOSE, restarting its timeout on every
        # message: a server still streaming frames under load kept it waiting indefinitely
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), CLOSE_TIMEOUT_S)
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self.http.close()

    async def _read(self) -> None:
        try:
            async for msg in self.ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    self.messages.append(json.loads(msg.data))
                    self._new_message.set()
                elif msg.type == aiohttp.WSMsgType.BINARY:
                    header, jpeg, audio = unpack_frame(msg.data)
                    self._frames.put_nowait(Frame(header, jpeg, audio.copy(), time.monotonic()))
        finally:
            self._frames.put_nowait(None)
            self._new_message.set()

    async def wait_closed(self, timeout: float = 30.0) -> None:
        """Until the server has closed the socket (and everything it sent was read)."""
        if self._reader is not None:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)

    # --- messages ------------------------------------------------------------------------

    async def send(self, kind: str, **fields: Any) -> None:
        await self.ws.send_str(json.dumps({"type": kind, **fields}))

    async def wait_for(self, kind: str, timeout: float = 30.0, after: int = 0) -> dict[str, Any]:
        """The first message of type ``kind`` (index >= after); an ``error`` raises."""
        deadline = time.monotonic() + timeout
        while True:
            for msg in self.messages[after:]:
                if msg["type"] == kind:
                    return msg
                if msg["type"] == "error" and kind != "error":
                    raise ServerError(msg)
            left = deadline - time.monotonic()
            if self.reading_done:
                raise ConnectionError(f"closed before a {kind!r} message: {self.messages}")
            if left <= 0:
                raise TimeoutError(f"no {kind!r} message within {timeout} s: {self.messages}")
            self._new_message.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_message.wait(), left)

    async def hello(self, timeout: float = 60.0, **fields: Any) -> dict[str, Any]:
        """Say hello and wait for ``ready``."""
        mark = len(self.messages)
        await self.send("hello", **fields)
        return await self.wait_for("ready", timeout, after=mark)

    # --- audio and files -----------------------------------------------------------------

    async def send_pcm(self, kind: Kind, samples: np.ndarray, rate: int) -> int:
        """Send float samples in [-1, 1] as one PCM16 chunk; returns its seq."""
        self.seq += 1
        pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        self.sent_at[self.seq] = time.monotonic()
        await self.ws.send_bytes(pack_client(kind, pcm, rate, self.seq))
        return self.seq

    async def send_file(self, kind: Kind, data: bytes) -> None:
        self.seq += 1
        await self.ws.send_bytes(pack_client(kind, data, 0, self.seq))

    async def stream_audio(
        self, kind: Kind, samples: np.ndarray, rate: int, chunk_s: float = CHUNK_S
    ) -> None:
        """Send ``samples`` in chunks paced by the clock, as a live source would."""
        step = max(1, round(rate * chunk_s))
        start = time.monotonic()
        for i, at in enumerate(range(0, samples.size, step)):
            await asyncio.sleep(max(0.0, start + i * chunk_s - time.monotonic()))
            await self.send_pcm(kind, samples[at : at + step], rate)

    # --- frames --------------------------------------------------------------------------

    async def next_frame(self, timeout: float = 10.0) -> Frame | None:
        """The next frame; None when the socket closed."""
        return await asyncio.wait_for(self._frames.get(), timeout)

    async def frames(self, seconds: float) -> AsyncIterator[Frame]:
        """Frames arriving during the next ``seconds``."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                frame = await asyncio.wait_for(self._frames.get(), left)
            except TimeoutError:
                return
            if frame is None:
                return
            yield frame

    def drain(self) -> list[Frame]:
        """Frames already received and not yet taken."""
        out = []
        while not self._frames.empty():
            frame = self._frames.get_nowait()
            if frame is not None:
                out.append(frame)
        return out
