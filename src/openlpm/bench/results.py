"""Typed results: what each group measured, up to the report writers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Better = Literal["higher", "lower", "zero", "human", ""]
Value = float | int | str | None


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str = ""
    better: Better = ""  # how to read it: higher, lower, near zero, near the human row
    digits: int = 2
    description: str = ""


@dataclass(frozen=True)
class Row:
    label: str  # a system (or "human"), or a style, prompt, ...
    values: dict[str, Value]
    n: int = 0  # items the figures are averaged over


@dataclass(frozen=True)
class Table:
    title: str
    metrics: tuple[Metric, ...]
    rows: tuple[Row, ...]
    label: str = "system"  # what the rows are


@dataclass(frozen=True)
class Item:
    """The figures of one rendered (or real) video, for the JSON."""

    system: str
    item: str
    portrait: str
    values: dict[str, Value]


@dataclass(frozen=True)
class Plot:
    file: str  # relative to the report folder
    caption: str


@dataclass(frozen=True)
class GroupResult:
    name: str
    title: str
    description: str
    tables: tuple[Table, ...] = ()
    items: tuple[Item, ...] = ()
    plots: tuple[Plot, ...] = ()
    notes: tuple[str, ...] = ()
    seconds: float = 0.0  # wall time of the group


@dataclass(frozen=True)
class BenchResult:
    groups: tuple[GroupResult, ...]
    settings: dict[str, Value | list[str]]
    versions: dict[str, str]
    data: dict[str, Value | list[str]]
    notes: tuple[str, ...] = field(default=())
    seconds: float = 0.0
