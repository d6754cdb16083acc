"""The motion interchange CSV: ``time,<param>,<param>...`` rows, resampled to a frame rate.

See docs/motion-format.md for the format; this module is its reference reader and writer.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from openlpm.errors import MotionFormatError
from openlpm.motion.frame import MotionTrack
from openlpm.motion.params import HEAD, PARAM_INDEX, PARAMS, RANGES

MAX_SECONDS = 3600.0  # one hour: a larger last time is almost surely a unit mistake (ms?)
_TIME = "time"
_DECIMALS = 4
_ROUNDING = 0.5 * 10.0**-_DECIMALS + 1e-9  # how far a written value (or time) can be off


def read_curves(source: str | os.PathLike[str] | TextIO, fps: float) -> MotionTrack:
    """Read a motion CSV and sample it at ``fps``: frame i is the pose at ``i / fps`` seconds.

    Frames run from time 0 to the last row's time inclusive; values are interpolated linearly
    between rows, held before the first row, and missing columns are 0 (neutral). Raises
    :class:`MotionFormatError` naming the line and column of the first problem.
    """
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    lines = _read_lines(source)
    rows = [(n, _cells(line)) for n, line in lines if line.strip() and not _comment(line)]
    if not rows:
        raise MotionFormatError("the motion file is empty; it needs a header like 'time,jawOpen'")
    header_line, header = rows[0]
    columns = _check_header(header, header_line)
    if len(rows) == 1:
        raise MotionFormatError(f"the motion file has a header but no rows (line {header_line})")
    table = np.array([_parse_row(cells, columns, n) for n, cells in rows[1:]])
    return _resample(table, columns, rows[1:], fps)


def _read_lines(source: str | os.PathLike[str] | TextIO) -> list[tuple[int, str]]:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8-sig")  # tolerate a spreadsheet's BOM
        except FileNotFoundError as e:
            raise MotionFormatError(f"motion file not found: {path}; check the path") from e
        except (OSError, UnicodeDecodeError) as e:
            raise MotionFormatError(f"cannot read {path.name} as UTF-8 text: {e}") from e
    else:
        text = source.read().removeprefix("\ufeff")
    return list(enumerate(text.splitlines(), start=1))


def _comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split(",")]


def _check_header(names: list[str], line: int) -> list[str]:
    for i, name in enumerate(names, start=1):
        if not name:
            raise MotionFormatError(f"line {line}: column {i} has no name (a stray comma?)")
    unknown = [n for n in names if n != _TIME and n not in PARAM_INDEX]
    if unknown:
        listed = ", ".join(_with_suggestion(n) for n in unknown)
        raise MotionFormatError(
            f"line {line}: unknown column(s): {listed}; valid names are in docs/motion-format.md"
        )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise MotionFormatError(f"line {line}: duplicate column(s): {', '.join(duplicates)}")
    if _TIME not in names:
        raise MotionFormatError(f"line {line}: no 'time' column; start the header with 'time,'")
    return names


def _with_suggestion(name: str) -> str:
    """``jawopen -> did you mean jawOpen?`` when a close valid name exists."""
    lower = {v.lower(): v for v in (_TIME, *PARAMS)}
    key = name.lower()
    if key not in lower:
        close = difflib.get_close_matches(key, lower, n=1, cutoff=0.6)
        if not close:
            return name
        key = close[0]
    return f"{name} -> did you mean {lower[key]}?"


def _parse_row(cells: list[str], columns: list[str], line: int) -> list[float]:
    if len(cells) != len(columns):
        raise MotionFormatError(
            f"line {line}: {len(cells)} cells but the header has {len(columns)} columns"
        )
    return [_parse_cell(cell, name, line) for cell, name in zip(cells, columns, strict=True)]


def _parse_cell(cell: str, name: str, line: int) -> float:
    where = f"line {line}, column {name}"
    try:
        value = float(cell) if "_" not in cell else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise MotionFormatError(f"{where}: {cell!r} is not a finite number")
    if name == _TIME:
        if value < 0:
            raise MotionFormatError(f"{where}: time {cell} is negative; times start at 0")
        if value > MAX_SECONDS:
            raise MotionFormatError(
                f"{where}: time {cell} s is past the {MAX_SECONDS:g} s limit; times are seconds"
            )
        return value
    low, high = RANGES[name]
    if not low <= value <= high:
        unit = " degrees" if name in HEAD else ""
        raise MotionFormatError(f"{where}: {cell} is outside [{low:g}, {high:g}]{unit}")
    return value


def _resample(
    table: np.ndarray, columns: list[str], rows: list[tuple[int, list[str]]], fps: float
) -> MotionTrack:
    times = table[:, columns.index(_TIME)]
    for k in np.flatnonzero(np.diff(times) <= 0):
        line = rows[k + 1][0]
        raise MotionFormatError(
            f"line {line}: time {times[k + 1]:g} is not after the previous row's "
            f"{times[k]:g}; times must strictly increase"
        )
    times = _snap_to_frames(times, fps)
    count = math.floor((times[-1] + _ROUNDING) * fps) + 1  # the last row's frame, if rounded
    at = np.arange(count) / fps
    values = np.zeros((count, len(PARAMS)), dtype=np.float32)
    for j, name in enumerate(columns):
        if name != _TIME:
            values[:, PARAM_INDEX[name]] = np.interp(at, times, table[:, j])
    return MotionTrack(values, fps)


def _snap_to_frames(times: np.ndarray, fps: float) -> np.ndarray:
    """Move times that are a frame time rounded to 4 decimals back onto that frame time.

    Written times are rounded (1/30 s becomes 0.0333), and interpolating at the exact frame
    time between such rows would blend neighbouring frames: snapping makes a write -> read
    round trip at the same frame rate return the written values.
    """
    frames = np.round(times * fps) / fps
    snapped = np.where(np.abs(frames - times) <= _ROUNDING, frames, times)
    return snapped if np.all(np.diff(snapped) > 0) else times


def write_curves(
    track: MotionTrack,
    stream: str | os.PathLike[str] | TextIO,
    columns: Sequence[str] | None = None,
) -> None:
    """Write ``track`` as a motion CSV: ``time`` in seconds then one column per parameter.

    By default the columns are every parameter that is non-zero in some frame (in PARAMS
    order); ``time`` is always written. Values have 4 decimals.
    """
    names = _output_columns(track, columns)
    lines = [",".join([_TIME, *names])]
    indices = [PARAM_INDEX[n] for n in names]
    for i, row in enumerate(track.values):
        cells = [_fmt(i / track.fps), *(_fmt(float(row[k])) for k in indices)]
        lines.append(",".join(cells))
    text = "\n".join(lines) + "\n"
    if isinstance(stream, (str, os.PathLike)):
        from openlpm.io.atomic import atomic_path  # io is heavier (cv2, av); import when needed

        with atomic_path(stream) as tmp:
            tmp.write_text(text, encoding="utf-8")
    else:
        stream.write(text)


def _output_columns(track: MotionTrack, columns: Iterable[str] | None) -> list[str]:
    if columns is None:
        used = np.any(track.values != 0, axis=0)
        return [name for name, on in zip(PARAMS, used, strict=True) if on]
    names = [c for c in columns if c != _TIME]
    unknown = [n for n in names if n not in PARAM_INDEX]
    if unknown:
        listed = ", ".join(_with_suggestion(n) for n in unknown)
        raise MotionFormatError(f"unknown column(s) to write: {listed}")
    return list(dict.fromkeys(names))  # drop repeats, keep order


def _fmt(value: float) -> str:
    text = f"{value:.{_DECIMALS}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text  # no "-0.0000"
