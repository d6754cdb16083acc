"""openlpm in a real pipecat pipeline: OpenLPMTTSService -> OpenLPMVideoService -> a collector.

No cloud service: the voice is openlpm's built-in TTS as a pipecat TTS service, the user is
the same TTS in another voice pushed as InputAudioRawFrames. What comes out is measured: the
lips are re-detected in the emitted OutputImageRawFrames.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

if os.environ.get("OPENLPM_REQUIRE_INTEGRATIONS"):
    import pipecat  # noqa: F401  (CI installs the extras: a missing one is a failure)
else:
    pytest.importorskip("pipecat", reason='pip install "openlpm[pipecat]"')

from pipecat.frames.frames import (
    DataFrame,
    EndFrame,
    ErrorFrame,
    Frame,
    InputAudioRawFrame,
    InterruptionFrame,
    OutputImageRawFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.workers.runner import WorkerRunner

from openlpm.analysis import FaceAnalyzer
from openlpm.audio.tts import synthesize
from openlpm.integrations.pipecat import OpenLPMTTSService, OpenLPMVideoService

pytestmark = pytest.mark.slow
FPS = 25
OPEN, CLOSED = 0.04, 0.02  # inner-lip gap / face height
LINE = "Hello there! I am a face in a pipecat pipeline, and I talk in real time."


class Marker(DataFrame):
    pass


@dataclass
class Collected:
    images: list[tuple[float, OutputImageRawFrame]] = field(default_factory=list)
    voice: list[tuple[float, TTSAudioRawFrame]] = field(default_factory=list)
    others: list[tuple[float, Frame]] = field(default_factory=list)

    def gaps(self, start: float, end: float, step: int = 2) -> np.ndarray:
        """Inner-lip gap re-detected in the images that arrived in [start, end)."""
        shown = [f for t, f in self.images if start <= t < end][::step]
        assert len(shown) * step > 0.5 * FPS * (end - start), (
            f"{len(shown) * step} images in {end - start:.1f} s; errors: {self.errors()}"
        )
        with FaceAnalyzer() as analyzer:
            found = [analyzer.measure(_rgb(f)) for f in shown]
        assert found and all(m is not None for m in found), "no face in an emitted image"
        return np.array([m.mouth_gap for m in found])

    def errors(self) -> list[str]:
        return [f.error for _, f in self.others if isinstance(f, ErrorFrame)]

    def voiced_after(self, t: float) -> list[float]:
        return [at for at, f in self.voice if at > t and np.abs(_pcm(f)).max() > 30]


class Collector(FrameProcessor):
    """The pipeline's end: records what arrives, and when."""

    def __init__(self) -> None:
        super().__init__()
        self.got = Collected()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        now = time.monotonic()
        if isinstance(frame, OutputImageRawFrame):
            self.got.images.append((now, frame))
        elif isinstance(frame, TTSAudioRawFrame):
            self.got.voice.append((now, frame))
        else:
            self.got.others.append((now, frame))
        await self.push_frame(frame, direction)


Script = Callable[[PipelineWorker, Collected], Awaitable[None]]


def run_pipeline(rig, script: Script) -> Collected:
    async def main() -> Collected:
        video = OpenLPMVideoService(rig=rig, size=384, fps=FPS)
        collector = Collector()
        worker = PipelineWorker(
            Pipeline([OpenLPMTTSService(), video, collector]),
            params=PipelineParams(audio_out_sample_rate=24000),
        )
        runner = WorkerRunner(handle_sigint=False)
        running = asyncio.create_task(runner.run(worker))
        deadline = time.monotonic() + 60
        while len(collector.got.images) < 5:  # the session is up and frames flow
            assert time.monotonic() < deadline, "no image out of the video service"
            assert not running.done(), "the pipeline stopped"
            await asyncio.sleep(0.05)
        await script(worker, collector.got)
        await worker.queue_frame(EndFrame())
        await asyncio.wait_for(running, 30)
        assert video.session is None, "the session outlived the pipeline"
        return collector.got

    return asyncio.run(main())


async def stream_user(worker: PipelineWorker, samples: np.ndarray, rate: int) -> None:
    """The user's microphone: 20 ms InputAudioRawFrames in real time."""
    n, start = rate // 50, time.monotonic()
    for i, at in enumerate(range(0, len(samples), n)):
        await asyncio.sleep(max(0.0, start + i * 0.02 - time.monotonic()))
        pcm = (np.clip(samples[at : at + n], -1, 1) * 32767).astype("<i2").tobytes()
        await worker.queue_frame(InputAudioRawFrame(audio=pcm, sample_rate=rate, num_channels=1))


def test_it_talks_with_the_voice_listens_to_the_user_and_keeps_the_fps(monalisa_rig) -> None:
    user = synthesize("Can you hear me? I am the user, and I am talking to you now.", "en-gb")
    user16k = user.audio.resampled(16000)
    marks: dict[str, float] = {}
    passing = Marker()  # a frame type the video service does not know

    async def script(worker: PipelineWorker, got: Collected) -> None:
        await worker.queue_frame(passing)
        marks["speak"] = time.monotonic()
        await worker.queue_frame(TTSSpeakFrame(LINE))
        deadline = time.monotonic() + 30  # the first synthesis of a process loads eSpeak NG
        while not got.voice and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        while got.voice and time.monotonic() - got.voice[-1][0] < 0.6:  # until the line ends
            await asyncio.sleep(0.1)
        marks["spoken"] = time.monotonic()
        await asyncio.sleep(0.5)
        marks["user"] = time.monotonic()
        await stream_user(worker, user16k.samples, 16000)
        marks["user_done"] = time.monotonic()

    got = run_pipeline(monalisa_rig, script)

    voiced = [t for t, f in got.voice if np.abs(_pcm(f)).max() > 30]
    assert voiced, "no voice came out of the video service"
    talking = got.gaps(voiced[0], voiced[-1])
    assert np.percentile(talking, 90) > OPEN, f"the mouth does not open: {np.round(talking, 3)}"
    assert talking.min() < CLOSED, "the mouth never closes while talking"
    listening = got.gaps(marks["user"] + 0.2, marks["user_done"])
    assert listening.max() < CLOSED, f"lips move on the user voice: {np.round(listening, 3)}"
    assert not got.voiced_after(marks["spoken"] + 0.2), "voice out while the user talked"

    # Frames at the fps, and the voice as long as the line (nothing lost in the re-timing).
    times = np.array([t for t, _ in got.images])
    steps = np.diff(times)
    assert abs(np.median(steps) - 1 / FPS) < 0.25 / FPS, f"median step {np.median(steps):.3f} s"
    assert len(times) / (times[-1] - times[0]) > 0.7 * FPS
    sent_s = sum(f.num_frames / f.sample_rate for _, f in got.voice)
    spoken_s = synthesize(LINE).audio.duration
    assert spoken_s - 0.1 < sent_s < spoken_s + 1.0, (sent_s, spoken_s)
    assert any(f is passing for _, f in got.others), "a foreign frame did not pass through"


def test_an_interruption_stops_the_voice_within_a_frame(monalisa_rig) -> None:
    marks: dict[str, float] = {}

    async def script(worker: PipelineWorker, got: Collected) -> None:
        await worker.queue_frame(TTSSpeakFrame(LINE + " " + LINE))
        deadline = time.monotonic() + 30
        while len(got.voice) < 40:  # 1.6 s of voice out
            assert time.monotonic() < deadline, "the voice did not start"
            await asyncio.sleep(0.02)
        await worker.queue_frame(InterruptionFrame())
        while not any(isinstance(f, InterruptionFrame) for _, f in got.others):
            await asyncio.sleep(0.005)
        marks["cut"] = next(t for t, f in got.others if isinstance(f, InterruptionFrame))
        await asyncio.sleep(2.0)

    got = run_pipeline(monalisa_rig, script)
    late = got.voiced_after(marks["cut"] + 1.0 / FPS)
    assert not late, f"{len(late)} voice frames after the interruption"
    gaps = got.gaps(marks["cut"] + 0.4, marks["cut"] + 2.0)
    assert gaps.max() < CLOSED, f"the mouth still moves after the interruption: {gaps.max():.3f}"


def test_an_odd_rate_stereo_voice_is_resampled(monalisa_rig) -> None:
    speech = synthesize(LINE).audio.resampled(11025)
    stereo = np.repeat((speech.samples * 32767).astype("<i2")[:, None], 2, axis=1)
    marks: dict[str, float] = {}

    async def script(worker: PipelineWorker, got: Collected) -> None:
        marks["start"] = time.monotonic()
        n = 441 * 2  # 80 ms chunks of interleaved stereo
        pcm = stereo.tobytes()
        for at in range(0, len(pcm), n * 2):
            frame = TTSAudioRawFrame(audio=pcm[at : at + n * 2], sample_rate=11025, num_channels=2)
            await worker.queue_frame(frame)
        await asyncio.sleep(speech.duration + 1.0)

    got = run_pipeline(monalisa_rig, script)
    assert {f.sample_rate for _, f in got.voice} == {24000}, "the voice was not re-timed at 24 kHz"
    sent_s = sum(f.num_frames / f.sample_rate for _, f in got.voice)
    assert speech.duration - 0.1 < sent_s < speech.duration + 1.0, (sent_s, speech.duration)
    voiced = [t for t, f in got.voice if np.abs(_pcm(f)).max() > 30]
    gaps = got.gaps(voiced[0], voiced[-1])
    assert np.percentile(gaps, 90) > OPEN, f"the mouth does not open: {np.round(gaps, 3)}"


def _rgb(frame: OutputImageRawFrame) -> np.ndarray:
    w, h = frame.size
    return np.frombuffer(frame.image, np.uint8).reshape(h, w, 3)


def _pcm(frame: TTSAudioRawFrame) -> np.ndarray:
    return np.frombuffer(frame.audio, "<i2")
