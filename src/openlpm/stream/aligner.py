"""Alignment jobs for live sessions, run in one child process shared by the sessions.

pocketsphinx holds the GIL for a whole decode (a second and more for a sentence), which
would stall every session's engine thread; in a child process it runs beside them. The child
is a plain ``python -m openlpm.stream.aligner`` (not multiprocessing: that would re-import
the user's main script), started on the first job (~1-2 s: Python, numpy, pocketsphinx's
model) and kept; jobs and answers are pickles over its stdin/stdout, one job at a time.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np

from openlpm.audio.align import Piece
from openlpm.audio.phones import PhoneTimeline

_LOCK = threading.Lock()
_child: subprocess.Popen[bytes] | None = None


def align_piece(
    samples: np.ndarray, rate: int, text: str, first_word: int, final: bool
) -> tuple[Piece, int]:
    """(Piece, number of words in ``text``): the words of ``text`` from ``first_word`` on,
    aligned to ``samples`` (see :func:`openlpm.audio.align.align_piece`)."""
    return _call("piece", samples, rate, text, first_word, final)


def timed_phones(words: list[tuple[str, float, float]], duration: float) -> PhoneTimeline:
    """The phones placed from word timestamps (see :func:`openlpm.audio.pronounce.timed_phones`)."""
    return _call("timed", words, duration)


def warm() -> None:
    """Start the child and load pocketsphinx in it now, on a background thread: the first
    text a live session gets is then aligned in a fraction of a second, not after the child's
    1-2 s start (during which its frames keep the audio-only mouth)."""
    threading.Thread(target=_warm_quietly, name="openlpm-aligner-warm", daemon=True).start()


def _warm_quietly() -> None:
    with contextlib.suppress(RuntimeError):  # the first real job reports it
        _call("warm")


def _call(job: str, *args: Any) -> Any:
    global _child
    with _LOCK:
        if _child is None or _child.poll() is not None:
            _child = _start()
        try:
            assert _child.stdin is not None and _child.stdout is not None
            pickle.dump((job, args), _child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            _child.stdin.flush()
            ok, result = pickle.load(_child.stdout)
        except (OSError, EOFError, pickle.UnpicklingError) as e:
            _child.kill()
            _child = None
            raise RuntimeError(f"the alignment process stopped: {e}") from e
    if not ok:
        raise RuntimeError(result)
    return result


def _start() -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])  # where `import openlpm` works
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (package_root, env.get("PYTHONPATH"))))
    return subprocess.Popen(
        [sys.executable, "-m", "openlpm.stream.aligner"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )


# --- in the child ----------------------------------------------------------------------------
def _piece_job(
    samples: np.ndarray, rate: int, text: str, first_word: int, final: bool
) -> tuple[Piece, int]:
    from openlpm.audio.align import align_piece as align
    from openlpm.io.audio import Audio

    words = _words(text)
    if isinstance(words, str):
        return Piece(None, 0, 0.0, words), 0
    return align(Audio(samples, rate), words[first_word:], final), len(words)


@functools.lru_cache(maxsize=64)
def _words(text: str) -> Any:
    """The text's pronounced words, or why there are none."""
    from openlpm.audio.align import pronounced

    spoken = pronounced(text)
    if spoken.failed:
        return "no pronunciation for " + ", ".join(spoken.failed[:5])
    return spoken.words or "the text has no words"


def _warm_job() -> None:
    import pocketsphinx  # noqa: F401

    import openlpm.audio.align  # noqa: F401


def _timed_job(words: list[tuple[str, float, float]], duration: float) -> PhoneTimeline:
    from openlpm.audio.pronounce import timed_phones as place

    return place(words, duration)


def _serve() -> None:
    """Answer jobs from stdin until it closes; stdout carries only the answers."""
    jobs = {"piece": _piece_job, "timed": _timed_job, "warm": _warm_job}
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray output must not corrupt them
    sys.stdout = sys.stderr
    requests = sys.stdin.buffer
    while True:
        try:
            job, args = pickle.load(requests)
        except EOFError:
            return
        try:
            answer: tuple[bool, Any] = (True, jobs[job](*args))
        except Exception as e:
            answer = (False, f"{type(e).__name__}: {e}")
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    _serve()
