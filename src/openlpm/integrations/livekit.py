"""A LiveKit Agents avatar worker: ``pip install "openlpm[livekit]"``.

LiveKit's avatar pattern (``livekit.agents.voice.avatar``, as its bitHuman, Simli and Tavus
plugins use it): the agent's worker sends its voice to the avatar worker over a data stream
(``DataStreamAudioOutput`` on the agent side, ``DataStreamAudioReceiver`` here), and the avatar
worker's :class:`AvatarRunner` publishes video and audio in sync, driven by a
``VideoGenerator``. :class:`OpenLPMVideoGenerator` is that generator, on an
:class:`openlpm.Session` (local, CPU):

- ``push_audio(rtc.AudioFrame)``: the agent's voice, any rate and channel count;
  ``AudioSegmentEnd`` closes the utterance (an ``AudioSegmentEnd`` comes out once it has
  played, so the agent learns when playback finished);
- iterating gives ``rtc.VideoFrame`` (RGBA) at the session's fps, each followed, during an
  utterance, by the ``rtc.AudioFrame`` that plays with it (24 kHz mono), so AvatarRunner's
  AVSynchronizer keeps lips and voice together;
- ``clear_buffer()``: barge-in: the voice stops on the next frame, the face listens again.

A malformed frame is logged in one line (``openlpm.livekit``) and dropped: an exception in
``push_audio`` would end AvatarRunner's reading task and leave a dead worker.

:func:`run_avatar` runs the whole avatar side in a connected room; docs/livekit.md has the
agent side, a deployment and fleet sizing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import cv2
import numpy as np
from livekit import rtc
from livekit.agents.voice.avatar import (
    AudioSegmentEnd,
    AvatarOptions,
    AvatarRunner,
    DataStreamAudioReceiver,
    VideoGenerator,
)

from openlpm.errors import OpenLPMError
from openlpm.stream.frames import VideoFrame
from openlpm.stream.session import ImageLike, Session

log = logging.getLogger("openlpm.livekit")
MIN_RATE, MAX_RATE = 4000, 192000


class OpenLPMVideoGenerator(VideoGenerator):
    """A LiveKit VideoGenerator on an openlpm Session. Construction builds the rig (1-2 s,
    blocking): async code uses ``await asyncio.to_thread(OpenLPMVideoGenerator, ...)``."""

    def __init__(
        self,
        image: ImageLike | None = None,
        *,
        size: int = 512,
        fps: float = 25.0,
        seed: int | None = None,
        rig: Any = None,
        realtime: bool = True,
    ) -> None:
        self.session = Session(
            image=image, rig=rig, size=size, fps=fps, seed=seed, realtime=realtime
        )
        self.errors = 0  # malformed frames dropped
        self._segment = False  # an utterance is playing (its audio goes out with the frames)
        self._segment_ended = False  # its AudioSegmentEnd came in

    @property
    def options(self) -> AvatarOptions:
        """What AvatarRunner needs to publish these frames."""
        s = self.session
        return AvatarOptions(
            video_width=s.width,
            video_height=s.height,
            video_fps=s.options.fps,
            audio_sample_rate=s.options.audio_rate,
            audio_channels=1,
        )

    # --- in ------------------------------------------------------------------------------

    async def push_audio(self, frame: rtc.AudioFrame | AudioSegmentEnd) -> None:
        if isinstance(frame, AudioSegmentEnd):
            self._segment_ended = True
            return
        problem = _malformed(frame)
        if problem is None:
            try:
                self.session.push_agent_audio(_mono(frame), frame.sample_rate)
            except OpenLPMError as e:
                problem = str(e)
        if problem is not None:
            self.errors += 1
            log.error("openlpm: dropped an audio frame: %s", problem)
            return
        self._segment, self._segment_ended = True, False

    def clear_buffer(self) -> None:
        self.session.interrupt()
        self._segment = self._segment_ended = False  # AvatarRunner reports the interruption

    # --- out -----------------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[rtc.VideoFrame | rtc.AudioFrame | AudioSegmentEnd]:
        return self._frames()

    async def _frames(self) -> AsyncIterator[rtc.VideoFrame | rtc.AudioFrame | AudioSegmentEnd]:
        async for frame in self.session.frames():
            yield _video(frame)
            if not self._segment:
                continue
            yield _audio(frame)
            if self._segment_ended and self._played_out(frame):
                self._segment = self._segment_ended = False
                yield AudioSegmentEnd()

    def _played_out(self, frame: VideoFrame) -> bool:
        silent = not frame.agent_audio.size or float(np.abs(frame.agent_audio).max()) == 0.0
        return silent and self.session.stats.agent_buffered_s == 0.0

    async def aclose(self) -> None:
        await self.session.aclose()


async def run_avatar(
    room: rtc.Room, image: ImageLike | None = None, *, size: int = 512, fps: float = 25.0
) -> None:
    """The avatar side in a connected room, until the room closes: the agent's voice in over
    a data stream, the face and voice out as tracks."""
    generator = await asyncio.to_thread(OpenLPMVideoGenerator, image, size=size, fps=fps)
    runner = AvatarRunner(
        room,
        audio_recv=DataStreamAudioReceiver(room),
        video_gen=generator,
        options=generator.options,
    )
    try:
        await runner.start()
        await runner.wait_for_complete()
    finally:
        await runner.aclose()
        await generator.aclose()


def _malformed(frame: Any) -> str | None:
    """What is wrong with ``frame`` as an agent voice frame, or None."""
    if not isinstance(frame, rtc.AudioFrame):
        return f"expected an rtc.AudioFrame or AudioSegmentEnd, got {type(frame).__name__}"
    if not MIN_RATE <= frame.sample_rate <= MAX_RATE:
        return f"sample rate {frame.sample_rate} Hz is outside {MIN_RATE}..{MAX_RATE}"
    if frame.num_channels < 1:
        return f"{frame.num_channels} channels"
    expected = frame.samples_per_channel * frame.num_channels * 2
    if len(frame.data.tobytes()) != expected:
        return f"{len(frame.data.tobytes())} bytes of PCM where the header says {expected}"
    return None


def _mono(frame: rtc.AudioFrame) -> bytes:
    pcm = np.frombuffer(frame.data.tobytes(), "<i2")
    if frame.num_channels > 1:
        pcm = pcm.reshape(-1, frame.num_channels).mean(axis=1).round().astype("<i2")
    return pcm.tobytes()


def _video(frame: VideoFrame) -> rtc.VideoFrame:
    assert frame.image is not None
    h, w = frame.image.shape[:2]
    rgba = cv2.cvtColor(frame.image, cv2.COLOR_RGB2RGBA)
    return rtc.VideoFrame(w, h, rtc.VideoBufferType.RGBA, rgba.tobytes())


def _audio(frame: VideoFrame) -> rtc.AudioFrame:
    pcm = (np.clip(frame.agent_audio, -1.0, 1.0) * 32767).astype("<i2")
    return rtc.AudioFrame(pcm.tobytes(), frame.audio_rate, 1, len(pcm))
