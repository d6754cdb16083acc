"""Expressions at full weight, as blendshape poses: what contact sheets and tests show.

Each is the classic facial-action recipe in ARKit terms (Ekman's FACS, as ARKit names it): a
Duchenne smile is lip corners up (AU12) with the cheeks raised (AU6), surprise is brows up
(AU1+2) with the eyes wide (AU5) and the jaw dropped (AU26), and so on. The prompt layer
(openlpm.prompts) has its own, intensity-scaled versions; these are the shapes at their extremes.
"""

from __future__ import annotations

from openlpm.motion.frame import MotionFrame


def _both(**amounts: float) -> dict[str, float]:
    return {f"{name}{side}": a for name, a in amounts.items() for side in ("Left", "Right")}


EXPRESSIONS: dict[str, dict[str, float]] = {
    "smile": _both(mouthSmile=1.0, cheekSquint=0.5),
    "grin": _both(
        mouthSmile=1.0, cheekSquint=0.6, mouthDimple=0.3, mouthUpperUp=0.7, mouthLowerDown=0.3
    ),
    # A wide open smile (AU6+12+25+26), not a dropped jaw with raised corners: the jaw's own
    # narrowing of the mouth made that an "ah". The corners stretch out (AU20, dimples), the
    # upper lip bares the teeth, the lower lip drops at the sides, the jaw opens less.
    "laugh": {
        **_both(
            mouthSmile=1.0,
            cheekSquint=0.8,
            eyeSquint=0.5,
            mouthUpperUp=0.5,
            mouthDimple=0.5,
            mouthStretch=0.4,
            mouthLowerDown=0.4,
        ),
        "jawOpen": 0.3,
    },
    "frown": {**_both(mouthFrown=1.0, browDown=0.6), "mouthShrugLower": 0.3},
    "surprise": {**_both(browOuterUp=1.0, eyeWide=1.0), "browInnerUp": 1.0, "jawOpen": 0.15},
    "anger": {**_both(browDown=1.0, eyeSquint=0.4, noseSneer=0.5, mouthPress=0.6)},
    "sadness": {**_both(mouthFrown=0.8, eyeBlink=0.2), "browInnerUp": 1.0, "mouthShrugLower": 0.5},
    "disgust": {**_both(noseSneer=1.0, mouthUpperUp=0.5, browDown=0.5, cheekSquint=0.4)},
}


def expression(name: str) -> MotionFrame:
    """The full-weight pose of one of :data:`EXPRESSIONS`."""
    if name not in EXPRESSIONS:
        raise ValueError(f"unknown expression {name!r}: use one of {', '.join(EXPRESSIONS)}")
    return MotionFrame.of(EXPRESSIONS[name])
