"""The mouth layer: what shows where the lips have parted, after the warp, in output pixels.

The opening lies between the deformed inner lip contours, drawn as smooth curves per column with
an exact anti-aliased coverage (no polygon corners). Inside it, back to front: the drawn cavity
and tongue (drawn_mouth.py); the image's own interior (an :class:`InteriorSource`), its upper
teeth moving with the head and its lower teeth with the jaw, or drawn teeth where the image has
none; and the wet inner edge of the lips.
"""

from __future__ import annotations

import copy
import math

import cv2
import numpy as np

from openlpm.character import topology as T
from openlpm.character.mesh import clip
from openlpm.motion.frame import MotionFrame
from openlpm.motion.params import BLENDSHAPES
from openlpm.render.deform import Deformer
from openlpm.render.drawn_mouth import MouthPalette, Opening, paint_interior, paint_lip_edge
from openlpm.render.interior import InteriorSource, lip_curves

_UPPER = list(T.LIP_INNER_UPPER)
_LOWER = list(T.LIP_INNER_LOWER)
_LIPS = np.array([_UPPER, _LOWER])
MIN_GAP_PX = 0.6  # below this the lips touch: nothing to draw
EDGE_PX = 1.0
DRAWN_LIP_EDGE, OWN_TEETH_LIP_EDGE = 0.8, 0.3  # the wet inner lip's share at its edge
_NARROW, _WIDE = 0.05, 0.15  # gap per mouth half width: full band up to one, thin from the other
UPPER_TEETH_ANCHOR, LOWER_TEETH_ANCHOR = 13, 14  # inner-lip middles: where the teeth show
_UPPER_MIDDLE = _UPPER.index(UPPER_TEETH_ANCHOR)
# The seam of lips closed by the deformer (MouthLayer._seam): its share of the darkened lip
# colour (wet_lip * SEAM_TONE) at its core, its half-width (in mouth widths, SEAM_MIN_PX at
# least) and the gap over which it fades out as the lips part.
SEAM_SHADE, SEAM_TONE, SEAM_WIDTH, SEAM_MIN_PX, SEAM_OPEN_PX = 0.75, 0.8, 0.012, 0.7, 2.0
_SHAPES = len(BLENDSHAPES)
_JAW = [BLENDSHAPES.index(n) for n in ("jawOpen", "jawLeft", "jawRight", "jawForward")]
_CLOSE = BLENDSHAPES.index("mouthClose")


class MouthLayer:
    """Paints only openings that a pose made: lips parted in the image are either closed by the
    deformer's rest closure (``deformer.rest_offset``) or, when barely apart, kept as the image
    shows them by measuring the opening from their rest positions."""

    def __init__(
        self,
        palette: MouthPalette,
        source: InteriorSource,
        deformer: Deformer,
        landmarks: np.ndarray,
    ) -> None:
        self.palette = palette
        self.teeth = TeethAnchors(deformer)
        up, lo = landmarks[_UPPER, :2], landmarks[_LOWER, :2]
        rest_closed = bool(deformer.rest_offset.any())
        half_gap = np.zeros_like(up) if rest_closed else (lo - up) / 2
        # Lips the deformer closed meet on a seam it squeezed from the image's opening: the
        # line where they meet is drawn here, smooth (see :meth:`_seam`).
        self.draws_seam = rest_closed
        # Both on the rest seam when parted.
        self.rest_lips = np.stack([up + half_gap, lo - half_gap])
        self.texture = _Texture(source) if not source.empty else None
        # Pixels the upper lip's middle rises per unit of each shape, off the upper teeth (a
        # grin bares that much more of them). Not the jaw's: the resting tooth height allows
        # for the little it lifts the lip while talking.
        self.lip_rise = -deformer.shape_matrix[2 * UPPER_TEETH_ANCHOR + 1].copy()
        self.lip_rise[[*_JAW, _CLOSE]] = 0.0

    def draw(
        self,
        frame: np.ndarray,
        disp: np.ndarray,
        pose: MotionFrame,
        anchors: np.ndarray | None = None,
    ) -> None:
        """Paint the opening into ``frame`` (uint8 RGB, modified in place); ``disp`` is the
        (V, 2) vertex displacement of ``pose``, ``anchors`` that of the teeth anchors when the
        caller moved them along (``teeth.deformer``, see Deformer.joined)."""
        lips = self.rest_lips + disp[_LIPS]  # (2, N, 2): the upper and the lower inner lip
        up, lo = lips
        parted = (lo[:, 1] - up[:, 1]).max() >= MIN_GAP_PX
        if not (parted or self.draws_seam):
            return
        h, w = frame.shape[:2]
        y_min, y_max = float(lips[..., 1].min()), float(lips[..., 1].max())
        left, right = float(up[:, 0].min()), float(up[:, 0].max())
        x0, x1 = max(math.floor(left) - 1, 0), min(math.ceil(right) + 2, w)
        y0, y1 = max(math.floor(y_min) - 1, 0), min(math.ceil(y_max) + 2, h)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return
        xs = np.arange(x0, x1, dtype=np.float64)
        top, bottom = lip_curves(lips, xs)
        bottom = np.maximum(bottom, top)
        if self.draws_seam:
            self._seam(frame, x0, top, bottom)
        if not parted:
            return
        # Half a pixel beyond each lip's edge: the warp leaves the edges themselves soft.
        inside = _coverage(top - y0 - EDGE_PX, bottom - y0 + EDGE_PX, y1 - y0)
        if not inside.any():
            return
        # The middle of the mouth is the upper lip's own (where the incisors meet), not the
        # midpoint of the corners: a turned head's or a drawn character's mouth is lopsided.
        ends = sorted((float(up[0, 0]), float(up[-1, 0])))
        middle = float(np.clip(up[_UPPER_MIDDLE, 0], *ends))
        half = abs(up[-1, 0] - up[0, 0]) / 2
        opening = Opening(top - y0, bottom - y0, middle - x0, half, y1 - y0)
        own = self.texture is not None
        smile = min(1.0, (pose["mouthSmileLeft"] + pose["mouthSmileRight"]) / 2)
        lip_lift = max(0.0, float(self.lip_rise @ pose.vector[:_SHAPES]))
        interior = paint_interior(
            self.palette, opening, pose["tongueOut"], not own, smile, lip_lift
        )
        if self.texture is not None:
            upper, lower = self.teeth.shift(pose) if anchors is None else self.teeth.of(anchors)
            interior = self.texture.over(interior, (x0, y0), upper, lower)
        interior = paint_lip_edge(self.palette, opening, interior, self._edge(opening, own))
        roi = frame[y0:y1, x0:x1].astype(np.float32)
        alpha = inside[..., None]
        frame[y0:y1, x0:x1] = clip(roi + (interior - roi) * alpha + 0.5, 0, 255).astype(np.uint8)

    def _seam(self, frame: np.ndarray, x0: int, top: np.ndarray, bottom: np.ndarray) -> None:
        """The line where closed lips meet, in ``frame``: a soft dark curve midway between the
        lip curves ``top`` and ``bottom`` (one value per column from ``x0``), fading out as
        they part (the opening's own edges take over). Left to the squeezed image, the seam
        was whatever depth of the filled opening each column's row happened to sample: a
        kinked pencil line with a pale core."""
        h = frame.shape[0]
        middle, gap = (top + bottom) / 2, bottom - top
        across = np.abs(np.linspace(-1.0, 1.0, len(top)))
        strength = SEAM_SHADE * clip(1 - gap / SEAM_OPEN_PX, 0, 1) * (1 - 0.5 * across**4)
        live = np.flatnonzero(strength > 0.01)
        if not len(live):
            return
        c0, c1 = live[0], live[-1] + 1  # a wide open mouth: only toward the corners
        sigma = max(SEAM_MIN_PX, SEAM_WIDTH * len(top))
        middle, strength = middle[c0:c1], strength[c0:c1]
        y0 = max(math.floor(float(middle.min()) - 3 * sigma), 0)
        y1 = min(math.ceil(float(middle.max()) + 3 * sigma) + 1, h)
        if y1 <= y0:
            return
        ys = np.arange(y0, y1, dtype=np.float32)[:, None]
        weight = strength[None] * np.exp(-(((ys - middle[None]) / sigma) ** 2))
        box = frame[y0:y1, x0 + c0 : x0 + c1]
        roi = box.astype(np.float32)
        line = self.palette.wet_lip * SEAM_TONE
        box[:] = clip(roi + (line - roi) * weight[..., None] + 0.5, 0, 255).astype(np.uint8)

    @staticmethod
    def _edge(opening: Opening, own: bool) -> float | np.ndarray:
        """The wet inner lip's share at its edge, per column. Where the image's own teeth show
        in a wide opening the lips meet them with a thin contact shadow (the drawn interior's
        full band laid a dark stripe over the top of a grin's teeth); a narrow opening keeps
        the full band (there the teeth under a thin one read as lips apart)."""
        if not own:
            return DRAWN_LIP_EDGE
        gap = (opening.bottom - opening.top) / max(opening.half_width, 1.0)
        t = clip((gap - _NARROW) / (_WIDE - _NARROW), 0, 1)
        return DRAWN_LIP_EDGE + (OWN_TEETH_LIP_EDGE - DRAWN_LIP_EDGE) * t * t * (3 - 2 * t)


class TeethAnchors:
    """Where the teeth go: pixel displacements, from the image, of the upper teeth (head and body
    motion only) and of the lower teeth (the same plus the jaw, from the closed rest).

    The two inner-lip middles are moved by the deformer's own code (head turn, body, whatever it
    does) as a two-vertex mesh whose expression shapes are cut down to what moves each: nothing
    for the upper teeth, the jaw for the lower. One small displacement per frame."""

    def __init__(self, deformer: Deformer) -> None:
        anchors = [UPPER_TEETH_ANCHOR, LOWER_TEETH_ANCHOR]
        small = copy.copy(deformer)
        rows = np.ravel([[2 * a, 2 * a + 1] for a in anchors])
        shapes = deformer.shape_matrix[rows].copy()
        shapes[:2] = 0  # the upper teeth: no expression moves them
        not_jaw = np.setdiff1d(np.arange(_SHAPES), _JAW)
        shapes[2:, not_jaw] = 0  # the lower teeth: only the jaw's own shapes
        small.shape_matrix = shapes
        for name in ("rest_offset", "rest", "head_weight", "body_weight"):
            setattr(small, name, getattr(deformer, name)[anchors])
        small.upper_body = deformer.upper_body.subset(anchors)
        self.deformer = small
        self.upper_rest = deformer.rest_offset[UPPER_TEETH_ANCHOR]

    def shift(self, pose: MotionFrame) -> tuple[np.ndarray, np.ndarray]:
        """(upper, lower): the (2,) pixel displacements of the two rows of teeth."""
        return self.of(self.deformer.displacement(pose))

    def of(self, moved: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(upper, lower) from the anchors' (2, 2) displacement ``moved`` under a pose."""
        return moved[0] - self.upper_rest, moved[1]


class _Texture:
    """An interior source cropped to its mask, as two premultiplied RGBA layers."""

    def __init__(self, source: InteriorSource) -> None:
        ys, xs = np.nonzero(source.mask > 0)
        m = 2
        h, w = source.mask.shape
        self.x0, self.y0 = max(xs.min() - m, 0), max(ys.min() - m, 0)
        x1, y1 = min(xs.max() + m + 1, w), min(ys.max() + m + 1, h)
        box = (slice(self.y0, y1), slice(self.x0, x1))
        rgb = source.image[box].astype(np.float32)
        mask, upper = source.mask[box], source.upper[box]
        self.layers = [
            np.dstack([rgb * a[..., None], a]).astype(np.float32)
            for a in (mask - upper, upper)  # lower part first: the upper teeth overlap it
        ]
        self.lower_shift = np.asarray(source.lower_shift, np.float32)

    def over(
        self, img: np.ndarray, origin: tuple[int, int], upper: np.ndarray, lower: np.ndarray
    ) -> np.ndarray:
        """``img`` (a box at ``origin`` in output pixels) with the two parts laid over it."""
        rows, cols = img.shape[:2]
        # float32 offsets: numpy 2 widens float32 + an int64 scalar to float64, which remap refuses
        gx = np.arange(cols, dtype=np.float32)[None] + np.float32(origin[0] - self.x0)
        gy = np.arange(rows, dtype=np.float32)[:, None] + np.float32(origin[1] - self.y0)
        map_x, map_y = np.empty((rows, cols), np.float32), np.empty((rows, cols), np.float32)
        for layer, shift in zip(self.layers, (lower - self.lower_shift, upper), strict=True):
            # Each map in one broadcasting subtraction (no broadcast_to views to build).
            np.subtract(gx, np.float32(shift[0]), out=map_x)
            np.subtract(gy, np.float32(shift[1]), out=map_y)
            sample = cv2.remap(
                layer, map_x, map_y, cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT, borderValue=0,
            )  # fmt: skip
            img = img * (1 - sample[..., 3:]) + sample[..., :3]
        return img


def _coverage(top: np.ndarray, bottom: np.ndarray, rows: int) -> np.ndarray:
    """(rows, W) share of each pixel between the curves (pixel y covers y-0.5..y+0.5), softened
    across columns by a quarter pixel so steep edges near the corners do not stair-step."""
    ys = np.arange(rows, dtype=np.float32)[:, None]
    lo = np.maximum(ys - 0.5, top[None].astype(np.float32))
    hi = np.minimum(ys + 0.5, bottom[None].astype(np.float32))
    cover = clip(hi - lo, 0, 1)
    return cv2.filter2D(cover, -1, np.float32([[0.25, 0.5, 0.25]]), borderType=cv2.BORDER_CONSTANT)


def fill_open_mouth(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """A copy of ``image`` with the teeth and dark of an open mouth filled in from the lips.

    Only the warp's source: when the image's lips are parted the deformer closes them at rest,
    squeezing this region into the seam, where it must read as lips meeting, not as a line of
    teeth (the mouth layer draws the line where they meet). Wherever the lips part, the mouth
    layer covers it with the image's own interior.
    """
    up, lo = landmarks[_UPPER, :2], landmarks[_LOWER, :2]
    x0, x1 = int(np.floor(up[:, 0].min())), int(np.ceil(up[:, 0].max())) + 1
    top = np.interp(np.arange(x0, x1), *_sorted(up))
    bottom = np.maximum(np.interp(np.arange(x0, x1), *_sorted(lo)), top)
    y0, y1 = int(np.floor(top.min())) - 3, int(np.ceil(bottom.max())) + 4
    h, w = image.shape[:2]
    if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
        return image
    out = image.copy()
    roi = out[y0:y1, x0:x1].astype(np.float32)
    upper_lip = _lip_colour(image, top, x0, -1)
    lower_lip = _lip_colour(image, bottom, x0, +1)
    ys = np.arange(y0, y1, dtype=np.float32)[:, None]
    t = np.clip((ys - top[None]) / np.maximum(bottom - top, 1)[None], 0, 1)[..., None]
    lips = upper_lip[None] * (1 - t) + lower_lip[None] * t
    mask = np.zeros(roi.shape[:2], np.uint8)
    poly = np.vstack([up, lo[::-1]]) - (x0, y0)
    cv2.fillPoly(mask, [np.round(poly * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    cover = cv2.dilate(mask, np.ones((3, 3), np.uint8)).astype(np.float32)[..., None] / 255
    out[y0:y1, x0:x1] = (roi + (lips - roi) * cover).astype(np.uint8)
    return out


def _lip_colour(image: np.ndarray, edge: np.ndarray, x0: int, away: int) -> np.ndarray:
    """(len(edge), 3) float32: the lip's colour beside an inner-lip edge, per column.

    The median of a band 2-5 px away from the edge (one row can catch a tooth's rim or the
    dark of the opening), then smoothed across: per-column samples would draw vertical streaks
    into the seam, which sharp moving frames show."""
    h = image.shape[0]
    cols = np.arange(x0, x0 + len(edge))
    rows = [np.clip(np.round(edge + away * d).astype(int), 0, h - 1) for d in range(2, 6)]
    band = np.median(np.stack([image[r, cols] for r in rows]).astype(np.float32), axis=0)
    return cv2.blur(band[None], (7, 1), borderType=cv2.BORDER_REPLICATE)[0]


def _sorted(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(points[:, 0])
    return points[order, 0], points[order, 1]
