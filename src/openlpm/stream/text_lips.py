"""TextLips: the agent's words, when known, drive the live mouth the way Base does.

A push that carries ``text`` starts a *segment*: that push and the untexted pushes after it,
up to the next text (or a pause in the pushes). The words of a segment are aligned to its
audio on a worker thread (forced alignment, audio/align.py), or placed from the TTS's own
word timestamps, or taken as they are (``say()`` knows its phones). The phones go through
Base's mouth passes (visemes, coarticulation, loudness, lip closure: motion/base.py) at
100 Hz; each played frame then takes its mouth from there, and a frame whose sound overlaps a
p/b/m closes the lips, as Base closes one frame of every p/b/m. Frames whose segment is not
aligned yet (audio that plays before its alignment is done) keep the Online model's mouth,
so text never adds latency; on a virtual clock (export) the engine waits for the alignment.

Positions are counted in samples of the agent stream at the session's audio rate since the
session began: the n-th sample ever pushed has position n, whatever was dropped or played.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from openlpm.audio.phones import PhoneTimeline
from openlpm.io.audio import Audio
from openlpm.motion.params import PARAM_INDEX
from openlpm.motion.visemes import MOUTH_CHANNELS, viseme_for

CURVE_RATE = 100.0  # Hz: mouth curves of a segment are sampled this finely
PAUSE_S = 0.15  # a segment ends when no audio was pushed for this long
WAIT_S = 30.0  # virtual clock: longest wait for one segment's alignment
MAX_SEGMENTS = 64  # aligned segments kept (older ones have played)
_MOUTH = [PARAM_INDEX[n] for n in MOUTH_CHANNELS]

WordTiming = tuple[str, float, float]  # (word, start s, end s) from the start of its push


@dataclass
class _Segment:
    start: int  # position of its first sample
    text: str
    words: list[WordTiming] = field(default_factory=list)  # seconds from the segment start
    phones: PhoneTimeline | None = None  # known phones (built-in TTS): no alignment needed
    chunks: list[np.ndarray] = field(default_factory=list)
    length: int = 0  # samples
    last_push: float = 0.0
    closed: bool = False
    mouth: np.ndarray | None = None  # (frames at CURVE_RATE, len(MOUTH_CHANNELS))
    closures: list[tuple[float, float]] = field(default_factory=list)  # s, lips shut
    note: str = ""  # why the words did not align, if they did not
    done: threading.Event = field(default_factory=threading.Event)


class TextLips:
    """Push from any thread (under the voice's push lock); query from the engine thread."""

    def __init__(self, rate: int, fps: float, realtime: bool) -> None:
        self.rate, self.fps, self.realtime = rate, fps, realtime
        self._segments: deque[_Segment] = deque()
        self._open: _Segment | None = None
        self._lock = threading.Condition()
        self._worker: threading.Thread | None = None
        self._stopped = False
        self.notes: list[str] = []  # alignment fallbacks, for the caller

    def push(
        self,
        position: int,
        samples: np.ndarray,
        now: float,
        text: str | None = None,
        words: Sequence[WordTiming] | None = None,
        phones: PhoneTimeline | None = None,
    ) -> None:
        """Samples that start at ``position``; with text (or phones) they start a segment."""
        with self._lock:
            if text is not None or phones is not None:
                self._close_open()
                seg = _Segment(position, text or "", phones=phones)
                self._segments.append(seg)
                self._open = seg
                self._start_worker()
            seg = self._open
            if seg is None:
                return
            if seg.start + seg.length != position:  # a gap (interrupt): the segment ended
                self._close_open()
                return
            offset = seg.length / self.rate
            seg.words += [(w, offset + a, offset + b) for w, a, b in words or ()]
            seg.chunks.append(samples)
            seg.length += len(samples)
            seg.last_push = now
            if phones is not None:
                self._close_open()  # a TTS line: complete in one push
            self._lock.notify_all()

    def end(self) -> None:
        """The words of the audio pushed so far are complete (no more audio for them)."""
        with self._lock:
            self._close_open()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._lock.notify_all()

    def mouth(self, position: int | None) -> np.ndarray | None:
        """Mouth channels (len(MOUTH_CHANNELS),) for the frame whose sound starts at
        ``position``; None where no aligned words cover it."""
        if position is None:
            return None
        seg = self._segment_at(position)
        if seg is None:
            return None
        if not seg.done.is_set():
            if self.realtime:
                return None
            with self._lock:
                self._close_if_paused(time.monotonic())
            seg.done.wait(WAIT_S)
        if seg.mouth is None:
            return None
        return self._sample(seg, (position - seg.start) / self.rate)

    def _segment_at(self, position: int) -> _Segment | None:
        with self._lock:
            for seg in reversed(self._segments):
                if seg.start <= position:
                    inside = position < seg.start + seg.length or not seg.closed
                    return seg if inside else None
        return None

    def _sample(self, seg: _Segment, t: float) -> np.ndarray:
        """The mouth at t s into the segment; shut if a p/b/m overlaps this frame."""
        assert seg.mouth is not None
        half = 0.5 / self.fps
        when = t
        for a, b in seg.closures:
            if a < t + half and b >= t - half:
                when = min(max(t, a), b)  # the closed instant nearest the frame
                break
        i = min(max(round(when * CURVE_RATE), 0), len(seg.mouth) - 1)
        return seg.mouth[i]

    # --- the worker ------------------------------------------------------------------------

    def _close_open(self) -> None:
        if self._open is not None:
            self._open.closed = True
            self._open = None
            self._lock.notify_all()

    def _close_if_paused(self, now: float) -> None:
        if self._open is not None and now - self._open.last_push >= PAUSE_S:
            self._close_open()

    def _start_worker(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="openlpm-text", daemon=True)
            self._worker.start()
        while len(self._segments) > MAX_SEGMENTS:
            self._segments.popleft().done.set()

    def _next_job(self) -> _Segment | None:
        with self._lock:
            while not self._stopped:
                self._close_if_paused(time.monotonic())
                for seg in self._segments:
                    if seg.closed and not seg.done.is_set():
                        return seg
                self._lock.wait(PAUSE_S / 3)
        return None

    def _work(self) -> None:
        while (seg := self._next_job()) is not None:
            try:
                self._align(seg)
            except Exception as e:  # a failed alignment leaves the Online mouth, never a crash
                seg.note = f"the words could not be aligned ({type(e).__name__}: {e})"
            finally:
                if seg.note:
                    self.notes.append(seg.note)
                seg.chunks = []
                seg.done.set()

    def _align(self, seg: _Segment) -> None:
        from openlpm.audio.align import phones_for
        from openlpm.audio.pronounce import timed_phones
        from openlpm.audio.prosody import analyse
        from openlpm.motion.base import BaseOptions, mouth_track

        audio = Audio(np.concatenate(seg.chunks or [np.zeros(0, np.float32)]), self.rate)
        if audio.duration <= 0:
            return
        if seg.phones is not None:
            phones = seg.phones
        elif seg.words:
            phones = timed_phones(seg.words, audio.duration)
        else:
            phones = phones_for(audio, seg.text)
            if phones.source != "forced-alignment":
                seg.note = phones.note or "the words did not align"
                return  # the Online model reads the sound better than phone recognition
        options = BaseOptions()
        n = max(1, int(np.ceil(audio.duration * CURVE_RATE)))
        seg.mouth = mouth_track(analyse(audio), phones, CURVE_RATE, n, options)
        seg.closures = _closures(phones, options.mouth_lead_s)


def _closures(phones: PhoneTimeline, lead_s: float) -> list[tuple[float, float]]:
    """The spans (s, in frame time: shifted by the mouth's lead) where the lips must meet."""
    return [
        (p.start - lead_s, p.end - lead_s) for p in phones.phones if viseme_for(p.label).closes_lips
    ]


def apply_mouth(vector: np.ndarray, mouth: np.ndarray | None) -> np.ndarray:
    """The pose ``vector`` with its mouth channels replaced by ``mouth`` (if any)."""
    if mouth is None:
        return vector
    out = vector.copy()
    out[_MOUTH] = mouth
    return out
