"""Training data: TTS sessions (and optional real speech) with Base's mouth as the target.

The TTS is eSpeak NG (many languages and voice variants, formant synthesis) and, for the share
of sessions that ``--recorded`` asks for (none by default, as the shipped weights were
trained), English Festival and Flite voices built from human recordings (recorded.py).

A session is a few utterances in one voice with pauses between them (a stream sees speech and
silence, and its level tracker runs across both). The teacher runs on the clean audio with the
exact TTS phone timing at 100 frames/s, one target per feature frame; the student's features
come from augmented copies. Every session is a pure function of (seed, index), so the data are
the same however many worker processes make them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from openlpm.audio.features import FRAME_RATE, SAMPLE_RATE, log_mel
from openlpm.audio.phones import Phone, PhoneTimeline
from openlpm.audio.prosody import analyse
from openlpm.io.audio import Audio
from openlpm.motion.base import BaseOptions, perform
from openlpm.motion.coarticulation import closure_frames
from openlpm.motion.online import MAX_AHEAD, REGRESSED
from openlpm.motion.params import PARAM_INDEX
from openlpm.motion.visemes import viseme_for
from openlpm.train_online import recorded
from openlpm.train_online.augment import augment, perturb_speed, speed_factor
from openlpm.train_online.sentences import OTHER_LANGUAGES, sentence

ENGLISH_VOICES = ("en-us", "en-us", "en-gb-x-rp", "en-gb-scotland", "en-029", "en-us-nyc")
OTHER_VOICES = {"de": ("de",), "fr": ("fr", "fr-be"), "es": ("es", "es-419"), "it": ("it",),
                "pt": ("pt", "pt-br"), "nl": ("nl",)}  # fmt: skip
# Every voice variant espeakng-loader 0.2.4 ships (espeak-ng-data/voices/!v; not "Mr serious",
# whose name has a space), the plain voice
# three times as often: the more kinds of source and tract the student hears, the less it can
# lean on one synthesiser's spectra.
_ESPEAK_VARIANTS = (
    "Alex Alicia Andrea Andy Annie AnxiousAndy Demonic Denis Diogo Gene Gene2 Henrique Hugo "
    "Jacky Lee Marco Mario Michael Mike Nguyen Reed RicishayMax RicishayMax2 "
    "RicishayMax3 Storm Tweaky UniRobot adam anika anikaRobot announcer antonio aunty belinda "
    "benjamin boris caleb croak david ed edward edward2 f1 f2 f3 f4 f5 fast grandma grandpa "
    "gustave ian iven iven2 iven3 iven4 john kaukovalta klatt klatt2 klatt3 klatt4 klatt5 "
    "klatt6 linda m1 m2 m3 m4 m5 m6 m7 m8 marcelo max michel miguel mike2 norbert pablo paul "
    "pedro quincy rob robert robosoft robosoft2 robosoft3 robosoft4 robosoft5 robosoft6 "
    "robosoft7 robosoft8 sandro shelby steph steph2 steph3 travis victor whisper whisperf zac"
)
VARIANTS = ("", "", "", *(f"+{v}" for v in _ESPEAK_VARIANTS.split(" ")))
P_ENGLISH = 0.65  # share of sessions in English
RATE_WPM, PITCH = (90, 300), (5, 95)
SESSION_MEAN_S = 11.0  # s: the typical session, for turning minutes into a session count
CLOSURE_DILATE = 2  # feature frames: closure targets widened by 20 ms each side (one 25 fps
# video frame samples the probability every 40 ms; a short p/b/m must not fall between two)
TAIL_S = 0.15  # s of silence after a session: the last frames' look-ahead


@dataclass(frozen=True, eq=False)
class Example:
    """One audio version of a session: the student's features and the teacher's targets."""

    features: np.ndarray  # (F, N_FEATURES) float32, F >= n + MAX_AHEAD
    targets: np.ndarray  # (n, len(REGRESSED)) float32
    closure: np.ndarray  # (n,) float32 0/1
    speech: np.ndarray  # (n,) float32 0/1
    voice: str
    seconds: float  # of audio (the clean session)
    phones: PhoneTimeline | None = None  # the teacher's phones on this version's time axis


def tts_examples(seed: int, index: int, copies: int, recorded_share: float = 0.0) -> list[Example]:
    """``copies`` augmented versions of TTS session ``index``; ``recorded_share`` of the
    sessions are in a voice built from human recordings (recorded.py)."""
    rng = np.random.default_rng([seed, index])
    voice, language = _voice(rng, recorded_share)
    audio, phones = _session(rng, voice, language)
    babble = _session(rng, voice, language)[0].samples
    return _examples(audio, phones, babble, voice, copies, rng)


def speech_examples(path: Path, seed: int, copies: int) -> list[Example]:
    """Augmented versions of a real recording, with Base's targets from phone recognition."""
    from openlpm.audio.align import phones_for
    from openlpm.io.audio import load_audio

    audio = load_audio(path, SAMPLE_RATE)
    rng = np.random.default_rng([seed, len(audio.samples)])
    return _examples(audio, phones_for(audio), audio.samples, path.name, copies, rng)


def make_examples(
    n_sessions: int,
    seed: int,
    copies: int,
    workers: int = 2,
    speech_dir: Path | None = None,
    recorded_share: float = 0.0,
) -> Iterator[Example]:
    """Every example, in session order (deterministic whatever ``workers`` is)."""
    jobs = [("tts", i) for i in range(n_sessions)]
    if speech_dir is not None:
        jobs += [("file", str(p)) for p in sorted(Path(speech_dir).iterdir()) if p.is_file()]
    with get_context("fork").Pool(workers) as pool:
        args = [(kind, x, seed, copies, recorded_share) for kind, x in jobs]
        for examples in pool.imap(_job, args):
            yield from examples


def sessions_for(minutes: float) -> int:
    return max(4, math.ceil(minutes * 60.0 / SESSION_MEAN_S))


def _job(args: tuple) -> list[Example]:
    kind, x, seed, copies, recorded_share = args
    if kind == "tts":
        return tts_examples(seed, x, copies, recorded_share)
    return speech_examples(Path(x), seed, copies)


def _voice(rng: np.random.Generator, recorded_share: float) -> tuple[str, str]:
    """(voice, language): "festival:kal_diphone" style for a recorded voice, else eSpeak's."""
    # No draw at a share of 0: the sessions stay those the shipped weights were trained on.
    if recorded_share > 0 and rng.random() < recorded_share:
        program, name = recorded.VOICES[rng.integers(len(recorded.VOICES))]
        return f"{program}:{name}", "en"
    if rng.random() < P_ENGLISH:
        base, language = ENGLISH_VOICES[rng.integers(len(ENGLISH_VOICES))], "en"
    else:
        language = OTHER_LANGUAGES[rng.integers(len(OTHER_LANGUAGES))]
        base = OTHER_VOICES[language][rng.integers(len(OTHER_VOICES[language]))]
    return base + VARIANTS[rng.integers(len(VARIANTS))], language


def _session(rng: np.random.Generator, voice: str, language: str) -> tuple[Audio, PhoneTimeline]:
    """Silence, then 1-4 utterances with pauses: 16 kHz audio and its phone timeline."""
    from openlpm.audio.tts import synthesize

    rate, pitch = int(rng.integers(*RATE_WPM)), int(rng.integers(*PITCH))
    pitch_range = int(rng.integers(10, 100))
    stretch = float(rng.uniform(*recorded.STRETCH)) if ":" in voice else 1.0
    pieces: list[np.ndarray] = [np.zeros(int(rng.uniform(0.0, 1.0) * SAMPLE_RATE), np.float32)]
    phones: list[Phone] = []
    t = len(pieces[0]) / SAMPLE_RATE
    for _ in range(rng.integers(1, 5)):
        text = " ".join(sentence(rng, language) for _ in range(rng.integers(1, 3)))
        if ":" in voice:
            program, name = voice.split(":")
            audio, timeline = recorded.synthesize(text, program, name, stretch)
        else:
            speech = synthesize(text, voice, rate, pitch, pitch_range)
            audio, timeline = speech.audio, speech.phones
        pieces.append(audio.resampled(SAMPLE_RATE).samples)
        phones += [Phone(p.label, p.start + t, p.end + t) for p in timeline.phones]
        t = phones[-1].end
        gap = np.zeros(int(rng.uniform(0.05, 1.2) * SAMPLE_RATE), np.float32)
        pieces.append(gap)
        phones.append(Phone("SIL", t, t + len(gap) / SAMPLE_RATE))
        t = phones[-1].end
    samples = np.concatenate(pieces)
    phones[-1] = Phone("SIL", phones[-1].start, len(samples) / SAMPLE_RATE)
    first = Phone("SIL", 0.0, phones[0].start) if phones[0].start > 0 else None
    timeline = PhoneTimeline(tuple([first] if first else []) + tuple(phones), "tts")
    return Audio(samples, SAMPLE_RATE), timeline


def _examples(
    audio: Audio, phones: PhoneTimeline, babble: np.ndarray, voice: str, copies: int,
    rng: np.random.Generator,
) -> list[Example]:  # fmt: skip
    out = []
    for _ in range(copies):
        factor = speed_factor(rng)  # another speaker's pitch, tract length and rate
        clean = Audio(perturb_speed(audio.samples, factor), SAMPLE_RATE)
        timed = PhoneTimeline(
            tuple(Phone(p.label, p.start / factor, p.end / factor) for p in phones.phones),
            phones.source,
        )
        targets, closure, speech = teacher(clean, timed)
        n = len(targets)
        x = np.concatenate([clean.samples, np.zeros(int(TAIL_S * SAMPLE_RATE), np.float32)])
        feats = log_mel(augment(x, babble, rng))[0]
        if len(feats) < n + MAX_AHEAD:  # only if the teacher ran past the audio
            feats = np.concatenate([feats, np.repeat(feats[-1:], n + MAX_AHEAD - len(feats), 0)])
        out.append(Example(feats, targets, closure, speech, voice, audio.duration, timed))
    return out


def teacher(audio: Audio, phones: PhoneTimeline) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Base at 100 fps: regressed mouth channels, dilated closure frames, speech activity."""
    prosody = analyse(audio)
    # No mouth lead: the student has only 80 ms of look-ahead, and the shipped weights were
    # trained on the sound's own timing.
    track = perform(prosody, phones, BaseOptions(fps=FRAME_RATE, mouth_lead_s=0.0))
    n = len(track)
    targets = track.values[:, [PARAM_INDEX[c] for c in REGRESSED]].astype(np.float32)
    closure = np.zeros(n, np.float32)
    for p in phones.phones:
        if viseme_for(p.label).closes_lips:
            frames = closure_frames(p.start, p.end, FRAME_RATE, n)
            closure[max(0, frames[0] - CLOSURE_DILATE) : frames[-1] + CLOSURE_DILATE + 1] = 1.0
    speech = prosody.speech.astype(np.float32)
    speech = np.concatenate([speech, np.zeros(max(0, n - len(speech)), np.float32)])[:n]
    return targets, closure, speech
