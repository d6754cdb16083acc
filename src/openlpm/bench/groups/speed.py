"""Speed: motion and render time per frame, frames per second and real-time factor (from the
speaking group's videos, one thread of work on a shared machine), and the Online path's
audio-in to frame-out latency, simulated live: 20 ms audio chunks arrive in real time, and
each frame is drawn as soon as the stream releases it."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from openlpm.bench.context import Context
from openlpm.bench.groups.speaking import pairs, speaking_run
from openlpm.bench.results import GroupResult, Item, Metric, Row, Table

CHUNK_S = 0.02  # live audio arrives in chunks this long


@dataclass(frozen=True)
class SpeedFigures:
    motion_ms: float  # per frame
    render_ms: float
    fps: float  # frames per second, motion + render
    realtime_factor: float  # (motion + render) / audio duration
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None


METRICS = (
    Metric("motion_ms", "motion", "ms/frame", "lower", 2),
    Metric("render_ms", "render", "ms/frame", "lower", 2),
    Metric("fps", "frames/s", "", "higher", 0, "motion + render"),
    Metric("realtime_factor", "RTF", "", "lower", 3, "(motion + render) time / audio time"),
    Metric("latency_p50_ms", "latency p50", "ms", "lower", 0,
           "Online: audio in to frame out (look-ahead + buffering + compute)"),
    Metric("latency_p95_ms", "latency p95", "ms", "lower", 0, ""),
)  # fmt: skip


def run(ctx: Context) -> GroupResult:
    work = pairs(ctx)
    rows, items = [], []
    for system in ctx.options.rendered:
        runs = [speaking_run(ctx, system, clip, portrait) for clip, portrait in work]
        if not runs:
            continue
        frames = sum(r.frames for r in runs)
        motion = sum(r.motion_s for r in runs)
        render = sum(r.render_s for r in runs)
        audio_s = sum(c.audio.duration for c, _ in work)
        p50 = p95 = None
        if system == "online":
            p50, p95 = online_latency(ctx, work[0][0].audio, work[0][1])
        busy = motion + render
        fig = SpeedFigures(
            1000 * motion / frames, 1000 * render / frames, frames / busy, busy / audio_s, p50, p95
        )
        rows.append(Row(system, asdict(fig), len(runs)))
        items.append(Item(system, f"{len(runs)} speaking videos", "", asdict(fig)))
    notes = (
        "timings are wall-clock on this machine while other work may share it; they vary from "
        "run to run (every other figure of the report is deterministic)",
        f"rendered at {ctx.options.render_size} px long side; video encoding not included",
    )
    table = Table("Speed", METRICS, tuple(rows))
    return GroupResult("speed", "Speed", __doc__.replace("\n", " "), (table,), tuple(items),
                       (), notes)  # fmt: skip


def online_latency(ctx: Context, audio, portrait) -> tuple[float, float]:
    """p50 and p95 of (time a frame is drawn) - (time its moment was heard), in ms."""
    from openlpm.motion.online import OnlineModel
    from openlpm.render.renderer import Renderer

    fps = ctx.options.fps
    x = audio.resampled(16000).samples
    stream = OnlineModel.load().stream(fps, ctx.options.seed)
    renderer = Renderer(ctx.rig(portrait), ctx.options.render_size)
    step = round(CHUNK_S * 16000)
    latencies, emitted = [], 0
    for start in range(0, len(x), step):
        arrived = (start + step) / 16000  # audio time when this chunk is complete
        t0 = time.perf_counter()
        for pose in stream.push(x[start : start + step]):
            renderer.render(pose)
            compute = time.perf_counter() - t0
            latencies.append(1000 * (arrived - emitted / fps + compute))
            emitted += 1
    lat = np.array(latencies)
    return float(np.percentile(lat, 50)), float(np.percentile(lat, 95))
