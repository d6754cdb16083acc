"""The texture an opening of the mouth reveals: the image's own teeth, gums and interior.

An :class:`InteriorSource` is a small, documented object so that any aligned image can supply
it: by default the portrait itself (:meth:`InteriorSource.from_image`, when its lips are parted
and show teeth), or an open-mouth reference of the same character aligned to the rig. The mouth
layer (mouth.py) moves its two parts rigidly: the upper part with the head (upper teeth), the
lower part with the jaw (lower teeth). Where it has nothing to show, the drawn interior
(drawn_mouth.py) is the fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from openlpm.analysis.mouth_interior import pixel_stats
from openlpm.character import topology as T
from openlpm.render.shapes import OPEN_AT_REST

HIDDEN_CROWN = 0.05  # face heights of upper teeth hidden under the lip, shown when it lifts
MIN_TEETH_SHARE = 0.15  # an interior with fewer bright low-saturation pixels shows no teeth
_UPPER = list(T.LIP_INNER_UPPER)
_LOWER = list(T.LIP_INNER_LOWER)


@dataclass(frozen=True, eq=False)
class InteriorSource:
    """What an opening reveals, in the rig's image coordinates (the same pixels as ``rig.image``).

    - ``image``: (H, W, 3) uint8 RGB: the portrait, or a reference image aligned to it;
    - ``mask``: (H, W) float32 in 0..1: where ``image`` shows the mouth's interior (teeth, gums,
      tongue, cavity; not the lips). All zero: nothing to show, the interior is drawn;
    - ``upper``: (H, W) float32 in 0..1: the share of each interior pixel that belongs to the
      upper teeth, which move with the head; the rest (lower teeth, tongue) moves with the jaw;
    - ``lower_shift``: (2,) float32 pixels: how far this image's lower jaw sits from where the
      portrait's is (x right, y down); zero for the portrait itself, the extra drop of the jaw for
      an open-mouth reference.
    """

    image: np.ndarray
    mask: np.ndarray
    upper: np.ndarray
    lower_shift: np.ndarray

    def __post_init__(self) -> None:
        h, w = self.image.shape[:2]
        if self.image.shape != (h, w, 3) or self.image.dtype != np.uint8:
            raise ValueError(f"image must be (H, W, 3) uint8, got {self.image.shape}")
        for name in ("mask", "upper"):
            if getattr(self, name).shape != (h, w):
                raise ValueError(f"{name} must be ({h}, {w}), got {getattr(self, name).shape}")
        if np.shape(self.lower_shift) != (2,):
            raise ValueError("lower_shift must be two numbers (x, y) in pixels")

    @property
    def empty(self) -> bool:
        return not self.mask.any()

    @classmethod
    def nothing(cls, image: np.ndarray) -> InteriorSource:
        """A source with nothing to show: every opening is drawn."""
        zero = np.zeros(image.shape[:2], np.float32)
        return cls(image, zero, zero, np.zeros(2, np.float32))

    @classmethod
    def from_image(cls, image: np.ndarray, landmarks: np.ndarray) -> InteriorSource:
        """The interior of ``image``'s own mouth (478 landmarks in its pixels), when its lips are
        parted and show teeth; otherwise :meth:`nothing`."""
        lm = landmarks[:, :2].astype(np.float64)
        up, lo = lm[_UPPER], lm[_LOWER]
        face_height = float(np.linalg.norm(lm[T.CHIN] - lm[10]))
        if np.maximum(lo[:, 1] - up[:, 1], 0).mean() <= OPEN_AT_REST * face_height:
            return cls.nothing(image)
        mask, upper = interior_masks(image, up, lo)
        if not mask.any() or pixel_stats(image[mask > 0.5]).teeth < MIN_TEETH_SHARE:
            return cls.nothing(image)
        reach = round(HIDDEN_CROWN * face_height)
        image, mask, upper = crowns_under_the_lip(image, mask, upper, reach)
        return cls(image, mask, upper, np.zeros(2, np.float32))

    def scaled(self, size: tuple[int, int]) -> InteriorSource:
        """The same source resized to ``size`` (w, h), as the renderer resizes the rig."""
        h, w = self.image.shape[:2]
        sx, sy = size[0] / w, size[1] / h
        interp = cv2.INTER_AREA if sx < 1 else cv2.INTER_CUBIC
        return InteriorSource(
            cv2.resize(self.image, size, interpolation=interp),
            np.clip(cv2.resize(self.mask, size, interpolation=cv2.INTER_LINEAR), 0, 1),
            np.clip(cv2.resize(self.upper, size, interpolation=cv2.INTER_LINEAR), 0, 1),
            (np.asarray(self.lower_shift, np.float32) * np.float32([sx, sy])),
        )


def interior_masks(
    image: np.ndarray, up: np.ndarray, lo: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The interior between the inner lip contours (kept a pixel off the lips, soft edged), and
    its upper part: above the darkest row between the upper and lower teeth."""
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.float32)
    upper = np.zeros((h, w), np.float32)
    x0, x1 = max(0, int(np.ceil(up[:, 0].min()))), min(w, int(np.floor(up[:, 0].max())) + 1)
    if x1 - x0 < 4:
        return mask, upper
    xs = np.arange(x0, x1, dtype=np.float64)
    top = lip_curve(up, xs)
    bottom = np.maximum(lip_curve(lo, xs), top)
    split = _split_row(image, xs.astype(int), top, bottom)
    ys = np.arange(h, dtype=np.float64)[:, None]
    inside = np.clip(ys - top - 0.5, 0, 1) * np.clip(bottom - 0.5 - ys, 0, 1)
    mask[:, x0:x1] = inside
    upper[:, x0:x1] = np.clip(split + 0.5 - ys, 0, 1) * inside
    return mask, upper


def crowns_under_the_lip(
    image: np.ndarray, mask: np.ndarray, upper: np.ndarray, reach: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The upper teeth continued ``reach`` pixels up under the upper lip (a copy of the image
    there): their top visible row repeated, shading toward the gum, so that a lifted lip (a
    grin, a sneer) uncovers more of the same teeth instead of a hole."""
    image, mask, upper = image.copy(), mask.copy(), upper.copy()
    solid = upper > 0.99
    for x in np.nonzero(solid.any(0))[0]:
        rows = np.nonzero(solid[:, x])[0]
        top_rows = rows[: min(3, len(rows))]  # the brightest of the top rows: not the lip's shadow
        first = top_rows[np.argmax(image[top_rows, x].astype(np.int32).sum(1))]
        above = np.arange(max(rows[0] - reach, 0), rows[0])
        if not len(above):
            continue
        t = (rows[0] - above) / max(reach, 1)  # 0 at the visible top, 1 at the gum
        shade = 1 - 0.15 * t
        image[above, x] = np.clip(image[first, x] * shade[:, None], 0, 255).astype(np.uint8)
        mask[above, x] = upper[above, x] = 1.0
    return image, mask, upper


def _split_row(image: np.ndarray, xs: np.ndarray, top: np.ndarray, bottom: np.ndarray):
    """Per column, where the upper teeth end: the darkest row in the lower half of the opening
    when it is clearly darker than the teeth (the gap above the lower teeth), else the lower lip
    (a smile shows the upper teeth only). Smoothed along the mouth."""
    grey = image.astype(np.float32).mean(2)
    split = bottom.copy()
    columns = [grey[int(t) : int(b) + 1, x] for t, b, x in zip(top, bottom, xs, strict=True)]
    if not any(len(c) for c in columns):
        return split
    # The teeth's brightness from the whole opening: judged column by column, a column with
    # less than a quarter of teeth took its cavity for the bright part and split at the lower
    # lip, its neighbour at the cavity, and the two halves parted along a jagged line.
    bright = float(np.percentile(np.concatenate(columns), 75))
    for k, x in enumerate(xs):
        a, b = int(top[k] + 0.45 * (bottom[k] - top[k])), int(bottom[k] - 0.5)
        if b > a and len(columns[k]):
            row = a + int(np.argmin(grey[a : b + 1, x]))
            if grey[row, x] < 0.6 * bright:
                split[k] = row
    width = max(3, len(xs) // 4) | 1
    padded = np.pad(split, width // 2, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)
    return np.median(windows, axis=1)


def lip_curve(points: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """The lip contour through ``points`` (N, 2) as y per column ``xs``: a monotone cubic
    (Fritsch-Carlson: no overshoot, no polygon corners), flat beyond the end points."""
    return lip_curves(points[None], xs)[0]


def lip_curves(points: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """:func:`lip_curve` of several contours at once: ``points`` (K, N, 2) -> (K, len(xs)).

    One set of array operations for all K (the mouth layer draws both lips every frame)."""
    order = np.argsort(points[..., 0], axis=1, kind="stable")
    knots = points[np.arange(len(points))[:, None], order].astype(np.float64)  # (K, N, 2)
    px, py = knots[..., 0], knots[..., 1]  # views: the smoothing below writes into py
    if py.shape[1] >= 3:  # a light [1 4 1] smoothing rounds the kinks a deformed mesh leaves
        py[:, 1:-1] = (py[:, :-2] + 4 * py[:, 1:-1] + py[:, 2:]) / 6
    h = np.diff(px, axis=1)
    if py.shape[1] < 2 or (h <= 1e-6).any():  # coincident points: one by one
        return np.stack([_one_lip_curve(x, y, xs) for x, y in zip(px, py, strict=True)])
    return _monotone_cubic(px, py, xs, h)


def _monotone_cubic(
    px: np.ndarray, py: np.ndarray, xs: np.ndarray, h: np.ndarray | None = None
) -> np.ndarray:
    """Rows of sorted knots (K, N), N >= 2, x strictly increasing -> (K, len(xs)).
    ``h``: np.diff(px, axis=1) when the caller has it."""
    h = np.diff(px, axis=1) if h is None else h
    delta = np.diff(py, axis=1) / h
    slope = np.empty_like(py)
    inner = delta[:, :-1] * delta[:, 1:] > 0  # a local extremum gets a flat tangent
    w1, w2 = 2 * h[:, 1:] + h[:, :-1], h[:, 1:] + 2 * h[:, :-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = (w1 + w2) / (w1 / delta[:, :-1] + w2 / delta[:, 1:])
    slope[:, 1:-1] = np.where(inner, harmonic, 0.0)
    slope[:, 0], slope[:, -1] = delta[:, 0], delta[:, -1]
    x = np.minimum(np.maximum(np.asarray(xs, np.float64)[None], px[:, :1]), px[:, -1:])
    # The segment of each column: how many of the inner (sorted) points lie at or left of it.
    k = (x[..., None] >= px[:, None, 1:-1]).sum(-1)
    return _hermite(x, k, px, py, h, slope)


def _hermite(x, k, px, py, h, slope) -> np.ndarray:
    """Cubic Hermite segments k of each row (K, N) evaluated at x (K, W)."""
    rows = np.arange(len(k))[:, None]
    hk = h[rows, k]
    t = (x - px[rows, k]) / hk
    t2 = t * t
    t3 = t2 * t
    return (
        (2 * t3 - 3 * t2 + 1) * py[rows, k]
        + (t3 - 2 * t2 + t) * hk * slope[rows, k]
        + (-2 * t3 + 3 * t2) * py[rows, k + 1]
        + (t3 - t2) * hk * slope[rows, k + 1]
    )


def _one_lip_curve(px: np.ndarray, py: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """One sorted, smoothed contour, its coincident points dropped."""
    keep = np.concatenate([[True], np.diff(px) > 1e-6])
    px, py = px[keep], py[keep]
    if len(px) < 2:
        return np.full(len(xs), float(py.mean()))
    return _monotone_cubic(px[None], py[None], xs)[0]
