"""The eye layer: eyelids that close over the eye, irises that move inside it.

Drawn in the reference image's own coordinates, before the mesh warp, on a small box around
each eye. Per image column the upper lid is a curve u(x) and the lower lid l(x). A pose moves the
curves; the lash line just above the upper lid travels down with it unchanged, the skin
above it stays put, and between them the lid comes down as the lid's own skin: its tone from
the skin between lid and brow, shaded by the smooth fill of the skin around it, with the
cheek's grain (so skin, not a smear of the lashes, crease or shadow, covers the eye on a
blink). Between the lids the eyeball shows: a sclera plate (the eye with its iris painted
out) with the iris pasted at the gaze position.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from openlpm.character.topology import EyeIndices

LOOK_SIDE = 0.2  # iris travel at full eyeLookIn/Out, in eye widths
LOOK_VERTICAL = 0.1  # iris travel at full eyeLookUp/Down, in eye widths
_WIDE_BAND = 0.05  # eye widths under a resting upper lid that a raised one (eyeWide) stretches
_UP_BAND = 0.55  # skin band above the lid that stretches on a blink, in eye widths
_DOWN_BAND = 0.35
# The lash line: the dark band just above the upper lid line, measured in the image. It moves
# down rigidly on a blink (a real lid unfolds the skin above it; the lash line keeps its
# width). Stretched with the skin, a drawn character's thick lash band grew into a dark almond
# on a shut eye that read as a narrow open one; an eye with no distinct lash line (a painting's
# soft lid) measures none and stretches as before.
_LASH_MAX = 0.25  # the widest lash band looked for, in eye widths
_LASH_SKIN = (0.3, 0.5)  # lid skin for reference: this far above the lid line, in eye widths
_LASH_CONTRAST = 55.0  # grey levels the lashes lie under the lid skin (a fifth of the range)
# The eye as drawn can be larger than its landmarks (a cartoon's big eyes): the white and the
# iris showing beyond the lid contours belong to the eye, or a shut lid leaves them showing.
_REACH = 0.15  # the farthest the visible eye extends a lid contour, in eye widths
# Eye widths over which a lid's shift must hold (a running median): the upper lid's along the
# whole eye, as dark lashes over a dark iris look like the iris.
_LID_SPAN = (1.0, 0.4)  # upper, lower
_SHUT_EDGE = 0.05  # eye widths of each lid's edge rows left out where a shut lid meets the other
_EDGE_TAPER = 0.1  # eye widths of opening under which fewer of those rows are left out
_EYE_COLOUR = 24.0  # RGB distance to the nearest colour of the opening that still counts as eye
_MIN_LID_SHIFT = 2  # pixels: a lid found a pixel beyond its landmarks is where they say
# A lit lid (the bare strip between the crease and the lashes, near white on a photo under top
# light) stretched over the eye on a blink read as the white of an eye rolled up, between the
# crease and the lashes. Where the lid covers the opening its colours brighter than the skin
# under the eye are drawn toward it, keeping this share of their difference (the lid's texture).
_LID_CONTRAST = 0.4
_LID_SOFT = 16.0  # grey levels over the skin's over which the pull comes in (no step at it)
_CHEEK = (0.2, 0.35)  # the skin under the eye for the lid's tone, in eye widths below the lid
# A closing lid unfolds: the skin above its carried edge stays put, and between them the lid
# comes down as the lid's own skin. In eye widths: the band above the lid whose lighter part is
# the lid's skin (_LID_BAND at _LID_PERCENTILE, for the lid line's contrast) and how far above
# the carried edge the fold's shadow smooths out (_LID_FADE).
_LASH_DISTINCT = 2  # pixels: a lash band this high is the lid's edge
_LINE_UNDER = 0.04  # how far under the upper lid's landmarks its dark line is looked for
_IRIS_CLEAR = 1.4  # iris radii about the iris's centre left out when looking under the lid
_LINE_CONTRAST = 12.0  # grey levels a lid line lies under the lid's skin, at least
_LID_BAND = 0.3
_LID_PERCENTILE = 0.65
_LID_FADE = 0.12
_SEAM = 0.8  # share of the lid's darkest edge drawn where shut lids meet
_SEAM_DARKER = 0.8  # that edge is at most this bright relative to the lid's skin
# The shut lid's tone: the lighter skin between the lid and the brow (this high a percentile of
# this band above the lid, in eye widths: not the crease, the lashes or a shadow on the lid),
# _LID_CHEEK of the way to the skin under the eye.
_TONE_BAND = 0.4
_TONE_PERCENTILE = 0.8
_LID_CHEEK = 0.25  # how far a shut lid's colour goes from the skin above the eye to the cheek's
_BROW_ROOM = 0.5  # share of the way from the lid's edge to the brow the fold's shadow fades
_TONE_GAP = 0.25  # eye widths of lid come down under which it fades in over the skin above
_STRAY_FROM = 0.4  # closure from which the white beside the lids turns to the lid's tone
_STRAY_CONTRAST = 20.0  # grey levels the eye's white must lie over the skin to be told from it
_STRAY_COLOUR = 40.0  # RGB distance to the nearest of the opening's whites (shaded ones too)
_STRAY_LEAST = 3  # pixels of white beside the lids that count
_PLATE_RANGE = 16.0  # grey levels about the lid's tone that its shading takes from around it
_MEMBRANE_STEPS = 60
_IRIS_PERCENTILE = 0.35  # per ring of a raised lid's iris: this dark a pixel of what shows there
_FEATHER = 0.1  # eye widths over which the lid's top blends into the skin above it
_LUM = np.float32([0.299, 0.587, 0.114])
_TEXTURE_BLUR = 0.04  # the unfolded lid keeps the stretched skin's detail finer than this
_TEXTURE_LIMIT = 2.5  # and no stronger than this many times the skin's grain


@dataclass(frozen=True)
class EyePose:
    blink: float = 0.0
    squint: float = 0.0
    wide: float = 0.0
    look_out: float = 0.0  # toward the ear
    look_in: float = 0.0
    look_up: float = 0.0
    look_down: float = 0.0


class EyeLayer:
    def __init__(self, image: np.ndarray, landmarks: np.ndarray, eye: EyeIndices) -> None:
        lm = landmarks[:, :2].astype(np.float64)
        upper, lower = lm[list(eye.upper)], lm[list(eye.lower)]
        self.width = float(np.linalg.norm(lm[eye.outer] - lm[eye.inner]))
        self.out_sign = 1.0 if lm[eye.outer, 0] > lm[eye.inner, 0] else -1.0
        h, w = image.shape[:2]
        ew = self.width
        self.x0 = int(max(0, np.floor(upper[:, 0].min() - 0.15 * ew)))
        self.x1 = int(min(w, np.ceil(upper[:, 0].max() + 0.15 * ew)))
        self.y0 = int(max(0, np.floor(upper[:, 1].min() - _UP_BAND * ew)))
        self.y1 = int(min(h, np.ceil(lower[:, 1].max() + _DOWN_BAND * ew)))
        roi = image[self.y0 : self.y1, self.x0 : self.x1].astype(np.float32)
        self.skin = roi
        xs = np.arange(self.x0, self.x1, dtype=np.float64)
        self.u = _curve(upper, xs)  # upper lid y per column (absolute pixels)
        self.l = np.maximum(_curve(lower, xs), self.u)
        self.brow = _curve(lm[list(eye.brow_lower)], xs)  # the brow's lower edge per column
        ys = np.arange(self.y0, self.y1, dtype=np.float32)[:, None]
        self.ys = ys
        self.xs_map = np.broadcast_to(
            np.arange(self.x1 - self.x0, dtype=np.float32), roi.shape[:2]
        ).copy()
        iris_c = landmarks[eye.iris_center, :2].astype(np.float64)
        iris_r = float(np.linalg.norm(lm[list(eye.iris_ring)] - iris_c, axis=1).mean())
        centre = iris_c - (self.x0, self.y0)
        u, low = visible_opening(
            roi, self.u - self.y0, self.l - self.y0, centre, iris_r, self.width
        )
        # Past the corners the shifts fade out: a lid found beyond its landmarks there is the
        # eye's visible end, and a shift held to the box's side painted the lid to it (a
        # rectangle's edge beside a shut eye).
        corners = np.sort(lm[[eye.inner, eye.outer], 0])
        beyond = np.maximum(corners[0] - xs, xs - corners[1])
        taper = np.clip(1 - beyond / max(1.0, _REACH * ew), 0, 1)
        self.u = self.u + (u + self.y0 - self.u) * taper
        self.l = self.l + (low + self.y0 - self.l) * taper
        opening = self._opening_mask(self.u, self.l)
        self.lash = lash_band(roi, self.u - self.y0, self.width)
        self.lid_line, self.line_under = lid_line(
            roi, self.u - self.y0, self.width, (float(centre[0]), iris_r)
        )
        self.lid_tone = _skin_below(roi, self.l - self.y0, self.width)
        self.grain = grain_level(roi, self.l - self.y0, self.width)
        grey = roi @ _LUM
        detail = grey - cv2.GaussianBlur(grey, (0, 0), max(1.0, _TEXTURE_BLUR * self.width))
        limit = _TEXTURE_LIMIT * self.grain
        self._detail = np.clip(detail, -limit, limit).astype(np.float32)
        self.seam = _lid_line_colour(roi, self.u - self.y0)
        self.lid_colour = self._lid_colour()
        # The line where shut lids meet is darker than the lid, whatever lies about the lid
        # line (a lit lid over the eye's white has no dark row there).
        darker = np.minimum(1.0, _SEAM_DARKER * (self.lid_colour @ _LUM) / (self.seam @ _LUM + 1))
        self.seam = self.seam * darker[:, None]
        self.plate = self._shut_plate()
        iris_r = visible_iris_radius(roi, opening, centre, iris_r)
        self.eyeball, self.iris, self.iris_origin = _split_iris(roi, opening, centre, iris_r)
        self._iris_disk = (float(centre[0]), float(centre[1]), iris_r)
        self._u32 = self.u.astype(np.float32)
        corner = beyond > -_REACH * ew
        self.stray = stray_white(
            roi, opening, centre, iris_r, self.l - self.y0, corner, self.lid_tone, self.width
        )
        # Looking ahead, the eye as the image shows it: the split's seams (a rim of a large
        # iris painted out, a sprite edge) appear only when the iris moves.
        inside = opening[..., None]
        self.eyeball_ahead = (roi * inside + self.eyeball * (1 - inside)).astype(np.float32)
        self._lid_key: tuple[float, ...] | None = None
        self._lid_value: tuple[np.ndarray, np.ndarray | None, np.ndarray] | None = None

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.x0, self.y0, self.x1, self.y1

    def _opening_mask(self, u: np.ndarray, lower: np.ndarray) -> np.ndarray:
        """Anti-aliased coverage of the space between the lids, (roi_h, roi_w) float32."""
        top = np.clip(self.ys - u[None].astype(np.float32) + 0.5, 0, 1)
        bottom = np.clip(lower[None].astype(np.float32) - self.ys + 0.5, 0, 1)
        return (top * bottom).astype(np.float32)

    def draw(self, pose: EyePose) -> np.ndarray:
        """The eye box (roi_h, roi_w, 3) float32 for this pose."""
        skin, cover, shade = self._lids(pose)
        if cover is None:
            return skin.copy()
        eye = self._eyeball(pose) * shade
        return skin + (eye - skin) * cover

    def _lids(self, pose: EyePose) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """(skin, cover, shade) of the lids for ``pose``: the skin drawn around the opening,
        the opening's coverage and the upper lid's shadow in it ((h, w, 1) float32; cover
        None when shut). Kept for the last lid pose: a gaze moving in a still eye redraws
        only the eyeball."""
        key = (pose.blink, pose.squint, pose.wide, pose.look_up, pose.look_down)
        if key != self._lid_key:
            self._lid_key, self._lid_value = key, self._draw_lids(pose)
        return self._lid_value

    def _draw_lids(self, pose: EyePose) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        close, u2, l2 = self._lid_lines(pose)
        skin = self._moved_skin(close, u2, l2)
        if (u2 > self.u).any():
            skin = self._cover(skin, close, u2)
            if self.lid_tone is not None:
                skin = self._lid_skin(skin, u2)
        if close > 0:
            skin = self._shut_line(skin, close, u2)
            skin = self._cover_stray(skin, close)
        cover = self._opening_mask(u2, l2)
        ys = self.ys
        shade = 1 - 0.3 * np.exp(-np.maximum(ys - u2[None], 0) / (0.08 * self.width + 1e-3))
        if not cover.any():
            return skin, None, shade
        return skin, cover[..., None], shade[..., None].astype(np.float32)

    def _shut_line(self, skin: np.ndarray, close: float, u2: np.ndarray) -> np.ndarray:
        """``skin`` with the lid's own darkest edge drawn along the moved lid ``u2``, coming
        in as the lid closes: a soft lid's thin line can fall between the carried rows, and a
        shut eye with no line where the lids meet is a smooth patch to the tracker (the Mona
        Lisa's), not a shut eye."""
        r0 = max(0, int(np.floor(u2.min())) - 3 - self.y0)
        r1 = min(len(self.ys), int(np.ceil(u2.max())) + 3 - self.y0)
        if r1 <= r0:
            return skin
        ys, open_rows = self.ys[r0:r1], (self.l - self.u)[None]
        half = 0.5 if self.lash >= _LASH_DISTINCT else 1.0  # a soft lid's line drawn wider
        line = np.clip(half + 0.5 - np.abs(ys - (u2[None] - 0.5)), 0, 1)
        line = line * np.clip(open_rows - 1, 0, 1)
        weight = (_SEAM * close * close * line)[..., None].astype(np.float32)
        skin[r0:r1] += (self.seam[None] - skin[r0:r1]) * weight
        return skin

    def _cover_stray(self, skin: np.ndarray, close: float) -> np.ndarray:
        """``skin`` with the eye's white left beside its lids (:func:`stray_white`) turned to
        the lid's tone as the lid closes: a cartoon's eye reaches past its corners, and a shut
        lid left white corners there."""
        if self.stray is None:
            return skin
        t = float(np.clip((close - _STRAY_FROM) / (1 - _STRAY_FROM), 0, 1))
        if t <= 0:
            return skin
        weight = (self.stray * (t * t * (3 - 2 * t)))[..., None]
        return skin + (self.lid_colour[None] - skin) * weight

    def _lid_lines(self, pose: EyePose) -> tuple[float, np.ndarray, np.ndarray]:
        """(closure, upper lid, lower lid) for ``pose``: the lids' rows per column."""
        o = self.l - self.u
        close = min(1.0, pose.blink + 0.3 * pose.squint)
        u2 = self.u + o * (
            0.95 * close + 0.3 * pose.look_down - 0.12 * pose.look_up - 0.25 * pose.wide
        )
        l2 = self.l - o * (0.05 * close + 0.15 * pose.squint)
        return close, np.minimum(u2, l2), l2

    def _moved_skin(self, close: float, u2: np.ndarray, l2: np.ndarray) -> np.ndarray:
        """The box with the lids' edges moved to ``u2`` and ``l2``, before the lid unfolds."""
        y0, y1, ys = float(self.y0), float(self.y1), self.ys
        # Closing lids show their edges, not the eye's last rows beside them.
        edge = close * self._edge
        above = _above_lid(ys, y0, self.u - edge, u2, self._margin)
        lower = self.l + edge
        below = y1 - (y1 - ys) * ((y1 - lower) / np.maximum(y1 - l2, 1e-3))[None]
        skin = self._skin_rows(np.where(ys < u2[None], above, below) - y0)
        # Where the lids meet, both sides blended over a pixel: a hard switch from one to the
        # other stepped along a sloping lid line.
        seam = np.abs(ys - u2[None]) < 1.0
        if close > 0 and seam.any():
            at = np.nonzero(seam.any(1))[0]
            rows = slice(at[0], at[-1] + 1)
            t = np.clip(ys[rows] - u2[None] + 0.5, 0, 1)[..., None]
            upper, lower = (self._skin_rows(a[rows] - y0, rows) for a in (above, below))
            skin[rows] = upper + (lower - upper) * t
        return skin

    @cached_property
    def _edge(self) -> np.ndarray:
        """Rows above the lid line, per column, where the carried band ends when shut: a
        little above it (the eye's last rows are not the lid's), or under it where a soft
        lid's dark line lies under its landmarks (with distinct lashes, what lies under them
        is the eye's shadow). None toward the corners and past them, where the eye has no
        rows to hide: shifted there, the skin beside the eye broke along a line."""
        if self.line_under and self.lash < _LASH_DISTINCT:
            edge = -self.line_under
        else:
            edge = _SHUT_EDGE * self.width
        return edge * np.clip((self.l - self.u) / max(1.0, _EDGE_TAPER * self.width), 0, 1)

    @cached_property
    def _margin(self) -> float:
        """Rows above the lid line that travel down with it: the lash band, or the lid's dark
        edge where no distinct lash band shows (a soft lid still closes on a line)."""
        return max(self.lash, self.lid_line, 1.0)

    def _cover(self, skin: np.ndarray, close: float, u2: np.ndarray) -> np.ndarray:
        """``skin`` with the lid that came down to ``u2`` painted over the eye: between where
        the carried band rested (the skin above it stays put) and where its top is now, the
        lid's own skin (:meth:`_shut_plate`, with the cheek's grain), opaque at every closure
        (a lid blended in by how far it came showed the iris through a half shut one),
        feathered into the skin above it. Nothing is stretched: stretched, the crease and the
        brow followed the lid down, and the crease over the shut lashes read as an open eye."""
        rest, top, end = (a.astype(np.float32) for a in self._span(close, u2))
        gap = end - top
        if gap.max() <= 0:
            return skin
        feather = np.float32(self._feather)
        # Only the rows the lid reaches are worked on.
        r0 = max(0, int(np.floor((top - feather).min())) - self.y0)
        r1 = min(len(self.ys), int(np.ceil(end.max())) + 1 - self.y0)
        if r1 <= r0:
            return skin
        rows = slice(r0, r1)
        ys = self.ys[rows]
        inside = (ys >= top[None]) & (ys < end[None])
        fade = np.clip((ys - top[None]) / feather + 1, 0, 1)
        fade = fade * fade * (3 - 2 * fade) * np.clip(gap / feather, 0, 1)[None]
        weight = np.where(inside, np.float32(1), fade) * np.clip(end[None] - ys + 0.5, 0, 1)
        # Toward the corners, where little of the lid comes down, it fades in over what was
        # above the eye (never over the eye): it ended there with a straight edge.
        grown = self._grown(end - rest)
        weight = np.where(ys < self._u32[None] - 1, weight * grown[None], weight)
        lid = self.plate[rows] + self._lid_texture(top, rows)
        skin[rows] += (lid - skin[rows]) * weight[..., None]
        return skin

    def _grown(self, gap: np.ndarray) -> np.ndarray:
        """(w,) how far the lid of height ``gap`` per column has come down, 0-1: full from
        :data:`_TONE_GAP` eye widths, and no more than its neighbours' (smooth at the
        corners, where the opening ends within a pixel or two; the lids' rows all move in
        proportion, so the neighbours' share is the shut lid's, :attr:`_spread`)."""
        grown = np.clip(gap * self._spread, 0, 1)
        return grown * grown * (3 - 2 * grown)

    @cached_property
    def _spread(self) -> np.ndarray:
        """(w,) float32: per column, the shut lid's height smoothed along the lid over its
        own, at most 1, over :data:`_TONE_GAP` eye widths (see :meth:`_grown`)."""
        close, u2, _ = self._lid_lines(EyePose(blink=1.0))
        rest, _, end = self._span(close, u2)
        gap = np.maximum(end - rest, 0).astype(np.float32)
        sigma = max(1.0, _TONE_GAP * self.width / 2)
        spread = cv2.GaussianBlur(gap[None], (0, 0), sigmaX=sigma, sigmaY=0.1,
                                  borderType=cv2.BORDER_REPLICATE)[0]  # fmt: skip
        share = np.minimum(1.0, spread / np.maximum(gap, 1e-3))
        return (share / max(1.0, _TONE_GAP * self.width)).astype(np.float32)

    def _span(self, close: float, u2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rest, top, end) rows per column of the lid come down to ``u2``: where the carried
        band's top rested, where the lid starts and where it ends (the band's top now)."""
        rest = self.u - close * self._edge - self._margin
        end = u2 - self._margin
        # The fold's shadow above the lid smooths out as the lid unfolds, more the further it
        # came down: kept, the dark rows above a lighter lid drew an almond, an open eye to a
        # tracker.
        # No further than part way to the brow (on a small face the fade reached into the
        # brow and smeared it down over the lid).
        fade = max(1.0, _LID_FADE * self.width)
        room = np.clip(_BROW_ROOM * (rest - self.brow), 0, fade)
        top = rest - room * np.clip((end - rest) / fade, 0, 1)
        return rest, top, end

    @cached_property
    def _feather(self) -> float:
        return max(1.0, _FEATHER * self.width)

    def _shut_plate(self) -> np.ndarray:
        """(h, w, 3) float32: the shut lid's shading, the smooth (harmonic) fill of the
        skin around the shut lid with the lid's tone under it. What surrounds it counts only
        within :data:`_PLATE_RANGE` grey levels of the lid's tone: the lashes, the crease, the
        brow and the eye's corners about it, smoothed over it, painted grey-brown smudges."""
        close, u2, _ = self._lid_lines(EyePose(blink=1.0))
        _, top, end = self._span(close, u2)
        ys, tone = self.ys, self.lid_colour[None]
        unknown = (ys >= top[None] - 1) & (ys < end[None])
        around = np.where((ys >= end[None])[..., None], tone, self.skin)
        return _membrane(_near_tone(around, tone), unknown).astype(np.float32)

    def _lid_texture(self, top: np.ndarray, rows: slice) -> np.ndarray:
        """(rows, w, 1) float32: fine detail for the lid come down from ``top``: the skin's
        own, from the cheek under the eye (folded back and forth over the lid's height, so it
        repeats without a seam), finer than :data:`_TEXTURE_BLUR` eye widths and no stronger
        than a few times the skin's grain (a line there is a fold of the cheek, not texture).
        Stretching the skin above down over the lid drew vertical streaks."""
        band = max(2.0, (_CHEEK[1] - _CHEEK[0]) * self.width)
        t = np.mod(self.ys[rows] - top[None], 2 * band)
        src = self.l[None] + _CHEEK[0] * self.width + np.minimum(t, 2 * band - t)
        detail = cv2.remap(self._detail, self.xs_map[rows], (src - self.y0).astype(np.float32),
                           cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
        return detail[..., None]

    def _lid_colour(self) -> np.ndarray:
        """(roi_w, 3) float32: a shut lid's colour over the eyeball, per column: the lid's
        skin between the lid and the brow (its lighter part: not the lashes, the crease or a
        shadow on the lid), :data:`_LID_CHEEK` of the way to the skin under the eye (the lid
        bulges into the light like the cheek, out of the socket's shadow), never brighter
        than that skin (a lit lid is not the eye's white); smooth along the lid."""
        lid = self.u - self.y0 - self._margin - self._edge
        ys = np.arange(self.skin.shape[0], dtype=np.float64)[:, None]
        band = (ys < lid[None]) & (ys >= lid[None] - _TONE_BAND * self.width)
        lum = self.skin @ _LUM
        colour = np.empty((self.skin.shape[1], 3), np.float32)
        for x in range(len(colour)):
            rows = np.nonzero(band[:, x])[0]
            if not len(rows):
                rows = np.arange(max(1, int(lid[x])))
            order = rows[np.argsort(lum[rows, x])]
            colour[x] = self.skin[order[int(_TONE_PERCENTILE * (len(order) - 1))], x]
        sigma = max(1.0, _LID_FADE * self.width)
        colour = cv2.GaussianBlur(colour[None], (0, 0), sigmaX=sigma, sigmaY=0.1,
                                  borderType=cv2.BORDER_REPLICATE)[0]  # fmt: skip
        if self.lid_tone is None:
            return colour
        colour = colour + (self.lid_tone - colour) * _LID_CHEEK
        brighter = np.clip((colour @ _LUM - float(self.lid_tone @ _LUM)) / _LID_SOFT, 0, 1)
        return _toward_skin(colour, brighter, self.lid_tone)

    def _lid_skin(self, skin: np.ndarray, u2: np.ndarray) -> np.ndarray:
        """``skin`` with the lid lowered to ``u2``, where it covers the rest opening, no
        brighter than the skin under the eye allows (never the eye's white); what is darker
        (lashes, a lid in the socket's shadow) is the lid's own."""
        r0 = max(0, int(np.floor(self.u.min())) - self.y0)
        r1 = min(len(self.ys), int(np.ceil(u2.max())) + 2 - self.y0)
        if r1 <= r0:
            return skin
        ys, part = self.ys[r0:r1], skin[r0:r1]
        # From none at the rest lid (no edge with the skin above) to full a third of the way down.
        reach = np.maximum(u2 - self.u, 1.0)[None] / 3
        over = np.clip((ys - self.u[None]) / reach, 0, 1) * (ys < u2[None] + 0.5)
        brighter = np.clip((part @ _LUM - float(self.lid_tone @ _LUM)) / _LID_SOFT, 0, 1)
        skin[r0:r1] = _toward_skin(part, over * brighter, self.lid_tone)
        return skin

    def _skin_rows(self, src_y: np.ndarray, rows: slice = slice(None)) -> np.ndarray:
        """The eye box's image resampled at source rows ``src_y`` (box coordinates) for the
        output rows ``rows``, each column from itself."""
        return cv2.remap(
            self.skin, self.xs_map[rows], src_y.astype(np.float32), cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_REPLICATE,
        )  # fmt: skip

    def _eyeball(self, pose: EyePose) -> np.ndarray:
        dx = (pose.look_out - pose.look_in) * self.out_sign * LOOK_SIDE * self.width
        dy = (pose.look_down - pose.look_up) * LOOK_VERTICAL * self.width
        if dx == 0 and dy == 0:
            return self._raised(self.eyeball_ahead, pose, iris_shown=True)
        ox, oy = self.iris_origin
        shift = np.float32([[1, 0, ox + dx], [0, 1, oy + dy]])
        size = (self.skin.shape[1], self.skin.shape[0])
        iris = cv2.warpAffine(
            self.iris, shift, size, flags=cv2.INTER_CUBIC, borderValue=(0, 0, 0, 0)
        )
        alpha = iris[..., 3:4]
        return self._raised(self.eyeball, pose) * (1 - alpha) + iris[..., :3] * alpha

    def _raised(self, eyeball: np.ndarray, pose: EyePose, iris_shown: bool = False) -> np.ndarray:
        """``eyeball`` as seen under an upper lid raised above where it rests (eyeWide): the
        band of the eye under the resting lid, in its shadow, stretched up to the raised lid.
        Uncovered, the eye above the resting lid showed the flat white around the eye: a pale
        line drawn under the lashes, with the lid's shadow left below it as a dark line.

        ``iris_shown``: the image's iris is in ``eyeball``. What the lid uncovers of it is
        drawn as rings of its own colours (:attr:`_radial_iris`): stretched up with the white,
        the lashes' shadow and a catchlight under the lid drew dark and white streaks, a cap
        over a wide-open eye."""
        if pose.wide <= 0:
            return eyeball
        lid = self._lid_lines(pose)[1] - self.y0
        rest = self.u - self.y0
        band = np.float32(_WIDE_BAND * self.width)
        raised = np.minimum(lid, rest)[None]
        rows = self.ys - self.y0
        under = rows < rest[None] + band
        t = np.clip((rows - raised) / (rest[None] + band - raised), 0, 1)
        src = np.where(under, rest[None] + t * band, rows)
        out = self._rows_of(eyeball, src)
        if not iris_shown:
            return out
        colours, reach = self._radial_iris
        cx, cy, _ = self._iris_disk
        disk = np.clip(reach + 0.5 - np.hypot(self.xs_map - cx, rows - cy), 0, 1)
        # Over the band that was stretched, fading out over as much again below it (the lid's
        # shadow lies there in the image: a step at the band's edge drew an arc).
        weight = disk * np.clip((rest[None] + 2 * band - rows) / band, 0, 1)
        return out + (colours - out) * weight[..., None].astype(np.float32)

    @cached_property
    def _radial_iris(self) -> tuple[np.ndarray, float]:
        """((h, w, 3) float32, radius): the iris as rings of its own colours, at each distance
        from its centre the darker part of what the image shows there (the pupil, the iris,
        the dark rim; not the white beside it, nor a catchlight), out to the last ring with
        iris in it: what a raised lid uncovers. Its lower part mirrored up drew the lower
        lid's rim across the iris where the lid hides its bottom."""
        cx, cy, r = self._iris_disk
        dist = np.hypot(self.xs_map - cx, self.ys - self.y0 - cy)
        opening = self._opening_mask(self.u, self.l) > 0.5
        seen = opening & (dist <= r + 0.5)
        ring = np.minimum(np.round(dist), np.ceil(r)).astype(np.int64)
        colours = np.zeros((int(np.ceil(r)) + 1, 3), np.float32)
        if not seen.any():
            return colours[ring], -1.0
        luma = self.skin @ _LUM
        # Lighter than half way from the iris to the white: the white, or a catchlight.
        white = float(np.percentile(luma[opening], 90))
        light = (float(np.median(luma[seen])) + white) / 2
        last, reach = self.skin[seen].mean(0), -1.0
        for k in range(len(colours)):  # inside out: an unseen ring takes the one inside it
            at = seen & (ring == k) & (luma < light)
            if at.sum() >= 3:
                px = self.skin[at]
                last = px[np.argsort(px @ _LUM)[int(_IRIS_PERCENTILE * (len(px) - 1))]]
                reach = float(k)
            colours[k] = last
        return colours[ring].astype(np.float32), reach

    def _rows_of(self, image: np.ndarray, src_y: np.ndarray) -> np.ndarray:
        """``image`` (the eye box) with each pixel taken from row ``src_y`` of its column."""
        return cv2.remap(
            image, self.xs_map, src_y.astype(np.float32), cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )  # fmt: skip


def _membrane(image: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """``image`` (h, w, 3) float32 with the pixels under ``unknown`` replaced by the smooth
    (harmonic) fill of what surrounds them: Jacobi steps toward the mean of the four
    neighbours, started from each column's straight line between its known rows refined by
    the same fill at half the size (so that the few steps settle the whole patch, not only
    its edges: an unsettled fill kept a seam with the skin beside it)."""
    out = image.astype(np.float32).copy()
    h, w = unknown.shape
    for x in np.nonzero(unknown.any(0))[0]:
        rows = np.nonzero(unknown[:, x])[0]
        a, b = max(rows[0] - 1, 0), min(rows[-1] + 1, h - 1)
        t = ((rows - a) / max(b - a, 1))[:, None]
        out[rows, x] = out[a, x] + (out[b, x] - out[a, x]) * t
    if min(h, w) >= 16 and unknown.sum() > 64:
        half = (w // 2, h // 2)
        small = cv2.resize(out, half, interpolation=cv2.INTER_AREA)
        small_unknown = cv2.resize(unknown.astype(np.float32), half, cv2.INTER_AREA) > 0
        guess = cv2.resize(_membrane(small, small_unknown), (w, h), interpolation=cv2.INTER_LINEAR)
        out[unknown] = guess[unknown]
    cross = np.float32([[0, 0.25, 0], [0.25, 0, 0.25], [0, 0.25, 0]])
    where = unknown[..., None]
    for _ in range(_MEMBRANE_STEPS):
        out = np.where(where, cv2.filter2D(out, -1, cross, borderType=cv2.BORDER_REPLICATE), out)
    return out


def _near_tone(colour: np.ndarray, tone: np.ndarray) -> np.ndarray:
    """``colour`` (..., 3) drawn toward ``tone`` (broadcast) until its grey level is within
    :data:`_PLATE_RANGE` of the tone's."""
    lum = (colour - tone) @ _LUM
    squeeze = np.minimum(1.0, _PLATE_RANGE / np.maximum(np.abs(lum), 1e-3))[..., None]
    return (tone + (colour - tone) * squeeze).astype(np.float32)


def stray_white(
    roi: np.ndarray,
    opening: np.ndarray,
    centre: np.ndarray,
    radius: float,
    lower: np.ndarray,
    corner: np.ndarray,
    skin: np.ndarray | None,
    width: float,
) -> np.ndarray | None:
    """(h, w) float32 soft mask of the eye's white outside the lids' ``opening`` but within
    :data:`_REACH` eye widths of it, above the ``lower`` lid (rows per column) but toward the
    corners (a cartoon's eye drawn past its corners and lids): pixels
    nearer the opening's white than the skin tone ``skin`` and within :data:`_STRAY_COLOUR` of
    it. None where there is none (most eyes)."""
    inside = opening > 0.5
    h, w = inside.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    sclera = _sclera_colour(roi, inside & (np.hypot(xs - centre[0], ys - centre[1]) > 1.3 * radius))
    # A white much like the skin (an old photo's, a shadowed one) is not told from it.
    if sclera is None or skin is None or sclera @ _LUM < skin @ _LUM + _STRAY_CONTRAST:
        return None
    reach = max(1, round(_REACH * width))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    near = (cv2.dilate(inside.astype(np.uint8), kernel) > 0) & ~inside
    # Under the lower lid it shows shut or open alike, but toward the corners (``corner``,
    # per column) a cartoon's white runs past the lower lid's landmarks.
    near &= (ys < lower[None]) | corner[None]
    # Any of the opening's whites, its shaded corners' too (as :func:`visible_opening` does).
    in_iris = np.hypot(xs - centre[0], ys - centre[1]) < 1.3 * radius
    whites = _thin(_brighter(roi[inside & ~in_iris], 50))
    skin_px = _thin(
        roi[(ys > lower[None] + _CHEEK[0] * width) & (ys < lower[None] + _CHEEK[1] * width)]
    )
    if not len(whites) or not len(skin_px):
        return None
    to_white = _nearest_distance(roi[near], whites)
    white = np.zeros((h, w), bool)
    white[near] = (to_white < _STRAY_COLOUR) & (to_white < _nearest_distance(roi[near], skin_px))
    if white.sum() < _STRAY_LEAST:
        return None
    return cv2.GaussianBlur(white.astype(np.float32), (0, 0), 0.7)


def grain_level(roi: np.ndarray, lower: np.ndarray, width: float) -> float:
    """The skin's grain under the eye, in grey levels: the median absolute detail left after
    a light blur, as a standard deviation (film grain and pores on a photo, none on flat-shaded
    art)."""
    ys = np.arange(roi.shape[0], dtype=np.float64)[:, None]
    band = (ys > lower[None] + _CHEEK[0] * width) & (ys < lower[None] + _CHEEK[1] * width)
    if band.sum() < 8:
        return 0.0
    grey = roi @ _LUM
    detail = grey - cv2.GaussianBlur(grey, (0, 0), 1.0)
    return 1.4826 * float(np.median(np.abs(detail[band])))


def _lid_line_colour(roi: np.ndarray, lid: np.ndarray) -> np.ndarray:
    """(w, 3) float32: per column the darkest of the rows about the upper lid line ``lid``
    (its row and one each side), lightly smoothed along the lid."""
    h = roi.shape[0]
    cols = np.arange(roi.shape[1])
    rows = np.clip(np.floor(lid).astype(int)[None] + np.arange(-1, 2)[:, None], 0, h - 1)
    px = roi[rows, cols[None]]  # (3, w, 3)
    darkest = np.argmin(px @ _LUM, axis=0)
    colour = px[darkest, cols].astype(np.float32)
    return cv2.GaussianBlur(colour[None], (0, 0), sigmaX=1.0, sigmaY=0.1,
                            borderType=cv2.BORDER_REPLICATE)[0]  # fmt: skip


def _skin_below(roi: np.ndarray, lower: np.ndarray, width: float) -> np.ndarray | None:
    """Median colour of the skin under the eye (:data:`_CHEEK` below the lower lid ``lower``);
    None where the box holds too little of it."""
    ys = np.arange(roi.shape[0], dtype=np.float64)[:, None]
    band = (ys > lower[None] + _CHEEK[0] * width) & (ys < lower[None] + _CHEEK[1] * width)
    if band.sum() < 8:
        return None
    return np.median(roi[band], axis=0).astype(np.float32)


def _toward_skin(skin: np.ndarray, where: np.ndarray, tone: np.ndarray) -> np.ndarray:
    """``skin`` drawn toward the skin colour ``tone`` by ``where`` (0-1 per pixel), to
    :data:`_LID_CONTRAST` of its difference from it."""
    pull = ((1 - _LID_CONTRAST) * where)[..., None].astype(np.float32)
    return skin + (tone - skin) * pull


def _above_lid(ys: np.ndarray, y0: float, u: np.ndarray, u2: np.ndarray, band: float) -> np.ndarray:
    """Source row of each output row above the moved upper lid ``u2`` (rest lid ``u``): the
    band of ``band`` rows above the lid (lashes and the lid's edge) is carried down unchanged;
    the skin above it stays where it is, and the caller paints the unfolded lid between
    (:meth:`EyeLayer._unfold`). Stretching that skin down dragged the crease and the brow
    after the lid: the crease over the shut lashes drew a second lid, which the tracker read
    as an open eye. An eye opened wide (``u2`` over ``u``) squeezes the skin between the box
    top ``y0`` and the band up instead."""
    band = np.minimum(band, 0.5 * (u - y0))  # leave skin to stretch on a low box
    squeeze = (u - band - y0) / np.maximum(u2 - band - y0, 1e-3)
    still = np.where((u2 < u)[None], y0 + (ys - y0) * squeeze[None], ys)
    carried = ys - (u2 - u)[None]
    return np.where(ys < (u2 - band)[None], still, carried)


def lid_line(
    roi: np.ndarray, lid: np.ndarray, width: float, iris: tuple[float, float]
) -> tuple[float, float]:
    """The dark edge of the upper lid about the lid line ``lid`` (rows per column): (its
    height in pixels, how many of them lie under ``lid``). The rows about the darkest one
    within :data:`_LASH_MAX` eye widths above the lid and :data:`_LINE_UNDER` under it that are
    darker than half way from it to the lid's skin (the middle half of the eye's columns,
    medians). Relative, unlike :func:`lash_band`: a painting's soft lid line is dark against
    its own skin by less than drawn lashes, and lies under its landmarks as often as over.
    Under the lid only the columns beside the ``iris`` (its centre column and radius) count:
    the iris's top is dark as well."""
    grey = roi.astype(np.float32) @ _LUM
    h, w = grey.shape
    cols = np.arange(w // 4, max(w - w // 4, w // 4 + 1))
    under = max(1, round(_LINE_UNDER * width))
    reach = max(2, round(_LASH_MAX * width))
    skin_rows = max(reach + 1, round(_LID_BAND * width))
    wide = np.arange(w // 6, max(w - w // 6, w // 6 + 1))  # the box reaches past the corners
    beside = wide[np.abs(wide - iris[0]) > _IRIS_CLEAR * iris[1]]
    if len(beside) < 3:
        under = 0

    def row(k: int) -> float:
        at = cols if k >= 0 else beside
        return float(np.median(grey[np.clip(np.floor(lid[at]).astype(int) - k, 0, h - 1), at]))

    ks = np.arange(-under, skin_rows)  # rows above the lid; negative: under it
    profile = np.array([row(k) for k in ks])
    skin = float(np.percentile(profile[ks >= 0], 100 * _LID_PERCENTILE))
    near = ks < reach
    darkest = int(np.argmin(np.where(near, profile, np.inf)))
    if skin - profile[darkest] >= _LINE_CONTRAST:
        darker = near & (profile < (skin + profile[darkest]) / 2)
        lo = hi = darkest
        while lo > 0 and darker[lo - 1]:
            lo -= 1
        while hi + 1 < len(ks) and darker[hi + 1]:
            hi += 1
        if ks[hi] >= 0:  # a line under the lid only is the eye's own shadow
            return float(hi - lo + 1), float(max(0, -ks[lo]))
    return 0.0, 0.0


def lash_band(roi: np.ndarray, lid: np.ndarray, width: float) -> float:
    """Height in pixels of the dark lash band just above the upper lid line ``lid`` (row per
    column of ``roi``), the median over the middle half of the eye; 0 where the rows above the
    lid are not clearly darker than the lid skin higher up, or dark all the way up (a shadowed
    eye socket, not lashes)."""
    grey = roi.astype(np.float32) @ _LUM
    h, w = grey.shape
    reach = max(1, round(_LASH_MAX * width))
    heights = []
    for x in range(w // 4, w - w // 4):
        base = int(np.floor(lid[x]))
        lo, hi = (base - round(f * width) for f in _LASH_SKIN[::-1])
        if lo < 0 or base >= h:
            continue
        skin = float(np.median(grey[lo : hi + 1, x]))
        column = grey[max(base - reach, 0) : base + 1, x][::-1]  # upward from the lid line
        dark = column < skin - _LASH_CONTRAST
        heights.append(int(np.argmin(dark)) if not dark.all() else 0)  # all dark: a shadow
    return float(np.median(heights)) if heights else 0.0


def visible_opening(
    roi: np.ndarray,
    u: np.ndarray,
    lower: np.ndarray,
    centre: np.ndarray,
    radius: float,
    width: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The lid curves ``u`` and ``lower`` (rows of ``roi`` per column) moved out to where the
    eye visibly ends (``width``: the eye's in pixels). Per column, the rows beyond a curve count
    as eye while their colour is one of the opening's white (anywhere) or of its iris (over the
    iris; not its darkest, which the lashes share), and not one of the skin below the eye. A
    run must end at the lid within :data:`_REACH` eye widths: one that does not is a shadow or a
    pale face, not the eye."""
    h, w = roi.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    inside = (ys > u[None] + 1.5) & (ys < lower[None] - 1.5)  # clear of the lids' edges
    over_iris = np.abs(xs - centre[0]) < radius
    in_iris = np.hypot(xs - centre[0], ys - centre[1]) < 0.9 * radius
    white_px, iris_px = _brighter(roi[inside & ~in_iris], 50), _brighter(roi[inside & in_iris], 40)
    skin_px = roi[(ys > lower[None] + 0.2 * width) & (ys < lower[None] + 0.35 * width)]
    if len(white_px) < 4 or len(skin_px) < 8:
        return u, lower
    reach = max(1, round(_REACH * width))
    near = ((ys > lower[None]) & (ys <= lower[None] + reach + 1)) | (
        (ys < u[None]) & (ys >= u[None] - reach - 1)
    )
    pixels = roi[near]
    to_eye = _nearest_distance(pixels, _thin(white_px))
    if len(iris_px):
        to_iris = _nearest_distance(pixels, _thin(iris_px))
        to_eye = np.where(over_iris[near], np.minimum(to_eye, to_iris), to_eye)
    eye = np.zeros((h, w), bool)
    eye[near] = (to_eye < _EYE_COLOUR) & (to_eye < _nearest_distance(pixels, _thin(skin_px)))
    down = np.array([_run(eye[:, x], int(np.floor(lower[x])), 1, reach) for x in range(w)])
    up = np.array([_run(eye[:, x], int(np.ceil(u[x])), -1, reach) for x in range(w)])
    upper_span, lower_span = (round(f * width) for f in _LID_SPAN)
    return u - _lid_shift(up, reach, upper_span), lower + _lid_shift(down, reach, lower_span)


def _lid_shift(rows: np.ndarray, reach: int, span: int) -> np.ndarray:
    """Per-column runs of eye rows as a smooth shift of the lid: none where a run found no lid
    within ``reach``. A lid the landmarks missed is missed along much of its length: each column
    shifts by no more than the median run of the ``span`` columns about it (a shorter stretch
    is a highlight, the lashes over a dark iris, a shadow); then a light blur, so that the lid
    has no steps."""
    rows = np.where(rows >= reach, 0, rows).astype(np.float64)
    shift = np.minimum(rows, _running_median(rows, span))
    if shift.max() < _MIN_LID_SHIFT:  # within the landmarks' own precision: keep them
        return np.zeros_like(shift)
    return np.convolve(np.pad(shift, 1, mode="edge"), [0.25, 0.5, 0.25], "valid")


def _running_median(a: np.ndarray, span: int) -> np.ndarray:
    span = max(span, 1) | 1
    padded = np.pad(a, span // 2, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, span), axis=1)


def _brighter(px: np.ndarray, percent: float) -> np.ndarray:
    """The pixels of ``px`` (N, 3) at or above the ``percent`` percentile of brightness."""
    if not len(px):
        return px
    return px[px.sum(1) >= np.percentile(px.sum(1), percent)]


def _thin(samples: np.ndarray, most: int = 600) -> np.ndarray:
    """At most ``most`` of ``samples``, evenly spaced (nearest-colour tests stay cheap)."""
    return samples[:: max(1, len(samples) // most)]


def _nearest_distance(pixels: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """RGB distance of each of ``pixels`` (N, 3) to the nearest of ``samples`` (M, 3)."""
    d2 = ((pixels[:, None, :] - samples[None, :, :]) ** 2).sum(-1)
    return np.sqrt(d2.min(1))


def _run(column: np.ndarray, start: int, step: int, reach: int) -> int:
    """How many rows after ``start`` in direction ``step`` are eye, up to ``reach``."""
    n = 0
    while n < reach:
        row = start + step * (n + 1)
        if not (0 <= row < len(column) and column[row]):
            break
        n += 1
    return n


def _sclera_colour(roi: np.ndarray, white: np.ndarray) -> np.ndarray | None:
    """The white of the eye: the median of the brightest quarter of ``roi``'s pixels in
    ``white`` (the opening less the iris; what is left of it beside a large iris is mostly the
    corners in the lids' shadow); None with too few of them."""
    px = roi[white]
    if len(px) < 4:
        return None
    return np.median(px[px.sum(1) >= np.percentile(px.sum(1), 75)], axis=0)


def _curve(points: np.ndarray, xs: np.ndarray) -> np.ndarray:
    order = np.argsort(points[:, 0])
    return np.interp(xs, points[order, 0], points[order, 1])


def visible_iris_radius(
    roi: np.ndarray, opening: np.ndarray, centre: np.ndarray, radius: float
) -> float:
    """The iris's radius as the image shows it: the smallest circle about ``centre`` whose
    ring (inside the opening) is mostly the white of the eye, searched from 1 to 1.5 times
    the landmarks' ``radius`` (a cartoon's iris is larger than they say, and a larger one
    painted out at the smaller size left a ring of its rim around the moved iris). The
    landmarks' radius where no ring is mostly white (an iris that fills the eye), or where
    the ring is that close to them."""
    h, w = opening.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    dist = np.hypot(xs - centre[0], ys - centre[1])
    inside = opening > 0.5
    sclera = _sclera_colour(roi, inside & (dist > 1.6 * radius))
    if sclera is None:
        return radius
    white = inside & (np.linalg.norm(roi - sclera, axis=2) < 2 * _EYE_COLOUR)
    for r in np.arange(radius, 1.5 * radius, 0.5):
        ring = inside & (dist >= r) & (dist < r + 1)
        if ring.sum() >= 6 and white[ring].mean() > 0.5:
            # A pixel or two is the soft edge of a small iris, not a larger one.
            return float(r) if r - radius >= max(2.0, 0.15 * radius) else radius
    return radius


def _split_iris(
    roi: np.ndarray, opening: np.ndarray, centre: np.ndarray, radius: float
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """(eyeball without iris, iris sprite RGBA, sprite offset in the box)."""
    h, w = opening.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    dist = np.hypot(xs - centre[0], ys - centre[1])
    iris_cover = np.clip(1.25 * radius - dist + 0.5, 0, 1)  # the iris and its dark rim
    sclera = _sclera_colour(roi, (opening > 0.5) & (iris_cover == 0))
    if sclera is None:  # the iris fills the eye (anime): a white of the image's own brightness
        sclera = np.full(3, min(235.0, float(np.percentile(roi, 95))))
    # Where the iris was, flat sclera (inpainting would smear the dark rim into it).
    keep = (opening * (1 - iris_cover))[..., None]
    eyeball = (roi * keep + sclera * (1 - keep)).astype(np.float32)
    # Iris sprite: visible part from the image, the part hidden by the lids mirrored from below.
    r = int(np.ceil(radius * 1.2)) + 1
    cx, cy = centre
    xs = np.arange(-r, r + 1, dtype=np.float32) + np.float32(cx)
    ys = np.arange(-r, r + 1, dtype=np.float32) + np.float32(cy)
    gx, gy = np.meshgrid(xs, ys)
    seen = cv2.remap(opening, gx, gy, cv2.INTER_LINEAR, borderValue=0) > 0.5
    mirror_y = np.where(seen, gy, 2 * np.float32(cy) - gy)
    colour = cv2.remap(roi, gx, mirror_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    dist = np.hypot(gx - cx, gy - cy)
    alpha = np.clip(radius - dist + 0.5, 0, 1).astype(np.float32)
    sprite = np.dstack([colour, alpha]).astype(np.float32)
    return eyeball.astype(np.float32), sprite, (float(cx) - r, float(cy) - r)
