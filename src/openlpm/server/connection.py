"""One WebSocket client: its messages in, its engine session, its frames out.

Three tasks per connection: the receive loop (this coroutine), the sender (drains the
:class:`Outbox` into the socket, encoding JPEGs at the last moment) and the stats ticker; plus
one pump task per engine session (engine frames -> outbox) and short-lived tasks for slow
requests (rig builds, TTS, file decoding), so streaming audio is never held up behind them. All
of them are cancelled and awaited when the socket closes, and the engine session is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

import cv2
from aiohttp import WSCloseCode, WSMsgType, web

from openlpm import __version__
from openlpm.character.rig import Rig
from openlpm.errors import ProtocolError, ReferenceImageError
from openlpm.server import protocol as p
from openlpm.server.acks import AckTracker
from openlpm.server.binary import (
    BinaryMessage,
    FrameHeader,
    Kind,
    float_to_pcm16,
    pack_frame,
    parse_binary,
)
from openlpm.server.characters import UPLOAD
from openlpm.server.engine import LiveSession, SessionOptions
from openlpm.server.outbox import Outbox, OutFrame
from openlpm.server.uploads import decode_audio_upload, decode_image_upload

if TYPE_CHECKING:
    from openlpm.server.app import Hub

log = logging.getLogger("openlpm.server")
UPLOAD_RATE = 24000  # uploaded speech files are decoded to this rate before streaming


class Connection:
    def __init__(self, ws: web.WebSocketResponse, hub: Hub) -> None:
        self.ws, self.hub, self.limits = ws, hub, hub.config.limits
        self.outbox = Outbox(
            self.limits.send_frames, self.limits.send_control, self.limits.carried_audio_seconds
        )
        self.options: SessionOptions | None = None
        self.quality = hub.config.jpeg_quality
        self.live: LiveSession | None = None
        self.rig: Rig | None = None  # the live character's rig (references are added to it)
        self._character = ("", "")  # (name, id) of the live character
        self.epoch = 0
        self._pump: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._switch_lock = asyncio.Lock()
        self._sent_at: deque[float] = deque(maxlen=64)
        self._acks = AckTracker()
        self._not_ready_told = False
        self._closing = False

    # --- lifecycle -----------------------------------------------------------------------

    async def run(self) -> None:
        self.send(
            "welcome",
            protocol=p.PROTOCOL_VERSION,
            server=f"openlpm {__version__}",
            characters=[c.describe() for c in self.hub.characters.values()],
            default=next(iter(self.hub.characters)),
            limits=self._public_limits(),
        )
        helpers = [self._spawn(self._send_loop()), self._spawn(self._stats_loop())]
        helpers.append(self._spawn(self._hello_deadline()))
        try:
            await self._receive_loop()
        finally:
            self._closing = True
            await self._stop_engine()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            if not self.ws.closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.ws.close(), 2.0)

    async def _receive_loop(self) -> None:
        async for msg in self.ws:
            if msg.type == WSMsgType.TEXT:
                await self._guard(self._on_text, msg.data)
            elif msg.type == WSMsgType.BINARY:
                await self._guard(self._on_binary, msg.data)
            elif msg.type == WSMsgType.ERROR:  # over max_message: aiohttp closed with 1009
                log.info("socket error: %s", msg.data)
                break
            if self._closing:
                break

    async def _guard(self, handle: Callable[[Any], Awaitable[None]], data: Any) -> None:
        try:
            await handle(data)
        except ProtocolError as e:
            await self.report(e)

    async def report(self, error: ProtocolError, id: p.MessageId = None) -> None:
        """Tell the client; a fatal error also closes the connection."""
        if not error.fatal:
            self.send_text(p.error_message(error, id))
            return
        self._closing = True
        with contextlib.suppress(Exception):  # a client that stopped reading may never get it
            await asyncio.wait_for(self.ws.send_str(p.error_message(error, id)), 1.0)
        with contextlib.suppress(Exception):
            code = WSCloseCode.POLICY_VIOLATION
            await asyncio.wait_for(self.ws.close(code=code, message=error.code.encode()), 2.0)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _spawn_request(self, coro: Coroutine[Any, Any, None], id: p.MessageId) -> None:
        """Run a slow request beside the receive loop; its ProtocolError goes to the client."""

        async def guarded() -> None:
            try:
                await coro
            except ProtocolError as e:
                await self.report(e, id)
            except Exception as e:  # a bug: tell the client, keep the connection
                log.exception("request failed")
                await self.report(ProtocolError("internal", f"the server failed: {e}"), id)

        self._spawn(guarded())

    # --- outgoing ------------------------------------------------------------------------

    def send(self, kind: str, **fields: Any) -> None:
        self.send_text(p.encode(kind, **fields))

    def send_text(self, text: str) -> None:
        try:
            self.outbox.put_text(text)
        except ProtocolError as e:
            self._spawn(self.report(e))

    async def _send_loop(self) -> None:
        try:
            while True:
                item = await self.outbox.get()
                if isinstance(item, str):
                    await self._send(self.ws.send_str(item))
                    continue
                data = await asyncio.to_thread(_encode_frame, item, self.quality)
                await self._send(self.ws.send_bytes(data))
                self.outbox.stats.frames_sent += 1
                self._sent_at.append(time.monotonic())
        except (ConnectionError, RuntimeError) as e:  # the socket went away under us
            log.info("send failed: %s", e)
            self._closing = True

    async def _send(self, sending: Awaitable[None]) -> None:
        try:
            await asyncio.wait_for(sending, self.limits.stall_timeout)
        except TimeoutError:
            await self.report(
                ProtocolError(
                    "too_slow",
                    f"the client read nothing for {self.limits.stall_timeout:.0f} s; disconnected",
                    fatal=True,
                )
            )
            raise asyncio.CancelledError from None

    async def _stats_loop(self) -> None:
        while True:
            await asyncio.sleep(self.limits.stats_interval)
            if self.live is not None:
                self.send_text(p.encode("stats", **self.stats()))

    def stats(self) -> dict[str, Any]:
        sent = self._sent_at
        span = sent[-1] - sent[0] if len(sent) > 1 else 0.0
        out = self.outbox.stats
        engine = self.live.stats() if self.live is not None else {}
        return {
            **engine,
            "epoch": self.epoch,
            "sent": out.frames_sent,
            "send_dropped": out.frames_dropped,
            "send_fps": round((len(sent) - 1) / span, 2) if span > 0 else 0.0,
            "audio_dropped_s": round(out.audio_dropped_s, 3),
        }

    async def _hello_deadline(self) -> None:
        await asyncio.sleep(self.limits.hello_timeout)
        if self.options is None:
            await self.report(
                ProtocolError(
                    "hello_timeout",
                    f'no "hello" within {self.limits.hello_timeout:.0f} s of connecting; '
                    'start with {"type": "hello"}',
                    fatal=True,
                )
            )

    def _public_limits(self) -> dict[str, Any]:
        lim = self.limits
        return {
            "max_message": lim.max_message,
            "max_text": lim.max_text,
            "max_audio_chunk": lim.max_audio_chunk,
            "max_audio_file": lim.max_audio_file,
            "max_audio_seconds": lim.max_audio_seconds,
            "max_image": lim.max_image,
            "max_image_pixels": lim.max_image_pixels,
        }

    # --- incoming ------------------------------------------------------------------------

    async def _on_text(self, text: str) -> None:
        msg = p.parse_text(text, self.limits)
        if isinstance(msg, p.Hello):
            return self._on_hello(msg)
        if isinstance(msg, p.Ping):
            return self.send("pong", t=msg.t, server_time=time.time(), id=msg.id)
        if isinstance(msg, p.Bye):
            self._closing = True
            await self.ws.close(code=WSCloseCode.OK, message=b"bye")
            return None
        if self.options is None:
            raise ProtocolError("not_ready", 'send {"type": "hello"} first')
        if isinstance(msg, p.ChooseCharacter):
            return self._choose(msg.character, msg.id)
        if isinstance(msg, p.StatsRequest):
            return self.send("stats", id=msg.id, **self.stats())
        live = self._require_live()
        if isinstance(msg, p.Say):
            return self._spawn_request(self._say(live, msg), msg.id)
        if isinstance(msg, p.Prompt):
            return self._spawn_request(self._prompt(live, msg), msg.id)
        if isinstance(msg, p.Stop):
            dropped = live.interrupt()
            return self.send("ack", of="stop", dropped_s=round(dropped, 3), id=msg.id)
        raise AssertionError(f"unhandled message {msg!r}")

    def _on_hello(self, msg: p.Hello) -> None:
        if self.options is not None:
            raise ProtocolError(
                "bad_state",
                '"hello" comes once per connection; switch characters with '
                '{"type": "character", "character": "<id>"}',
            )
        self.options = SessionOptions(msg.size, msg.fps, msg.seed, msg.voice)
        self.quality = msg.quality or self.quality
        character = msg.character or next(iter(self.hub.characters))
        if character == UPLOAD:
            self.send("status", state="waiting", message="waiting for a character image", id=msg.id)
            return
        self._choose(character, msg.id)

    def _choose(self, ident: str, id: p.MessageId) -> None:
        character = self.hub.characters.get(ident)
        if character is None:
            names = ", ".join(self.hub.characters)
            raise ProtocolError(
                "bad_field",
                f"unknown character {ident!r}; choose one of {names} or upload an image",
            )
        self._spawn_request(
            self._switch(character.name, ident, lambda: self.hub.rigs.for_character(character), id),
            id,
        )

    async def _on_binary(self, data: bytes) -> None:
        msg = parse_binary(data, self.limits)
        if msg.kind is Kind.IMAGE:
            if self.options is None:
                raise ProtocolError("not_ready", 'send {"type": "hello"} before an image')
            max_pixels = self.limits.max_image_pixels
            build = lambda: self.hub.rigs.for_upload(msg.payload, max_pixels)  # noqa: E731
            self._spawn_request(self._switch("your image", "upload", build, None), None)
            return
        if msg.kind is Kind.REFERENCE:
            self._require_live()
            self._spawn_request(self._add_reference(msg.payload), None)
            return
        live = self.live
        if live is None:
            if not self._not_ready_told:  # once, not once per 20 ms audio chunk
                self._not_ready_told = True
                raise ProtocolError("not_ready", "audio before the character is ready is ignored")
            return
        if msg.kind is Kind.USER_AUDIO:
            self._acks.pushed(msg.seq, time.monotonic())
            live.push_user_audio(msg.payload, msg.sample_rate)
        elif msg.kind is Kind.AGENT_AUDIO:
            self._acks.pushed(msg.seq, time.monotonic())
            live.push_agent_audio(msg.payload, msg.sample_rate)
        elif msg.kind is Kind.AGENT_AUDIO_FILE:
            self._spawn_request(self._agent_file(live, msg), None)

    def _require_live(self) -> LiveSession:
        if self.live is None:
            raise ProtocolError("not_ready", 'the character is still loading; wait for "ready"')
        return self.live

    # --- requests ------------------------------------------------------------------------

    async def _say(self, live: LiveSession, msg: p.Say) -> None:
        duration = await live.say(msg.text)
        self.send("ack", of="say", duration=round(duration, 3), id=msg.id)

    async def _prompt(self, live: LiveSession, msg: p.Prompt) -> None:
        understood, missed = await live.prompt(msg.text)
        self.send(
            "prompt_result", text=msg.text, understood=understood, not_understood=missed, id=msg.id
        )

    async def _agent_file(self, live: LiveSession, msg: BinaryMessage) -> None:
        lim = self.limits
        audio = await asyncio.to_thread(
            decode_audio_upload, msg.payload, UPLOAD_RATE, lim.max_audio_seconds
        )
        live.push_agent_samples(audio.samples, audio.sample_rate)
        self.send("ack", of="audio_file", duration=round(audio.duration, 3), seq=msg.seq)

    async def _add_reference(self, data: bytes) -> None:
        """Check an expression reference against the live character; if it shows the same
        face, restart the session with it (a new epoch) and say what it shows."""
        rig = self.rig
        if rig is None:
            raise ProtocolError("not_ready", 'the character is still loading; wait for "ready"')
        rgb = await asyncio.to_thread(decode_image_upload, data, self.limits.max_image_pixels)
        try:
            added = await asyncio.to_thread(_with_reference, rig, rgb)
        except ReferenceImageError as e:
            raise ProtocolError("bad_reference", str(e)) from e
        name, ident = self._character
        await self._switch(name, ident, _ready(added), None)
        ref = added.references[-1]
        self.send(
            "reference", states=sorted(ref.states), references=len(added.references),
            likeness=round(ref.likeness.score(), 3),
        )  # fmt: skip

    async def _switch(
        self, name: str, ident: str, rig: Callable[[], Awaitable[Rig]], id: p.MessageId
    ) -> None:
        """Build (or fetch) the rig, then replace the engine session: one switch at a time."""
        async with self._switch_lock:
            self.send("status", state="loading", message=f"preparing {name}", id=id)
            new_rig = await rig()
            assert self.options is not None
            live = await _start_session(new_rig, self.options)
            if self._closing:
                await live.aclose()
                return
            await self._stop_engine()
            self.epoch += 1
            self.live, self._not_ready_told = live, False
            self.rig, self._character = new_rig, (name, ident)
            self.outbox.drop_frames()
            height, width = new_rig.image.shape[:2]
            self.send(
                "ready", character=ident, name=name, epoch=self.epoch, fps=self.options.fps,
                size=self.options.size, aspect=round(width / height, 4), id=id,
            )  # fmt: skip
            self._pump = self._spawn(self._pump_frames(live))
            self.hub.overlay.start(self)  # the overlay shows the newest session

    async def _pump_frames(self, live: LiveSession) -> None:
        try:
            async for frame in live.frames():
                frame.ack = self._acks.seq_for(frame.input_at)
                self.outbox.put_frame(frame)
                self.hub.overlay.publish(self, frame.index, frame.rgb, frame.alpha)
        except Exception as e:  # an engine failure ends this session, not the server
            log.exception("engine session failed")
            self.send("error", code="internal", message=f"the animation stopped: {e}", fatal=False)

    async def _stop_engine(self) -> None:
        pump, live = self._pump, self.live
        self._pump, self.live = None, None
        self.hub.overlay.stop(self)
        if pump is not None:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
        if live is not None:
            await live.aclose()


def _with_reference(rig: Rig, rgb: Any) -> Rig:
    """``rig`` with one more expression reference (blocking: face detection and the checks)."""
    from openlpm.character.reference import load_reference
    from openlpm.heap import release_free_memory
    from openlpm.io.quiet import native_stderr_muted
    from openlpm.vision.models import release_sessions

    with native_stderr_muted():
        ref = load_reference(rgb, rig.image, rig.face.landmarks, name="you sent")
    release_sessions()  # the face models and the analysis's heap: the live session needs neither
    release_free_memory()
    return dataclasses.replace(rig, references=(*rig.references, ref))


def _ready(rig: Rig) -> Callable[[], Awaitable[Rig]]:
    async def get() -> Rig:
        return rig

    return get


async def _start_session(rig: Rig, options: SessionOptions) -> LiveSession:
    """Construct a session on a thread; if the connection ends meanwhile, close it once built
    (its engine thread must not outlive the connection)."""
    building = asyncio.ensure_future(asyncio.to_thread(LiveSession, rig, options))
    try:
        return await asyncio.shield(building)
    except asyncio.CancelledError:
        building.add_done_callback(_close_orphan)
        raise


def _close_orphan(done: asyncio.Future[LiveSession]) -> None:
    if not done.cancelled() and done.exception() is None:
        threading.Thread(target=done.result().close, name="openlpm-close", daemon=True).start()


def _encode_frame(frame: OutFrame, quality: int) -> bytes:
    """JPEG + header + PCM16: runs on a worker thread (OpenCV releases the GIL)."""
    bgr = cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2BGR)
    ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    pcm = float_to_pcm16(frame.audio)
    header = FrameHeader(
        frame.index, frame.pts, frame.flags, frame.audio_rate, frame.audio.size, jpeg.size,
        frame.ack, frame.audio_pts,
    )  # fmt: skip
    return pack_frame(header, jpeg.tobytes(), pcm)
