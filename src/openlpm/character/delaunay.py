"""The mesh's Delaunay triangulation, computed by scipy's qhull in a short-lived child process.

Importing scipy.spatial holds 38 MB in a process (it pulls in scipy.sparse and scipy.linalg)
for as long as the process lives, and a live session's process builds its rig once and then
runs for hours. No other triangulation gives qhull's triangles: the mesh's grid cells are
exactly cocircular and qhull's joggle ("QJ") decides their diagonals. So the rig build asks a
child process, started when the build starts: Python and qhull load there while the face is
analysed, and the child exits with its answer. A process that has scipy.spatial loaded anyway,
or one whose child fails, triangulates in-process: the same triangles.

The child competes with the build for the cores (two, on the machines we aim at), so it loads
as little as it can: numpy, the qhull extension and the one LAPACK extension that qhull links
to (0.2-0.25 s of CPU; importing scipy.spatial as a whole took 0.6-0.8 s), with one BLAS thread.
"""

from __future__ import annotations

import os
import subprocess
import sys
from types import TracebackType

import numpy as np

QHULL_OPTIONS = "QJ"  # joggled: every point a vertex, no degenerate simplices

# Points in: float64 (x, y) pairs on stdin until it closes; triangles out: int32 on stdout.
# The child loads scipy's qhull extension by itself when it can: importing scipy.spatial
# takes 0.7 s (it imports all of scipy.spatial, sparse and more), the extension 0.4 s, of
# which 0.3 s is scipy.linalg's package, imported on the way to scipy.linalg.cython_lapack
# (qhull takes LAPACK's entry points from it). An empty scipy.linalg package in its place
# lets the extension load alone; any failure falls back to the plain import.
_CHILD = f"""
import importlib.machinery, importlib.util, os, sys, types
import numpy as np
try:
    scipy_folder = importlib.util.find_spec("scipy").submodule_search_locations[0]
    linalg = types.ModuleType("scipy.linalg")
    linalg.__path__ = [os.path.join(scipy_folder, "linalg")]
    sys.modules["scipy.linalg"] = linalg
    folder = os.path.join(scipy_folder, "spatial")
    path = next(os.path.join(folder, "_qhull" + suffix)
                for suffix in importlib.machinery.EXTENSION_SUFFIXES
                if os.path.exists(os.path.join(folder, "_qhull" + suffix)))
    spec = importlib.util.spec_from_file_location("scipy.spatial._qhull", path)
    qhull = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(qhull)
    Delaunay = qhull.Delaunay
except Exception:
    sys.modules.pop("scipy.linalg", None)
    from scipy.spatial import Delaunay
xy = np.frombuffer(sys.stdin.buffer.read(), np.float64).reshape(-1, 2)
triangles = Delaunay(xy, qhull_options={QHULL_OPTIONS!r}).simplices.astype(np.int32)
sys.stdout.buffer.write(triangles.tobytes())
"""
_CHILD_TIMEOUT_S = 60.0
# The child multiplies no matrices: one BLAS thread each for numpy's and scipy's OpenBLAS
# saves starting (and scheduling) a pool of them.
_CHILD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def delaunay_in_process(xy: np.ndarray) -> np.ndarray:
    """(T, 3) int32 triangles of the (N, 2) points ``xy``, by scipy's qhull in this process."""
    from scipy.spatial import Delaunay

    return Delaunay(np.asarray(xy, np.float64), qhull_options=QHULL_OPTIONS).simplices.astype(
        np.int32
    )


def triangulate(xy: np.ndarray) -> np.ndarray:
    """(T, 3) int32 triangles of the (N, 2) points ``xy``, by a child process started now
    (the same as :func:`delaunay_in_process` gives). A rig build starts its
    :class:`Triangulator` earlier, to load the child while it analyses the image."""
    with Triangulator() as triangulator:
        return triangulator.triangles(xy)


class Triangulator:
    """One triangulation by a child process started on construction (see the module's
    docstring); a context manager that ends the child if its answer is never asked for.
    Whoever constructs one closes it (``with``); others are handed :meth:`triangles`."""

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None
        if "scipy.spatial" in sys.modules:
            return  # already paid for: no child needed
        if getattr(sys, "frozen", False) or not sys.executable:
            return  # a bundled app's executable is not a Python to run ``-c`` with
        try:
            self._child = subprocess.Popen(
                [sys.executable, "-c", _CHILD],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, **_CHILD_ENV},
            )
        except OSError:
            self._child = None

    def triangles(self, xy: np.ndarray) -> np.ndarray:
        """(T, 3) int32 triangles of the (N, 2) points ``xy``: the same as
        :func:`delaunay_in_process` gives."""
        xy = np.ascontiguousarray(xy, np.float64)
        child, self._child = self._child, None
        if child is not None:
            try:
                out, _ = child.communicate(xy.tobytes(), timeout=_CHILD_TIMEOUT_S)
                if child.returncode == 0 and out and len(out) % 12 == 0:
                    return np.frombuffer(out, np.int32).reshape(-1, 3).copy()
            except (OSError, subprocess.TimeoutExpired):
                _end(child)
        return delaunay_in_process(xy)

    def close(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            _end(child)

    def __enter__(self) -> Triangulator:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _end(child: subprocess.Popen[bytes]) -> None:
    child.kill()
    child.communicate()  # reaps it and closes its pipes
