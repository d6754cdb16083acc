"""When a prompt may bare the teeth: only while the lips are at rest, never during speech.

A grin or a laugh shows teeth by raising the upper lip, lowering the lower one and (a laugh)
dropping the jaw. Those are lip sync's channels: written during speech they would open the
p/b/m closures. So the teeth a prompt asks for are multiplied by a *rest gate* read from the
lip-sync track itself: 0 on every frame where a lip channel is away from rest (speech, a
closure) and rising to 1 once the lips have rested for ``RAMP_S`` on both sides. A grin while
talking is a closed-lip smile that talks; in a pause or in silence it shows the teeth.

Offline the whole track is known (:func:`rest_gate`, symmetric); live only the past and the
voice's look-ahead are (:class:`LiveRestGate`, which lets go at once when the lips move).
"""

from __future__ import annotations

import numpy as np

from openlpm.motion.params import PARAM_INDEX
from openlpm.motion.visemes import MOUTH_CHANNELS

# The opening channels lip sync owns (pucker and funnel only round the lips, prompts may add them).
LIP_CHANNELS: tuple[str, ...] = tuple(
    c for c in MOUTH_CHANNELS if c not in ("mouthPucker", "mouthFunnel")
)
# What a prompt may write there, through the gate only.
TEETH_CHANNELS: tuple[str, ...] = (
    "jawOpen", "mouthUpperUpLeft", "mouthUpperUpRight", "mouthLowerDownLeft",
    "mouthLowerDownRight",
)  # fmt: skip
# A lip channel under this counts as at rest: the mouth of a pause drifts up to ~0.05, every
# viseme (a p/b/m press 0.35, the lightest jaw 0.09) is well above.
REST_LEVEL = 0.06
RAMP_S = 0.25  # the gate reaches 1 this long from the nearest frame of moving lips
_LIPS = [PARAM_INDEX[c] for c in LIP_CHANNELS]


def lips_moving(values: np.ndarray) -> np.ndarray:
    """(frames,) True where any lip-sync channel of a (frames, PARAMS) track is off rest."""
    return np.any(np.abs(values[:, _LIPS]) > REST_LEVEL, axis=1)


def _ease(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def rest_gate(values: np.ndarray, fps: float) -> np.ndarray:
    """(frames,) 0..1: exactly 0 where the lips move, 1 from RAMP_S away from any such frame."""
    moving = lips_moving(values)
    if not moving.any():
        return np.ones(len(values))
    return _ease(_frames_to_nearest(moving) / (RAMP_S * fps))


def _frames_to_nearest(flags: np.ndarray) -> np.ndarray:
    """(frames,) float: how many frames each frame is from the nearest True one (at least one
    is True). In numpy: scipy.ndimage would cost a live process 40 MB of memory."""
    index = np.arange(len(flags), dtype=np.float64)
    before = np.maximum.accumulate(np.where(flags, index, -np.inf))
    after = np.minimum.accumulate(np.where(flags, index, np.inf)[::-1])[::-1]
    return np.minimum(index - before, after - index)


class LiveRestGate:
    """The gate frame by frame: it rises over RAMP_S of rest, drops to 0 on the first frame
    of moving lips, and when the voice already hears speech coming (``speech_ahead``) it lets
    go over ``LET_GO_S`` so the lips are back by the time the speech reaches them."""

    LET_GO_S = 0.08

    def __init__(self, fps: float) -> None:
        self.fps = fps
        self.rested_s = 0.0

    def step(self, vec: np.ndarray, speech_ahead: bool = False) -> float:
        if lips_moving(vec[None])[0]:
            self.rested_s = 0.0
        elif speech_ahead:
            step = RAMP_S / max(self.LET_GO_S * self.fps, 1.0)
            self.rested_s = max(0.0, min(self.rested_s, RAMP_S) - step)
        else:
            self.rested_s += 1.0 / self.fps
        return float(_ease(self.rested_s / RAMP_S))
