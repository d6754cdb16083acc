"""Online model: streaming features and motion, look-ahead, bounded state, lip closure."""

from __future__ import annotations

import math
from importlib import resources

import numpy as np
import pytest

from openlpm.audio.features import HOP, N_FEATURES, SAMPLE_RATE, LogMelStream, log_mel
from openlpm.audio.tts import synthesize
from openlpm.errors import InputError
from openlpm.io.audio import Audio
from openlpm.motion.frame import MotionTrack
from openlpm.motion.online import MAX_AHEAD, WEIGHTS, OnlineModel
from openlpm.motion.visemes import viseme_for

FPS = 25.0
SHUT = 0.02  # lips shut: jawOpen - mouthClose below this


@pytest.fixture(scope="module")
def model() -> OnlineModel:
    return OnlineModel.load()


@pytest.fixture(scope="module")
def bob():
    return synthesize("Bob bought a map; Mama made pumpkin pie.")


@pytest.fixture(scope="module")
def bob16(bob) -> np.ndarray:
    return bob.audio.resampled(SAMPLE_RATE).samples


def _stream_all(model: OnlineModel, x: np.ndarray, chunk: int) -> np.ndarray:
    stream = model.stream(FPS, seed=3)
    frames = [f for s in range(0, len(x), chunk) for f in stream.push(x[s : s + chunk])]
    frames += stream.flush()
    return np.stack([f.vector for f in frames])


def test_features_same_for_any_chunking(bob16: np.ndarray) -> None:
    whole, energy = log_mel(bob16)
    stream = LogMelStream()
    parts = [stream.push(bob16[s : s + 640]) for s in range(0, len(bob16), 640)]
    assert whole.shape == (len(bob16) // HOP, N_FEATURES)
    assert np.array_equal(whole, np.concatenate([p[0] for p in parts]))
    assert np.array_equal(energy, np.concatenate([p[1] for p in parts]))


def test_features_level_normalised(bob16: np.ndarray) -> None:
    """-25 dB and +6 dB versions give nearly the same features once the level is found."""
    ref = log_mel(bob16)[0]
    for gain_db in (-25.0, 6.0):
        other = log_mel(bob16 * np.float32(10 ** (gain_db / 20)))[0]
        assert np.abs(other - ref)[50:].mean() < 0.05  # units of 20 dB: under 1 dB


def test_stream_identical_for_any_chunking(model: OnlineModel, bob16: np.ndarray) -> None:
    ref = _stream_all(model, bob16, 160)
    for chunk in (640, SAMPLE_RATE):
        assert np.array_equal(ref, _stream_all(model, bob16, chunk))


@pytest.mark.parametrize("seconds, fps", [(1.234, 25.0), (2.0, 25.0), (0.77, 30.0)])
def test_one_frame_per_video_frame(model: OnlineModel, seconds: float, fps: float) -> None:
    rng = np.random.default_rng(0)
    audio = Audio((0.05 * rng.standard_normal(round(seconds * 22050))).astype(np.float32), 22050)
    track = model.perform(audio, fps=fps)
    assert len(track) == math.ceil(audio.duration * fps)


def test_state_bounded(model: OnlineModel, bob16: np.ndarray) -> None:
    stream = model.stream(FPS)
    loop = np.resize(bob16, 62 * SAMPLE_RATE)
    for s in range(0, 2 * SAMPLE_RATE, 640):
        stream.push(loop[s : s + 640])
    early = stream.state_nbytes
    for s in range(2 * SAMPLE_RATE, len(loop), 640):
        stream.push(loop[s : s + 640])
    assert stream.state_nbytes == early
    assert stream.frames_out == pytest.approx(62 * FPS, abs=3)


def test_lookahead_at_most_80ms(model: OnlineModel, bob16: np.ndarray) -> None:
    """Frame i comes out as soon as audio up to i / fps + 80 ms + one hop is in, not later."""
    assert model.net.ahead <= MAX_AHEAD
    stream = model.stream(FPS)
    pushed = 0
    for s in range(0, len(bob16), HOP):
        chunk = bob16[s : s + HOP]
        pushed += len(chunk)
        for frame_index in range(stream.frames_out, stream.frames_out + len(stream.push(chunk))):
            needed = (frame_index / FPS + 0.08) * SAMPLE_RATE + HOP
            assert pushed <= math.ceil(needed / HOP) * HOP


def test_lips_close_on_bilabials(model: OnlineModel, bob) -> None:
    track = model.perform(bob.audio, fps=FPS)
    opening = track.curve("jawOpen") - track.curve("mouthClose")
    bilabials = [p for p in bob.phones.phones if viseme_for(p.label).closes_lips]
    hits = [
        (opening[max(0, math.ceil(p.start * FPS) - 1) : math.floor(p.end * FPS) + 2] < SHUT).any()
        for p in bilabials
    ]
    assert len(bilabials) >= 12
    assert np.mean(hits) >= 0.9, f"closed on {sum(hits)} of {len(hits)} p/b/m"
    assert opening.max() > 0.15  # and it does open between them


def test_silence_closed_mouth_moving_head(model: OnlineModel) -> None:
    track: MotionTrack = model.perform(Audio(np.zeros(3 * 16000, np.float32), 16000), fps=FPS)
    assert len(track) == 75
    assert (track.curve("jawOpen") - track.curve("mouthClose")).max() < SHUT
    head = np.stack([track.curve(n) for n in ("headYaw", "headPitch", "headRoll")])
    assert 0.02 < np.abs(np.diff(head, axis=1)).sum(axis=0).mean() < 2.0  # deg per frame
    assert np.abs(head).max() < 10


def test_weights_small_and_checked(tmp_path) -> None:
    shipped = resources.files("openlpm") / "assets" / WEIGHTS
    assert shipped.is_file()
    assert len(shipped.read_bytes()) <= 10_000_000
    bad = tmp_path / "bad.npz"
    np.savez(bad, w0=np.zeros(3))
    with pytest.raises(InputError, match="train_online"):
        OnlineModel.load(bad)


def _shut_near(opening: np.ndarray, start: float, end: float) -> bool:
    window = opening[max(0, math.ceil(start * FPS) - 1) : math.floor(end * FPS) + 2]
    return bool((window < SHUT).any())


def _beyond_chance(track: MotionTrack, phones) -> tuple[float, float]:
    """(p/b/m closure rate, rate on the other phones that touch neither a p/b/m nor silence)."""
    opening = track.curve("jawOpen") - track.curve("mouthClose")
    seq = phones.phones
    closes = [viseme_for(p.label).closes_lips for p in seq]
    silent = [p.label == "SIL" for p in seq]
    hits, others = [], []
    for k, p in enumerate(seq):
        if silent[k]:
            continue
        shut = _shut_near(opening, p.start, p.end)
        if closes[k]:
            hits.append(shut)
        elif not any(closes[j] or silent[j] for j in (k - 1, k + 1) if 0 <= j < len(seq)):
            others.append(shut)
    assert len(hits) >= 12 and len(others) >= 12
    return float(np.mean(hits)), float(np.mean(others))


def _far_room(x: np.ndarray) -> np.ndarray:
    """A far microphone in a hard room (discrete echoes, unlike training's noise tails) with a
    hum and hiss at 20 dB SNR."""
    rng = np.random.default_rng(7)
    ir = np.zeros(SAMPLE_RATE // 2)
    ir[0] = 1.0
    for delay_ms in (7, 13, 23, 31, 47, 61, 89, 113, 151, 199):
        ir[int(delay_ms * 16)] = rng.choice([-1, 1]) * 0.7 ** (delay_ms / 10)
    y = np.convolve(x, ir)[: len(x)]
    t = np.arange(len(y)) / SAMPLE_RATE
    noise = np.sin(2 * np.pi * 60 * t) + 0.5 * rng.standard_normal(len(y))
    rms = lambda v: float(np.sqrt(np.mean(v**2)))  # noqa: E731
    y = y / rms(y) * rms(x) + noise / rms(noise) * rms(x) * 0.05
    return (y / np.abs(y).max() * 0.5).astype(np.float32)


@pytest.mark.parametrize("how", ["room", "deep"])
def test_lips_close_on_unseen_speech(model: OnlineModel, how: str) -> None:
    """Speech outside the training distribution (train_online/data.py, augment.py): a room of
    discrete echoes with mains hum, or a voice lowered further (pitch and vocal tract x0.78)
    than any speed perturbation (x0.85-1.2). The lips must shut on p/b/m and not elsewhere."""
    from scipy.signal import resample_poly

    text = (
        "Maybe Bob will read the purple map to us later; the old tree stands near the lake, "
        "and Pam keeps a big lantern there for the stormy nights in autumn."
    )
    if how == "room":
        speech = synthesize(text, "en-gb-x-rp+m3", rate_wpm=190)
        x = speech.audio.resampled(SAMPLE_RATE).samples
        audio, phones = Audio(_far_room(x), SAMPLE_RATE), speech.phones
    else:
        speech = synthesize(text, "en-us+f2", rate_wpm=150)
        x = speech.audio.resampled(SAMPLE_RATE).samples
        audio = Audio(resample_poly(x, 50, 39).astype(np.float32), SAMPLE_RATE)  # x 1/0.78
        phones = type(speech.phones)(
            tuple(type(p)(p.label, p.start / 0.78, p.end / 0.78) for p in speech.phones.phones),
            speech.phones.source,
        )
    rate, chance = _beyond_chance(model.perform(audio, fps=FPS), phones)
    assert rate >= 0.7 and rate - chance >= 0.6, f"p/b/m {rate:.2f}, elsewhere {chance:.2f}"


def test_a_lost_packet_inside_a_word_keeps_the_mouth_going(model: OnlineModel) -> None:
    """80 ms of digital silence in the middle of vowels (a dropped packet on a live line, or a
    dip of the speech probability in real speech): the speech gate holds (GATE_HOLD_S), so the
    jaw does not drop to rest, which would read as a closure mid-word."""
    speech = synthesize("We walked along the river for an hour, talking about the weather.")
    x = speech.audio.resampled(SAMPLE_RATE).samples.copy()
    long_phones = [p for p in speech.phones.phones if p.label != "SIL" and p.end - p.start > 0.08]
    holes = []
    for p in long_phones[2::3]:
        start = round(((p.start + p.end) / 2 - 0.04) * SAMPLE_RATE)
        x[start : start + round(0.08 * SAMPLE_RATE)] = 0.0
        holes.append(start / SAMPLE_RATE)
    jaw = model.perform(Audio(x, SAMPLE_RATE), fps=FPS).curve("jawOpen")
    lowest = [jaw[math.ceil(t * FPS) : math.floor((t + 0.08) * FPS) + 1].min() for t in holes]
    assert len(holes) >= 5
    assert min(lowest) >= 0.05, f"jaw at rest in a hole: {np.round(lowest, 2)}"
