"""Engine: one thread per session that runs the pipeline on the session clock.

Per tick k (due at start + k / fps on the monotonic clock): wait until it is due, run the
motion pipeline, render (OpenCV and numpy release the GIL, so sessions render in parallel),
hand the frame to the sinks and the outbox. A tick that starts more than one frame late is
not rendered (counted as dropped; its sound moves to the next frame), so a slow machine
loses frames, never falls further and further behind.

While agent speech streams in real time, the clock follows its arrival (``_pace``): a tick
whose frame of sound arrives a little before it is due runs at once (up to EARLY of a frame
early), and a tick due while its sound is still arriving waits for it (up to GRACE of a
frame); the schedule shifts with it. Sound then waits for no clock phase (0-40 ms at 25 fps,
20 ms on average, before), and a chunk a little late costs a later frame, not a gap in the
voice. A frame whose sound was all there at the tick before (speech pushed ahead of time) is
paced by the clock alone. On a virtual clock
(``realtime=False``) nothing waits for time and nothing is dropped: the engine waits for
the consumer instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np

from openlpm.heap import release_free_memory_every
from openlpm.render.renderer import Renderer
from openlpm.sinks.base import Sink
from openlpm.stream.frames import MotionTick, VideoFrame
from openlpm.stream.options import SessionOptions
from openlpm.stream.outbox import MAX_CARRY_S, Outbox
from openlpm.stream.pipeline import MotionPipeline
from openlpm.stream.stats import StatsCollector

EARLY = 0.5  # of a frame: how much earlier than due a tick runs when its sound has arrived
GRACE = 0.4  # of a frame: how long a due tick waits for sound still arriving mid-speech
HEAP_TRIM_S = 2.0  # how often the frames' freed memory goes back to the OS (openlpm.heap)


class Engine:
    def __init__(
        self,
        pipeline: MotionPipeline,
        renderer: Renderer | None,
        outbox: Outbox,
        sinks: Sequence[Sink],
        stats: StatsCollector,
    ) -> None:
        self.pipeline, self.renderer, self.outbox = pipeline, renderer, outbox
        self.options: SessionOptions = pipeline.options
        self.sinks, self.stats = list(sinks), stats
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._carry: list[np.ndarray] = []  # sound of dropped ticks, for the next frame
        self._thread = threading.Thread(target=self._run, name="openlpm-session", daemon=True)

    def start(self) -> None:
        self.start_time = time.monotonic()
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.pipeline.voice.arrived.set()  # wake a tick waiting for sound
        self.outbox.close()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as e:  # reported by Session.frames() and close()
            self.error = e
        finally:
            self.outbox.close()

    def _loop(self) -> None:
        frame_s, realtime = self.options.frame_s, self.options.realtime
        while not self._stop.is_set():
            due = self.start_time + self.pipeline.tick * frame_s
            if realtime:
                due = self._pace(due)
                if self._stop.is_set():
                    return
            began = time.monotonic()
            tick = self.pipeline.step(began)
            if realtime and began - due > frame_s:  # behind: skip the render, keep the sound
                self._drop(tick)
                continue
            self._emit(tick, began)
            release_free_memory_every(HEAP_TRIM_S)  # after the frame left: it never waits

    def _pace(self, due: float) -> float:
        """Wait for the tick due at ``due``, following the agent's sound (module docstring);
        returns when the tick is now due (the schedule shifted by as much)."""
        voice, frame_s = self.pipeline.voice, self.options.frame_s
        while (left := due - time.monotonic()) > 0 and not self._stop.is_set():
            voice.arrived.clear()  # before the check: a push after it ends the wait below
            # its sound arrived since the last tick, in step with real time: go, at most
            # EARLY early (sound queued ahead of time, or in pieces longer than a frame, is
            # paced by the clock: a tick taken early could find the next piece not there yet)
            if voice.arrived_in_step():
                self._stop.wait(max(0.0, left - EARLY * frame_s))
                return self._shift(due)
            voice.arrived.wait(left)
        if voice.bursting and not voice.frame_waiting():  # mid-speech, its sound is late
            while (left := due + GRACE * frame_s - time.monotonic()) > 0 and not (
                self._stop.is_set() or voice.frame_waiting()
            ):
                voice.arrived.clear()
                if not voice.frame_waiting():
                    voice.arrived.wait(left)
            if voice.frame_waiting():
                return self._shift(due)
        return due

    def _shift(self, due: float) -> float:
        """Move the schedule so that the tick due at ``due`` is due now."""
        now = time.monotonic()
        self.start_time += now - due
        return now

    def _drop(self, tick: MotionTick) -> None:
        self._carry.append(tick.agent_audio)
        # only the last MAX_CARRY_S is ever sent: an engine behind on every tick keeps no more
        while len(self._carry) > 1 and sum(map(len, self._carry[1:])) >= MAX_CARRY_S * (
            self.options.audio_rate
        ):
            self._carry.pop(0)
        self.stats.dropped_late += 1

    def _emit(self, tick: MotionTick, began: float) -> None:
        image = alpha = None
        if self.renderer is not None:
            image = self.renderer.render(tick.pose)
            alpha = self.renderer.alpha()
        frame = self._frame(tick, image, alpha)
        self.stats.worked(frame.emitted_at - began)
        self.stats.speaking, self.stats.listening = tick.speaking, tick.listening
        for sink in self.sinks:
            sink.write(frame)
        # Nobody reads yet: frames go to the sinks only, except on a virtual clock without
        # sinks, where the engine waits for its reader (put blocks) rather than race ahead.
        waits_for_reader = not self.options.realtime and not self.sinks
        if not self.outbox.attached and not waits_for_reader:
            self.stats.delivered(frame.emitted_at, frame.latency_s)
            return
        before = self.outbox.dropped
        self.outbox.put(frame, block=not self.options.realtime)
        self.stats.dropped_queue += self.outbox.dropped - before

    def _frame(
        self, tick: MotionTick, image: np.ndarray | None, alpha: np.ndarray | None
    ) -> VideoFrame:
        pts = tick.index * self.options.frame_s
        sound, audio_pts, rate = tick.agent_audio, pts, self.options.audio_rate
        if self._carry:
            own = len(sound)
            sound = np.concatenate([*self._carry, sound])[-int(MAX_CARRY_S * rate) :]
            audio_pts = pts - (len(sound) - own) / rate
            self._carry = []
        return VideoFrame(
            index=tick.index,
            pts=pts,
            image=image,
            pose=tick.pose,
            agent_audio=sound,
            audio_rate=self.options.audio_rate,
            audio_pts=audio_pts,
            speaking=tick.speaking,
            listening=tick.listening,
            input_at=tick.input_at,
            emitted_at=time.monotonic(),
            alpha=alpha,
        )
