"""The Rig: everything learned from the character image, built once and saved to a folder."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from openlpm.character.delaunay import Triangulator
from openlpm.character.detect import DetectedFace, choose_face, detect_faces
from openlpm.character.mesh import Mesh, build_mesh
from openlpm.character.segment import clean_plate, own_region, person_mask
from openlpm.errors import RigError

if TYPE_CHECKING:
    from openlpm.character.reference import Reference

RIG_FORMAT = 3  # 3: irises at their lids' depth; 2: depths bounded so turns never fold (fold.py)
MAX_RIG_SIDE = 1024  # analysis and the stored images never need more than this

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Rig:
    image: np.ndarray  # (H, W, 3) uint8 RGB, the reference every frame is warped from
    plate: np.ndarray  # (H, W, 3) uint8 RGB, background with the person removed
    mask: np.ndarray  # (H, W) float32 in [0, 1], the person (face, hair, neck, body)
    face: DetectedFace
    mesh: Mesh
    face_index: int = 0
    # Expression references (character.reference), aligned to this image; not saved by save().
    references: tuple[Reference, ...] = ()

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.image.shape[1], self.image.shape[0]

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write rig.npz, rig.json and preview.png into ``folder`` (created if needed)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {
            "image": self.image,
            "plate": self.plate,
            "mask": np.round(self.mask * 255).astype(np.uint8),
            "landmarks": self.face.landmarks,
            "rest": self.mesh.rest,
            "triangles": self.mesh.triangles,
            "head_weight": self.mesh.head_weight,
            "body_weight": self.mesh.body_weight,
            "pivot": self.mesh.pivot,
        }
        _atomic_write(folder / "rig.npz", lambda f: np.savez_compressed(f, **arrays))
        meta = {"format": RIG_FORMAT, "face_index": self.face_index, "size": list(self.size)}
        _atomic_write(folder / "rig.json", lambda f: f.write(json.dumps(meta, indent=2).encode()))
        preview = draw_preview(self)
        _, png = cv2.imencode(".png", cv2.cvtColor(preview, cv2.COLOR_RGB2BGR))
        _atomic_write(folder / "preview.png", lambda f: f.write(png.tobytes()))
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> Rig:
        folder = Path(folder)
        try:
            meta = json.loads((folder / "rig.json").read_text())
            with np.load(folder / "rig.npz") as z:
                arrays = {k: z[k] for k in z.files}
        except (OSError, ValueError, KeyError) as e:
            raise RigError(
                f"cannot load the rig in {folder}: {e}; rebuild it with `openlpm rig`"
            ) from e
        if meta.get("format") != RIG_FORMAT:
            raise RigError(
                f"{folder} holds a rig of format {meta.get('format')}, expected {RIG_FORMAT}: "
                "rebuild it with `openlpm rig`"
            )
        mesh = Mesh(
            arrays["rest"],
            arrays["triangles"],
            arrays["head_weight"],
            arrays["body_weight"],
            arrays["pivot"],
        )
        return cls(
            image=arrays["image"],
            plate=arrays["plate"],
            mask=arrays["mask"].astype(np.float32) / 255,
            face=DetectedFace(arrays["landmarks"]),
            mesh=mesh,
            face_index=int(meta.get("face_index", 0)),
        )


def build_rig(rgb: np.ndarray, face_index: int = 0, progress: Progress | None = None) -> Rig:
    """Analyse a portrait: face landmarks, person mask, clean plate and deformable mesh."""
    say = progress or (lambda _msg: None)
    rgb = analysis_size(rgb)
    with Triangulator() as triangulator:  # its child process loads beside the detection
        say("detecting the face")
        return _rig(rgb, detect_faces(rgb), face_index, say, triangulator)


def rig_for(
    rgb: np.ndarray,
    faces: list[DetectedFace],
    face_index: int,
    progress: Progress | None = None,
) -> Rig:
    """The rig of one of ``faces`` (``detect_faces`` of ``rgb``, already at
    :func:`analysis_size`): several characters of one picture need one detection."""
    with Triangulator() as triangulator:  # its child process loads beside the segmentation
        return _rig(rgb, faces, face_index, progress or (lambda _msg: None), triangulator)


def _rig(
    rgb: np.ndarray,
    faces: list[DetectedFace],
    face_index: int,
    say: Progress,
    triangulator: Triangulator,
) -> Rig:
    face = choose_face(faces, face_index)
    say("segmenting the person")
    # Each face owns its part of the picture: animating it never moves another person.
    region = own_region(rgb.shape[:2], face, [f for f in faces if f is not face])
    mask = person_mask(rgb, face.landmarks) * region
    say("painting the background plate, building the mesh")
    # The plate is whole-image OpenCV and numpy passes (they let go of the GIL), the mesh
    # small numpy work and the triangulation child: on two cores they overlap.
    with ThreadPoolExecutor(1, thread_name_prefix="clean-plate") as pool:
        painting = pool.submit(clean_plate, rgb, mask, face.height)
        mesh = build_mesh(face.landmarks, mask, face.height, region, triangulator.triangles)
        plate = painting.result()
    return Rig(image=rgb, plate=plate, mask=mask, face=face, mesh=mesh, face_index=face_index)


def analysis_size(rgb: np.ndarray) -> np.ndarray:
    """The image at most MAX_RIG_SIDE on its long side: what the rig is built from."""
    h, w = rgb.shape[:2]
    scale = MAX_RIG_SIDE / max(h, w)
    if scale >= 1:
        return np.ascontiguousarray(rgb)
    size = (round(w * scale), round(h * scale))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def _atomic_write(path: Path, write: Callable) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def draw_preview(rig: Rig) -> np.ndarray:
    """The image with the mesh and person mask drawn over it, beside the clean plate."""
    vis = rig.image.copy()
    tint = np.array([40, 200, 255], np.float32)
    weight = (rig.mesh.head_weight[rig.mesh.triangles].mean(1) * 255).astype(np.uint8)
    overlay = (
        vis.astype(np.float32) * (1 - 0.25 * rig.mask[..., None])
        + 0.25 * rig.mask[..., None] * tint
    )
    vis = overlay.astype(np.uint8)
    pts = np.round(rig.mesh.rest[:, :2]).astype(np.int32)
    for tri, wt in zip(rig.mesh.triangles, weight, strict=True):
        colour = (255, int(255 - wt), 60)
        cv2.polylines(vis, [pts[tri]], True, colour, 1, cv2.LINE_AA)
    return np.concatenate([vis, rig.plate], axis=1)
