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
looks like. The bounded depths are the nearest ones to the modelled depths (least squares):
relief that could not fold keeps its full depth, and a peak too steep for the bound (the nose)
is lowered a little while its surroundings rise a little, which keeps more of its parallax
than flattening the peak alone.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from openlpm.motion.params import HEAD_LIMIT_DEG

YAW_LIMIT_DEG = HEAD_LIMIT_DEG  # the renderer clips head angles to these
PITCH_LIMIT_DEG = HEAD_LIMIT_DEG
MARGIN = 0.15  # about the share of its area a triangle keeps at the limits: room for expressions
_MIN_AREA = 0.05  # px^2: joggled slivers of the Delaunay mesh have no meaningful slope


def slope_gradients(xy: np.ndarray, triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(2, T, 3) coefficients mapping each triangle's vertex depths to (dz/dx, dz/dy), and
    the triangles' doubled signed areas."""
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
    """``depth`` changed as little as possible (least squares) so that no triangle with a
    ``moving`` vertex folds at any head pose within the limits (see the module's docstring)."""
    coef, area2 = slope_gradients(xy, triangles)
    keep = moving[triangles].any(1) & (np.abs(area2) > 2 * _MIN_AREA)
    tri, coef = triangles[keep], coef[:, keep]
    tan_a, tan_b = np.tan(np.radians([YAW_LIMIT_DEG, PITCH_LIMIT_DEG]))
    tan_b /= np.cos(np.radians(YAW_LIMIT_DEG))
    # |tan(A) g_x| + |tan(B)/cos(A) g_y| <= bound  <=>  |tan(A) g_x +- tan(B)/cos(A) g_y| <= bound
    forms = np.concatenate([tan_a * coef[0] + tan_b * coef[1], tan_a * coef[0] - tan_b * coef[1]])
    a = _SlopeForms(forms, np.tile(tri, (2, 1)), len(depth))
    z0 = depth.astype(np.float64)
    if np.abs(a @ z0).max(initial=0.0) <= 1.0 - MARGIN:  # nothing can fold (or nothing moves)
        return depth
    # The solver's products are a few hundred wide: BLAS threads gain nothing there, and on
    # a busy two-core machine they wait for each other at each of up to a thousand steps
    # (2-3x the CPU of one thread; one thread gives the same bits).
    with threadpool_limits(1, user_api="blas"):
        z = _project(z0, a, (1.0 - MARGIN) * 0.98, 1.0 - MARGIN)
    # Slope forms are linear and vanish on a constant: shrinking the change of relief about
    # its mean by the worst excess makes the bound exact, whatever the solver left over.
    worst = float(np.abs(a @ z).max(initial=0.0))
    if worst > 1.0 - MARGIN:
        mean = z.mean()
        z = mean + (z - mean) * ((1.0 - MARGIN) / worst)
    return z.astype(depth.dtype)


class _SlopeForms:
    """A (forms, vertices) matrix with three entries a row (a triangle's vertices), kept as
    those entries: products with it are gathers and sums, so the rig build needs no sparse
    matrix library (scipy.sparse holds 33 MB in a live process)."""

    def __init__(self, coef: np.ndarray, vertices: np.ndarray, n_vertices: int) -> None:
        self.coef, self.vertices, self.n_vertices = coef, vertices, n_vertices
        self._columns = [
            (np.ascontiguousarray(coef[:, k]), vertices[:, k].copy()) for k in range(3)
        ]

    def __matmul__(self, z: np.ndarray) -> np.ndarray:
        (c0, v0), (c1, v1), (c2, v2) = self._columns
        return c0 * z[v0] + c1 * z[v1] + c2 * z[v2]  # in a sparse row's order: same sums

    def transposed_times(self, w: np.ndarray) -> np.ndarray:
        weights = (self.coef * w[:, None]).ravel()
        return np.bincount(self.vertices.ravel(), weights, minlength=self.n_vertices)

    def gram(self) -> np.ndarray:
        """(vertices, vertices) dense a^T a."""
        n = self.n_vertices
        pairs = (self.vertices[:, :, None] * n + self.vertices[:, None, :]).ravel()
        products = (self.coef[:, :, None] * self.coef[:, None, :]).ravel()
        return np.bincount(pairs, products, minlength=n * n).reshape(n, n)


def _project(z0: np.ndarray, a: _SlopeForms, bound: float, enough: float) -> np.ndarray:
    """min |z - z0|^2 subject to |a z| <= bound, by ADMM with one inverted system matrix;
    stops once |a z| <= enough (a little above ``bound``)."""
    # A stiff penalty (rho far above 1 / |row|^2) converges in a few hundred steps here.
    rho = 100.0 / max(float((a.coef**2).sum(1).mean()), 1e-12)
    # A few hundred vertices: the dense inverse is quick, and each step is one product with it.
    inverse = np.linalg.inv(np.eye(a.n_vertices) + rho * a.gram())
    s = np.clip(a @ z0, -bound, bound)
    u = np.zeros_like(s)
    z = z0
    for step in range(1, 1001):
        z = inverse @ (z0 + rho * a.transposed_times(s - u))
        az = a @ z
        s = np.clip(az + u, -bound, bound)
        u += az - s
        if step % 50 == 0 and np.abs(az).max(initial=0.0) <= enough:
            break
    return z
