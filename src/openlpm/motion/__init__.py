"""Motion: the parameter space, poses and timelines, and the CSV interchange format."""

from openlpm.motion.curves import read_curves, write_curves
from openlpm.motion.frame import MotionFrame, MotionTrack
from openlpm.motion.params import BLENDSHAPES, BODY, HEAD, PARAMS

__all__ = [
    "BLENDSHAPES",
    "BODY",
    "HEAD",
    "PARAMS",
    "MotionFrame",
    "MotionTrack",
    "read_curves",
    "write_curves",
]
