"""Quieting native libraries: mediapipe's C++ side prints TFLite/XNNPACK info lines on file
descriptor 2 whenever it creates a graph, past Python's ``sys.stderr``."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def native_stderr_muted() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null while the block runs (process-wide). Python-level
    errors still reach the user, as exceptions."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
