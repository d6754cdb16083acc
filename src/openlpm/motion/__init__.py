"""Motion: the parameter space, poses and timelines, and the CSV interchange format."""

from openlpm.motion.frame import MotionFrame, MotionTrack
from openlpm.motion.params import BLENDSHAPES, BODY, HEAD, PARAMS

__all__ = ["BLENDSHAPES", "BODY", "HEAD", "PARAMS", "MotionFrame", "MotionTrack"]
