"""Atomic file output: write to a hidden temp file next to the target, then rename.

A crash or an exception never leaves a half-written file under the final name, and readers
never see a partial file (``os.replace`` is atomic on one filesystem, hence the same folder).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from openlpm.errors import InputError


def temp_path_for(path: str | os.PathLike[str]) -> Path:
    """Create (empty) and return a hidden temp file in ``path``'s folder, creating the folder.

    The temp name keeps ``path``'s suffix so that writers that infer the format from it work.
    """
    final = Path(path)
    # Not tempfile.mkstemp: its files are mode 0600, and the renamed output should get the
    # usual permissions (0666 less the umask), like any file the user creates.
    tmp = final.parent / f".{final.name}.partial-{secrets.token_hex(4)}{final.suffix}"
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as e:
        raise InputError(
            f"cannot write to {final.parent}: {e.strerror or e}; choose a writable output folder"
        ) from e
    os.close(fd)
    return tmp


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp path next to ``path``; it replaces ``path`` on success, else it is removed."""
    tmp = temp_path_for(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
