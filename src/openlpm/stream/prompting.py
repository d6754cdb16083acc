"""LivePrompts: text prompts painted over the live performance, frame by frame.

A prompt is scheduled the moment it arrives (its first action starts on the next frame) and
painted with the same actions and emotions as offline (:mod:`openlpm.prompts`) onto a short
canvas of future frames; each frame adds its row of the canvas. Two layers:

- actions ("nod twice", "look left") play once; a new prompt with actions fades the
  unfinished ones out over FADE_S, so "look left" then "look right" turns, not cancels;
- emotions ("happy") persist: after ramping in they hold until a later prompt names another
  emotion (or "neutral"), which fades the old mood out while the new one ramps in.

Lip-sync channels are written only by the teeth a grin or laugh bares, and only while the
lips rest (:mod:`openlpm.prompts.teeth`): live, the rest gate sees the past and the voice's
look-ahead, so it lets go on the first frame the lips move (or a few frames before, when the
voice already hears the speech coming) and opens again after RAMP_S of rest.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from openlpm.prompts.actions import ACTIONS
from openlpm.prompts.canvas import Canvas
from openlpm.prompts.emotions import RAMP_S, paint_emotion
from openlpm.prompts.plan import PromptPlan
from openlpm.prompts.schedule import Cue, schedule, total_duration
from openlpm.prompts.teeth import LiveRestGate

FADE_S = 0.25  # superseded layers fade out over this


@dataclass
class _Layer:
    canvas: Canvas
    start: int  # tick of the canvas's first row
    hold: bool  # keep the last row after the end (a mood)
    fade_from: int | None = None  # tick a newer prompt superseded it

    def weight(self, tick: int, fade_ticks: int) -> float:
        if self.fade_from is None:
            return 1.0
        return max(0.0, 1.0 - (tick - self.fade_from) / fade_ticks)

    def row(self, tick: int) -> int | None:
        i = tick - self.start
        n = len(self.canvas.times)
        if i < 0:
            return None
        if i >= n:
            return n - 1 if self.hold else None
        return i


class LivePrompts:
    """``add`` from any thread; ``apply`` once per tick from the engine."""

    def __init__(self, fps: float, seed: int = 0) -> None:
        self.fps = fps
        self._rng = np.random.default_rng(seed + 104729)
        self._inbox: deque[PromptPlan] = deque(maxlen=16)  # thread-safe appends
        self._actions: list[_Layer] = []
        self._moods: list[_Layer] = []
        self._fade = max(1, round(FADE_S * fps))
        self._rest = LiveRestGate(fps)

    def add(self, plan: PromptPlan) -> None:
        self._inbox.append(plan)

    @property
    def active(self) -> bool:
        return bool(self._actions or self._moods or self._inbox)

    def apply(self, vec: np.ndarray, tick: int, speech_ahead: bool = False) -> np.ndarray:
        """The pose ``vec`` of tick ``tick`` with the prompts' layers over it; ``speech_ahead``:
        the voice already hears speech that has not reached the lips yet."""
        gate = self._rest.step(vec, speech_ahead)  # every tick: it keeps the lips' history
        while self._inbox:
            self._start(self._inbox.popleft(), tick)
        self._retire(tick)
        layers = [
            (layer, r)
            for layer in self._moods + self._actions
            if (r := layer.row(tick)) is not None
        ]
        if not layers:
            return vec
        row = Canvas(1, self.fps)
        for layer, r in layers:
            w = layer.weight(tick, self._fade)
            c = layer.canvas
            row.delta[0] += w * c.delta[r]
            row.teeth[0] += w * c.teeth[r]
            np.maximum(row.pull[0], w * c.pull[r], out=row.pull[0])
            if w * c.lid_weight[r] > row.lid_weight[0]:
                row.lids[0], row.lid_weight[0] = c.lids[r], w * c.lid_weight[r]
        return row.paint_over(vec[None].astype(np.float32), np.array([gate]))[0]

    def _start(self, plan: PromptPlan, tick: int) -> None:
        # The mood canvas ends once the last emotion has ramped in; open emotions are
        # scheduled past that end, so its last row holds them at full strength.
        starts = [s.at or 0.0 for s in plan.steps if s.kind == "emotion"]
        mood_end = total_duration(plan, 0.0) + max(starts, default=0.0) + 2 * RAMP_S
        cues = schedule(plan, 0.0, mood_end)
        actions = [c for c in cues if c.step.kind == "action"]
        emotions = [c for c in cues if c.step.kind == "emotion"]
        if actions:
            self._supersede(self._actions, tick)
            end = max(c.end for c in actions)
            self._actions.append(_Layer(self._paint(actions, end), tick, hold=False))
        if emotions:
            self._supersede(self._moods, tick)
            self._moods.append(_Layer(self._paint(emotions, mood_end), tick, hold=True))

    @staticmethod
    def _supersede(layers: list[_Layer], tick: int) -> None:
        for layer in layers:
            if layer.fade_from is None:
                layer.fade_from = tick

    def _paint(self, cues: list[Cue], end: float) -> Canvas:
        canvas = Canvas(max(1, math.ceil(end * self.fps) + 1), self.fps)
        for cue in cues:
            seg = canvas.segment(cue.start, cue.end, cue.step.count, cue.step.intensity, self._rng)
            if cue.step.kind == "emotion":
                paint_emotion(canvas, seg, cue.step.name)
            else:
                ACTIONS[cue.step.name].paint(canvas, seg)
        return canvas

    def _retire(self, tick: int) -> None:
        def alive(layer: _Layer) -> bool:
            faded = layer.weight(tick, self._fade) <= 0.0
            return not faded and (layer.hold or layer.row(tick) is not None)

        self._actions = [layer for layer in self._actions if alive(layer)]
        self._moods = [layer for layer in self._moods if alive(layer)]
