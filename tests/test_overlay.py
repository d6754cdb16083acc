"""The OBS overlay (/overlay) in real headless Chromium, driven by an API client's session.

A LiveClient (the Python API of the web app) starts a session and makes it talk; the overlay
page must show that character with the background transparent (a screenshot taken with
omitBackground keeps the alpha), animate (the lips move, re-detected from the screenshots),
and with ``--chroma`` show the key colour where the background was.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from openlpm.analysis import FaceAnalyzer
from openlpm.server.client import LiveClient
from openlpm.server.overlay import decode_overlay, encode_overlay
from openlpm.server.process import ServerProcess
from test_page import BROWSER_ARGS, CHROMIUM, _need_browser

pytestmark = pytest.mark.slow
LINE = "Hello there, I am speaking on your stream right now. Can you see me moving?"


class TalkingClient:
    """An API client on its own thread and event loop: one session, says lines on request."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.client: LiveClient | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> TalkingClient:
        self._thread.start()
        self._run(self._connect(), 120)
        return self

    async def _connect(self) -> None:
        self.client = await LiveClient.connect(self.url)
        await self.client.hello(character="monalisa", timeout=90)

    def say(self, text: str) -> None:
        assert self.client is not None
        self._run(self.client.send("say", text=text), 10)

    def _run(self, coro, timeout: float):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self._run(self.client.close(), 10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def talking() -> Iterator[tuple[ServerProcess, TalkingClient]]:
    _need_browser()
    with ServerProcess() as server, TalkingClient(server.wait_warm().url) as client:
        yield server, client


def _open_overlay(browser, url: str):
    page = browser.new_page(viewport={"width": 512, "height": 512})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + "/overlay")
    page.wait_for_function("overlay.frames > 5", timeout=30_000)
    return page, errors


def _rgba(png: bytes) -> np.ndarray:
    bgra = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    assert bgra.shape[2] == 4, "the screenshot lost its alpha channel"
    return cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA)


def _save(name: str, image: np.ndarray) -> None:
    folder = os.environ.get("OPENLPM_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(Path(folder) / name), cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA))


def over_checkerboard(rgba: np.ndarray, square: int = 32) -> np.ndarray:
    """The overlay as a compositor shows it: over a checkerboard (grey squares)."""
    h, w = rgba.shape[:2]
    yy, xx = np.mgrid[:h, :w]
    board = np.where(((yy // square + xx // square) % 2)[..., None], 200, 120).astype(np.float32)
    a = rgba[..., 3:4].astype(np.float32) / 255
    return np.round(rgba[..., :3] * a + board * (1 - a)).astype(np.uint8)


def test_overlay_frames_round_trip_with_their_alpha() -> None:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (64, 48, 3), dtype=np.uint8)
    alpha = np.zeros((64, 48), np.uint8)
    alpha[16:48, 12:36] = 255
    index, rgba = decode_overlay(encode_overlay(7, rgb, alpha, 90))
    assert index == 7 and rgba.shape == (64, 48, 4)
    assert np.abs(rgba[..., 3].astype(int) - alpha).max() < 40  # JPEG edges, not a lost mask


def test_the_overlay_is_transparent_around_the_character_and_talks(browser, talking) -> None:
    server, client = talking
    page, errors = _open_overlay(browser, server.url)
    canvas = page.locator("#overlay")
    still = _rgba(canvas.screenshot(omit_background=True))
    alpha = still[..., 3]
    # The portrait's corners are background: fully transparent. Its middle is the face: opaque.
    h, w = alpha.shape
    corners = np.concatenate(
        [alpha[: h // 8, : w // 8].ravel(), alpha[: h // 8, -w // 8 :].ravel()]
    )
    assert (corners == 0).mean() > 0.95, f"background not transparent: {np.median(corners)}"
    assert np.median(alpha[h // 3 : h // 2, 2 * w // 5 : 3 * w // 5]) == 255, (
        "the face is see-through"
    )
    assert 0.15 < (alpha > 128).mean() < 0.9, "the mask is not a person's shape"
    _save("overlay-transparent.png", still)
    _save("overlay-over-checkerboard.png", np.dstack([over_checkerboard(still), alpha * 0 + 255]))

    client.say(LINE)
    shots, end = [], time.monotonic() + 10.0  # the line lasts ~5 s; a busy CPU starts it late
    while time.monotonic() < end:
        shots.append(_rgba(canvas.screenshot(omit_background=True)))
    with FaceAnalyzer() as analyzer:
        found = [analyzer.measure(over_checkerboard(rgba)) for rgba in shots]
    assert all(m is not None for m in found), "no face in an overlay screenshot"
    gaps = [m.mouth_gap for m in found]
    widest = shots[int(np.argmax(gaps))]
    _save("overlay-talking.png", np.dstack([over_checkerboard(widest), widest[..., 3]]))
    assert max(gaps) > 0.03 and min(gaps) < 0.01, f"the lips do not move: {np.round(gaps, 3)}"
    frames = page.evaluate("overlay.frames")
    assert frames > 30, f"only {frames} overlay frames drawn"
    assert not errors, f"errors on the overlay page: {errors}"
    page.close()


def test_chroma_fills_the_background_with_the_key_colour(browser) -> None:
    with (
        ServerProcess(["--chroma", "#00ff00"]) as server,
        TalkingClient(server.wait_warm().url),
    ):
        page, errors = _open_overlay(browser, server.url)
        rgb = cv2.cvtColor(
            cv2.imdecode(np.frombuffer(page.locator("#overlay").screenshot(), np.uint8), 1),
            cv2.COLOR_BGR2RGB,
        )
        corner = rgb[:40, :40].reshape(-1, 3).astype(int)
        assert (np.abs(corner - [0, 255, 0]).max(axis=1) < 8).mean() > 0.95
        face = rgb[rgb.shape[0] // 3 : rgb.shape[0] // 2, 220:290].reshape(-1, 3).astype(int)
        assert (np.abs(face - [0, 255, 0]).max(axis=1) < 30).mean() < 0.05, "the face is keyed out"
        assert not errors
        page.close()
