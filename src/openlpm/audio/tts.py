"""Offline TTS with exact phoneme timing: eSpeak NG (bundled by ``espeakng_loader``) via ctypes.

eSpeak reports a PHONEME event, with the sample where it starts, for every phoneme it renders, so
the timeline is exact by construction (no alignment). eSpeak is one global C state: every call
goes through ``_LOCK``, and the library is initialised once per process, on first use.
"""

from __future__ import annotations

import ctypes
import functools
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from openlpm.audio.phones import Phone, PhoneTimeline
from openlpm.errors import InputError
from openlpm.io.audio import Audio

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_SPACED = ord(" ") << 8  # TextToPhonemes: mnemonics, a space between phonemes
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_PARAM_RATE, _PARAM_PITCH, _PARAM_RANGE = 1, 3, 4
_EE_OK = 0

_BUFFER_MS = 200  # length of the buffers eSpeak hands to the callback, ms
_EDGE_SILENCE_S = 0.05  # at least this much SIL before the first and after the last phone, s
_RATE_WPM = (80, 450)  # eSpeak's accepted speaking rates, words per minute
_CLOSURE_MIN_S = 0.008  # a silent run before a stop at least this long is its closure, s
_CLOSURE_LEVEL = 64  # |sample| at most this is silence (eSpeak writes exact zeros), int16
_OCCLUSIVES = frozenset({"P", "B", "T", "D", "K", "G", "CH", "JH", "M", "N", "NG"})


class _EventId(ctypes.Union):
    _fields_ = (
        ("number", ctypes.c_int),  # WORD and SENTENCE events
        ("name", ctypes.c_char_p),  # MARK and PLAY events
        ("string", ctypes.c_char * 8),  # PHONEME events: the mnemonic, NUL-terminated if < 8
    )


class _Event(ctypes.Structure):
    """``espeak_EVENT`` (speak_lib.h, API revision 12)."""

    _fields_ = (
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms from the start of the output
        ("sample", ctypes.c_int),  # samples from the start of the output
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    )


class _Voice(ctypes.Structure):
    """``espeak_VOICE``: only read, from ``espeak_ListVoices``."""

    _fields_ = (
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),  # priority byte + language, repeated; "" ends it
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    )


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class Speech:
    """Synthesized speech and its exact phone timeline (``phones.source == "tts"``)."""

    audio: Audio
    phones: PhoneTimeline


# --- eSpeak mnemonics -> ARPAbet -------------------------------------------------------------
# Looked up after stripping stress marks, by longest known prefix ("t#" -> "t", "A~" -> "A"), so
# language-specific variants fall back to their base phoneme. English voices first try
# _ENGLISH (eSpeak's English "a" is /ae/; elsewhere "a" is open /a/).
_GENERIC: dict[str, str] = {
    # vowels: front -> IY/IH/EY/EH, open -> AA, rounded -> UW/UH/OW/AO, central -> AH/ER
    "i": "IY", "i:": "IY", "I": "IH", "e": "EY", "e:": "EY", "E": "EH", "E:": "EH",
    "a": "AA", "a:": "AA", "A": "AA", "A:": "AA", "0": "AA", "&": "AH", "a#": "AH",
    "@": "AH", "V": "AH", "3": "ER", "3:": "ER",
    "o": "OW", "o:": "OW", "O": "AO", "O:": "AO", "u": "UW", "u:": "UW", "U": "UH",
    "y": "UW", "y:": "UW", "Y": "OW", "Y:": "OW", "W": "AO",
    # diphthongs and English r-coloured vowels
    "aI": "AY", "aI@": "AY", "aI3": "AY", "aU": "AW", "aU@": "AW", "eI": "EY", "EI": "EY",
    "oU": "OW", "OI": "OY", "oI": "OY", "OY": "OY", "eU": "OW", "EU": "OW",
    "i@": "IH", "i@3": "IH", "e@": "EH", "U@": "UH", "A@": "AA", "O@": "AO", "o@": "AO",
    "IR": "IH", "VR": "ER", "@L": "L", "r-": "ER",
    # consonants: bilabial, labiodental, dental, alveolar, postalveolar, palatal, velar, glottal
    "p": "P", "b": "B", "m": "M", "B": "B", "f": "F", "v": "V", "T": "TH", "D": "DH",
    "t": "T", "d": "D", "n": "N", "s": "S", "z": "Z", "*": "D", "l": "L", "r": "R", "R": "R",
    "S": "SH", "Z": "ZH", "tS": "CH", "dZ": "JH", "j": "Y", "J": "JH", "c": "K", "L": "L",
    "C": "HH", "k": "K", "g": "G", "q": "K", "N": "NG", "x": "HH", "X": "HH", "Q": "G",
    "w": "W", "H": "W", "h": "HH", "?": "T", ";": "Y", "8": "UH", "1": "IH",
}  # fmt: skip
_ENGLISH: dict[str, str] = {"a": "AE", "aa": "AE", "a2": "AH", "a#": "AH", "t#": "D"}
_STRESS_MARKS = "'\",%=!"  # eSpeak prefixes for stress and syllabicity


def to_arpabet(mnemonic: str, english: bool = True) -> str:
    """Map one eSpeak phoneme mnemonic to ARPAbet; pauses give SIL, unknown ones AH (kept)."""
    name = mnemonic.lstrip(_STRESS_MARKS)
    if not name or name.startswith("_"):
        return "SIL"
    tables = (_ENGLISH, _GENERIC) if english else (_GENERIC,)
    for end in range(len(name), 0, -1):
        for table in tables:
            if name[:end] in table:
                return table[name[:end]]
    return "AH"


# --- the library -----------------------------------------------------------------------------
_LOCK = threading.Lock()
_lib: Any = None
_sample_rate = 0
_samples: list[np.ndarray] = []  # filled by the callback during one synthesis (under _LOCK)
_events: list[tuple[int, str]] = []  # (sample, mnemonic) per PHONEME event


def _on_synth(wav: Any, count: int, events: Any) -> int:
    if wav and count > 0:
        _samples.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
    i = 0
    while events[i].type != _EVENT_LIST_TERMINATED:
        event = events[i]
        name = bytes(event.id.string).split(b"\0", 1)[0].decode("utf-8", "replace")
        if event.type == _EVENT_PHONEME and not name.startswith("("):  # "(en)": language switch
            _events.append((_event_sample(event), name))
        i += 1
    return 0  # continue


def _event_sample(event: _Event) -> int:
    """The event's start in samples: ``sample`` when it agrees with ``audio_position`` (ms)."""
    from_ms = round(event.audio_position * _sample_rate / 1000)
    return event.sample if abs(event.sample - from_ms) <= _sample_rate // 500 else from_ms


_CALLBACK = _Callback(_on_synth)  # module-level: C keeps the pointer for the process lifetime


def _library() -> Any:
    """Load and initialise libespeak-ng once (call with ``_LOCK`` held)."""
    global _lib, _sample_rate
    if _lib is None:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int)
        lib.espeak_SetVoiceByName.argtypes = (ctypes.c_char_p,)
        lib.espeak_SetVoiceByProperties.argtypes = (ctypes.POINTER(_Voice),)
        lib.espeak_SetParameter.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int)
        lib.espeak_Synth.argtypes = (
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        )  # fmt: skip
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        lib.espeak_TextToPhonemes.argtypes = (
            ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int,
        )  # fmt: skip
        data = espeakng_loader.get_data_path().encode()
        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data, _INITIALIZE_PHONEME_EVENTS
        )
        if rate <= 0:
            raise RuntimeError(f"eSpeak NG failed to initialise with data at {data.decode()}")
        lib.espeak_SetSynthCallback(_CALLBACK)
        _lib, _sample_rate = lib, rate
    return _lib


def list_voices() -> list[str]:
    """Language codes of the installed eSpeak voices ("en-us", "de", "fr-fr", ...), sorted."""
    with _LOCK:
        return sorted(_languages(_library()))


def _languages(lib: Any) -> frozenset[str]:
    """The first language of every voice (call with ``_LOCK`` held)."""
    table = lib.espeak_ListVoices(None)
    codes: set[str] = set()
    i = 0
    while table[i]:
        languages = table[i].contents.languages  # b"\x05en-us": priority byte, first language
        if languages and len(languages) > 1:
            codes.add(languages[1:].decode("utf-8", "replace"))
        i += 1
    return frozenset(codes)


def _select_voice(lib: Any, voice: str) -> bool:
    """Select by voice name, else by a listed language ("en-gb" is not a voice name).

    Only listed languages: eSpeak matches a language by prefix ("no-such-voice" -> Norwegian).
    """
    if lib.espeak_SetVoiceByName(voice.encode()) == _EE_OK:
        return True
    if voice not in _languages(lib):
        return False
    spec = _Voice(languages=voice.encode())
    return lib.espeak_SetVoiceByProperties(ctypes.byref(spec)) == _EE_OK


@functools.lru_cache(maxsize=4096)
def phonemes(text: str, voice: str = "en-us") -> tuple[str, ...]:
    """eSpeak NG's pronunciation of ``text`` as phoneme mnemonics ("Gregson" -> g r 'E g s @ n),
    numbers, abbreviations and symbols read out the way the voice reads them; no audio is made.
    Raises :class:`InputError` for an unknown voice."""
    with _LOCK:
        lib = _library()
        if not _select_voice(lib, voice):
            raise InputError(f"unknown voice {voice!r}; use a language code like 'en-us' or 'de'")
        buffer = ctypes.create_string_buffer(text.encode("utf-8") + b"\0")
        pointer = ctypes.c_void_p(ctypes.addressof(buffer))
        out: list[str] = []
        while pointer.value:  # one call per clause; the pointer moves past it
            clause = lib.espeak_TextToPhonemes(ctypes.byref(pointer), _CHARS_UTF8, _SPACED)
            out += (clause or b"").decode("utf-8", "replace").split()
    return tuple(out)


@functools.lru_cache(maxsize=32)
def synthesize(
    text: str, voice: str = "en-us", rate_wpm: int = 140, pitch: int = 50, pitch_range: int = 50
) -> Speech:
    """Speak ``text`` with eSpeak NG; return the audio and its phone timeline.

    eSpeak's waveform drifts by a few samples from call to call (internal state that survives
    re-initialisation), so results are cached: the same request returns the same speech, and
    the same --seed gives the same video. The arrays are read-only for that reason.

    ``voice`` is a language code from :func:`list_voices` (or an eSpeak voice name), ``rate_wpm``
    the speaking rate (80-450 words per minute), ``pitch`` and ``pitch_range`` 0-100 (50 is the
    voice's normal). Raises :class:`InputError` for empty text or an unknown voice.
    """
    if not text or not text.strip():
        raise InputError("nothing to say: the text is empty")
    if not _RATE_WPM[0] <= rate_wpm <= _RATE_WPM[1]:
        raise ValueError(f"rate_wpm must be in {_RATE_WPM[0]}-{_RATE_WPM[1]}, got {rate_wpm}")
    if not (0 <= pitch <= 100 and 0 <= pitch_range <= 100):
        raise ValueError(f"pitch and pitch_range must be in 0-100, got {pitch}, {pitch_range}")
    with _LOCK:
        lib = _library()
        if not _select_voice(lib, voice):
            raise InputError(f"unknown voice {voice!r}; use a language code like 'en-us' or 'de'")
        for param, value in ((_PARAM_RATE, rate_wpm), (_PARAM_PITCH, pitch),
                             (_PARAM_RANGE, pitch_range)):  # fmt: skip
            lib.espeak_SetParameter(param, value, 0)
        _samples.clear()
        _events.clear()
        data = text.encode("utf-8") + b"\0"
        status = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        samples = np.concatenate(_samples) if _samples else np.zeros(0, np.int16)
        events = list(_events)
        rate = _sample_rate
    if status != _EE_OK:
        raise RuntimeError(f"eSpeak NG failed to synthesize (status {status})")
    english = voice.lower().startswith("en")
    return _speech(samples, rate, events, english)


def _speech(pcm: np.ndarray, rate: int, events: list[tuple[int, str]], english: bool) -> Speech:
    """Pad silence at the ends and turn the events into a gap-free timeline.

    The first phone is moved to start no earlier than ``_EDGE_SILENCE_S``; the same silence is
    appended, so the timeline ends in SIL even when eSpeak's last event is a sounding phone.
    """
    edge = round(_EDGE_SILENCE_S * rate)
    marks = _with_closures([(s, to_arpabet(name, english)) for s, name in events], pcm, rate)
    lead = max(0, edge - min((s for s, lab in marks if lab != "SIL"), default=edge))
    samples = np.concatenate(
        [np.zeros(lead, np.float32), pcm.astype(np.float32) / 32768.0, np.zeros(edge, np.float32)]
    )
    marks = [(s + lead, lab) for s, lab in marks] + [(lead + len(pcm), "SIL")]
    phones = _timeline(marks, len(samples), rate)
    samples.setflags(write=False)  # shared by the cache
    return Speech(Audio(samples, rate), PhoneTimeline(phones, source="tts"))


def _with_closures(marks: list[tuple[int, str]], pcm: np.ndarray, rate: int) -> list:
    """Move each stop's start back over the silence just before it: its closure.

    eSpeak's event for a stop marks the release; the silent closure before it belongs to the
    stop (as in TIMIT and in forced alignment), and the lips close when it starts. The stop
    takes at most half of the previous phone, and none of a pause.
    """
    out = list(marks)
    for i in range(1, len(out)):
        (prev_start, prev_label), (start, label) = out[i - 1], out[i]
        if label not in _OCCLUSIVES or prev_label == "SIL":
            continue
        window = np.abs(pcm[max(0, (prev_start + start) // 2) : start].astype(np.int32))
        loud = np.flatnonzero(window > _CLOSURE_LEVEL)
        run = len(window) - (loud[-1] + 1 if loud.size else 0)
        if run >= _CLOSURE_MIN_S * rate:
            out[i] = (start - run, label)
    return out


def _timeline(marks: list[tuple[int, str]], total: int, rate: int) -> tuple[Phone, ...]:
    """Phones from (start sample, label) marks: each ends where the next starts; SIL first."""
    clamped = [(min(max(s, 0), total), lab) for s, lab in marks]
    marks = [(0, "SIL"), *sorted(clamped, key=lambda m: m[0])]  # stable: ties keep eSpeak order
    ends = [*(s for s, _ in marks[1:]), total]
    phones: list[Phone] = []
    for (start, label), end in zip(marks, ends, strict=True):
        if end <= start:
            continue  # zero-length: pause markers at clause ends, or events at the same sample
        if phones and phones[-1].label == label == "SIL":
            phones[-1] = Phone("SIL", phones[-1].start, end / rate)
        else:
            phones.append(Phone(label, start / rate, end / rate))
    return tuple(phones)
