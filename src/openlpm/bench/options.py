"""The benchmark's settings, validated in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openlpm.errors import InputError

# "human" is the reference row: the same analyzers on the data folder's real videos.
SYSTEMS: tuple[str, ...] = ("static", "flap", "pylipsync", "base", "online", "human")
RENDERED: tuple[str, ...] = SYSTEMS[:-1]
GROUPS: tuple[str, ...] = (
    "speaking",
    "listening",
    "conversation",
    "text",
    "generalization",
    "longform",
    "speed",
)
MAX_LONG_MINUTES = 120.0


@dataclass(frozen=True)
class BenchOptions:
    """What to run. ``data`` None with ``quick`` makes small inputs of its own (TTS speech and
    the bundled portraits); ``long_minutes`` None means 10 (0.25 with ``quick``)."""

    out: Path
    data: Path | None = None
    quick: bool = False
    systems: tuple[str, ...] = SYSTEMS
    groups: tuple[str, ...] = GROUPS
    long_minutes: float | None = None
    seed: int = 0
    fps: float = 25.0
    size: int | None = None  # long side of the rendered frames: 512 (384 with quick), pixels
    # speaking: portraits per speech clip; None: a round robin of max(portraits, clips) pairs,
    # so that every portrait and every clip is rendered at least once
    pairs_per_clip: int | None = None
    identity_every_s: float = 1.0  # seconds between identity descriptors
    # text: every prompt on every portrait (else each prompt on one portrait, in turn)
    text_all_portraits: bool = False

    def __post_init__(self) -> None:
        if self.data is None and not self.quick:
            raise InputError("give a data folder (--data DIR) or --quick for self-made inputs")
        if self.data is not None and not Path(self.data).is_dir():
            raise InputError(f"the data folder {self.data} does not exist: check the path")
        _known("system", self.systems, SYSTEMS)
        _known("group", self.groups, GROUPS)
        if self.long_minutes is not None and not 0 < self.long_minutes <= MAX_LONG_MINUTES:
            raise InputError(
                f"--long must be within (0, {MAX_LONG_MINUTES:g}] minutes, got {self.long_minutes}"
            )
        if not 1 <= self.fps <= 60:
            raise InputError(f"fps must be within 1..60, got {self.fps}")
        if self.size is not None and not 128 <= self.size <= 1024:
            raise InputError(f"size must be within 128..1024 pixels, got {self.size}")
        if self.pairs_per_clip is not None and self.pairs_per_clip < 1:
            raise InputError(f"pairs per clip must be at least 1, got {self.pairs_per_clip}")
        if self.identity_every_s <= 0:
            raise InputError(f"identity interval must be positive, got {self.identity_every_s}")
        out = Path(self.out)
        if out.exists() and not out.is_dir():
            raise InputError(f"the output {out} is a file: give a folder for the report")

    @property
    def rendered(self) -> tuple[str, ...]:
        """The selected systems that render frames (all but "human")."""
        return tuple(s for s in self.systems if s in RENDERED)

    @property
    def render_size(self) -> int:
        return self.size or (384 if self.quick else 512)

    @property
    def long_s(self) -> float:
        """Length of the long-form session in seconds."""
        minutes = (
            self.long_minutes if self.long_minutes is not None else (0.25 if self.quick else 10.0)
        )
        return 60.0 * minutes


def _known(kind: str, given: tuple[str, ...], known: tuple[str, ...]) -> None:
    if not given:
        raise InputError(f"no {kind}s selected: name at least one of {', '.join(known)}")
    unknown = [g for g in given if g not in known]
    if unknown:
        raise InputError(f"unknown {kind}(s) {', '.join(unknown)}: choose from {', '.join(known)}")


def parse_list(text: str) -> tuple[str, ...]:
    """'static, flap,base' -> ('static', 'flap', 'base') (order kept, duplicates dropped)."""
    return tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
