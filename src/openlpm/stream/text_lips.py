"""TextLips: the agent's words, when known, drive the live mouth the way Base does.

A push that carries ``text`` starts a *segment*: that push and the untexted pushes after it,
up to the next text (or a pause in the pushes). A segment's words are aligned to its audio
incrementally, piece by piece (the words heard in the first ~1.5 s, then ~3 s at a time:
audio/align.py ``align_piece``), in a child process (stream/aligner.py), as soon as each
piece's audio has been pushed; or placed from the TTS's word timestamps; or taken as they are
(``say()`` knows its phones). The phones go through Base's mouth passes (visemes,
coarticulation, loudness, lip closure: motion/base.py ``mouth_track``) at 100 Hz; each played
frame takes its mouth from there, and a frame whose sound overlaps a p/b/m shuts the lips, as
Base shuts one frame of every p/b/m. Frames whose piece is not aligned yet keep the Online
model's mouth, so text never adds latency; on a virtual clock (export) the engine waits.

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

CURVE_RATE = 100.0  # Hz: mouth curves are sampled this finely
PAUSE_S = 0.15  # a segment ends when no audio was pushed for this long
FIRST_PIECE_S = 1.5  # audio aligned first (short: the lips follow the words sooner)
PIECE_S = 3.0  # then this much at a time
MARGIN_S = 0.5  # audio past a piece needed before aligning it (the last word may run on)
WAIT_S = 30.0  # virtual clock: longest wait for one piece's alignment
MAX_SEGMENTS = 64  # segments kept (older ones have played)
ALIGN_RATE = 16000  # Hz: pocketsphinx's rate; pieces are sent at it
_MOUTH = [PARAM_INDEX[n] for n in MOUTH_CHANNELS]

WordTiming = tuple[str, float, float]  # (word, start s, end s) from the start of its push


@dataclass
class _Piece:
    start: float  # s into the segment
    end: float
    mouth: np.ndarray  # (frames at CURVE_RATE, len(MOUTH_CHANNELS)) from ``start``
    closures: list[tuple[float, float]]  # s into the segment (frame time), lips shut


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
    pieces: list[_Piece] = field(default_factory=list)
    aligned_s: float = 0.0  # the pieces cover [0, aligned_s)
    word: int = 0  # the first word not aligned yet
    extra_s: float = 0.0  # the next piece is this much longer (no whole word heard yet)
    done: bool = False  # nothing more will be aligned
    note: str = ""  # why the words did not align, if they did not

    def audio(self, rate: int, start_s: float, end_s: float | None) -> Audio:
        x = np.concatenate(self.chunks) if len(self.chunks) > 1 else self.chunks[0]
        self.chunks = [x]
        stop = None if end_s is None else round(end_s * rate)
        return Audio(x[round(start_s * rate) : stop], rate)


class TextLips:
    """Push from any thread (under the voice's push lock); query from the engine thread."""

    def __init__(self, rate: int, fps: float, realtime: bool) -> None:
        self.rate, self.fps, self.realtime = rate, fps, realtime
        self._segments: deque[_Segment] = deque()
        self._open: _Segment | None = None
        self._lock = threading.Condition()
        self._worker: threading.Thread | None = None
        self._stopped = False
        self.notes: list[str] = []  # why words did not align, for the caller

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
                self._open = _Segment(position, text or "", phones=phones)
                self._segments.append(self._open)
                self._start_worker()
            seg = self._open
            if seg is None:
                return
            if seg.start + seg.length != position:  # a gap (interrupt): the segment ended
                self._close_open()
                return
            offset = seg.length / self.rate
            seg.words += [(w, offset + a, offset + b) for w, a, b in words or ()]
            if len(samples):
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

    def stop(self, timeout: float = 2.0) -> None:
        """End the worker thread: at once when idle, else after the alignment it is doing
        (waiting at most ``timeout``; it then ends on its own)."""
        with self._lock:
            self._stopped = True
            self._lock.notify_all()
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join(timeout)

    def mouth(self, position: int | None) -> np.ndarray | None:
        """Mouth channels (len(MOUTH_CHANNELS),) for the frame whose sound starts at
        ``position``; None where no aligned words cover it (yet)."""
        if position is None:
            return None
        with self._lock:
            seg = self._segment_at(position)
            if seg is None:
                return None
            t = (position - seg.start) / self.rate
            deadline = time.monotonic() + WAIT_S
            while not self.realtime and not seg.done and seg.aligned_s <= t:
                self._close_if_paused(time.monotonic())
                if time.monotonic() > deadline or self._stopped:
                    break
                self._lock.wait(0.01)
            pieces = list(seg.pieces)
        return self._sample(pieces, t)

    def _segment_at(self, position: int) -> _Segment | None:
        for seg in reversed(self._segments):
            if seg.start <= position:
                inside = position < seg.start + seg.length or not seg.closed
                return seg if inside else None
        return None

    def _sample(self, pieces: list[_Piece], t: float) -> np.ndarray | None:
        """The mouth at t s into the segment (None outside the aligned pieces); shut if a
        p/b/m overlaps this frame, even one aligned in the piece before or after."""
        piece = next((p for p in pieces if p.start <= t < p.end), None)
        if piece is None:
            return None
        half = 0.5 / self.fps
        for other in pieces:
            for a, b in other.closures:
                if a < t + half and b >= t - half:
                    when = min(max(t, a), b)  # the closed instant nearest the frame
                    return _at(other, when)
        return _at(piece, t)

    # --- segments ---------------------------------------------------------------------------

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
            self._segments.popleft().done = True

    # --- the worker thread ------------------------------------------------------------------

    def _work(self) -> None:
        while (job := self._next_job()) is not None:
            seg, start_s, end_s, final = job
            try:
                self._align(seg, start_s, end_s, final)
            except Exception as e:  # a failed alignment leaves the Online mouth, never a crash
                self._finish(seg, f"the words could not be aligned ({type(e).__name__}: {e})")

    def _next_job(self) -> tuple[_Segment, float, float | None, bool] | None:
        """The next piece with its audio all pushed: (segment, start s, end s, final)."""
        with self._lock:
            while not self._stopped:
                self._close_if_paused(time.monotonic())
                for seg in self._segments:
                    if seg.done:
                        continue
                    have = seg.length / self.rate - seg.aligned_s
                    want = (FIRST_PIECE_S if not seg.pieces else PIECE_S) + seg.extra_s
                    if seg.phones is not None or seg.words:
                        if seg.closed:
                            return seg, 0.0, None, True
                    elif seg.closed and have <= want + MARGIN_S:
                        return seg, seg.aligned_s, None, True
                    elif have >= want + MARGIN_S:
                        return seg, seg.aligned_s, seg.aligned_s + want, False
                    break  # segments are aligned in order: wait for this one's audio
                self._lock.wait(PAUSE_S / 3)
        return None

    def _align(self, seg: _Segment, start_s: float, end_s: float | None, final: bool) -> None:
        from openlpm.stream import aligner

        with self._lock:
            if not seg.chunks:
                self._finish_locked(seg, "")  # text without audio: nothing to move
                return
            audio = seg.audio(self.rate, start_s, end_s)
        if seg.phones is not None or seg.words:
            phones = seg.phones or aligner.timed_phones(seg.words, audio.duration)
            self._add_piece(seg, audio, phones, 0.0)
            self._finish(seg, "")
            return
        x = audio.resampled(ALIGN_RATE).samples
        piece, total = aligner.align_piece(x, ALIGN_RATE, seg.text, seg.word, final)
        if piece.words == 0 and not piece.note:  # too little audio to be sure of a word
            self._grow(seg, final)
            return
        if piece.phones is None and not final and seg.closed:  # the rest in one go
            with self._lock:
                audio = seg.audio(self.rate, start_s, None)
            x = audio.resampled(ALIGN_RATE).samples
            piece, total = aligner.align_piece(x, ALIGN_RATE, seg.text, seg.word, True)
            final = True
        if piece.phones is None:
            self._finish(seg, piece.note)
            return
        self._add_piece(seg, audio, piece.phones, start_s)
        seg.word += piece.words
        if final or seg.word >= total:
            self._finish(seg, "")

    def _grow(self, seg: _Segment, final: bool) -> None:
        with self._lock:
            if final:
                self._finish_locked(seg, "the words were not heard in the audio")
            seg.extra_s += PIECE_S

    def _add_piece(
        self, seg: _Segment, audio: Audio, phones: PhoneTimeline, start_s: float
    ) -> None:
        from openlpm.audio.prosody import analyse
        from openlpm.motion.base import BaseOptions, mouth_track

        options = BaseOptions()
        n = max(1, int(np.ceil(phones.duration * CURVE_RATE)))
        mouth = mouth_track(analyse(audio), phones, CURVE_RATE, n, options)
        lead = options.mouth_lead_s
        closures = [
            (start_s + p.start - lead, start_s + p.end - lead)
            for p in phones.phones
            if viseme_for(p.label).closes_lips
        ]
        end = start_s + phones.duration
        with self._lock:
            seg.pieces.append(_Piece(start_s, end, mouth, closures))
            seg.aligned_s, seg.extra_s = end, 0.0
            self._lock.notify_all()

    def _finish(self, seg: _Segment, note: str) -> None:
        with self._lock:
            self._finish_locked(seg, note)

    def _finish_locked(self, seg: _Segment, note: str) -> None:
        seg.done, seg.note = True, note
        seg.chunks = []
        if note:
            self.notes.append(note)
        self._lock.notify_all()


def _at(piece: _Piece, t: float) -> np.ndarray:
    i = round((t - piece.start) * CURVE_RATE)
    return piece.mouth[min(max(i, 0), len(piece.mouth) - 1)]


def apply_mouth(vector: np.ndarray, mouth: np.ndarray | None) -> np.ndarray:
    """The pose ``vector`` with its mouth channels replaced by ``mouth`` (if any)."""
    if mouth is None:
        return vector
    out = vector.copy()
    out[_MOUTH] = mouth
    return out
