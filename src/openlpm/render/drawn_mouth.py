"""The drawn mouth interior: the fallback where the image has no interior of its own to show.

Painted per output pixel of the opening from the two lip curves (no polygons, so no corners):
a cavity in a dark red-brown of the character's own lip hue, lit from the front and deepest at
the back of the throat and in the corners; upper teeth under the upper lip with separations and,
at wide openings, a gum line; lower teeth mostly hidden by the lower lip; a shaded tongue; and
(:func:`paint_lip_edge`, over any interior) the darker wet band of the inner lips along the
edge. The style follows the image: photographic, cel-shaded (flat tones with hard steps) for
flat cartoons, monochrome for black and white.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from openlpm.character import topology as T
from openlpm.character.mesh import clip, smoothstep

STYLES = ("photo", "cel", "mono")
# Visible tooth widths from the middle outward, in mouth half-widths (incisors to premolars;
# they narrow toward the corners as the arch turns away).
_UPPER_TEETH = (0.32, 0.23, 0.19, 0.15, 0.12)
_LOWER_TEETH = (0.2, 0.18, 0.17, 0.15, 0.13, 0.12)
_LOWER_ARCH = 0.45  # the lower teeth that show: this far from the middle, in half-widths
_SMILE_ARC = 0.12  # how much higher the upper teeth's edges sit at the corners, in half-widths
_MIDDLE = 0.15  # the middle of the mouth, where the incisors' edges are set: in half-widths
CAVITY_VALUE = (66.0, 105.0)  # HSV value range of the lit front of the cavity
DEEP_SATURATION = 1.5  # the cavity's chroma, relative to the lips'
THROAT_VALUE = 44.0  # the back of the throat: dark, yet not black
# Black and white: the cavity darker and the tongue lighter than in colour, where hue alone
# parts a red tongue from a red-brown cavity (in grey they were one grey-brown smear).
MONO_CAVITY = 0.7
MONO_TONGUE = 1.05
# Nor does hue tell the depth: the throat a little darker too, or the cavity, darkened, was one
# flat slab from the lips to the back (Einstein's: 11 grey levels from p5 to the median).
MONO_THROAT = 0.85
# Lips under hair: the lips' median brightness under the first share of the cheeks'; then the
# pixels above the second share are the lips that show through.
_LIP_UNDER_HAIR = (0.5, 0.6)
_LUMA = np.float32([0.299, 0.587, 0.114])


@dataclass(frozen=True)
class MouthPalette:
    """Colours of the drawn interior (RGB float32) and the style to paint it in."""

    cavity: np.ndarray
    throat: np.ndarray
    teeth: np.ndarray
    gums: np.ndarray
    tongue: np.ndarray
    wet_lip: np.ndarray
    style: str = "photo"

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {STYLES}, got {self.style!r}")

    @classmethod
    def from_image(cls, image: np.ndarray, landmarks: np.ndarray) -> MouthPalette:
        style = image_style(image, landmarks)
        # The lips' hue, pulled a third of the way to a flesh red: a varnished painting's
        # yellow-brown lips must still open onto a red-brown mouth.
        lip = _lip_colour(image, landmarks)
        if style != "mono":
            lip = lip + (np.float32([200, 80, 76]) * float(lip.max()) / 200 - lip) * 0.35
        lip_value = float(lip.max())
        # Mouths are more saturated than lips (wet tissue, blood near the surface).
        deep = _saturate(lip, 1.0 if style == "mono" else DEEP_SATURATION) / lip_value
        cavity = deep * np.clip(0.55 * lip_value, *CAVITY_VALUE)
        throat = deep * THROAT_VALUE
        brightness = float(np.median(image.reshape(-1, 3).mean(1)))
        teeth = np.float32([238, 232, 220]) * (0.8 + 0.2 * min(1.0, brightness / 160))
        teeth *= 0.65 + 0.35 * _colour_cast(image, landmarks)  # a varnish, a warm light
        if style == "cel":
            teeth = np.float32([246, 244, 238])
        gums = np.clip(lip * 1.05 + np.float32([12, 0, 4]), 0, 255)
        tongue = np.clip(_saturate(lip, 1.0 if style == "mono" else 1.2) * 0.8 + [30, 4, 8], 0, 255)
        wet_lip = lip * 0.62
        if style == "mono":  # no hue tells the cavity from the tongue: their brightness must
            cavity = cavity * MONO_CAVITY
            throat = throat * MONO_THROAT
            tongue = np.clip(tongue * MONO_TONGUE, 0, 255)
        return cls(
            *(np.asarray(c, np.float32) for c in (cavity, throat, teeth, gums, tongue, wet_lip)),
            style=style,
        )


def _saturate(rgb: np.ndarray, factor: float) -> np.ndarray:
    """``rgb`` with its distance from grey scaled by ``factor``, the brightest channel kept."""
    grey = float(rgb.mean())
    out = np.clip(grey + (rgb - grey) * factor, 1, None)
    return out * (float(rgb.max()) / float(out.max()))


def _colour_cast(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The face's median colour scaled to a brightest channel of 1 (white light: 1, 1, 1)."""
    xy = landmarks[:, :2]
    x0, y0 = np.maximum(np.floor(xy.min(0)).astype(int), 0)
    x1, y1 = np.ceil(xy.max(0)).astype(int) + 1
    face = image[y0:y1, x0:x1].reshape(-1, 3)
    if not len(face):
        return np.ones(3, np.float32)
    median = np.median(face, axis=0).astype(np.float32) + 1
    cast = median / median.max()
    return np.sqrt(cast)  # skin is far more saturated than the light that lit it


def _lip_colour(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    lips = np.zeros(image.shape[:2], np.uint8)
    outer = np.array(T.LIP_OUTER_UPPER + T.LIP_OUTER_LOWER[::-1])
    inner = np.array(T.LIP_INNER_UPPER + T.LIP_INNER_LOWER[::-1])
    cv2.fillPoly(lips, [np.round(landmarks[outer, :2]).astype(np.int32)], 1)
    cv2.fillPoly(lips, [np.round(landmarks[inner, :2]).astype(np.int32)], 0)  # not the teeth
    if not lips.any():
        return np.float32([170, 90, 90])
    px = image[lips > 0].reshape(-1, 3).astype(np.float32)
    # Hair over the lips (a moustache) is no lip colour. Lips whose median is under half the
    # cheeks' brightness are mostly hair: the lip colour is then that of the lighter lip
    # pixels that show through (a moustache's dark median made a grey-brown mouth).
    cheeks = _hull(image, landmarks, T.CHEEK_LEFT + T.CHEEK_RIGHT)
    if cheeks.any():
        luma = px @ _LUMA
        cheek_luma = float(np.median(image[cheeks].astype(np.float32) @ _LUMA))
        lit = luma >= _LIP_UNDER_HAIR[1] * cheek_luma
        if np.median(luma) < _LIP_UNDER_HAIR[0] * cheek_luma and lit.mean() >= 0.1:
            px = px[lit]
    return np.median(px, axis=0).astype(np.float32) + 1


def image_style(image: np.ndarray, landmarks: np.ndarray) -> str:
    """ "mono" for a black-and-white (or toned) image, "cel" for a flat-shaded drawing, else
    "photo" (which also suits soft-shaded paintings and illustrations).

    Black and white: the lips have the hue of the cheeks and the cheeks almost no colour. Flat:
    most of the face, at one size, has no second derivative at all.
    """
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    lips = _region(image, landmarks, T.LIP_OUTER_UPPER + T.LIP_OUTER_LOWER[::-1])
    cheek_mask = _hull(image, landmarks, T.CHEEK_LEFT + T.CHEEK_RIGHT) & ~lips
    if lips.any() and cheek_mask.any():
        lip_ab = np.median(lab[lips][:, 1:], 0)
        cheek_ab = np.median(lab[cheek_mask][:, 1:], 0)
        if np.hypot(*(lip_ab - cheek_ab)) < 4 and np.hypot(*(cheek_ab - 128)) < 14:
            return "mono"
    xy = landmarks[:, :2]
    x0, y0 = np.maximum(np.floor(xy.min(0)).astype(int), 0)
    x1, y1 = np.ceil(xy.max(0)).astype(int) + 1
    face = image[y0:y1, x0:x1]
    if face.size == 0:
        return "photo"
    grey = cv2.cvtColor(face, cv2.COLOR_RGB2GRAY).astype(np.float32)
    scale = 256 / max(face.shape[:2])  # judge flatness at one size, whatever the resolution
    grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    flat = np.abs(cv2.Laplacian(grey, cv2.CV_32F)) < 1.0
    return "cel" if flat.mean() > 0.4 else "photo"


def _region(image: np.ndarray, landmarks: np.ndarray, outline) -> np.ndarray:
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(landmarks[list(outline), :2]).astype(np.int32)], 1)
    return mask.astype(bool)


def _hull(image: np.ndarray, landmarks: np.ndarray, points) -> np.ndarray:
    mask = np.zeros(image.shape[:2], np.uint8)
    hull = cv2.convexHull(np.round(landmarks[list(points), :2]).astype(np.int32))
    cv2.fillPoly(mask, [hull], 1)
    return mask.astype(bool)


@dataclass(frozen=True)
class Opening:
    """The opening in a box of output pixels: the lip curves per column, box coordinates."""

    top: np.ndarray  # (W,) y of the upper lip's inner edge per column
    bottom: np.ndarray  # (W,) y of the lower lip's inner edge
    centre: float  # x of the mouth's middle
    half_width: float  # corner to middle, pixels
    rows: int


def paint_interior(
    palette: MouthPalette,
    o: Opening,
    tongue_out: float,
    teeth: bool = True,
    smile: float = 0.0,
    lip_lift: float = 0.0,
) -> np.ndarray:
    """(rows, W, 3) float32 RGB of the drawn interior (the caller masks it to the opening).

    ``teeth`` False paints only the cavity and tongue (the image supplies its own teeth).
    ``smile`` (0..1): a smile's stretched lips bare the upper teeth, and they catch the light.
    ``lip_lift``: pixels the upper lip rose off the teeth (a grin), baring more of them.
    """
    w = len(o.top)
    xs = np.arange(w, dtype=np.float32)[None]
    ys = np.arange(o.rows, dtype=np.float32)[:, None]
    top, bottom = o.top[None].astype(np.float32), o.bottom[None].astype(np.float32)
    gap = np.maximum(bottom - top, 1e-3)
    depth = (ys - top) / gap  # 0 at the upper lip, 1 at the lower
    across = np.abs(xs - o.centre) / max(o.half_width, 1.0)  # 0 in the middle, 1 at the corners
    open_share = gap / max(o.half_width, 1.0)
    wide = smoothstep(0.12, 0.5, open_share)  # how far the mouth is open
    tone = _tone(palette.style)

    # Cavity: lit from the front; the throat shows deep in the middle of a wide opening, and the
    # cheeks shade the corners.
    throat = np.exp(-((across / 0.45) ** 2) - ((depth - 0.45) / 0.4) ** 2) * (0.35 + 0.65 * wide)
    shade = clip(throat + 0.7 * smoothstep(0.55, 1.05, across), 0, 1)
    img = _mix(palette.cavity, palette.throat, tone(shade))
    img *= (1 - 0.18 * smoothstep(0.85, 1.2, across))[..., None]
    # Light reaches into a wide opening; a narrow one is in shadow (and reads as parted lips).
    img *= (0.45 + 0.55 * smoothstep(0.05, 0.4, open_share))[..., None]

    img = _paint_tongue(img, palette, xs, ys, o, bottom, gap, tongue_out, tone)
    if teeth:
        img = _paint_teeth(
            img, palette, xs, ys, o, top, bottom, gap, across, wide, smile, lip_lift, tone
        )
    if palette.style == "mono":  # the image's own single tone (grey, sepia, hand-tinted)
        luma = np.float32([0.299, 0.587, 0.114])
        tone_colour = palette.wet_lip / max(float(palette.wet_lip @ luma), 1.0)
        grey = (img @ luma)[..., None]
        # The bright teeth keep no tint; the dark cavity and the mid-grey tongue take it.
        light = smoothstep(0.3, 0.85, clip(grey / 255, 0, 1))
        img = grey * (tone_colour + (1 - tone_colour) * light)
    return img.astype(np.float32)


def paint_lip_edge(
    palette: MouthPalette, o: Opening, img: np.ndarray, strength: float | np.ndarray = 0.8
) -> np.ndarray:
    """The inner surface of the lips over ``img``: a darker, wet band along both edges,
    ``strength`` its share at the edge itself (one number, or one per column)."""
    ys = np.arange(o.rows, dtype=np.float32)[:, None]
    top, bottom = o.top[None].astype(np.float32), o.bottom[None].astype(np.float32)
    band = max(0.6, 0.03 * o.half_width)
    edge = np.exp(-np.maximum(ys - top, 0) / band) + np.exp(-np.maximum(bottom - ys, 0) / band)
    share = clip(edge, 0, 1) * np.asarray(strength, np.float32)
    return _mix(img, palette.wet_lip, _tone(palette.style)(share))


def _paint_tongue(img, palette, xs, ys, o, bottom, gap, tongue_out, tone):
    """A soft mound rising from the lower lip, lit on its top, with a faint middle groove."""
    height = (0.3 + 0.45 * tongue_out) * gap
    u = (xs - o.centre) / (0.7 * o.half_width)
    round_top = clip(1 - u**2, 0, 1)
    profile = height * np.sqrt(round_top)  # the mound's height per column
    rise = bottom - ys  # how far above the lower lip
    inside = clip(profile - rise + 0.5, 0, 1)
    v = clip(rise / np.maximum(height, 1e-3), 0, 1)
    lit = 0.72 + 0.35 * v * round_top
    groove = 1 - 0.12 * np.exp(-(((xs - o.centre) / max(0.06 * o.half_width, 0.7)) ** 2))
    tongue = palette.tongue * tone(clip(lit * groove, 0, 1.2))[..., None]
    return _mix(img, tongue, inside * (gap > 3))


def _paint_teeth(img, palette, xs, ys, o, top, bottom, gap, across, wide, smile, lip_lift, tone):
    """Upper teeth hanging under the upper lip, lower teeth barely above the lower lip."""
    # Visible height of the upper incisors: an upper lip lifted off them bares that much more
    # of their crown (a grin showed a sliver of teeth over a dark band at the resting height).
    tooth_h = 0.17 * o.half_width + lip_lift
    # The gum shows at wide openings, in arches over each tooth.
    centre_u, seam_u = _tooth_phase(xs - o.centre, o.half_width, _UPPER_TEETH)
    gum_edge = top + (0.05 + 0.25 * wide) * tooth_h * (0.55 + 0.45 * centre_u) * wide
    edge = top + np.minimum(tooth_h, (0.4 + 0.45 * smile) * gap) + 0.25 * wide * tooth_h
    # The teeth are fixed in the upper jaw: their biting edges an arch set by the lip's middle,
    # which no column's teeth hang below. Where the lip comes down under that arch (the sides of
    # a wide "ah", sloping to the corners) it hides them: hung from every column, they drew a
    # white rim round the opening.
    edge = np.minimum(edge, _biting_arch(edge, xs, o, across))
    gum_edge = np.minimum(gum_edge, edge)  # the gums sit above the teeth, hidden with them
    rounded = edge - 0.12 * tooth_h * (1 - centre_u) ** 2  # the biting edge rounds at each side
    upper = clip(ys - gum_edge + 0.5, 0, 1) * clip(rounded - ys + 0.5, 0, 1)
    gums = clip(ys - top + 0.5, 0, 1) * clip(gum_edge - ys + 0.5, 0, 1) * (wide > 0)
    fade = 1 - smoothstep(0.6, 1.0, across)  # teeth turn away into the dark of the cheeks
    lit = 1 - 0.3 * smoothstep(0.2, 0.9, across) - 0.05 * (1 - centre_u) ** 2
    lit = lit - 0.25 * np.exp(-np.maximum(ys - top, 0) / max(0.12 * tooth_h, 0.6))  # lip shadow
    # The teeth touch along most of their height: the dark between them is the little notches
    # at the biting edges and at the gums (a full-height line drew piano keys).
    v = clip((ys - gum_edge) / np.maximum(rounded - gum_edge, 1.0), 0, 1)
    notch = np.maximum(smoothstep(0.7, 1.0, v), 1 - smoothstep(0.0, 0.25, v))
    gaps_between = 1 - 0.22 * seam_u * (0.3 + 0.7 * notch)
    light = np.maximum(smoothstep(0.05, 0.35, gap / o.half_width), smile)  # narrow: shadow
    lit = lit * (0.55 + 0.45 * light)
    teeth = palette.teeth * tone(clip(lit * gaps_between, 0, 1))[..., None]
    img = _mix(img, palette.gums * (0.8 + 0.2 * fade)[..., None], gums * fade)
    img = _mix(img, teeth, upper * fade)

    # Lower teeth: only the front ones clear the lower lip, their tips an arch highest in the
    # middle (a strip of even height along the whole lip read as a drawn outline), in the
    # shadow of the upper jaw and lit only at their tips.
    low_h = np.minimum(0.45 * tooth_h, 0.2 * gap) * smoothstep(0.3, 0.55, gap / o.half_width)
    arch = np.sqrt(clip(1 - (across / _LOWER_ARCH) ** 2, 0, 1))
    tip = bottom - low_h * arch
    lower = clip(ys - tip + 0.5, 0, 1) * clip(bottom - ys + 0.5, 0, 1) * (low_h > 0.8)
    lower *= clip(low_h * arch, 0, 1)  # under a pixel tall: a faint line along the whole lip
    _, seam_l = _tooth_phase(xs - o.centre, o.half_width, _LOWER_TEETH)
    toward_tip = clip((bottom - ys) / np.maximum(low_h * arch, 1e-3), 0, 1)
    lit = (0.7 + 0.15 * toward_tip) * (1 - 0.2 * seam_l)
    lower_teeth = palette.teeth * tone(clip(lit, 0, 1))[..., None]
    return _mix(img, lower_teeth, lower)


def _biting_arch(edge: np.ndarray, xs: np.ndarray, o: Opening, across: np.ndarray) -> np.ndarray:
    """(1, W) the upper teeth's biting edges as the jaw holds them: level with ``edge`` (per
    column) at the middle of the mouth, rising :data:`_SMILE_ARC` half-widths toward the corners
    (the canines' tips sit higher than the incisors'), tilted with the mouth."""
    middle = across < _MIDDLE
    if not middle.any():
        return edge
    edge_mid = float(edge[middle].mean())
    # The mouth's tilt (a rolled head): the lip's slope across the middle half of the mouth.
    dx = xs - o.centre
    side = (across > _MIDDLE) & (across < 0.5)
    left, right = side & (dx < 0), side & (dx > 0)
    slope = 0.0
    if left.any() and right.any():
        run = float(dx[right].mean() - dx[left].mean())
        slope = float(edge[right].mean() - edge[left].mean()) / max(run, 1.0)
    return edge_mid + slope * dx - _SMILE_ARC * o.half_width * across**2


def _tooth_phase(dx: np.ndarray, half: float, widths: tuple[float, ...]):
    """Per column: 1 at the middle of a tooth falling to 0 at its edges, and a seam weight that
    is 1 on the boundary between two teeth (a soft line under a pixel wide)."""
    bounds = np.concatenate([[0.0], np.cumsum(widths)]) * half
    d = np.abs(dx)
    k = clip(np.searchsorted(bounds, d) - 1, 0, len(widths) - 1)
    lo, hi = bounds[k], bounds[k + 1]
    phase = clip((d - lo) / np.maximum(hi - lo, 1e-3), 0, 1)
    centre = 1 - np.abs(2 * phase - 1)
    to_seam = np.minimum(d - lo, hi - d)
    seam = np.exp(-((to_seam / 0.45) ** 2)) * (d < bounds[-1]) * (d > 0.5)
    return centre, seam


def _tone(style: str):
    """Shading as it is (photo, mono) or in flat steps with a sub-pixel soft edge (cel)."""
    if style != "cel":
        return lambda s: s
    return _steps


def _steps(s: np.ndarray) -> np.ndarray:
    levels = 1  # one hard step: light and shadow, as a cel painter would
    scaled = s * levels
    base = np.floor(scaled)
    return (base + smoothstep(0.45, 0.55, scaled - base)) / levels


def _mix(a, b, t) -> np.ndarray:
    t = np.asarray(t, np.float32)
    if t.ndim == 2:
        t = t[..., None]
    return a + (b - a) * t
