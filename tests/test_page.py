"""The page in real headless Chromium (Debian's chromium, driven by Playwright).

A fake microphone plays a WAV of speech (Chromium's --use-file-for-fake-audio-capture). The
page must: play the video (the <video> element advances and shows the character), receive
frames, listen to the microphone (listening flag, lips closed), talk when the say box is used
(lips moving, measured by re-detecting the face in screenshots of the video element), report
prompts it did not understand, and take an uploaded portrait.

Set OPENLPM_SCREENSHOTS=<folder> to keep screenshots of the page (docs/ has a few).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import pytest

from openlpm.analysis import FaceAnalyzer
from openlpm.audio.tts import synthesize
from openlpm.cli import bundled
from openlpm.io.audio import Audio, write_wav
from openlpm.server.process import ServerProcess

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CLOSED_GAP, OPEN_GAP = 0.02, 0.04  # inner-lip gap / face height (see test_server_stream.py)
BROWSER_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--no-first-run",
    "--disable-quic",
    # the machine has no network: without these Chromium keeps trying to reach Google
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",  # grant the microphone without a prompt
    "--use-fake-device-for-media-stream",
]


def _need_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("OPENLPM_REQUIRE_BROWSER"):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def mic_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the fake microphone says, in a loop: speech with pauses."""
    speech = synthesize("Hi there. Can you hear me? I am talking to you right now.").audio
    pause = np.zeros(int(speech.sample_rate * 1.0), np.float32)
    audio = Audio(np.concatenate([pause, speech.samples, pause]), speech.sample_rate)
    path = tmp_path_factory.mktemp("mic") / "mic.wav"
    write_wav(path, audio.resampled(48000))
    return path


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    _need_browser()
    with ServerProcess() as srv:
        yield srv.wait_warm()


@pytest.fixture(scope="module")
def page(server: ServerProcess, mic_wav: Path):
    with open_page(server, [*BROWSER_ARGS, f"--use-file-for-fake-audio-capture={mic_wav}"]) as p:
        yield p


@contextmanager
def open_page(server: ServerProcess, browser_args: list[str]) -> Iterator:
    """The app's page in headless Chromium, its character picker shown; fails the test if
    the page raised a JavaScript error meanwhile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=browser_args)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url + "/")
        page.wait_for_selector(".character")
        page.errors = errors  # type: ignore[attr-defined]
        yield page
        browser.close()
    assert not errors, f"errors on the page: {errors}"


def _shot(page, name: str) -> None:
    folder = os.environ.get("OPENLPM_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        time.sleep(0.3)  # past the badges' fade-in
        page.screenshot(path=str(Path(folder) / name), type="jpeg", quality=80)


def _video_frames(page, seconds: float) -> list[np.ndarray]:
    """Screenshots of the <video> element: what the user sees it play."""
    frames, end = [], time.monotonic() + seconds
    video = page.locator("#video")
    while time.monotonic() < end:
        png = video.screenshot()
        frames.append(
            cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), 1), cv2.COLOR_BGR2RGB)
        )
    return frames


def _gaps(frames: list[np.ndarray]) -> np.ndarray:
    with FaceAnalyzer() as analyzer:
        found = [analyzer.measure(rgb) for rgb in frames]
    assert all(m is not None for m in found), "no face in a frame of the video element"
    return np.array([m.mouth_gap for m in found])


def _state(page) -> dict:
    return page.evaluate(
        """() => {
          const v = document.getElementById('video');
          return {time: v.currentTime, paused: v.paused, ready: v.readyState,
                  width: v.videoWidth, fps: openlpm.player ? openlpm.player.fps : 0,
                  latency: openlpm.client ? openlpm.client.latencyP50() : null,
                  listening: document.getElementById('badge-listening').classList.contains('on'),
                  speaking: document.getElementById('badge-speaking').classList.contains('on')};
        }"""
    )


def _wait(page, check: str, timeout_s: float = 20.0) -> None:
    page.wait_for_function(check, timeout=timeout_s * 1000)


def test_the_video_plays_and_frames_arrive(page) -> None:
    _shot(page, "page-start.jpg")
    page.click(".character[data-id=monalisa]")
    page.click("#start-button")
    _wait(page, "document.getElementById('conn').dataset.state === 'live'", 60)
    _wait(page, "document.getElementById('video').currentTime > 1.5")
    time.sleep(2.0)  # the player's fps is measured over the last 2 s
    state = _state(page)
    assert not state["paused"] and state["ready"] >= 2 and state["width"] > 0, state
    # a playing video, not a slide show; the 25 frames/s target is benchmarks/' to measure (a
    # quiet 2-core machine shows 25 here, the same machine with four other jobs on it 8.9)
    assert state["fps"] >= 12, f"the page shows {state['fps']:.1f} frames/s"
    gaps = _gaps(_video_frames(page, 1.0))  # the face is there, the mouth at rest
    assert gaps.max() < CLOSED_GAP


def test_start_turned_the_microphone_on_and_it_listens(page) -> None:
    # "press start, and talk": Start asked for the microphone, no second click needed
    assert page.get_attribute("#mic-button", "aria-pressed") == "true"
    _wait(page, "document.getElementById('badge-listening').classList.contains('on')", 60)
    _shot(page, "page-listening.jpg")
    frames = _video_frames(page, 2.0)
    state = _state(page)
    assert state["latency"] is not None and state["latency"] < 1000, state  # frames ack the mic
    shown = page.inner_text("#latency")
    assert shown.isdigit(), f"latency shown as {shown!r}: whole milliseconds, always"
    assert "your microphone" in page.get_attribute("#latency-metric", "title")
    assert not state["speaking"]
    assert _gaps(frames).max() < CLOSED_GAP, "false lip motion while listening"
    page.click("#mic-button")  # microphone off: only the character speaks next


def test_the_say_box_makes_it_talk(page) -> None:
    page.fill("#say-text", "Hello! It is lovely to meet you. What shall we talk about today?")
    page.click("#say-button")
    _wait(page, "document.getElementById('badge-speaking').classList.contains('on')")
    _shot(page, "page-speaking.jpg")
    gaps = _gaps(_video_frames(page, 3.0))
    assert gaps.max() > OPEN_GAP and gaps.std() > 0.01, f"lips: {np.round(gaps, 3)}"


def test_prompts_show_what_was_not_understood(page) -> None:
    page.fill("#prompt-text", "smile, then juggle three flaming torches")
    page.press("#prompt-text", "Enter")
    _wait(page, "document.getElementById('prompt-result').textContent.includes('juggle')")
    text = page.inner_text("#prompt-result")
    assert "smile" in text and "not understood" in text


def test_an_uploaded_portrait_comes_alive(page) -> None:
    page.set_input_files("#image-input", str(bundled("astronaut.jpg")))
    _wait(page, "document.getElementById('conn').textContent.includes('your image')", 60)
    _wait(page, "document.getElementById('loading').hidden")
    time.sleep(1.0)
    assert _gaps(_video_frames(page, 0.5)).size > 0  # the new face is on screen
    assert "data:image" not in page.inner_text("#toast")
    assert not page.errors  # type: ignore[attr-defined]


def test_expression_references_are_added_or_refused_on_the_page(page, astronaut_rig, tmp_path):
    """After the uploaded astronaut: another face is refused (the page says why), an
    open-mouth picture of the same face is taken (the page says what it shows)."""
    from openlpm.io.images import save_image
    from openlpm.motion import MotionFrame
    from openlpm.render import Renderer

    opened = Renderer(astronaut_rig, max(astronaut_rig.size)).render(
        MotionFrame.neutral().replace(jawOpen=1.0)
    )
    save_image(tmp_path / "open.png", opened)
    toast = "document.getElementById('toast')"
    page.set_input_files("#ref-input", str(bundled("monalisa.jpg")))
    _wait(page, f"{toast}.textContent.includes('different face') && !{toast}.hidden", 60)
    page.set_input_files("#ref-input", str(tmp_path / "open.png"))
    _wait(page, f"{toast}.textContent.includes('Reference added (mouth open)')", 90)
    _shot(page, "page-reference.jpg")
    _wait(page, "document.getElementById('loading').hidden")
    assert _gaps(_video_frames(page, 0.5)).size > 0
    assert not page.errors  # type: ignore[attr-defined]
