"""Benchmark inputs: a data folder (portraits/, speech/, video/) or self-made quick inputs.

A speech clip's reference phone timing, where there is one, comes from outside every system
under test: the TTS's own phone events for self-made speech, forced alignment of the known
transcript (speech/TRANSCRIPTS.tsv) for recorded speech.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from openlpm.audio.phones import PhoneTimeline
from openlpm.errors import InputError
from openlpm.io.audio import Audio, load_audio

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".m4a")
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi")
# Portrait style from the file name's first word; anything else is "other".
STYLES = ("photo", "anime", "illustration", "cartoon3d", "painting", "caricature", "sketch")
RATE = 16000  # every clip is analysed at 16 kHz

QUICK_LINES = (
    ("tts_bilabials", "Bob bought a map, and Mama made pumpkin pie. Maybe Pam will bring more."),
    ("tts_weather", "Please remember the umbrella. The maps show rain by tomorrow morning."),
    ("tts_market", "My brother paid a pound for apples, bread and a big jar of plum jam."),
)


@dataclass(frozen=True)
class Portrait:
    name: str
    path: Path
    style: str


@dataclass(frozen=True, eq=False)
class Clip:
    """A speech clip at 16 kHz with, when known, its transcript and reference phone timing."""

    name: str
    audio: Audio
    language: str
    transcript: str | None
    phones: PhoneTimeline | None  # reference timing for the closure metric
    phone_source: str  # "tts", "forced-alignment" or "none"


@dataclass(frozen=True)
class Video:
    name: str
    path: Path


@dataclass(frozen=True)
class DataSet:
    portraits: tuple[Portrait, ...]
    clips: tuple[Clip, ...]
    videos: tuple[Video, ...]
    source: str  # the folder, or "quick (self-made)"
    notes: tuple[str, ...] = ()


def style_of(name: str) -> str:
    first = name.lower().split("_")[0]
    return first if first in STYLES else "other"


def discover(folder: Path) -> DataSet:
    """Whatever the folder holds; a missing part is a note, not an error."""
    folder = Path(folder)
    notes: list[str] = []
    portraits = tuple(
        Portrait(p.stem, p, style_of(p.stem)) for p in _files(folder / "portraits", IMAGE_SUFFIXES)
    )
    clips = tuple(_clips(folder / "speech", notes))
    videos = tuple(Video(p.stem, p) for p in _files(folder / "video", VIDEO_SUFFIXES))
    for part, found, groups in (
        ("portraits/", portraits, "every rendered group"),
        ("speech/", clips, "speaking, listening, conversation and long-form"),
        ("video/", videos, "the human reference row"),
    ):
        if not found:
            notes.append(f"no {part} in {folder}: skipped {groups}")
    if not (portraits or clips or videos):
        raise InputError(
            f"{folder} has none of portraits/, speech/, video/: give a benchmark data folder"
        )
    return DataSet(portraits, clips, videos, str(folder), tuple(notes))


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes and p.is_file())


def _transcripts(folder: Path) -> dict[str, tuple[str, str]]:
    """file name -> (language, transcript) from TRANSCRIPTS.tsv (header: file, language, ...)."""
    path = folder / "TRANSCRIPTS.tsv"
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    body = rows[1:] if rows and rows[0] and rows[0][0].strip().lower() == "file" else rows
    return {r[0].strip(): (r[1].strip(), r[2].strip()) for r in body if len(r) >= 3 and r[2]}


def _clips(folder: Path, notes: list[str]) -> list[Clip]:
    from openlpm.audio.align import phones_for

    known = _transcripts(folder)
    clips = []
    for path in _files(folder, AUDIO_SUFFIXES):
        audio = load_audio(path, sample_rate=RATE)
        language, transcript = known.get(path.name, (path.stem.split("_")[0], None))
        phones, source = None, "none"
        if transcript:
            aligned = phones_for(audio, transcript)
            if aligned.source == "forced-alignment":
                phones, source = aligned, "forced-alignment"
            else:
                notes.append(f"{path.name}: forced alignment failed; no closure reference")
        clips.append(Clip(path.stem, audio, language, transcript, phones, source))
    return clips


def quick_data() -> DataSet:
    """Self-made inputs: TTS lines with exact phone timing and the two bundled portraits."""
    from openlpm.audio.tts import synthesize
    from openlpm.cli import bundled

    portraits = (
        Portrait("astronaut", bundled("astronaut.jpg"), "photo"),
        Portrait("monalisa", bundled("monalisa.jpg"), "painting"),
    )
    clips = []
    for name, line in QUICK_LINES:
        speech = synthesize(line)
        audio = speech.audio.resampled(RATE)
        clips.append(Clip(name, audio, "en", line, speech.phones, "tts"))
    note = "quick mode: TTS speech and the bundled portraits; no real videos (no human row)"
    return DataSet(portraits, tuple(clips), (), "quick (self-made)", (note,))
