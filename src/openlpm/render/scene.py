"""Several characters in one picture: each has its own rig (its own share of the image, see
character.segment.own_region) and is rendered in turn on top of the others' result."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from openlpm.character.rig import Rig
from openlpm.errors import InputError
from openlpm.motion.frame import MotionFrame
from openlpm.render.renderer import DEFAULT_SIZE, Renderer


class Scene:
    def __init__(self, rigs: Sequence[Rig], size: int = DEFAULT_SIZE) -> None:
        if not rigs:
            raise InputError("a scene needs at least one character")
        sizes = {rig.size for rig in rigs}
        if len(sizes) > 1:
            raise InputError(
                f"the characters come from pictures of different sizes: {sorted(sizes)}"
            )
        self.renderers = [Renderer(rig, size) for rig in rigs]

    @property
    def size(self) -> tuple[int, int]:
        return self.renderers[0].size

    def render(self, poses: Sequence[MotionFrame]) -> np.ndarray:
        """(H, W, 3) uint8 RGB with every character in its pose (one pose per character)."""
        if len(poses) != len(self.renderers):
            raise ValueError(
                f"{len(self.renderers)} characters need as many poses, got {len(poses)}"
            )
        frame = None
        for renderer, pose in zip(self.renderers, poses, strict=True):
            frame = renderer.render(pose, backdrop=frame)
        return frame
