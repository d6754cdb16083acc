"""Renderer: a Rig and a MotionFrame in, an RGB video frame out.

Every frame is warped from the reference image (never from the previous frame), so the
character cannot drift. Per frame:
1. the eye layer redraws lids and irises in a small box around each eye of the reference;
2. the mesh deformer moves the vertices; the warp turns that into a dense backward map;
3. the reference (with the person mask as alpha) is remapped and composited over the clean
   plate where anything moved, so the background never smears (and only near the person:
   elsewhere a moving frame is the still image, see render/spans.py);
4. the mouth layer paints the opening where the lips parted: the image's own teeth and interior
   (or an :class:`InteriorSource` given by the caller) moving with the head and jaw, drawn
   where there is nothing to show.
"""

from __future__ import annotations

import cv2
import numpy as np

from openlpm.character.mesh import GRID_CELLS, Mesh
from openlpm.character.rig import Rig
from openlpm.character.topology import LEFT_EYE, RIGHT_EYE
from openlpm.motion.frame import MotionFrame
from openlpm.motion.params import PARAM_INDEX
from openlpm.render.deform import Deformer
from openlpm.render.drawn_mouth import MouthPalette
from openlpm.render.eyes import EyeLayer, EyePose
from openlpm.render.folds import SmileFolds
from openlpm.render.head_room import tilt_room
from openlpm.render.interior import InteriorSource
from openlpm.render.mouth import MouthLayer, fill_open_mouth
from openlpm.render.references import ReferenceTextures, interior_source, widest_open
from openlpm.render.spans import ChangeSpans
from openlpm.render.supersample import FineSource
from openlpm.render.warp import CoarseField, Warp, remap_banded

DEFAULT_SIZE = 512


def output_size(width: int, height: int, size: int) -> tuple[int, int]:
    """(w, h) with the long side ``size``, both even (H.264's 4:2:0 needs even sizes)."""
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels, got {size}")
    scale = size / max(width, height)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


class Renderer:
    def __init__(
        self,
        rig: Rig,
        size: int = DEFAULT_SIZE,
        interior: InteriorSource | None = None,
        supersample: bool = True,
    ) -> None:
        """``interior``: what an opening of the mouth reveals, in the rig's image coordinates
        (default: the portrait's own teeth when its lips are parted, else drawn).
        ``supersample=False`` remaps moving frames straight from the image (bilinear): no fine
        copy of the source (16 bytes per output pixel) and a little faster, but every moving
        frame is softer than the still."""
        w0, h0 = rig.size
        self.width, self.height = output_size(w0, h0, size)
        sx, sy = self.width / w0, self.height / h0
        interp = cv2.INTER_AREA if sx < 1 else cv2.INTER_CUBIC
        dsize = (self.width, self.height)
        image = cv2.resize(rig.image, dsize, interpolation=interp)
        self.plate = cv2.resize(rig.plate, dsize, interpolation=interp)
        mask = cv2.resize(rig.mask, dsize, interpolation=cv2.INTER_LINEAR)
        lm = rig.face.landmarks * np.float32([sx, sy, (sx + sy) / 2])
        mesh = rig.mesh.scaled(sx, sy)
        self.deformer = Deformer(mesh, lm)
        self.deformer.roll_room = tilt_room(self.deformer, _over_person(mesh, mask))
        parted = bool(self.deformer.rest_offset.any())
        opened = widest_open(rig.references)
        if interior is None and opened is not None:  # an open-mouth reference shows the inside
            interior = interior_source(opened, rig.face.landmarks)
        if interior is None:
            own = rig.image, rig.face.landmarks
            interior = InteriorSource.from_image(*own) if parted else InteriorSource.nothing(own[0])
        interior = interior.scaled(dsize)
        palette = MouthPalette.from_image(image, lm)
        if parted:  # lips parted in the image: closed at rest; the warp must not show teeth
            image = fill_open_mouth(image, lm)
        self.reference = np.dstack([image, np.round(mask * 255).astype(np.uint8)])
        self._source = self.reference.copy()
        self._on_backdrop = False
        self._alpha: tuple[np.ndarray, tuple[int, int, int, int]] | None = None
        self.rest_xy = mesh.rest[:, :2].copy()
        self.warp = Warp(self.rest_xy, mesh.triangles, self.width, self.height)
        self.eyes = {"Right": EyeLayer(image, lm, RIGHT_EYE), "Left": EyeLayer(image, lm, LEFT_EYE)}
        self.mouth = MouthLayer(palette, interior, self.deformer, lm)
        # The mesh and the teeth anchors move together: one displacement call per frame.
        self._posed = self.deformer.joined(self.mouth.teeth.deformer)
        # Eyelid and smile textures of the expression references (character.reference).
        self.refs = (
            ReferenceTextures(rig.references, dsize, image, lm, self.eyes)
            if rig.references
            else None
        )
        self._smiling = False
        # A smile's folds shaded in, unless a smile reference shows the character's own, or the
        # art is flat-shaded (it draws its own fold lines, or none).
        own_folds = self.refs is not None and self.refs.smile is not None
        self.folds = SmileFolds(lm) if palette.style != "cel" and not own_folds else None
        # What the plate changes: only there, and within a warp's reach of it, can a frame move.
        self.spans = ChangeSpans(
            (self.reference[..., 3] > 0) | (self.plate != self.reference[..., :3]).any(2)
        )
        self._fine = FineSource(self.reference) if supersample else None
        self._fine_rest = (
            {s: self._fine.read(e.box) for s, e in self.eyes.items()} if self._fine else {}
        )
        self._eyes_shown: dict[str, EyePose | None] = dict.fromkeys(self.eyes)

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def render(self, frame: MotionFrame, backdrop: np.ndarray | None = None) -> np.ndarray:
        """(H, W, 3) uint8 RGB. ``backdrop`` (same size) replaces the reference image outside
        this character's own work, to layer several characters of one picture (see Scene)."""
        frame = frame.clipped()
        if backdrop is not None or self._on_backdrop:
            self._source[..., :3] = self.reference[..., :3] if backdrop is None else backdrop
            self._on_backdrop = backdrop is not None
            self._eyes_shown = dict.fromkeys(self.eyes)  # overwritten: draw them again
        self._draw_smile(frame, backdrop)
        self._draw_eyes(frame)
        moved = self._posed.displacement(frame)
        disp, anchors = moved[: len(self.rest_xy)], moved[len(self.rest_xy) :]
        field = self.warp.backward(disp) if disp.any() else None
        box = self.warp.active_box(field) if field is not None else None
        self._alpha = None
        out = cv2.cvtColor(self._source, cv2.COLOR_RGBA2RGB)  # the still frame
        if field is None or box is None:
            return out
        self._alpha = self._warp_into(out, field, box)
        if self.folds is not None:
            self.folds.draw(out, disp, frame)
        self.mouth.draw(out, disp, frame, anchors)
        return out

    def _warp_into(
        self, out: np.ndarray, field: CoarseField, box: tuple[int, int, int, int]
    ) -> tuple[np.ndarray, tuple[int, int, int, int]]:
        """Warp the person by ``field`` and composite it over the plate, into the still frame
        ``out``, where that can change it (:class:`ChangeSpans`). Returns the moved alpha of
        ``box`` and the box."""
        x0, y0, x1, y1 = box
        # Over a backdrop (other characters drawn this frame) the fine copy is out of date.
        fine = self._fine if not self._on_backdrop else None
        source = self._source if fine is None else fine.image
        map_x, map_y = self.warp.full_map(field, box, 1 if fine is None else fine.factor)
        # 255 once a pixel moved half a pixel; 8-bit arithmetic is SIMD-fast in OpenCV.
        moved = np.minimum(field.magnitude * 510.0, 255.0).astype(np.uint8)
        moved = self.warp.upsample(moved, box)
        alpha = self.reference[y0:y1, x0:x1, 3].copy()
        for piece in self.spans.chunks(box, float(field.magnitude.max())):
            px0, py0, px1, py1 = piece
            part = slice(py0 - y0, py1 - y0), slice(px0 - x0, px1 - x0)
            warped = remap_banded(source, map_x[part], map_y[part])
            alpha[part] = cv2.extractChannel(warped, 3)
            self._over_plate(warped, alpha[part], moved[part], piece, out[py0:py1, px0:px1])
        return alpha, box

    def alpha(self) -> np.ndarray:
        """(H, W) uint8: the person mask of the last frame rendered, moved with it (255 =
        the character, 0 = background), for a transparent overlay."""
        if self._alpha is None:
            return self.reference[..., 3]
        moved, (x0, y0, x1, y1) = self._alpha
        alpha = self.reference[..., 3].copy()
        alpha[y0:y1, x0:x1] = moved
        return alpha

    def _draw_smile(self, frame: MotionFrame, backdrop: np.ndarray | None) -> None:
        """A smile reference's folds, blended into the source by the smile weights."""
        smile = self.refs.smile if self.refs is not None else None
        if smile is None:
            return
        left, right = frame["mouthSmileLeft"], frame["mouthSmileRight"]
        if not (left or right or self._smiling):
            return
        x0, y0, x1, y1 = smile.box
        base = (self.reference[..., :3] if backdrop is None else backdrop)[y0:y1, x0:x1]
        self._source[y0:y1, x0:x1, :3] = smile.blend(base.astype(np.float32), left, right)
        self._smiling = bool(left or right)
        if self._fine is not None and backdrop is None:
            self._fine.update(self._source, smile.box)
        # The blend rewrote whatever eye pixels its box covers: those eyes are drawn again.
        for side, eye in self.eyes.items():
            if _overlap(eye.box, smile.box):
                self._eyes_shown[side] = None

    def _draw_eyes(self, frame: MotionFrame) -> None:
        """Eyes into the warp's source (and its fine copy), only where their pose changed."""
        for side, eye in self.eyes.items():
            pose = _eye_pose(frame, side)
            if pose == self._eyes_shown[side]:
                continue
            self._eyes_shown[side] = pose
            x0, y0, x1, y1 = eye.box
            if pose == EyePose():
                self._source[y0:y1, x0:x1, :3] = self.reference[y0:y1, x0:x1, :3]
                if self._fine is not None:
                    self._fine.write(eye.box, self._fine_rest[side])
                continue
            drawn = eye.draw(pose)
            lid = self.refs.eyelids.get(side) if self.refs is not None else None
            if lid is not None:
                drawn = lid.blend(drawn, pose.blink)
            self._source[y0:y1, x0:x1, :3] = np.clip(drawn + 0.5, 0, 255).astype(np.uint8)
            if self._fine is not None:
                self._fine.update(self._source, eye.box)

    def _over_plate(
        self,
        warped: np.ndarray,
        alpha: np.ndarray,
        moved: np.ndarray,
        box: tuple[int, int, int, int],
        out: np.ndarray,
    ) -> None:
        """Composite the warped person (RGBA, and its alpha channel) over the clean plate
        wherever pixels moved (``moved``: 0-255 per pixel), into ``out``: the frame's view of
        ``box``."""
        x0, y0, x1, y1 = box
        # The plate shows where the person is transparent and the pixel moved.
        plate_weight = cv2.multiply(cv2.bitwise_not(alpha), moved, scale=1 / 255)
        person_weight = cv2.cvtColor(cv2.bitwise_not(plate_weight), cv2.COLOR_GRAY2RGB)
        plate_weight = cv2.cvtColor(plate_weight, cv2.COLOR_GRAY2RGB)
        # In place wherever OpenCV allows it: two fewer frame-sized temporaries to write and
        # read back (the same sums).
        cv2.cvtColor(warped, cv2.COLOR_RGBA2RGB, dst=out)
        cv2.multiply(out, person_weight, dst=out, scale=1 / 255)
        plate = self.plate[y0:y1, x0:x1]
        cv2.multiply(plate, plate_weight, dst=plate_weight, scale=1 / 255)
        cv2.add(out, plate_weight, dst=out)


def _eye_pose(frame: MotionFrame, side: str) -> EyePose:
    v, i = frame.vector, PARAM_INDEX
    return EyePose(
        blink=float(v[i[f"eyeBlink{side}"]]),
        # Raised cheeks narrow the eye from below as well (the Duchenne smile).
        squint=min(1.0, float(v[i[f"eyeSquint{side}"]] + 0.5 * v[i[f"cheekSquint{side}"]])),
        wide=float(v[i[f"eyeWide{side}"]]),
        look_out=float(v[i[f"eyeLookOut{side}"]]),
        look_in=float(v[i[f"eyeLookIn{side}"]]),
        look_up=float(v[i[f"eyeLookUp{side}"]]),
        look_down=float(v[i[f"eyeLookDown{side}"]]),
    )


def _over_person(mesh: Mesh, mask: np.ndarray) -> np.ndarray:
    """(T,) bool: the mesh triangles whose centre lies on the person (``mask`` > 0.05) or
    within a grid cell of it: a fold in the background next to the hair drew the background
    into the hair."""
    h, w = mask.shape
    reach = 2 * round(max(h, w) / GRID_CELLS) + 1
    near = cv2.dilate((mask > 0.05).astype(np.uint8), np.ones((reach, reach), np.uint8))
    centre = np.round(mesh.rest[mesh.triangles, :2].mean(1)).astype(int)
    x, y = np.clip(centre[:, 0], 0, w - 1), np.clip(centre[:, 1], 0, h - 1)
    return near[y, x] > 0


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
