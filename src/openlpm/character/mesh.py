"""The deformable 2D triangle mesh: the face landmarks plus a coarse grid over the whole image.

Every vertex carries a rest position with depth (for 3D-ish head rotation) and two weights:
how much it follows the head's rotation and how much it follows the body offset. Both weights fall
smoothly to zero into a fixed outer border, so the image edge never moves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from openlpm.character.delaunay import triangulate
from openlpm.character.fold import bound_slopes
from openlpm.character.topology import (
    CHIN,
    FACE_OVAL,
    FOREHEAD,
    LEFT_EYE,
    LIP_INNER_LOWER,
    LIP_INNER_UPPER,
    N_LANDMARKS,
    RIGHT_EYE,
)

GRID_CELLS = 14  # grid vertices along the image's long side
BORDER_FRACTION = 0.03  # of the long side: the fixed, never-moving frame
HEAD_SURROUND = 0.6  # face heights of background around the head that move with it
_WEIGHT_SIDE = 160  # weight maps are computed at this size, then sampled at the vertices


@dataclass(frozen=True)
class Mesh:
    rest: np.ndarray  # (V, 3) float32: x, y pixels and depth z (pixels, + away from camera)
    triangles: np.ndarray  # (T, 3) int32
    head_weight: np.ndarray  # (V,) float32 in [0, 1]: follows head rotation
    body_weight: np.ndarray  # (V,) float32 in [0, 1]: follows the body offset
    pivot: np.ndarray  # (3,) float32: centre of head rotation

    def scaled(self, sx: float, sy: float) -> Mesh:
        """The same mesh for the image resized by (sx, sy); depth scales with their mean."""
        factor = np.float32([sx, sy, (sx + sy) / 2])
        return Mesh(
            self.rest * factor,
            self.triangles,
            self.head_weight,
            self.body_weight,
            self.pivot * factor,
        )


def smoothstep(edge0, edge1, x: np.ndarray) -> np.ndarray:  # edges: floats or arrays
    t = clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def clip(x: np.ndarray, low, high) -> np.ndarray:
    """np.clip's result without its Python layers (several microseconds a call): the mouth
    layer clips a few dozen small arrays every frame."""
    return np.minimum(np.maximum(x, low), high)


def build_mesh(
    landmarks: np.ndarray,
    mask: np.ndarray,
    face_height: float,
    region: np.ndarray | None = None,
    triangles_of: Callable[[np.ndarray], np.ndarray] = triangulate,
) -> Mesh:
    """``region`` (optional, like the mask) limits where anything may move: this face's share of
    a picture with several people. ``triangles_of``: the Delaunay triangles of (N, 2) points;
    a rig build passes a :class:`~openlpm.character.delaunay.Triangulator` it started earlier,
    whose child process loaded while the image was analysed."""
    h, w = mask.shape
    grid = _grid_vertices(landmarks, w, h)
    pivot = _head_pivot(landmarks, face_height)
    grid3 = np.column_stack([grid, _head_depth(grid, landmarks, pivot, face_height)])
    face3 = np.column_stack([landmarks[:, :2], _face_depth(landmarks, pivot, face_height)])
    rest = np.vstack([face3, grid3]).astype(np.float32)
    triangles = triangles_of(rest[:, :2])
    head_map, body_map = _weight_maps(landmarks, mask, face_height, region)
    head = _sample(head_map, rest[:, :2], w, h)
    head[:N_LANDMARKS] = 1.0
    body = _sample(body_map, rest[:, :2], w, h)
    frame = _in_frame(rest[:, :2], w, h)
    head[frame], body[frame] = 0.0, 0.0
    rest[:, 2] = bound_slopes(rest[:, :2], rest[:, 2], triangles, head > 0)
    # The bound bends the eyes again (it spreads the temples' change over them); flattened,
    # the few triangles around them that got too steep are bounded once more, changing little.
    rest[:, 2] = flat_eyes(rest[:, :2], rest[:, 2])
    rest[:, 2] = bound_slopes(rest[:, :2], rest[:, 2], triangles, head > 0)
    return Mesh(rest, triangles.astype(np.int32), head, body, pivot)


def flat_eyes(xy: np.ndarray, depth: np.ndarray, lids_too: bool = True) -> np.ndarray:
    """``depth`` with each eye (lid contour and iris, or the iris alone) on the plane fitted
    through its lid contour's depths (least squares).

    An eye turns as one piece. Where the face's relief fades into the head's curve (a cartoon's
    big eyes reach far toward the temples) the lids' depths bent sharply across the eye, and the
    iris sat off them: a head turn creased the eye through the iris and slid the iris against
    the lids, leaving a ghost of its rim on the far eye."""
    depth = depth.copy()
    for eye in (RIGHT_EYE, LEFT_EYE):
        lids = list(dict.fromkeys(eye.upper + eye.lower))
        plane = np.column_stack([xy[lids, :2], np.ones(len(lids))]).astype(np.float64)
        coef, *_ = np.linalg.lstsq(plane, depth[lids].astype(np.float64), rcond=None)
        moved = [eye.iris_center, *eye.iris_ring] + (lids if lids_too else [])
        depth[moved] = xy[moved, :2].astype(np.float64) @ coef[:2] + coef[2]
    return depth


def _grid_vertices(landmarks: np.ndarray, w: int, h: int) -> np.ndarray:
    step = max(w, h) / GRID_CELLS
    xs = np.linspace(0, w - 1, max(2, round(w / step) + 1))
    ys = np.linspace(0, h - 1, max(2, round(h / step) + 1))
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)
    oval = landmarks[list(FACE_OVAL), :2].astype(np.float32).reshape(-1, 1, 2)
    # Drop grid points inside or close to the face: the landmarks cover it densely.
    keep = [cv2.pointPolygonTest(oval, (float(x), float(y)), True) < -0.5 * step for x, y in pts]
    return np.vstack([pts[np.array(keep)], _frame_ring(w, h, step)])


def _in_frame(xy: np.ndarray, w: int, h: int) -> np.ndarray:
    """Vertices on or outside the inner edge of the fixed frame."""
    inset = BORDER_FRACTION * max(w, h) + 0.5
    x, y = xy[:, 0], xy[:, 1]
    return (x <= inset) | (y <= inset) | (x >= w - 1 - inset) | (y >= h - 1 - inset)


def _frame_ring(w: int, h: int, step: float) -> np.ndarray:
    """Vertices on the inner edge of the fixed frame: triangles outside them never move."""
    inset = BORDER_FRACTION * max(w, h)
    x0, y0, x1, y1 = inset, inset, w - 1 - inset, h - 1 - inset
    nx, ny = max(2, round((x1 - x0) / step) + 1), max(2, round((y1 - y0) / step) + 1)
    xs, ys = np.linspace(x0, x1, nx), np.linspace(y0, y1, ny)
    ring = (
        [(x, y0) for x in xs]
        + [(x, y1) for x in xs]
        + [(x0, y) for y in ys[1:-1]]
        + [(x1, y) for y in ys[1:-1]]
    )
    return np.array(ring, np.float32)


def _head_pivot(landmarks: np.ndarray, face_height: float) -> np.ndarray:
    sides = landmarks[[234, 454]]  # the face oval at ear level
    pivot = sides.mean(0)
    pivot[2] = sides[:, 2].mean() + 0.05 * face_height  # a little behind the cheeks
    return pivot.astype(np.float32)


def _head_depth(
    xy: np.ndarray, landmarks: np.ndarray, pivot: np.ndarray, face_height: float
) -> np.ndarray:
    """Depth on a smooth ellipsoid-like head through the forehead, for any points.

    Hair beside the face sits at the silhouette's depth while the face is up to half a face
    height closer to the camera: without one smooth surface for both, turning the head would
    tear the face away from the hair. cos(pi/2 r) instead of sqrt(1 - r^2) keeps the slope at
    the silhouette finite, so the warp stays invertible.
    """
    rx = 0.52 * float(np.linalg.norm(landmarks[234, :2] - landmarks[454, :2]))  # cheek to cheek
    up, down = 0.9 * face_height, 0.8 * face_height

    def radius(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        dy = y - pivot[1]
        return np.hypot((x - pivot[0]) / rx, dy / np.where(dy < 0, up, down))

    top = landmarks[FOREHEAD]
    shape_at_top = np.cos(np.pi / 2 * min(float(radius(top[:1], top[1:2])[0]), 0.95))
    rz = np.clip((pivot[2] - top[2]) / shape_at_top, 0.3 * face_height, 0.9 * face_height)
    r = np.minimum(radius(xy[:, 0], xy[:, 1]), 1.0)
    return (pivot[2] - rz * np.cos(np.pi / 2 * r)).astype(np.float32)


def _face_depth(landmarks: np.ndarray, pivot: np.ndarray, face_height: float) -> np.ndarray:
    """Landmark depth: the smooth head surface plus the face's own relief (nose, brows, lips)
    fading out toward the face outline, where the face meets the hair."""
    base = _head_depth(landmarks[:, :2], landmarks, pivot, face_height)
    oval = landmarks[list(FACE_OVAL), :2].astype(np.float32).reshape(-1, 1, 2)
    inside = np.array(
        [cv2.pointPolygonTest(oval, (float(x), float(y)), True) for x, y in landmarks[:, :2]]
    )
    relief_weight = smoothstep(0.0, 0.15 * face_height, inside)
    depth = base + relief_weight * (landmarks[:, 2] - base)
    # Facing inner-lip points meet when the mouth closes: one depth for each pair, or turning
    # the head would prise closed lips apart.
    upper, lower = list(LIP_INNER_UPPER), list(LIP_INNER_LOWER)
    depth[upper] = depth[lower] = (depth[upper] + depth[lower]) / 2
    return flat_eyes(landmarks, depth)


def _weight_maps(
    landmarks: np.ndarray, mask: np.ndarray, face_height: float, region: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    h, w = mask.shape
    s = _WEIGHT_SIDE / max(h, w)
    small = cv2.resize(mask, (max(2, round(w * s)), max(2, round(h * s))), cv2.INTER_AREA)
    sh, sw = small.shape
    fh = face_height * s
    ys = np.arange(sh, dtype=np.float32)[:, None]
    chin_y = landmarks[CHIN, 1] * s
    # The head turns fully down to the chin, the neck follows less and less.
    neck = 1 - smoothstep(chin_y - 0.05 * fh, chin_y + 0.3 * fh, ys)
    oval = np.zeros_like(small)
    cv2.fillPoly(oval, [np.round(landmarks[list(FACE_OVAL), :2] * s).astype(np.int32)], 1.0)
    core = np.maximum(small * neck, oval)
    # Around the head, the background follows it far out (it is never seen: the clean plate
    # shows there), so the head's weight does not fall off at the hair's edge. A roll moves the
    # crown tangentially by a quarter of a face height; a fall-off across a jagged hair outline
    # within a few pixels folded the warp there and tore tufts of hair away.
    around = _spread(core, HEAD_SURROUND * fh) * neck * (1 - small)
    head = np.maximum(_spread(core, 0.15 * fh), around)
    body = _spread(small, 0.1 * fh)
    frame = _border_falloff(sh, sw, fh)
    if region is not None:
        frame = frame * cv2.resize(region, (sw, sh), interpolation=cv2.INTER_AREA)
    return head * frame, body * frame


def _spread(weight: np.ndarray, radius: float) -> np.ndarray:
    """Grow a weight map outward by about ``radius`` pixels with a smooth edge."""
    r = max(1, round(radius))
    grown = cv2.dilate(weight, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2))
    return np.clip(np.maximum(weight, cv2.GaussianBlur(grown, (0, 0), r / 2)), 0, 1)


def _border_falloff(h: int, w: int, face_height: float) -> np.ndarray:
    """0 in the fixed frame, rising to 1 over a distance that grows with the face, so a head
    that touches the image edge bends gently instead of tearing against the frame."""
    margin = BORDER_FRACTION * max(h, w)
    ramp = max(1.5 * margin, 0.4 * face_height)
    ys = np.arange(h, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    dist = np.minimum(np.minimum(ys, h - 1 - ys), np.minimum(xs, w - 1 - xs))
    return smoothstep(margin, margin + ramp, dist).astype(np.float32)


def _sample(weight_map: np.ndarray, xy: np.ndarray, w: int, h: int) -> np.ndarray:
    sh, sw = weight_map.shape
    mx = (xy[:, 0] * (sw / w)).astype(np.float32).reshape(-1, 1)
    my = (xy[:, 1] * (sh / h)).astype(np.float32).reshape(-1, 1)
    out = cv2.remap(weight_map, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.ravel().astype(np.float32)
