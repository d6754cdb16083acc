"""Run the benchmark: inputs, then each selected group in turn, then the report."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from openlpm.bench.context import Context
from openlpm.bench.data import DataSet, discover, quick_data
from openlpm.bench.options import BenchOptions
from openlpm.bench.progress import NoProgress, Progress
from openlpm.bench.results import BenchResult, GroupResult

_PACKAGES = (
    "openlpm", "numpy", "scipy", "opencv-python-headless", "tokenizers", "dlib-bin",
    "face-recognition-models", "pocketsphinx", "espeakng-loader", "onnxruntime", "matplotlib",
    "pylipsync", "av",
)  # fmt: skip


def _groups() -> dict[str, Callable[[Context], GroupResult]]:
    from openlpm.bench.groups import (
        conversation,
        generalization,
        listening,
        longform,
        speaking,
        speed,
        text,
    )

    return {
        "speaking": speaking.run,
        "listening": listening.run,
        "conversation": conversation.run,
        "text": text.run,
        "generalization": generalization.run,
        "longform": longform.run,
        "speed": speed.run,
    }


def load_data(options: BenchOptions) -> DataSet:
    return discover(Path(options.data)) if options.data is not None else quick_data()


def run_bench(options: BenchOptions, progress: Progress | None = None) -> BenchResult:
    """Every selected group on the options' data; figures only (see report.write_report)."""
    t0 = time.perf_counter()
    progress = progress or NoProgress()
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    progress.group("loading the inputs", 1, len(options.groups) + 1)
    data = load_data(options)
    ctx = Context(options, data, progress, out, notes=list(data.notes))
    table = _groups()
    results = []
    for k, name in enumerate(options.groups, start=2):
        progress.group(name, k, len(options.groups) + 1)
        g0 = time.perf_counter()
        result = table[name](ctx)
        results.append(_timed(result, time.perf_counter() - g0))
    return BenchResult(
        groups=tuple(results),
        settings=_settings(options),
        versions=versions(),
        data=_data_summary(data),
        notes=tuple(ctx.notes),
        seconds=time.perf_counter() - t0,
    )


def _timed(result: GroupResult, seconds: float) -> GroupResult:
    from dataclasses import replace

    return replace(result, seconds=seconds)


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _settings(o: BenchOptions) -> dict:
    return {
        "data": str(o.data) if o.data is not None else None,
        "quick": o.quick,
        "systems": list(o.systems),
        "groups": list(o.groups),
        "long_minutes": o.long_s / 60,
        "seed": o.seed,
        "fps": o.fps,
        "size": o.render_size,
        "pairs_per_clip": o.pairs_per_clip,
        "identity_every_s": o.identity_every_s,
    }


def _data_summary(d: DataSet) -> dict:
    return {
        "source": d.source,
        "portraits": [f"{p.name} ({p.style})" for p in d.portraits],
        "clips": [
            f"{c.name} ({c.language}, {c.audio.duration:.1f} s, phones: {c.phone_source})"
            for c in d.clips
        ],
        "videos": [v.name for v in d.videos],
    }
