"""Metrics: pure functions of measured signals (arrays per video frame) and the input audio.

Nothing here sees a MotionFrame: the signals come from faces re-detected in the pixels
(:mod:`openlpm.bench.analyze`), so every system, and the real videos, are judged alike.
"""
