"""Sinks and the live/export commands: VMC received by a real OSC server, CSV, JSON lines."""

from __future__ import annotations

import csv
import json
import math
import threading
from collections.abc import Iterator

import numpy as np
import pytest
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import ThreadingOSCUDPServer

from openlpm.cli import main
from openlpm.errors import InputError
from openlpm.motion.frame import MotionFrame
from openlpm.motion.params import BLENDSHAPES
from openlpm.sinks.livelink import HEADER, timecode
from openlpm.sinks.vmc import VmcSink, head_quaternion, parse_address, vmc_messages
from openlpm.stream.frames import VideoFrame


class Receiver:
    """A real OSC server on a free local port, recording (address, args) in arrival order."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, tuple]] = []
        self.lock = threading.Lock()
        dispatcher = Dispatcher()
        dispatcher.set_default_handler(self._on, needs_reply_address=False)
        self.server = ThreadingOSCUDPServer(("127.0.0.1", 0), dispatcher)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _on(self, address: str, *args: object) -> None:
        with self.lock:
            self.messages.append((address, args))

    def of(self, address: str) -> list[tuple]:
        with self.lock:
            return [a for addr, a in self.messages if addr == address]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()
    r.thread.join()


def frame_of(pose: MotionFrame, index: int = 0) -> VideoFrame:
    return VideoFrame(
        index,
        index / 25,
        None,
        pose,
        np.zeros(960, np.float32),
        24000,
        index / 25,
        False,
        False,
        None,
        0.0,
    )


def wait_for(predicate, timeout: float = 5.0) -> None:
    event = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        event.wait(0.01)
    raise AssertionError("timed out")


def test_vmc_frames_reach_a_real_osc_server(receiver):
    pose = MotionFrame.of(jawOpen=0.5, eyeBlinkLeft=1.0, headYaw=20.0)
    sink = VmcSink("127.0.0.1", receiver.port)
    for i in range(3):  # one at a time: the threading server may interleave datagrams
        sink.write(frame_of(pose, i))
        wait_for(lambda i=i: len(receiver.of("/VMC/Ext/Blend/Apply")) == i + 1)
    sink.close()
    blends = receiver.of("/VMC/Ext/Blend/Val")
    assert len(blends) == 3 * 52
    values = dict(blends[:52])
    assert values["JawOpen"] == pytest.approx(0.5) and values["EyeBlinkLeft"] == 1.0
    assert set(values) == {n[0].upper() + n[1:] for n in BLENDSHAPES}
    assert receiver.of("/VMC/Ext/OK")[0] == (1,)
    assert [t for (t,) in receiver.of("/VMC/Ext/T")] == pytest.approx([0.0, 0.04, 0.08])
    name, *position, qx, qy, qz, qw = receiver.of("/VMC/Ext/Bone/Pos")[0]
    assert name == "Head" and position == [0.0, 0.0, 0.0]
    # +yaw (the character's left) is a negative rotation about Unity's up axis
    assert qy == pytest.approx(-math.sin(math.radians(10)), abs=1e-6)
    assert qw == pytest.approx(math.cos(math.radians(10)), abs=1e-6)
    assert qx == pytest.approx(0, abs=1e-6) and qz == pytest.approx(0, abs=1e-6)
    # order inside a frame: values first, then apply
    order = [a for a, _ in receiver.messages[: 52 + 4]]
    assert order[-1] == "/VMC/Ext/Blend/Apply" and order[3] == "/VMC/Ext/Blend/Val"


def test_vmc_naming_and_quaternions():
    pose = MotionFrame.of(jawOpen=0.8)
    arkit = dict(a for addr, a in vmc_messages(pose, 0, "arkit") if addr.endswith("Val"))
    assert arkit["jawOpen"] == pytest.approx(0.8)
    vrm = dict(a for addr, a in vmc_messages(pose, 0, "vrm") if addr.endswith("Val"))
    assert vrm["A"] == pytest.approx(0.8) and set(vrm) >= {"I", "U", "E", "O", "Blink_L"}
    for yaw, pitch, roll in [(10, -5, 3), (-25, 12, -8)]:
        q = np.array(head_quaternion(yaw, pitch, roll))
        assert np.linalg.norm(q) == pytest.approx(1.0)
    assert head_quaternion(0, 10, 0)[0] == pytest.approx(-math.sin(math.radians(5)))
    assert head_quaternion(0, 0, 10)[2] == pytest.approx(math.sin(math.radians(5)))
    assert parse_address("localhost:9000") == ("localhost", 9000)
    assert parse_address("10.0.0.2") == ("10.0.0.2", 39539)
    for bad in ("host:port", ":9000", "h:70000"):
        with pytest.raises(InputError, match="HOST:PORT"):
            parse_address(bad)


def test_livelink_timecode():
    assert timecode(0.0, 25) == "00:00:00:00.000"
    assert timecode(3661.48, 25) == "01:01:01:12.000"


def test_export_livelink_csv(tmp_path, capsys):
    out = tmp_path / "take.csv"
    code = main(
        ["export", "--text", "Hello there, my friend.", "--format", "livelink-csv", "-o", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    rows = list(csv.reader(out.open()))
    assert tuple(rows[0]) == HEADER and len(HEADER) == 2 + 61
    assert all(r[1] == "61" and len(r) == len(HEADER) for r in rows[1:])
    assert rows[1][0] == "00:00:00:00.000" and rows[26][0] == "00:00:01:00.000"
    jaw = np.array([float(r[HEADER.index("JawOpen")]) for r in rows[1:]])
    # near rest at 0 s: the first sound is 50 ms in, and the mouth (following the TTS's
    # phones, as Base) starts opening for it a little ahead
    assert jaw.max() > 0.25 and jaw[0] < 0.15
    yaw = np.array([float(r[HEADER.index("HeadYaw")]) for r in rows[1:]])
    assert 0 < np.abs(yaw).max() < 0.6  # radians


def test_export_vmc_and_json(tmp_path, capsys):
    vmc, js = tmp_path / "take.vmc.jsonl", tmp_path / "poses.jsonl"
    args = ["export", "--text", "Hello.", "--prompt", "smile"]
    assert main([*args, "--format", "vmc", "-o", str(vmc)]) == 0
    assert main([*args, "--format", "json", "-o", str(js)]) == 0
    lines = [json.loads(line) for line in vmc.open()]
    frames = len([m for m in lines if m["address"] == "/VMC/Ext/Blend/Apply"])
    assert len(lines) == frames * (4 + 52)
    assert lines[0] == {"t": 0.0, "address": "/VMC/Ext/OK", "args": [1]}
    poses = [json.loads(line) for line in js.open()]
    assert len(poses) == frames and poses[1]["t"] == 0.04
    assert max(p["pose"]["mouthSmileLeft"] for p in poses) > 0.4
    assert max(p["pose"]["jawOpen"] for p in poses) > 0.1


def test_export_errors_are_one_line(tmp_path, capsys):
    assert main(["export", "--format", "json", "-o", str(tmp_path / "x.jsonl")]) == 2
    assert "nothing to export" in capsys.readouterr().err
    assert main(["export", "--text", "Hi", "--format", "json", "-o", str(tmp_path)]) == 2
    assert "folder" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # no partial output left behind


def test_live_streams_vmc_in_real_time(receiver, tmp_path, capsys):
    csv_out = tmp_path / "live.csv"
    code = main(
        [
            "live",
            "--text",
            "Hello there.",
            "--vmc",
            f"127.0.0.1:{receiver.port}",
            "--livelink-csv",
            str(csv_out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert "0 dropped" in err
    rows = list(csv.reader(csv_out.open()))
    assert len(rows) - 1 >= 25
    wait_for(lambda: len(receiver.of("/VMC/Ext/Blend/Apply")) == len(rows) - 1)
    times = sorted(t for (t,) in receiver.of("/VMC/Ext/T"))  # datagrams may interleave
    assert np.allclose(np.diff(times), 0.04)
    jaw = [v for name, v in receiver.of("/VMC/Ext/Blend/Val") if name == "JawOpen"]
    assert max(jaw) > 0.2


def test_live_needs_an_output(capsys):
    assert main(["live", "--text", "Hi"]) == 2
    assert "at least one output" in capsys.readouterr().err
