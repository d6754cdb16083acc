"""openlpm: one character image in, a live performer out.

The main entry points:

- :func:`openlpm.character.build_rig` analyses a portrait once (face, mesh, clean plate).
- :class:`openlpm.render.Renderer` turns a :class:`openlpm.motion.MotionFrame` into a video frame.
- :func:`openlpm.motion.read_curves` reads the motion interchange format (CSV curves).
"""

__version__ = "0.1.0"
