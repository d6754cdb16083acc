"""What each emotion does: an expression offset held over its span, with smooth 0.3 s ramps.

Offsets add to the performance (the character keeps talking, blinking and moving); "calm" and
"neutral" also pull some curves toward rest. Emotions never write the mouth's opening channels
(only the actions grin and laugh do, through the gated teeth layer), so "surprised" raises the
brows and widens the eyes with the jaw left to lip sync.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openlpm.prompts.canvas import Canvas, Segment, hold

RAMP_S = 0.3


def _sym(**amounts: float) -> dict[str, float]:
    return {f"{p}{side}": a for p, a in amounts.items() for side in ("Left", "Right")}


@dataclass(frozen=True)
class Expression:
    offsets: dict[str, float]  # column -> amount at intensity 1
    pulls: dict[str, float] = field(default_factory=dict)  # column -> 0..1 pull toward rest


EXPRESSIONS: dict[str, Expression] = {
    "happy": Expression(
        {**_sym(mouthSmile=0.45, cheekSquint=0.3, eyeSquint=0.12), "browInnerUp": 0.08}
    ),
    "sad": Expression(
        {**_sym(mouthFrown=0.45, browDown=0.15, eyeBlink=0.15), "browInnerUp": 0.6,
         "mouthShrugLower": 0.25, "gazeY": -0.2, "headPitch": -4.0}
    ),
    "angry": Expression(
        {**_sym(browDown=0.8, eyeSquint=0.3, noseSneer=0.3, mouthFrown=0.25), "headPitch": -3.0}
    ),
    "surprised": Expression(
        {**_sym(browOuterUp=0.7, eyeWide=0.7), "browInnerUp": 0.75, "headPitch": 2.0}
    ),
    "fearful": Expression(
        {**_sym(browOuterUp=0.35, eyeWide=0.6, mouthFrown=0.25), "browInnerUp": 0.7,
         "headPitch": -3.0}
    ),
    "disgusted": Expression(
        {**_sym(noseSneer=0.65, browDown=0.45, eyeSquint=0.3, mouthFrown=0.3, cheekSquint=0.2),
         "mouthShrugUpper": 0.35, "headYaw": -4.0}
    ),
    "thoughtful": Expression(
        {"browInnerUp": 0.25, "browDownLeft": 0.2, "gazeX": 0.3, "gazeY": 0.35, "headRoll": 4.0,
         "mouthLeft": 0.15}
    ),
    "shy": Expression(
        {**_sym(mouthSmile=0.25, cheekSquint=0.15), "gazeX": 0.15, "gazeY": -0.45,
         "headPitch": -6.0, "headRoll": 4.0}
    ),
    "excited": Expression(
        {**_sym(mouthSmile=0.55, cheekSquint=0.35, browOuterUp=0.35, eyeWide=0.35),
         "browInnerUp": 0.35, "headPitch": 2.0}
    ),
    "calm": Expression(
        _sym(mouthSmile=0.15, eyeBlink=0.15),
        {"headYaw": 0.4, "headPitch": 0.4, "headRoll": 0.4, "browInnerUp": 0.5},
    ),
    "neutral": Expression(
        {},
        {**_sym(mouthSmile=0.8, cheekSquint=0.8, eyeSquint=0.8, browDown=0.8, browOuterUp=0.8,
                eyeWide=0.8, mouthFrown=0.8), "browInnerUp": 0.8},
    ),
}  # fmt: skip


def paint_emotion(c: Canvas, s: Segment, name: str) -> None:
    """The expression over the segment, ramping in and out over RAMP_S."""
    e = EXPRESSIONS[name]
    shape = hold(s.u, 0, s.duration, RAMP_S)
    c.add(s, shape, **{k: v * s.intensity for k, v in e.offsets.items()})
    c.pull_to_zero(s, shape, **{k: min(v * s.intensity, 1.0) for k, v in e.pulls.items()})
