"""Expression shapes: one displacement field over the mesh vertices per ARKit blendshape.

Each shape is linear, like a real blendshape rig: the displacement of a pose is the weighted sum
of the shapes' fields. Fields are written in face coordinates (face heights; u toward image right,
v toward the chin) and built once per character from its landmarks. Eyelids, irises and the mouth
interior are drawn by their own layers (eyes.py, mouth.py); the shapes here move the skin.
"""

from __future__ import annotations

import numpy as np

from openlpm.character import topology as T
from openlpm.character.mesh import smoothstep
from openlpm.motion.params import BLENDSHAPES

JAW_DROP = 0.16  # face heights the lower lip travels at jawOpen=1
UPPER_LIP_RISE = 0.01  # the upper lip lifts a little as the jaw opens

_LIPS_UPPER = sorted(set(T.LIP_OUTER_UPPER + T.LIP_INNER_UPPER) - {61, 291, 78, 308})
_LIPS_LOWER = sorted(set(T.LIP_OUTER_LOWER + T.LIP_INNER_LOWER) - {61, 291, 78, 308})
_CORNERS = (61, 78, 291, 308)
_INNER_UP = list(T.LIP_INNER_UPPER)
_INNER_LO = list(T.LIP_INNER_LOWER)
OPEN_AT_REST = 0.02  # mean inner-lip gap (face heights) above which the image's mouth is open
UPPER_CLOSES = 0.3  # share of an image's lip gap that the upper lip travels to close it
# A smile at mouthSmile=1, in face heights: each corner moves out and up, the cheeks rise.
SMILE_OUT, SMILE_UP, SMILE_CHEEKS = 0.04, 0.07, 0.045
# Share of the lips' thickness a smile stretches away, in the middle and at the corners: the
# upper lip flattens over the teeth, both thin toward the corners.
THIN_UPPER, THIN_LOWER = (0.25, 0.55), (0.1, 0.5)
UPPER_UP, UPPER_THINS = 0.035, 0.45  # mouthUpperUp=1: the lip's lift, the share it thins by
SKIN_ABOVE, SKIN_BELOW = 0.045, 0.06  # how far (face heights) the lips' motion drags the skin
BESIDE_OUT, BESIDE_UP = 0.12, 0.09  # how far (face heights) the skin beside the corners follows


class ShapeBuilder:
    """Builds the per-blendshape fields for vertices given in face coordinates."""

    def __init__(self, uv: np.ndarray, n_landmarks: int) -> None:
        self.uv = uv  # (V, 2) face coordinates of every mesh vertex
        self.lm = uv[:n_landmarks]
        self.n = len(uv)
        self.is_landmark = np.arange(self.n) < n_landmarks
        mouth = self.lm[[T.MOUTH_CORNER_RIGHT, T.MOUTH_CORNER_LEFT]]
        self.mouth_half = float(abs(mouth[1, 0] - mouth[0, 0]) / 2)
        # Each side's own half: a turned face shows its far half shorter.
        self.halves = np.clip(np.abs(mouth[:, 0]), 0.5 * self.mouth_half, 1.5 * self.mouth_half)
        self.chin_v = float(self.lm[T.CHIN, 1])

    # -- weights -------------------------------------------------------------------------
    def near(self, anchors: tuple[int, ...] | list[int], sigma: float) -> np.ndarray:
        """1 at the anchor landmarks, falling off with distance (Gaussian, sigma face heights)."""
        d2 = ((self.uv[:, None, :] - self.lm[list(anchors)][None]) ** 2).sum(-1).min(1)
        w = np.exp(-d2 / (2 * sigma**2))
        w[list(anchors)] = 1.0
        return w

    def lower_jaw(self) -> np.ndarray:
        """How much each vertex rides on the lower jaw."""
        seam = self._along_lips((self.lm[_INNER_UP, 1] + self.lm[_INNER_LO, 1]) / 2)
        # Between the corners the seam is a cut; beyond them the cheek skin shears smoothly.
        beyond = np.maximum(np.abs(self.uv[:, 0]) - self.mouth_half, 0)
        off_seam = self.uv[:, 1] - seam
        soft = 0.002 + 0.8 * beyond
        below = smoothstep(-soft, soft, off_seam)
        below[_LIPS_UPPER] = 0.0  # the inner contours touch: classify the lips by name
        below[_LIPS_LOWER] = 1.0
        below[list(_CORNERS)] = 0.5
        # The lips part most in the middle and taper to the corners (a lens-shaped opening):
        # near the seam, toward the corners, both lips move half way, so no cliff is left.
        # The share that parts falls as a parabola from the middle to the corners, so the
        # lower lip sags in a U and the upper one curves down to the corners. A plateau over
        # the middle half (a smoothstep from 0.4 half widths) gave a flat-bottomed hexagon.
        middle = np.clip(1 - (np.abs(self.uv[:, 0]) / self.mouth_half) ** 2, 0, 1)
        near_seam = np.exp(-0.5 * (off_seam / 0.035) ** 2)
        below = below + (0.5 - below) * (1 - middle) * near_seam
        lateral = 1 - smoothstep(0.2, 0.6, np.abs(self.uv[:, 0]))
        # The chin travels less than the lower lip: the jaw swings about the ears.
        swing = 1 - 0.35 * smoothstep(0.02, 0.25, self.uv[:, 1])
        neck = np.exp(-np.maximum(0, self.uv[:, 1] - self.chin_v) / 0.08)
        return below * lateral * swing * neck

    def _along_lips(self, values: np.ndarray) -> np.ndarray:
        """Per vertex, ``values`` given at the inner-lip pairs, interpolated along u."""
        u = (self.lm[_INNER_UP, 0] + self.lm[_INNER_LO, 0]) / 2
        order = np.argsort(u)
        return np.interp(
            self.uv[:, 0], u[order], values[order], left=values[order][0], right=values[order][-1]
        )

    def rest_closure(self) -> np.ndarray:
        """(V, 2) field that closes lips parted in the image, so that neutral is a closed mouth.

        Zero when the image's lips already touch (then neutral is the image, exactly).
        """
        gap = np.maximum(self.lm[_INNER_LO, 1] - self.lm[_INNER_UP, 1], 0)
        if gap.mean() <= OPEN_AT_REST:
            return np.zeros((self.n, 2))
        gap_along = self._along_lips(gap)
        gap_along[np.abs(self.uv[:, 0]) > self.mouth_half] = 0
        seam = self._along_lips((self.lm[_INNER_UP, 1] + self.lm[_INNER_LO, 1]) / 2)
        off_seam = self.uv[:, 1] - seam
        pull = np.exp(-0.5 * (off_seam / 0.05) ** 2)  # the lips move most, the skin less
        lower = off_seam > 0
        lower[_LIPS_UPPER], lower[_LIPS_LOWER] = False, True
        pull[_INNER_UP] = pull[_INNER_LO] = 1.0
        field = np.zeros((self.n, 2))
        # The jaw does most of the closing: the upper lip keeps more of its place (and keeps
        # showing the upper teeth under it when the mouth opens again).
        field[:, 1] = np.where(lower, -(1 - UPPER_CLOSES) * gap_along, UPPER_CLOSES * gap_along)
        field[:, 1] *= pull
        return field

    def _contour(self, points: tuple[int, ...]) -> np.ndarray:
        """Per vertex, v of a lip contour (corner to corner) under it, held beyond the corners."""
        u, v = self.lm[list(points), 0], self.lm[list(points), 1]
        order = np.argsort(u)
        return np.interp(self.uv[:, 0], u[order], v[order])

    def _half_under(self) -> np.ndarray:
        """Per vertex, the half of the mouth on its side (face heights, corner to middle)."""
        return np.where(self.uv[:, 0] < 0, self.halves[0], self.halves[1])

    def smile_stretch(self) -> np.ndarray:
        """(V, 2) field of both corners of a full smile: the corners go up and out and the lips
        stretch between them, thinning, instead of moving as a block.

        The lip seam rises in a U (the middle stays, the corners go up), so the lower lip's
        lower edge curves up with it; the lips are stretched across and thinned toward the
        seam, most at the corners. Translated as blocks (the whole corner region up and out)
        the lips kept their thickness and tilted, a smirk of thick "fish lips"."""
        u, v = self.uv[:, 0], self.uv[:, 1]
        half = self._half_under()
        x = np.abs(u) / half  # 0 in the middle, 1 at the corners
        top, bottom = self._contour(T.LIP_OUTER_UPPER), self._contour(T.LIP_OUTER_LOWER)
        inner_up, inner_lo = self._contour(T.LIP_INNER_UPPER), self._contour(T.LIP_INNER_LOWER)
        # 1 on the lips, falling off into the skin above and below them.
        above, below = np.maximum(top - v, 0), np.maximum(v - bottom, 0)
        band = np.exp(-0.5 * (above / SKIN_ABOVE) ** 2 - 0.5 * (below / SKIN_BELOW) ** 2)
        # The lips stretch evenly out to the corners and the seam rises in a U; the cheek skin
        # beside the corners follows them, less with distance (in face heights: a wide mouth
        # must not push the face's outline out).
        beyond = np.maximum(np.abs(u) - half, 0)
        out = np.where(x <= 1, x, np.exp(-0.5 * (beyond / BESIDE_OUT) ** 2))
        rise = np.where(x <= 1, x**1.7, np.exp(-0.5 * (beyond / BESIDE_UP) ** 2))
        field = np.zeros((self.n, 2))
        # Foreshortened like the half it stretches (a far corner moves less in the image).
        field[:, 0] = np.sign(u) * SMILE_OUT * (half / self.mouth_half) * out * band
        field[:, 1] = -SMILE_UP * rise * band
        field[:, 1] += self._thinning(v, top, inner_up, THIN_UPPER, x, upper=True)
        field[:, 1] += self._thinning(v, bottom, inner_lo, THIN_LOWER, x, upper=False)
        return field

    def _upper_lip_rolled(self) -> np.ndarray:
        """Per vertex, how far (face heights) the upper lip's inner edge rises above its outer
        edge's rise when the lip lifts off the teeth: the lip stretches and thins
        (``UPPER_THINS`` of its thickness) instead of moving up as a block over a sliver of
        teeth."""
        x = np.abs(self.uv[:, 0]) / self._half_under()
        top, inner = self._contour(T.LIP_OUTER_UPPER), self._contour(T.LIP_INNER_UPPER)
        thick = np.maximum(inner - top, 0)
        into = np.clip(self.uv[:, 1] - top, 0, thick)  # 0 at the outer edge, thick at the inner
        return UPPER_THINS * into * self._lip_side(True) * (1 - smoothstep(0.7, 1.0, x))

    def _thinning(
        self,
        v: np.ndarray,
        outer: np.ndarray,
        inner: np.ndarray,
        share: tuple[float, float],
        x: np.ndarray,
        upper: bool,
    ) -> np.ndarray:
        """v displacement that squeezes one lip toward its inner edge by ``share`` of its
        thickness (middle, corners); the skin beyond its outer edge follows, fading out."""
        s = 1.0 if upper else -1.0  # toward the seam is +v for the upper lip
        thick = np.maximum(s * (inner - outer), 0)
        amount = share[0] + (share[1] - share[0]) * np.minimum(x, 1) ** 2
        amount *= 1 - smoothstep(1.0, 1.3, x)
        depth = np.clip(s * (inner - v), 0, None)  # into the lip from its inner edge
        fade = SKIN_ABOVE if upper else SKIN_BELOW
        skin = thick * np.exp(-0.5 * ((depth - thick) / fade) ** 2)  # beyond the outer edge
        moved = np.where(depth <= thick, depth, skin)
        return s * amount * moved * self._lip_side(upper)

    def _lip_side(self, upper: bool) -> np.ndarray:
        """1 for the vertices on the upper (or lower) lip's side of the seam, the lips
        classified by name (their inner contours touch), 0 for the corners."""
        seam = self._along_lips((self.lm[_INNER_UP, 1] + self.lm[_INNER_LO, 1]) / 2)
        on_side = (self.uv[:, 1] < seam) == upper
        on_side[_LIPS_UPPER], on_side[_LIPS_LOWER] = upper, not upper
        on_side[list(_CORNERS)] = False
        return on_side.astype(np.float64)

    def side(self, sign: float) -> np.ndarray:
        """0..1 toward one side of the face: sign +1 is image right (the character's left)."""
        return smoothstep(-0.3 * self.mouth_half, 0.6 * self.mouth_half, sign * self.uv[:, 0])

    def half(self, sign: float) -> np.ndarray:
        """The share of one side in a symmetric pair: half(+1) + half(-1) = 1 everywhere."""
        return smoothstep(-0.5 * self.mouth_half, 0.5 * self.mouth_half, sign * self.uv[:, 0])

    # -- fields --------------------------------------------------------------------------
    def build(self) -> np.ndarray:
        """(52, V, 2) displacement per unit weight of every ARKit blendshape."""
        fields = np.zeros((len(BLENDSHAPES), self.n, 2))
        for name, field in self._fields().items():
            fields[BLENDSHAPES.index(name)] = field
        return fields.astype(np.float32)

    def _fields(self) -> dict[str, np.ndarray]:
        f: dict[str, np.ndarray] = {}
        z = np.zeros((self.n, 2))
        jaw = self.lower_jaw()
        lips = self.near(list(T.LIP_OUTER_UPPER + T.LIP_OUTER_LOWER), 0.035)
        upper_lip = self.near(_LIPS_UPPER, 0.03) * (1 - jaw)
        lower_lip = self.near(_LIPS_LOWER, 0.03) * (jaw > 0.4)
        toward_mouth_centre = -np.sign(self.uv[:, 0]) * np.minimum(
            1, np.abs(self.uv[:, 0]) / self.mouth_half
        )
        smile, lip_rolled = self.smile_stretch(), self._upper_lip_rolled()

        jaw_open = z.copy()
        jaw_open[:, 1] = JAW_DROP * jaw - UPPER_LIP_RISE * upper_lip
        jaw_open[:, 0] = 0.12 * JAW_DROP * toward_mouth_centre * lips  # corners narrow
        f["jawOpen"] = jaw_open

        # Lips meet while the jaw stays open: exactly undo the jaw's pull on the lips, fading
        # out into the skin around them (jawOpen=x with mouthClose=x is a closed mouth).
        lip_area = self.near(list(T.LIP_OUTER_UPPER + T.LIP_OUTER_LOWER + T.LIP_INNER_LOWER), 0.03)
        f["mouthClose"] = -jaw_open * lip_area[:, None]

        inward = (
            np.column_stack([toward_mouth_centre * self.mouth_half, np.zeros(self.n)])
            * lips[:, None]
        )
        funnel = 0.3 * inward
        funnel[:, 1] += 0.03 * self.near(T.LIP_INNER_LOWER[3:8], 0.02) - 0.02 * self.near(
            T.LIP_INNER_UPPER[3:8], 0.02
        )
        f["mouthFunnel"] = funnel
        pucker = 0.42 * inward
        pucker[:, 1] += 0.008 * self.near(T.LIP_OUTER_LOWER[3:8], 0.02) - 0.006 * self.near(
            T.LIP_OUTER_UPPER[3:8], 0.02
        )
        f["mouthPucker"] = pucker

        for side, sign, corner, cheek, wing in (
            ("Left", 1.0, T.MOUTH_CORNER_LEFT, T.CHEEK_LEFT, T.NOSE_WING_LEFT),
            ("Right", -1.0, T.MOUTH_CORNER_RIGHT, T.CHEEK_RIGHT, T.NOSE_WING_RIGHT),
        ):
            near_corner = self.near((corner, 308 if sign > 0 else 78), 0.5 * self.mouth_half)
            cheeks = self.near(cheek, 0.07)
            eye = T.LEFT_EYE if sign > 0 else T.RIGHT_EYE
            lower_lid = self.near(eye.lower[2:-2], 0.018)
            upper_lip_side = upper_lip * self.half(sign)
            # A Duchenne smile: the lips stretch toward the raised corners, the cheeks rise and
            # push the lower lids up. Corners moved out as blocks as far as up (0.05 face
            # heights) made a thin, wide line of a photo's mouth; stretched lips widen it
            # (x1.2) and stay lips. They stay together (mouthUpperUp, as in a grin, bares the
            # teeth): parted by the smile alone they showed a thin seam of drawn teeth.
            f[f"mouthSmile{side}"] = (
                smile * self.half(sign)[:, None]
                + self._vec(cheeks, 0, -SMILE_CHEEKS)
                + self._vec(lower_lid, 0, -0.006)
            )
            f[f"mouthFrown{side}"] = self._vec(near_corner, 0.012 * sign, 0.05)
            f[f"mouthStretch{side}"] = self._vec(near_corner, 0.045 * sign, 0.012)
            f[f"mouthDimple{side}"] = self._vec(near_corner, 0.018 * sign, -0.004)
            f[f"mouthPress{side}"] = self._press(sign)
            f[f"mouthLowerDown{side}"] = self._vec(lower_lip * self.side(sign), 0, 0.035)
            f[f"mouthUpperUp{side}"] = self._vec(upper_lip_side, 0, -UPPER_UP) + self._vec(
                lip_rolled * self.half(sign), 0, -1.0
            )
            f[f"cheekSquint{side}"] = self._vec(cheeks, 0, -0.035) + self._vec(lower_lid, 0, -0.012)
            # Disgust wrinkles the nose: the wings rise and take the side of the upper lip along.
            f[f"noseSneer{side}"] = (
                self._vec(self.near(wing, 0.035), 0, -0.03)
                + self._vec(upper_lip_side, 0, -0.012)
                + self._vec(cheeks, 0, -0.01)
            )
            f[f"jaw{side}"] = self._vec(jaw, 0.05 * sign, 0)
            f[f"mouth{side}"] = self._vec(lips, 0.04 * sign, 0)
            outer_brow = self.near(eye.brow_upper[:2] + eye.brow_lower[:2], 0.035)
            inner_brow = self.near(eye.brow_upper[-2:] + eye.brow_lower[-2:], 0.035)
            brow = self.near(eye.brow_upper + eye.brow_lower, 0.04)
            f[f"browOuterUp{side}"] = self._vec(outer_brow, 0, -0.055)
            # Brows down and drawn together, the inner ends most (corrugator).
            f[f"browDown{side}"] = self._vec(brow, -0.012 * sign, 0.04) + self._vec(
                inner_brow, -0.008 * sign, 0.012
            )
            f.setdefault("browInnerUp", z.copy())
            f["browInnerUp"] += self._vec(inner_brow, 0.004 * sign, -0.06)

        f["mouthRollLower"] = self._vec(
            self.near(T.LIP_OUTER_LOWER[2:9], 0.012) * (jaw > 0.4), 0, -0.02
        )
        f["mouthRollUpper"] = self._vec(
            self.near(T.LIP_OUTER_UPPER[2:9], 0.012) * (1 - jaw), 0, 0.015
        )
        f["mouthShrugLower"] = self._vec(
            self.near([*_LIPS_LOWER, T.CHIN], 0.04) * (jaw > 0.2), 0, -0.02
        )
        f["mouthShrugUpper"] = self._vec(upper_lip, 0, -0.012)
        f["jawForward"] = self._vec(jaw, 0, 0.015)
        cheeks_both = self.near(T.CHEEK_LEFT + T.CHEEK_RIGHT, 0.08)
        f["cheekPuff"] = np.column_stack(
            [np.sign(self.uv[:, 0]) * 0.03 * cheeks_both, np.zeros(self.n)]
        )
        return f

    def _vec(self, weight: np.ndarray, du: float, dv: float) -> np.ndarray:
        return np.column_stack([weight * du, weight * dv])

    def _press(self, sign: float) -> np.ndarray:
        """Lips pressed: the outer contours move toward the seam on one side."""
        side = self.side(sign)
        out = np.zeros((self.n, 2))
        out[list(T.LIP_OUTER_UPPER), 1] = 0.012
        out[list(T.LIP_OUTER_LOWER), 1] = -0.012
        return out * side[:, None]
