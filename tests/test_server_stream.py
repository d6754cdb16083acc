"""Speech streamed over a real socket in real time: frames at >= 24 fps, lips that move with
the agent's voice and stay closed in silence and while the character listens.

The mouth is measured from the received JPEGs by re-detecting the face (mediapipe face mesh),
independently of the motion the server rendered.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from openlpm.analysis import FaceAnalyzer
from openlpm.audio.tts import synthesize
from openlpm.server.binary import Kind
from openlpm.server.client import Frame, LiveClient
from openlpm.server.process import ServerProcess

pytestmark = pytest.mark.slow

LINE = (
    "Hello there, my friend. It is a real pleasure to meet you today, "
    "and I hope that you are doing well."
)
SILENCE_BEFORE, SILENCE_AFTER = 1.5, 1.5
CLOSED_GAP = 0.02  # inner-lip gap / face height: a closed mouth measures ~0.00-0.01
OPEN_GAP = 0.04  # open vowels measure 0.05-0.15


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess() as srv:
        yield srv.wait_warm()


@pytest.fixture(scope="module")
def speech() -> tuple[np.ndarray, int]:
    audio = synthesize(LINE).audio
    assert 4.5 < audio.duration < 7.0, audio.duration
    return np.asarray(audio.samples, np.float32), audio.sample_rate


@dataclass
class Run:
    frames: list[Frame]
    speech_start: float  # monotonic send time of the first speech chunk
    speech_end: float

    def fps(self, start: float, end: float) -> float:
        inside = [f for f in self.frames if start <= f.received_at <= end]
        return len(inside) / (end - start)


async def _stream(server: ServerProcess, kind: Kind, speech: tuple[np.ndarray, int]) -> Run:
    samples, rate = speech
    async with await LiveClient.connect(server.url) as client:
        await client.hello(character="monalisa")
        frames: list[Frame] = []

        async def collect() -> None:
            while (frame := await client.next_frame()) is not None:
                frames.append(frame)

        collector = asyncio.create_task(collect())
        await asyncio.sleep(SILENCE_BEFORE)
        start = time.monotonic()
        await client.stream_audio(kind, samples, rate)
        end = time.monotonic()
        await asyncio.sleep(SILENCE_AFTER)
        collector.cancel()
        await asyncio.gather(collector, return_exceptions=True)
    return Run(frames, start, end)


def _gaps(frames: list[Frame]) -> np.ndarray:
    with FaceAnalyzer(video=True) as analyzer:
        found = [analyzer.measure(f.rgb()) for f in frames]
    assert all(m is not None for m in found), "the face was lost in a received frame"
    return np.array([m.mouth_gap for m in found])


def test_agent_speech_moves_the_lips_in_real_time(server, speech) -> None:
    run = asyncio.run(_stream(server, Kind.AGENT_AUDIO, speech))
    fps = run.fps(run.speech_start, run.speech_end)
    assert fps >= 24.0, f"received {fps:.1f} frames/s while streaming"
    gaps = _gaps(run.frames)
    speaking = np.array([f.speaking for f in run.frames])
    before = np.array([f.received_at < run.speech_start for f in run.frames])
    print(f"fps {fps:.1f}; gap before {gaps[before].max():.3f}, speaking max "
          f"{gaps[speaking].max():.3f} p50 {np.median(gaps[speaking]):.3f}")  # fmt: skip
    assert speaking.sum() > 0.6 * 25 * speech[0].size / speech[1]
    assert gaps[before].max() < CLOSED_GAP, "the lips moved before any speech"
    assert gaps[speaking].max() > OPEN_GAP and gaps[speaking].std() > 0.01, "no lip motion"
    tail = np.array([f.received_at > run.speech_end + 1.0 for f in run.frames])
    assert gaps[tail].max() < CLOSED_GAP, "the lips kept moving after the speech"
    # the voice travels with the frames, all of it: same energy (seconds x power) as sent
    heard = np.concatenate([f.audio for f in run.frames]).astype(np.float32) / 32768
    sent_energy = np.sum(speech[0].astype(np.float64) ** 2) / speech[1]
    heard_energy = np.sum(heard.astype(np.float64) ** 2) / run.frames[0].header.audio_rate
    assert heard_energy == pytest.approx(sent_energy, rel=0.2)


def test_user_speech_is_listened_to_with_closed_lips(server, speech) -> None:
    run = asyncio.run(_stream(server, Kind.USER_AUDIO, speech))
    fps = run.fps(run.speech_start, run.speech_end)
    assert fps >= 24.0, f"received {fps:.1f} frames/s while streaming"
    listening = np.array([f.listening for f in run.frames])
    gaps = _gaps(run.frames)
    print(f"fps {fps:.1f}; listening {listening.mean():.2f}; gap max {gaps.max():.3f}")
    assert listening.sum() > 0.5 * 25 * speech[0].size / speech[1]
    assert not any(f.speaking for f in run.frames)
    assert gaps.max() < CLOSED_GAP, "false lip motion while listening"
