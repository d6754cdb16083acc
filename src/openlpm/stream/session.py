"""Session: one live character, the public Python API of the engine.

    async with openlpm.Session(image="face.png", references=["open.png"]) as session:
        session.say("Hello there")                      # or push_agent_audio(pcm16, 24000)
        session.push_user_audio(mic_pcm16, 16000)       # the character listens
        session.prompt("smile")
        async for frame in session.frames():            # paced in real time
            show(frame.image); play(frame.agent_audio)

The session runs from construction to close on its own engine thread (idle, it listens:
blinks, gaze, breathing). Construction is blocking (the rig of a new image takes 1-2 s):
servers build it with ``await asyncio.to_thread(Session, ...)``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, TypeVar

import numpy as np

from openlpm.character.rig import Rig
from openlpm.errors import SessionClosedError, StreamError
from openlpm.prompts.plan import PromptPlan
from openlpm.render.renderer import Renderer
from openlpm.sinks.base import Sink
from openlpm.stream.audio_in import check_samples, decode_pcm16
from openlpm.stream.engine import Engine
from openlpm.stream.frames import SessionStats, VideoFrame
from openlpm.stream.options import SessionOptions
from openlpm.stream.outbox import Outbox
from openlpm.stream.pipeline import MotionPipeline
from openlpm.stream.stats import StatsCollector

T = TypeVar("T")
ImageLike = str | os.PathLike[str] | np.ndarray


class Session:
    """A live character. Keyword arguments override the fields of ``options``."""

    def __init__(
        self,
        image: ImageLike | None = None,
        *,
        rig: Rig | None = None,
        references: Sequence[ImageLike] = (),
        size: int | None = None,
        fps: float | None = None,
        seed: int | None = None,
        voice: str | None = None,
        render: bool | None = None,
        realtime: bool | None = None,
        options: SessionOptions | None = None,
        sinks: Sequence[Sink] = (),
    ) -> None:
        given = dict(size=size, fps=fps, seed=seed, voice=voice, render=render, realtime=realtime)
        overrides = {k: v for k, v in given.items() if v is not None}
        self.options = dataclasses.replace(options or SessionOptions(), **overrides)
        if image is not None and rig is not None:
            raise ValueError("give image or rig, not both")
        if references and not self.options.render:
            raise ValueError("references change only the video: they need render=True")
        renderer = (
            _renderer(image, rig, references, self.options.size) if self.options.render else None
        )
        self.width, self.height = renderer.size if renderer else (0, 0)
        self._pipeline = MotionPipeline(self.options)
        self._outbox = Outbox(self.options.queue_frames)
        self._stats = StatsCollector()
        self._sinks = list(sinks)
        self._engine = Engine(self._pipeline, renderer, self._outbox, self._sinks, self._stats)
        self._closed = False
        self._close_lock = threading.Lock()
        self._engine.start()

    # --- input ---------------------------------------------------------------------------

    def push_agent_audio(
        self,
        data: bytes,
        sample_rate: int = 24000,
        text: str | None = None,
        words: Sequence[tuple[str, float, float]] | None = None,
    ) -> None:
        """The agent's voice: mono 16-bit little-endian PCM at any rate. Queued and played
        out in real time, in sync with the lips (so a whole TTS line may be pushed at once).

        ``text``: the words spoken from this push on, up to the next push with text (or a
        pause in the pushes): the lips then follow the aligned phones, closing on every
        p/b/m. ``words``: the TTS's word timestamps [(word, start_s, end_s)], seconds from
        the start of this push, used instead of aligning. See README_API.md."""
        self._check_open()
        x = decode_pcm16(data, sample_rate, self.options.max_push_bytes)
        self._pipeline.push_agent(x, sample_rate, text=text, words=words)

    def push_agent_samples(
        self,
        samples: np.ndarray,
        sample_rate: int,
        text: str | None = None,
        words: Sequence[tuple[str, float, float]] | None = None,
    ) -> None:
        """:meth:`push_agent_audio` for float samples in [-1, 1]."""
        self._check_open()
        x = check_samples(samples, sample_rate)
        self._pipeline.push_agent(x, sample_rate, text=text, words=words)

    def push_user_audio(self, data: bytes, sample_rate: int = 16000) -> None:
        """The user's voice (a microphone), as it arrives: mono 16-bit PCM at any rate."""
        self._check_open()
        x = decode_pcm16(data, sample_rate, self.options.max_push_bytes)
        self._pipeline.push_user(x, sample_rate)

    def push_user_samples(self, samples: np.ndarray, sample_rate: int) -> None:
        self._check_open()
        self._pipeline.push_user(check_samples(samples, sample_rate), sample_rate)

    def say(self, text: str, voice: str | None = None) -> float:
        """Speak ``text`` with the built-in TTS (eSpeak NG); returns its length in seconds.
        The lips follow the TTS's own phones (nothing to align). Blocks for the synthesis
        (~0.1 s a sentence): async code uses :meth:`asay`."""
        from openlpm.audio.tts import synthesize

        self._check_open()
        speech = synthesize(text, voice or self.options.voice)
        audio = speech.audio  # its phones are known: the lips follow them, nothing to align
        self._pipeline.push_agent(audio.samples, audio.sample_rate, phones=speech.phones)
        return audio.duration

    async def asay(self, text: str, voice: str | None = None) -> float:
        return await _in_thread(lambda: self.say(text, voice))

    def interrupt(self) -> float:
        """Drop the agent audio that has not started playing (barge-in); seconds dropped."""
        return self._pipeline.voice.clear()

    def prompt(self, prompt: str | PromptPlan) -> PromptPlan:
        """Steer the motion in words ("smile", "nod twice", "look left, then happy"). Starts
        on the next frame; emotions persist until another emotion. Returns the plan: report
        ``plan.not_understood`` to the user. The first prompt the keywords do not settle
        loads the sentence-embedding model (~0.5 s): async code uses :meth:`aprompt`."""
        from openlpm.prompts.parse import parse_prompt

        self._check_open()
        plan = parse_prompt(prompt) if isinstance(prompt, str) else prompt
        if plan.steps:
            self._pipeline.prompt(plan)
        return plan

    async def aprompt(self, prompt: str | PromptPlan) -> PromptPlan:
        return await _in_thread(lambda: self.prompt(prompt))

    # --- output --------------------------------------------------------------------------

    async def frames(self) -> AsyncIterator[VideoFrame]:
        """The frames as they are made (one consumer at a time); ends when the session
        closes. A consumer slower than the clock misses frames (counted in ``stats``)."""
        while not self._closed:  # a frame still queued when the user closed is not delivered
            frame = await self._outbox.aget()
            if frame is None:
                self._raise_engine_error()
                return
            if self._closed:
                return
            self._stats.delivered(time.monotonic(), _since(frame.input_at))
            yield frame

    def iter_frames(self, timeout: float | None = None) -> Iterator[VideoFrame]:
        """:meth:`frames` for threads (no event loop); stops when the session closes."""
        while not self._closed:  # as frames(): nothing after close
            frame = self._outbox.get(timeout)
            if frame is None:
                if self._outbox.closed:
                    self._raise_engine_error()
                    return
                continue
            if self._closed:
                return
            self._stats.delivered(time.monotonic(), _since(frame.input_at))
            yield frame

    @property
    def stats(self) -> SessionStats:
        return self._stats.snapshot(len(self._pipeline.voice.buffer) / self.options.audio_rate)

    @property
    def delay_s(self) -> float:
        """How long after it is taken from the queue the agent's voice plays (the model's
        look-ahead: 53 ms at 25 fps in real time, 80 ms on a virtual clock, see
        stream/voice.py); the lips are delayed the same, so they match."""
        return self._pipeline.voice.delay_s

    @property
    def closed(self) -> bool:
        return self._closed

    # --- shutdown ------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the engine thread, close the sinks (an mp4 is finalised here); raises
        :class:`StreamError` if the engine or a sink had failed. Idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._engine.stop()
        self._pipeline.close()
        errors = []
        for sink in self._sinks:
            try:
                sink.close()
            except Exception as e:
                errors.append(e)
        if errors:
            raise StreamError(f"a sink failed to close: {errors[0]}") from errors[0]
        self._raise_engine_error()  # the engine died earlier: say so now

    async def aclose(self) -> None:
        await _in_thread(self.close)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __del__(self) -> None:  # a forgotten session must not keep its thread running
        engine = getattr(self, "_engine", None)
        if engine is not None and not getattr(self, "_closed", True):
            engine.stop(timeout=0)

    def _check_open(self) -> None:
        if self._closed or not self._engine.running:
            self._raise_engine_error()
            raise SessionClosedError("the session is closed")

    def _raise_engine_error(self) -> None:
        error = self._engine.error
        if error is not None:
            raise StreamError(f"the session stopped: {type(error).__name__}: {error}") from error


def _since(t: float | None) -> float | None:
    return None if t is None else time.monotonic() - t


def _renderer(
    image: ImageLike | None, rig: Rig | None, references: Sequence[ImageLike], size: int
) -> Renderer:
    """The renderer of ``rig`` (or of a rig built from ``image``) with ``references`` added;
    a reference that cannot be used raises :class:`~openlpm.errors.ReferenceImageError`."""
    from openlpm.character.reference import with_references

    analysed = rig is None or bool(references)  # the face models ran
    if rig is None:
        from openlpm.character.rig import build_rig
        from openlpm.io.images import load_image

        if image is None:
            from openlpm.cli import bundled

            image = bundled("astronaut.jpg")
        rgb = image if isinstance(image, np.ndarray) else load_image(image)
        rig = build_rig(rgb)
    renderer = Renderer(with_references(rig, list(references)), size)
    if analysed:  # a live session needs the face models no more, nor the analysis's heap
        from openlpm.heap import release_free_memory
        from openlpm.vision.models import release_sessions

        release_sessions()
        release_free_memory()
    return renderer


async def _in_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` on a fresh thread that ends with it (no lingering executor threads)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def run() -> None:
        try:
            result: Any = fn()
        except BaseException as e:
            loop.call_soon_threadsafe(_settle, future, None, e)
        else:
            loop.call_soon_threadsafe(_settle, future, result, None)

    thread = threading.Thread(target=run, name="openlpm-call", daemon=True)
    thread.start()
    try:
        return await future
    finally:
        while thread.is_alive():  # the result is set just before the thread ends
            await asyncio.sleep(0.001)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
