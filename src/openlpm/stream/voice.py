"""AgentVoice: the agent's audio -> the speaking pose, paired with the sound it matches.

The engine takes exactly one frame of agent sound per clock tick from a playout buffer (so
speech pushed faster than real time, e.g. a whole TTS line, plays at its own pace) and feeds
it to the Online model. The model answers frame j once it has heard its look-ahead past it
(80 ms past the frame's first 10 ms feature hop: 90 ms of sound beyond the frame's start), so
the sound of frame j is held back until its pose comes out: voice and lips leave together.

The sound the model hears is the sound that plays (pose and voice come from one stream, so
they stay in sync), but on a real-time clock that stream starts with a *lead-in*: a few ms of
silence that shift the played frames against the taken ones so that a frame's pose is ready
the moment the tick that completes its look-ahead takes its sound. Without it, 90 ms of
look-ahead at 40 ms ticks would wait three whole ticks of sound (120 ms); with it the voice
leaves ``delay_s`` = 53 ms after the tick that took it (25 fps, 24 kHz), instead of 80 ms.
On a virtual clock (export, tests) there is no lead-in: frame i is exactly i / fps into the
speech.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Sequence

import numpy as np

from openlpm.audio.features import HOP
from openlpm.audio.phones import PhoneTimeline
from openlpm.errors import BufferFullError
from openlpm.listen.vad import SAMPLE_RATE, VadStream
from openlpm.motion.frame import MotionFrame
from openlpm.motion.online import OnlineModel
from openlpm.stream.audio_in import AudioBuffer, Resampler
from openlpm.stream.options import SessionOptions
from openlpm.stream.text_lips import TextLips, WordTiming, apply_mouth

SPEECH_PROB = 0.5  # Silero probability above which the agent counts as speaking
RESAMPLER_HOLDBACK_S = 0.003  # the resampler holds back 0.6-1.3 ms (audio_in.Resampler)
MAX_READY = 4  # poses waiting beyond this are surplus (fps not dividing 100 Hz): skipped
LEAD_IN_MARGIN_S = 0.003  # the lead-in also covers the 16 kHz resampler's filter delay


def chunk_length(tick: int, rate: int, fps: float) -> int:
    """Samples of tick ``tick`` at ``rate``: exact over any number of ticks (no drift)."""
    return round((tick + 1) * rate / fps) - round(tick * rate / fps)


class AgentVoice:
    """Push agent audio from any thread; call :meth:`step` once per tick from the engine."""

    def __init__(self, model: OnlineModel, options: SessionOptions) -> None:
        self.rate, self.fps = options.audio_rate, options.fps
        self.realtime = options.realtime
        self.buffer = AudioBuffer(int(options.max_agent_buffer_s * self.rate))
        self._to_rate = Resampler(self.rate)
        self._push_lock = threading.Lock()  # the resampler is stateful: one push at a time
        self._to_model = Resampler(SAMPLE_RATE)
        self._stream = model.stream(options.fps, options.seed)
        self._vad = VadStream()
        self._speech = False
        # the model's input whose pose is not out, oldest first: [sound, speech, agent-stream
        # position of its first sample (None: silence the engine added)]
        self._pending: deque[list] = deque()
        self._played = 0  # frames whose pose came out (the model's frame grid)
        self._ready: deque[tuple[np.ndarray, np.ndarray, bool]] = deque()  # pose, sound, speech
        self._last_pose = MotionFrame.neutral().vector
        self._tick = 0
        self._bursting = False
        self._pushed = 0  # samples ever put in the buffer (at self.rate)
        self._taken = 0  # samples ever taken out of it, or dropped by clear()
        self.text = TextLips(self.rate, self.fps, self.realtime)
        self._hush = False  # set by clear() on any thread, acted on by step() on the engine's
        self.arrived = threading.Event()  # set by every push: the engine's clock may follow it
        self.completed_at: float | None = None  # when a push completed the next tick's frame
        self.delay_frames = self._prime()

    def push(
        self,
        samples: np.ndarray,
        sample_rate: int,
        now: float,
        text: str | None = None,
        words: Sequence[WordTiming] | None = None,
        phones: PhoneTimeline | None = None,
    ) -> None:
        """Queue agent sound; ``text`` (its words), ``words`` (their timestamps in s from
        the start of this push) or ``phones`` (known timing) drive the lips, see TextLips."""
        with self._push_lock:
            x = self._to_rate(samples, sample_rate)
            if not self.buffer.put(x, now):
                held = len(self.buffer) / self.rate
                raise BufferFullError(
                    f"the agent audio buffer is full ({held:.1f} s waiting to play); "
                    "push more once it has played out, or raise max_agent_buffer_s"
                )
            self.text.push(self._pushed, x, now, text, words, phones)
            self._pushed += len(x)
            # a stream of chunks no longer than a frame (a microphone, a voice API): the
            # engine's clock may follow its arrival; bigger pieces keep the clock's pace
            n = chunk_length(self._tick, self.rate, self.fps)
            if self.completed_at is None and len(x) <= n and self.frame_waiting():
                self.completed_at = now
        self.arrived.set()

    @property
    def bursting(self) -> bool:
        """The last tick played pushed sound (a stream of speech is under way)."""
        return self._bursting

    def arrived_in_step(self) -> bool:
        """The next frame's sound was completed since the last tick by a chunk no longer
        than a frame, and no more than that frame waits: sound streaming in real time, not
        queued ahead (a tick taken early then finds the next frame's sound in time)."""
        n = chunk_length(self._tick, self.rate, self.fps)
        return self.completed_at is not None and len(self.buffer) < 2 * n

    def frame_waiting(self) -> bool:
        """The next tick's whole frame of sound is in the buffer."""
        n = chunk_length(self._tick, self.rate, self.fps)
        return len(self.buffer) >= n - int(RESAMPLER_HOLDBACK_S * self.rate)

    def clear(self) -> float:
        """Drop the agent audio not yet played (barge-in); seconds dropped. The sound already
        inside the model's look-ahead is silenced too, so the voice stops on the next frame."""
        with self._push_lock:
            dropped = self.buffer.clear()
            self._taken += dropped
            self.text.end()
            self._hush = True  # after the clear: a step in between finds the buffer empty
        return dropped / self.rate

    def _silence_queued(self) -> None:
        self._hush = False
        self._pending = deque([sound * 0, False, None] for sound, _, _ in self._pending)
        self._ready = deque((pose, sound * 0, False) for pose, sound, _ in self._ready)

    def _prime(self) -> int:
        """Feed silence until the first pose comes out; returns the delay in ticks between
        a sound leaving the buffer and leaving with its pose. Where 100 Hz features divide
        into frames, each tick then gives exactly one pose; otherwise one spare pose stays
        queued to absorb the ticks that give none."""
        exact = (SAMPLE_RATE / self.fps).is_integer() and (100 / self.fps).is_integer()
        spare = 0 if exact else 1
        if exact and self.realtime:
            self._advance(np.zeros(self._lead_in(), np.float32))
        while len(self._ready) <= spare:
            self._advance(np.zeros(chunk_length(self._tick, self.rate, self.fps), np.float32))
            self._tick += 1
        self._ready.popleft()  # a pose of the priming silence
        queued = sum(len(p[0]) for p in self._pending) + sum(len(r[1]) for r in self._ready)
        self.delay_s = queued / self.rate
        return math.ceil(queued / self.rate * self.fps - 1e-6)

    def _lead_in(self) -> int:
        """Samples of silence that put a frame's look-ahead end on a tick's end (see the
        module docstring): the look-ahead beyond the frame's start, modulo one frame. A
        look-ahead shorter than a frame needs none: the frame's own sound is the wait."""
        ahead_s = (self._stream.net.ahead + 1) * HOP / SAMPLE_RATE + LEAD_IN_MARGIN_S
        ahead, frame = round(ahead_s * self.rate), chunk_length(0, self.rate, self.fps)
        return ahead % frame if ahead >= frame else 0

    def step(self, now: float) -> tuple[np.ndarray, np.ndarray, bool, float | None]:
        """This tick: (speaking pose vector, agent sound to play, speech active, input time)."""
        if self._hush:
            self._silence_queued()
        n = chunk_length(self._tick, self.rate, self.fps)
        starting = not self._bursting
        position = self._taken
        samples, pushed_at = self._take(n, now)
        self.completed_at = None  # a frame still waiting after this was queued ahead of time
        self._taken += len(samples)
        # a burst's first frame short by the resampler's hold-back starts with that much
        # silence (no gap inside the speech); a late chunk mid-burst is padded at its end
        pad = (n - len(samples), 0) if starting else (0, n - len(samples))
        origin = position - pad[0] if len(samples) else None
        self._advance(np.pad(samples, pad), origin)
        self._tick += 1
        while len(self._ready) > MAX_READY:
            self._ready.popleft()
        if not self._ready:  # a late pose (jitter): hold the last one, play silence
            return self._last_pose, np.zeros(n, np.float32), self._speech, pushed_at
        pose, sound, speech = self._ready.popleft()
        self._last_pose = pose
        return pose, sound, speech, pushed_at

    def speech_ahead(self) -> bool:
        """Speech is on its way to the lips: the voice activity detector heard it in the
        model's look-ahead, and its pose is not out yet (a few frames ahead; sound still in
        the buffer is not counted, it may be silence streamed in)."""
        if any(speech for _, _, speech in self._ready):
            return True
        return any(spoken for _, spoken, _ in self._pending)

    def _take(self, n: int, now: float) -> tuple[np.ndarray, float | None]:
        """A frame of sound; a partial frame only inside a burst (a late chunk), or once it
        waited a frame (the tail of an utterance): a new burst never starts on a sliver."""
        available = len(self.buffer)
        oldest = self.buffer.oldest_push()
        waited = oldest is not None and now - oldest >= 1.0 / self.fps
        # a resampler from another rate keeps a few samples of filter state back: a frame
        # short by no more than that is complete, or every utterance would wait a tick
        nearly = available >= n - int(RESAMPLER_HOLDBACK_S * self.rate)
        if nearly or (available and (self._bursting or waited or not self.realtime)):
            samples, pushed_at = self.buffer.take(n, now)
        else:
            samples, pushed_at = np.zeros(0, np.float32), None
        self._bursting = len(samples) > 0
        return samples, pushed_at

    def _advance(self, sound: np.ndarray, origin: int | None = None) -> None:
        heard = self._to_model(sound, self.rate)
        probs = self._vad.push(heard)
        if probs:
            self._speech = max(probs) > SPEECH_PROB
        self._pending.append([sound, self._speech, origin])
        for motion in self._stream.push(heard):
            played, speech, at = self._next_sound()
            pose = apply_mouth(motion.vector, self.text.mouth(at))
            self._ready.append((pose, played, speech))

    def _next_sound(self) -> tuple[np.ndarray, bool, int | None]:
        """The sound of the next frame on the model's grid, whether most of it is speech,
        and the agent-stream position of its first sample (extrapolated back over added
        silence; None when it has no pushed sound)."""
        n = chunk_length(self._played, self.rate, self.fps)
        self._played += 1
        parts, got, origin, speech, most = [], 0, None, False, 0
        while got < n and self._pending:
            part = self._pending[0]
            sound, spoken, at = part
            take = min(n - got, len(sound))
            if origin is None and at is not None:
                origin = at - got
            if take > most:
                speech, most = spoken, take
            parts.append(sound[:take])
            got += take
            if take == len(sound):
                self._pending.popleft()
            else:
                part[0], part[2] = sound[take:], None if at is None else at + take
        parts.append(np.zeros(n - got, np.float32))  # none left (fps not dividing 100 Hz)
        return np.concatenate(parts), speech, origin
