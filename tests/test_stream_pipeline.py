"""The engine's motion half, driven frame by frame: audio and prompts in, ticks out."""

from __future__ import annotations

import numpy as np
import pytest

from openlpm.audio.tts import synthesize
from openlpm.errors import BufferFullError, StreamInputError
from openlpm.io.audio import Audio
from openlpm.motion.online import OnlineModel
from openlpm.prompts import parse_prompt
from openlpm.prompts.teeth import lips_moving
from openlpm.stream.audio_in import AudioBuffer, Resampler, decode_pcm16
from openlpm.stream.options import SessionOptions
from openlpm.stream.pipeline import MotionPipeline

FPS = 25
OPTIONS = SessionOptions(render=False, realtime=False)


class Harness:
    """Sends audio and prompts into a pipeline and collects what comes out, tick by tick."""

    def __init__(self, options: SessionOptions = OPTIONS) -> None:
        self.pipeline = MotionPipeline(options)
        self.ticks: list = []

    def run(self, frames: int) -> list:
        out = [self.pipeline.step(0.0) for _ in range(frames)]
        self.ticks += out
        return out

    def curve(self, name: str, ticks: list | None = None) -> np.ndarray:
        return np.array([t.pose[name] for t in (self.ticks if ticks is None else ticks)])


@pytest.fixture(scope="module")
def line():
    return synthesize("Hello there, my friend. How are you doing today?").audio


def test_speech_in_moves_the_mouth_in_sync_and_plays_every_sample(line):
    h = Harness()
    h.pipeline.push_agent(line.samples, line.sample_rate)
    n = int(line.duration * FPS) + 20
    ticks = h.run(n)
    sound = np.concatenate([t.agent_audio for t in ticks])
    assert all(len(t.agent_audio) == 960 for t in ticks)  # 24 kHz / 25 fps, exactly
    delay = h.pipeline.delay_frames
    assert delay == 2  # the Online model's 80 ms look-ahead at 25 fps
    # the voice plays back whole, delayed by the look-ahead (resampled 22.05 -> 24 kHz)
    played = sound[delay * 960 :]
    expected = line.resampled(24000).samples
    m = min(len(played), len(expected)) - 100
    assert np.corrcoef(played[:m], expected[:m])[0, 1] > 0.99
    # the lips are the Online model's own, frame for frame, once the delay is taken out
    ref = OnlineModel.load().perform(line).curve("jawOpen")
    jaw = h.curve("jawOpen")[delay : delay + len(ref)]
    assert np.corrcoef(jaw, ref[: len(jaw)])[0, 1] > 0.99
    assert jaw.max() > 0.25
    speaking = np.array([t.speaking for t in ticks])
    assert speaking[: int(line.duration * FPS)].mean() > 0.6
    assert not speaking[-10:].any() and h.curve("jawOpen")[-10:].max() < 0.02


def test_idle_is_alive_with_the_mouth_shut():
    h = Harness()
    ticks = h.run(10 * FPS)
    assert h.curve("jawOpen").max() == 0.0
    assert not any(t.speaking or t.listening for t in ticks)
    assert h.curve("eyeBlinkLeft").max() > 0.8  # blinks
    assert np.ptp(h.curve("headYaw")) > 0.5  # the head drifts
    assert all(not t.agent_audio.any() for t in ticks)


def test_user_speech_makes_it_listen_without_moving_the_lips(line):
    h = Harness()
    h.run(FPS)
    h.pipeline.push_user(line.samples, line.sample_rate)
    ticks = h.run(int(line.duration * FPS) + FPS)
    listening = np.array([t.listening for t in ticks])
    assert listening.mean() > 0.4
    assert h.curve("jawOpen", ticks).max() < 0.02


def test_prompts_act_once_and_emotions_persist():
    h = Harness()
    h.run(5)
    h.pipeline.prompt(parse_prompt("look left"))
    left = h.run(2 * FPS)
    assert max(t.pose["headYaw"] for t in left) > 8  # +yaw: the character's left
    after = h.run(2 * FPS)
    assert abs(after[-1].pose["headYaw"]) < 5  # the action is over
    h.pipeline.prompt(parse_prompt("happy"))
    happy = h.run(6 * FPS)
    smile = h.curve("mouthSmileLeft", happy)
    assert smile[-1] > 0.4 and smile[FPS:].min() > 0.35  # still smiling 6 s later
    h.pipeline.prompt(parse_prompt("sad"))
    sad = h.run(2 * FPS)
    assert h.curve("mouthFrownLeft", sad)[-1] > 0.3
    assert h.curve("mouthSmileLeft", sad)[-1] < 0.3  # the old mood faded out


def test_timing_of_ticks_fps_30_stays_in_sync(line):
    """fps that do not divide the 100 Hz features: one pose per tick all the same."""
    h = Harness(SessionOptions(render=False, realtime=False, fps=30))
    h.pipeline.push_agent(line.samples, line.sample_rate)
    ticks = h.run(int(line.duration * 30) + 30)
    sound = np.concatenate([t.agent_audio for t in ticks])
    assert len(sound) == round(len(ticks) * 24000 / 30)
    assert h.curve("jawOpen").max() > 0.25


def test_bad_audio_is_refused_with_a_clear_error():
    with pytest.raises(StreamInputError, match="bytes"):
        decode_pcm16([1, 2, 3], 16000, 1000)
    with pytest.raises(StreamInputError, match="odd"):
        decode_pcm16(b"\x00\x01\x02", 16000, 1000)
    with pytest.raises(StreamInputError, match="sample_rate"):
        decode_pcm16(b"\x00\x01", 0, 1000)
    with pytest.raises(StreamInputError, match="sample_rate"):
        decode_pcm16(b"\x00\x01", 44100.0, 1000)
    with pytest.raises(StreamInputError, match="at most"):
        decode_pcm16(bytes(2000), 16000, 1000)
    assert decode_pcm16(b"\x00\x80\xff\x7f", 8000, 10).tolist() == [-1.0, 32767 / 32768]
    h = Harness()
    with pytest.raises(StreamInputError, match="1-D float"):
        h.pipeline.push_agent(np.zeros((2, 10)), 16000)
    with pytest.raises(StreamInputError, match="NaN"):
        h.pipeline.push_agent(np.array([np.nan], np.float32), 16000)


def test_the_agent_buffer_is_bounded():
    h = Harness(SessionOptions(render=False, realtime=False, max_agent_buffer_s=1.0))
    h.pipeline.push_agent(np.zeros(16000, np.float32), 16000)
    with pytest.raises(BufferFullError, match="full"):
        h.pipeline.push_agent(np.zeros(1600, np.float32), 16000)
    assert h.pipeline.voice.clear() == pytest.approx(1.0, abs=0.01)


def test_streaming_resampler_joins_chunks_without_clicks():
    t = np.arange(22050) / 22050
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    r = Resampler(16000)
    out = np.concatenate([r(tone[i : i + 441], 22050) for i in range(0, len(tone), 441)])
    assert abs(len(out) - 16000) < 64
    core = out[200:-200]
    assert np.abs(np.diff(core)).max() < 0.2  # a 440 Hz sine: smooth, no seams


def _streamed(r: Resampler, x: np.ndarray, rate: int, rng: np.random.Generator) -> list:
    """``x`` pushed through ``r`` in chunks of random sizes (1 sample to 50 ms)."""
    out, i = [], 0
    while i < len(x):
        n = int(rng.choice([1, 2, 3, 7, rng.integers(1, rate // 20)]))
        out.append(r(x[i : i + n], rate))
        i += n
    return out


@pytest.mark.parametrize(
    "rate_in,rate_out",
    [(8000, 16000), (22050, 16000), (24000, 16000), (44100, 16000), (48000, 16000), (16000, 24000)],
)
def test_streaming_resampler_equals_resampling_the_whole_signal(rate_in, rate_out):
    """Chunks of any size (one sample, sizes that do not divide the ratio) give the outputs of
    resample_poly over the whole signal, the end included once a new rate flushes the filter."""
    rng = np.random.default_rng(rate_in)
    x = rng.uniform(-0.5, 0.5, rate_in // 3).astype(np.float32)
    r = Resampler(rate_out)
    out = _streamed(r, x, rate_in, rng)
    held_back = len(Audio(x, rate_in).resampled(rate_out).samples) - sum(map(len, out))
    assert 0 < held_back <= 0.0015 * rate_out  # only the filter's half length waits
    out.append(r(np.zeros(0, np.float32), rate_out))  # the rate changes: the tail comes out
    whole = Audio(x, rate_in).resampled(rate_out).samples
    np.testing.assert_allclose(np.concatenate(out), whole, atol=1e-6)
    at_once = Resampler(rate_out)(x, rate_in)  # one long push: computed in blocks
    np.testing.assert_allclose(at_once, whole[: len(at_once)], atol=1e-6)


def test_streaming_resampler_follows_a_rate_change_mid_stream():
    rng = np.random.default_rng(1)
    a = rng.uniform(-0.5, 0.5, 4410).astype(np.float32)
    b = rng.uniform(-0.5, 0.5, 2400).astype(np.float32)
    c = rng.uniform(-0.5, 0.5, 1600).astype(np.float32)
    r = Resampler(16000)
    out = _streamed(r, a, 44100, rng) + _streamed(r, b, 24000, rng) + [r(c, 16000)]
    expected = [Audio(a, 44100).resampled(16000), Audio(b, 24000).resampled(16000)]
    np.testing.assert_allclose(
        np.concatenate(out), np.concatenate([e.samples for e in expected] + [c]), atol=1e-6
    )
    assert r(c, 16000) is c  # back at the target rate: passed through untouched


def test_audio_buffer_reports_the_wait_of_streamed_input_only():
    b = AudioBuffer(100)
    assert b.put(np.ones(30, np.float32), 1.0) and b.put(np.ones(30, np.float32), 1.3)
    assert not b.put(np.ones(50, np.float32), 1.4)  # would exceed the capacity
    samples, pushed = b.take(40, now=1.45)
    assert len(samples) == 40 and pushed == 1.0  # the oldest chunk it took from
    samples, pushed = b.take(40, now=1.9)  # queued ahead (0.6 s ago): not latency
    assert len(samples) == 20 and pushed is None
    assert b.put_dropping_oldest(np.ones(150, np.float32), 4.0) == 50 and len(b) == 100


def test_speech_at_another_rate_starts_on_the_first_tick() -> None:
    """Resampling 16 -> 24 kHz holds a few samples back in the filter: the first frame of an
    utterance is then a little short, and must still play at once, not a tick (40 ms) later."""
    from openlpm.stream.voice import AgentVoice

    voice = AgentVoice(OnlineModel.load(), SessionOptions(render=False, realtime=True))
    t = np.arange(640) / 16000  # one 40 ms frame at 16 kHz
    voice.push((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000, now=0.0)
    _, _, _, pushed_at = voice.step(now=0.0)
    assert pushed_at == 0.0


def test_real_time_voice_leaves_sooner_and_stays_in_step_with_the_lips(line):
    """On a real-time clock a lead-in puts each frame's look-ahead end on a tick: the voice
    leaves 53 ms after the tick that took it (80 ms on a virtual clock), whole, and the lips
    are still the model's own for the sound that plays with them."""
    realtime = MotionPipeline(SessionOptions(render=False, realtime=True))
    virtual = MotionPipeline(SessionOptions(render=False, realtime=False))
    assert virtual.voice.delay_s == pytest.approx(0.08)
    assert realtime.voice.delay_s == pytest.approx(0.053, abs=0.002)
    realtime.push_agent(line.samples, line.sample_rate, now=0.0)
    n = int(line.duration * FPS) + 20
    ticks = [realtime.step((i + 1) / FPS) for i in range(n)]  # the clock, given: no waiting
    sound = np.concatenate([t.agent_audio for t in ticks])
    lead = round(realtime.voice.delay_s * 24000)
    expected = line.resampled(24000).samples
    m = min(len(sound) - lead, len(expected)) - 100
    assert not sound[:lead].any()
    assert np.corrcoef(sound[lead : lead + m], expected[:m])[0, 1] > 0.99
    # the played sound is what the model heard: the lips match it frame for frame
    played = Audio(sound, 24000)
    ref = OnlineModel.load().perform(played).curve("jawOpen")
    jaw = np.array([t.pose["jawOpen"] for t in ticks])[: len(ref)]
    assert np.corrcoef(jaw, ref[: len(jaw)])[0, 1] > 0.99
    assert jaw.max() > 0.25


def test_a_live_grin_talks_with_the_speech_lips_and_bares_the_teeth_after(line):
    lips = ("jawOpen", "mouthClose", "mouthPressLeft", "mouthUpperUpLeft", "mouthLowerDownLeft")
    n = int(line.duration * FPS)
    plain, grinning = Harness(), Harness()
    for h in (plain, grinning):
        h.run(5)
        h.pipeline.push_agent(line.samples, line.sample_rate)
    grinning.pipeline.prompt(parse_prompt("grins for 10 seconds"))
    plain.run(n + 3 * FPS)
    grinning.run(n + 3 * FPS)
    talking = lips_moving(np.array([t.pose.vector for t in plain.ticks]))
    assert talking.sum() > n // 3
    for name in lips:  # wherever the speech moves the lips, they are the speech's own
        np.testing.assert_array_equal(grinning.curve(name)[talking], plain.curve(name)[talking])
    assert np.median(grinning.curve("mouthSmileLeft")[talking]) > 0.8  # a smile that talks
    assert grinning.curve("mouthUpperUpLeft")[-FPS:].min() > 0.4  # teeth once it is quiet
