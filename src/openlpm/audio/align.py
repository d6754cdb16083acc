"""Phones from speech audio with pocketsphinx: forced alignment, or phone recognition.

Forced alignment (a known transcript) gives the best timing but pocketsphinx fails at it silently
now and then (see DESIGN.md), so every result is checked and retried with other settings before
falling back to phone recognition with the bundled phonetic LM, which needs no transcript and
also works, as "the mouth follows the sound", for other languages. Long audio is decoded as a
stream of utterances cut at quiet frames, so memory stays bounded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from math import gcd
from typing import Any

import numpy as np

from openlpm.audio.phones import ARPABET, Phone, PhoneTimeline
from openlpm.audio.pronounce import Pronounced, Word, pronounce
from openlpm.errors import AudioError
from openlpm.io.audio import Audio

RATE = 16000  # the en-us acoustic model's sample rate, Hz
FRAME_S = 0.01  # pocketsphinx frame step, s
MAX_ALIGN_S = 120.0  # longer audio skips forced alignment (one utterance in memory twice), s
_UTTERANCE_S = 30.0  # phone recognition decodes utterances of about this length, s
_CUT_WINDOW_S = 5.0  # an utterance ends at the quietest frame of its last this-many seconds, s
_SILENT_RMS = 1e-3  # every 10 ms frame below this RMS (-60 dBFS) means silent audio
_NOISE_RMS = 3e-4  # seeded noise (-70 dBFS) added: digital silence breaks the features
_LOUD_DB = 30.0  # frames within this of the loudest are speech for the alignment check, dB
_AUDIBLE_DB = 40.0  # frames within this of the loudest are not silence, dB
_MAX_SPEECH_IN_SIL = 0.2  # an alignment calling more of the speech frames silence failed
_MAX_PHONE_S = 0.6  # a word longer than this per phone (+ _WORD_SLACK_S) is implausible, s
_WORD_SLACK_S = 0.3  # s
# Quiet put before the audio for alignment: pocketsphinx's phone-level pass fails on about half
# of the pieces that start right at a word's onset (a live piece cut between words), never
# with this much lead-in (measured on 24 shifted copies of a line, 0.05 s still failed 10/16)
_LEAD_IN_S = 0.15  # s

# Tried in order until one passes the checks; dither and wider beams rescue alignments that
# fail without them, and without filler words the search cannot skip words as "<sil>".
_ALIGN_SETTINGS: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = (
    ("default", ()),
    ("dither", (("dither", True), ("seed", 1))),
    ("wide beams", (("beam", 1e-80), ("wbeam", 1e-60), ("pbeam", 1e-80))),
    ("no fillers", (("fsgusefiller", False),)),
)
_RECOGNITION = (("lw", 2.0), ("beam", 1e-20), ("pbeam", 1e-20))
# Word recognition at ~0.15-0.3 CPU-RTF (the defaults take 2-4): one pass with narrower beams
_WORDS = (("fwdflat", False), ("beam", 1e-40), ("wbeam", 1e-25), ("pbeam", 1e-40),
          ("maxhmmpf", 5000), ("maxwpf", 10), ("pl_window", 5), ("topn", 2))  # fmt: skip
_PHONE_WORD = "phone_"  # prefix of the dictionary words that stand for one phone
_LOCK = threading.Lock()  # decoders are stateful and shared: one decode at a time


@dataclass(frozen=True)
class _Segment:
    label: str  # ARPAbet or SIL
    start: float  # s
    end: float  # s


def phones_for(
    audio: Audio, transcript: str | None = None, language: str | None = None
) -> PhoneTimeline:
    """ARPAbet phones of ``audio``: forced alignment when a transcript is given; without one,
    English (``language`` "en", "en-us", ...) gets word recognition then forced alignment,
    any other language (or None) phone recognition.

    The timeline covers [0, audio.duration]; ``note`` says why alignment fell back, if it did.
    Empty or silent audio gives one SIL phone with source "silence". Raises :class:`AudioError`
    if pocketsphinx fails.
    """
    duration = audio.duration
    rms = _frame_levels(audio)
    if duration <= 0 or rms.max() < _SILENT_RMS:
        return PhoneTimeline((Phone("SIL", 0.0, max(duration, FRAME_S)),), source="silence")
    levels = 20 * np.log10(np.maximum(rms, 1e-9) / rms.max())  # dB relative to the loudest
    note = ""
    if transcript is not None and transcript.strip():
        segments, why = _forced_alignment(audio, transcript, levels)
        if segments is not None:
            phones = _cover(_trim_onsets(segments, levels), duration)
            return PhoneTimeline(phones, source="forced-alignment")
        note = f"forced alignment failed ({why}); used phone recognition"
    elif language is not None and language.lower().split("-")[0] == "en":
        segments, fell_back = _recognize_words(audio)
        if fell_back:
            note = f"{fell_back} stretch(es) of the speech did not align: phone recognition there"
        phones = _cover(_trim_onsets(segments, levels), duration)
        return PhoneTimeline(phones, "word-recognition", note)
    phones = _cover(_trim_onsets(_recognize(audio), levels), duration)
    return PhoneTimeline(phones, "phone-recognition", note)


# --- forced alignment ------------------------------------------------------------------------
def _forced_alignment(
    audio: Audio, transcript: str, levels: np.ndarray
) -> tuple[list[_Segment] | None, str]:
    """Aligned phones, or None and why not (said the way the note reads)."""
    if audio.duration > MAX_ALIGN_S:
        return None, f"audio longer than {MAX_ALIGN_S:.0f} s"
    spoken = pronounced(transcript)
    if spoken.failed:
        return None, "no pronunciation for " + ", ".join(spoken.failed[:5])
    if not spoken.words:
        return None, "the transcript has no words"
    return _align_words(audio, spoken.words, levels)


def _align_words(
    audio: Audio, words: tuple[Word, ...], levels: np.ndarray
) -> tuple[list[_Segment] | None, str]:
    """``words`` aligned to ``audio`` with each of _ALIGN_SETTINGS until one passes."""
    lead = round(_LEAD_IN_S * audio.sample_rate)
    padded = Audio(np.concatenate([np.zeros(lead, np.float32), audio.samples]), audio.sample_rate)
    pcm = np.concatenate(list(_pcm_chunks(padded))).tobytes()
    loud = np.concatenate([np.zeros(round(_LEAD_IN_S / FRAME_S), bool), levels > -_LOUD_DB])
    names = [w.name for w in words]
    reasons = []
    with _LOCK:
        for _, options in _ALIGN_SETTINGS:
            _add_words(_decoder(options), words)
            segments, why = _align_once(pcm, names, options, loud)
            if segments is not None:
                return _shifted(segments, -_LEAD_IN_S), ""
            reasons.append(why)
    retried = ", ".join(name for name, _ in _ALIGN_SETTINGS[1:])
    guessed = [w.name.removeprefix("x_") for w in words if w.source != "dictionary"]
    suspects = f"; pronounced by eSpeak NG: {', '.join(guessed[:5])}" if guessed else ""
    return None, f"{reasons[0]}; also with {retried}{suspects}"


def _shifted(segments: list[_Segment], by_s: float) -> list[_Segment]:
    """The segments moved by ``by_s``; those that end up before 0 are cut there or dropped."""
    moved = [_Segment(s.label, max(0.0, s.start + by_s), s.end + by_s) for s in segments]
    return [s for s in moved if s.end > s.start]


@dataclass(frozen=True)
class Piece:
    """The first words of a transcript aligned to the start of its audio (see align_piece)."""

    phones: PhoneTimeline | None  # over [0, end_s]; None if the words did not align
    words: int  # how many of the words it covers
    end_s: float  # where the next piece starts (the start of the next word), s
    note: str = ""  # why it did not align


def align_piece(audio: Audio, words: tuple[Word, ...], final: bool) -> Piece:
    """Align the words that ``audio`` holds from its start, for incremental alignment.

    ``final``: ``audio`` holds all of ``words`` (a plain forced alignment). Otherwise a grammar
    of every prefix of ``words`` finds the words said in ``audio``; all but the last (which
    may be cut off) are aligned up to where the next one starts. ``Piece.words == 0``: too
    little audio to be sure of a word; give more.
    """
    if not final:
        rms = _frame_levels(audio)  # end at the quietest frame of the last 0.7 s: the grammar
        tail = max(0, len(rms) - 70)  # must end after a whole word, so end between words
        audio = _head(audio, (tail + int(np.argmin(rms[tail:]))) * FRAME_S)
        found = _spoken_prefix(audio, words)
        if len(found) < 2:
            return Piece(None, 0, 0.0)
        keep = _quietest_boundary(found, _frame_levels(audio))
        words, audio = words[:keep], _head(audio, found[keep] * FRAME_S)
    rms = _frame_levels(audio)
    if audio.duration <= 0 or rms.max() < _SILENT_RMS:
        return Piece(None, len(words), audio.duration, "no sound for the words")
    levels = 20 * np.log10(np.maximum(rms, 1e-9) / rms.max())
    segments, why = _align_words(audio, words, levels)
    if segments is None:
        return Piece(None, len(words), audio.duration, why)
    phones = _cover(_trim_onsets(segments, levels), audio.duration)
    return Piece(PhoneTimeline(phones, "forced-alignment"), len(words), audio.duration)


def _quietest_boundary(starts: list[int], rms: np.ndarray) -> int:
    """How many words to keep: cut before the word (not the first, not the last: it may be
    cut off) whose start is quietest, among the later half; pauses make clean cuts."""
    candidates = range(max(1, len(starts) // 2), len(starts))
    return min(candidates, key=lambda k: (rms[max(0, starts[k] - 2) : starts[k] + 2].mean(), -k))


def _spoken_prefix(audio: Audio, words: tuple[Word, ...]) -> list[int]:
    """Start frames of the words of ``words`` heard in ``audio``, in order (a prefix)."""
    pcm = np.concatenate(list(_pcm_chunks(audio))).tobytes()
    n = len(words)
    with _LOCK:
        decoder = _decoder(())
        _add_words(decoder, words)
        arcs = [(i, i + 1, 0.5, w.name) for i, w in enumerate(words)]
        ends = [(i, n, 0.5, w.name) for i, w in enumerate(words[:-1])]  # or stop after it
        # the next set_align_text() replaces this search: nothing to undo
        decoder.add_fsg("prefix", decoder.create_fsg("prefix", 0, n, arcs + ends))
        decoder.activate_search("prefix")
        try:
            _decode(decoder, pcm)
            found = _aligned_words(decoder.seg())
        except RuntimeError:
            found = None
    return [start for _, start, _ in found or ()]


def _head(audio: Audio, seconds: float) -> Audio:
    return Audio(audio.samples[: round(seconds * audio.sample_rate)], audio.sample_rate)


def pronounced(transcript: str) -> Pronounced:
    """The transcript's words as the recognizer will align them (see audio/pronounce.py)."""
    with _LOCK:
        return pronounce(transcript, _decoder(()).lookup_word)


def _add_words(decoder: Any, words: tuple[Word, ...]) -> None:
    """Teach the decoder the words its dictionary lacks (eSpeak's pronunciations)."""
    for word in words:
        if word.source != "dictionary" and decoder.lookup_word(word.name) != word.phones:
            decoder.add_word(word.name, word.phones, True)


def _align_once(
    pcm: bytes, words: list[str], options: tuple, loud: np.ndarray
) -> tuple[list[_Segment] | None, str]:
    """One alignment attempt (call with ``_LOCK`` held): phones, or None and why not."""
    decoder = _decoder(options)
    try:
        decoder.set_align_text(" ".join(words))
        _decode(decoder, pcm)
    except RuntimeError:  # end_utt fails when the search never reaches the final state
        return None, "the search did not reach the end of the transcript"
    found = _aligned_words(decoder.seg())
    why = _implausible(found, words, loud, decoder)
    if why or found is None:
        return None, why
    phones = [p for word, _, _ in found for p in decoder.lookup_word(word).split()]
    segments = _phone_pass(decoder, pcm) or _phone_word_pass(decoder, pcm, phones)
    if segments is None:
        return None, "the phone-level pass failed"
    return segments, ""


def _phone_pass(decoder: Any, pcm: bytes) -> list[_Segment] | None:
    """pocketsphinx's phone-level second pass over the word alignment just decoded."""
    try:
        decoder.set_alignment()
        _decode(decoder, pcm)
    except RuntimeError:  # "Alignment failed in frame N" on some utterances
        return None
    alignment = decoder.get_alignment()
    if alignment is None:
        return None
    return [
        _Segment(_arpabet(p.name), p.start * FRAME_S, (p.start + p.duration) * FRAME_S)
        for word in alignment
        for p in word
    ]


def _phone_word_pass(decoder: Any, pcm: bytes, phones: list[str]) -> list[_Segment] | None:
    """The phones aligned as one-phone "words": rescues utterances ``_phone_pass`` fails on."""
    try:
        decoder.set_align_text(" ".join(_phone_word(decoder, p) for p in phones))
        _decode(decoder, pcm)
    except RuntimeError:
        return None
    segments = [
        _Segment(_arpabet(s.word.removeprefix(_PHONE_WORD)), s.start_frame * FRAME_S,
                 (s.end_frame + 1) * FRAME_S)
        for s in decoder.seg() or ()
    ]  # fmt: skip
    spoken = [s.label for s in segments if s.label != "SIL"]
    return segments if spoken == [_arpabet(p) for p in phones] else None


def _phone_word(decoder: Any, phone: str) -> str:
    """A dictionary word pronounced as just ``phone`` (added on first use)."""
    word = _PHONE_WORD + phone.lower()
    if decoder.lookup_word(word) is None:
        decoder.add_word(word, phone, True)
    return word


def _decode(decoder: Any, pcm: bytes) -> None:
    """Decode one utterance from the same starting state every time (results do not depend on
    what the cached decoder heard before)."""
    decoder.reinit_feat()  # resets the cepstral mean and feature buffers (~0.1 ms)
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()


def _aligned_words(seg: Any) -> list[tuple[str, int, int]] | None:
    """(word, first frame, frames) of the transcript words in a segmentation; None if none."""
    if seg is None:
        return None
    return [
        (s.word, s.start_frame, s.end_frame - s.start_frame + 1)
        for s in seg
        if not (s.word.startswith(("<", "+", "[")) or s.word.endswith("]"))
    ]


def _implausible(found: list | None, words: list[str], loud: np.ndarray, decoder: Any) -> str:
    """Why an alignment cannot be right ("" if it can): missing words, too long, or speech
    labelled as silence (fillers absorbed the words the transcript does not match)."""
    if found is None:
        return "no segmentation"
    aligned = [w.split("(")[0] for w, _, _ in found]  # "bought(2)": another pronunciation
    if aligned != words:
        matched = _matched(aligned, words)
        first = words[matched].removeprefix("x_")
        return f"only {matched} of {len(words)} words aligned (lost from '{first}' on)"
    covered = np.zeros(len(loud), bool)
    for word, start, frames in found:
        phones = len((decoder.lookup_word(word) or "x").split())
        if frames * FRAME_S > _WORD_SLACK_S + _MAX_PHONE_S * phones:
            return f"'{word}' aligned to an implausible {frames * FRAME_S:.1f} s"
        covered[start : start + frames] = True
    speech = np.count_nonzero(loud)
    missed = np.count_nonzero(loud & ~covered) / max(1, speech)
    if missed > _MAX_SPEECH_IN_SIL:
        return f"{missed:.0%} of the speech aligned to silence or noise"
    return ""


def _matched(aligned: list[str], words: list[str]) -> int:
    """How many transcript words appear, in order, in the aligned words."""
    i = 0
    for word in aligned:
        if i < len(words) and word == words[i]:
            i += 1
    return i


def _trim_onsets(segments: list[_Segment], levels: np.ndarray) -> list[_Segment]:
    """Start each phone that follows a pause at its first audible frame.

    Alignment and recognition let the first phone after a pause swallow the quiet frames
    before it (pocketsphinx's silence needs >= 3 frames); eSpeak's timing, like the ear,
    starts the phone at the sound.
    """
    out: list[_Segment] = []
    for seg in segments:
        if seg.label != "SIL" and (not out or out[-1].label == "SIL"):
            first, last = int(seg.start / FRAME_S), int(seg.end / FRAME_S) - 1
            audible = np.flatnonzero(levels[first:last] > -_AUDIBLE_DB)
            if audible.size and audible[0] > 0:
                seg = _Segment(seg.label, (first + audible[0]) * FRAME_S, seg.end)
        out.append(seg)
    return out


# --- phone recognition -----------------------------------------------------------------------
def _recognize(audio: Audio) -> list[_Segment]:
    """Phone recognition over utterances of about _UTTERANCE_S, cut at quiet frames."""
    segments: list[_Segment] = []
    for offset, pcm in _utterances(audio):
        segments += _phones_heard(offset, pcm)
    return segments


def _phones_heard(offset: float, pcm: np.ndarray) -> list[_Segment]:
    """Phone recognition of one utterance (int16 at RATE) that starts at ``offset`` s."""
    if _frame_rms(pcm.astype(np.float32) / 32768.0).max() < _SILENT_RMS * 2:
        return []  # only the added noise: nothing to recognise
    with _LOCK:
        decoder = _decoder(_RECOGNITION, allphone=True)
        try:
            _decode(decoder, pcm.tobytes())
            seg = list(decoder.seg() or ())
        except RuntimeError as e:
            raise AudioError(f"pocketsphinx failed to recognise phones: {e}") from e
    return [
        _Segment(_arpabet(s.word), offset + s.start_frame * FRAME_S,
                 offset + (s.end_frame + 1) * FRAME_S)
        for s in seg
    ]  # fmt: skip


def _recognize_words(audio: Audio) -> tuple[list[_Segment], int]:
    """English speech without a transcript: the words recognised (pocketsphinx's en-us
    language model, fast beams), then aligned like a transcript, utterance by utterance;
    phone recognition where that fails. Returns the phones and how many utterances fell back."""
    segments: list[_Segment] = []
    fell_back = 0
    for offset, pcm in _utterances(audio):
        piece = Audio(pcm.astype(np.float32) / 32768.0, RATE)
        rms = _frame_levels(piece)
        found = _words_heard(pcm) if rms.max() >= _SILENT_RMS * 2 else []
        aligned = None
        if found:
            levels = 20 * np.log10(np.maximum(rms, 1e-9) / rms.max())
            aligned, _ = _align_words(piece, tuple(found), levels)
        if aligned is None:
            fell_back += bool(found)
            segments += _phones_heard(offset, pcm)
        else:
            segments += [_Segment(g.label, offset + g.start, offset + g.end) for g in aligned]
    return segments, fell_back


def _words_heard(pcm: np.ndarray) -> list[Word]:
    with _LOCK:
        decoder = _decoder(_WORDS, words=True)
        try:
            _decode(decoder, pcm.tobytes())
            found = _aligned_words(decoder.seg())
        except RuntimeError:
            return []
        names = [w.split("(")[0] for w, _, _ in found or ()]
        return [Word(n, decoder.lookup_word(n), "dictionary") for n in names
                if decoder.lookup_word(n)]  # fmt: skip


def _utterances(audio: Audio) -> Iterator[tuple[float, np.ndarray]]:
    """(start s, int16 samples) pieces of about _UTTERANCE_S, each ending at a quiet frame."""
    frame = round(FRAME_S * RATE)
    pending = np.zeros(0, np.int16)
    offset = 0
    for chunk in _pcm_chunks(audio):
        pending = np.concatenate([pending, chunk])
        while len(pending) >= (_UTTERANCE_S + _CUT_WINDOW_S) * RATE:
            lo = round((_UTTERANCE_S - _CUT_WINDOW_S) * RATE) // frame
            window = pending[lo * frame : round(_UTTERANCE_S * RATE)].astype(np.float32)
            cut = (lo + int(np.argmin(_frame_rms(window)))) * frame
            yield offset / RATE, pending[:cut]
            pending, offset = pending[cut:], offset + cut
    if len(pending):
        yield offset / RATE, pending


# --- audio -----------------------------------------------------------------------------------
def _pcm_chunks(audio: Audio, chunk_s: float = 10.0) -> Iterator[np.ndarray]:
    """16 kHz int16 with seeded noise, resampled piecewise (bounded memory, seamless joins)."""
    g = gcd(audio.sample_rate, RATE)
    up, down = RATE // g, audio.sample_rate // g
    step = max(1, round(chunk_s * audio.sample_rate / down)) * down  # whole output samples
    margin = max(1, 2000 // down) * down  # resampling filter context on both sides, samples
    rng = np.random.default_rng(0)
    x = audio.samples
    for s in range(0, len(x), step):
        a, b = max(0, s - margin), min(len(x), s + step + margin)
        y = _resample(x[a:b], up, down)
        first = (s - a) * up // down
        y = y[first : first + -(-(min(step, len(x) - s) * up) // down)]
        y = y + rng.normal(0.0, _NOISE_RMS, len(y))
        yield np.round(np.clip(y, -1.0, 1.0) * 32767.0).astype(np.int16)


def _resample(x: np.ndarray, up: int, down: int) -> np.ndarray:
    if up == down:
        return x.astype(np.float64)
    from openlpm.audio.dsp import resample_poly

    return resample_poly(x, up, down)


def _frame_rms(x: np.ndarray, frame: int = round(FRAME_S * RATE)) -> np.ndarray:
    n = max(1, len(x) // frame)
    x = np.pad(x[: n * frame], (0, max(0, n * frame - len(x))))
    return np.sqrt(np.mean(np.square(x.reshape(n, frame), dtype=np.float64), axis=1))


def _frame_levels(audio: Audio) -> np.ndarray:
    """RMS of each 10 ms frame of ``audio`` (at its own rate; bounded temporaries)."""
    frame = max(1, round(FRAME_S * audio.sample_rate))
    step = frame * 100_000
    x = audio.samples
    return np.concatenate(
        [_frame_rms(x[s : s + step], frame) for s in range(0, len(x), step)] or [np.zeros(1)]
    )


# --- labels and timelines --------------------------------------------------------------------
def _arpabet(name: str) -> str:
    """pocketsphinx phone -> ARPAbet without stress; fillers (+NSN+, +SPN+, <sil>) -> SIL."""
    label = name.rstrip("012").upper()
    return label if label in ARPABET else "SIL"


def _cover(segments: list[_Segment], duration: float) -> tuple[Phone, ...]:
    """Phones covering [0, duration]: clipped, gaps filled and neighbouring SILs merged."""
    phones: list[Phone] = []
    t = 0.0
    for seg in sorted(segments, key=lambda s: s.start):
        start, end = max(seg.start, t), min(seg.end, duration)
        if end - start < 1e-6:
            continue
        if start > t:
            _append(phones, Phone("SIL", t, start))
        _append(phones, Phone(seg.label, start, end))
        t = end
    if not phones:
        return (Phone("SIL", 0.0, max(duration, FRAME_S)),)
    if duration - t > 1e-6:  # up to the last sample, never past it
        _append(phones, Phone("SIL", t, duration))
    return tuple(phones)


def _append(phones: list[Phone], phone: Phone) -> None:
    if phones and phones[-1].label == phone.label == "SIL":
        phones[-1] = Phone("SIL", phones[-1].start, phone.end)
    else:
        phones.append(phone)


# --- decoders --------------------------------------------------------------------------------
@cache
def _decoder(
    options: tuple[tuple[str, Any], ...], allphone: bool = False, words: bool = False
) -> Any:
    """A decoder with the bundled en-us model and these options (~0.2 s to load; cached);
    ``words``: with the en-us word language model (~1.5 s to load)."""
    import pocketsphinx

    config: dict[str, Any] = {"lm": None, "loglevel": "FATAL", **dict(options)}
    if allphone:
        config["allphone"] = pocketsphinx.get_model_path("en-us/en-us-phone.lm.bin")
    if words:
        config["lm"] = pocketsphinx.get_model_path("en-us/en-us.lm.bin")
    try:
        return pocketsphinx.Decoder(**config)
    except (RuntimeError, ValueError) as e:
        raise AudioError(f"pocketsphinx could not load its en-us model: {e}") from e
