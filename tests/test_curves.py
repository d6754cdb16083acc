"""read_curves / write_curves: parsing, interpolation, validation messages and round trips."""

from __future__ import annotations

import io
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from openlpm.errors import MotionFormatError
from openlpm.motion import PARAMS, MotionFrame, MotionTrack, read_curves, write_curves


def _read(text: str, fps: float = 10.0) -> MotionTrack:
    return read_curves(io.StringIO(text), fps)


def test_interpolation_and_missing_columns() -> None:
    track = _read("time,jawOpen,headYaw\n0.5,0.2,-10\n1.0,1.0,10\n2.0,0.0,0\n", fps=10)
    assert len(track) == 21  # frames 0 .. 2.0 s inclusive
    jaw, yaw = track.curve("jawOpen"), track.curve("headYaw")
    assert jaw[:6] == pytest.approx([0.2] * 6)  # held before the first row
    assert jaw[7] == pytest.approx(0.2 + 0.8 * 0.4)  # t=0.7: 40% of the way from 0.5 to 1.0
    assert jaw[15] == pytest.approx(0.5) and jaw[20] == pytest.approx(0.0)
    assert yaw[8] == pytest.approx(2.0)
    assert track[12]["headYaw"] == pytest.approx(8.0)
    assert not track.curve("eyeBlinkLeft").any() and not track.curve("bodyX").any()
    assert track.values.dtype == np.float32 and track.fps == 10


def test_frame_count_follows_fps_and_last_time() -> None:
    text = "time,jawOpen\n0,0\n1.0,1\n"
    assert len(_read(text, fps=25)) == 26
    assert len(_read(text, fps=3)) == 4
    assert len(_read("time,jawOpen\n0.99,0.5\n", fps=10)) == 10  # frame 9 at 0.9 s, not 10
    assert len(_read("time,jawOpen\n0,0.5\n", fps=25)) == 1


def test_tolerant_syntax() -> None:
    text = (
        "\ufeff# a comment\n\n  time , mouthSmileLeft ,headRoll\n"
        "   # another\n 0 , 0.5, -3 \n\n1,1e-1,3\n"
    )
    track = _read(text, fps=2)
    assert track.curve("mouthSmileLeft") == pytest.approx([0.5, 0.3, 0.1])
    assert track.curve("headRoll") == pytest.approx([-3, 0, 3])


def test_rounded_times_snap_to_frames() -> None:
    # 0.0333 and 0.0667 are 1/30 and 2/30 s rounded: frames 1 and 2 get those rows' values.
    track = _read("time,headYaw\n0,0\n0.0333,30\n0.0667,-30\n0.1,0\n", fps=30)
    assert track.curve("headYaw") == pytest.approx([0, 30, -30, 0])
    # A time off a frame by more than the rounding is interpolated as usual.
    assert _read("time,headYaw\n0,0\n0.04,30\n", fps=30).curve("headYaw")[1] == pytest.approx(25)


def test_column_order_is_free() -> None:
    track = _read("bodyY,time\n0.1,0\n-0.1,1\n", fps=2)
    assert track.curve("bodyY") == pytest.approx([0.1, 0.0, -0.1])


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("# only a comment\n\n", "empty"),
    ("time,jawOpen\n", "header but no rows"),
    ("jawOpen\n0.5\n", "no 'time' column"),
    ("time,jawopen,smile,eyeblinkleft\n0,0,0,0\n",
     "jawopen -> did you mean jawOpen.*smile.*eyeblinkleft -> did you mean eyeBlinkLeft"),
    ("time,headyaw\n0,0\n", "headyaw -> did you mean headYaw"),
    ("time,jawOpen,jawOpen\n0,0,0\n", "line 1: duplicate column.*jawOpen"),
    ("time,jawOpen,\n0,0,\n", "line 1: column 3 has no name"),
    ("time,jawOpen\n0,0\n1,0,0\n", "line 3: 3 cells but the header has 2"),
    ("time,jawOpen\n0,abc\n", "line 2, column jawOpen: 'abc' is not a finite number"),
    ("time,jawOpen\n0,nan\n", "line 2, column jawOpen: 'nan'"),
    ("time,jawOpen\n0,inf\n", "'inf' is not a finite"),
    ("time,jawOpen\n0,\n", "line 2, column jawOpen: '' is not"),
    ("time,jawOpen\n-0.5,0\n", "line 2, column time: time -0.5 is negative"),
    ("time,jawOpen\n0,0\n# c\n0.5,0\n0.5,1\n", "line 5: time 0.5 is not after .* 0.5"),
    ("time,jawOpen\n1,0\n0.5,1\n", "line 3: time 0.5 is not after"),
    ("time,jawOpen\n0,0\n7200,1\n", "past the 3600 s limit"),
    ("time,jawOpen\n0,1.2\n", r"line 2, column jawOpen: 1.2 is outside \[0, 1\]"),
    ("time,headPitch\n0,-45\n", r"-45 is outside \[-30, 30\] degrees"),
    ("time,bodyX\n0,0.3\n", r"0.3 is outside \[-0.25, 0.25\]"),
])  # fmt: skip
def test_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(MotionFormatError, match=message) as info:
        _read(text)
    assert "\n" not in str(info.value)


def test_read_from_path_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("time,jawOpen\n0,0\n0.4,1\n")
    assert read_curves(tmp_path / "m.csv", 10).curve("jawOpen")[2] == pytest.approx(0.5)
    assert read_curves(str(tmp_path / "m.csv"), 10).curve("jawOpen")[4] == pytest.approx(1.0)
    with pytest.raises(MotionFormatError, match="not found"):
        read_curves(tmp_path / "nope.csv", 25)


def test_write_default_columns_and_format() -> None:
    frames = [MotionFrame.of(jawOpen=0.5 * i, headYaw=-1.23456) for i in range(3)]
    out = io.StringIO()
    write_curves(MotionTrack.from_frames(frames, fps=4), out)
    assert out.getvalue().splitlines() == [
        "time,jawOpen,headYaw",
        "0.0000,0.0000,-1.2346",
        "0.2500,0.5000,-1.2346",
        "0.5000,1.0000,-1.2346",
    ]


def test_write_chosen_and_empty_columns() -> None:
    track = MotionTrack.from_frames([MotionFrame.neutral()] * 2, fps=2)
    out = io.StringIO()
    write_curves(track, out)
    assert out.getvalue() == "time\n0.0000\n0.5000\n"
    out = io.StringIO()
    write_curves(track, out, columns=["time", "eyeBlinkRight", "bodyX"])
    assert out.getvalue().splitlines()[:2] == ["time,eyeBlinkRight,bodyX", "0.0000,0.0000,0.0000"]
    with pytest.raises(MotionFormatError, match="jawopen -> did you mean jawOpen"):
        write_curves(track, io.StringIO(), columns=["jawopen"])


@pytest.mark.parametrize("fps", [25.0, 30.0, 29.97, 60.0])
def test_roundtrip(tmp_path: Path, fps: float) -> None:
    rng = np.random.default_rng(1)
    values = np.zeros((97, len(PARAMS)), np.float32)
    values[:, :52] = rng.random((97, 52))
    values[:, 52:55] = rng.uniform(-30, 30, (97, 3))
    values[:, 55:57] = rng.uniform(-0.25, 0.25, (97, 2))  # bodyX, bodyY
    values[:, 57] = rng.uniform(-0.15, 0.15, 97)  # bodyLean
    values[:, 58] = rng.random(97)  # bodyShrug
    track = MotionTrack(values, fps)
    write_curves(track, tmp_path / "sub" / "m.csv")  # a path: written atomically
    back = read_curves(tmp_path / "sub" / "m.csv", fps)
    assert len(back) == len(track)
    assert np.abs(back.values - track.values).max() < 6e-5  # 4 decimals; times snap back
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["m.csv"]


def test_shipped_example() -> None:
    track = read_curves(files("openlpm") / "assets" / "example_curves.csv", fps=25)
    assert 3.5 < track.duration < 4.5
    assert track.curve("mouthSmileLeft")[-1] > 0.5  # the smile has faded in
    blinks = np.diff((track.curve("eyeBlinkLeft") > 0.5).astype(int))
    assert (blinks == 1).sum() == 2
    assert track.curve("headYaw").max() == pytest.approx(10, abs=0.1)
    assert track.curve("headYaw")[-1] == pytest.approx(0, abs=0.01)
    assert track.curve("headPitch").min() < -4  # the nod
    jaw_open = np.diff((track.curve("jawOpen") > 0.15).astype(int))
    assert (jaw_open == 1).sum() >= 4  # syllables
