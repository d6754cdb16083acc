"""Lay a plan over an existing performance."""

from __future__ import annotations

import numpy as np

from openlpm.motion.frame import MotionTrack
from openlpm.prompts.actions import ACTIONS
from openlpm.prompts.canvas import Canvas
from openlpm.prompts.emotions import paint_emotion
from openlpm.prompts.plan import PromptPlan
from openlpm.prompts.schedule import schedule


def apply_plan(
    plan: PromptPlan, track: MotionTrack, start: float = 0.3, seed: int = 0
) -> MotionTrack:
    """``track`` with the plan's actions and emotions added from ``start`` seconds (or at the
    times a timeline gives). Steps running past the end of the track are cut there; use
    :func:`openlpm.prompts.total_duration` to make the track long enough. Lip-sync channels
    are never written (see :mod:`openlpm.prompts.actions`)."""
    if start < 0:
        raise ValueError(f"start must not be negative, got {start}")
    canvas = Canvas(len(track), track.fps)
    rng = np.random.default_rng(seed)
    for cue in schedule(plan, start, track.duration):
        step = cue.step
        seg = canvas.segment(cue.start, cue.end, step.count, step.intensity, rng)
        if step.kind == "emotion":
            paint_emotion(canvas, seg, step.name)
        else:
            ACTIONS[step.name].paint(canvas, seg)
    return MotionTrack(canvas.paint_over(track.values), track.fps)
