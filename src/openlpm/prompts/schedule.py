"""When each step of a plan plays: start and end times in seconds.

Steps without ``at`` follow one another from ``start`` with a short gap (or share the previous
step's start when ``parallel``); a step with ``at`` starts there. An action lasts its ``duration``
or ``count`` units at its speed. An emotion lasts its ``duration`` or until the next emotion
starts; the last one colours to the end of the track (it does not ramp out there).
"""

from __future__ import annotations

from dataclasses import dataclass

from openlpm.prompts.actions import ACTIONS
from openlpm.prompts.emotions import RAMP_S
from openlpm.prompts.plan import PromptPlan, Step

GAP_S = 0.15  # between sequential actions: a beat, so two nods do not merge into one


@dataclass(frozen=True)
class Cue:
    step: Step
    start: float
    end: float


def natural_duration(step: Step) -> float:
    """How long an action takes when no duration is given."""
    return ACTIONS[step.name].unit_s * step.count / step.speed


def schedule(plan: PromptPlan, start: float, track_duration: float) -> tuple[Cue, ...]:
    """Start and end of every step, in plan order."""
    cursor = previous_start = start
    timed: list[tuple[Step, float, float | None]] = []
    for step in plan.steps:
        t0 = step.at if step.at is not None else (previous_start if step.parallel else cursor)
        end = t0 + step.duration if step.duration is not None else None
        if step.kind == "action":
            end = end if end is not None else t0 + natural_duration(step)
            cursor = max(cursor, end + GAP_S)
        timed.append((step, t0, end))
        previous_start = t0
    return tuple(Cue(s, t0, _emotion_end(timed, i, track_duration) if end is None else end)
                 for i, (s, t0, end) in enumerate(timed))  # fmt: skip


def _emotion_end(timed: list[tuple[Step, float, float | None]], i: int, track_end: float) -> float:
    """An open emotion runs until the next emotion that starts after it, or past the end."""
    t0 = timed[i][1]
    later = [start for s, start, _ in timed[i + 1 :] if s.kind == "emotion" and start > t0]
    return min(later) + RAMP_S if later else max(track_end, t0) + RAMP_S


def total_duration(plan: PromptPlan, start: float = 0.3) -> float:
    """When the last action ends: how long a track must be to show the whole plan."""
    cues = schedule(plan, start, 0.0)
    return max((c.end for c in cues if c.step.kind == "action"), default=start)
