"""Offline motion export: the live engine's motion over files, as fast as the CPU goes.

The same :class:`MotionPipeline` a live session runs, on a virtual clock, so a file exports
exactly the motion it would stream live; frames are shifted by the model's look-ahead so
frame i is the pose at i / fps seconds of the agent's audio.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from openlpm.errors import InputError
from openlpm.io.audio import Audio
from openlpm.prompts.plan import PromptPlan
from openlpm.sinks.base import Sink
from openlpm.stream.frames import VideoFrame
from openlpm.stream.options import SessionOptions
from openlpm.stream.pipeline import MotionPipeline

FORMATS = ("livelink-csv", "vmc", "json")
MAX_EXPORT_S = 3 * 3600.0  # frames are streamed to the sinks: memory stays flat


def export_motion(
    sinks: Sequence[Sink],
    agent: Audio | None = None,
    user: Audio | None = None,
    plan: PromptPlan | None = None,
    fps: float = 25.0,
    seed: int = 0,
    duration: float | None = None,
    says: dict[str, Any] | None = None,
) -> int:
    """Run the motion over ``agent`` (the character's speech) and ``user`` (what it hears)
    for the longer of the two (or ``duration`` seconds) into ``sinks``; returns the number of
    frames. ``says``: what ``agent`` says, {"text": its words} or {"phones": its TTS timing}
    (the lips follow them). The sinks are not closed here."""
    seconds = max([duration or 0.0] + [a.duration for a in (agent, user) if a is not None])
    if seconds <= 0:
        raise InputError("nothing to export: give the character's speech, the user's, or both")
    if seconds > MAX_EXPORT_S:
        raise InputError(f"{seconds:.0f} s is too long to export (at most {MAX_EXPORT_S:.0f} s)")
    options = SessionOptions(fps=fps, seed=seed, render=False, realtime=False)
    if says and agent is not None and agent.duration > options.max_agent_buffer_s:
        raise InputError(
            f"speech with its words is queued whole: at most {options.max_agent_buffer_s:.0f} s,"
            f" got {agent.duration:.0f} s (leave the words out, or split the file)"
        )
    pipeline = MotionPipeline(options)
    now = time.monotonic()
    feed = _Feeder(pipeline, agent, user, now, says or {})
    n = max(1, math.ceil(seconds * fps - 1e-9))
    for _ in range(pipeline.delay_frames):  # the look-ahead: these ticks precede t = 0
        feed()
        pipeline.step(now)
    if plan is not None and plan.steps:
        pipeline.prompt(plan)
    for i in range(n):
        feed()
        tick = pipeline.step(now)
        frame = VideoFrame(
            index=i,
            pts=i / fps,
            image=None,
            pose=tick.pose,
            agent_audio=np.zeros(0, np.float32),
            audio_rate=options.audio_rate,
            audio_pts=i / fps,
            speaking=tick.speaking,
            listening=tick.listening,
            input_at=None,
            emitted_at=now,
        )
        for sink in sinks:
            sink.write(frame)
    return n


class _Feeder:
    """Keeps a few seconds of each input queued: long files never sit in the buffers whole."""

    AHEAD_S = 2.0

    def __init__(
        self,
        pipeline: MotionPipeline,
        agent: Audio | None,
        user: Audio | None,
        now: float,
        says: dict[str, Any],
    ) -> None:
        self.pipeline, self.now, self.says = pipeline, now, says
        self.inputs = [
            (a, push, [0])
            for a, push in ((agent, pipeline.push_agent), (user, pipeline.push_user))
            if a is not None
        ]
        self.ticks = 0

    def __call__(self) -> None:
        self.ticks += 1
        t = self.ticks / self.pipeline.options.fps + self.AHEAD_S
        for audio, push, sent in self.inputs:
            due = min(len(audio.samples), int(t * audio.sample_rate))
            if self.says and push == self.pipeline.push_agent:
                due = len(audio.samples)  # with its words: whole, so they align ahead of it
            if due - sent[0] >= audio.sample_rate or (due == len(audio.samples) > sent[0]):
                agent = push == self.pipeline.push_agent
                words = self.says if agent and sent[0] == 0 else {}
                push(audio.samples[sent[0] : due], audio.sample_rate, self.now, **words)
                sent[0] = due
                if agent and due == len(audio.samples):
                    self.pipeline.end_agent_text()  # the words' audio is all in
