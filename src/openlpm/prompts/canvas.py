"""Where actions and emotions write, before they are laid over a performance.

Three layers over the whole track:
- ``delta``: added to the curves (head, brows, smile, ...), plus two virtual gaze columns
  (gazeX + toward the character's left, gazeY + up) that become the eight eyeLook channels;
- ``pull``: 0..1, how far a curve is pulled toward 0 first ("look at the viewer", "calm");
- ``lids``: eyeBlink values that override the performance's own blinks with ``lid_weight``
  (blink, wink, close eyes), so a wink never meets a blink in the other eye;
- ``teeth``: added to the lip-sync channels that bare the teeth (grin, laugh), times the rest
  gate of :mod:`openlpm.prompts.teeth`: nothing on a frame where the lips move.
Columns nothing wrote to are returned bit-identical, and the lip-sync channels are written
by the gated ``teeth`` layer only: lip sync is never disturbed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openlpm.motion.behaviour import bump
from openlpm.motion.params import PARAM_INDEX, PARAMS, RANGES
from openlpm.prompts.teeth import LIP_CHANNELS, TEETH_CHANNELS, rest_gate

COLUMNS: tuple[str, ...] = (*PARAMS, "gazeX", "gazeY")
_COL = {name: i for i, name in enumerate(COLUMNS)}
_GX, _GY = _COL["gazeX"], _COL["gazeY"]
_LOOK_X = (("eyeLookOutLeft", "eyeLookInRight"), ("eyeLookInLeft", "eyeLookOutRight"))
_LOOK_Y = (("eyeLookUpLeft", "eyeLookUpRight"), ("eyeLookDownLeft", "eyeLookDownRight"))
_LIDS = (PARAM_INDEX["eyeBlinkLeft"], PARAM_INDEX["eyeBlinkRight"])
_TEETH = {name: i for i, name in enumerate(TEETH_CHANNELS)}
_TEETH_PARAMS = [PARAM_INDEX[name] for name in TEETH_CHANNELS]
_TEETH_LOW, _TEETH_HIGH = (np.array([RANGES[n][k] for n in TEETH_CHANNELS]) for k in (0, 1))
_LIP_COLUMNS = [_COL[name] for name in LIP_CHANNELS]


@dataclass(frozen=True, eq=False)
class Segment:
    """The frames one cue covers: ``u`` is seconds since the cue started."""

    sl: slice
    u: np.ndarray
    duration: float
    count: int
    intensity: float
    fps: float
    rng: np.random.Generator  # seeded per apply: random choices stay reproducible


def hold(u: np.ndarray, start: float, length: float, ramp: float) -> np.ndarray:
    """0 -> 1 -> 0: smoothstep up over ``ramp`` from ``start``, held, down by start + length."""
    ramp = max(min(ramp, length / 2), 1e-6)
    up = np.clip((u - start) / ramp, 0, 1)
    down = np.clip((start + length - u) / ramp, 0, 1)
    x = np.minimum(up, down)
    return x * x * (3 - 2 * x)


def holds(seg: Segment, ramp: float) -> np.ndarray:
    """``seg.count`` holds one after another, filling the segment."""
    unit = seg.duration / seg.count
    return sum((hold(seg.u, i * unit, unit, ramp) for i in range(seg.count)), np.zeros_like(seg.u))


def pulses(seg: Segment) -> np.ndarray:
    """``seg.count`` smooth 0..1..0 pulses filling the segment, back to 0 between them."""
    unit = seg.duration / seg.count
    return sum(
        (bump(seg.u, (i + 0.5) * unit, unit) for i in range(seg.count)), np.zeros_like(seg.u)
    )


def oscillation(seg: Segment, ramp: float = 0.15) -> np.ndarray:
    """``seg.count`` sine cycles, tapered in and out so the motion starts and ends at rest."""
    wave = np.sin(2 * np.pi * seg.count * seg.u / seg.duration)
    return wave * hold(seg.u, 0, seg.duration, ramp)


class Canvas:
    """The three layers for a track of ``n`` frames at ``fps``."""

    def __init__(self, n: int, fps: float) -> None:
        self.fps = fps
        self.times = np.arange(n) / fps
        self.delta = np.zeros((n, len(COLUMNS)))
        self.pull = np.zeros((n, len(COLUMNS)))
        self.lids = np.zeros((n, 2))
        self.lid_weight = np.zeros(n)
        self.teeth = np.zeros((n, len(TEETH_CHANNELS)))

    def segment(
        self, start: float, end: float, count: int, intensity: float, rng: np.random.Generator
    ) -> Segment:
        lo, hi = np.searchsorted(self.times, [start, end])
        u = self.times[lo:hi] - start
        return Segment(slice(lo, hi), u, end - start, count, intensity, self.fps, rng)

    def add(self, seg: Segment, shape: np.ndarray, **amounts: float) -> None:
        """delta[name] += amount * shape over the segment, for each name=amount."""
        for name, amount in amounts.items():
            self.delta[seg.sl, _COL[name]] += amount * shape

    def bare_teeth(self, seg: Segment, shape: np.ndarray, **amounts: float) -> None:
        """teeth[name] += amount * shape: lip channels, laid on only where the lips rest."""
        for name, amount in amounts.items():
            self.teeth[seg.sl, _TEETH[name]] += amount * shape

    def pull_to_zero(self, seg: Segment, shape: np.ndarray, **amounts: float) -> None:
        for name, amount in amounts.items():
            col = self.pull[seg.sl, _COL[name]]
            np.maximum(col, np.clip(amount * shape, 0, 1), out=col)

    def set_lids(self, seg: Segment, left: np.ndarray, right: np.ndarray, weight: np.ndarray):
        self.lids[seg.sl, 0], self.lids[seg.sl, 1] = left, right
        np.maximum(self.lid_weight[seg.sl], weight, out=self.lid_weight[seg.sl])

    def paint_over(self, values: np.ndarray, gate: np.ndarray | None = None) -> np.ndarray:
        """The layers over a (frames, PARAMS) performance; untouched columns stay identical.
        ``gate`` (frames,) is the lips' rest gate (default: read from ``values`` itself)."""
        out = np.concatenate([values, _gaze(values)], axis=1).astype(np.float64)
        out = out * (1 - self.pull) + self.delta
        w = self.lid_weight[:, None]
        out[:, _LIDS] = out[:, _LIDS] * (1 - w) + self.lids * w
        gaze_rows = np.any(self.delta[:, [_GX, _GY]] != 0, axis=1)
        gaze_rows |= np.any(self.pull[:, [_GX, _GY]] != 0, axis=1)
        _write_gaze(out, gaze_rows)
        touched = np.any(self.delta != 0, axis=0) | np.any(self.pull != 0, axis=0)
        assert not touched[_LIP_COLUMNS].any(), "lip channels: only through bare_teeth"
        touched[list(_LIDS)] |= bool(self.lid_weight.any())
        touched[[_COL[n] for pair in _LOOK_X + _LOOK_Y for n in pair]] |= bool(gaze_rows.any())
        result = values.copy()
        for i in np.flatnonzero(touched[: len(PARAMS)]):
            low, high = RANGES[PARAMS[i]]
            result[:, i] = np.clip(out[:, i], low, high)
        if self.teeth.any():
            gate = rest_gate(values, self.fps) if gate is None else gate
            _bare_teeth(result, self.teeth, gate)
        return result


def _bare_teeth(result: np.ndarray, teeth: np.ndarray, gate: np.ndarray) -> None:
    """Add the gated teeth layer where the gate is open and a prompt wrote; elsewhere the lip
    channels keep their values bit for bit."""
    lips = result[:, _TEETH_PARAMS]
    opened = np.clip(lips + gate[:, None] * teeth, _TEETH_LOW, _TEETH_HIGH)
    np.copyto(lips, opened, casting="unsafe", where=(gate[:, None] > 0) & (teeth != 0))
    result[:, _TEETH_PARAMS] = lips


def _gaze(values: np.ndarray) -> np.ndarray:
    """(frames, 2) gaze x, y read back from the eyeLook channels (the inverse of base._gaze)."""

    def mean(pair: tuple[str, str]) -> np.ndarray:
        return (values[:, PARAM_INDEX[pair[0]]] + values[:, PARAM_INDEX[pair[1]]]) / 2

    x = mean(_LOOK_X[0]) - mean(_LOOK_X[1])
    y = mean(_LOOK_Y[0]) - mean(_LOOK_Y[1])
    return np.stack([x, y], axis=1)


def _write_gaze(out: np.ndarray, rows: np.ndarray) -> None:
    """The virtual gaze columns -> the eight eyeLook channels, on ``rows`` only."""
    for column, (positive, negative) in ((_GX, _LOOK_X), (_GY, _LOOK_Y)):
        g = np.clip(out[rows, column], -1, 1)
        for name in positive:
            out[rows, PARAM_INDEX[name]] = np.clip(g, 0, 1)
        for name in negative:
            out[rows, PARAM_INDEX[name]] = np.clip(-g, 0, 1)
