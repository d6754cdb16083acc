"""Giving freed heap memory back to the operating system, and keeping the heap compact.

Building a rig allocates and frees a few hundred MB of temporaries (crops, masks, the plate,
model activations). glibc keeps most of what was freed in its heap, so a long-lived process
(the web app) would go on holding it; ``malloc_trim`` returns it. glibc also gives each thread
that allocates its own arena (up to 8 per core), each holding its own free memory: the web
app's threads (engine, rig builds, socket writers, onnxruntime) share a few instead.

Rendering churns too: every frame allocates and frees a few MB of images and maps, and the
heap's free chunks end up scattered between live ones, where glibc never returns them by
itself (10 MB of a live session's steady RSS). Live sessions trim every few seconds
(:func:`release_free_memory_every`): about a millisecond each time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading
import time
from typing import Any


@functools.cache
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


M_ARENA_MAX = -8  # mallopt's parameter number (malloc.h)


def release_free_memory() -> None:
    """Return the heap's free pages to the OS (glibc only; elsewhere nothing happens)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


_next_release = 0.0
_release_lock = threading.Lock()


def release_free_memory_every(period_s: float) -> None:
    """:func:`release_free_memory` if the process has not done it in the last ``period_s``
    seconds (once per period however many threads call this: it is process-wide)."""
    global _next_release
    now = time.monotonic()
    if now < _next_release or not _release_lock.acquire(blocking=False):
        return
    try:
        if now >= _next_release:
            _next_release = now + period_s
            release_free_memory()
    finally:
        _release_lock.release()


def limit_arenas(count: int = 2) -> None:
    """At most ``count`` malloc arenas from now on, for the whole process (glibc only): call it
    at the start of a program of ours, never from library code that runs in someone else's."""
    libc = _libc()
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(M_ARENA_MAX, count)
