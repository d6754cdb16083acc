"""Live Link Face CSV: the take format of Epic's iPhone app, read by Unreal's importer,
Blender and Maya add-ons.

Columns: ``Timecode`` (HH:MM:SS:FF.mmm, FF = frame within the second at the file's fps),
``BlendShapeCount`` (61), the 52 ARKit shapes in the app's order with its capitalised names
(EyeBlinkLeft ... TongueOut), then HeadYaw, HeadPitch, HeadRoll, LeftEyeYaw, LeftEyePitch,
LeftEyeRoll, RightEyeYaw, RightEyePitch, RightEyeRoll in radians. Head signs follow openlpm
(+yaw: face turns to the character's left; +pitch: chin up; +roll: toward the left
shoulder); eye yaw + is toward the character's left, eye pitch + is up, estimated from the
eyeLook shapes (1.0 = EYE_RANGE_DEG).
"""

from __future__ import annotations

import math
import os

from openlpm.motion.frame import MotionFrame
from openlpm.sinks.textfile import AtomicText
from openlpm.stream.frames import VideoFrame

SHAPES: tuple[str, ...] = (
    "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft",
    "EyeSquintLeft", "EyeWideLeft", "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight",
    "EyeLookOutRight", "EyeLookUpRight", "EyeSquintRight", "EyeWideRight",
    "JawForward", "JawRight", "JawLeft", "JawOpen", "MouthClose", "MouthFunnel", "MouthPucker",
    "MouthRight", "MouthLeft", "MouthSmileLeft", "MouthSmileRight", "MouthFrownLeft",
    "MouthFrownRight", "MouthDimpleLeft", "MouthDimpleRight", "MouthStretchLeft",
    "MouthStretchRight", "MouthRollLower", "MouthRollUpper", "MouthShrugLower",
    "MouthShrugUpper", "MouthPressLeft", "MouthPressRight", "MouthLowerDownLeft",
    "MouthLowerDownRight", "MouthUpperUpLeft", "MouthUpperUpRight", "BrowDownLeft",
    "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft", "BrowOuterUpRight", "CheekPuff",
    "CheekSquintLeft", "CheekSquintRight", "NoseSneerLeft", "NoseSneerRight", "TongueOut",
)  # fmt: skip
ANGLES: tuple[str, ...] = (
    "HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
    "RightEyeYaw", "RightEyePitch", "RightEyeRoll",
)  # fmt: skip
HEADER = ("Timecode", "BlendShapeCount", *SHAPES, *ANGLES)
EYE_RANGE_DEG = 30.0  # eye rotation at an eyeLook weight of 1


def timecode(t: float, fps: float) -> str:
    """HH:MM:SS:FF.mmm: FF the frame in the second, .mmm the fraction of a frame."""
    frames = t * fps
    whole = math.floor(frames + 1e-6)
    seconds, frame = divmod(whole, round(fps)) if float(fps).is_integer() else (int(t), 0)
    sub = max(0.0, frames - whole)
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}:{int(frame):02d}.{round(sub * 1000) % 1000:03d}"


def row(pose: MotionFrame, t: float, fps: float) -> list[str]:
    shapes = [pose[name[0].lower() + name[1:]] for name in SHAPES]
    eye = math.radians(EYE_RANGE_DEG)
    left_yaw = (pose["eyeLookOutLeft"] - pose["eyeLookInLeft"]) * eye
    right_yaw = (pose["eyeLookInRight"] - pose["eyeLookOutRight"]) * eye
    left_pitch = (pose["eyeLookUpLeft"] - pose["eyeLookDownLeft"]) * eye
    right_pitch = (pose["eyeLookUpRight"] - pose["eyeLookDownRight"]) * eye
    head = [math.radians(pose[n]) for n in ("headYaw", "headPitch", "headRoll")]
    angles = [*head, left_yaw, left_pitch, 0.0, right_yaw, right_pitch, 0.0]
    return [timecode(t, fps), str(len(SHAPES) + len(ANGLES))] + [
        f"{v:.6f}" for v in shapes + angles
    ]


class LiveLinkCsvSink:
    def __init__(self, path: str | os.PathLike[str], fps: float) -> None:
        self.fps = fps
        self._out = AtomicText(path)
        self._out.write(",".join(HEADER) + "\n")

    def write(self, frame: VideoFrame) -> None:
        self._out.write(",".join(row(frame.pose, frame.pts, self.fps)) + "\n")

    def close(self) -> None:
        self._out.close()

    def abort(self) -> None:
        self._out.abort()
