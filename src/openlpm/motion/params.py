"""The motion parameter space: ARKit blendshapes, head rotation and a small body offset.

Blendshape names and meanings follow Apple ARKit's ``ARFaceAnchor.BlendShapeLocation``.
"Left" and "Right" are the character's own sides: for a character facing the viewer, its left
eye is on the right of the image.

Units:
- blendshapes: weight in [0, 1], 0 is the neutral (reference image) pose;
- ``headYaw``: degrees, + turns the face to the character's left (the nose moves to image right);
- ``headPitch``: degrees, + raises the chin (looks up);
- ``headRoll``: degrees, + tilts the head toward the character's left shoulder (the top of the
  head moves to image right);
- ``bodyX`` / ``bodyY``: body offset in face heights, + is image right / image down;
- ``bodyLean``: lean toward the camera, as the relative growth of the head and upper body
  (0.05: 5% larger), - leans back;
- ``bodyShrug``: weight in [0, 1], the shoulders raised toward the ears.
"""

from __future__ import annotations

BLENDSHAPES: tuple[str, ...] = (
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight",
    "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight",
    "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight",
    "eyeWideLeft", "eyeWideRight",
    "jawForward", "jawLeft", "jawOpen", "jawRight",
    "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight",
    "tongueOut",
)  # fmt: skip

HEAD: tuple[str, ...] = ("headYaw", "headPitch", "headRoll")
BODY: tuple[str, ...] = ("bodyX", "bodyY", "bodyLean", "bodyShrug")

PARAMS: tuple[str, ...] = BLENDSHAPES + HEAD + BODY
PARAM_INDEX: dict[str, int] = {name: i for i, name in enumerate(PARAMS)}

# Valid ranges, checked when curves are read; the renderer clips to them as well.
HEAD_LIMIT_DEG = 30.0  # degrees; turns within it do not fold the face (character/fold.py)
BODY_LIMIT = 0.25  # face heights
LEAN_LIMIT = 0.15  # relative size: beyond it the stretched torso no longer looks like a lean
RANGES: dict[str, tuple[float, float]] = {
    **{name: (0.0, 1.0) for name in BLENDSHAPES},
    **{name: (-HEAD_LIMIT_DEG, HEAD_LIMIT_DEG) for name in HEAD},
    "bodyX": (-BODY_LIMIT, BODY_LIMIT),
    "bodyY": (-BODY_LIMIT, BODY_LIMIT),
    "bodyLean": (-LEAN_LIMIT, LEAN_LIMIT),
    "bodyShrug": (0.0, 1.0),
}
