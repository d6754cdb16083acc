"""Figures of one speaking video, shared by the speaking group and the human reference."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from openlpm.audio.phones import PhoneTimeline
from openlpm.bench.analyze import FaceSeries, VideoAnalysis
from openlpm.bench.metrics.eyes import blinks
from openlpm.bench.metrics.head import head_stats, motion_energy, nods, speed_energy_r
from openlpm.bench.metrics.lips import aperture_stats, closure, false_motion, pause_mask
from openlpm.bench.metrics.signals import envelope, nanmean, nanmedian
from openlpm.bench.metrics.sync import SyncResult, acceptable, av_sync
from openlpm.bench.results import Metric, Row, Value
from openlpm.io.audio import Audio


@dataclass(frozen=True)
class SpeechFigures:
    correlation: float | None
    offset_ms: float | None
    confidence: float | None
    sync_ok: float | None  # 1 within ITU-R BT.1359's acceptable window, else 0
    closure: float | None
    closure_chance: float | None
    closure_beyond: float | None
    false_motion: float | None
    gap_mean: float | None  # inner-lip gap over the clip, face heights
    gap_p95: float | None
    blinks_per_min: float
    nods_per_min: float
    yaw_std: float | None
    pitch_std: float | None
    roll_std: float | None
    head_velocity: float | None
    speed_energy_r: float | None
    energy: float | None
    detection: float
    identity: float | None  # median distance to the reference
    interior_dark: float | None  # open-mouth frames: near-black share inside the inner lips
    interior_teeth: float | None  # bright low-saturation share
    interior_saturation: float | None  # mean saturation
    detail_kept: float | None = None  # needs a still render of the portrait: not for real videos

    def values(self) -> dict[str, Value]:
        return asdict(self)


SPEECH_METRICS: tuple[Metric, ...] = (
    Metric(
        "correlation",
        "aperture~envelope r",
        "",
        "higher",
        2,
        "Pearson correlation of the inner-lip gap with the speech loudness, zero shift",
    ),
    Metric(
        "offset_ms",
        "A/V offset",
        "ms",
        "zero",
        0,
        "shift of best aperture~envelope correlation; + = audio leads (median over clips)",
    ),
    Metric(
        "confidence",
        "sync conf.",
        "",
        "higher",
        3,
        "peak minus median correlation over -10..+10 frames (SyncNet's confidence)",
    ),
    Metric(
        "sync_ok",
        "in ITU window",
        "",
        "higher",
        2,
        "share of clips with the offset inside ITU-R BT.1359's acceptable -185..+90 ms",
    ),
    Metric(
        "closure",
        "p/b/m closed",
        "",
        "higher",
        2,
        "share of p/b/m phones with the lips closed within the phone +-1 frame",
    ),
    Metric(
        "closure_chance",
        "closed elsewhere",
        "",
        "",
        2,
        "the same test on all other phones: what closing by chance gives",
    ),
    Metric(
        "closure_beyond",
        "closure beyond chance",
        "",
        "higher",
        2,
        "p/b/m closure minus closure elsewhere",
    ),
    Metric(
        "false_motion",
        "open in pauses",
        "",
        "lower",
        3,
        "share of frames inside speech pauses (>= 0.3 s) with the mouth open",
    ),
    Metric(
        "gap_mean",
        "lip gap mean",
        "fh",
        "human",
        3,
        "inner-lip gap over the whole clip (pauses included), face heights",
    ),
    Metric(
        "gap_p95",
        "lip gap p95",
        "fh",
        "human",
        3,
        "95th percentile of the inner-lip gap: how wide the open vowels are",
    ),
    Metric("blinks_per_min", "blinks", "/min", "human", 1, "eye aspect ratio dips"),
    Metric("nods_per_min", "nods", "/min", "human", 1, "chin-down dips of the head pitch"),
    Metric("yaw_std", "yaw std", "deg", "human", 2, "head yaw from solvePnP on the landmarks"),
    Metric("pitch_std", "pitch std", "deg", "human", 2, ""),
    Metric("head_velocity", "head speed", "deg/s", "human", 1, "mean angular speed"),
    Metric(
        "speed_energy_r",
        "head speed~voice r",
        "",
        "human",
        2,
        "correlation of head speed with the speech envelope (0.7 s averages)",
    ),
    Metric(
        "energy",
        "motion energy",
        "fh/s",
        "human",
        3,
        "mean landmark speed in face heights per second",
    ),
    Metric("detection", "face found", "", "higher", 3, "share of frames with a face detected"),
    Metric(
        "identity",
        "identity dist.",
        "",
        "lower",
        3,
        "dlib 128-D descriptor distance to the portrait (same person < 0.6), median",
    ),
    Metric(
        "interior_dark",
        "mouth near-black",
        "",
        "human",
        3,
        "share of pixels with HSV value < 40 inside the inner-lip contour, frames with the "
        "lips apart > 0.04 face heights (real speakers: 0.01-0.17)",
    ),
    Metric(
        "interior_teeth",
        "mouth teeth",
        "",
        "human",
        3,
        "share of bright (value >= 150) low-saturation (<= 0.35) pixels in the same openings",
    ),
    Metric(
        "interior_saturation",
        "mouth saturation",
        "",
        "human",
        3,
        "mean HSV saturation in the same openings",
    ),
    Metric(
        "detail_kept",
        "detail kept",
        "",
        "higher",
        2,
        "median Laplacian variance in the face box (mouth left out) over a still render's",
    ),
)


def speech_figures(
    analysis: VideoAnalysis, audio: Audio, phones: PhoneTimeline | None
) -> tuple[SpeechFigures, SyncResult]:
    s = analysis.series
    env = envelope(audio, s.fps, len(s))
    sync = av_sync(s.gap, env, s.fps)
    closed = closure(phones, s.gap, s.fps) if phones is not None else None
    head = head_stats(s.yaw, s.pitch, s.roll, s.fps, s.gap, s.ear)
    minutes = s.duration / 60
    aperture = aperture_stats(s.gap)
    figures = SpeechFigures(
        correlation=sync.correlation,
        offset_ms=sync.offset_ms,
        confidence=sync.confidence,
        sync_ok=None if sync.offset_ms is None else float(acceptable(sync.offset_ms)),
        closure=closed.rate if closed else None,
        closure_chance=closed.chance if closed else None,
        closure_beyond=closed.beyond_chance if closed else None,
        false_motion=false_motion(s.gap, pause_mask(audio, s.fps, len(s))),
        gap_mean=aperture.mean,
        gap_p95=aperture.p95,
        blinks_per_min=blinks(s.ear_left, s.ear_right, s.fps).per_minute,
        nods_per_min=len(nods(s.pitch, s.fps, s.gap, s.ear)) / minutes if minutes else 0.0,
        yaw_std=head.yaw_std,
        pitch_std=head.pitch_std,
        roll_std=head.roll_std,
        head_velocity=head.velocity,
        speed_energy_r=speed_energy_r(s.yaw, s.pitch, s.roll, env, s.fps, s.gap, s.ear),
        energy=motion_energy(s.jump, s.fps),
        detection=s.detection_rate,
        identity=identity_median(analysis),
        **interior_means(analysis),
    )
    return figures, sync


def interior_means(analysis: VideoAnalysis) -> dict[str, float | None]:
    """The interior statistics averaged over the open-mouth frames (None: never open)."""
    trace = analysis.interior
    names = ("dark", "teeth", "saturation")
    if trace is None or not np.isfinite(trace.dark).any():
        return {f"interior_{n}": None for n in names}
    return {f"interior_{n}": nanmean(getattr(trace, n)) for n in names}


def identity_median(analysis: VideoAnalysis) -> float | None:
    trace = analysis.identity
    return None if trace is None else nanmedian(trace.distances)


def aggregate(label: str, items: list[dict[str, Value]], medians: tuple[str, ...] = ()) -> Row:
    """One table row: the mean of every figure over the items (median for ``medians``)."""
    keys = dict.fromkeys(k for it in items for k in it)
    values: dict[str, Value] = {}
    for k in keys:
        numbers = [it.get(k) for it in items]
        numbers = [float(x) for x in numbers if isinstance(x, int | float)]
        values[k] = (nanmedian if k in medians else nanmean)(numbers) if numbers else None
    return Row(label, values, len(items))


def active(series: FaceSeries) -> bool:
    return bool(np.isfinite(series.gap).any())
