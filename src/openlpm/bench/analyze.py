"""Measure a video, from its pixels only: face signals per frame, identity, thumbnails.

:func:`analyze_frames` takes an iterable of RGB frames (rendered by any system, or decoded
from a real video) and nothing else; the renderer's MotionFrames never reach it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import cv2
import numpy as np

from openlpm.analysis import FaceAnalyzer
from openlpm.analysis.mouth_interior import OPEN_GAP, interior_stats
from openlpm.bench import identity
from openlpm.bench.metrics.detail import face_detail
from openlpm.bench.metrics.head import landmark_jump

THUMB = 160  # pixels, long side of the frames kept for contact sheets

_FIELDS = ("gap", "width", "lift", "ear_left", "ear_right", "brow", "yaw", "pitch", "roll")


@dataclass(frozen=True, eq=False)
class FaceSeries:
    """Per-frame measurements, NaN where no face was found. Ratios are per face height."""

    fps: float
    found: np.ndarray  # bool
    gap: np.ndarray  # inner-lip opening
    width: np.ndarray  # mouth corner to corner
    lift: np.ndarray  # mouth corners above the lip centre (smile +)
    ear_left: np.ndarray
    ear_right: np.ndarray
    brow: np.ndarray  # brow height above the eye corners
    yaw: np.ndarray  # degrees
    pitch: np.ndarray
    roll: np.ndarray
    jump: np.ndarray  # mean landmark displacement from the previous frame
    # variance of the Laplacian over the face box, mouth left out (bench.metrics.detail)
    detail: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return len(self.found)

    @property
    def duration(self) -> float:
        return len(self) / self.fps

    @property
    def detection_rate(self) -> float:
        return float(self.found.mean()) if len(self) else 0.0

    @property
    def ear(self) -> np.ndarray:
        return (self.ear_left + self.ear_right) / 2

    def window(self, start: int, end: int) -> FaceSeries:
        """Frames [start, end) as a series of their own."""
        arrays = {f: getattr(self, f)[start:end] for f in (*_FIELDS, "found", "jump", "detail")}
        return FaceSeries(self.fps, **arrays)


@dataclass(frozen=True, eq=False)
class IdentityTrace:
    times: np.ndarray  # seconds
    distances: np.ndarray  # to the reference descriptor; NaN where no face


@dataclass(frozen=True, eq=False)
class InteriorTrace:
    """Per frame, what the open mouth shows (see openlpm.analysis.mouth_interior); NaN where
    the lips are within OPEN_GAP of each other or no face was found."""

    dark: np.ndarray  # near-black share inside the inner-lip contour
    teeth: np.ndarray  # bright low-saturation share
    saturation: np.ndarray  # mean HSV saturation


@dataclass(frozen=True, eq=False)
class VideoAnalysis:
    series: FaceSeries
    identity: IdentityTrace | None
    thumbs: tuple[tuple[float, np.ndarray], ...] = field(default=())  # (seconds, small RGB)
    analysis_s: float = 0.0  # time spent measuring (not producing the frames)
    interior: InteriorTrace | None = None


def reference_descriptor(rgb: np.ndarray) -> np.ndarray | None:
    """The identity reference of a still image (None when no face is found in it)."""
    with FaceAnalyzer(video=False) as analyzer:
        landmarks = analyzer.landmarks(rgb)
    return None if landmarks is None else identity.descriptor(rgb, landmarks)


def analyze_frames(
    frames: Iterable[np.ndarray],
    fps: float,
    reference: np.ndarray | None = None,
    identity_every_s: float = 1.0,
    thumb_times: tuple[float, ...] = (),
    measure_every: int = 1,
    on_frame: Callable[[int], None] | None = None,
) -> VideoAnalysis:
    """Measure consecutive frames of one video (face tracking). ``reference``: the identity
    descriptor to compare with every ``identity_every_s`` seconds (None: first frame's).
    ``measure_every`` > 1 measures only every k-th frame (long runs); the rest stay NaN."""
    rows: list[tuple[float, ...]] = []
    found: list[bool] = []
    jumps: list[float] = []
    details: list[float] = []
    id_times: list[float] = []
    id_dist: list[float] = []
    thumbs: list[tuple[float, np.ndarray]] = []
    inside: list[tuple[float, float, float]] = []
    wanted = sorted(round(t * fps) for t in thumb_times)
    id_step = max(1, round(identity_every_s * fps))
    spent, previous = 0.0, None
    with FaceAnalyzer(video=True) as analyzer:
        for i, rgb in enumerate(frames):
            t0 = time.perf_counter()
            m = analyzer.measure(rgb) if i % measure_every == 0 else None
            found.append(m is not None)
            rows.append(_row(m))
            inside.append(_interior(rgb, m))
            current = None if m is None else m.landmarks
            jumps.append(landmark_jump(previous, current, m.face_height if m else 0.0))
            details.append(np.nan if m is None else face_detail(rgb, m.landmarks))
            previous = current
            if m is not None and i % id_step == 0:
                desc = identity.descriptor(rgb, m.landmarks)
                reference = desc if reference is None else reference
                id_times.append(i / fps)
                id_dist.append(identity.distance(desc, reference))
            if wanted and i == wanted[0]:
                thumbs.append((i / fps, _thumb(rgb)))
                wanted.pop(0)
            spent += time.perf_counter() - t0
            if on_frame:
                on_frame(i + 1)
    series = _series(fps, rows, found, jumps, details)
    trace = IdentityTrace(np.array(id_times), np.array(id_dist)) if id_times else None
    interior = InteriorTrace(*np.array(inside, np.float64).reshape(-1, 3).T)
    return VideoAnalysis(series, trace, tuple(thumbs), spent, interior)


def _row(m) -> tuple[float, ...]:
    if m is None:
        return (np.nan,) * len(_FIELDS)
    return (
        m.mouth_gap, m.mouth_width, m.mouth_corner_lift, m.ear_left, m.ear_right,
        m.brow_height, m.yaw, m.pitch, m.roll,
    )  # fmt: skip


def _interior(rgb: np.ndarray, m) -> tuple[float, float, float]:
    stats = None if m is None or m.mouth_gap <= OPEN_GAP else interior_stats(rgb, m.landmarks)
    return (np.nan,) * 3 if stats is None else (stats.dark, stats.teeth, stats.saturation)


def _series(
    fps: float, rows: list, found: list[bool], jumps: list[float], details: list[float]
) -> FaceSeries:
    table = np.array(rows, dtype=np.float64).reshape(len(rows), len(_FIELDS))
    columns = {name: table[:, k] for k, name in enumerate(_FIELDS)}
    return FaceSeries(
        fps, np.array(found, bool), jump=np.array(jumps), detail=np.array(details), **columns
    )


def _thumb(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = THUMB / max(h, w)
    return cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
