"""Listening: the character hears the user's speech (each clip, one portrait each) and must
not move its lips; nods and their timing after the user's pauses, the share of clear phrase
ends answered by a nod, brow raises at rising (question-like) phrase ends, blinks, motion
energy against the same system's speaking."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from openlpm.audio.prosody import FRAME_RATE, Prosody, analyse
from openlpm.bench import plots, sheets
from openlpm.bench.context import Context
from openlpm.bench.groups.figures import aggregate
from openlpm.bench.metrics.eyes import blinks
from openlpm.bench.metrics.head import head_stats, motion_energy, nod_timing, nods
from openlpm.bench.metrics.lips import false_motion
from openlpm.bench.metrics.signals import filled, nanmean
from openlpm.bench.results import GroupResult, Item, Metric, Plot, Row, Table
from openlpm.io.audio import Audio

PAUSE_S = 0.3  # user pauses at least this long are backchannel opportunities
# A clear phrase end: a pause this long after this much speech (gaps under PAUSE_S inside).
LONG_PAUSE_S, LONG_TALK_S = 0.4, 2.0
ANSWER_S = 1.5  # a nod or brow raise this soon after the pause starts answers it
RISE_ST = 2.0  # a phrase end rising this many semitones over the phrase (a question)
RISE_TAIL_S = 0.3
TAIL_S = 1.5  # silence after each clip
BROW_RAISE = 0.006  # brow lift (face heights) over the second before: a raise


@dataclass(frozen=True)
class ListenFigures:
    false_motion: float | None
    nods_per_min: float
    nods_after_pause: float | None
    nod_delay_s: float | None
    long_pauses_nodded: float | None
    brows_at_rises: float | None
    blinks_per_min: float
    head_velocity: float | None
    energy: float | None
    energy_vs_speaking: float | None = None


METRICS = (
    Metric("false_motion", "lips open", "", "lower", 3,
           "share of frames with the mouth open while only the user speaks"),
    Metric("nods_per_min", "nods", "/min", "", 1, "chin-down dips of the head pitch"),
    Metric("nods_after_pause", "nods after pauses", "", "higher", 2,
           "share of nods starting 0-1.5 s after a user pause (>= 0.3 s) begins"),
    Metric("nod_delay_s", "nod delay", "s", "", 2, "median delay of those nods"),
    Metric("long_pauses_nodded", "clear ends nodded", "", "higher", 2,
           "share of user pauses >= 0.4 s after >= 2 s of speech with a nod within 1.5 s"),
    Metric("brows_at_rises", "brows at rises", "", "higher", 2,
           "share of rising phrase ends (>= 2 semitones) with a brow raise within 1.5 s"),
    Metric("blinks_per_min", "blinks", "/min", "", 1, ""),
    Metric("head_velocity", "head speed", "deg/s", "", 1, ""),
    Metric("energy", "motion energy", "fh/s", "", 3, "mean landmark speed"),
    Metric("energy_vs_speaking", "energy / speaking", "", "", 2,
           "listening motion energy over the same system's speaking energy"),
)  # fmt: skip


def pause_onsets(audio: Audio) -> list[float]:
    """Starts of the user's pauses (not the silence before the first word)."""
    return [a for a, b in analyse(audio).pauses() if b - a >= PAUSE_S and a > 0.05]


@dataclass(frozen=True)
class PhraseEnd:
    time: float  # the pause's start, seconds
    pause_s: float
    speech_s: float  # speech before it (gaps under PAUSE_S included)
    rise_st: float  # the phrase's final rise, semitones


def phrase_ends(audio: Audio) -> list[PhraseEnd]:
    """Every pause of the user's after speech, with what preceded it."""
    p = analyse(audio)
    out, talk_from = [], 0.0
    for start, end in p.pauses():
        if start <= 0.0:  # the silence before the first word
            talk_from = end
        elif end - start >= PAUSE_S:
            rise = _rise(p, talk_from, start)
            out.append(PhraseEnd(start, end - start, start - talk_from, rise))
            talk_from = end
    return out


def _rise(p: Prosody, start: float, end: float) -> float:
    """Final rise of the phrase [start, end): its last voiced RISE_TAIL_S against the rest."""
    lo, hi = round(start * FRAME_RATE), round(end * FRAME_RATE)
    f0 = p.f0[lo:hi][p.voiced[lo:hi]]
    tail = round(RISE_TAIL_S * FRAME_RATE)
    if len(f0) < 2 * tail:
        return 0.0
    st = 12 * np.log2(f0)
    return float(np.median(st[-tail:]) - np.median(st[:-tail]))


def answered(ends: list[PhraseEnd], times: list[float]) -> float | None:
    """Share of ``ends`` with one of ``times`` 0..ANSWER_S after it (None: no ends)."""
    if not ends:
        return None
    return float(np.mean([any(0 <= t - e.time <= ANSWER_S for t in times) for e in ends]))


def brow_raises(brow, fps: float) -> list[float]:
    """Times the brows rise by BROW_RAISE over the level of the second before."""
    from scipy.ndimage import median_filter

    b = median_filter(filled(brow), size=3, mode="nearest")
    window = round(fps)
    out, last = [], -np.inf
    for i in range(window, len(b)):
        if b[i] - np.median(b[i - window : i]) >= BROW_RAISE and i / fps - last > 1.0:
            out.append(i / fps)
            last = i / fps
    return out


def run(ctx: Context) -> GroupResult:
    portraits = ctx.riggable()
    clips = ctx.data.clips[:2] if ctx.options.quick else ctx.data.clips
    if not portraits or not clips:
        return GroupResult("listening", "Listening", __doc__, notes=("no portraits or speech",))
    fps, seed = ctx.options.fps, ctx.options.seed
    rows, items, first = [], [], []
    for system in ctx.options.rendered:
        values = []
        for c, clip in enumerate(clips):
            portrait = portraits[c % len(portraits)]
            heard = _with_tail(clip.audio)
            r = ctx.render(system, portrait, f"listen:{clip.name}",
                           lambda s, a=heard: s.listen(a, fps, seed), heard)  # fmt: skip
            fig = _figures(r.analysis.series, heard)
            values.append(asdict(fig))
            items.append(Item(system, clip.name, portrait.name, asdict(fig)))
            if c == 0:
                first.append((system, r))
        row = aggregate(system, values)
        rows.append(_with_ratio(ctx, row))
    notes = (
        "the users are the speech clips; baselines hear only the character's own (silent) "
        "voice, so they only blink; base and online share openlpm's listener",
        "the data's real videos show speakers, not listeners: no human row here",
        "reference: listeners' backchannels come at the speaker's pauses and low-pitch phrase "
        "ends (Ward and Tsukahara 2000, J. Pragmatics 32:1177-1207; Yngve 1970; Duncan 1972); "
        "wide head movements fall in the speaker's pauses, small ones on its stressed "
        "syllables (Hadar, Steiner and Rose 1985, J. Nonverbal Behavior 9:214-228); listeners "
        "take only part of the opportunities and differ from one another (Blomsma et al. 2024, "
        "Language and Cognition; de Kok and Heylen 2012, Cognitive Processing). No per-minute "
        "rate transfers across speakers, so the target is per opportunity: a nod at most clear "
        "phrase ends (a pause >= 0.4 s after >= 2 s of speech); nods per minute follow from "
        "how often the user pauses",
        f"each clip is followed by {TAIL_S:g} s of silence (the answer to the last phrase)",
    )
    table = Table("Listening: systems x metrics (means over clips)", METRICS, tuple(rows))
    plot_list = _plots(ctx, first, clips[0].audio)
    return GroupResult("listening", "Listening", __doc__.replace("\n", " "), (table,),
                       tuple(items), plot_list, notes)  # fmt: skip


def _with_tail(audio: Audio) -> Audio:
    """The clip and TAIL_S of silence: the listener is still there when the user stops, and
    the answer to the last phrase comes after it."""
    tail = np.zeros(round(TAIL_S * audio.sample_rate), np.float32)
    return Audio(np.concatenate([audio.samples, tail]), audio.sample_rate)


def _figures(s, audio: Audio) -> ListenFigures:
    timing = nod_timing(found := nods(s.pitch, s.fps, s.gap, s.ear), pause_onsets(audio))
    minutes = s.duration / 60
    ends = phrase_ends(audio)
    clear = [e for e in ends if e.pause_s >= LONG_PAUSE_S and e.speech_s >= LONG_TALK_S]
    rising = [e for e in ends if e.rise_st >= RISE_ST and e.speech_s >= 1.0]
    return ListenFigures(
        false_motion=false_motion(s.gap, np.ones(len(s), bool)),
        nods_per_min=len(found) / minutes,
        nods_after_pause=timing.after_pause,
        nod_delay_s=timing.delay_s,
        long_pauses_nodded=answered(clear, found),
        brows_at_rises=answered(rising, brow_raises(s.brow, s.fps)),
        blinks_per_min=blinks(s.ear_left, s.ear_right, s.fps).per_minute,
        head_velocity=head_stats(s.yaw, s.pitch, s.roll, s.fps, s.gap, s.ear).velocity,
        energy=motion_energy(s.jump, s.fps),
    )


def _with_ratio(ctx: Context, row: Row) -> Row:
    speaking = [motion_energy(r.analysis.series.jump, r.analysis.series.fps)
                for (system, _, item), r in ctx.runs.items()
                if system == row.label and item.startswith("speak:")]  # fmt: skip
    mean = nanmean([e for e in speaking if e is not None])
    listen = row.values.get("energy")
    ratio = listen / mean if isinstance(listen, float) and mean else None
    return Row(row.label, {**row.values, "energy_vs_speaking": ratio}, row.n)


def _plots(ctx: Context, first, audio: Audio) -> tuple[Plot, ...]:
    traces = []
    for system, r in first:
        s = r.analysis.series
        traces.append((system, s.pitch, s.fps, nods(s.pitch, s.fps, s.gap, s.ear)))
    plots.pitch_nods(ctx.out / "listening_nods.png", traces, pause_onsets(audio))
    sheets.contact_sheet(
        ctx.out / "listening_sheet.jpg", [(s, r.analysis.thumbs) for s, r in first]
    )
    return (
        Plot("listening_nods.png", "Listening: head pitch, detected nods, user pause onsets"),
        Plot("listening_sheet.jpg", "Contact sheet: listening to the first clip"),
    )
