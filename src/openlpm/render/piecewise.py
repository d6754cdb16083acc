"""Piecewise-affine maps between two placements of the face landmarks: for pixels laid out by
one set of landmarks, where the same skin sits in a picture laid out by another."""

from __future__ import annotations

import numpy as np

from openlpm.character.topology import N_FACE


def landmark_map(
    to_points: np.ndarray, from_points: np.ndarray, box: tuple[int, int, int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every pixel of ``box`` (x0, y0, x1, y1) in the layout of ``to_points`` (N, 2), its
    position in the layout of ``from_points``: (map_x, map_y, inside) where ``inside`` is False
    for pixels outside the face mesh (their map is -1)."""
    # Imported here: only expression references need it, and a live process that imports
    # scipy pays tens of MB for it (issue 14).
    from scipy.spatial import Delaunay

    to_xy = to_points[:N_FACE, :2].astype(np.float64)
    from_xy = from_points[:N_FACE, :2].astype(np.float64)
    tri = Delaunay(to_xy)
    x0, y0, x1, y1 = box
    gy, gx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    simplex = tri.find_simplex(grid)
    inside = simplex >= 0
    t = tri.transform[simplex[inside]]
    first_two = np.einsum("nij,nj->ni", t[:, :2], grid[inside] - t[:, 2])
    bary = np.column_stack([first_two, 1 - first_two.sum(1)])
    corners = from_xy[tri.simplices[simplex[inside]]]  # (n, 3, 2)
    mapped = np.full((len(grid), 2), -1.0)
    mapped[inside] = np.einsum("ni,nij->nj", bary, corners)
    shape = (y1 - y0, x1 - x0)
    return (
        mapped[:, 0].reshape(shape).astype(np.float32),
        mapped[:, 1].reshape(shape).astype(np.float32),
        inside.reshape(shape),
    )
