"""Vertex depths bounded so that turning the head never folds the mesh over itself.

A turn by yaw a and pitch b moves a vertex to R (x, y, z); a triangle over which depth varies
with slope g = (dz/dx, dz/dy) keeps its orientation while the z-row of R dotted with
(-g_x, -g_y, 1) stays positive, i.e. while it still faces the camera. Divided by cos a cos b
that is 1 - tan(a) g_x + tan(b) / cos(a) g_y, so every pose inside the limits keeps every
triangle facing forward when

    tan(A) |g_x| + tan(B) / cos(A) |g_y| <= 1 - MARGIN.

A real head folds at its silhouette (the far cheek slips behind the face); the backward warp
cannot show that, and where it was asked to, it tore a seam through the far cheek. Bounded
slopes make the far side compress toward the silhouette instead, which is what occlusion
looks like. The bounded depths are the nearest ones to the modelled depths (least absolute
change, a small linear programme), so relief that could not fold keeps its full depth.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csr_matrix, hstack, identity, vstack

from openlpm.motion.params import HEAD_LIMIT_DEG

YAW_LIMIT_DEG = HEAD_LIMIT_DEG  # the renderer clips head angles to these
PITCH_LIMIT_DEG = HEAD_LIMIT_DEG
MARGIN = 0.15  # of the rest area every triangle keeps at the limits, for expressions on top
_MIN_AREA = 0.05  # px^2: joggled slivers of the Delaunay mesh have no meaningful slope


def slope_gradients(xy: np.ndarray, triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 3) coefficients mapping each triangle's vertex depths to (dz/dx, dz/dy), and the
    triangles' doubled signed areas."""
    a, b, c = (xy[triangles[:, k]].astype(np.float64) for k in range(3))
    e1, e2 = b - a, c - a
    area2 = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    safe = np.where(np.abs(area2) > 1e-12, area2, 1.0)
    # Solving [e1; e2] g = (z_b - z_a, z_c - z_a) for g by Cramer's rule.
    gx_b, gx_c = e2[:, 1] / safe, -e1[:, 1] / safe
    gy_b, gy_c = -e2[:, 0] / safe, e1[:, 0] / safe
    gx = np.column_stack([-(gx_b + gx_c), gx_b, gx_c])
    gy = np.column_stack([-(gy_b + gy_c), gy_b, gy_c])
    return np.stack([gx, gy]), area2


def bound_slopes(
    xy: np.ndarray, depth: np.ndarray, triangles: np.ndarray, moving: np.ndarray
) -> np.ndarray:
    """``depth`` changed as little as possible so that no triangle with a ``moving`` vertex
    folds at any head pose within the limits (see the module's docstring)."""
    coef, area2 = slope_gradients(xy, triangles)
    keep = moving[triangles].any(1) & (np.abs(area2) > 2 * _MIN_AREA)
    tri, coef = triangles[keep], coef[:, keep]
    n, t = len(depth), len(tri)
    tan_a, tan_b = np.tan(np.radians([YAW_LIMIT_DEG, PITCH_LIMIT_DEG]))
    weights = (tan_a, tan_b / np.cos(np.radians(YAW_LIMIT_DEG)))
    rows = np.repeat(np.arange(t), 3)
    slopes = []
    for sx, sy in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
        values = sx * weights[0] * coef[0] + sy * weights[1] * coef[1]
        slopes.append(coo_matrix((values.ravel(), (rows, tri.ravel())), shape=(t, n)))
    # Variables: the depths, then |depth - modelled| per vertex (minimised).
    eye = identity(n, format="csr")
    a_ub = vstack(
        [
            hstack([vstack(slopes), csr_matrix((4 * t, n))]),
            hstack([eye, -eye]),
            hstack([-eye, -eye]),
        ]
    ).tocsr()
    b_ub = np.concatenate(
        [np.full(4 * t, 1.0 - MARGIN), depth.astype(np.float64), -depth.astype(np.float64)]
    )
    cost = np.concatenate([np.zeros(n), np.ones(n)])
    bounds = [(None, None)] * n + [(0, None)] * n
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if not result.success:  # cannot happen (flat depth is always feasible); keep the model
        return depth
    return result.x[:n].astype(depth.dtype)
