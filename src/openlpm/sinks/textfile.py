"""A text output that appears whole or not at all ("-" is standard output)."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TextIO

from openlpm.io.atomic import temp_path_for


class AtomicText:
    """Lines go to a hidden temp file, renamed onto ``path`` by :meth:`close`;
    :meth:`abort` removes it. ``"-"`` writes to standard output as it goes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._tmp: Path | None = None
        if str(path) == "-":
            self._file: TextIO = sys.stdout
        else:
            self._tmp = temp_path_for(self.path)
            self._file = open(self._tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115

    def write(self, text: str) -> None:
        self._file.write(text)
        if self._tmp is None:
            self._file.flush()  # a pipe reader sees each frame as it is made

    def close(self) -> None:
        if self._tmp is None or self._file.closed:
            return
        self._file.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        if self._tmp is None or self._file.closed:
            return
        self._file.close()
        with contextlib.suppress(OSError):
            self._tmp.unlink()
