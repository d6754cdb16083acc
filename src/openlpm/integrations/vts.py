"""VTube Studio: drive the user's own Live2D model through its public plugin API.

``openlpm live --vts [ws://127.0.0.1:8001]``: :class:`VtsSink` connects to VTube Studio's
WebSocket API, authenticates as a plugin (AuthenticationTokenRequest once, the user clicks
"Allow", the token is kept in ``$XDG_CONFIG_HOME/openlpm/vts-token.json`` for next time;
then AuthenticationRequest) and sends one InjectParameterDataRequest per frame with the
default tracking parameters (:func:`vts_parameters`; VTube Studio drops a plugin's control of
a parameter after a second without data, so it is also sent at least once a second when no
frame comes). A lost connection is retried with backoff (0.5 s doubling to 8 s), the stored
token re-used. Only aiohttp (a base dependency) is needed.

Sinks write on the engine thread and must be quick: the sink keeps only the newest pose, and
its own thread with an event loop does the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from openlpm.errors import InputError, OpenLPMError
from openlpm.motion.frame import MotionFrame
from openlpm.stream.frames import VideoFrame

DEFAULT_URL = "ws://127.0.0.1:8001"
API_NAME, API_VERSION = "VTubeStudioPublicAPI", "1.0"
PLUGIN_NAME, PLUGIN_DEVELOPER = "openlpm", "openlpm project"
KEEPALIVE_S = 0.5  # well inside VTube Studio's one second
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)
REPLY_TIMEOUT_S = 10.0
TOKEN_WAIT_S = 120.0  # the user has to click "Allow" in VTube Studio's pop-up


class VtsError(InputError):
    """VTube Studio refused us (access denied, bad token) or cannot be reached."""


# --- the mapping ---------------------------------------------------------------------------


def vts_parameters(pose: MotionFrame) -> list[dict[str, float | str]]:
    """openlpm's pose as VTube Studio's default tracking parameters (documented in README):

    MouthOpen    jawOpen / 0.6 (openlpm's wide-open vowel is 1), 0..1
    MouthSmile   mean of mouthSmileLeft/Right, 0..1
    FaceAngleX   headYaw, FaceAngleY headPitch, FaceAngleZ headRoll: degrees, -30..30
    EyeOpenLeft  1 - eyeBlinkLeft + 0.5 eyeWideLeft (and Right), 0..1.5 as VTS' own tracker
    EyeLeftX     eyeLookOutLeft - eyeLookInLeft  (+ = the character's left), -1..1
    EyeRightX    eyeLookInRight - eyeLookOutRight (same direction for both eyes)
    EyeLeftY     eyeLookUpLeft - eyeLookDownLeft (and Right), -1..1
    BrowLeftY    0.5 + 0.5 (browOuterUpLeft + browInnerUp) / 2 - 0.5 browDownLeft, 0..1
    FacePositionX  10 bodyX, FacePositionY -10 bodyY (face heights -> VTS units), FacePositionZ 0
    """
    p = pose.clipped()
    smile = (p["mouthSmileLeft"] + p["mouthSmileRight"]) / 2
    values = {
        "MouthOpen": _clip(p["jawOpen"] / 0.6, 0, 1),
        "MouthSmile": _clip(smile, 0, 1),
        "FaceAngleX": _clip(p["headYaw"], -30, 30),
        "FaceAngleY": _clip(p["headPitch"], -30, 30),
        "FaceAngleZ": _clip(p["headRoll"], -30, 30),
        "FacePositionX": _clip(10 * p["bodyX"], -15, 15),
        "FacePositionY": _clip(-10 * p["bodyY"], -15, 15),
        "FacePositionZ": 0.0,
    }
    for side in ("Left", "Right"):
        values[f"EyeOpen{side}"] = _clip(
            1 - p[f"eyeBlink{side}"] + 0.5 * p[f"eyeWide{side}"], 0, 1.5
        )
        outward = p[f"eyeLookOut{side}"] - p[f"eyeLookIn{side}"]
        values[f"Eye{side}X"] = _clip(outward if side == "Left" else -outward, -1, 1)
        values[f"Eye{side}Y"] = _clip(p[f"eyeLookUp{side}"] - p[f"eyeLookDown{side}"], -1, 1)
        up = (p[f"browOuterUp{side}"] + p["browInnerUp"]) / 2
        values[f"Brow{side}Y"] = _clip(0.5 + 0.5 * up - 0.5 * p[f"browDown{side}"], 0, 1)
    return [{"id": k, "value": round(float(v), 4)} for k, v in values.items()]


def _clip(x: float, lo: float, hi: float) -> float:
    return lo if not math.isfinite(x) else min(hi, max(lo, x))


# --- the token -----------------------------------------------------------------------------


def token_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "openlpm" / "vts-token.json"


def _load_token() -> str | None:
    """The token VTube Studio gave openlpm last time (one per user: one VTube Studio)."""
    with contextlib.suppress(OSError, ValueError, AttributeError, TypeError):
        return str(json.loads(token_path().read_text())["token"])
    return None


def _save_token(token: str) -> None:
    path = token_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"token": token}))
    with contextlib.suppress(OSError):
        path.chmod(0o600)  # a token lets any program drive the user's model


# --- the client ----------------------------------------------------------------------------


@dataclass
class VtsStats:
    sent: int = 0  # InjectParameterDataRequests answered
    connects: int = 0
    token_requests: int = 0
    errors: int = 0


class VtsClient:
    """One WebSocket connection to VTube Studio: requests with ids, replies matched to them."""

    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url, self.http = url, http
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)

    async def connect(self) -> None:
        try:
            self.ws = await self.http.ws_connect(self.url, heartbeat=None)
        except (aiohttp.ClientError, OSError) as e:
            raise ConnectionError(f"cannot reach VTube Studio at {self.url}: {e}") from e

    async def request(
        self, kind: str, data: dict[str, Any], timeout: float = REPLY_TIMEOUT_S
    ) -> dict[str, Any]:
        """Send one request; its reply's data. An APIError reply raises VtsApiError."""
        assert self.ws is not None
        request_id = f"openlpm-{next(self._ids)}"
        message = {
            "apiName": API_NAME,
            "apiVersion": API_VERSION,
            "requestID": request_id,
            "messageType": kind,
            "data": data,
        }
        await self.ws.send_str(json.dumps(message))
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise ConnectionError("VTube Studio closed the connection")
                reply = json.loads(msg.data)
                if reply.get("requestID") != request_id:
                    continue  # an event or a late reply to an older request
                if reply.get("messageType") == "APIError":
                    err = reply.get("data") or {}
                    raise VtsApiError(int(err.get("errorID", -1)), str(err.get("message", "")))
                return dict(reply.get("data") or {})

    async def authenticate(self, token: str | None, stats: VtsStats) -> str:
        """Authenticate with ``token``, or ask the user for a new one; returns the token used."""
        plugin = {"pluginName": PLUGIN_NAME, "pluginDeveloper": PLUGIN_DEVELOPER}
        if token is not None:
            reply = await self.request(
                "AuthenticationRequest", {**plugin, "authenticationToken": token}
            )
            if reply.get("authenticated"):
                return token
        stats.token_requests += 1
        try:
            reply = await self.request("AuthenticationTokenRequest", plugin, TOKEN_WAIT_S)
        except VtsApiError as e:
            raise VtsError(
                f"VTube Studio refused openlpm ({e.message or 'error ' + str(e.error_id)}): "
                "allow the plugin when VTube Studio asks, or re-enable it under "
                "Settings > General > Plugins"
            ) from e
        token = str(reply.get("authenticationToken", ""))
        reply = await self.request(
            "AuthenticationRequest", {**plugin, "authenticationToken": token}
        )
        if not reply.get("authenticated"):
            raise VtsError(f"VTube Studio did not accept its own token: {reply.get('reason', '')}")
        return token

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


class VtsApiError(OpenLPMError):
    def __init__(self, error_id: int, message: str) -> None:
        super().__init__(f"VTube Studio error {error_id}: {message}")
        self.error_id, self.message = error_id, message


class VtsSink:
    """A session sink that drives VTube Studio. Construction connects and authenticates
    (blocking; raises :class:`VtsError` when refused or unreachable)."""

    def __init__(self, url: str = DEFAULT_URL, log: Any = None) -> None:
        self.url = url
        self.stats = VtsStats()
        self.error: BaseException | None = None
        self._log = log or (lambda line: print(f"openlpm: {line}", file=sys.stderr))
        self._pose: MotionFrame = MotionFrame.neutral()
        self._new_pose: asyncio.Event | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="openlpm-vts", daemon=True
        )
        self._thread.start()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        try:
            self._call(self._open(), TOKEN_WAIT_S + 2 * REPLY_TIMEOUT_S)
        except BaseException:
            self.close()  # the socket and the HTTP session: nothing left open
            raise
        self._task = self._call(self._start(), REPLY_TIMEOUT_S)

    # engine thread: quick
    def write(self, frame: VideoFrame) -> None:
        self._pose = frame.pose
        if self._new_pose is not None:
            self._loop.call_soon_threadsafe(self._new_pose.set)

    def close(self) -> None:
        """Stop sending and disconnect; idempotent (the session closes its sinks)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._call(self._shutdown(), 10)
        self._stop_loop()

    # --- the sink's own thread ---------------------------------------------------------------

    def _call(self, coro: Any, timeout: float) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _open(self) -> None:
        self._http = aiohttp.ClientSession()
        self._new_pose = asyncio.Event()
        try:
            await self._connect()
        except ConnectionError as e:
            raise VtsError(f"{e}; is VTube Studio running with its API on (Settings > API)?") from e

    async def _connect(self) -> None:
        self.client = VtsClient(self.url, self._http)
        await self.client.connect()
        token = await self.client.authenticate(_load_token(), self.stats)
        _save_token(token)
        self.stats.connects += 1

    async def _start(self) -> asyncio.Task[None]:
        return asyncio.create_task(self._run())

    async def _shutdown(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        client, http = getattr(self, "client", None), getattr(self, "_http", None)
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()
        if http is not None:
            await http.close()

    async def _run(self) -> None:
        """Send each new pose (at least every KEEPALIVE_S); reconnect when the link drops."""
        assert self._new_pose is not None
        while True:
            try:
                while True:
                    # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel
                    # that arrives as the event fires (25 times a second here)
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(KEEPALIVE_S):
                            await self._new_pose.wait()
                    self._new_pose.clear()
                    await self._inject(self._pose)
            except (ConnectionError, TimeoutError, aiohttp.ClientError) as e:
                self._log(f"VTube Studio: connection lost ({e}); reconnecting")
                try:
                    await self._reconnect()
                except VtsError as refused:  # the user revoked access: stop sending
                    self.error = refused
                    self._log(str(refused))
                    return

    async def _inject(self, pose: MotionFrame) -> None:
        data = {"faceFound": True, "mode": "set", "parameterValues": vts_parameters(pose)}
        try:
            await self.client.request("InjectParameterDataRequest", data)
        except VtsApiError as e:
            self.stats.errors += 1
            if e.error_id in (8, 50):  # access revoked, or the session lost its authentication
                raise ConnectionError(e.message) from e
            if self.stats.errors in (1, 10, 100):
                self._log(str(e))
            return
        self.stats.sent += 1

    async def _reconnect(self) -> None:
        with contextlib.suppress(Exception):
            await self.client.close()
        for attempt in itertools.count():
            await asyncio.sleep(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
            try:
                await self._connect()
            except (ConnectionError, TimeoutError, aiohttp.ClientError):
                continue
            self._log("VTube Studio: reconnected")
            return
