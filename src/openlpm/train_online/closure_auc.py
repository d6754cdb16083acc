"""How well the closure output tells p/b/m from other phones: the AUC of its per-phone maximum.

Per phone, the highest closure logit over its 10 ms frames; the AUC is the chance that a random
p/b/m scores above a random phone of the other group. It does not depend on the threshold or
the calibration, so it measures the head itself. Groups: the other stops (t, d, k, g: what the
head confuses in real voices, issue 11), every other speech phone, and the phones away from
p/b/m and pauses (the bench's chance level, bench/metrics/lips.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openlpm.audio.features import FRAME_RATE
from openlpm.audio.phones import PhoneTimeline
from openlpm.motion.online import REGRESSED, MouthNet, silence_features
from openlpm.motion.visemes import viseme_for

STOPS = frozenset({"T", "D", "K", "G"})
GROUPS = ("pbm", "stops", "others", "away")


def closure_logits(net: MouthNet, features: np.ndarray) -> np.ndarray:
    """(F, N_FEATURES) features from t = 0 -> (F,) closure logits, one per feature frame (the
    stream's windows: silence before the start, the last frame repeated as look-ahead)."""
    pad = np.repeat(silence_features()[None], net.past, 0)
    tail = np.repeat(features[-1:], net.ahead, 0)
    proj = net.project(np.concatenate([pad, features, tail])).astype(np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(proj, net.frames, axis=0)[: len(features)]
    x = windows.transpose(0, 2, 1).reshape(len(features), -1)
    h = np.maximum(x @ net.w1 + net.b1, 0.0)
    h = np.maximum(h @ net.w2 + net.b2, 0.0)
    k = len(REGRESSED)
    return h @ net.w3[:, k] + net.b3[k]


def phone_maxima(logits: np.ndarray, phones: PhoneTimeline) -> dict[str, list[float]]:
    """Each phone's highest logit (``logits`` at FRAME_RATE), sorted into GROUPS ("others"
    holds every speech phone that is not p/b/m, the stops included)."""
    seq = phones.phones
    closes = [viseme_for(p.label).closes_lips for p in seq]
    free = [p.label != "SIL" and not c for p, c in zip(seq, closes, strict=True)]
    out: dict[str, list[float]] = {g: [] for g in GROUPS}
    for k, p in enumerate(seq):
        lo = int(p.start * FRAME_RATE)
        if p.label == "SIL" or lo >= len(logits):
            continue
        value = float(logits[lo : max(lo + 1, int(p.end * FRAME_RATE))].max())
        if closes[k]:
            out["pbm"].append(value)
            continue
        out["others"].append(value)
        if p.label in STOPS:
            out["stops"].append(value)
        if all(0 <= j < len(seq) and free[j] for j in (k - 1, k + 1)):
            out["away"].append(value)
    return out


def auc(positive: list[float], negative: list[float]) -> float:
    """P(a random positive scores above a random negative), ties counting half."""
    if not positive or not negative:
        return float("nan")
    p, n = np.asarray(positive)[:, None], np.asarray(negative)[None]
    return float((p > n).mean() + 0.5 * (p == n).mean())


@dataclass(frozen=True)
class ClosureAUC:
    counts: dict[str, int]
    vs_stops: float
    vs_others: float
    vs_away: float

    @classmethod
    def of(cls, maxima: list[dict[str, list[float]]]) -> ClosureAUC:
        pooled = {g: [v for m in maxima for v in m[g]] for g in GROUPS}
        pbm = pooled["pbm"]
        return cls({g: len(v) for g, v in pooled.items()}, auc(pbm, pooled["stops"]),
                   auc(pbm, pooled["others"]), auc(pbm, pooled["away"]))  # fmt: skip

    def describe(self) -> str:
        c = self.counts
        return (
            f"closure AUC per phone, p/b/m ({c['pbm']}) against t/d/k/g ({c['stops']}) "
            f"{self.vs_stops:.3f}, against every other phone ({c['others']}) "
            f"{self.vs_others:.3f}, against the phones away from p/b/m and pauses "
            f"({c['away']}) {self.vs_away:.3f}"
        )
