"""The student network in PyTorch, its training loop, and the export to numpy weights.

The torch module computes exactly what :class:`openlpm.motion.online.MouthNet` computes (same
layers, same order), so the export is a transpose; :func:`check_export` proves it on data.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from openlpm.audio.features import N_FEATURES
from openlpm.motion.online import OUTPUTS, REGRESSED, MouthNet, silence_features
from openlpm.train_online.data import Example


@dataclass(frozen=True)
class FitOptions:
    past: int = 30  # feature frames of history: 300 ms
    ahead: int = 8  # 80 ms look-ahead
    proj: int = 32  # per-frame projection width
    hidden: int = 192
    epochs: int = 12
    batch: int = 512
    lr: float = 2e-3
    weight_decay: float = 1e-4
    dropout: float = 0.15
    tilt: float = 0.1  # feature augmentation: random spectral tilt / level offset, x 20 dB
    val_share: float = 0.05  # of the sessions (the last ones), never trained on
    seed: int = 0
    jaw_weight: float = 3.0  # jawOpen matters most on screen
    closure_weight: float = 0.6  # of the BCE terms against the (x10) regression MSE
    closure_pos_weight: float = 2.0  # a missed closure costs more than a brief extra one
    speech_weight: float = 0.1

    def __post_init__(self) -> None:
        if not 0 <= self.ahead <= 8:
            raise ValueError(f"ahead must be 0..8 frames (80 ms), got {self.ahead}")
        if self.past < 1 or self.proj < 1 or self.hidden < 1 or self.epochs < 1:
            raise ValueError("past, proj, hidden and epochs must be positive")
        if not 0 < self.val_share < 0.5:
            raise ValueError(f"val_share must be in (0, 0.5), got {self.val_share}")


class Student(nn.Module):
    def __init__(self, o: FitOptions, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        self.frames = o.past + 1 + o.ahead
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        self.proj = nn.Linear(N_FEATURES, o.proj)
        self.l1 = nn.Linear(self.frames * o.proj, o.hidden)
        self.l2 = nn.Linear(o.hidden, o.hidden)
        self.out = nn.Linear(o.hidden, len(OUTPUTS))
        self.drop = nn.Dropout(o.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, frames, N_FEATURES) -> (B, len(OUTPUTS))."""
        z = self.proj((x - self.mean) / self.std).flatten(1)
        h = self.drop(torch.relu(self.l1(z)))
        h = self.drop(torch.relu(self.l2(h)))
        return self.out(h)


@dataclass(frozen=True, eq=False)
class Table:
    """All examples in flat arrays; window i is features[at[i] - past : at[i] + ahead + 1]."""

    features: torch.Tensor  # (total, N_FEATURES)
    at: torch.Tensor  # (n,) row of each target frame
    targets: torch.Tensor  # (n, len(REGRESSED))
    closure: torch.Tensor  # (n,)
    speech: torch.Tensor  # (n,)

    @classmethod
    def of(cls, examples: list[Example], past: int) -> Table:
        pad = np.repeat(silence_features()[None], past, 0)
        rows, at, offset = [], [], 0
        for e in examples:
            rows += [pad, e.features]
            at.append(offset + past + np.arange(len(e.targets)))
            offset += past + len(e.features)
        cat = np.concatenate
        return cls(
            torch.from_numpy(cat(rows).astype(np.float32)),
            torch.from_numpy(cat(at)),
            torch.from_numpy(cat([e.targets for e in examples])),
            torch.from_numpy(cat([e.closure for e in examples])),
            torch.from_numpy(cat([e.speech for e in examples])),
        )

    def windows(self, idx: torch.Tensor, past: int, ahead: int) -> torch.Tensor:
        offsets = torch.arange(-past, ahead + 1)
        return self.features[self.at[idx][:, None] + offsets]


def fit(
    train: list[Example], val: list[Example], o: FitOptions, log: Callable[[str], None] = print
) -> tuple[Student, dict[str, float]]:
    """Train the student; returns it (eval mode) and the final validation metrics."""
    torch.manual_seed(o.seed)
    rng = torch.Generator().manual_seed(o.seed)
    tr, va = Table.of(train, o.past), Table.of(val, o.past)
    feats = tr.features[tr.at]
    mean, std = feats.mean(0).numpy(), feats.std(0).clamp_min(1e-3).numpy()
    model = Student(o, mean, std)
    opt = torch.optim.AdamW(model.parameters(), lr=o.lr, weight_decay=o.weight_decay)
    steps = o.epochs * math.ceil(len(tr.at) / o.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, o.lr, total_steps=steps, pct_start=0.1)
    for epoch in range(o.epochs):
        start, model_loss = time.time(), 0.0
        model.train()
        order = torch.randperm(len(tr.at), generator=rng)
        for b in range(0, len(order), o.batch):
            idx = order[b : b + o.batch]
            x = _colour(tr.windows(idx, o.past, o.ahead), o.tilt, rng)
            loss = _loss(model(x), tr, idx, o)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            model_loss += loss.item() * len(idx)
        metrics = evaluate_table(model, va, o)
        log(
            f"epoch {epoch + 1}/{o.epochs}: train loss {model_loss / len(order):.4f}, "
            + ", ".join(f"{k} {v:.3f}" for k, v in metrics.items())
            + f" ({time.time() - start:.0f} s)"
        )
    model.eval()
    return model, metrics


def _colour(x: torch.Tensor, amount: float, rng: torch.Generator) -> torch.Tensor:
    """Another microphone: a random tilt across the bands and a small level error."""
    tilt, offset = torch.randn(2, len(x), 1, 1, generator=rng) * amount
    ramp = torch.linspace(-1.0, 1.0, N_FEATURES)
    ramp[-1] = 0.0  # the energy column only takes the offset
    return x + tilt * ramp + offset


def _loss(out: torch.Tensor, t: Table, idx: torch.Tensor, o: FitOptions) -> torch.Tensor:
    k = len(REGRESSED)
    weights = torch.ones(k)
    weights[REGRESSED.index("jawOpen")] = o.jaw_weight
    mse = ((out[:, :k] - t.targets[idx]) ** 2 * weights).mean()
    bce = nn.functional.binary_cross_entropy_with_logits
    return (
        10.0 * mse
        + o.closure_weight
        * bce(out[:, k], t.closure[idx], pos_weight=torch.tensor(o.closure_pos_weight))
        + o.speech_weight * bce(out[:, k + 1], t.speech[idx])
    )


@torch.no_grad()
def predict(model: Student, t: Table, o: FitOptions) -> torch.Tensor:
    model.eval()
    idx = torch.arange(len(t.at))
    return torch.cat([model(t.windows(idx[b : b + 4096], o.past, o.ahead))
                      for b in range(0, len(idx), 4096)])  # fmt: skip


def evaluate_table(model: Student, t: Table, o: FitOptions) -> dict[str, float]:
    """Validation: loss, jawOpen correlation, closure precision/recall at 100 frames/s."""
    out = predict(model, t, o)
    k = len(REGRESSED)
    jaw = REGRESSED.index("jawOpen")
    corr = np.corrcoef(out[:, jaw].numpy(), t.targets[:, jaw].numpy())[0, 1]
    shut, truth = out[:, k] > 0, t.closure > 0.5
    tp = float((shut & truth).sum())
    return {
        "val loss": float(_loss(out, t, torch.arange(len(t.at)), o)),
        "jaw r": float(corr),
        "closure precision": tp / max(float(shut.sum()), 1.0),
        "closure recall": tp / max(float(truth.sum()), 1.0),
        "speech acc": float(((out[:, k + 1] > 0) == (t.speech > 0.5)).float().mean()),
    }


def export(model: Student, o: FitOptions) -> MouthNet:
    def w(layer: nn.Linear) -> tuple[np.ndarray, np.ndarray]:
        return layer.weight.detach().numpy().T.copy(), layer.bias.detach().numpy().copy()

    (w0, b0), (w1, b1), (w2, b2), (w3, b3) = map(w, (model.proj, model.l1, model.l2, model.out))
    return MouthNet(
        model.mean.numpy().copy(), model.std.numpy().copy(),
        w0, b0, w1, b1, w2, b2, w3, b3, past=o.past, ahead=o.ahead,
    )  # fmt: skip


def check_export(model: Student, net: MouthNet, t: Table, o: FitOptions, n: int = 500) -> float:
    """Largest |numpy - torch| output difference over ``n`` validation windows."""
    idx = torch.linspace(0, len(t.at) - 1, n).long()
    x = t.windows(idx, o.past, o.ahead)
    with torch.no_grad():
        ref = model.eval()(x).numpy()
    got = np.stack([net.head(net.project(w)) for w in x.numpy()])
    return float(np.abs(got - ref).max())
