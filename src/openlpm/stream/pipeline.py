"""MotionPipeline: the motion half of a session, one MotionTick per clock tick.

    agent audio -> AgentVoice (Online model) --speak--+
                                                       +-> DuplexMixer -> LivePrompts -> pose
    user audio  -> UserEars (Hearing + listener) -listen-+

No threads and no clock of its own: the engine calls :meth:`step` on its clock, offline
export calls it in a loop, and tests drive it directly (a harness that sends frames in and
checks what comes out).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence

from openlpm.audio.phones import PhoneTimeline
from openlpm.converse.mixer import DuplexMixer
from openlpm.motion.frame import MotionFrame
from openlpm.motion.online import OnlineModel
from openlpm.prompts.plan import PromptPlan
from openlpm.stream.audio_in import check_samples, check_text
from openlpm.stream.ears import UserEars
from openlpm.stream.frames import MotionTick
from openlpm.stream.options import SessionOptions
from openlpm.stream.prompting import LivePrompts
from openlpm.stream.text_lips import WordTiming
from openlpm.stream.voice import AgentVoice


@functools.cache
def shipped_model() -> OnlineModel:
    """The packaged Online model, loaded once per process (its weights are read-only)."""
    return OnlineModel.load()


class MotionPipeline:
    def __init__(self, options: SessionOptions, model: OnlineModel | None = None) -> None:
        self.options = options
        self.voice = AgentVoice(model or shipped_model(), options)
        self.ears = UserEars(options)
        self.mixer = DuplexMixer(options.fps)
        self.prompts = LivePrompts(options.fps, options.seed)
        self.tick = 0

    @property
    def delay_frames(self) -> int:
        """Ticks between agent sound leaving the buffer and playing (with its pose)."""
        return self.voice.delay_frames

    def push_agent(
        self,
        samples: object,
        sample_rate: object,
        now: float | None = None,
        text: str | None = None,
        words: Sequence[WordTiming] | None = None,
        phones: PhoneTimeline | None = None,
    ) -> None:
        x = check_samples(samples, sample_rate)
        text, words = check_text(text, words)
        at = time.monotonic() if now is None else now
        self.voice.push(x, int(sample_rate), at, text, words, phones)

    def end_agent_text(self) -> None:
        """The words given so far cover all the agent audio pushed so far (align it now)."""
        self.voice.text.end()

    def close(self) -> None:
        """Stop the text aligner's thread (the pipeline takes no more input)."""
        self.voice.text.stop()

    def push_user(self, samples: object, sample_rate: object, now: float | None = None) -> None:
        x = check_samples(samples, sample_rate)
        self.ears.push(x, int(sample_rate), time.monotonic() if now is None else now)

    def prompt(self, plan: PromptPlan) -> None:
        self.prompts.add(plan)

    def step(self, now: float | None = None) -> MotionTick:
        now = time.monotonic() if now is None else now
        speak, sound, speaking, agent_at = self.voice.step(now)
        listen, listening, user_at = self.ears.step(now)
        vec = self.mixer.step(speak, listen, speaking, listening)
        vec = self.prompts.apply(vec, self.tick, self.voice.speech_ahead())
        times = [t for t in (agent_at, user_at) if t is not None]
        tick = MotionTick(
            index=self.tick,
            pose=MotionFrame(vec).clipped(),
            agent_audio=sound,
            speaking=speaking,
            listening=listening,
            input_at=min(times) if times else None,
        )
        self.tick += 1
        return tick
