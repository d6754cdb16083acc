"""VTube Studio (openlpm live --vts) against a server that follows VTube Studio's public API
document message for message (tests/vts_server.py): VTube Studio itself cannot run here."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import openlpm
from openlpm.audio.tts import synthesize
from openlpm.integrations.vts import VtsError, VtsSink, token_path, vts_parameters
from openlpm.motion.frame import MotionFrame
from vts_server import DEFAULT_PARAMETERS, FakeVTubeStudio

FPS = 25
CLI = "import sys; from openlpm.cli import main; sys.exit(main(sys.argv[1:]))"
EXPECTED = {
    "MouthOpen", "MouthSmile", "FaceAngleX", "FaceAngleY", "FaceAngleZ", "EyeOpenLeft",
    "EyeOpenRight", "EyeLeftX", "EyeLeftY", "EyeRightX", "EyeRightY", "BrowLeftY", "BrowRightY",
    "FacePositionX", "FacePositionY", "FacePositionZ",
}  # fmt: skip


@pytest.fixture(autouse=True)
def own_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # where the token goes


def test_the_mapping_covers_the_parameters_within_their_ranges() -> None:
    poses = [
        MotionFrame.neutral(),
        MotionFrame.of(jawOpen=0.6, mouthSmileLeft=1, mouthSmileRight=1, headYaw=45),
        MotionFrame.of(eyeBlinkLeft=1, eyeLookOutLeft=1, eyeLookInRight=1, browDownLeft=1),
    ]
    for pose in poses:
        values = {p["id"]: p["value"] for p in vts_parameters(pose)}
        assert set(values) == EXPECTED
        for name, value in values.items():
            lo, hi = DEFAULT_PARAMETERS[name]
            assert lo <= value <= hi, (name, value)
    open_, blink = ({p["id"]: p["value"] for p in vts_parameters(x)} for x in poses[1:])
    assert open_["MouthOpen"] == 1 and open_["MouthSmile"] == 1 and open_["FaceAngleX"] == 30
    assert blink["EyeOpenLeft"] == 0 and blink["EyeOpenRight"] == 1
    assert blink["EyeLeftX"] == blink["EyeRightX"] == 1  # both eyes look the same way


def test_it_authenticates_keeps_the_token_and_lip_syncs_the_model() -> None:
    speech = synthesize("Hello there, I am moving your model's mouth.").audio
    with FakeVTubeStudio() as vts:
        sink = VtsSink(vts.url)
        assert vts.kinds()[:2] == ["AuthenticationTokenRequest", "AuthenticationRequest"]
        assert token_path().is_file(), "the token was not kept for next time"
        with openlpm.Session(render=False, fps=FPS, sinks=[sink]) as session:
            time.sleep(1.0)
            speaking_from = time.monotonic()
            session.push_agent_samples(speech.samples, speech.sample_rate)
            time.sleep(speech.duration + 1.0)
        sink.close()  # (the session closed it already: closing twice is fine)
        # Request ids: unique, and every reply answers its request with the same id.
        ids = [r["requestID"] for r in vts.requests]
        assert len(set(ids)) == len(ids)
        assert [r["requestID"] for r in vts.replies] == ids
        assert all(r["messageType"] != "APIError" for r in vts.replies), vts.replies[-1]

    shots = vts.injections
    assert set(shots[-1].values) == EXPECTED
    times = np.array([s.at for s in shots])
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate > 0.7 * FPS, f"{rate:.1f} injections a second"
    mouth = np.array([s.values["MouthOpen"] for s in shots])
    idle = mouth[times < speaking_from]
    talking = mouth[(times > speaking_from + 0.3) & (times < speaking_from + speech.duration)]
    assert idle.max() < 0.1, f"the mouth moved before any speech: {idle.max():.2f}"
    assert np.percentile(talking, 90) > 0.4, f"the mouth does not open: {talking.max():.2f}"

    # Next time the kept token is used: no new pop-up for the user.
    with FakeVTubeStudio() as vts2:
        vts2.tokens.update(vts.tokens)
        VtsSink(vts2.url).close()
        assert vts2.kinds()[0] == "AuthenticationRequest"
        assert "AuthenticationTokenRequest" not in vts2.kinds()


def test_it_sends_at_least_once_a_second_without_frames() -> None:
    with FakeVTubeStudio() as vts:
        sink = VtsSink(vts.url)  # no session: no frames at all
        time.sleep(3.0)
        sink.close()
    times = np.array([s.at for s in vts.injections])
    assert len(times) >= 3 and np.diff(times).max() < 1.0


def test_a_lost_connection_is_retried_with_the_kept_token() -> None:
    lines: list[str] = []
    with FakeVTubeStudio() as vts:
        sink = VtsSink(vts.url, log=lines.append)
        with openlpm.Session(render=False, fps=FPS, sinks=[sink]):
            time.sleep(1.0)
            vts.drop_connections()
            dropped_at = time.monotonic()
            time.sleep(3.0)
        sink.close()  # (the session closed it already: closing twice is fine)
    assert vts.connections == 2, "it did not reconnect"
    assert vts.kinds().count("AuthenticationTokenRequest") == 1, "asked the user again"
    after = [s.at for s in vts.injections if s.at > dropped_at]
    assert after and after[0] - dropped_at < 2.0, "no data soon after the reconnection"
    assert any("reconnect" in line for line in lines), lines


def test_a_refused_plugin_is_a_one_line_error_and_exit_2(tmp_path: Path) -> None:
    with FakeVTubeStudio(deny=True) as vts:
        with pytest.raises(VtsError, match="refused"):
            VtsSink(vts.url)
        proc = subprocess.run(
            [sys.executable, "-c", CLI, "live", "--vts", vts.url, "--text", "Hi"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path)},
        )
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("openlpm")]
    assert len(errors) == 1 and "refused" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_no_vtube_studio_is_a_clear_error() -> None:
    with pytest.raises(VtsError, match="VTube Studio"):
        VtsSink("ws://127.0.0.1:9")  # nothing listens there
