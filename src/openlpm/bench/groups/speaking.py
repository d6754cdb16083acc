"""Speaking: the speech clips said by the portraits, in a seeded round robin that renders every
clip and every portrait at least once.

Per video: A/V offset and confidence, aperture~envelope correlation, p/b/m closure against the
reference phone timing (TTS events or forced alignment of the known transcript), lip motion in
pauses, blinks, nods, head motion, motion energy, face detection, identity and the fine detail
kept while moving.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from openlpm.bench import plots, sheets
from openlpm.bench.context import Context, Run
from openlpm.bench.data import Clip, Portrait
from openlpm.bench.groups.figures import SPEECH_METRICS, aggregate, speech_figures
from openlpm.bench.groups.human import human_clips
from openlpm.bench.metrics.detail import detail_kept
from openlpm.bench.metrics.eyes import blinks
from openlpm.bench.metrics.signals import envelope
from openlpm.bench.results import GroupResult, Item, Plot, Table
from openlpm.bench.systems import Utterance


def pairs(ctx: Context) -> list[tuple[Clip, Portrait]]:
    """(clip, portrait) pairs: ``pairs_per_clip`` portraits per clip, or by default
    max(portraits, clips) pairs, rotating so that every portrait and every clip is used."""
    portraits, clips = ctx.riggable(), ctx.data.clips
    if not portraits or not clips:
        return []
    start = int(np.random.default_rng(ctx.options.seed).integers(len(portraits)))
    k = ctx.options.pairs_per_clip
    if k is None:
        count = max(len(portraits), len(clips))
        return [
            (clips[i % len(clips)], portraits[(start + i) % len(portraits)]) for i in range(count)
        ]
    out = []
    for c, clip in enumerate(clips):
        chosen = {(start + c * k + j) % len(portraits) for j in range(min(k, len(portraits)))}
        out += [(clip, portraits[p]) for p in sorted(chosen)]
    return out


def speaking_run(ctx: Context, system: str, clip: Clip, portrait: Portrait) -> Run:
    seed = ctx.options.seed
    utt = Utterance(clip.audio, clip.transcript, clip.language)
    return ctx.render(
        system, portrait, f"speak:{clip.name}",
        lambda s: s.speak(utt, ctx.options.fps, seed), clip.audio,
    )  # fmt: skip


def run(ctx: Context) -> GroupResult:
    work = pairs(ctx)
    clips = {c.name: c for c, _ in work}
    items: list[Item] = []
    rows, curves, runs_by_system = [], [], {}
    for system in ctx.options.rendered:
        values, corr = [], []
        for clip, portrait in work:
            r = speaking_run(ctx, system, clip, portrait)
            fig, sync = speech_figures(r.analysis, clip.audio, clip.phones)
            kept = detail_kept(r.analysis.series.detail, ctx.still_detail(portrait))
            fig = replace(fig, detail_kept=kept)
            values.append(fig.values())
            corr.append(sync.curve)
            items.append(Item(system, clip.name, portrait.name, fig.values()))
            runs_by_system.setdefault(system, []).append(r)
        rows.append(aggregate(system, values, medians=("offset_ms",)))
        curves.append((system, _mean_curve(corr)))
    humans = human_clips(ctx) if "human" in ctx.options.systems else []
    if humans:
        rows.append(aggregate("human", [h.figures.values() for h in humans], ("offset_ms",)))
        curves.append(("human", _mean_curve([h.sync.curve for h in humans])))
        items += [Item("human", h.name, h.name, h.figures.values()) for h in humans]
    notes = _notes(ctx, work, clips)
    plot_list = _plots(ctx, work, runs_by_system, humans, curves) if work else ()
    table = Table("Speaking: systems x metrics (means over clips)", SPEECH_METRICS, tuple(rows))
    return GroupResult(
        "speaking", "Speaking", __doc__.split("\n\n")[0].replace("\n", " "),
        (table,), tuple(items), plot_list, tuple(notes),
    )  # fmt: skip


def _mean_curve(curves: list[np.ndarray]) -> np.ndarray:
    stack = np.array(curves, dtype=np.float64)
    if not len(stack) or not np.isfinite(stack).any():
        return np.full(21, np.nan)
    with np.errstate(all="ignore"):
        return np.nanmean(stack, axis=0)


def _notes(ctx: Context, work, clips) -> list[str]:
    with_ref = sum(c.phones is not None for c in clips.values())
    notes = [
        f"{len(work)} videos per system ({len(clips)} clips, seeded round robin over the "
        f"portraits); closure measured on the {with_ref} clips with reference phone timing",
        "a sync confidence under about 0.3 means there is no clear offset (the curve is flat)",
        "base is given the transcript where one is known (forced alignment, as the closure "
        "reference is); online and the baselines hear the audio only",
    ]
    if "human" in ctx.options.systems and not ctx.data.videos:
        notes.append("no real videos: no human row")
    notes.append(
        "detail kept: face-box sharpness while speaking over that of a still render of the "
        "same portrait at the same size; a real video has no still to compare with (no human "
        "value)"
    )
    return notes


def _plots(ctx: Context, work, runs_by_system, humans, curves) -> tuple[Plot, ...]:
    out = ctx.out
    first = [(s, rs[0]) for s, rs in runs_by_system.items()]
    clip = work[0][0]
    traces = []
    for system, r in first:
        s = r.analysis.series
        traces.append((system, s.gap, envelope(clip.audio, s.fps, len(s)), s.fps))
    for h in humans[:1]:
        s = h.analysis.series
        traces.append((f"human {h.name[:12]}", s.gap, envelope(h.audio, s.fps, len(s)), s.fps))
    plots.aperture_envelope(out / "speaking_aperture.png", traces)
    lags_ms = np.arange(-10, 11) * 1000 / ctx.options.fps
    plots.offset_curves(out / "speaking_av_offset.png", [(s, lags_ms, c) for s, c in curves])
    heads = [(s, r.analysis.series.yaw, r.analysis.series.pitch, r.analysis.series.fps)
             for s, r in first]  # fmt: skip
    heads += [("human", h.analysis.series.yaw, h.analysis.series.pitch, h.analysis.series.fps)
              for h in humans[:1]]  # fmt: skip
    plots.head_traces(out / "speaking_head.png", heads)
    blink_rows = [(s, blinks(r.analysis.series.ear_left, r.analysis.series.ear_right,
                             r.analysis.series.fps).onsets, r.analysis.series.duration)
                  for s, r in first]  # fmt: skip
    blink_rows += [(f"human {h.name[:10]}", blinks(h.analysis.series.ear_left,
                    h.analysis.series.ear_right, h.analysis.series.fps).onsets,
                    h.analysis.series.duration) for h in humans]  # fmt: skip
    plots.blink_timelines(out / "speaking_blinks.png", blink_rows)
    ids = [(s, r.analysis.identity.times, r.analysis.identity.distances)
           for s, r in first if r.analysis.identity is not None]  # fmt: skip
    plots.identity_traces(out / "speaking_identity.png", ids, f"Identity over time ({clip.name})")
    sheet_rows = [(s, r.analysis.thumbs) for s, r in first]
    sheet_rows += [(f"human {h.name[:8]}", h.analysis.thumbs) for h in humans[:2]]
    sheets.contact_sheet(out / "speaking_sheet.jpg", sheet_rows)
    return (
        Plot("speaking_aperture.png", f"Mouth aperture vs speech envelope: {clip.name} "
             f"on {work[0][1].name}, each system; and a real video"),
        Plot("speaking_av_offset.png", "A/V offset curves: correlation at each shift"),
        Plot("speaking_head.png", "Head-motion traces (yaw, pitch) from the pixels"),
        Plot("speaking_blinks.png", "Blink timelines"),
        Plot("speaking_identity.png", "Identity distance over time"),
        Plot("speaking_sheet.jpg", "Contact sheet: the same clip, every system (and real videos)"),
    )  # fmt: skip
