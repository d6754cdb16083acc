"""The LiveKit avatar generator's contract, with real livekit.rtc frames (no LiveKit server can
run here): what AvatarRunner pushes in, what it reads out, re-measured from the pixels."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field

import numpy as np
import pytest

if os.environ.get("OPENLPM_REQUIRE_INTEGRATIONS"):
    import livekit.agents  # noqa: F401  (CI installs the extras: a missing one is a failure)
else:
    pytest.importorskip("livekit.agents", reason='pip install "openlpm[livekit]"')

from livekit import rtc
from livekit.agents.voice.avatar import AudioSegmentEnd

from openlpm.analysis import FaceAnalyzer
from openlpm.audio.tts import synthesize
from openlpm.integrations.livekit import OpenLPMVideoGenerator

pytestmark = pytest.mark.slow
FPS = 25
OPEN, CLOSED = 0.04, 0.02
LINE = "Hello there, I am an avatar in a LiveKit room, talking in real time."


@dataclass
class Out:
    items: list[tuple[float, object]] = field(default_factory=list)

    def video(self, start: float = 0.0, end: float = float("inf")) -> list[rtc.VideoFrame]:
        return [f for t, f in self.items if isinstance(f, rtc.VideoFrame) and start <= t < end]

    def audio(self, start: float = 0.0) -> list[tuple[float, rtc.AudioFrame]]:
        return [(t, f) for t, f in self.items if isinstance(f, rtc.AudioFrame) and t >= start]

    async def wait_video(self, n: int) -> None:
        """Until ``n`` more video frames came out."""
        target = len(self.video()) + n
        while len(self.video()) < target:
            await asyncio.sleep(0.01)

    def gaps(self, start: float, end: float) -> np.ndarray:
        frames = self.video(start, end)[::2]
        with FaceAnalyzer() as analyzer:
            found = [analyzer.measure(_rgb(f)) for f in frames]
        assert found and all(m is not None for m in found), "no face in a video frame"
        return np.array([m.mouth_gap for m in found])


def frames_of(speech, rate: int = 48000, channels: int = 2) -> list[rtc.AudioFrame]:
    """Speech as the agent's data stream delivers it: 20 ms rtc.AudioFrames."""
    pcm = (speech.resampled(rate).samples * 32767).astype("<i2")
    pcm = np.repeat(pcm[:, None], channels, axis=1)
    n = rate // 50
    return [
        rtc.AudioFrame(pcm[at : at + n].tobytes(), rate, channels, len(pcm[at : at + n]))
        for at in range(0, len(pcm), n)
    ]


def run(rig, script, realtime: bool = False) -> tuple[OpenLPMVideoGenerator, Out]:
    """``script`` drives the generator while a reader drains it as AvatarRunner does. On the
    session's virtual clock (realtime=False) frames come as fast as they are read and none is
    dropped: what is checked is the contract, not the speed of a shared CPU."""

    async def main() -> tuple[OpenLPMVideoGenerator, Out]:
        gen = await asyncio.to_thread(
            OpenLPMVideoGenerator, rig=rig, size=384, fps=FPS, realtime=realtime
        )
        out = Out()

        async def read() -> None:
            async for item in gen:
                out.items.append((time.monotonic(), item))

        reader = asyncio.create_task(read())
        await asyncio.sleep(0.5)
        await script(gen, out)
        await gen.aclose()
        await asyncio.wait_for(reader, 10)
        return gen, out

    return asyncio.run(main())


def test_speech_in_gives_synced_video_and_audio_out(monalisa_rig) -> None:
    speech = synthesize(LINE).audio
    marks: dict[str, float] = {}

    async def script(gen: OpenLPMVideoGenerator, out: Out) -> None:
        marks["start"] = time.monotonic()
        for frame in frames_of(speech):
            await gen.push_audio(frame)
        await gen.push_audio(AudioSegmentEnd())
        await out.wait_video(round((speech.duration + 1.5) * FPS))

    gen, out = run(monalisa_rig, script)
    assert gen.errors == 0
    ends = [t for t, f in out.items if isinstance(f, AudioSegmentEnd)]
    assert len(ends) == 1, "one utterance, one AudioSegmentEnd"
    voice = out.audio(marks["start"])
    sent_s = sum(f.samples_per_channel / f.sample_rate for _, f in voice)
    # all of the voice; at most ~1 s more: silence of frames a busy CPU dropped just before it
    assert speech.duration - 0.1 < sent_s < speech.duration + 1.3, (sent_s, speech.duration)
    assert {f.sample_rate for _, f in voice} == {24000} and {f.num_channels for _, f in voice} == {
        1
    }
    assert ends[0] >= voice[-1][0], "AudioSegmentEnd before the last of the voice"
    # Sync: each audio frame comes right after the picture it plays with, and carries the
    # sound of that picture's 1/fps (k/fps after k-1 dropped pictures): never off by a frame.
    items = [f for _, f in out.items]
    for i, item in enumerate(items):
        if isinstance(item, rtc.AudioFrame):
            assert isinstance(items[i - 1], rtc.VideoFrame), "audio without its picture"
            frames = item.samples_per_channel * FPS / item.sample_rate
            assert abs(frames - round(frames)) < 1e-3 and frames >= 1, frames
    loud = [t for t, f in voice if np.abs(_pcm(f)).max() > 300]
    talking = out.gaps(loud[0], loud[-1])
    assert np.percentile(talking, 90) > OPEN, f"the mouth does not open: {np.round(talking, 3)}"


def test_clear_buffer_stops_the_voice_within_a_frame(monalisa_rig) -> None:
    speech = synthesize(LINE + " " + LINE).audio
    marks: dict[str, float] = {}

    async def script(gen: OpenLPMVideoGenerator, out: Out) -> None:
        for frame in frames_of(speech, 24000, 1):
            await gen.push_audio(frame)
        await gen.push_audio(AudioSegmentEnd())
        await asyncio.sleep(2.0)
        gen.clear_buffer()
        marks["cut"] = time.monotonic()
        await asyncio.sleep(2.0)

    _, out = run(monalisa_rig, script, realtime=True)
    late = [t for t, f in out.audio(marks["cut"] + 1.0 / FPS) if np.abs(_pcm(f)).max() > 30]
    assert not late, f"{len(late)} audio frames with voice after clear_buffer"
    gaps = out.gaps(marks["cut"] + 0.4, marks["cut"] + 2.0)
    assert gaps.max() < CLOSED, f"the mouth still moves after clear_buffer: {gaps.max():.3f}"
    assert not any(isinstance(f, AudioSegmentEnd) for _, f in out.items), (
        "an interrupted utterance is reported by AvatarRunner, not by a segment end"
    )


def test_a_malformed_frame_is_dropped_with_a_clear_error(monalisa_rig, caplog) -> None:
    speech = synthesize("Still here, still talking.").audio

    async def script(gen: OpenLPMVideoGenerator, out: Out) -> None:
        await gen.push_audio(b"\x00\x01" * 480)  # type: ignore[arg-type]
        await gen.push_audio(rtc.AudioFrame(b"\x00\x00" * 480, 1, 1, 480))  # 1 Hz
        for frame in frames_of(speech, 16000, 1):
            await gen.push_audio(frame)
        await gen.push_audio(AudioSegmentEnd())
        await out.wait_video(round((speech.duration + 1.0) * FPS))

    with caplog.at_level("ERROR", logger="openlpm.livekit"):
        gen, out = run(monalisa_rig, script)
    assert gen.errors == 2
    messages = [r.getMessage() for r in caplog.records if r.name == "openlpm.livekit"]
    assert any("bytes" in m for m in messages) and any("1 Hz" in m for m in messages), messages
    assert sum(isinstance(f, AudioSegmentEnd) for _, f in out.items) == 1, "the worker died"


def _rgb(frame: rtc.VideoFrame) -> np.ndarray:
    rgba = np.frombuffer(frame.data, np.uint8).reshape(frame.height, frame.width, 4)
    return np.ascontiguousarray(rgba[..., :3])


def _pcm(frame: rtc.AudioFrame) -> np.ndarray:
    return np.frombuffer(frame.data.tobytes(), "<i2")
