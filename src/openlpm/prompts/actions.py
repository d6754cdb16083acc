"""What each action does to the motion curves.

An action paints one :class:`~openlpm.prompts.canvas.Segment` (``count`` units filling its
duration) at intensity ``k`` (1 is a clear, natural-sized gesture). Head angles are degrees with
the signs of :mod:`openlpm.motion.params` (+yaw: face turns to the character's left; +pitch: chin
up; +roll: toward the left shoulder). Sides are the character's own.

The mouth's opening channels (jawOpen, mouthClose, press, roll, upper-up/lower-down, stretch,
tongue) belong to lip sync. Only "grin" and "laugh" reach them, through the canvas's gated
``bare_teeth`` layer (:mod:`openlpm.prompts.teeth`): the teeth show where the lips rest, and
while the character speaks the lips are lip sync's alone (a closed-lip smile that talks), so
no prompt can open the lips during a p/b/m closure. Only pout and purse lips add
mouthPucker/mouthFunnel, which round the lips without opening them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from openlpm.motion.behaviour import blink_curve, bump
from openlpm.prompts.canvas import Canvas, Segment, hold, holds, oscillation, pulses

Paint = Callable[[Canvas, Segment], None]
_SIGN = {"left": 1.0, "right": -1.0}


@dataclass(frozen=True)
class Action:
    paint: Paint
    unit_s: float  # the length of one unit (one nod, one wink, one hold) at speed 1


def _both(prefix: str) -> tuple[str, str]:
    return f"{prefix}Left", f"{prefix}Right"


def _sym(**amounts: float) -> dict[str, float]:
    """smile=0.5 -> mouthSmileLeft=0.5, mouthSmileRight=0.5 (names as ARKit prefixes)."""
    out: dict[str, float] = {}
    for prefix, amount in amounts.items():
        for name in _both(prefix):
            out[name] = amount
    return out


def nod(c: Canvas, s: Segment) -> None:
    c.add(s, pulses(s), headPitch=-7.0 * s.intensity)  # chin down, then back up


def shake_head(c: Canvas, s: Segment) -> None:
    c.add(s, oscillation(s), headYaw=9.0 * s.intensity)
    c.add(s, hold(s.u, 0, s.duration, 0.2), headPitch=-1.0 * s.intensity)


def tilt(side: str) -> Paint:
    def paint(c: Canvas, s: Segment) -> None:
        c.add(s, holds(s, 0.3), headRoll=_SIGN[side] * 9.0 * s.intensity)

    return paint


def wink(side: str) -> Paint:
    def paint(c: Canvas, s: Segment) -> None:
        unit = s.duration / s.count
        shut = sum(hold(s.u, i * unit + 0.2 * unit, 0.6 * unit, 0.2 * unit) for i in range(s.count))
        closed = np.minimum(shut, 1.0)
        zero = np.zeros_like(s.u)
        left, right = (closed, zero) if side == "left" else (zero, closed)
        c.set_lids(s, left, right, hold(s.u, 0, s.duration, 0.06))
        suffix = side.capitalize()
        c.add(s, closed, **{f"cheekSquint{suffix}": 0.35 * s.intensity})
        c.add(s, closed, **{f"mouthSmile{suffix}": 0.25 * s.intensity})

    return paint


def blink(c: Canvas, s: Segment) -> None:
    unit = s.duration / s.count
    lids = blink_curve(s.u, [i * unit + 0.04 for i in range(s.count)], s.fps)
    c.set_lids(s, lids, lids, hold(s.u, 0, s.duration, 0.04))


def close_eyes(c: Canvas, s: Segment) -> None:
    lids = holds(s, 0.15) * min(s.intensity, 1.0)
    c.set_lids(s, lids, lids, hold(s.u, 0, s.duration, 0.04))


def raise_eyebrows(c: Canvas, s: Segment) -> None:
    k = s.intensity
    c.add(s, holds(s, 0.2), browInnerUp=0.9 * k, **_sym(browOuterUp=0.8 * k, eyeWide=0.15 * k))


def raise_one_eyebrow(c: Canvas, s: Segment) -> None:
    k = s.intensity
    c.add(s, holds(s, 0.25), browOuterUpLeft=0.8 * k, browInnerUp=0.15 * k, browDownRight=0.35 * k)


def frown(c: Canvas, s: Segment) -> None:
    k = s.intensity
    c.add(s, holds(s, 0.3), **_sym(browDown=0.75 * k, mouthFrown=0.35 * k, eyeSquint=0.15 * k))


# A smile at intensity 1 and how intensity maps onto the shape: "broadly" (1.3) reaches the
# full smile from the resting one; "slightly" (0.5) lifts the corners about a third to a half
# as much. The power is under 1 because the renderer's lift is flat at small weights (on some
# faces a weight under 0.4 lifts nothing measurable) and grows faster toward the full shape.
SMILE, SMILE_CURVE = 0.75, 0.7


def smile(c: Canvas, s: Segment) -> None:
    k = s.intensity**SMILE_CURVE
    amounts = _sym(mouthSmile=SMILE * k, cheekSquint=0.35 * k, eyeSquint=0.12 * k)
    c.add(s, holds(s, 0.3), **amounts)


def grin(c: Canvas, s: Segment) -> None:
    k = s.intensity
    amounts = _sym(mouthSmile=0.9 * k, cheekSquint=0.5 * k, mouthDimple=0.3 * k, eyeSquint=0.25 * k)
    c.add(s, holds(s, 0.3), **amounts)
    # the upper lip up off the teeth, the lower one down a little: "grins broadly" (1.3)
    # reaches the renderer's full grin (upper 0.7, lower 0.3)
    c.bare_teeth(s, holds(s, 0.3), **_sym(mouthUpperUp=0.55 * k, mouthLowerDown=0.25 * k))


def smirk(c: Canvas, s: Segment) -> None:
    k = s.intensity
    shape = holds(s, 0.3)
    c.add(s, shape, mouthSmileLeft=0.6 * k, mouthDimpleLeft=0.3 * k, cheekSquintLeft=0.2 * k)
    c.add(s, shape, mouthLeft=0.15 * k)


def laugh(c: Canvas, s: Segment) -> None:
    k, shape = s.intensity, holds(s, 0.25)
    c.add(s, shape, **_sym(mouthSmile=0.85 * k, cheekSquint=0.6 * k, eyeSquint=0.45 * k))
    c.add(s, shape, browInnerUp=0.15 * k, headPitch=3.0 * k)  # head back
    bobs = np.sin(2 * np.pi * 3.5 * s.u) * shape  # the shoulders and head shake with it
    c.add(s, bobs, headPitch=1.5 * k, bodyY=0.006 * k)
    # an open laugh: teeth bared, the jaw dropping a little further on each "ha"
    has = (0.5 + 0.5 * np.sin(2 * np.pi * 3.5 * s.u)) * shape
    c.bare_teeth(s, shape, jawOpen=0.25 * k, **_sym(mouthUpperUp=0.35 * k, mouthLowerDown=0.3 * k))
    c.bare_teeth(s, has, jawOpen=0.12 * k)


def pout(c: Canvas, s: Segment) -> None:
    k = s.intensity
    c.add(s, holds(s, 0.3), mouthPucker=0.55 * k, mouthShrugLower=0.35 * k, browInnerUp=0.2 * k)
    c.add(s, holds(s, 0.3), **_sym(mouthFrown=0.15 * k))


def purse_lips(c: Canvas, s: Segment) -> None:
    k = s.intensity
    c.add(s, holds(s, 0.25), mouthPucker=0.35 * k, mouthShrugUpper=0.25 * k)
    c.add(s, holds(s, 0.25), mouthShrugLower=0.25 * k, mouthFunnel=0.1 * k)


def look(yaw: float, pitch: float, gaze_x: float, gaze_y: float, lids: float = 0.0) -> Paint:
    """Turn the head and, a little ahead of it, the eyes; hold; come back."""

    def paint(c: Canvas, s: Segment) -> None:
        k = s.intensity
        c.add(s, holds(s, 0.3), headYaw=yaw * k, headPitch=pitch * k)
        c.add(s, holds(s, 0.12), gazeX=gaze_x * k, gazeY=gaze_y * k)
        if lids:
            c.add(s, holds(s, 0.2), **_sym(eyeBlink=lids * k))

    return paint


def look_away(c: Canvas, s: Segment) -> None:
    side = float(s.rng.choice([-1.0, 1.0]))
    look(16.0 * side, -3.0, 0.7 * side, -0.15)(c, s)


def look_at_viewer(c: Canvas, s: Segment) -> None:
    c.pull_to_zero(s, holds(s, 0.25), headYaw=1, headPitch=1, gazeX=1, gazeY=1)


def roll_eyes(c: Canvas, s: Segment) -> None:
    k, arc = s.intensity, pulses(s)
    unit = s.duration / s.count
    sweep = np.cos(np.pi * ((s.u % unit) / unit))  # from one side, over the top, to the other
    c.add(s, arc, gazeY=0.85 * k, headPitch=3.0 * k)
    c.add(s, arc * sweep, gazeX=0.5 * k)


def squint(c: Canvas, s: Segment) -> None:
    k = s.intensity
    amounts = _sym(eyeSquint=0.7 * k, cheekSquint=0.25 * k, browDown=0.3 * k, eyeBlink=0.25 * k)
    c.add(s, holds(s, 0.25), **amounts)


def sigh(c: Canvas, s: Segment) -> None:
    k, d = s.intensity, s.duration
    inhale, exhale = bump(s.u, 0.35 * d, 0.7 * d), bump(s.u, 0.72 * d, 0.56 * d)
    c.add(s, inhale, bodyY=-0.02 * k, headPitch=2.5 * k, browInnerUp=0.25 * k)  # - is up
    c.add(s, exhale, bodyY=0.01 * k, headPitch=-4.0 * k, **_sym(eyeBlink=0.25 * k))


def shrug(c: Canvas, s: Segment) -> None:
    """Shoulders up to the ears and down again, brows and lower lip raised, a slight tilt."""
    k = s.intensity
    c.add(s, holds(s, 0.3), bodyShrug=0.9 * k, browInnerUp=0.35 * k, headRoll=3.0 * k,
          mouthShrugLower=0.35 * k, mouthFrownLeft=0.2 * k, mouthFrownRight=0.2 * k)  # fmt: skip


def bow_head(c: Canvas, s: Segment) -> None:
    c.add(s, holds(s, 0.35), headPitch=-14.0 * s.intensity, gazeY=-0.3 * s.intensity)


ACTIONS: dict[str, Action] = {
    "nod": Action(nod, 0.55),
    "shake head": Action(shake_head, 0.65),
    "tilt head left": Action(tilt("left"), 1.4),
    "tilt head right": Action(tilt("right"), 1.4),
    "wink left": Action(wink("left"), 0.5),
    "wink right": Action(wink("right"), 0.5),
    "blink": Action(blink, 0.4),
    "raise eyebrows": Action(raise_eyebrows, 1.0),
    "raise one eyebrow": Action(raise_one_eyebrow, 1.2),
    "frown": Action(frown, 1.4),
    "smile": Action(smile, 1.6),
    "grin": Action(grin, 1.6),
    "smirk": Action(smirk, 1.4),
    "laugh": Action(laugh, 1.8),
    "pout": Action(pout, 1.4),
    "purse lips": Action(purse_lips, 1.2),
    "look left": Action(look(13.0, 0.0, 0.6, 0.0), 1.4),
    "look right": Action(look(-13.0, 0.0, -0.6, 0.0), 1.4),
    "look up": Action(look(0.0, 10.0, 0.0, 0.6), 1.4),
    "look down": Action(look(0.0, -9.0, 0.0, -0.6, lids=0.2), 1.4),
    "look away": Action(look_away, 1.6),
    "look at the viewer": Action(look_at_viewer, 1.6),
    "close eyes": Action(close_eyes, 1.5),
    "roll eyes": Action(roll_eyes, 1.1),
    "squint": Action(squint, 1.3),
    "sigh": Action(sigh, 2.2),
    "shrug": Action(shrug, 1.3),
    "bow head": Action(bow_head, 1.6),
}
