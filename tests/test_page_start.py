"""The page before a session: Start with the microphone blocked, and a bad upload before Start
(headless Chromium as in test_page.py, here without the flag that grants the microphone)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openlpm.server.process import ServerProcess
from test_page import BROWSER_ARGS, _need_browser, _wait, open_page

pytestmark = pytest.mark.slow
NO_MIC_GRANT = [a for a in BROWSER_ARGS if a != "--use-fake-ui-for-media-stream"]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    _need_browser()
    with ServerProcess() as srv:
        yield srv.wait_warm()


@pytest.fixture
def page(server: ServerProcess):
    with open_page(server, NO_MIC_GRANT) as p:
        yield p


def _shot(page, name: str) -> None:
    folder = os.environ.get("OPENLPM_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        time.sleep(3.0)  # the first frames on the stage
        page.screenshot(path=str(Path(folder) / name))


def test_a_blocked_microphone_is_said_plainly_and_the_session_goes_on(page) -> None:
    page.click("#start-button")  # asks for the microphone: this browser says no
    _wait(page, "document.getElementById('mic-button').dataset.state === 'blocked'", 60)
    assert "blocked" in page.inner_text("#mic-label")
    assert page.get_attribute("#mic-button", "aria-pressed") == "false"
    assert "allow the microphone" in page.inner_text("#toast")
    _wait(page, "document.getElementById('conn').dataset.state === 'live'", 60)
    _shot(page, "page-microphone-blocked.png")


def test_a_bad_upload_before_start_returns_to_the_picker_with_the_error(
    page, tmp_path: Path
) -> None:
    fake = tmp_path / "holiday.png"
    fake.write_bytes(b"this is not a picture at all" * 10)
    page.set_input_files("#image-input", str(fake), timeout=10_000)
    _wait(page, "!document.getElementById('start').hidden", 60)
    message = page.inner_text("#start-error")
    assert "PNG or JPEG" in message or "image" in message, message
    assert page.get_attribute("#conn", "data-state") == "idle"
    assert page.locator(".character[aria-pressed=true]").count() == 1  # back to a choice
    _shot(page, "page-bad-upload.png")
    page.click("#start-button")  # and the way on works
    _wait(page, "document.getElementById('conn').dataset.state === 'live'", 60)
    assert page.is_hidden("#start-error")
