"""The report's figures (matplotlib, Agg: no display needed). Each function writes one PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from openlpm.bench.metrics.head import smoothed

WIDTH = 9.0  # inches; 100 dpi keeps the PNGs small
DPI = 100
COLOURS = {
    "static": "#7f7f7f", "flap": "#ff7f0e", "pylipsync": "#9467bd", "base": "#1f77b4",
    "online": "#2ca02c", "human": "#d62728",
}  # fmt: skip


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # before pyplot is imported; no display here
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    _pyplot().close(fig)


def colour(system: str) -> str:
    return COLOURS.get(system, "#17becf")


def aperture_envelope(path: Path, traces: Sequence[tuple[str, np.ndarray, np.ndarray, float]]):
    """traces: (label, aperture, envelope, fps), one panel each."""
    plt = _pyplot()
    fig, axes = plt.subplots(len(traces), 1, figsize=(WIDTH, 1.5 * len(traces) + 0.5), sharex=True)
    axes = np.atleast_1d(axes)
    for ax, (label, gap, env, fps) in zip(axes, traces, strict=True):
        t = np.arange(len(gap)) / fps
        ax.fill_between(t, 0, env * 0.12, color="#cccccc", label="speech envelope (scaled)")
        ax.plot(t, gap, color=colour(label.split()[0]), lw=1.2, label="mouth aperture")
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
        ax.set_ylim(0, 0.14)
    axes[0].legend(loc="upper right", fontsize=7, ncol=2)
    axes[-1].set_xlabel("seconds")
    fig.suptitle("Mouth aperture (inner-lip gap / face height) vs speech envelope", fontsize=10)
    _save(fig, path)


def offset_curves(path: Path, curves: Sequence[tuple[str, np.ndarray, np.ndarray]]):
    """curves: (system, lags in ms, mean correlation)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH * 0.7, 3.2))
    ax.axvspan(-185, 90, color="#e8f4e8", label="ITU-R BT.1359 acceptable")
    for label, lags_ms, corr in curves:
        style = "--" if label == "human" else "-"
        ax.plot(lags_ms, corr, style, color=colour(label), label=label, marker=".")
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel("shift, ms (+ = audio leads)")
    ax.set_ylabel("aperture~envelope r")
    ax.legend(fontsize=7)
    ax.set_title("A/V offset curves (mean over clips)", fontsize=10)
    _save(fig, path)


def identity_traces(path: Path, traces: Sequence[tuple[str, np.ndarray, np.ndarray]], title: str):
    """traces: (label, times s, distances)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH * 0.7, 3.0))
    for label, t, d in traces:
        ax.plot(t, d, color=colour(label.split()[0]), label=label, marker=".", lw=0.8)
    ax.axhline(0.6, color="r", lw=0.6, ls=":", label="same person < 0.6")
    ax.set_ylim(0, max(0.7, max((np.nanmax(d) for _, _, d in traces if len(d)), default=0) + 0.05))
    ax.set_xlabel("seconds")
    ax.set_ylabel("dlib distance to portrait")
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=10)
    _save(fig, path)


def head_traces(path: Path, traces: Sequence[tuple[str, np.ndarray, np.ndarray, float]]):
    """traces: (label, yaw, pitch, fps), both angles relative to their median."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 1, figsize=(WIDTH, 4.2), sharex=True)
    for label, yaw, pitch, fps in traces:
        t = np.arange(len(yaw)) / fps
        for ax, angle in zip(axes, (yaw, pitch), strict=True):
            a = smoothed(angle, fps, 0.12)
            ax.plot(t, a - np.nanmedian(a), color=colour(label.split()[0]), lw=1, label=label)
    axes[0].set_ylabel("yaw, deg")
    axes[1].set_ylabel("pitch, deg")
    axes[1].set_xlabel("seconds")
    axes[0].legend(fontsize=7, ncol=3)
    fig.suptitle("Head motion measured from the pixels (solvePnP), minus the median", fontsize=10)
    _save(fig, path)


def blink_timelines(path: Path, rows: Sequence[tuple[str, Sequence[float], float]]):
    """rows: (label, blink onsets s, duration s)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH, 0.4 * len(rows) + 1.0))
    for k, (label, onsets, duration) in enumerate(rows):
        ax.plot([0, duration], [k, k], color="#dddddd", lw=6, solid_capstyle="butt")
        ax.plot(onsets, [k] * len(onsets), "|", color=colour(label.split()[0]), ms=14, mew=2)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
    ax.set_xlabel("seconds")
    ax.set_title("Blinks detected from the eye aspect ratio", fontsize=10)
    _save(fig, path)


def long_form(path: Path, traces: Sequence[tuple[str, dict[str, np.ndarray]]]):
    """traces: (system, {"id_t", "id", "t", "frame_ms", "mem_t", "mem_mb"})."""
    plt = _pyplot()
    fig, axes = plt.subplots(3, 1, figsize=(WIDTH, 6.0), sharex=True)
    for label, tr in traces:
        c = colour(label)
        axes[0].plot(tr["id_t"] / 60, tr["id"], ".", color=c, ms=3, label=label)
        axes[1].plot(tr["t"] / 60, tr["frame_ms"], color=c, lw=0.8, label=label)
        axes[2].plot(tr["mem_t"] / 60, tr["mem_mb"], color=c, lw=1, label=label)
    axes[0].set_ylabel("identity dist.")
    axes[1].set_ylabel("ms / frame")
    axes[2].set_ylabel("RSS, MB")
    axes[2].set_xlabel("minutes")
    axes[0].legend(fontsize=7)
    fig.suptitle("Long-form session: identity, per-frame time (10 s means), memory", fontsize=10)
    _save(fig, path)


def pitch_nods(path: Path, traces: Sequence[tuple[str, np.ndarray, float, Sequence[float]]],
               pauses: Sequence[float]):  # fmt: skip
    """Listening: head pitch with the detected nods, and the user's pause onsets."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH, 3.0))
    for p in pauses:
        ax.axvline(p, color="#bbbbbb", lw=0.8)
    for label, pitch, fps, nod_times in traces:
        t = np.arange(len(pitch)) / fps
        a = smoothed(pitch, fps, 0.12)
        a = a - np.nanmedian(a)
        ax.plot(t, a, color=colour(label), lw=1, label=label)
        idx = np.clip(np.round(np.array(nod_times) * fps).astype(int), 0, len(a) - 1)
        ax.plot(np.array(nod_times), a[idx], "v", color=colour(label), ms=6)
    ax.set_xlabel("seconds (grey: pause onsets in the user's speech)")
    ax.set_ylabel("pitch, deg")
    ax.legend(fontsize=7, ncol=3)
    ax.set_title("Listening: head pitch and detected nods", fontsize=10)
    _save(fig, path)
