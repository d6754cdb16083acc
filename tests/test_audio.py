"""load_audio / write_wav: formats, bit depths, channel mixing, resampling and errors."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from helpers import encode_audio, write_pcm_wav
from openlpm.errors import AudioError
from openlpm.io.audio import Audio, load_audio, write_wav


def _tone(freq: float, seconds: float, rate: int, amp: float = 0.5) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)).astype(
        np.float32
    )


def _peak_hz(audio: Audio) -> float:
    spectrum = np.abs(np.fft.rfft(audio.samples))
    return float(np.argmax(spectrum) * audio.sample_rate / len(audio.samples))


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_integer_wav_bit_depths(tmp_path: Path, width: int) -> None:
    tone = _tone(500, 0.25, 8000)
    write_pcm_wav(tmp_path / "a.wav", tone, 8000, width)
    audio = load_audio(tmp_path / "a.wav", sample_rate=None)
    assert audio.sample_rate == 8000 and audio.samples.dtype == np.float32
    assert len(audio.samples) == len(tone)
    assert np.abs(audio.samples - tone).max() < (0.01 if width == 1 else 1e-4)


def test_float_wav_and_stereo_mix(tmp_path: Path) -> None:
    left, right = _tone(300, 0.5, 22050, 0.9), _tone(300, 0.5, 22050, 0.9)
    encode_audio(tmp_path / "same.wav", "pcm_f32le", np.stack([left, right]), 22050, fmt="flt")
    audio = load_audio(tmp_path / "same.wav", sample_rate=None)
    # A plain mean: identical channels keep their level (FFmpeg's float down-mix would give 1.27).
    assert np.abs(audio.samples - left).max() < 1e-5
    encode_audio(tmp_path / "opposite.wav", "pcm_f32le", np.stack([left, -right]), 22050, fmt="flt")
    assert np.abs(load_audio(tmp_path / "opposite.wav").samples).max() < 1e-5


def test_resampling_keeps_pitch_and_length(tmp_path: Path) -> None:
    write_pcm_wav(tmp_path / "a.wav", _tone(440, 2.0, 44100), 44100, 2, channels=1)
    audio = load_audio(tmp_path / "a.wav")  # default 16 kHz
    assert audio.sample_rate == 16000
    assert abs(len(audio.samples) - 32000) <= 32
    assert audio.duration == pytest.approx(2.0, abs=0.002)
    assert _peak_hz(audio) == pytest.approx(440, abs=1)
    assert 0.45 < np.abs(audio.samples[1000:-1000]).max() <= 0.51


@pytest.mark.parametrize(("name", "codec", "rate"), [
    ("a.mp3", "libmp3lame", 44100),
    ("a.ogg", "libopus", 48000),
    ("a.m4a", "aac", 44100),
])  # fmt: skip
def test_compressed_formats(tmp_path: Path, name: str, codec: str, rate: int) -> None:
    tone = _tone(660, 1.0, rate)
    encode_audio(tmp_path / name, codec, np.stack([tone, tone]), rate)
    audio = load_audio(tmp_path / name, sample_rate=16000)
    assert audio.sample_rate == 16000
    assert audio.duration == pytest.approx(1.0, abs=0.1)  # codec priming / padding
    assert _peak_hz(audio) == pytest.approx(660, abs=3)
    assert np.abs(audio.samples).max() <= 1.0


def test_empty_wav_gives_empty_audio(tmp_path: Path) -> None:
    write_pcm_wav(tmp_path / "empty.wav", np.zeros(0), 16000, 2)
    audio = load_audio(tmp_path / "empty.wav")
    assert len(audio.samples) == 0 and audio.duration == 0.0 and audio.sample_rate == 16000


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="not found"):
        load_audio(tmp_path / "nope.wav")
    (tmp_path / "text.wav").write_text("this is not audio\n" * 20)
    with pytest.raises(AudioError, match=r"cannot decode text\.wav"):
        load_audio(tmp_path / "text.wav")
    (tmp_path / "zero.mp3").write_bytes(b"")
    with pytest.raises(AudioError, match=r"zero\.mp3 is empty"):
        load_audio(tmp_path / "zero.mp3")


def test_file_without_audio_stream(tmp_path: Path) -> None:
    with av.open(str(tmp_path / "silent.mp4"), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(AudioError, match="no audio stream"):
        load_audio(tmp_path / "silent.mp4")


def test_write_wav_roundtrip(tmp_path: Path) -> None:
    samples = np.concatenate([_tone(200, 0.1, 16000, 0.7), np.array([1.5, -2.0], np.float32)])
    write_wav(tmp_path / "out" / "a.wav", Audio(samples, 16000))  # creates the folder
    with wave.open(str(tmp_path / "out" / "a.wav")) as f:
        assert (f.getnchannels(), f.getsampwidth(), f.getframerate()) == (1, 2, 16000)
    back = load_audio(tmp_path / "out" / "a.wav", sample_rate=None)
    assert np.abs(back.samples[:-2] - samples[:-2]).max() < 1 / 32767 + 1e-6
    assert back.samples[-2:].tolist() == pytest.approx([1.0, -1.0], abs=1e-4)  # clipped
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a.wav"]


def test_audio_validates_its_fields() -> None:
    assert Audio(np.zeros(8000, np.float32), 16000).duration == 0.5
    with pytest.raises(ValueError, match="float32"):
        Audio(np.zeros(10), 16000)
    with pytest.raises(ValueError, match="sample_rate"):
        Audio(np.zeros(10, np.float32), 0)


# --- scipy.signal's resample_poly and find_peaks in numpy (openlpm.audio.dsp) ---


@pytest.mark.parametrize(
    ("up", "down", "n"),
    [(160, 147, 30001), (147, 160, 22050), (2, 3, 10001), (1, 3, 4800), (3, 1, 999), (8, 5, 7)],
)
def test_resample_poly_gives_scipys_samples(up: int, down: int, n: int) -> None:
    from scipy.signal import resample_poly as scipy_resample

    from openlpm.audio.dsp import resample_poly

    rng = np.random.default_rng(n)
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal(n).astype(dtype)
        ours, theirs = resample_poly(x, up, down), scipy_resample(x, up, down)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        assert np.abs(ours - theirs).max() < 1e-5 * np.abs(theirs).max()
    assert len(resample_poly(np.zeros(0, np.float32), 5, 3)) == 0


def test_find_peaks_gives_scipys_peaks() -> None:
    from scipy.signal import find_peaks as scipy_peaks

    from openlpm.audio.dsp import find_peaks

    rng = np.random.default_rng(7)
    for _ in range(200):  # rounded: flat tops and equal heights occur
        x = np.round(rng.standard_normal(int(rng.integers(0, 300))) * 3, 1)
        distance = int(rng.integers(1, 40))
        peaks, heights = find_peaks(x, 2.5, distance)
        expected, props = scipy_peaks(x, height=2.5, distance=distance)
        assert np.array_equal(peaks, expected)
        assert np.array_equal(heights, props["peak_heights"])


def test_speaking_with_text_does_not_import_scipy_signal() -> None:
    """37 MB of a live process's memory: resampling and pitch accents use openlpm.audio.dsp."""
    code = (
        "import sys\n"
        "from openlpm.audio.prosody import analyse\n"
        "from openlpm.audio.tts import synthesize\n"
        "a = synthesize('Bob bought a map.').audio\n"
        "analyse(a.resampled(16000)).accents()\n"
        "assert 'scipy.signal' not in sys.modules, 'scipy.signal was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
