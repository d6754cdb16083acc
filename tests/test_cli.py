"""The ``openlpm`` CLI on bad input and on the happy paths.

The promise: every user error is a clear one-line ``openlpm: error: ...`` on stderr with exit
code 2, no partial output and never a traceback. Most tests call ``openlpm.cli.main``
in-process (mediapipe is loaded once); one runs the installed console script.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

import cv2
import numpy as np
import pytest

import openlpm.character.detect
import openlpm.character.rig
from openlpm.character.detect import MIN_FACE_PX, detect_faces
from openlpm.cli import bundled, main
from openlpm.io.audio import Audio, write_wav
from openlpm.io.images import load_image
from openlpm.io.video import read_video, read_video_audio

SIZE = "128"  # video / contact sheet size: keeps the renders fast
SHORT_CSV = "time,jawOpen\n0,0\n0.4,0.5\n"  # 0.4 s: 11 frames at 25 fps


# ---------------------------------------------------------------------------------- helpers


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    """(inputs, outputs): outputs starts empty, so any leftover there is a failure's debris."""
    inputs, outputs = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    outputs.mkdir()
    return inputs, outputs


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return load_image(bundled("astronaut.jpg"))


@pytest.fixture(scope="module")
def rig_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shared") / "rig"
    assert main(["rig", "--image", str(bundled("astronaut.jpg")), "-o", str(folder)]) == 0
    return folder


def _csv(folder: Path, text: str, name: str = "motion.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _png(path: Path, rgb: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def _fails(capsys: pytest.CaptureFixture[str], argv: list[str], *needles: str) -> str:
    """Run the CLI; assert exit code 2 and a single clean error line naming ``needles``."""
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert rc == 2, f"exit code {rc}, stderr: {err!r}"
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    line = lines[0]
    assert line.startswith("openlpm: error: "), line
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    assert out == ""
    return line


def _no_output(outputs: Path, *also: Path) -> None:
    """Nothing was written: no final file or folder, no hidden temp file."""
    assert not list(outputs.glob(".*partial*")), list(outputs.iterdir())
    assert list(outputs.iterdir()) == []
    for path in also:
        assert not path.exists(), path


def _image_argv(command: str, image: Path, outputs: Path, csv: Path, face: int = 0) -> list:
    """argv for ``command`` on ``image``, with the output inside ``outputs``."""
    common = ["--image", image, "--face", str(face)]
    if command == "rig":
        return ["rig", *common, "-o", outputs / "rig"]
    if command == "puppet":
        return ["puppet", *common, "--motion", csv, "--size", SIZE, "-o", outputs / "v.mp4"]
    return ["poses", *common, "--size", SIZE, "-o", outputs / "p.png"]


def _small_face_canvas(astronaut: np.ndarray) -> np.ndarray:
    """The astronaut at half size (face ~54 px) pasted in a plain, larger grey canvas.

    At 20 % (face ~21 px) mediapipe finds nothing, which would test 'no face' rather than the
    size limit; half size is the smallest that mediapipe still reliably detects.
    """
    small = cv2.resize(astronaut, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    h, w = small.shape[:2]
    pad = 48
    canvas = np.full((h + 2 * pad, w + 2 * pad, 3), 200, np.uint8)
    canvas[pad : pad + h, pad : pad + w] = small
    return canvas


COMMANDS = ["rig", "puppet", "poses"]


# ----------------------------------------------------------------------------- bad images


@pytest.mark.parametrize("command", COMMANDS)
def test_text_file_named_png(command, dirs, capsys) -> None:
    inputs, outputs = dirs
    fake = inputs / "character.png"
    fake.write_text("this is not an image\n" * 20)
    _fails(capsys, _image_argv(command, fake, outputs, _csv(inputs, SHORT_CSV)), "character.png")
    _no_output(outputs)


@pytest.mark.parametrize("command", COMMANDS)
def test_image_without_face(command, dirs, capsys) -> None:
    inputs, outputs = dirs
    ramp = np.linspace(0, 255, 256, dtype=np.float32)
    gradient = np.dstack(
        [np.tile(ramp, (256, 1)), np.tile(ramp[:, None], (1, 256)), 255 - np.tile(ramp, (256, 1))]
    )
    image = _png(inputs / "gradient.png", gradient.astype(np.uint8))
    _fails(capsys, _image_argv(command, image, outputs, _csv(inputs, SHORT_CSV)), "no face")
    _no_output(outputs)


@pytest.mark.parametrize("command", COMMANDS)
def test_face_too_small(command, dirs, capsys, astronaut) -> None:
    inputs, outputs = dirs
    canvas = _small_face_canvas(astronaut)
    faces = detect_faces(canvas)  # precondition: mediapipe sees the face, it is just small
    assert faces and faces[0].height < MIN_FACE_PX, [f.height for f in faces]
    image = _png(inputs / "small.png", canvas)
    line = _fails(
        capsys, _image_argv(command, image, outputs, _csv(inputs, SHORT_CSV)), f"{MIN_FACE_PX} px"
    )
    assert "no face" not in line
    _no_output(outputs)


@pytest.mark.parametrize(
    ("kind", "encode"), [("JPEG", ".jpg"), ("PNG", ".png")], ids=["jpeg", "png"]
)
@pytest.mark.parametrize("command", ["rig", "puppet"])
def test_truncated_image(command, kind, encode, dirs, capsys, astronaut) -> None:
    inputs, outputs = dirs
    ok, buf = cv2.imencode(encode, cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    assert ok
    data = buf.tobytes()
    image = inputs / f"cut{encode}"
    image.write_bytes(data[: len(data) * 6 // 10])
    argv = _image_argv(command, image, outputs, _csv(inputs, SHORT_CSV))
    _fails(capsys, argv, f"cut{encode}", f"truncated {kind}")
    _no_output(outputs)


@pytest.mark.parametrize("command", COMMANDS)
def test_face_index_out_of_range(command, dirs, capsys) -> None:
    inputs, outputs = dirs
    argv = _image_argv(command, bundled("astronaut.jpg"), outputs, _csv(inputs, SHORT_CSV), 3)
    _fails(capsys, argv, "--face 3", "1 face(s)")
    _no_output(outputs)


def test_missing_image(dirs, capsys) -> None:
    inputs, outputs = dirs
    argv = _image_argv("rig", inputs / "nowhere.png", outputs, _csv(inputs, SHORT_CSV))
    _fails(capsys, argv, "not found", "nowhere.png")
    _no_output(outputs)


# ------------------------------------------------------------------------ bad motion / audio


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("time,jawopen,smileLeft\n0,0,0\n0.4,0.5,0.5\n", ["jawopen", "smileLeft", "jawOpen?"]),
        ("time,jawOpen\n0,0\n0.4,abc\n", ["line 3", "jawOpen", "'abc'", "not a finite number"]),
        ("time,jawOpen\n0,0\n0.4,nan\n", ["line 3", "'nan'", "not a finite number"]),
        ("time,jawOpen\n0,0\n0.2,0.1\n0.2,0.3\n", ["line 4", "strictly increase"]),
        ("time,jawOpen\n0,0\n0.4,1.5\n", ["line 3", "jawOpen", "1.5", "[0, 1]"]),
        ("time,headYaw\n0,0\n0.4,45\n", ["line 3", "headYaw", "45", "[-30, 30] degrees"]),
    ],
    ids=[
        "unknown-columns",
        "non-numeric",
        "nan",
        "time-not-increasing",
        "weight-range",
        "yaw-range",
    ],
)
def test_bad_motion_csv(text, needles, dirs, capsys, rig_dir) -> None:
    inputs, outputs = dirs
    csv = _csv(inputs, text)
    argv = ["puppet", "--rig", rig_dir, "--motion", csv, "--size", SIZE, "-o", outputs / "v.mp4"]
    _fails(capsys, argv, *needles)
    _no_output(outputs)


def test_missing_motion_file(dirs, capsys, rig_dir) -> None:
    inputs, outputs = dirs
    missing = inputs / "gone.csv"
    argv = ["puppet", "--rig", rig_dir, "--motion", missing, "-o", outputs / "v.mp4"]
    _fails(capsys, argv, "motion file not found", "gone.csv")
    _no_output(outputs)


def test_corrupt_audio(dirs, capsys, rig_dir) -> None:
    inputs, outputs = dirs
    noise = inputs / "voice.wav"
    noise.write_bytes(np.random.default_rng(7).integers(0, 256, 8000, dtype=np.uint8).tobytes())
    csv = _csv(inputs, SHORT_CSV)
    argv = ["puppet", "--rig", rig_dir, "--motion", csv, "--audio", noise]
    _fails(capsys, [*argv, "--size", SIZE, "-o", outputs / "v.mp4"], "voice.wav", "cannot decode")
    _no_output(outputs)


def test_failed_run_keeps_the_previous_output(dirs, capsys, rig_dir) -> None:
    inputs, outputs = dirs
    old = outputs / "v.mp4"
    old.write_bytes(b"the previous video")
    csv = _csv(inputs, "time,jawOpen\n0,0\n0.4,7\n")
    _fails(capsys, ["puppet", "--rig", rig_dir, "--motion", csv, "-o", old], "outside")
    assert old.read_bytes() == b"the previous video"
    assert sorted(p.name for p in outputs.iterdir()) == ["v.mp4"]


def test_missing_rig_folder(dirs, capsys) -> None:
    inputs, outputs = dirs
    argv = ["puppet", "--rig", inputs / "norig", "--motion", _csv(inputs, SHORT_CSV)]
    _fails(capsys, [*argv, "-o", outputs / "v.mp4"], "cannot load the rig", "norig")
    _no_output(outputs)


# ------------------------------------------------------------------------------ bad outputs


@pytest.mark.parametrize(("command", "name"), [("puppet", "v.mp4"), ("poses", "p.png")])
def test_output_folder_missing(command, name, dirs, capsys, rig_dir) -> None:
    _inputs, outputs = dirs
    target = outputs / "missing" / name
    argv = [command, "--rig", rig_dir, "--size", SIZE, "-o", target]
    _fails(capsys, argv, "does not exist", str(target.parent))
    _no_output(outputs)


@pytest.mark.parametrize(
    ("command", "name", "suffix"),
    [("puppet", "v.avi", ".mp4"), ("puppet", "video", ".mp4"), ("poses", "p.gif", ".png or .jpg")],
)
def test_wrong_output_suffix(command, name, suffix, dirs, capsys, rig_dir) -> None:
    _inputs, outputs = dirs
    argv = [command, "--rig", rig_dir, "--size", SIZE, "-o", outputs / name]
    _fails(capsys, argv, name, f"should end in {suffix}")
    _no_output(outputs)


@pytest.mark.parametrize(("command", "name"), [("puppet", "v.mp4"), ("poses", "p.png")])
def test_output_is_an_existing_folder(command, name, dirs, capsys, rig_dir) -> None:
    _inputs, outputs = dirs
    target = outputs / name
    target.mkdir()
    argv = [command, "--rig", rig_dir, "--size", SIZE, "-o", target]
    _fails(capsys, argv, name, "folder")
    assert target.is_dir() and list(target.iterdir()) == []
    assert [p.name for p in outputs.iterdir()] == [name]


def test_rig_output_is_an_existing_file(dirs, capsys) -> None:
    _inputs, outputs = dirs
    target = outputs / "rig"
    target.write_text("keep me")
    _fails(capsys, ["rig", "--image", bundled("astronaut.jpg"), "-o", target], "rig", "file")
    assert target.read_text() == "keep me"
    assert [p.name for p in outputs.iterdir()] == ["rig"]


def test_rig_output_under_a_file(dirs, capsys) -> None:
    _inputs, outputs = dirs
    blocker = outputs / "notes.txt"
    blocker.write_text("keep me")
    target = blocker / "rig"  # the folder cannot be created: its parent is a file
    _fails(capsys, ["rig", "--image", bundled("astronaut.jpg"), "-o", target], "cannot write")
    assert blocker.read_text() == "keep me"
    assert [p.name for p in outputs.iterdir()] == ["notes.txt"]


# ---------------------------------------------------------------------------- happy paths


def test_rig_then_puppet_from_the_rig(dirs, capsys, monkeypatch) -> None:
    inputs, outputs = dirs
    folder = outputs / "rig"
    assert main(["rig", "--image", str(bundled("astronaut.jpg")), "-o", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["preview.png", "rig.json", "rig.npz"]
    meta = json.loads((folder / "rig.json").read_text())
    assert meta["format"] == openlpm.character.rig.RIG_FORMAT
    assert meta["size"] == [512, 512] and meta["face_index"] == 0
    preview = load_image(folder / "preview.png")
    assert preview.shape == (512, 1024, 3)  # the annotated image beside the clean plate
    capsys.readouterr()

    def no_analysis(*_args, **_kwargs):
        raise AssertionError("puppet --rig must not analyse the image again")

    monkeypatch.setattr(openlpm.character.rig, "build_rig", no_analysis)
    monkeypatch.setattr(openlpm.character.detect, "detect_faces", no_analysis)
    video = outputs / "v.mp4"
    csv = _csv(inputs, SHORT_CSV)
    rc = main(
        ["puppet", "--rig", str(folder), "--motion", str(csv), "--size", SIZE, "-o", str(video)]
    )
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "error" not in err
    frames, fps = read_video(video)
    assert fps == 25.0 and len(frames) == 11
    assert frames[0].shape == (128, 128, 3)
    assert np.abs(frames[-1].astype(int) - frames[0].astype(int)).max() > 30  # the jaw moved
    assert not list(outputs.glob(".*partial*"))


def test_puppet_with_audio_covers_the_audio(dirs, capsys) -> None:
    inputs, outputs = dirs
    rate, seconds = 16000, 1.5
    t = np.arange(int(rate * seconds)) / rate
    wav = inputs / "tone.wav"
    write_wav(wav, Audio((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate))
    video = outputs / "talk.mp4"
    argv = ["puppet", "--image", bundled("astronaut.jpg"), "--motion", _csv(inputs, SHORT_CSV)]
    rc = main([str(a) for a in [*argv, "--audio", wav, "--size", SIZE, "-o", video]])
    assert rc == 0, capsys.readouterr().err
    frames, fps = read_video(video)
    assert len(frames) / fps >= seconds - 1e-6  # the 0.4 s motion was held to cover the audio
    assert len(frames) / fps < seconds + 0.1
    sound = read_video_audio(video, sample_rate=rate)
    assert sound.duration == pytest.approx(seconds, abs=0.05)
    rms = float(np.sqrt(np.mean(sound.samples[rate // 10 : -rate // 10] ** 2)))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.15)  # the tone, not silence
    assert [p.name for p in outputs.iterdir()] == ["talk.mp4"]


@pytest.mark.slow
def test_huge_image_rigs_in_bounded_memory(dirs, capsys, astronaut) -> None:
    inputs, outputs = dirs
    side = 8000
    big = cv2.resize(cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR), (side, side))
    ok, buf = cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    del big
    image = inputs / "huge.jpg"
    image.write_bytes(buf.tobytes())
    del buf
    folder = outputs / "rig"
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    tracemalloc.start()  # numpy (and OpenCV's numpy-backed outputs) report to tracemalloc
    try:
        rc = main(["rig", "--image", str(image), "-o", str(folder)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) * 1024
    assert rc == 0, capsys.readouterr().err
    # A full-resolution decode alone is 8000 * 8000 * 3 = 192 MB (twice that with the RGB copy).
    assert peak < 150e6, f"traced peak {peak / 1e6:.0f} MB"
    assert rss_growth < 1.5e9, f"max RSS grew by {rss_growth / 1e6:.0f} MB"
    meta = json.loads((folder / "rig.json").read_text())
    assert max(meta["size"]) <= 1024 and meta["size"][0] == meta["size"][1]
    with np.load(folder / "rig.npz") as z:
        assert max(z["image"].shape[:2]) <= 1024 and z["image"].shape[:2] == z["plate"].shape[:2]


def test_png_with_alpha_is_composited_over_white(dirs, capsys, astronaut) -> None:
    inputs, outputs = dirs
    border = 40
    side = astronaut.shape[0] + 2 * border
    rgba = np.zeros((side, side, 4), np.uint8)  # transparent *black*: over black would show
    rgba[border:-border, border:-border, :3] = astronaut[:, :, ::-1]  # BGR for OpenCV
    rgba[border:-border, border:-border, 3] = 255
    image = inputs / "cutout.png"
    assert cv2.imwrite(str(image), rgba)
    folder = outputs / "rig"
    assert main(["rig", "--image", str(image), "-o", str(folder)]) == 0, capsys.readouterr().err
    with np.load(folder / "rig.npz") as z:
        rig_image = z["image"]
    assert rig_image.shape == (side, side, 3)
    ring = np.ones((side, side), bool)
    ring[border:-border, border:-border] = False
    assert (rig_image[ring] == 255).all()
    assert np.array_equal(rig_image[border:-border, border:-border], astronaut)


# ------------------------------------------------------------------------- console script


def test_console_script_on_bad_csv(dirs) -> None:
    inputs, outputs = dirs
    script = Path(sys.executable).parent / "openlpm"
    assert script.is_file(), f"console script not installed next to {sys.executable}"
    csv = _csv(inputs, "time,jawopen,fooBar\n0,0,0\n0.4,0.5,0\n")
    video = outputs / "v.mp4"
    proc = subprocess.run(
        [str(script), "puppet", "--motion", str(csv), "-o", str(video)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("openlpm: error: "), proc.stderr
    assert "jawopen" in lines[0] and "fooBar" in lines[0]
    _no_output(outputs)


def test_closeup_sheet_is_a_jpeg_grid_of_face_crops(dirs, rig_dir) -> None:
    from openlpm.io.images import load_image
    from openlpm.render.contact_sheet import CLOSEUP_COLUMNS, closeup_poses

    _inputs, outputs = dirs
    target = outputs / "face.jpg"
    assert main(["poses", "--rig", str(rig_dir), "--closeup", "-o", str(target)]) == 0
    sheet = load_image(target)
    rows = -(-len(closeup_poses()) // CLOSEUP_COLUMNS)
    tile_h, tile_w = sheet.shape[0] // rows, sheet.shape[1] // CLOSEUP_COLUMNS
    assert tile_h > 200 and abs(tile_h - tile_w) <= 2  # square crops, magnified
    first, second = sheet[:tile_h, :tile_w], sheet[:tile_h, tile_w : 2 * tile_w]
    assert np.abs(first.astype(int) - second.astype(int)).mean() > 1  # the mouth opened
