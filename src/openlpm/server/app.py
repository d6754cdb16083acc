"""The aiohttp application: the page, its static files, the characters and the WebSocket.

Routes::

    GET /                 the page (static/index.html)
    GET /static/<file>    its scripts and styles (no CDN: works offline)
    GET /characters/<id>  a character's picture
    GET /api/info         characters, limits, protocol version, free session slots (JSON)
    GET /ws               the WebSocket: one live session per connection (docs/protocol.md)
    GET /overlay          the character alone on a transparent background (an OBS browser source)
    GET /overlay/ws       its frames: those of the newest live session (server/overlay.py)
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import importlib
import logging
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, web

from openlpm import __version__
from openlpm.errors import ProtocolError, ServerConfigError
from openlpm.server import protocol as p
from openlpm.server.characters import Character, RigCache, catalog
from openlpm.server.config import ServerConfig
from openlpm.server.connection import Connection
from openlpm.server.overlay import OverlayFeed

log = logging.getLogger("openlpm.server")


@dataclass
class Hub:
    """State shared by all connections of one server."""

    config: ServerConfig
    characters: dict[str, Character]
    rigs: RigCache
    overlay: OverlayFeed
    connections: set[Connection] = field(default_factory=set)


HUB = web.AppKey("hub", Hub)
WARM_UP = web.AppKey("warm_up", asyncio.Task)


def static_dir() -> Path:
    return Path(str(resources.files("openlpm.server") / "static"))


def create_app(config: ServerConfig) -> web.Application:
    app = web.Application()
    app[HUB] = Hub(config, catalog(config.image), RigCache(), OverlayFeed(config.jpeg_quality))
    app.router.add_get("/", _index)
    app.router.add_get("/ws", _websocket)
    app.router.add_get("/overlay", _overlay_page)
    app.router.add_get("/overlay/ws", _overlay_websocket)
    app.router.add_get("/api/info", _info)
    app.router.add_get("/characters/{id}", _character_image)
    app.router.add_static("/static/", static_dir(), append_version=False)
    app.on_startup.append(_warm_up)
    app.on_shutdown.append(_close_all)
    app.on_cleanup.append(_cleanup)
    return app


async def _index(request: web.Request) -> web.FileResponse:
    response = web.FileResponse(static_dir() / "index.html")
    response.headers["Cache-Control"] = "no-cache"
    return response


async def _overlay_page(request: web.Request) -> web.FileResponse:
    response = web.FileResponse(static_dir() / "overlay.html")
    response.headers["Cache-Control"] = "no-cache"
    return response


async def _overlay_websocket(request: web.Request) -> web.WebSocketResponse:
    hub = request.app[HUB]
    ws = web.WebSocketResponse(compress=False, heartbeat=30.0)
    await ws.prepare(request)
    _small_send_buffer(request, hub.config.limits.send_buffer)
    refusal = _access_refusal(request, hub)
    if refusal is not None:
        error, code = refusal
        await ws.send_str(p.error_message(error))
        await ws.close(code=code, message=error.code.encode())
        return ws
    await hub.overlay.serve(ws, hub.config.chroma)
    return ws


async def _info(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    return web.json_response(
        {
            "server": f"openlpm {__version__}",
            "protocol": p.PROTOCOL_VERSION,
            "characters": [c.describe() for c in hub.characters.values()],
            "default": next(iter(hub.characters)),
            "sessions": len(hub.connections),
            "max_sessions": hub.config.limits.max_sessions,
            "token_required": hub.config.token is not None,
            "warm": request.app[WARM_UP].done(),  # default rig and models loaded
        }
    )


async def _character_image(request: web.Request) -> web.FileResponse:
    character = request.app[HUB].characters.get(request.match_info["id"])
    if character is None:
        raise web.HTTPNotFound(text="no such character")
    return web.FileResponse(character.path)


async def _websocket(request: web.Request) -> web.WebSocketResponse:
    hub = request.app[HUB]
    limits = hub.config.limits
    # No permessage-deflate: frames are JPEG already; compressing them would only cost CPU.
    ws = web.WebSocketResponse(max_msg_size=limits.max_message, compress=False, heartbeat=30.0)
    await ws.prepare(request)
    _small_send_buffer(request, limits.send_buffer)
    refusal = _refusal(request, hub)
    if refusal is not None:  # refused after the upgrade: browsers cannot read an HTTP refusal
        error, code = refusal
        await ws.send_str(p.error_message(error))
        await ws.close(code=code, message=error.code.encode())
        return ws
    connection = Connection(ws, hub)
    hub.connections.add(connection)
    try:
        await connection.run()
    finally:
        hub.connections.discard(connection)
    return ws


def _refusal(request: web.Request, hub: Hub) -> tuple[ProtocolError, int] | None:
    refusal = _access_refusal(request, hub)
    if refusal is not None:
        return refusal
    if len(hub.connections) >= hub.config.limits.max_sessions:
        n = hub.config.limits.max_sessions
        return ProtocolError(
            "busy",
            f"the server is busy: {n} sessions are running, its limit (openlpm serve "
            "--max-sessions); try again when one ends",
            fatal=True,
        ), WSCloseCode.TRY_AGAIN_LATER
    return None


def _access_refusal(request: web.Request, hub: Hub) -> tuple[ProtocolError, int] | None:
    """The token and the page's origin, checked for every WebSocket (sessions and overlay)."""
    token = hub.config.token
    given = request.query.get("token") or request.headers.get("Authorization", "")[7:]
    if token is not None and not hmac.compare_digest(given.encode(), token.encode()):
        why = "a wrong token" if given else "no token"
        return ProtocolError(
            "unauthorized",
            f"this server needs its token and got {why}: connect to /ws?token=<token> "
            "(or send 'Authorization: Bearer <token>')",
            fatal=True,
        ), WSCloseCode.POLICY_VIOLATION
    origin = request.headers.get("Origin")
    if origin and urlsplit(origin).netloc not in ("", request.host):
        # A page from another site must not drive this server through the user's browser.
        return ProtocolError(
            "forbidden_origin",
            f"WebSocket from the page {origin} refused: only this server's own page may connect",
            fatal=True,
        ), WSCloseCode.POLICY_VIOLATION
    return None


def _small_send_buffer(request: web.Request, size: int) -> None:
    """A small kernel send buffer: frames a slow client has not read wait in the outbox (where
    they can be dropped), not in megabytes of socket buffer (where they only add latency)."""
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


async def _warm_up(app: web.Application) -> None:
    """Import the engine and build the default rig before clients wait for them.

    A ``--image`` is built before the server listens, so a bad one fails ``openlpm serve`` at
    once with a clear message; the bundled characters are known to work and warm up behind.
    """
    hub = app[HUB]
    default = next(iter(hub.characters.values()))
    if hub.config.image is not None:
        await hub.rigs.for_character(default)

    async def warm() -> None:
        try:
            await _in_daemon_thread(lambda: importlib.import_module("openlpm.stream.session"))
            # an agent's first words (text frames) align at once, not after the aligner starts
            importlib.import_module("openlpm.stream.aligner").warm()
            await hub.rigs.for_character(default)
            # The sentence model is not loaded here: it would hold 50 MB in every server, and
            # the first free-text prompt loads it in a fraction of a second off the engine's
            # thread (the vocabulary comes embedded), a frame or two late once.
        except Exception as e:  # the first client will see the real error
            log.warning("warm-up failed: %s", e)

    app[WARM_UP] = asyncio.create_task(warm())


async def _in_daemon_thread(fn: Callable[[], object]) -> None:
    """Run ``fn`` on a daemon thread: unlike the default executor, which asyncio.run joins, a
    warm-up still importing torch must not hold up Ctrl+C."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if done.done():
            return
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)

    def run() -> None:
        error = None
        try:
            fn()
        except BaseException as e:
            error = e
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(settle, error)

    threading.Thread(target=run, name="openlpm-warm-up", daemon=True).start()
    await done


async def _close_all(app: web.Application) -> None:
    for connection in list(app[HUB].connections):
        with contextlib.suppress(Exception):
            await connection.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


async def _cleanup(app: web.Application) -> None:
    app[WARM_UP].cancel()
    app[HUB].rigs.close()


async def serve(config: ServerConfig, ready: asyncio.Event | None = None) -> None:
    """Run until cancelled; prints the page's address (with the real port when --port 0)."""
    runner = web.AppRunner(create_app(config), handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.port)
        try:
            await site.start()
        except OSError as e:
            raise ServerConfigError(
                f"cannot listen on {config.host}:{config.port}: {e.strerror or e}; "
                "choose another --port (0 = any free one) or stop the other server"
            ) from e
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        host = f"[{config.host}]" if ":" in config.host else config.host
        query = f"?token={config.token}" if config.token else ""
        print(f"openlpm serve: http://{host}:{port}/{query}  (Ctrl+C to stop)", flush=True)
        if ready is not None:
            ready.set()
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        print("openlpm serve: stopped", file=sys.stderr, flush=True)
