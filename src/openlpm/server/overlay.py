"""The OBS overlay: the character alone, on a transparent background, at ``/overlay``.

The overlay shows whatever the most recently started session on this server shows (the
control page's, or an API client's): that session's connection publishes its frames to the
:class:`OverlayFeed`, and every ``/overlay/ws`` viewer receives them. Each frame travels as two
JPEGs, the colour and the person mask (grey), which the page joins into one RGBA canvas: at
512x512 that encodes in a few ms, where OpenCV's WebP with alpha takes ~15x longer, too slow
for 25 fps on a shared CPU.

Binary message: ``b"OLPO"``, u32 frame index, u32 colour length (big-endian), the colour JPEG,
then the mask JPEG.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from typing import Any

import cv2
import numpy as np
from aiohttp import WSMsgType, web

MAGIC = b"OLPO"
HEADER = struct.Struct(">4sII")
MASK_QUALITY = 90  # the mask's edges are what a viewer sees against the stream: keep them crisp


def encode_overlay(index: int, rgb: np.ndarray, alpha: np.ndarray, quality: int) -> bytes:
    """One overlay frame: header, colour JPEG, mask JPEG."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    ok, colour = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    ok2, mask = cv2.imencode(".jpg", alpha, [cv2.IMWRITE_JPEG_QUALITY, MASK_QUALITY])
    if not (ok and ok2):
        raise RuntimeError("JPEG encoding failed")
    return HEADER.pack(MAGIC, index, colour.size) + colour.tobytes() + mask.tobytes()


def decode_overlay(data: bytes) -> tuple[int, np.ndarray]:
    """(index, (H, W, 4) RGBA) from an overlay message: for tests and Python viewers."""
    magic, index, n = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ValueError("not an overlay frame")
    at = HEADER.size
    colour = cv2.imdecode(np.frombuffer(data, np.uint8, n, at), cv2.IMREAD_COLOR)
    mask = cv2.imdecode(np.frombuffer(data, np.uint8, offset=at + n), cv2.IMREAD_GRAYSCALE)
    return index, np.dstack([cv2.cvtColor(colour, cv2.COLOR_BGR2RGB), mask])


class OverlayFeed:
    """Frames of the current source session, encoded once, to every overlay viewer.

    Sources stack: the newest session started is shown; when it ends, the one before it.
    Each viewer holds only the newest encoded frame: a slow viewer skips frames.
    """

    def __init__(self, quality: int) -> None:
        self.quality = quality
        self._sources: list[object] = []
        self._viewers: set[asyncio.Queue[bytes]] = set()
        self._encoding = False
        self.sent = 0

    def start(self, source: object) -> None:
        self.stop(source)
        self._sources.append(source)

    def stop(self, source: object) -> None:
        with contextlib.suppress(ValueError):
            self._sources.remove(source)

    def publish(self, source: object, index: int, rgb: np.ndarray, alpha: Any) -> None:
        """Called by a connection for each of its frames; encodes only for the current source,
        only when someone watches, and one frame at a time (a busy encoder skips frames)."""
        if not self._viewers or not self._sources or self._sources[-1] is not source:
            return
        if alpha is None or self._encoding:
            return
        self._encoding = True
        asyncio.get_running_loop().create_task(self._encode_and_send(index, rgb, alpha))

    async def _encode_and_send(self, index: int, rgb: np.ndarray, alpha: np.ndarray) -> None:
        try:
            data = await asyncio.to_thread(encode_overlay, index, rgb, alpha, self.quality)
        finally:
            self._encoding = False
        for queue in self._viewers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(data)
        self.sent += 1

    async def serve(self, ws: web.WebSocketResponse, chroma: str | None) -> None:
        """Stream to one viewer until it goes away."""
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1)
        self._viewers.add(queue)
        reader = asyncio.create_task(_drain(ws))
        try:
            await ws.send_json({"type": "overlay", "chroma": chroma})
            while not reader.done():
                getting = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait({getting, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getting not in done:
                    getting.cancel()
                    break
                await ws.send_bytes(getting.result())
        except (ConnectionError, RuntimeError):
            pass  # the viewer went away while we were sending
        finally:
            self._viewers.discard(queue)
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)


async def _drain(ws: web.WebSocketResponse) -> None:
    """The viewer sends nothing we need; reading notices when it closes."""
    async for msg in ws:
        if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
            break
