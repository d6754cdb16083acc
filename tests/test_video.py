"""VideoWriter / read_video / read_video_audio: content, timing, audio muxing and atomicity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openlpm.errors import AudioError, InputError
from openlpm.io.audio import Audio, write_wav
from openlpm.io.video import VideoWriter, read_video, read_video_audio

W, H, FPS, RATE = 160, 120, 25.0, 16000


def _frame(i: int) -> np.ndarray:
    """A dark frame with a white 20x20 square moving 2 px right per frame."""
    frame = np.full((H, W, 3), (20, 40, 60), dtype=np.uint8)
    frame[50:70, 10 + 2 * i : 30 + 2 * i] = 255
    return frame


def _bursts(seconds: float) -> Audio:
    """A 300 Hz tone switched on and off in uneven bursts: an envelope easy to correlate."""
    t = np.arange(int(seconds * RATE)) / RATE
    gate = (np.sin(2 * np.pi * 1.3 * t) + 0.6 * np.sin(2 * np.pi * 3.1 * t)) > 0.2
    return Audio((0.6 * gate * np.sin(2 * np.pi * 300 * t)).astype(np.float32), RATE)


def _envelope(samples: np.ndarray, window: int = 640) -> np.ndarray:
    n = len(samples) // window
    return np.sqrt(np.mean(samples[: n * window].reshape(n, window) ** 2, axis=1))


def _write(path: Path, frames: int, audio: Audio | None = None, fps: float = FPS) -> None:
    with VideoWriter(path, W, H, fps=fps, audio=audio) as writer:
        for i in range(frames):
            writer.write(_frame(i))


def test_frames_size_and_fps_roundtrip(tmp_path: Path) -> None:
    _write(tmp_path / "v.mp4", 50)
    frames, fps = read_video(tmp_path / "v.mp4")
    assert fps == 25.0 and len(frames) == 50
    assert all(f.shape == (H, W, 3) and f.dtype == np.uint8 for f in frames)
    for i in (0, 17, 49):  # the square is where it was drawn, colours survive
        ys, xs = np.nonzero(frames[i][:, :, 0] > 160)
        assert abs(xs.mean() - (19.5 + 2 * i)) < 0.5 and abs(ys.mean() - 59.5) < 0.5
        assert np.abs(frames[i][5, 5].astype(int) - (20, 40, 60)).max() <= 4
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]  # the temp file was renamed


def test_audio_is_muxed_in_sync(tmp_path: Path) -> None:
    audio = _bursts(2.0)
    _write(tmp_path / "v.mp4", 50, audio)
    back = read_video_audio(tmp_path / "v.mp4", sample_rate=RATE)
    assert back.duration == pytest.approx(2.0, abs=0.002)
    env_in, env_out = _envelope(audio.samples), _envelope(back.samples)
    assert np.corrcoef(env_in, env_out)[0, 1] > 0.95
    # Aligned: shifting by one 40 ms window only makes the match worse (no AAC priming delay).
    lagged = [np.corrcoef(env_in[k:], env_out[: len(env_out) - k])[0, 1] for k in (1, 2)]
    lagged += [np.corrcoef(env_in[: len(env_in) - k], env_out[k:])[0, 1] for k in (1, 2)]
    assert np.corrcoef(env_in, env_out)[0, 1] > max(lagged)


def test_long_audio_is_trimmed_and_short_audio_padded(tmp_path: Path) -> None:
    _write(tmp_path / "long.mp4", 25, _bursts(3.0))
    assert read_video_audio(tmp_path / "long.mp4").duration == pytest.approx(1.0, abs=0.002)
    _write(tmp_path / "short.mp4", 25, _bursts(0.4))
    back = read_video_audio(tmp_path / "short.mp4")
    assert back.duration == pytest.approx(1.0, abs=0.002)
    assert np.abs(back.samples[int(0.5 * RATE) :]).max() < 0.01  # silence after the audio


def test_non_aac_sample_rate_is_resampled(tmp_path: Path) -> None:
    t = np.arange(11000) / 11000
    _write(
        tmp_path / "v.mp4", 25, Audio((0.5 * np.sin(2 * np.pi * 250 * t)).astype(np.float32), 11000)
    )
    back = read_video_audio(tmp_path / "v.mp4", sample_rate=RATE)
    assert back.duration == pytest.approx(1.0, abs=0.01)
    spectrum = np.abs(np.fft.rfft(back.samples))
    assert np.argmax(spectrum) * RATE / len(back.samples) == pytest.approx(250, abs=2)


def test_ntsc_rate_and_faststart(tmp_path: Path) -> None:
    _write(tmp_path / "v.mp4", 10, fps=30000 / 1001)
    frames, fps = read_video(tmp_path / "v.mp4")
    assert len(frames) == 10 and fps == pytest.approx(29.97, abs=0.001)
    data = (tmp_path / "v.mp4").read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")  # index first: playable while loading


def test_exception_inside_with_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "old.mp4").write_bytes(b"previous")
    with pytest.raises(RuntimeError, match="boom"), VideoWriter(tmp_path / "old.mp4", W, H) as w:
        w.write(_frame(0))
        raise RuntimeError("boom")
    assert [p.name for p in tmp_path.iterdir()] == ["old.mp4"]
    assert (tmp_path / "old.mp4").read_bytes() == b"previous"  # untouched
    _write(tmp_path / "old.mp4", 3)  # a clean run replaces it
    assert len(read_video(tmp_path / "old.mp4")[0]) == 3


def test_bad_frames_and_sizes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="even"):
        VideoWriter(tmp_path / "v.mp4", 161, 120)
    with pytest.raises(ValueError, match="uint8"), VideoWriter(tmp_path / "v.mp4", W, H) as w:
        w.write(np.zeros((H, W + 2, 3), np.uint8))
    with pytest.raises(ValueError, match="no frames"), VideoWriter(tmp_path / "v.mp4", W, H):
        pass
    assert list(tmp_path.iterdir()) == []


def test_read_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_video(tmp_path / "nope.mp4")
    (tmp_path / "junk.mp4").write_text("not a video")
    with pytest.raises(InputError, match=r"cannot decode junk\.mp4"):
        read_video(tmp_path / "junk.mp4")
    write_wav(tmp_path / "a.wav", _bursts(0.2))
    with pytest.raises(InputError, match="no video stream"):
        read_video(tmp_path / "a.wav")
    _write(tmp_path / "mute.mp4", 2)
    with pytest.raises(AudioError, match="no audio stream"):
        read_video_audio(tmp_path / "mute.mp4")


def test_a_frame_buffer_reused_after_write_is_encoded_as_it_was(tmp_path: Path) -> None:
    """write() hands frames to an encoder thread: the caller may draw the next frame into the
    same buffer at once, and every frame still comes out as it was when written."""
    buffer = np.empty((H, W, 3), np.uint8)
    with VideoWriter(tmp_path / "v.mp4", W, H, fps=FPS) as writer:
        for i in range(30):
            buffer[:] = _frame(i)
            writer.write(buffer)
    frames, _ = read_video(tmp_path / "v.mp4")
    assert len(frames) == 30
    for i, frame in enumerate(frames):
        xs = np.nonzero(frame[:, :, 0] > 160)[1]
        assert abs(xs.mean() - (19.5 + 2 * i)) < 0.5, i
