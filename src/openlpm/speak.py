"""Speaking: speech audio (or text, through the built-in TTS) -> a performance (MotionTrack)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openlpm.audio.phones import Phone, PhoneTimeline
from openlpm.audio.prosody import analyse, speech_frames
from openlpm.errors import InputError
from openlpm.io.audio import Audio
from openlpm.motion.base import BaseOptions, perform
from openlpm.motion.frame import MotionTrack

MODES = ("base", "online")


@dataclass(frozen=True)
class SpeakOptions:
    mode: str = "base"
    fps: float = 25.0
    seed: int = 0
    transcript: str | None = None  # words spoken, for forced alignment (base mode)
    # language of the speech (base mode, no transcript): English ("en", "en-gb", ...) is
    # recognised as words, then aligned; any other (or None) as phones
    language: str | None = "en"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"unknown mode {self.mode!r}: use one of {', '.join(MODES)}")
        if not 1 <= self.fps <= 120:
            raise InputError(f"fps must be within 1..120, got {self.fps}")
        if self.transcript is not None and not self.transcript.strip():
            raise InputError(
                "the transcript is empty: give the words spoken in the audio, or none at all"
            )


@dataclass(frozen=True)
class Performance:
    track: MotionTrack
    audio: Audio  # what the video carries
    phones: PhoneTimeline | None  # what the mouth followed (base mode)
    notes: tuple[str, ...] = ()  # fallbacks and warnings, for the user


def speak_audio(audio: Audio, options: SpeakOptions = SpeakOptions()) -> Performance:
    """Perform the character's own speech."""
    if len(audio.samples) == 0:
        raise InputError("the audio is empty (0 samples): give a recording with speech in it")
    notes = []
    if np.abs(audio.samples).max() >= 0.999:
        notes.append("the audio clips (samples at full scale); lip sync still follows it")
    if options.mode == "online" and speech_frames(audio).any():
        return _online(audio, options, notes)  # needs no prosody: skip its pitch tracking
    prosody = analyse(audio)
    if not prosody.speech.any():
        notes.append("no speech found in the audio: the character stays silent")
        phones = _silence(audio.duration)
    else:
        from openlpm.audio.align import phones_for

        phones = phones_for(audio, options.transcript, options.language)
        if phones.note:
            notes.append(phones.note)
    track = perform(prosody, phones, BaseOptions(fps=options.fps, seed=options.seed))
    return Performance(track, audio, phones, tuple(notes))


def speak_text(
    text: str, options: SpeakOptions = SpeakOptions(), voice: str = "en-us"
) -> Performance:
    """Say ``text`` with the built-in TTS; the mouth follows its exact phone timing."""
    from openlpm.audio.tts import synthesize

    speech = synthesize(text, voice=voice)
    if options.mode == "online":
        return _online(speech.audio, options, [])
    track = perform(
        analyse(speech.audio), speech.phones, BaseOptions(fps=options.fps, seed=options.seed)
    )
    return Performance(track, speech.audio, speech.phones)


def _online(audio: Audio, options: SpeakOptions, notes: list[str]) -> Performance:
    from openlpm.motion.online import OnlineModel

    track = OnlineModel.load().perform(audio, fps=options.fps, seed=options.seed)
    return Performance(track, audio, None, tuple(notes))


def _silence(duration: float) -> PhoneTimeline:
    return PhoneTimeline((Phone("SIL", 0.0, max(duration, 1e-3)),), "silence")
