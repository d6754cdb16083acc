"""The shared state of one benchmark run: inputs, rigs, systems, and the rendered runs.

A run (system x portrait x input) is rendered and measured once and cached, so groups that
look at the same videos (speaking, character generalization, speed) share the work.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from openlpm.bench.analyze import VideoAnalysis, analyze_frames, reference_descriptor
from openlpm.bench.data import DataSet, Portrait
from openlpm.bench.options import BenchOptions
from openlpm.bench.progress import Progress
from openlpm.bench.systems import System, make_system
from openlpm.errors import OpenLPMError
from openlpm.io.audio import Audio
from openlpm.motion.frame import MotionTrack

THUMBS = 6  # frames kept per run for the contact sheets


@dataclass(frozen=True, eq=False)
class Run:
    system: str
    portrait: str
    item: str
    audio: Audio | None  # the audio the run is judged against (None: silent)
    analysis: VideoAnalysis
    motion_s: float  # producing the MotionTrack
    render_s: float  # drawing its frames

    @property
    def frames(self) -> int:
        return len(self.analysis.series)


@dataclass
class Context:
    options: BenchOptions
    data: DataSet
    progress: Progress
    out: Path
    notes: list[str] = field(default_factory=list)
    systems: dict[str, System] = field(default_factory=dict)
    runs: dict[tuple[str, str, str], Run] = field(default_factory=dict)
    cache: dict[str, object] = field(default_factory=dict)  # results groups share
    _rigs: dict[str, object] = field(default_factory=dict)
    _references: dict[str, np.ndarray | None] = field(default_factory=dict)

    def system(self, name: str) -> System:
        if name not in self.systems:
            self.systems[name] = make_system(name)
        return self.systems[name]

    def rig(self, portrait: Portrait):  # -> Rig | None
        """The portrait's rig; None (with a note) when it cannot be rigged."""
        if portrait.name not in self._rigs:
            from openlpm.character.rig import build_rig
            from openlpm.io.images import load_image

            try:
                self._rigs[portrait.name] = build_rig(load_image(portrait.path))
            except OpenLPMError as e:
                self._rigs[portrait.name] = None
                self.notes.append(f"{portrait.name}: no rig ({e}); left out of rendered groups")
        return self._rigs[portrait.name]

    def riggable(self) -> list[Portrait]:
        return [p for p in self.data.portraits if self.rig(p) is not None]

    def reference(self, portrait: Portrait) -> np.ndarray | None:
        """The portrait's own identity descriptor (from the image file, not the rig)."""
        if portrait.name not in self._references:
            from openlpm.io.images import load_image

            self._references[portrait.name] = reference_descriptor(load_image(portrait.path))
        return self._references[portrait.name]

    def still_detail(self, portrait: Portrait) -> float | None:
        """Face detail (bench.metrics.detail) of the portrait's neutral render at the bench size:
        what a speaking video's frames are compared with."""
        key = f"still_detail:{portrait.name}"
        if key not in self.cache:
            from openlpm.analysis import FaceAnalyzer
            from openlpm.bench.metrics.detail import face_detail
            from openlpm.motion.frame import MotionFrame
            from openlpm.render.renderer import Renderer

            still = Renderer(self.rig(portrait), self.options.render_size).render(
                MotionFrame.neutral()
            )
            with FaceAnalyzer(video=False) as analyzer:
                landmarks = analyzer.landmarks(still)
            self.cache[key] = None if landmarks is None else face_detail(still, landmarks)
        return self.cache[key]  # type: ignore[return-value]

    def render(
        self,
        system: str,
        portrait: Portrait,
        item: str,
        perform: Callable[[System], MotionTrack],
        audio: Audio | None,
    ) -> Run:
        """Perform, render and measure once per (system, portrait, item)."""
        key = (system, portrait.name, item)
        if key in self.runs:
            return self.runs[key]
        t0 = time.perf_counter()
        track = perform(self.system(system))
        motion_s = time.perf_counter() - t0
        self.progress.job(f"{system} · {portrait.name} · {item}", len(track))
        timer = [0.0]
        frames = _rendered(self.rig(portrait), track, self.options.render_size, timer)
        duration = len(track) / track.fps
        analysis = analyze_frames(
            frames,
            track.fps,
            reference=self.reference(portrait),
            identity_every_s=self.options.identity_every_s,
            thumb_times=tuple(duration * (k + 0.5) / THUMBS for k in range(THUMBS)),
            on_frame=lambda _i: self.progress.advance(),
        )
        run = Run(system, portrait.name, item, audio, analysis, motion_s, timer[0])
        self.runs[key] = run
        return run


def _rendered(rig, track: MotionTrack, size: int, timer: list[float]) -> Iterator[np.ndarray]:
    """The frames of ``track``, drawn one at a time; ``timer[0]`` accumulates the drawing time."""
    from openlpm.render.renderer import Renderer

    t0 = time.perf_counter()
    renderer = Renderer(rig, size)
    timer[0] += time.perf_counter() - t0
    for pose in track:
        t0 = time.perf_counter()
        frame = renderer.render(pose)
        timer[0] += time.perf_counter() - t0
        yield frame
