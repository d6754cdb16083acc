"""Store reference face landmarks and person masks from mediapipe 0.10.21's own pipeline.

Run once, with mediapipe 0.10.21 installed (it is no longer a dependency), to make
``tests/fixtures/face_reference.npz``: the landmarks and masks the project got from mediapipe
before it switched to the ONNX models in ``openlpm/assets/models``
(``tools/convert_face_models.py``).
``tests/test_face_models.py`` checks that the ONNX pipeline agrees with them.

    python tools/store_face_reference.py tests/fixtures/face_reference.npz
    python tools/store_face_reference.py /tmp/ref.npz --images DIR/*.png   # any images

Each image gets: ``<name>/detect`` (478 x 3 landmarks of every face ``detect_faces`` found,
stacked), ``<name>/analyze`` (478 x 3 from ``FaceAnalyzer``, still-image mode) and
``<name>/mask`` (the selfie-segmentation mask at 128 x 128, uint8).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

MASK_SIDE = 128


def bundled_images() -> dict[str, np.ndarray]:
    """The two bundled portraits and a made variant (mirrored, turned 12 degrees, scaled)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from face_reference import bundled_reference_images

    return bundled_reference_images()


def selfie_mask(rgb: np.ndarray) -> np.ndarray:
    import mediapipe as mp

    with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0) as seg:
        mask = seg.process(np.ascontiguousarray(rgb)).segmentation_mask.astype(np.float32)
    small = cv2.resize(mask, (MASK_SIDE, MASK_SIDE), interpolation=cv2.INTER_AREA)
    return np.round(np.clip(small, 0, 1) * 255).astype(np.uint8)


def reference(images: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    from openlpm.analysis import FaceAnalyzer
    from openlpm.character.detect import detect_faces

    stored: dict[str, np.ndarray] = {}
    for name, rgb in images.items():
        faces = detect_faces(rgb)
        stored[f"{name}/detect"] = np.stack([f.landmarks for f in faces]).astype(np.float32)
        with FaceAnalyzer() as analyzer:
            marks = analyzer.landmarks(rgb)
        if marks is not None:
            stored[f"{name}/analyze"] = marks.astype(np.float32)
        stored[f"{name}/mask"] = selfie_mask(rgb)
        print(name, rgb.shape, len(faces), "faces")
    return stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--images", nargs="*", type=Path, help="instead of the bundled portraits")
    args = parser.parse_args()
    if args.images:
        images = {p.stem: cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in args.images}
    else:
        images = bundled_images()
    np.savez_compressed(args.out, **reference(images))


if __name__ == "__main__":
    main()
