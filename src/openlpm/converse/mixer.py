"""The duplex mixer: one pose per frame from a speaking pose and a listening pose.

Causal and frame-synchronous, so the live engine and the offline renderer share it:

- the mouth always comes from the speaking pose (lip sync is never cross-faded or delayed;
  when the agent is silent that mouth is closed, as a listener's is);
- everything else cross-fades by the agent's activity, eased so a turn change never pops:
  a quick attack when the agent starts, a slower release after it stops, and a hangover
  that keeps the speaker's posture through the short pauses inside its own turn; the weight
  goes through two cascaded first-order stages, so the head starts and ends each switch at
  rest instead of leaping off at full speed (a switch is then no larger a step than the
  motion around it);
- blinks are never averaged (two half-closed lids read as a squint): the lids follow one
  source, switched where the speaking weight crosses 1/2, and only while both sources have
  their eyes open;
- overlap (the user talks over the agent): the agent keeps talking, and its attention to the
  user shows in the listener's gaze and brow raises laid over the speaking pose.
"""

from __future__ import annotations

import math

import numpy as np

from openlpm.motion.behaviour import ease
from openlpm.motion.params import PARAM_INDEX, PARAMS
from openlpm.motion.visemes import MOUTH_CHANNELS

ATTACK_S = 0.1  # listening -> speaking, per stage: the head is on its way by the first word
RELEASE_S = 0.3  # speaking -> listening, per stage: settle, do not snap
HANGOVER_S = 0.6  # pauses shorter than this stay inside the agent's turn
OVERLAP_S = 0.3  # how fast attention to an interrupting user shows
OVERLAP_GAZE = 0.7  # share of the listener's gaze while both talk
LIDS_OPEN = 0.1  # eyeBlink under this counts as open: the blink source may switch

MOUTH = np.array([PARAM_INDEX[n] for n in MOUTH_CHANNELS])
LIDS = np.array([PARAM_INDEX["eyeBlinkLeft"], PARAM_INDEX["eyeBlinkRight"]])
GAZE = np.array([i for i, n in enumerate(PARAMS) if n.startswith("eyeLook")])
BROWS = np.array([PARAM_INDEX[n] for n in ("browInnerUp", "browOuterUpLeft", "browOuterUpRight")])


class DuplexMixer:
    """Call :meth:`step` once per frame. ``speaking`` is the weight of the speaking pose."""

    def __init__(self, fps: float = 25.0) -> None:
        if not 1 <= fps <= 120:
            raise ValueError(f"fps must be within 1..120, got {fps}")
        self.dt = 1.0 / fps
        self.speaking = 0.0
        self.rising = 0.0  # the first of the two stages that ease ``speaking``
        self.overlap = 0.0
        self.since_agent = math.inf  # seconds since the agent's audio last had speech
        self.lids_from_speaker = False

    def step(
        self,
        speak: np.ndarray,
        listen: np.ndarray,
        agent_speaking: bool,
        user_speaking: bool = False,
    ) -> np.ndarray:
        """(len(PARAMS),) float32: this frame's pose."""
        self.since_agent = 0.0 if agent_speaking else self.since_agent + self.dt
        active = self.since_agent < HANGOVER_S
        time_s = ATTACK_S if active else RELEASE_S
        self.rising = ease(self.rising, float(active), self.dt, time_s)
        self.speaking = ease(self.speaking, self.rising, self.dt, time_s)
        both = active and user_speaking
        self.overlap = ease(self.overlap, float(both), self.dt, OVERLAP_S)

        w = self.speaking
        out = w * speak + (1 - w) * listen
        out[MOUTH] = speak[MOUTH]
        lean = OVERLAP_GAZE * self.overlap * w  # attention to the user, over the speaker
        out[GAZE] = (1 - lean) * out[GAZE] + lean * listen[GAZE]
        out[BROWS] = out[BROWS] + self.overlap * w * listen[BROWS]
        out[LIDS] = self._lids(speak, listen)
        return out.astype(np.float32)

    def _lids(self, speak: np.ndarray, listen: np.ndarray) -> np.ndarray:
        want_speaker = self.speaking > 0.5
        if want_speaker != self.lids_from_speaker:
            both_open = speak[LIDS].max() < LIDS_OPEN and listen[LIDS].max() < LIDS_OPEN
            if both_open:
                self.lids_from_speaker = want_speaker
        return speak[LIDS] if self.lids_from_speaker else listen[LIDS]
