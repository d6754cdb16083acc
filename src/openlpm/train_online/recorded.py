"""Training speech whose acoustics come from human recordings: Festival and Flite voices.

eSpeak NG is formant synthesis: its stop bursts and formant transitions are rules, not a
human's, and a student trained on it alone tells p/b/m from t/d/k/g far worse in real voices
than in eSpeak's. These voices are built from real speakers (Debian packages ``festival``,
``festvox-kallpc16k``, ``festvox-kdlpc16k``, ``flite``): Festival's kal and ked diphone voices
concatenate recorded diphones, Flite's awb and rms (clustergen) voices are statistical models
trained on one speaker each. The slt voices (Festival's HTS, Flite's) are left out: the
benchmark's real clips include a CMU ARCTIC recording of that speaker, and validation speech
must stay unheard in training. Both
programs report every segment's end time, so the phone timing is exact, as with eSpeak.
Segments use the radio (TIMIT-like) phone set, mapped to ARPAbet; a stop's segment covers its
closure and release, the convention of audio/tts.py.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from openlpm.audio.phones import ARPABET, Phone, PhoneTimeline
from openlpm.io.audio import Audio, load_audio

# (program, voice): Festival's voice_<name>, or Flite's -voice name (not kal, 8 kHz: kal16 is
# the same diphones at 16 kHz, and Festival's kal_diphone the same speaker).
VOICES = (
    ("festival", "kal_diphone"),
    ("festival", "ked_diphone"),
    ("flite", "awb"),
    ("flite", "rms"),
)
PACKAGES = "festival festvox-kallpc16k festvox-kdlpc16k flite"
STRETCH = (0.8, 1.35)  # duration stretch (slower > 1)
_RADIO = {"ax": "AH", "axr": "ER", "dx": "D", "el": "L", "em": "M", "en": "N", "ix": "IH",
          "nx": "N", "hv": "HH", "pau": "SIL", "h#": "SIL", "brth": "SIL"}  # fmt: skip
_TIMEOUT_S = 60


def to_arpabet(segment: str) -> str:
    """A radio phone-set segment name as ARPAbet; anything unknown is an error (a wrong
    label would teach the student a wrong mouth)."""
    label = _RADIO.get(segment, segment.upper())
    if label not in ARPABET:
        raise ValueError(f"unknown segment {segment!r} from a Festival/Flite voice")
    return label


def synthesize(text: str, program: str, voice: str, stretch: float) -> tuple[Audio, PhoneTimeline]:
    """Speak ``text``: the audio at the voice's own rate and its exact phone timeline."""
    if shutil.which(program) is None:
        raise RuntimeError(f"{program} is not installed: apt-get install {PACKAGES}")
    with tempfile.TemporaryDirectory(prefix="openlpm-tts-") as tmp:
        wav = Path(tmp) / "speech.wav"
        if program == "festival":
            ends = _festival(text, voice, stretch, wav)
        else:
            ends = _flite(text, voice, stretch, wav)
        audio = load_audio(wav)
    return audio, _timeline(ends, audio.duration)


def _festival(text: str, voice: str, stretch: float, wav: Path) -> list[tuple[str, float]]:
    quoted = text.replace("\\", " ").replace('"', " ")
    script = f"""(voice_{voice})
(Parameter.set 'Duration_Stretch {stretch:.4f})
(set! utt (utt.synth (Utterance Text "{quoted}")))
(utt.save.wave utt "{wav}" 'riff)
(mapcar (lambda (s) (format t "SEG %s %f\\n" (item.name s) (item.feat s "end")))
        (utt.relation.items utt 'Segment))
"""
    out = _run(["festival", "--pipe"], script)
    return [(w[1], float(w[2])) for w in (line.split() for line in out.splitlines())
            if len(w) == 3 and w[0] == "SEG"]  # fmt: skip


def _flite(text: str, voice: str, stretch: float, wav: Path) -> list[tuple[str, float]]:
    args = ["flite", "-voice", voice, "--setf", f"duration_stretch={stretch:.4f}", "-psdur"]
    out = _run([*args, "-t", text, "-o", str(wav)], "")
    return [(name, float(end)) for name, end in
            (item.rsplit(":", 1) for item in out.split() if ":" in item)]  # fmt: skip


def _run(command: list[str], stdin: str) -> str:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True,
                          timeout=_TIMEOUT_S, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr[-500:]}")
    return done.stdout


def _timeline(ends: list[tuple[str, float]], duration: float) -> PhoneTimeline:
    """Gap-free phones from segment end times, the last stretched or cut to the audio."""
    if not ends:
        raise RuntimeError("the synthesiser reported no segments")
    phones: list[Phone] = []
    start = 0.0
    for name, end in ends:
        end = min(end, duration)
        label = to_arpabet(name)
        if end <= start:
            continue
        if phones and phones[-1].label == label == "SIL":
            phones[-1] = Phone("SIL", phones[-1].start, end)
        else:
            phones.append(Phone(label, start, end))
        start = end
    if start < duration:
        if phones[-1].label == "SIL":
            phones[-1] = Phone("SIL", phones[-1].start, duration)
        else:
            phones.append(Phone("SIL", start, duration))
    return PhoneTimeline(tuple(phones), "tts")
