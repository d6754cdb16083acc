"""The characters a client can pick, and their rigs (built once, off the event loop)."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from openlpm.character.rig import Rig, build_rig
from openlpm.errors import ImageError, NoFaceError, ProtocolError
from openlpm.heap import release_free_memory
from openlpm.io.images import load_image
from openlpm.io.quiet import native_stderr_muted
from openlpm.server.uploads import decode_image_upload
from openlpm.vision.models import release_sessions

BUNDLED = (("astronaut", "Astronaut", "astronaut.jpg"), ("monalisa", "Mona Lisa", "monalisa.jpg"))
UPLOAD = "upload"  # the id a client names to say "my own image follows"


@dataclass(frozen=True)
class Character:
    id: str
    name: str
    path: Path

    def describe(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "image": f"/characters/{self.id}"}


def catalog(extra_image: Path | None = None) -> dict[str, Character]:
    """The server's characters, the default first: ``--image`` if given, then the bundled ones."""
    assets = resources.files("openlpm") / "assets"
    found: dict[str, Character] = {}
    if extra_image is not None:
        found["custom"] = Character("custom", Path(extra_image).stem.replace("_", " "), extra_image)
    for ident, name, file in BUNDLED:
        found[ident] = Character(ident, name, Path(str(assets / file)))
    return found


class RigCache:
    """Rigs by image content, least recently used evicted; built one at a time on a worker thread.

    Building a rig takes 1-2 s of CPU (face mesh, segmentation, background plate): it must never
    run on the event loop, and two at once would only slow both down on a small machine.
    """

    def __init__(self, capacity: int = 6) -> None:
        self._capacity = capacity
        self._rigs: OrderedDict[str, Rig] = OrderedDict()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="openlpm-rig")
        self._building: dict[str, asyncio.Future[Rig]] = {}

    async def for_character(self, character: Character) -> Rig:
        return await self._get(f"file:{character.path}", lambda: _rig_from_path(character.path))

    async def for_upload(self, data: bytes, max_pixels: int) -> Rig:
        key = "sha256:" + hashlib.sha256(data).hexdigest()
        return await self._get(key, lambda: _rig_from_image(decode_image_upload(data, max_pixels)))

    async def _get(self, key: str, build: Callable[[], Rig]) -> Rig:
        if key in self._rigs:
            self._rigs.move_to_end(key)
            return self._rigs[key]
        if key not in self._building:  # concurrent requests for one image share one build
            loop = asyncio.get_running_loop()
            self._building[key] = asyncio.ensure_future(loop.run_in_executor(self._pool, build))
        try:
            rig = await asyncio.shield(self._building[key])
        finally:
            done = self._building.get(key)
            if done is not None and done.done():
                del self._building[key]
        self._rigs[key] = rig
        while len(self._rigs) > self._capacity:
            self._rigs.popitem(last=False)
        return rig

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _rig_from_path(path: Path) -> Rig:
    return _rig_from_image(load_image(path))


def _rig_from_image(rgb: np.ndarray) -> Rig:
    try:
        with native_stderr_muted():
            rig = build_rig(rgb)
        release_sessions()  # the face models: the server needs them again only for a new rig
        release_free_memory()  # the analysis's temporaries, which the server never needs again
        return rig
    except NoFaceError as e:
        raise ProtocolError("no_face", str(e)) from e
    except ImageError as e:
        raise ProtocolError("bad_image", str(e)) from e
