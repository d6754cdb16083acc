"""Dense backward warp from a mesh's vertex displacements.

The vertex displacements D are spread over a half-resolution pixel grid by linear interpolation
inside the rest mesh's triangles (one sparse matrix product). Rendering needs the inverse: for
each output pixel p, the source point x with x + D(x) = p. A few fixed-point steps x <- p - D(x)
are enough for the smooth fields of head and face motion (its error is of order D * |grad D|^2);
the one place where the field is not smooth, the lip seam as the mouth opens, is covered by the
mouth-interior layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import sparse

from openlpm.character.mesh import BORDER_FRACTION, smoothstep

COARSE = 4  # the displacement field is solved on a grid this many times coarser
NEWTON_STEPS = 3
CONVERGED_PX = 0.05  # stop once every sample lands this close to its target
MIN_STRETCH = 0.25  # floor of 1 + dD/dx in a Newton step: where the field folds, go gently


@dataclass(frozen=True)
class CoarseField:
    """Backward displacement on the coarse grid: the source of pixel p is p + (dx, dy)."""

    dx: np.ndarray  # (ch, cw) float32
    dy: np.ndarray

    @property
    def magnitude(self) -> np.ndarray:
        """Largest of |dx|, |dy| per sample."""
        return np.maximum(np.abs(self.dx), np.abs(self.dy))


class Warp:
    def __init__(self, rest_xy: np.ndarray, triangles: np.ndarray, width: int, height: int) -> None:
        self.width, self.height = width, height
        f = self.factor = COARSE
        self.cw, self.ch = -(-width // f), -(-height // f)
        # Coarse sample i sits at full-resolution coordinate f*i + (f-1)/2 (cv2.resize's rule).
        cx = np.arange(self.cw, dtype=np.float32) * f + (f - 1) / 2
        cy = np.arange(self.ch, dtype=np.float32) * f + (f - 1) / 2
        gx, gy = np.meshgrid(cx, cy)
        self.coarse_x, self.coarse_y = gx, gy  # (ch, cw) full-resolution positions
        coarse_xy = np.stack([gx, gy], -1)  # only needed to build the two maps below
        self.frame_hold = _frame_hold(coarse_xy, width, height)
        self.spread = _barycentric_matrix(
            rest_xy, triangles, coarse_xy.reshape(-1, 2), (self.ch, self.cw), f
        )
        self.identity_x, self.identity_y = np.meshgrid(
            np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
        )
        self._fine_identity: tuple[int, tuple[np.ndarray, np.ndarray]] | None = None

    def backward(self, disp: np.ndarray) -> CoarseField:
        """The coarse backward field of vertex displacements ``disp`` (V, 2)."""
        # Planar (one array per axis) throughout: numpy is slow on a trailing axis of 2.
        fx = (self.spread @ disp[:, 0]).reshape(self.ch, self.cw).astype(np.float32)
        fy = (self.spread @ disp[:, 1]).reshape(self.ch, self.cw).astype(np.float32)
        fx *= self.frame_hold
        fy *= self.frame_hold
        # Solve x + D(x) = p by Newton steps with the Jacobian's diagonal: unlike the plain
        # fixed point x <- p - D(x), this converges where the field stretches faster than 1:1
        # (the side of a turning face, which rotates into view).
        inv_f = np.float32(1 / self.factor)
        slope_x = np.gradient(fx, axis=1) * inv_f  # d Dx / dx per full-resolution pixel
        slope_y = np.gradient(fy, axis=0) * inv_f
        packed = cv2.merge([fx, fy, slope_x, slope_y])
        offset = np.float32((self.factor - 1) / 2)
        px, py = self.coarse_x, self.coarse_y
        x, y = px - fx, py - fy
        for _ in range(NEWTON_STEPS):
            at_x, at_y = (x - offset) * inv_f, (y - offset) * inv_f  # -> coarse sample coords
            sx, sy, gx, gy = cv2.split(
                cv2.remap(packed, at_x, at_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            )
            rx, ry = x + sx - px, y + sy - py  # residual: where x lands, minus where it should
            if max(np.abs(rx).max(), np.abs(ry).max()) < CONVERGED_PX:
                break
            x -= rx / np.maximum(1 + gx, MIN_STRETCH)
            y -= ry / np.maximum(1 + gy, MIN_STRETCH)
        return CoarseField(x - px, y - py)

    def active_box(self, field: CoarseField) -> tuple[int, int, int, int] | None:
        """Full-resolution (x0, y0, x1, y1) holding every pixel that moves, or None."""
        moving = field.magnitude > 1e-3
        rows, cols = np.flatnonzero(moving.any(1)), np.flatnonzero(moving.any(0))
        if not len(rows):
            return None
        # Two spare cells on each side: there the field is zero, so resizing a block gives
        # exactly what resizing the whole grid would.
        cy0, cy1 = max(rows[0] - 2, 0), min(rows[-1] + 3, self.ch)
        cx0, cx1 = max(cols[0] - 2, 0), min(cols[-1] + 3, self.cw)
        f = self.factor
        return cx0 * f, cy0 * f, min(cx1 * f, self.width), min(cy1 * f, self.height)

    def upsample(self, coarse: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        """The part of a coarse map inside ``box`` (full-res, on coarse cell edges), upsampled."""
        f = self.factor
        x0, y0, x1, y1 = box
        block = coarse[y0 // f : -(-y1 // f), x0 // f : -(-x1 // f)]
        size = (block.shape[1] * f, block.shape[0] * f)
        up = cv2.resize(block, size, interpolation=cv2.INTER_LINEAR)
        return up[: y1 - y0, : x1 - x0]

    def full_map(
        self, field: CoarseField, box: tuple[int, int, int, int], factor: int = 1
    ) -> tuple[np.ndarray, np.ndarray]:
        """Planar (map_x, map_y) for cv2.remap of ``box``: faster than one 2-channel map.

        ``factor`` > 1: the maps address a source upsampled that many times on an aligned grid
        (source pixel x at fine coordinate factor * x, see render.supersample)."""
        x0, y0, x1, y1 = box
        ix, iy = self._identity(factor)
        dx, dy = field.dx, field.dy
        if factor != 1:  # scale the coarse field: 16x fewer samples than the maps
            dx, dy = dx * np.float32(factor), dy * np.float32(factor)
        map_x = self.upsample(dx, box) + ix[y0:y1, x0:x1]
        map_y = self.upsample(dy, box) + iy[y0:y1, x0:x1]
        return map_x, map_y

    def _identity(self, factor: int) -> tuple[np.ndarray, np.ndarray]:
        if factor == 1:
            return self.identity_x, self.identity_y
        if self._fine_identity is None or self._fine_identity[0] != factor:
            scale = np.float32(factor)
            maps = (self.identity_x * scale, self.identity_y * scale)
            self._fine_identity = (factor, maps)
        return self._fine_identity[1]


def _frame_hold(xy: np.ndarray, width: int, height: int) -> np.ndarray:
    """(ch, cw) 0 inside the fixed outer frame, rising smoothly to 1 inward of it.

    The mesh's weights already vanish there; this makes the guarantee exact whatever the
    triangulation does between the image edge and the frame's inner vertices.
    """
    inset = BORDER_FRACTION * max(width, height)
    x, y = xy[..., 0], xy[..., 1]
    dist = np.minimum(np.minimum(x, width - 1 - x), np.minimum(y, height - 1 - y))
    return smoothstep(inset, 1.5 * inset, dist).astype(np.float32)


def _barycentric_matrix(
    vertices: np.ndarray,
    triangles: np.ndarray,
    points_xy: np.ndarray,
    shape: tuple[int, int],
    factor: int,
) -> sparse.csr_matrix:
    """Sparse (points, vertices) matrix of barycentric weights in the triangle holding each point.

    ``points_xy`` is a regular grid of ``shape`` (rows, cols), sample i at factor*i + (factor-1)/2.
    """
    ids = np.full(shape, -1, np.int32)
    coarse = ((vertices[:, :2] - (factor - 1) / 2) / factor * 16).round().astype(np.int32)  # 4 bits
    for i, tri in enumerate(triangles):
        cv2.fillPoly(ids, [coarse[tri]], int(i), lineType=cv2.LINE_8, shift=4)
    if (ids < 0).any():  # slivers at the hull: borrow the nearest triangle
        iy, ix = _nearest(ids)
        ids = ids[iy, ix]
    tri_of = ids.ravel()
    a, b, c = (vertices[triangles[tri_of, k], :2].astype(np.float64) for k in range(3))
    p = points_xy.astype(np.float64)
    v0, v1, v2 = b - a, c - a, p - a
    den = v0[:, 0] * v1[:, 1] - v1[:, 0] * v0[:, 1]
    den = np.where(np.abs(den) < 1e-9, 1e-9, den)
    wb = (v2[:, 0] * v1[:, 1] - v1[:, 0] * v2[:, 1]) / den
    wc = (v0[:, 0] * v2[:, 1] - v2[:, 0] * v0[:, 1]) / den
    bary = np.column_stack([1 - wb - wc, wb, wc])
    # A pixel on the edge of a sliver triangle (lips that touch) can be assigned to it by the
    # rasteriser while lying just outside: its raw weights explode (+-50). Clamp them onto the
    # triangle instead.
    bary = np.clip(bary, 0.0, 1.0)
    bary /= np.maximum(bary.sum(1, keepdims=True), 1e-9)
    rows = np.repeat(np.arange(len(p)), 3)
    cols = triangles[tri_of].ravel()
    return sparse.csr_matrix(
        (bary.ravel().astype(np.float32), (rows, cols)), shape=(len(p), len(vertices))
    )


def _nearest(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of the nearest covered pixel, for every pixel."""
    from scipy import ndimage

    _, (iy, ix) = ndimage.distance_transform_edt(ids < 0, return_indices=True)
    return iy, ix
