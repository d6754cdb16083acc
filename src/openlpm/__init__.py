"""openlpm: one character image in, a live performer out.

The main entry points:

- :func:`openlpm.character.build_rig` analyses a portrait once (face, mesh, clean plate).
- :class:`openlpm.render.Renderer` turns a :class:`openlpm.motion.MotionFrame` into a video frame.
- :func:`openlpm.motion.read_curves` reads the motion interchange format (CSV curves).
- :class:`openlpm.Session` is a live character: push audio and prompts, get paced frames.
"""

__version__ = "0.1.0"

_LAZY = {"Session", "SessionOptions", "SessionStats", "VideoFrame"}


def __getattr__(name: str) -> object:  # lazy: `import openlpm` stays light
    if name in _LAZY:
        from openlpm import stream

        return getattr(stream, name)
    raise AttributeError(f"module 'openlpm' has no attribute {name!r}")
