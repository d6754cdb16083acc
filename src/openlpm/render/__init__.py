"""Rendering: a Rig plus a MotionFrame -> an RGB frame."""

from openlpm.render.renderer import DEFAULT_SIZE, Renderer, output_size

__all__ = ["DEFAULT_SIZE", "Renderer", "output_size"]
