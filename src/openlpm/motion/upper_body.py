"""The upper body's part of a performance: the shoulders rise with each breath, the character
leans in on emphasis while it speaks and when it listens attentively.

Kept in one place, apart from the head and face behaviour: the speaking model, the listener and
the live behaviour each call one function here.
"""

from __future__ import annotations

import numpy as np

from openlpm.motion import behaviour as B

BREATH_SHRUG = 0.12  # bodyShrug at the top of an inhale: the shoulders rise with the chest
BREATH_BODY_Y = -0.006  # bodyY (face heights) at the top of an inhale
EMPHASIS_LEAN = 0.03  # bodyLean on a strong accent: 3% closer to the camera
EMPHASIS_S = 0.9  # how long a lean on an accent lasts
ATTENTIVE_LEAN = 0.025  # bodyLean of a fully attentive listener


def breath_pose(inhale: np.ndarray | float) -> tuple[np.ndarray | float, np.ndarray | float]:
    """(bodyY, bodyShrug) for an inhale in [0, 1]: the chest rises and the shoulders with it."""
    return BREATH_BODY_Y * inhale, BREATH_SHRUG * inhale


def emphasis_lean(times: np.ndarray, accents: list[tuple[float, float]]) -> np.ndarray:
    """bodyLean: a short lean in toward the listener on each strong pitch accent."""
    lean = np.zeros_like(times)
    for t, strength in accents:
        if strength > 0.5:
            B.add_bump(lean, times, t + 0.1, EMPHASIS_S, EMPHASIS_LEAN * strength)
    return np.minimum(lean, 1.5 * EMPHASIS_LEAN)


def attentive_lean(attention: float) -> float:
    """bodyLean of a listener at ``attention`` in [0, 1]."""
    return ATTENTIVE_LEAN * attention
