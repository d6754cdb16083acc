"""Thinking before speaking: in the moment before its own turn, a listener looks away (up and
to a side, the head turning a little with the eyes) and comes back to the user as it starts
to talk, as people do while they plan what to say (gaze aversion at turn beginnings: Kendon
1967; Ho, Foulsham and Kingstone 2015).

Applied to the listening pose only where the character's next turn is known ahead (offline,
or a reply already queued), so the mixer hands over from a thoughtful glance to the speaker.
"""

from __future__ import annotations

import numpy as np

from openlpm.motion.behaviour import bump
from openlpm.motion.params import PARAM_INDEX

THINK_S = 0.9  # the glance spans this long before the first word
QUIET_BEFORE_S = 1.5  # only for a turn after at least this much of the character's silence
GAZE = (0.35, 0.25)  # eyes: sideways, up (-1..1)
HEAD_DEG = (4.0, 2.0)  # yaw toward the glance, chin up

_I = PARAM_INDEX


def turn_starts(agent_on: np.ndarray, fps: float) -> list[int]:
    """Frames where the character starts a turn after QUIET_BEFORE_S of its own silence."""
    quiet = round(QUIET_BEFORE_S * fps)
    on = np.flatnonzero(agent_on[1:] & ~agent_on[:-1]) + 1
    return [int(i) for i in on if i >= quiet and not agent_on[i - quiet : i].any()]


def think_before_turns(
    listening: np.ndarray, agent_on: np.ndarray, fps: float, rng: np.random.Generator
) -> np.ndarray:
    """(frames, PARAMS) listening poses with a glance away before each of the agent's turns."""
    out = listening.copy()
    times = np.arange(len(out)) / fps
    for start in turn_starts(np.asarray(agent_on, bool), fps):
        t0 = start / fps
        side = float(rng.choice([-1.0, 1.0]))
        lo, hi = np.searchsorted(times, [t0 - THINK_S, t0 + 0.2])
        shape = bump(times[lo:hi], t0 - THINK_S / 2 + 0.1, THINK_S + 0.2)
        x, y = side * GAZE[0] * shape, GAZE[1] * shape
        left, right = np.clip(x, 0, 1), np.clip(-x, 0, 1)
        for name, add in (("eyeLookOutLeft", left), ("eyeLookInRight", left),
                          ("eyeLookInLeft", right), ("eyeLookOutRight", right),
                          ("eyeLookUpLeft", y), ("eyeLookUpRight", y)):  # fmt: skip
            out[lo:hi, _I[name]] = np.clip(out[lo:hi, _I[name]] + add, 0, 1)
        out[lo:hi, _I["headYaw"]] += side * HEAD_DEG[0] * shape
        out[lo:hi, _I["headPitch"]] += HEAD_DEG[1] * shape
    return out
