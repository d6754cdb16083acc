"""A listener's backchannel gestures, each drawn fresh: nods of varied depth, speed and count,
brow flashes, and the closed-mouth "mm" smile.

People's backchannels are not one stored clip replayed. Listeners' head movements differ in
amplitude, frequency and cyclicity, and the symmetrical, cyclic ones (nods of one or more
cycles) are the "yes" of a listener (Hadar, Steiner and Rose 1985, J. Nonverbal Behavior
9:214-228); listeners differ from one another in how much they respond (de Kok and Heylen 2012,
Cognitive Processing; Blomsma et al. 2024, Language and Cognition), and a nod often comes with
a small smile or a brow movement. So every gesture here draws its own shape from a seeded
generator, within bounds that keep it calm: no head step faster than :data:`MAX_SPEED_DEG_S`,
the mouth always shut.

A gesture is a list of :class:`Pulse` (one channel each) that the listener sums per frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_SPEED_DEG_S = 38.0  # the fastest a nod moves the head: 1.5 degrees a frame at 25 fps
NOD_DEPTH_DEG = (4.5, 7.5)  # the first cycle; 4.5 degrees reads as >= 2 in the pixels
NOD_CYCLE_S = (0.36, 0.55)  # one down-and-up
NOD_COUNT_P = (0.62, 0.3, 0.08)  # single, double, triple
AFTER_REPEAT_COUNT_P = (0.85, 0.15, 0.0)  # right after a repeated nod, rarely another
REPEAT_DEPTH = (0.55, 0.8)  # each further nod, relative to the one before
REPEAT_CYCLE = (0.75, 0.95)
NOD_PEAK = (0.35, 0.5)  # where in the cycle the chin is lowest: the drop is quicker than the rise


@dataclass(frozen=True)
class Pulse:
    """A rise-hold-fall of ``amount`` on one channel, starting at ``start`` (seconds) and
    lasting ``width``: the rise takes ``attack`` of the width, then ``hold``, then the fall.
    Raised-cosine edges, so the value and its slope are continuous."""

    channel: str
    start: float
    width: float
    amount: float
    attack: float = 0.5
    hold: float = 0.0

    @property
    def end(self) -> float:
        return self.start + self.width

    def at(self, t: float) -> float:
        x = (t - self.start) / self.width
        if not 0.0 < x < 1.0:
            return 0.0
        if x < self.attack:
            return self.amount * math.sin(0.5 * math.pi * x / self.attack) ** 2
        release = 1.0 - self.attack - self.hold
        if x < self.attack + self.hold or release <= 0:
            return self.amount
        return self.amount * math.cos(0.5 * math.pi * (x - self.attack - self.hold) / release) ** 2


def nod_cycle(start: float, depth: float, cycle_s: float, peak: float) -> Pulse:
    """One chin-down-and-up of ``depth`` degrees on headPitch, lengthened where it would move
    faster than MAX_SPEED_DEG_S (a deeper nod takes longer, as a real one does)."""
    edge = min(peak, 1.0 - peak)
    slowest = depth * math.pi / (2 * edge * MAX_SPEED_DEG_S)
    return Pulse("pitch", start, max(cycle_s, slowest), -depth, attack=peak)


def nod(
    rng: np.random.Generator, start: float, scale: float = 1.0, repeated_last: bool = False
) -> list[Pulse]:
    """A nod of one to three cycles, each shallower and quicker than the one before;
    ``scale`` is the listener's own depth. After a repeated nod (``repeated_last``) a person
    seldom repeats again: the same gesture every time is what looks mechanical."""
    chances = AFTER_REPEAT_COUNT_P if repeated_last else NOD_COUNT_P
    count = 1 + int(rng.choice(len(chances), p=chances))
    depth = max(NOD_DEPTH_DEG[0], scale * rng.uniform(*NOD_DEPTH_DEG))  # always visible
    cycle = rng.uniform(*NOD_CYCLE_S)
    pulses, t = [], start
    for _ in range(count):
        p = nod_cycle(t, depth, cycle, rng.uniform(*NOD_PEAK))
        pulses.append(p)
        t = p.start + p.width * rng.uniform(0.8, 0.95)  # the next dip starts on the way up
        depth *= rng.uniform(*REPEAT_DEPTH)
        cycle *= rng.uniform(*REPEAT_CYCLE)
    return pulses


def brow_flash(rng: np.random.Generator, start: float, question: bool) -> list[Pulse]:
    """Raised brows: a quick rise, a held top of varied length, a slower fall. At a question
    they go higher and stay up longer."""
    amount = rng.uniform(0.35, 0.55) if question else rng.uniform(0.18, 0.35)
    width = rng.uniform(0.8, 1.3) if question else rng.uniform(0.5, 0.9)
    attack = rng.uniform(0.15, 0.25)
    hold = rng.uniform(0.15, 0.35) if question else rng.uniform(0.0, 0.2)
    return [Pulse("brow", start, width, amount, attack, hold)]


def mm_smile(rng: np.random.Generator, start: float) -> list[Pulse]:
    """The closed-mouth "mm": a small smile with the lips pressed a little together."""
    width = rng.uniform(1.2, 2.4)
    attack, hold = rng.uniform(0.2, 0.35), rng.uniform(0.1, 0.3)
    smile = rng.uniform(0.08, 0.2)  # small: a broad smile parts the lips of some faces
    press = rng.uniform(0.1, 0.3) if rng.random() < 0.6 else 0.0
    pulses = [Pulse("smile", start, width, smile, attack, hold)]
    if press:
        pulses.append(Pulse("press", start, 0.8 * width, press, attack, hold))
    return pulses
