"""Expression references on real material: the same-face check and the interior they give.

    python benchmarks/bench_references.py identity --data ../shared/data
    python benchmarks/bench_references.py interior --data ../shared/data

identity: false accepts and false rejects of character.identity's check.
  - different faces: every shared portrait against every other; the first frame of each real
    video against the other videos' frames and against the portraits (both ways);
  - the same face: frames of a real video (every 12th of the first 300) against its first frame;
    each portrait against itself rendered with the mouth open, a smile, closed eyes and the
    head turned 15 degrees (the renderer's own poses; their classification is printed too).

interior: for each real video, the rig is a frame with the mouth closed (the first whose
inner-lip gap is under 0.03 face heights), the reference the widest-open frame of the first
half, and the held-out frames are the second half's open-mouth frames (gap > 0.06). Each
held-out frame's gap is matched by jawOpen, and the rendered interior's colour histogram (HSV
hue x saturation, inside the re-detected inner lips) is compared with the held-out frame's
(Bhattacharyya distance, 0 = identical), without and with the reference.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import av
import cv2
import numpy as np

from openlpm.analysis import FaceAnalyzer, measure_landmarks
from openlpm.analysis.mouth_interior import inner_lip_mask
from openlpm.character.detect import detect_faces
from openlpm.character.identity import compare
from openlpm.character.reference import classify, with_references
from openlpm.character.rig import analysis_size, build_rig
from openlpm.io.images import load_image
from openlpm.motion import MotionFrame
from openlpm.render import Renderer
from openlpm.render.shapes import JAW_DROP

VARIANTS = {
    "mouth open": {"jawOpen": 1.0},
    "smile": {"mouthSmileLeft": 1.0, "mouthSmileRight": 1.0},
    "eyes closed": {"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0},
    "head turn": {"headYaw": 15.0},
}


def video_frames(path: Path, every: int = 1, limit: int = 300) -> list[np.ndarray]:
    frames = []
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i >= limit:
                break
            if i % every == 0:
                frames.append(analysis_size(frame.to_ndarray(format="rgb24")))
    return frames


def face(rgb: np.ndarray) -> np.ndarray | None:
    found = detect_faces(rgb)
    return found[0].landmarks if found else None


def identity(data: Path) -> None:
    portraits = {p.stem: analysis_size(load_image(p)) for p in sorted(data.glob("portraits/*"))}
    faces = {("P", k): (img, face(img)) for k, img in portraits.items()}
    for video in sorted(data.glob("video/*.mp4")):
        for i, img in enumerate(video_frames(video, every=12)):
            lm = face(img)
            if lm is not None:
                faces[("V", f"{video.stem}:{i * 12:04d}")] = (img, lm)
    same, different = [], []
    firsts = {}
    for key in faces:
        if key[0] == "V":
            firsts.setdefault(key[1].split(":")[0], key)
    for key in faces:
        first = firsts.get(key[1].split(":")[0]) if key[0] == "V" else None
        if first is not None and key != first:
            same.append((first, key))
    ps = [k for k in faces if k[0] == "P"]
    different += list(itertools.permutations(ps, 2))
    for name, first in firsts.items():
        others = [k for k in faces if k[0] == "V" and not k[1].startswith(name + ":")]
        different += [(first, k) for k in others]
        different += [(first, p) for p in ps] + [(p, first) for p in ps]
    for p in ps:  # the renderer's own poses of each portrait: the same face
        img, lm = faces[p]
        renderer = Renderer(build_rig(img), max(img.shape[:2]))
        main = measure_landmarks(lm, (img.shape[1], img.shape[0]))
        for state, weights in VARIANTS.items():
            posed = renderer.render(MotionFrame.neutral().replace(**weights))
            posed_lm = face(posed)
            if posed_lm is None:
                print(f"  {p[1]} {state}: face lost")
                continue
            faces[("R", f"{p[1]}:{state}")] = (posed, posed_lm)
            same.append((p, ("R", f"{p[1]}:{state}")))
            got = classify(measure_landmarks(posed_lm, (posed.shape[1], posed.shape[0])), main)
            print(f"  {p[1]:40s} {state:12s} classified as {sorted(got) or 'nothing'}")
    scores = {pair: compare(*faces[pair[0]], *faces[pair[1]]).score() for pair in same + different}
    rejected = [p for p in same if scores[p] >= 1]
    accepted = [p for p in different if scores[p] < 1]
    print(f"same face: {len(same)} pairs, false rejects {len(rejected)} "
          f"({100 * len(rejected) / len(same):.1f} %)")  # fmt: skip
    print(f"different faces: {len(different)} pairs, false accepts {len(accepted)} "
          f"({100 * len(accepted) / len(different):.1f} %)")  # fmt: skip
    for label, pairs in (("same", same), ("different", different)):
        values = np.array([scores[p] for p in pairs])
        print(f"  score {label}: min {values.min():.2f} median {np.median(values):.2f} "
              f"max {values.max():.2f} (limit 1.0)")  # fmt: skip
    for a, b in rejected + accepted:
        print(f"  wrong: {a[1]} ~ {b[1]}: {scores[(a, b)]:.2f}")


def interior_hist(analyzer: FaceAnalyzer, rgb: np.ndarray) -> tuple[np.ndarray, float] | None:
    lm = analyzer.landmarks(rgb)
    if lm is None:
        return None
    mask = inner_lip_mask(rgb.shape[:2], lm).astype(np.uint8)
    mask = cv2.erode(mask, np.ones((5, 5), np.uint8))  # off the lips' edge
    if mask.sum() < 30:
        return None
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1], mask, [18, 8], [0, 180, 0, 256])
    gap = measure_landmarks(lm, (rgb.shape[1], rgb.shape[0])).mouth_gap
    return cv2.normalize(hist, hist).astype(np.float32), gap


def interior(data: Path) -> None:
    for video in sorted(data.glob("video/*.mp4")):
        frames = video_frames(video, every=1, limit=750)
        with FaceAnalyzer() as analyzer:
            gaps = [m.mouth_gap if (m := analyzer.measure(f)) else None for f in frames]
            half = len(frames) // 2
            closed = next((i for i, g in enumerate(gaps) if g is not None and g < 0.03), None)
            if closed is None:
                print(f"{video.stem}: no closed-mouth frame")
                continue
            ref_i = max(range(half), key=lambda i: gaps[i] or 0)
            held = [i for i in range(half, len(frames)) if (gaps[i] or 0) > 0.06][::5]
            rig = build_rig(frames[closed])
            with_ref = with_references(rig, [frames[ref_i]])
            plain, textured = Renderer(rig, 512), Renderer(with_ref, 512)
            rest_gap = gaps[closed]
            without, withs = [], []
            for i in held:
                target = interior_hist(analyzer, frames[i])
                if target is None:
                    continue
                pose = MotionFrame.neutral().replace(
                    jawOpen=float(np.clip((target[1] - rest_gap) / JAW_DROP, 0, 1))
                )
                a = interior_hist(analyzer, plain.render(pose))
                b = interior_hist(analyzer, textured.render(pose))
                if a is None or b is None:
                    continue
                without.append(cv2.compareHist(target[0], a[0], cv2.HISTCMP_BHATTACHARYYA))
                withs.append(cv2.compareHist(target[0], b[0], cv2.HISTCMP_BHATTACHARYYA))
        print(f"{video.stem}: rig frame {closed} (gap {rest_gap:.3f}), reference frame {ref_i} "
              f"(gap {gaps[ref_i]:.3f}), {len(withs)} held-out open frames: histogram "
              f"distance without {np.mean(without):.3f}, with the reference "
              f"{np.mean(withs):.3f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("identity", "interior"))
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    args = parser.parse_args()
    (identity if args.what == "identity" else interior)(args.data)


if __name__ == "__main__":
    main()
