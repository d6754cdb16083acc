"""MotionFrame (one pose) and MotionTrack (a timeline of poses at a fixed frame rate)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from openlpm.motion.params import PARAM_INDEX, PARAMS, RANGES

_LOW = np.array([RANGES[n][0] for n in PARAMS], dtype=np.float32)
_HIGH = np.array([RANGES[n][1] for n in PARAMS], dtype=np.float32)


def _check_names(names: Mapping[str, float] | list[str]) -> None:
    unknown = [n for n in names if n not in PARAM_INDEX]
    if unknown:
        raise KeyError(f"unknown motion parameter(s): {', '.join(unknown)}")


@dataclass(frozen=True, eq=False)
class MotionFrame:
    """One pose: a float32 vector over :data:`openlpm.motion.params.PARAMS`.

    Build one with ``MotionFrame.neutral()`` or ``MotionFrame.of(jawOpen=0.5, headYaw=10)``;
    read a value with ``frame["jawOpen"]``.
    """

    vector: np.ndarray

    def __post_init__(self) -> None:
        if self.vector.shape != (len(PARAMS),):
            raise ValueError(
                f"a MotionFrame vector has {len(PARAMS)} values, got {self.vector.shape}"
            )

    @classmethod
    def neutral(cls) -> MotionFrame:
        return cls(np.zeros(len(PARAMS), dtype=np.float32))

    @classmethod
    def of(cls, values: Mapping[str, float] | None = None, **kwargs: float) -> MotionFrame:
        merged = {**(values or {}), **kwargs}
        _check_names(merged)
        vec = np.zeros(len(PARAMS), dtype=np.float32)
        for name, value in merged.items():
            vec[PARAM_INDEX[name]] = value
        return cls(vec)

    def __getitem__(self, name: str) -> float:
        return float(self.vector[PARAM_INDEX[name]])

    def replace(self, **kwargs: float) -> MotionFrame:
        """A copy with some parameters changed."""
        _check_names(kwargs)
        vec = self.vector.copy()
        for name, value in kwargs.items():
            vec[PARAM_INDEX[name]] = value
        return MotionFrame(vec)

    def clipped(self) -> MotionFrame:
        """A copy with every parameter inside its valid range."""
        return MotionFrame(np.clip(self.vector, _LOW, _HIGH))

    def as_dict(self, nonzero_only: bool = False) -> dict[str, float]:
        return {
            n: float(v) for n, v in zip(PARAMS, self.vector, strict=True) if v or not nonzero_only
        }


@dataclass(frozen=True, eq=False)
class MotionTrack:
    """Poses sampled at ``fps``: ``values[i]`` is the pose at ``i / fps`` seconds."""

    values: np.ndarray  # (frames, len(PARAMS)) float32
    fps: float

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or self.values.shape[1] != len(PARAMS):
            raise ValueError(
                f"MotionTrack values must be (frames, {len(PARAMS)}), got {self.values.shape}"
            )
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def __getitem__(self, index: int) -> MotionFrame:
        return MotionFrame(self.values[index])

    def __iter__(self) -> Iterator[MotionFrame]:
        for row in self.values:
            yield MotionFrame(row)

    @property
    def duration(self) -> float:
        """Seconds covered: the number of frames over the frame rate."""
        return len(self) / self.fps

    def curve(self, name: str) -> np.ndarray:
        return self.values[:, PARAM_INDEX[name]]

    @classmethod
    def from_frames(cls, frames: list[MotionFrame], fps: float) -> MotionTrack:
        values = np.stack([f.vector for f in frames]) if frames else np.zeros((0, len(PARAMS)))
        return cls(values.astype(np.float32), fps)
