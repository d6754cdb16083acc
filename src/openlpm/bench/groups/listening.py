"""Listening: the character hears the user's speech (each clip, one portrait each) and must
not move its lips; nods and their timing after the user's pauses, blinks, motion energy
against the same system's speaking."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from openlpm.audio.prosody import analyse
from openlpm.bench import plots, sheets
from openlpm.bench.context import Context
from openlpm.bench.groups.figures import aggregate
from openlpm.bench.metrics.eyes import blinks
from openlpm.bench.metrics.head import head_stats, motion_energy, nod_timing, nods
from openlpm.bench.metrics.lips import false_motion
from openlpm.bench.metrics.signals import nanmean
from openlpm.bench.results import GroupResult, Item, Metric, Plot, Row, Table
from openlpm.io.audio import Audio

PAUSE_S = 0.3  # user pauses at least this long are backchannel opportunities


@dataclass(frozen=True)
class ListenFigures:
    false_motion: float | None
    nods_per_min: float
    nods_after_pause: float | None
    nod_delay_s: float | None
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
    Metric("blinks_per_min", "blinks", "/min", "", 1, ""),
    Metric("head_velocity", "head speed", "deg/s", "", 1, ""),
    Metric("energy", "motion energy", "fh/s", "", 3, "mean landmark speed"),
    Metric("energy_vs_speaking", "energy / speaking", "", "", 2,
           "listening motion energy over the same system's speaking energy"),
)  # fmt: skip


def pause_onsets(audio: Audio) -> list[float]:
    """Starts of the user's pauses (not the silence before the first word)."""
    return [a for a, b in analyse(audio).pauses() if b - a >= PAUSE_S and a > 0.05]


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
            r = ctx.render(system, portrait, f"listen:{clip.name}",
                           lambda s, a=clip.audio: s.listen(a, fps, seed), clip.audio)  # fmt: skip
            fig = _figures(r.analysis.series, clip.audio)
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
    )
    table = Table("Listening: systems x metrics (means over clips)", METRICS, tuple(rows))
    plot_list = _plots(ctx, first, clips[0].audio)
    return GroupResult("listening", "Listening", __doc__.replace("\n", " "), (table,),
                       tuple(items), plot_list, notes)  # fmt: skip


def _figures(s, audio: Audio) -> ListenFigures:
    timing = nod_timing(found := nods(s.pitch, s.fps, s.gap, s.ear), pause_onsets(audio))
    minutes = s.duration / 60
    return ListenFigures(
        false_motion=false_motion(s.gap, np.ones(len(s), bool)),
        nods_per_min=len(found) / minutes,
        nods_after_pause=timing.after_pause,
        nod_delay_s=timing.delay_s,
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
