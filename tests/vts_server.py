"""A stand-in for VTube Studio's plugin API (VTube Studio itself cannot run here).

It follows the public API document (github.com/DenchiSoft/VTubeStudio, README "API Details"
and Files/ErrorID.cs) message for message for what openlpm uses: every reply carries apiName,
apiVersion, timestamp, the request's requestID and a data object; AuthenticationTokenRequest
answers a token or, when the user denies, APIError 50; AuthenticationRequest answers
authenticated true/false (the plugin name and developer must match the token's); requests that
need authentication before it get APIError 8; InjectParameterDataRequest checks its parameter
ids (453), values (451), mode (455) and that some are given (450). It records everything and
can drop the connection, as VTube Studio does when it is closed.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

DEFAULT_PARAMETERS = {
    # the default tracking parameters and their ranges in VTube Studio
    "FacePositionX": (-15, 15), "FacePositionY": (-15, 15), "FacePositionZ": (-10, 10),
    "FaceAngleX": (-30, 30), "FaceAngleY": (-30, 30), "FaceAngleZ": (-30, 30),
    "MouthSmile": (0, 1), "MouthOpen": (0, 1), "Brows": (0, 1),
    "EyeOpenLeft": (0, 1.5), "EyeOpenRight": (0, 1.5),
    "EyeLeftX": (-1, 1), "EyeLeftY": (-1, 1), "EyeRightX": (-1, 1), "EyeRightY": (-1, 1),
    "BrowLeftY": (0, 1), "BrowRightY": (0, 1),
}  # fmt: skip


@dataclass
class Injection:
    at: float
    values: dict[str, float]


@dataclass
class FakeVTubeStudio:
    deny: bool = False  # the user clicks "Deny" on the plugin pop-up
    requests: list[dict[str, Any]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)
    injections: list[Injection] = field(default_factory=list)
    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> plugin, dev
    connections: int = 0

    def __post_init__(self) -> None:
        self._sockets: set[web.WebSocketResponse] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    # --- test side ---------------------------------------------------------------------------

    def start(self) -> FakeVTubeStudio:
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        return self

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def kinds(self) -> list[str]:
        return [r.get("messageType", "") for r in self.requests]

    def drop_connections(self) -> None:
        """Close every plugin's socket, as quitting VTube Studio would."""
        asyncio.run_coroutine_threadsafe(self._drop(), self._loop).result(5)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self) -> FakeVTubeStudio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- server side -------------------------------------------------------------------------

    async def _serve(self) -> int:
        app = web.Application()
        app.router.add_get("/", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _drop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.add(ws)
        self.connections += 1
        session: dict[str, Any] = {"authenticated": False}
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            await ws.send_str(json.dumps(self._answer(msg.data, session)))
        self._sockets.discard(ws)
        return ws

    def _answer(self, text: str, session: dict[str, Any]) -> dict[str, Any]:
        try:
            req = json.loads(text)
        except ValueError:
            return self._reply(None, "APIError", {"errorID": 0, "message": "JSON invalid"})
        self.requests.append(req)
        rid, kind = req.get("requestID"), req.get("messageType")
        data = req.get("data") or {}
        if req.get("apiName") != "VTubeStudioPublicAPI":
            return self._error(rid, 1, "apiName invalid")
        if req.get("apiVersion") != "1.0":
            return self._error(rid, 2, "apiVersion invalid")
        if not kind:
            return self._error(rid, 4, "messageType missing")
        if kind == "AuthenticationTokenRequest":
            return self._token(rid, data)
        if kind == "AuthenticationRequest":
            plugin = (data.get("pluginName"), data.get("pluginDeveloper"))
            ok = self.tokens.get(data.get("authenticationToken", "")) == plugin
            session["authenticated"] = ok
            reason = "Token valid." if ok else "Token invalid or revoked."
            return self._reply(
                rid, "AuthenticationResponse", {"authenticated": ok, "reason": reason}
            )
        if not session["authenticated"]:
            return self._error(rid, 8, "This request requires authentication.")
        if kind == "InjectParameterDataRequest":
            return self._inject(rid, data)
        return self._error(rid, 5, f"Unknown message type {kind}")

    def _token(self, rid: Any, data: dict[str, Any]) -> dict[str, Any]:
        name, dev = data.get("pluginName", ""), data.get("pluginDeveloper", "")
        if not 3 <= len(name) <= 32:
            return self._error(rid, 52, "pluginName must be 3-32 characters")
        if not 3 <= len(dev) <= 32:
            return self._error(rid, 53, "pluginDeveloper must be 3-32 characters")
        if self.deny:
            return self._error(rid, 50, "User has denied API access for your plugin.")
        token = secrets.token_hex(16)
        self.tokens[token] = (name, dev)
        return self._reply(rid, "AuthenticationTokenResponse", {"authenticationToken": token})

    def _inject(self, rid: Any, data: dict[str, Any]) -> dict[str, Any]:
        values = data.get("parameterValues") or []
        if not values:
            return self._error(rid, 450, "No data provided.")
        if data.get("mode", "set") not in ("set", "add"):
            return self._error(rid, 455, "mode must be set or add")
        got = {}
        for item in values:
            ident, value = item.get("id"), item.get("value")
            if ident not in DEFAULT_PARAMETERS:
                return self._error(rid, 453, f"Parameter {ident} not found.")
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                return self._error(rid, 451, f"Value for {ident} invalid.")
            got[ident] = float(value)
        self.injections.append(Injection(time.monotonic(), got))
        return self._reply(rid, "InjectParameterDataResponse", {})

    def _error(self, rid: Any, error_id: int, message: str) -> dict[str, Any]:
        return self._reply(rid, "APIError", {"errorID": error_id, "message": message})

    def _reply(self, rid: Any, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        reply = {
            "apiName": "VTubeStudioPublicAPI",
            "apiVersion": "1.0",
            "timestamp": int(time.time() * 1000),
            "requestID": rid if rid is not None else secrets.token_hex(8),
            "messageType": kind,
            "data": data,
        }
        self.replies.append(reply)
        return reply
