"""`openlpm render / motion / demo`: every kind of audio in, clear errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import encode_audio, write_pcm_wav
from openlpm.audio.tts import synthesize
from openlpm.cli import main
from openlpm.io.audio import Audio, write_wav
from openlpm.io.video import read_video, read_video_audio
from openlpm.motion.curves import read_curves

LINE = "Bob bought a map; Mama made pumpkin pie."


@pytest.fixture(scope="module")
def speech() -> Audio:
    return synthesize(LINE).audio


def run(capsys, *argv: str) -> tuple[int, list[str]]:
    code = main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, [line for line in err.splitlines() if line.strip()]


def mouth_moves(csv_path) -> bool:
    track = read_curves(csv_path, fps=25)
    opening = track.curve("jawOpen") - track.curve("mouthClose")
    return opening.max() > 0.1 and opening.min() < 0.02


def resampled(audio: Audio, rate: int) -> np.ndarray:
    return audio.resampled(rate).samples


@pytest.mark.parametrize("kind", ["wav8k", "wav48k-stereo-24bit", "wav-float", "mp3", "ogg", "m4a"])
def test_any_audio_format_drives_the_mouth(tmp_path, capsys, speech, kind):
    path = tmp_path / {"mp3": "s.mp3", "ogg": "s.ogg", "m4a": "s.m4a"}.get(kind, "s.wav")
    if kind == "wav8k":
        write_pcm_wav(path, resampled(speech, 8000), 8000, 2)
    elif kind == "wav48k-stereo-24bit":
        x = resampled(speech, 48000)
        write_pcm_wav(path, np.stack([x, 0.5 * x], 1), 48000, 3, channels=2)
    else:
        codec, rate = {"wav-float": ("pcm_f32le", 22050), "mp3": ("libmp3lame", 44100),
                       "ogg": ("libopus", 48000), "m4a": ("aac", 44100)}[kind]  # fmt: skip
        x = resampled(speech, rate)
        encode_audio(path, codec, np.stack([x, x]), rate, "flt" if kind == "wav-float" else "fltp")
    code, err = run(capsys, "motion", "--audio", str(path), "-o", str(tmp_path / "m.csv"))
    assert code == 0, err
    assert mouth_moves(tmp_path / "m.csv")


def test_render_text_makes_a_video_with_the_voice(tmp_path, capsys):
    out = tmp_path / "t.mp4"
    code, err = run(capsys, "render", "--text", LINE, "--size", "128", "-o", str(out),
                    "--motion-out", str(tmp_path / "t.csv"))  # fmt: skip
    assert code == 0, err
    frames, fps = read_video(out)
    sound = read_video_audio(out)
    assert fps == 25 and abs(len(frames) / fps - sound.duration) < 0.1
    assert np.sqrt(np.mean(sound.samples**2)) > 0.01
    assert mouth_moves(tmp_path / "t.csv")


def test_silent_and_clipped_audio_work_and_say_so(tmp_path, capsys, speech):
    write_wav(tmp_path / "quiet.wav", Audio(np.zeros(32000, np.float32), 16000))
    code, err = run(
        capsys, "motion", "--audio", str(tmp_path / "quiet.wav"), "-o", str(tmp_path / "q.csv")
    )
    assert code == 0 and any("no speech" in line for line in err)
    loud = Audio(np.clip(speech.samples * 20, -1, 1), speech.sample_rate)
    write_wav(tmp_path / "loud.wav", loud)
    code, err = run(
        capsys, "motion", "--audio", str(tmp_path / "loud.wav"), "-o", str(tmp_path / "l.csv")
    )
    assert code == 0 and any("clips" in line for line in err)
    assert mouth_moves(tmp_path / "l.csv")


def test_transcript_that_does_not_match_falls_back_and_says_so(tmp_path, capsys, speech):
    write_wav(tmp_path / "s.wav", speech)
    wrong = "the quick brown fox jumps over the lazy dog"
    out = str(tmp_path / "m.csv")
    code, err = run(
        capsys, "motion", "--audio", str(tmp_path / "s.wav"), "--transcript", wrong, "-o", out
    )
    assert code == 0
    assert any("fell back" in line or "failed" in line or "recognition" in line for line in err)
    assert mouth_moves(tmp_path / "m.csv")


@pytest.mark.parametrize("case", ["empty-wav", "corrupt", "empty-text", "missing"])
def test_bad_speech_input_is_one_clear_error(tmp_path, capsys, case):
    out = tmp_path / "o.mp4"
    if case == "empty-wav":
        write_wav(tmp_path / "e.wav", Audio(np.zeros(0, np.float32), 16000))
        args = ["--audio", str(tmp_path / "e.wav")]
    elif case == "corrupt":
        (tmp_path / "c.wav").write_bytes(np.random.default_rng(0).bytes(5000))
        args = ["--audio", str(tmp_path / "c.wav")]
    elif case == "empty-text":
        args = ["--text", "   "]
    else:
        args = ["--audio", str(tmp_path / "nope.wav")]
    code, err = run(capsys, "render", *args, "-o", str(out))
    assert code == 2
    assert len(err) == 1 and err[0].startswith("openlpm: error:")
    assert not out.exists() and not list(tmp_path.glob(".*partial*"))
