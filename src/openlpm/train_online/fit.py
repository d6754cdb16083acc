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
    hidden: int = 256
    epochs: int = 12
    batch: int = 512
    lr: float = 2e-3
    weight_decay: float = 1e-4
    dropout: float = 0.15
    tilt: float = 0.1  # feature augmentation: random spectral tilt / level offset, x 20 dB
    warp: float = 0.1  # ... and a random stretch of the mel axis by up to +-10% (VTLP)
    mask_bands: int = 6  # ... and up to this many adjacent bands masked (SpecAugment)
    val_share: float = 0.05  # of the sessions (the last ones), never trained on
    seed: int = 0
    jaw_weight: float = 3.0  # jawOpen matters most on screen
    closure_weight: float = 0.6  # of the BCE terms against the (x10) regression MSE
    closure_pos_weight: float = 1.5  # a missed closure costs more than a brief extra one
    speech_weight: float = 0.1
    device: str = "cpu"  # or "cuda": the same training, faster (the export is on the CPU)

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
        return self.out(self.hidden(x))

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """(B, frames, N_FEATURES) -> (B, hidden): the last hidden layer."""
        z = self.proj((x - self.mean) / self.std).flatten(1)
        h = self.drop(torch.relu(self.l1(z)))
        return self.drop(torch.relu(self.l2(h)))


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

    def to(self, device: str) -> Table:
        move = {k: getattr(self, k).to(device)
                for k in ("features", "at", "targets", "closure", "speech")}  # fmt: skip
        return Table(**move)

    def windows(self, idx: torch.Tensor, past: int, ahead: int) -> torch.Tensor:
        offsets = torch.arange(-past, ahead + 1, device=idx.device)
        return self.features[self.at[idx][:, None] + offsets]


def fit(
    train: list[Example], val: list[Example], o: FitOptions, log: Callable[[str], None] = print,
    init: MouthNet | None = None,
) -> tuple[Student, dict[str, float]]:  # fmt: skip
    """Train the student; returns it (eval mode) and the final validation metrics. With
    ``init``, training starts from those weights (and keeps their input normalisation)."""
    torch.manual_seed(o.seed)
    rng = torch.Generator().manual_seed(o.seed)
    tr, va = Table.of(train, o.past).to(o.device), Table.of(val, o.past).to(o.device)
    if init is None:
        feats = tr.features[tr.at]
        mean, std = feats.mean(0).cpu().numpy(), feats.std(0).clamp_min(1e-3).cpu().numpy()
        model = Student(o, mean, std).to(o.device)
    else:
        model = student_of(init, o).to(o.device)
    opt = torch.optim.AdamW(model.parameters(), lr=o.lr, weight_decay=o.weight_decay)
    steps = o.epochs * math.ceil(len(tr.at) / o.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, o.lr, total_steps=steps, pct_start=0.1)
    for epoch in range(o.epochs):
        start, model_loss = time.time(), 0.0
        model.train()
        order = torch.randperm(len(tr.at), generator=rng)
        for b in range(0, len(order), o.batch):
            idx = order[b : b + o.batch]
            x = _colour(tr.windows(idx.to(o.device), o.past, o.ahead), o, rng)
            loss = _loss(model(x), tr, idx.to(o.device), o)
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


def fit_closure_head(
    init: MouthNet, train: list[Example], o: FitOptions, log: Callable[[str], None] = print
) -> Student:
    """``init`` with only its closure logit retrained: a logistic regression on the frozen
    trunk's last hidden layer (the closure column of the last layer, 257 numbers), from zero.

    Everything else (features, trunk, the mouth channels, speech) stays bit for bit, so the
    jaw cannot move; the head only learns to rank p/b/m above other phones in the voices of
    ``train`` (issue 11: the full fine-tune with recorded voices moved the jaw too). Starting
    from zero rather than ``init``'s column makes the result the same from either weights file.
    The closure shift is left to :func:`match_closure_rate`."""
    torch.manual_seed(o.seed)
    rng = torch.Generator().manual_seed(o.seed)
    model = student_of(init, o).to(o.device).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    head = nn.Linear(o.hidden, 1).to(o.device)
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    tr = Table.of(train, o.past).to(o.device)
    opt = torch.optim.AdamW(head.parameters(), lr=o.lr, weight_decay=o.weight_decay)
    steps = o.epochs * math.ceil(len(tr.at) / o.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, o.lr, total_steps=steps, pct_start=0.1)
    pos_weight = torch.tensor(o.closure_pos_weight, device=o.device)
    for epoch in range(o.epochs):
        start, total = time.time(), 0.0
        order = torch.randperm(len(tr.at), generator=rng)
        for b in range(0, len(order), o.batch):
            idx = order[b : b + o.batch].to(o.device)
            x = _colour(tr.windows(idx, o.past, o.ahead), o, rng)
            logit = head(model.hidden(x))[:, 0]
            loss = nn.functional.binary_cross_entropy_with_logits(
                logit, tr.closure[idx], pos_weight=pos_weight
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        log(f"closure head epoch {epoch + 1}/{o.epochs}: train loss {total / len(order):.4f} "
            f"({time.time() - start:.0f} s)")  # fmt: skip
    k = len(REGRESSED)
    with torch.no_grad():
        model.out.weight[k] = head.weight[0]
        model.out.bias[k] = head.bias[0]
    return model


def match_closure_rate(model: Student, reference: Student, t: Table, o: FitOptions) -> float:
    """The closure shift with which ``model`` shuts the lips (logit > 0) on as many frames of
    ``t`` as ``reference`` does: a new head ranks the frames, the old one's operating point
    stays (the closure ramp, jaw minimum and gate of motion/online.py were set at it)."""
    k = len(REGRESSED)
    share = float((predict(reference, t, o)[:, k] > 0).float().mean())
    return -float(np.quantile(predict(model, t, o)[:, k].cpu().numpy(), 1.0 - share))


def _colour(x: torch.Tensor, o: FitOptions, rng: torch.Generator) -> torch.Tensor:
    """Another speaker and microphone, in the feature domain: the mel axis stretched (a
    longer or shorter vocal tract moves every formant by the same factor), a random tilt
    across the bands, a small level error, and a few adjacent bands masked (so that no single
    band of one synthesiser's spectrum decides)."""
    b, bands = len(x), N_FEATURES - 1
    tilt, offset = (torch.randn(2, b, 1, 1, generator=rng) * o.tilt).to(x.device)
    ramp = torch.linspace(-1.0, 1.0, N_FEATURES, device=x.device)
    ramp[-1] = 0.0  # the energy column only takes the offset
    mel = x[..., :bands]
    if o.warp > 0:
        factor = 1.0 + (torch.rand(b, generator=rng) * 2 - 1) * o.warp
        src = (torch.arange(bands)[None] / factor[:, None]).clamp(0, bands - 1)  # (b, bands)
        lo = src.floor().long().clamp(max=bands - 2)
        frac = (src - lo).to(x.device)[:, None, :]
        lo = lo.to(x.device)[:, None, :].expand(-1, x.shape[1], -1)
        mel = mel.gather(2, lo) * (1 - frac) + mel.gather(2, lo + 1) * frac
    if o.mask_bands > 0:
        width = torch.randint(0, o.mask_bands + 1, (b, 1), generator=rng)
        start = (torch.rand(b, 1, generator=rng) * (bands - width)).long()
        band = torch.arange(bands)[None]
        hidden = ((band >= start) & (band < start + width)).to(x.device)[:, None, :]
        mel = torch.where(hidden, mel.mean(2, keepdim=True), mel)
    x = torch.cat([mel, x[..., bands:]], dim=2)
    return x + tilt * ramp + offset


def _loss(out: torch.Tensor, t: Table, idx: torch.Tensor, o: FitOptions) -> torch.Tensor:
    k = len(REGRESSED)
    weights = torch.ones(k, device=out.device)
    weights[REGRESSED.index("jawOpen")] = o.jaw_weight
    mse = ((out[:, :k] - t.targets[idx]) ** 2 * weights).mean()
    bce = nn.functional.binary_cross_entropy_with_logits
    pos_weight = torch.tensor(o.closure_pos_weight, device=out.device)
    return (
        10.0 * mse
        + o.closure_weight * bce(out[:, k], t.closure[idx], pos_weight=pos_weight)
        + o.speech_weight * bce(out[:, k + 1], t.speech[idx])
    )


@torch.no_grad()
def predict(model: Student, t: Table, o: FitOptions) -> torch.Tensor:
    model.eval()
    idx = torch.arange(len(t.at), device=t.at.device)
    return torch.cat([model(t.windows(idx[b : b + 4096], o.past, o.ahead))
                      for b in range(0, len(idx), 4096)])  # fmt: skip


def evaluate_table(model: Student, t: Table, o: FitOptions) -> dict[str, float]:
    """Validation: loss, jawOpen correlation, closure precision/recall at 100 frames/s."""
    out = predict(model, t, o)
    k = len(REGRESSED)
    jaw = REGRESSED.index("jawOpen")
    corr = np.corrcoef(out[:, jaw].cpu().numpy(), t.targets[:, jaw].cpu().numpy())[0, 1]
    shut, truth = out[:, k] > 0, t.closure > 0.5
    tp = float((shut & truth).sum())
    return {
        "val loss": float(_loss(out, t, torch.arange(len(t.at), device=out.device), o)),
        "jaw r": float(corr),
        "closure precision": tp / max(float(shut.sum()), 1.0),
        "closure recall": tp / max(float(truth.sum()), 1.0),
        "speech acc": float(((out[:, k + 1] > 0) == (t.speech > 0.5)).float().mean()),
    }


MAX_SCALE = 1.5  # calibration: at most this much wider than the network's own spread


@dataclass(frozen=True)
class Calibration:
    """Per output, out -> scale * out + shift, folded into the last layer by :func:`export`."""

    scale: np.ndarray  # (len(OUTPUTS),)
    shift: np.ndarray

    @classmethod
    def none(cls) -> Calibration:
        return cls(np.ones(len(OUTPUTS), np.float32), np.zeros(len(OUTPUTS), np.float32))

    def describe(self) -> str:
        return ", ".join(f"{n} x{a:.2f} {b:+.2f}" for n, a, b in
                         zip(OUTPUTS, self.scale, self.shift, strict=True))  # fmt: skip


def calibrate(model: Student, t: Table, o: FitOptions) -> Calibration:
    """Undo the regression to the mean and set the closure threshold, on held-out data.

    A network trained with a squared error answers an uncertain frame with the mean, so its
    mouth moves less than the teacher's (Online opened ~30% less than Base). Each regressed
    channel gets the affine map that gives it the teacher's mean and spread over the speech
    frames. The closure logit is shifted so that the lips shut (p > 0.5) on as many frames as
    the teacher's closures cover: no more closures than there are, whatever the prior of the
    training loss's positive weight."""
    out = predict(model, t, o).cpu().numpy()
    k, cal = len(REGRESSED), Calibration.none()
    speech = t.speech.cpu().numpy() > 0.5
    targets = t.targets.cpu().numpy()
    for c in range(k):
        s, y = out[speech, c], targets[speech, c]
        if s.std() > 1e-6 and y.std() > 1e-6:
            # capped: a channel the network barely predicts would only have its noise widened
            cal.scale[c] = min(max(y.std() / s.std(), 1.0), MAX_SCALE)
            cal.shift[c] = y.mean() - cal.scale[c] * s.mean()
    share = float((t.closure.cpu().numpy() > 0.5).mean())
    cal.shift[k] = -float(np.quantile(out[:, k], 1.0 - share))
    return cal


def student_of(net: MouthNet, o: FitOptions) -> Student:
    """A torch student holding ``net``'s weights (the inverse of :func:`export`; a calibration
    folded into ``net`` stays in its last layer)."""
    shapes = (net.past, net.ahead, net.w0.shape[1], net.w1.shape[1])
    if shapes != (o.past, o.ahead, o.proj, o.hidden):
        raise ValueError(f"the initial weights have past/ahead/proj/hidden {shapes}, the "
                         f"options {(o.past, o.ahead, o.proj, o.hidden)}")  # fmt: skip
    model = Student(o, net.mean, net.std)
    with torch.no_grad():
        for layer, w, b in ((model.proj, net.w0, net.b0), (model.l1, net.w1, net.b1),
                            (model.l2, net.w2, net.b2), (model.out, net.w3, net.b3)):  # fmt: skip
            layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T, np.float32)))
            layer.bias.copy_(torch.from_numpy(np.asarray(b, np.float32)))
    return model


def export(model: Student, o: FitOptions, cal: Calibration | None = None) -> MouthNet:
    def w(layer: nn.Linear) -> tuple[np.ndarray, np.ndarray]:
        weight, bias = layer.weight.detach().cpu().numpy(), layer.bias.detach().cpu().numpy()
        return weight.T.copy(), bias.copy()

    model = model.cpu()
    (w0, b0), (w1, b1), (w2, b2), (w3, b3) = map(w, (model.proj, model.l1, model.l2, model.out))
    cal = cal or Calibration.none()
    w3, b3 = w3 * cal.scale[None], b3 * cal.scale + cal.shift
    return MouthNet(
        model.mean.numpy().copy(), model.std.numpy().copy(),
        w0, b0, w1, b1, w2, b2, w3, b3, past=o.past, ahead=o.ahead,
    )  # fmt: skip


def check_export(
    model: Student, net: MouthNet, t: Table, o: FitOptions, cal: Calibration | None = None,
    n: int = 500,
) -> float:  # fmt: skip
    """Largest |numpy - calibrated torch| output difference over ``n`` validation windows."""
    cal = cal or Calibration.none()
    t = t.to("cpu")
    idx = torch.linspace(0, len(t.at) - 1, n).long()
    x = t.windows(idx, o.past, o.ahead)
    with torch.no_grad():
        ref = model.cpu().eval()(x).numpy() * cal.scale + cal.shift
    got = np.stack([net.head(net.project(w)) for w in x.numpy()])
    return float(np.abs(got - ref).max())
