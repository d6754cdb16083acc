"""Student (Online) vs teacher (Base) on real speech the student never heard, at 25 fps.

Per clip: Pearson r of jawOpen, of the lip opening (jawOpen - mouthClose) and of mouthClose;
viseme-class accuracy (each frame's mouth -> the nearest viseme target; shut lips count as PP);
and the bilabial closure rate: the share of the teacher's p/b/m phones during which (+-1 frame)
the student's lips are shut. The teacher's phones come from forced alignment where
TRANSCRIPTS.tsv (file, language, transcript) has the clip, else from phone recognition.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from openlpm.audio.features import SAMPLE_RATE, log_mel
from openlpm.audio.phones import PhoneTimeline
from openlpm.audio.prosody import analyse
from openlpm.io.audio import load_audio
from openlpm.motion.base import BaseOptions, perform
from openlpm.motion.frame import MotionTrack
from openlpm.motion.online import OnlineModel
from openlpm.motion.visemes import MOUTH_CHANNELS, REST, VISEMES, viseme_for
from openlpm.train_online.closure_auc import ClosureAUC, closure_logits, phone_maxima

FPS = 25.0
SHUT = 0.02  # lips shut: jawOpen - mouthClose below this (the tests' threshold)
OPEN = 0.1  # lips clearly apart: jawOpen - mouthClose above this
AUDIO_EXT = (".wav", ".mp3", ".flac", ".ogg", ".m4a")
_CLASSES = (REST, *VISEMES.values())
_TARGETS = np.array([[v.target.get(c, 0.0) for c in MOUTH_CHANNELS] for v in _CLASSES])


@dataclass(frozen=True)
class ClipScore:
    name: str
    phones_source: str
    seconds: float
    jaw_r: float
    opening_r: float
    close_r: float
    viseme_acc: float
    bilabials: int  # teacher p/b/m phones
    closure_rate: float  # student
    teacher_closure_rate: float  # the teacher against itself (the ceiling)
    others: int  # other phones that touch neither a p/b/m nor silence
    chance_rate: float  # student: the same test on those (closing by chance)
    teacher_chance_rate: float
    false_shut: float  # share of the frames the teacher holds open (> OPEN) the student shuts
    closure_maxima: dict[str, list[float]]  # per-phone closure logits (closure_auc.py)


def evaluate_dir(folder: Path, weights: Path | None = None) -> list[ClipScore]:
    model = OnlineModel.load(weights)
    transcripts = _transcripts(folder / "TRANSCRIPTS.tsv")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_EXT)
    return [_score(p, model, transcripts.get(p.name)) for p in files]


def _score(path: Path, model: OnlineModel, transcript: str | None) -> ClipScore:
    from openlpm.audio.align import phones_for

    audio = load_audio(path)
    phones = phones_for(audio, transcript)
    features = log_mel(audio.resampled(SAMPLE_RATE).samples)[0]
    maxima = phone_maxima(closure_logits(model.net, features), phones)
    teacher = perform(analyse(audio), phones, BaseOptions(fps=FPS, mouth_lead_s=0.0))
    student = model.perform(audio, fps=FPS)
    n = min(len(teacher), len(student))
    t, s = teacher.values[:n], student.values[:n]
    tt, st = MotionTrack(t, FPS), MotionTrack(s, FPS)
    return ClipScore(
        path.name, phones.source, audio.duration,
        _r(tt.curve("jawOpen"), st.curve("jawOpen")),
        _r(_opening(tt), _opening(st)),
        _r(tt.curve("mouthClose"), st.curve("mouthClose")),
        float(np.mean(visemes(tt) == visemes(st))),
        len(_bilabials(phones)),
        closure_rate(st, phones), closure_rate(tt, phones),
        len(_others(phones)), closure_rate(st, phones, _others(phones)),
        closure_rate(tt, phones, _others(phones)),
        float(np.mean(_opening(st)[_opening(tt) > OPEN] < SHUT)), maxima,
    )  # fmt: skip


def visemes(track: MotionTrack) -> np.ndarray:
    """Per frame, the index in _CLASSES of the nearest viseme target (shut lips: PP)."""
    mouth = np.stack([track.curve(c) for c in MOUTH_CHANNELS], axis=1)
    nearest = np.argmin(((mouth[:, None, :] - _TARGETS[None]) ** 2).sum(-1), axis=1)
    shut = (track.curve("mouthClose") > SHUT) & (_opening(track) < SHUT)
    return np.where(shut, _CLASSES.index(VISEMES["PP"]), nearest)


def closure_rate(track: MotionTrack, phones: PhoneTimeline, which: list | None = None) -> float:
    """Share of the p/b/m phones (or of ``which``) with shut lips in a frame of the phone,
    +-1 frame."""
    shut = _opening(track) < SHUT
    hits = [
        shut[
            max(0, math.ceil(p.start * FPS) - 1) : min(len(shut), math.floor(p.end * FPS) + 2)
        ].any()
        for p in (_bilabials(phones) if which is None else which)
    ]
    return float(np.mean(hits)) if hits else float("nan")


def _bilabials(phones: PhoneTimeline) -> list:
    return [p for p in phones.phones if viseme_for(p.label).closes_lips]


def _others(phones: PhoneTimeline) -> list:
    """The phones where shut lips are a mistake: neither p/b/m nor silence, nor next to one
    (the bench's chance level, bench/metrics/lips.py)."""
    seq = phones.phones

    def lips_free(k: int) -> bool:
        return (
            0 <= k < len(seq) and seq[k].label != "SIL" and not viseme_for(seq[k].label).closes_lips
        )

    return [p for k, p in enumerate(seq) if all(lips_free(j) for j in (k - 1, k, k + 1))]


def _opening(track: MotionTrack) -> np.ndarray:
    return track.curve("jawOpen") - track.curve("mouthClose")


def _r(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() < 1e-9 or b.std() < 1e-9:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _transcripts(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        return {row["file"]: row["transcript"] for row in csv.DictReader(f, delimiter="\t")}


def table(scores: list[ClipScore]) -> str:
    """A markdown table of the scores and their mean (closure pooled over all phones), then the
    per-phone closure AUC pooled over the clips."""
    head = (
        "| clip | phones | s | jaw r | opening r | mouthClose r | viseme acc | p/b/m "
        "| closure (student) | closure (teacher) | other phones | elsewhere (student) "
        "| elsewhere (teacher) | beyond chance (student) | beyond chance (teacher) "
        "| false shut |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    rows = [
        f"| {c.name} | {c.phones_source} | {c.seconds:.1f} | {c.jaw_r:.3f} | {c.opening_r:.3f} "
        f"| {c.close_r:.3f} | {c.viseme_acc:.3f} | {c.bilabials} | {c.closure_rate:.3f} "
        f"| {c.teacher_closure_rate:.3f} | {c.others} | {c.chance_rate:.3f} "
        f"| {c.teacher_chance_rate:.3f} | {c.closure_rate - c.chance_rate:+.3f} "
        f"| {c.teacher_closure_rate - c.teacher_chance_rate:+.3f} | {c.false_shut:.3f} |"
        for c in scores
    ]  # fmt: skip
    total = sum(c.bilabials for c in scores)
    others = sum(c.others for c in scores)

    def pooled(attr: str, weight: str = "bilabials") -> float:
        count = sum(getattr(c, weight) for c in scores)
        return sum(getattr(c, attr) * getattr(c, weight) for c in scores
                   if getattr(c, weight)) / max(count, 1)  # fmt: skip

    def mean(attr: str) -> float:
        return float(np.nanmean([getattr(c, attr) for c in scores]))

    rows.append(
        f"| **mean** | | {sum(c.seconds for c in scores):.1f} | {mean('jaw_r'):.3f} "
        f"| {mean('opening_r'):.3f} | {mean('close_r'):.3f} | {mean('viseme_acc'):.3f} "
        f"| {total} | {pooled('closure_rate'):.3f} | {pooled('teacher_closure_rate'):.3f} "
        f"| {others} | {pooled('chance_rate', 'others'):.3f} "
        f"| {pooled('teacher_chance_rate', 'others'):.3f} "
        f"| {pooled('closure_rate') - pooled('chance_rate', 'others'):+.3f} "
        f"| {pooled('teacher_closure_rate') - pooled('teacher_chance_rate', 'others'):+.3f} "
        f"| {mean('false_shut'):.3f} |"
    )
    separation = ClosureAUC.of([c.closure_maxima for c in scores]).describe()
    return "\n".join([head, *rows, "", f"Pooled over the clips: {separation}."])
