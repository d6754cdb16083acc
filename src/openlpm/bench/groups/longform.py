"""Long-form: one session of ``--long`` minutes (the speech clips in a seeded order with
pauses, looped) per openlpm model: identity over time and its drift slope, the time per frame
(motion + render), and the process's memory. Faster than real time: frames are not paced."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from openlpm.bench import identity, plots
from openlpm.bench.context import Context
from openlpm.bench.results import GroupResult, Item, Metric, Plot, Row, Table
from openlpm.io.audio import Audio

PAUSE_S = 1.5  # between clips
IDENTITY_SAMPLES = 120  # descriptors over the session ...
IDENTITY_MIN_GAP_S = 5.0  # ... at most one per this many seconds
MEMORY_EVERY_S = 10.0  # seconds of video between memory samples
SYSTEMS = ("base", "online")  # the baselines cannot drift any more than the image can


@dataclass(frozen=True)
class LongFigures:
    minutes: float
    identity_mean: float | None
    drift_per_min: float | None  # slope of the identity distance, per minute
    first_vs_last: float | None  # mean distance in the last minute minus the first
    frame_ms: float  # mean motion + render time per frame
    frame_ms_p95: float
    realtime_factor: float  # compute time / session time
    memory_mb: float  # RSS at the end
    memory_growth_mb_per_min: float | None
    lost: float  # share of the measured frames without a face


METRICS = (
    Metric("minutes", "minutes", "min", "", 1),
    Metric("identity_mean", "identity dist.", "", "lower", 3),
    Metric("drift_per_min", "drift", "/min", "zero", 5, "slope of identity distance over time"),
    Metric("first_vs_last", "last - first minute", "", "zero", 4),
    Metric("frame_ms", "ms/frame", "ms", "lower", 2, "motion + render, mean"),
    Metric("frame_ms_p95", "ms/frame p95", "ms", "lower", 2),
    Metric("realtime_factor", "RTF", "", "lower", 3, "compute time / session time"),
    Metric("memory_mb", "RSS", "MB", "", 0, "process memory at the end"),
    Metric("memory_growth_mb_per_min", "RSS growth", "MB/min", "zero", 2),
    Metric("lost", "face lost", "", "lower", 4, "every 5th frame checked"),
)  # fmt: skip


def rss_mb() -> float:
    """Resident memory of this process (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def session_audio(ctx: Context, seconds: float) -> Audio:
    rng = np.random.default_rng(ctx.options.seed)
    rate, parts, total = 16000, [], 0
    gap = np.zeros(round(PAUSE_S * rate), np.float32)
    while total < seconds * rate:
        for k in rng.permutation(len(ctx.data.clips)):
            x = ctx.data.clips[int(k)].audio.resampled(rate).samples
            parts += [x, gap]
            total += len(x) + len(gap)
    return Audio(np.concatenate(parts)[: round(seconds * rate)], rate)


def run(ctx: Context) -> GroupResult:
    systems = [s for s in SYSTEMS if s in ctx.options.rendered]
    portraits = ctx.riggable()
    if not systems or not portraits or not ctx.data.clips:
        return GroupResult("longform", "Long-form", __doc__,
                           notes=("needs base or online, a portrait and speech",))  # fmt: skip
    portrait = next((p for p in portraits if p.style == "photo"), portraits[0])
    audio = session_audio(ctx, ctx.options.long_s)
    rows, items, traces = [], [], []
    for system in systems:
        figures, trace = _session(ctx, system, portrait, audio)
        rows.append(Row(system, asdict(figures), 1))
        items.append(Item(system, f"{figures.minutes:.1f} min", portrait.name, asdict(figures)))
        traces.append((system, trace))
    plots.long_form(ctx.out / "longform.png", traces)
    table = Table(f"Long-form ({ctx.options.long_s / 60:g} min on {portrait.name})", METRICS,
                  tuple(rows))  # fmt: skip
    notes = ("the baselines are left out: like openlpm they warp every frame from the image",)
    plot = Plot("longform.png", "Long-form session traces")
    description = __doc__.replace("\n", " ")
    return GroupResult("longform", "Long-form", description, (table,), tuple(items), (plot,), notes)


def _session(ctx: Context, system: str, portrait, audio: Audio):
    from openlpm.analysis import FaceAnalyzer
    from openlpm.bench.systems import Utterance
    from openlpm.render.renderer import Renderer

    fps = ctx.options.fps
    t0 = time.perf_counter()
    track = ctx.system(system).speak(Utterance(audio), fps, ctx.options.seed)
    motion_per_frame = (time.perf_counter() - t0) / len(track)
    renderer = Renderer(ctx.rig(portrait), ctx.options.render_size)
    reference = ctx.reference(portrait)
    id_every = max(len(track) // IDENTITY_SAMPLES, round(IDENTITY_MIN_GAP_S * fps))
    mem_every = max(1, round(MEMORY_EVERY_S * fps))
    frame_ms = np.zeros(len(track))
    id_t, id_d, mem_t, mem = [], [], [], []
    lost, checked = 0, 0
    ctx.progress.job(f"{system} · long-form {len(track) / fps / 60:.1f} min", len(track))
    with FaceAnalyzer(video=False) as analyzer:  # sparse frames: detect each one afresh
        for i, pose in enumerate(track):
            t1 = time.perf_counter()
            rgb = renderer.render(pose)
            frame_ms[i] = 1000 * (time.perf_counter() - t1 + motion_per_frame)
            if i % 5 == 0 or i % id_every == 0:
                lm = analyzer.landmarks(rgb)
                checked, lost = checked + 1, lost + (lm is None)
                if i % id_every == 0 and lm is not None and reference is not None:
                    id_t.append(i / fps)
                    id_d.append(identity.distance(identity.descriptor(rgb, lm), reference))
            if i % mem_every == 0:
                mem_t.append(i / fps)
                mem.append(rss_mb())
            ctx.progress.advance()
    return _figures(track, fps, frame_ms, id_t, id_d, mem_t, mem, lost / max(checked, 1))


def _figures(track, fps, frame_ms, id_t, id_d, mem_t, mem, lost):
    minutes = len(track) / fps / 60
    t, d = np.array(id_t), np.array(id_d)
    drift = float(np.polyfit(t / 60, d, 1)[0]) if len(t) >= 3 else None
    first, last = d[t < 60], d[t >= t.max() - 60] if len(t) else d
    growth = float(np.polyfit(np.array(mem_t) / 60, mem, 1)[0]) if len(mem) >= 3 else None
    figures = LongFigures(
        minutes=minutes,
        identity_mean=float(d.mean()) if len(d) else None,
        drift_per_min=drift,
        first_vs_last=float(last.mean() - first.mean()) if len(first) and len(last) else None,
        frame_ms=float(frame_ms.mean()),
        frame_ms_p95=float(np.percentile(frame_ms, 95)),
        realtime_factor=float(frame_ms.sum() / 1000 / (len(track) / fps)),
        memory_mb=mem[-1] if mem else rss_mb(),
        memory_growth_mb_per_min=growth,
        lost=lost,
    )
    n10 = max(1, round(10 * fps))
    means = [frame_ms[i : i + n10].mean() for i in range(0, len(frame_ms), n10)]
    trace = {
        "id_t": t, "id": d, "t": np.arange(len(means)) * n10 / fps,
        "frame_ms": np.array(means), "mem_t": np.array(mem_t), "mem_mb": np.array(mem),
    }  # fmt: skip
    return figures, trace
