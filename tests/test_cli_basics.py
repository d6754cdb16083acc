"""The CLI's shell: the command list, one error style for bad arguments too, help with
examples, and SIGTERM / SIGHUP cleaning up like Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openlpm.cli import DEFAULT_OUT, _parser, main
from openlpm.io.video import read_video

COMMANDS = ("rig", "puppet", "poses", "render", "motion", "demo", "serve", "bench")


def test_bare_command_lists_the_commands(capsys) -> None:
    assert main([]) == 2
    out = capsys.readouterr().out
    assert all(f"    {name} " in out for name in COMMANDS), out


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["render", "--size", "abc", "-o", "x.mp4"], "size must be a number, got 'abc'"),
        (["render", "--size", "10", "-o", "x.mp4"], "between 64 and 4096"),
        (["render", "--fps", "0", "-o", "x.mp4"], "fps must be between 1 and 120"),
        (["render", "--mode", "fast", "-o", "x.mp4"], "invalid choice: 'fast'"),
        (["render"], "the following arguments are required: -o/--out"),
        (["rendr"], "invalid choice: 'rendr'"),
        (["render", "--bogus", "-o", "x.mp4"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_are_one_line_with_a_hint(argv, needle, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 1, lines
    assert lines[0].startswith("openlpm: error: ") and needle in lines[0], lines[0]
    assert "--help`)" in lines[0] and "usage:" not in err


def test_render_help_has_a_description_and_examples(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["render", "--help"])
    out = capsys.readouterr().out
    assert "performance video" in out and "examples:" in out
    assert out.count("openlpm render --image") >= 4


def test_demo_writes_under_the_ignored_out_folder() -> None:
    args = _parser().parse_args(["demo"])
    assert Path(args.out) == DEFAULT_OUT / "demo.mp4"
    ignored = (Path(__file__).parents[1] / ".gitignore").read_text().split()
    assert f"/{DEFAULT_OUT}/" in ignored and "/demo.mp4" in ignored


@pytest.mark.slow
def test_demo_renders_the_bundled_character_speaking(tmp_path: Path, analyzer) -> None:
    """The README's second command, end to end: a video whose re-detected mouth opens."""
    out = tmp_path / "demo.mp4"
    assert main(["demo", "-o", str(out)]) == 0
    frames, fps = read_video(out)
    assert fps == 25 and len(frames) > 100 and frames[0].shape == (512, 512, 3)
    gaps = [m.mouth_gap for m in map(analyzer.measure, frames[::5]) if m is not None]
    assert len(gaps) == len(frames[::5]) and max(gaps) > 0.04


def _partials(folder: Path) -> list[Path]:
    return list(folder.glob(".*partial*"))


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_during_render_leaves_no_partial_file(sig, tmp_path: Path) -> None:
    """Stopped while the video is being written: the hidden partial file is removed, no
    output appears, and the exit code is 130, as with Ctrl-C."""
    out = tmp_path / "v.mp4"
    # about 50 s of speech: the signal lands long before the render could finish (with three
    # lines a fast, lightly loaded render sometimes completed first and exited 0)
    text = "This is a long enough line to keep the renderer busy for a few seconds. " * 10
    argv = ["render", "--text", text, "--size", "256", "-o", str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "openlpm.cli", *argv],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not _partials(tmp_path) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _partials(tmp_path), "the render never started writing"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "openlpm: stopped" in err and "Traceback" not in err
    assert not _partials(tmp_path) and not out.exists()
