"""Dense backward warp from a mesh's vertex displacements.

The vertex displacements D are spread over a coarse pixel grid by linear interpolation inside
the rest mesh's triangles (three weighted vertices per sample, see :class:`Spread`). Rendering
needs the inverse: for each output pixel p, the source point x with x + D(x) = p. A few
Newton steps solve it for the smooth fields of head and face motion; the one place where the
field is not smooth, the lip seam as the mouth opens, is covered by the mouth-interior layer.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from openlpm.character.mesh import BORDER_FRACTION, smoothstep

COARSE = 4  # the displacement field is solved on a grid this many times coarser
NEWTON_STEPS = 3  # the first over the whole grid, the rest only where it has not settled
STRAY_PX = 4.0  # an unsettled sample this far from its neighbours' median is mended
CONVERGED_PX = 0.05  # stop once every sample lands this close to its target
MIN_STRETCH = 0.25  # floor of 1 + dD/dx in a Newton step: where the field folds, go gently
BAND_ROWS = 16  # output rows per cv2.remap call in remap_banded
LIST_ROW = 16384  # samples per row of a map when sampling a list (cv2.remap: < 32767 columns)


@dataclass(frozen=True)
class CoarseField:
    """Backward displacement on the coarse grid: the source of pixel p is p + (dx, dy)."""

    dx: np.ndarray  # (ch, cw) float32
    dy: np.ndarray

    @functools.cached_property
    def magnitude(self) -> np.ndarray:
        """Largest of |dx|, |dy| per sample (computed once: the active box and the
        compositing both read it)."""
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
        # Vertex displacements -> field, zero in the fixed outer frame.
        spread = _barycentric(rest_xy, triangles, coarse_xy.reshape(-1, 2), (self.ch, self.cw), f)
        self.spread = spread.held(_frame_hold(coarse_xy, width, height).ravel())
        # The coarse grid's full-resolution positions with one more sample on every side.
        px = np.arange(-1, self.cw + 1, dtype=np.float32) * f + (f - 1) / 2
        py = np.arange(-1, self.ch + 1, dtype=np.float32) * f + (f - 1) / 2
        self._padded_x, self._padded_y = np.meshgrid(px, py)

    def backward(self, disp: np.ndarray) -> CoarseField:
        """The coarse backward field of vertex displacements ``disp`` (V, 2)."""
        # Planar (one array per axis) throughout: numpy is slow on a trailing axis of 2.
        fx, fy = self.spread.apply(disp[:, 0]), self.spread.apply(disp[:, 1])
        # Solve x + D(x) = p by Newton steps with the field's Jacobian: unlike the plain fixed
        # point x <- p - D(x), this converges where the field stretches faster than 1:1 (the
        # side of a turning face, which rotates into view). The cross terms matter for a tilt:
        # a 15 degree roll has dDx/dy = -0.26, and steps with the diagonal alone left half the
        # moving samples off by more than 0.1 px, a tenth by more than 2 px, after three steps.
        inv_f = np.float32(1 / self.factor)
        shape = (self.ch, self.cw)
        slope = np.float32([[-0.5, 0, 0.5]]) * inv_f  # d D / dx per full-resolution pixel

        def along(plane: np.ndarray, kernel: np.ndarray) -> np.ndarray:
            return cv2.filter2D(plane, -1, kernel, borderType=cv2.BORDER_REPLICATE)

        fx2, fy2 = fx.reshape(shape), fy.reshape(shape)
        inverse = _inverse_jacobian(
            along(fx2, slope), along(fy2, slope.T), along(fx2, slope.T), along(fy2, slope)
        )
        packed = cv2.merge([fx2, fy2]), cv2.merge(inverse)
        # Every sample takes the first step; after it, only those not yet converged go on (a
        # sample where the field is zero is solved by x = p at once, and most of a smooth
        # field converges in one step).
        px, py = self.coarse_x, self.coarse_y
        x, y = px - fx2, py - fy2
        # The first step takes the Jacobian at the sample's own grid point (exact for a turn or
        # tilt, whose Jacobian is the same everywhere): only D is looked up.
        rx, ry = self._step(packed, x, y, px, py, inverse)
        active = np.flatnonzero(np.maximum(np.abs(rx), np.abs(ry)) >= CONVERGED_PX)
        flat_x, flat_y = x.ravel(), y.ravel()  # views: the later steps write into x and y
        for _ in range(NEWTON_STEPS - 1):
            if not len(active):
                break
            ax, ay = flat_x[active], flat_y[active]
            rx, ry = self._step(packed, ax, ay, px.ravel()[active], py.ravel()[active])
            flat_x[active], flat_y[active] = ax, ay
            active = active[np.maximum(np.abs(rx), np.abs(ry)) >= CONVERGED_PX]
        field = CoarseField(x - px, y - py)
        if len(active):
            _mend_strays(field, active)
        return field

    def _step(
        self,
        packed: tuple[np.ndarray, ...],
        x: np.ndarray,
        y: np.ndarray,
        px: np.ndarray,
        py: np.ndarray,
        inverse: tuple[np.ndarray, ...] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """One Newton step toward x + D(x) = p, in place on (x, y); returns the residual it
        corrected (where x landed minus where it should). ``inverse``: the inverse Jacobian's
        planes to use instead of looking them up at x."""
        if inverse is None:
            sx, sy, i11, i12, i21, i22 = self._sample(packed, x, y)
        else:
            (sx, sy), (i11, i12, i21, i22) = self._sample(packed[:1], x, y), inverse
        rx, ry = x + sx - px, y + sy - py
        # No longer than a step along the gentlest stretch: near a fold the full step can
        # shoot a sample across the face.
        reach = np.maximum(np.abs(rx), np.abs(ry)) * np.float32(1 / MIN_STRETCH)
        x -= np.clip(i11 * rx + i12 * ry, -reach, reach)
        y -= np.clip(i21 * rx + i22 * ry, -reach, reach)
        return rx, ry

    def _sample(
        self, packed: tuple[np.ndarray, ...], x: np.ndarray, y: np.ndarray
    ) -> list[np.ndarray]:
        """The planes of ``packed`` (on the coarse grid: Dx, Dy, then the inverse Jacobian's
        entries, see :func:`_inverse_jacobian`) at full-resolution points (x, y), given as a
        2-D grid or a 1-D list."""
        inv_f, offset = np.float32(1 / self.factor), np.float32((self.factor - 1) / 2)
        at_x, at_y = (x - offset) * inv_f, (y - offset) * inv_f  # -> coarse sample coords
        if x.ndim == 1:  # as rows of a 2-D map: cv2.remap takes at most 32766 columns
            rows = -(-len(x) // LIST_ROW)
            at_x, at_y = (_in_rows(a, rows) for a in (at_x, at_y))
        planes = []
        for grid in packed:
            s = cv2.remap(grid, at_x, at_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            s = s.reshape(-1, grid.shape[2])[: x.size].reshape(*x.shape, grid.shape[2])
            planes += [s[..., k] for k in range(grid.shape[2])]
        return planes

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
        (source pixel x at fine coordinate factor * x, see render.supersample).

        The coarse source positions (grid position plus field) are upsampled directly: linear
        interpolation reproduces the grid's own positions exactly, so this is the upsampled
        field plus the pixel grid without two full-size additions. The block is resized with
        one spare coarse cell on each side (the padded grid continues the positions linearly),
        so that its edge pixels interpolate as they would inside the whole grid."""
        scale = np.float32(factor)
        map_x = self._upsample_padded(self._padded_x * scale, field.dx * scale, box)
        map_y = self._upsample_padded(self._padded_y * scale, field.dy * scale, box)
        return map_x, map_y

    def _upsample_padded(
        self, padded_grid: np.ndarray, field: np.ndarray, box: tuple[int, int, int, int]
    ) -> np.ndarray:
        """``padded_grid`` (ch + 2, cw + 2) plus ``field`` (ch, cw) inside box, upsampled."""
        f = self.factor
        x0, y0, x1, y1 = box
        cx0, cy0, cx1, cy1 = x0 // f, y0 // f, -(-x1 // f), -(-y1 // f)
        block = padded_grid[cy0 : cy1 + 2, cx0 : cx1 + 2].copy()
        block[1:-1, 1:-1] += field[cy0:cy1, cx0:cx1]
        size = (block.shape[1] * f, block.shape[0] * f)
        up = cv2.resize(block, size, interpolation=cv2.INTER_LINEAR)
        return up[f : f + y1 - y0, f : f + x1 - x0]


def _in_rows(values: np.ndarray, rows: int) -> np.ndarray:
    """(rows, ceil(n / rows)) float32: ``values`` (n,) in rows, the last padded with its end."""
    cols = -(-len(values) // rows)
    out = np.empty(rows * cols, np.float32)
    out[: len(values)] = values
    out[len(values) :] = values[-1]
    return out.reshape(rows, cols)


def _inverse_jacobian(
    dxx: np.ndarray, dyy: np.ndarray, dxy: np.ndarray, dyx: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The inverse of the Jacobian [[1 + dxx, dxy], [dyx, 1 + dyy]] of x + D(x), plane by
    plane, its determinant held at MIN_STRETCH or more: where the field folds or nearly does,
    steps stay gentle (and bounded, see Warp._step)."""
    jxx, jyy = 1 + dxx, 1 + dyy
    det = np.maximum(jxx * jyy - dxy * dyx, MIN_STRETCH)
    return jyy / det, -dxy / det, -dyx / det, jxx / det


def _mend_strays(field: CoarseField, unsettled: np.ndarray) -> None:
    """In place: the unsettled samples (indices into the flat grid) that stray far from their
    neighbours take the neighbours' median instead.

    Where the field folds over itself (a tilt pushing the crown against the fixed image
    border) a sample can find no root nearby, and its steps wander off: a sample 400 px off
    showed a speck of an eye in the middle of the forehead."""
    for plane in (field.dx, field.dy):
        median = cv2.medianBlur(plane, 3).ravel()
        flat = plane.ravel()  # a view: writes go to the field
        stray = unsettled[np.abs(flat[unsettled] - median[unsettled]) > STRAY_PX]
        flat[stray] = median[stray]


def remap_banded(source: np.ndarray, map_x: np.ndarray, map_y: np.ndarray) -> np.ndarray:
    """``cv2.remap`` (bilinear, edges replicated) in bands of BAND_ROWS output rows.

    cv2.remap works through the output in 128 x 128 tiles: each tile reads 128 short runs of
    source rows, spread over as many pages. From a supersampled source (rows twice as long, read
    two apart) that is mostly cache and TLB misses; a band as wide as the output reads a few
    long runs instead: 10-20% less time for the same pixels."""
    rows, cols = map_x.shape
    out = np.empty((rows, cols, source.shape[2]), source.dtype)
    for y in range(0, rows, BAND_ROWS):
        band = slice(y, y + BAND_ROWS)
        cv2.remap(
            source, map_x[band], map_y[band], cv2.INTER_LINEAR,
            dst=out[band], borderMode=cv2.BORDER_REPLICATE,
        )  # fmt: skip
    return out


def _frame_hold(xy: np.ndarray, width: int, height: int) -> np.ndarray:
    """(ch, cw) 0 inside the fixed outer frame, rising smoothly to 1 inward of it.

    The mesh's weights already vanish there; this makes the guarantee exact whatever the
    triangulation does between the image edge and the frame's inner vertices.
    """
    inset = BORDER_FRACTION * max(width, height)
    x, y = xy[..., 0], xy[..., 1]
    dist = np.minimum(np.minimum(x, width - 1 - x), np.minimum(y, height - 1 - y))
    return smoothstep(inset, 1.5 * inset, dist).astype(np.float32)


@dataclass(frozen=True)
class Spread:
    """A (samples, vertices) matrix with three entries per row, the barycentric weights of the
    triangle holding each sample: ``apply`` is its product with a vector of vertex values.

    Gathers with fixed-size index and weight planes take about as long as a CSR sparse product
    and need no scipy (which costs a live process tens of MB of memory, issue 14)."""

    vertex: np.ndarray  # (3, samples) intp: the triangle's corners
    weight: np.ndarray  # (3, samples) float32

    def held(self, hold: np.ndarray) -> Spread:
        """The same with every row scaled by ``hold`` (samples,)."""
        return Spread(self.vertex, (self.weight * hold.astype(np.float32)[None]).astype(np.float32))

    def apply(self, values: np.ndarray) -> np.ndarray:
        """(samples,) float32: the weighted sum of ``values`` (vertices,) over each triangle."""
        values = np.ascontiguousarray(values, np.float32)
        out = np.take(values, self.vertex[0])
        out *= self.weight[0]
        for k in (1, 2):
            corner = np.take(values, self.vertex[k])
            corner *= self.weight[k]
            out += corner
        return out


def _barycentric(
    vertices: np.ndarray,
    triangles: np.ndarray,
    points_xy: np.ndarray,
    shape: tuple[int, int],
    factor: int,
) -> Spread:
    """Barycentric weights of each point in the triangle holding it.

    ``points_xy`` is a regular grid of ``shape`` (rows, cols), sample i at factor*i + (factor-1)/2.
    """
    ids = np.full(shape, -1, np.int32)
    coarse = ((vertices[:, :2] - (factor - 1) / 2) / factor * 16).round().astype(np.int32)  # 4 bits
    for i, tri in enumerate(triangles):
        cv2.fillPoly(ids, [coarse[tri]], int(i), lineType=cv2.LINE_8, shift=4)
    if (ids < 0).any():  # slivers at the hull: borrow the nearest triangle
        ids = _nearest_covered(ids)
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
    corners = np.ascontiguousarray(triangles[tri_of].T, dtype=np.intp)
    return Spread(corners, np.ascontiguousarray(bary.T, dtype=np.float32))


def _nearest_covered(ids: np.ndarray) -> np.ndarray:
    """``ids`` with every uncovered (-1) pixel given the value of the nearest covered pixel
    (nearest by OpenCV's 5x5 distance mask: a tie may go either way)."""
    uncovered = (ids < 0).astype(np.uint8)
    # Labels of the nearest zero (covered) pixel, one label per covered pixel.
    _, labels = cv2.distanceTransformWithLabels(
        uncovered, cv2.DIST_L2, cv2.DIST_MASK_5, labelType=cv2.DIST_LABEL_PIXEL
    )
    value_of = np.zeros(int(labels.max()) + 1, np.int32)
    covered = uncovered == 0
    value_of[labels[covered]] = ids[covered]
    return value_of[labels]
