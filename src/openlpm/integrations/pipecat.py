"""A face for pipecat voice agents: ``pip install "openlpm[pipecat]"``.

    from openlpm.integrations.pipecat import OpenLPMVideoService
    pipeline = Pipeline([transport.input(), stt, user_aggregator, llm, tts,
                         OpenLPMVideoService(image="face.png"),      # after the TTS
                         transport.output(), assistant_aggregator])

:class:`OpenLPMVideoService` runs an :class:`openlpm.Session` (local, CPU, no cloud) and, like
pipecat's own avatar services (Simli, Tavus, HeyGen), takes the TTS's voice in and sends the
picture out with the voice re-timed to it:

- ``TTSAudioRawFrame`` (any rate, any channel count): the character's voice. It is consumed
  and sent on again frame by frame, with the ``OutputImageRawFrame`` it belongs to, so sound
  and lips leave together. ``TTSTextFrame`` passes through: pipecat sends a sentence's text
  after its audio (services without word timestamps) or word by word as spoken, never ahead
  of the audio, so the lips follow the sound (the session's text path wants the words with
  the audio: holding the audio back until its text came would add a sentence of latency);
- ``InputAudioRawFrame``: the user's voice: the character listens (nods, eye contact, mouth
  shut); ``UserStartedSpeakingFrame``/``UserStoppedSpeakingFrame`` pass through (the session's
  own voice activity detector follows the audio itself);
- ``InterruptionFrame``: barge-in: the voice stops on the next frame and the face goes back
  to listening;
- an ``OutputImageRawFrame`` at the session's fps, always (idle, the character breathes and
  blinks), and every other frame passes through untouched.

:class:`OpenLPMTTSService` is openlpm's built-in eSpeak NG voice as a pipecat TTS service:
offline, no key, for tests, demos and echo bots.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import numpy as np
from pipecat.frames.frames import (
    CancelFrame,
    EndFrame,
    ErrorFrame,
    Frame,
    InputAudioRawFrame,
    InterruptionFrame,
    OutputImageRawFrame,
    StartFrame,
    TTSAudioRawFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.ai_service import AIService
from pipecat.services.settings import ServiceSettings, TTSSettings
from pipecat.services.tts_service import TTSService

from openlpm.errors import OpenLPMError
from openlpm.stream.frames import VideoFrame
from openlpm.stream.session import ImageLike, Session

# After the voice's last sound, keep sending its (silent) audio this long: pauses inside a
# reply keep their length downstream, and pipecat's bot-speaking detection sees one turn.
VOICE_HOLD_S = 0.3
TTS_CHUNK_S = 0.04  # the built-in TTS's audio leaves in pieces this long, as a streaming TTS


class OpenLPMVideoService(AIService):
    """A talking, listening face from one image, for a pipeline placed after its TTS.

    Arguments mirror :class:`openlpm.Session`: ``image=None`` is the bundled character;
    ``rig`` a prepared one. The session (1-2 s to build the rig) starts with the pipeline.
    """

    def __init__(
        self,
        image: ImageLike | None = None,
        *,
        size: int = 512,
        fps: float = 25.0,
        seed: int | None = None,
        voice: str | None = None,
        rig: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(settings=ServiceSettings(model=None), **kwargs)
        self._session_args: dict[str, Any] = dict(
            image=image, rig=rig, size=size, fps=fps, seed=seed, voice=voice
        )
        self.session: Session | None = None
        self._frames_task: asyncio.Task[None] | None = None
        self._voice_until = -1.0  # pts until which the voice's audio is still sent

    # --- lifecycle (pipecat calls these for StartFrame, EndFrame, CancelFrame) ------------

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        if self.session is None:
            self.session = await asyncio.to_thread(Session, **self._session_args)
            self._frames_task = self.create_task(self._send_frames())

    async def stop(self, frame: EndFrame) -> None:
        await super().stop(frame)
        await self._close()

    async def cancel(self, frame: CancelFrame) -> None:
        await super().cancel(frame)
        await self._close()

    async def cleanup(self) -> None:
        await super().cleanup()
        await self._close()

    async def _close(self) -> None:
        session, self.session = self.session, None
        if self._frames_task is not None:
            await self.cancel_task(self._frames_task)
            self._frames_task = None
        if session is not None:
            await session.aclose()

    # --- frames in -----------------------------------------------------------------------

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        session = self.session
        if session is None or direction is not FrameDirection.DOWNSTREAM:
            await self.push_frame(frame, direction)
            return
        try:
            if isinstance(frame, TTSAudioRawFrame):
                session.push_agent_audio(_mono(frame.audio, frame.num_channels), frame.sample_rate)
                return  # sent on again with its picture, re-timed
            if isinstance(frame, InputAudioRawFrame):
                session.push_user_audio(_mono(frame.audio, frame.num_channels), frame.sample_rate)
            elif isinstance(frame, InterruptionFrame):
                session.interrupt()
        except OpenLPMError as e:  # bad audio: say so, keep the pipeline running
            await self.push_error(error_msg=f"openlpm: {e}", exception=e)
        await self.push_frame(frame, direction)

    # --- frames out ----------------------------------------------------------------------

    async def _send_frames(self) -> None:
        assert self.session is not None
        try:
            await self._send_frames_of(self.session)
        except OpenLPMError as e:  # the engine stopped: no more pictures, say why
            await self.push_error(error_msg=f"openlpm: {e}", exception=e, fatal=True)

    async def _send_frames_of(self, session: Session) -> None:
        async for frame in session.frames():
            if frame.image is not None:
                height, width = frame.image.shape[:2]
                await self.push_frame(
                    OutputImageRawFrame(
                        image=frame.image.tobytes(), size=(width, height), format="RGB"
                    )
                )
            voice = self._voice_of(frame)
            if voice is not None:
                await self.push_frame(voice)

    def _voice_of(self, frame: VideoFrame) -> TTSAudioRawFrame | None:
        """The frame's sound while the character speaks (and VOICE_HOLD_S after): silence
        between the agent's turns is not sent, or pipecat would think the bot never stops."""
        sound = frame.agent_audio
        if sound.size and float(np.abs(sound).max()) > 0.0:
            self._voice_until = frame.pts + VOICE_HOLD_S
        if frame.pts > self._voice_until or not sound.size:
            return None
        pcm = (np.clip(sound, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        return TTSAudioRawFrame(audio=pcm, sample_rate=frame.audio_rate, num_channels=1)


class OpenLPMTTSService(TTSService):
    """openlpm's built-in voice (eSpeak NG, bundled, offline) as a pipecat TTS service.

    ``voice`` is an eSpeak NG language code ("en-us", "en-gb", "fr", ...)."""

    def __init__(self, *, voice: str = "en-us", **kwargs: Any) -> None:
        settings = TTSSettings(model=None, voice=voice, language=None)
        super().__init__(push_start_frame=True, push_stop_frames=True, settings=settings, **kwargs)

    def can_generate_metrics(self) -> bool:
        return True

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame, None]:
        from openlpm.audio.tts import synthesize

        voice = str(self._settings.voice or "en-us")
        try:
            await self.start_tts_usage_metrics(text)
            speech = await asyncio.to_thread(synthesize, text, voice)
            await self.stop_ttfb_metrics()
        except OpenLPMError as e:
            yield ErrorFrame(error=f"openlpm TTS: {e}")
            return
        audio = speech.audio.resampled(self.sample_rate)
        pcm = (np.clip(audio.samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        step = 2 * round(self.sample_rate * TTS_CHUNK_S)
        for at in range(0, len(pcm), step):
            yield TTSAudioRawFrame(
                audio=pcm[at : at + step],
                sample_rate=self.sample_rate,
                num_channels=1,
                context_id=context_id,
            )


def _mono(pcm: bytes, channels: int) -> bytes:
    """Interleaved 16-bit PCM of any channel count -> mono (the channels' mean)."""
    if channels <= 1:
        return pcm
    x = np.frombuffer(pcm[: len(pcm) - len(pcm) % (2 * channels)], "<i2").reshape(-1, channels)
    return x.mean(axis=1).round().astype("<i2").tobytes()
