"""Lay a plan over an existing performance."""

from __future__ import annotations

import numpy as np

from openlpm.motion.frame import MotionTrack
from openlpm.prompts.actions import ACTIONS
from openlpm.prompts.canvas import Canvas, hold
from openlpm.prompts.emotions import RAMP_S, paint_emotion
from openlpm.prompts.plan import PromptPlan
from openlpm.prompts.schedule import schedule
from openlpm.prompts.style import STYLES, restyle


def apply_plan(
    plan: PromptPlan, track: MotionTrack, start: float = 0.3, seed: int = 0
) -> MotionTrack:
    """``track`` with the plan's actions and emotions added from ``start`` seconds (or at the
    times a timeline gives). Steps running past the end of the track are cut there; use
    :func:`openlpm.prompts.total_duration` to make the track long enough. Lip-sync channels
    are written only by the teeth a grin or laugh bares where the lips rest, never on a frame
    where lip sync moves them (see :mod:`openlpm.prompts.teeth`)."""
    if start < 0:
        raise ValueError(f"start must not be negative, got {start}")
    canvas = Canvas(len(track), track.fps)
    rng = np.random.default_rng(seed)
    values = track.values
    for cue in schedule(plan, start, track.duration):
        step = cue.step
        seg = canvas.segment(cue.start, cue.end, step.count, step.intensity, rng)
        if step.kind == "emotion":
            paint_emotion(canvas, seg, step.name)
            values = _restyled(values, track.fps, canvas.times, cue)
        else:
            ACTIONS[step.name].paint(canvas, seg)
    return MotionTrack(canvas.paint_over(values), track.fps)


def _restyled(values: np.ndarray, fps: float, times: np.ndarray, cue) -> np.ndarray:
    """The performance's own head motion in the emotion's style over its span (ramped in and
    out as the expression is; the intensity sets how far, up to 1.5 times)."""
    style = STYLES.get(cue.step.name)
    if style is None:
        return values
    weight = hold(times - cue.start, 0, cue.end - cue.start, RAMP_S)
    return restyle(values, fps, np.clip(weight * cue.step.intensity, 0, 1.5), style)
