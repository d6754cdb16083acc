"""Retraining only the Online model's closure head (train_online/fit.py fit_closure_head) and the
per-phone closure AUC it is judged by (train_online/closure_auc.py)."""

from __future__ import annotations

import numpy as np
import pytest

from openlpm.audio.features import N_FEATURES
from openlpm.audio.phones import Phone, PhoneTimeline
from openlpm.motion.online import OUTPUTS, REGRESSED, MouthNet
from openlpm.train_online.closure_auc import ClosureAUC, auc, closure_logits, phone_maxima
from openlpm.train_online.data import Example

K = OUTPUTS.index("closure")


def test_auc_counts_ties_half() -> None:
    assert auc([2.0, 3.0], [0.0, 1.0]) == 1.0
    assert auc([0.0], [1.0]) == 0.0
    assert auc([1.0], [1.0]) == 0.5
    assert np.isnan(auc([], [1.0]))


def test_phone_maxima_groups() -> None:
    """Each phone's highest logit over its frames, sorted: p/b/m; the other stops; every other
    speech phone; and those with no p/b/m or pause beside them. Pauses are left out."""
    labels = ["SIL", "B", "AA", "T", "IY", "S", "AH", "K", "SIL"]
    phones = PhoneTimeline(
        tuple(Phone(x, 0.1 * i, 0.1 * (i + 1)) for i, x in enumerate(labels)), "tts"
    )
    logits = np.repeat(np.arange(len(labels), dtype=float), 10)  # phone i: frames of value i
    logits[15] = 20.0  # inside the B: its maximum, not its mean
    m = phone_maxima(logits, phones)
    assert m["pbm"] == [20.0]
    assert m["stops"] == [3.0, 7.0]
    assert m["others"] == [2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    assert m["away"] == [3.0, 4.0, 5.0, 6.0]  # not AA (beside B) nor K (beside the pause)
    result = ClosureAUC.of([m])
    assert result.vs_stops == result.vs_others == result.vs_away == 1.0
    assert "t/d/k/g (2) 1.000" in result.describe()


def _tiny_net(rng: np.random.Generator, past: int = 3, ahead: int = 1) -> MouthNet:
    proj, hidden, frames = 6, 32, past + 1 + ahead

    def w(*shape: int) -> np.ndarray:
        return (rng.normal(size=shape) / np.sqrt(shape[0])).astype(np.float32)

    return MouthNet(
        np.zeros(N_FEATURES, np.float32), np.ones(N_FEATURES, np.float32),
        w(N_FEATURES, proj), w(proj), w(frames * proj, hidden), w(hidden),
        w(hidden, hidden), w(hidden), w(hidden, len(OUTPUTS)),
        w(len(OUTPUTS)), past=past, ahead=ahead,
    )  # fmt: skip


def _examples(rng: np.random.Generator, n: int, band: int) -> list[Example]:
    """Random features; the closure target is on where one band is raised (what the head must
    learn), about a quarter of the frames."""
    out = []
    for _ in range(n):
        frames = 300
        feats = rng.normal(scale=0.1, size=(frames + 1, N_FEATURES)).astype(np.float32)
        closure = (rng.random(frames) < 0.25).astype(np.float32)
        feats[:frames, band] += 3.0 * closure
        targets = np.zeros((frames, len(REGRESSED)), np.float32)
        out.append(Example(feats, targets, closure, np.ones(frames, np.float32), "en", 3.0))
    return out


def test_closure_head_learns_and_leaves_the_rest_alone() -> None:
    """Only the closure column of the last layer changes; the head learns a closure that the
    initial one does not see; its shift makes it shut as often as the reference; the numpy
    closure logits (the AUC's) are the torch model's."""
    torch = pytest.importorskip("torch")
    from openlpm.train_online import fit as F

    rng = np.random.default_rng(0)
    init = _tiny_net(rng)
    o = F.FitOptions(past=3, ahead=1, proj=6, hidden=32, epochs=10, batch=64, lr=0.02,
                     warp=0.0, mask_bands=0, tilt=0.0)  # fmt: skip
    train, val = _examples(rng, 8, band=5), _examples(rng, 2, band=5)
    model = F.fit_closure_head(init, train, o, log=lambda _: None)
    table = F.Table.of(val, o.past)
    reference = F.student_of(init, o)
    cal = F.Calibration.none()
    cal.shift[K] = F.match_closure_rate(model, reference, table, o)
    net = F.export(model, o, cal)

    for name in ("mean", "std", "w0", "b0", "w1", "b1", "w2", "b2"):
        assert np.array_equal(getattr(net, name), getattr(init, name)), name
    others = [c for c in range(len(OUTPUTS)) if c != K]
    assert np.array_equal(net.w3[:, others], init.w3[:, others])
    assert np.array_equal(net.b3[others], init.b3[others])

    truth = table.closure.numpy() > 0.5
    new = F.predict(F.student_of(net, o), table, o)[:, K].numpy()
    old = F.predict(reference, table, o)[:, K].numpy()
    assert auc(list(new[truth]), list(new[~truth])) > 0.9
    assert auc(list(old[truth]), list(old[~truth])) < 0.8
    assert abs((new > 0).mean() - (old > 0).mean()) < 0.01

    e = val[0]
    numpy_logits = closure_logits(net, e.features[: len(e.targets)])
    with torch.no_grad():
        first = F.Table.of([e], o.past)
        torch_logits = F.predict(F.student_of(net, o), first, o)[:, K].numpy()
    assert np.abs(numpy_logits[:-1] - torch_logits[:-1]).max() < 1e-4
