"""Progress reporting, passed in (never global): a rich bar on a terminal, or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO


class Progress(Protocol):
    def group(self, name: str, index: int, total: int) -> None:
        """A group starts (``index`` counts from 1)."""

    def job(self, description: str, total: int) -> None:
        """A job of ``total`` steps (frames) starts within the group."""

    def advance(self, steps: int = 1) -> None: ...


class NoProgress:
    def group(self, name: str, index: int, total: int) -> None:
        pass

    def job(self, description: str, total: int) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass


class RichProgress:
    """Two bars: the groups, and the frames of the current job."""

    def __init__(self, bar) -> None:  # a started rich.progress.Progress
        self._bar = bar
        self._groups = bar.add_task("groups", total=1)
        self._job = bar.add_task("", total=1)

    def group(self, name: str, index: int, total: int) -> None:
        self._bar.update(
            self._groups, description=f"[bold]{name}", completed=index - 1, total=total
        )

    def job(self, description: str, total: int) -> None:
        self._bar.reset(self._job, description=f"  {description}", total=max(total, 1))

    def advance(self, steps: int = 1) -> None:
        self._bar.advance(self._job, steps)

    def finish(self) -> None:
        groups = self._bar.tasks[0]
        self._bar.update(self._groups, completed=groups.total)


@contextmanager
def terminal_progress(file: TextIO | None = None) -> Iterator[Progress]:
    """A RichProgress on ``file`` (default stderr) when it is a terminal, else NoProgress."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import (
        Progress as Bar,
    )

    console = Console(file=file, stderr=file is None)
    if not console.is_terminal:
        yield NoProgress()
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Bar(*columns, console=console, transient=True) as bar:
        progress = RichProgress(bar)
        yield progress
        progress.finish()
