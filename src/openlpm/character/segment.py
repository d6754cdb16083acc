"""Person segmentation (face, hair, neck, shoulders) and the background clean plate."""

from __future__ import annotations

import cv2
import numpy as np

from openlpm.character.detect import DetectedFace
from openlpm.character.topology import FACE_OVAL
from openlpm.vision.selfie import person_probability

_PLATE_SIDE = 384  # the plate is filled in at this size: it is smooth there anyway
GRAIN_SIGMA = 2.0  # px: texture finer than this is the background's grain


def person_mask(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Soft person mask in [0, 1] (float32, image size); always covers the face oval."""
    mask = person_probability(rgb)
    oval = np.zeros(mask.shape, np.uint8)
    cv2.fillPoly(oval, [np.round(landmarks[list(FACE_OVAL), :2]).astype(np.int32)], 255)
    mask = np.maximum(mask, oval.astype(np.float32) / 255)
    # Sharpen the model's soft ramp to a 1-2 px anti-aliased edge.
    mask = np.clip((mask - 0.5) * 4 + 0.5, 0, 1)
    return cv2.GaussianBlur(mask, (3, 3), 0)


def own_region(
    shape: tuple[int, int], face: DetectedFace, others: list[DetectedFace]
) -> np.ndarray:
    """(H, W) float32: 1 where the image is nearer to ``face`` than to any other face, with a soft
    border a third of a face wide; all ones when it is alone."""
    if not others:
        return np.ones(shape, np.float32)
    h, w = shape
    s = min(1.0, 256 / max(h, w))  # a coarse map is enough for a smooth split
    ys, xs = np.mgrid[0 : round(h * s), 0 : round(w * s)].astype(np.float32) / s

    def reach(f: DetectedFace) -> np.ndarray:
        cx, cy = f.landmarks[:, :2].mean(0)
        return np.hypot(xs - cx, ys - cy)

    nearest_other = np.min([reach(f) for f in others], axis=0)
    soft = 0.3 * face.height
    region = np.clip((nearest_other - reach(face)) / soft + 0.5, 0, 1)
    return cv2.resize(region, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)


def clean_plate(rgb: np.ndarray, mask: np.ndarray, face_height: float) -> np.ndarray:
    """The background with the person removed (filled from around it, with its grain), the
    original elsewhere."""
    h, w = rgb.shape[:2]
    scale = min(1.0, _PLATE_SIDE / max(h, w))
    small = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    halo = max(2, round(0.1 * face_height * scale))  # the edge's own colour bleed
    hole = cv2.resize(mask, small.shape[1::-1]) > 0.05
    hole = cv2.dilate(hole.astype(np.uint8), np.ones((2 * halo + 1,) * 2, np.uint8))
    filled = push_pull_fill(small.astype(np.float32), hole == 0)
    big = cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR)
    keep = cv2.resize(hole.astype(np.float32), (w, h))
    around = cv2.dilate(keep, np.ones((2 * round(halo / scale) + 1,) * 2, np.uint8)) > keep
    ys, xs = np.nonzero(around)
    if len(ys):  # the grain is only needed over the hole and the ring around it
        box = np.s_[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        big[box] += background_grain(rgb[box], around[box])
    keep = keep[..., None]
    return np.clip(big * keep + rgb * (1 - keep) + 0.5, 0, 255).astype(np.uint8)


def push_pull_fill(image: np.ndarray, known: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32: ``image`` with the pixels not ``known`` filled from the known ones
    around them, smoothly (push-pull: averaged down a pyramid until every cell has a known
    share, then blended back up).

    A fill reaching in from the hole's rim along straight lines (OpenCV's inpainting) drew
    radial streaks across a large hole, which a tilted head uncovers; this one is the blur of
    the surroundings, what an out-of-focus background looks like."""
    weight = known.astype(np.float32)
    colours, weights = [image * weight[..., None]], [weight]
    while min(weights[-1].shape) > 2 and (weights[-1] < 1).any():
        down_w = cv2.pyrDown(weights[-1])
        down_c = cv2.pyrDown(colours[-1])
        colours.append(down_c), weights.append(down_w)
    # Pull: each level's known share, the coarser level's fill in the rest.
    fill = colours[-1] / np.maximum(weights[-1], 1e-6)[..., None]
    for c, wgt in zip(colours[-2::-1], weights[-2::-1], strict=True):
        up = cv2.pyrUp(fill, dstsize=wgt.shape[::-1])
        share = np.minimum(wgt * 4, 1.0)[..., None]  # a cell a quarter known is known enough
        mean = c / np.maximum(wgt, 1e-6)[..., None]
        fill = share * mean + (1 - share) * up
    return np.where(known[..., None], image, fill)


def background_grain(rgb: np.ndarray, around: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 zero-mean grain with the fine texture's strength and coarseness of the
    background ``around`` (bool mask) the hole: the fill is smooth, and on a grainy
    photo (film grain, paper, canvas) the person moving showed a smooth halo around them.

    The grain is one pattern for all channels (grain is mostly in brightness), each channel
    scaled by its own robust spread, from a fixed seed: the same rig every build."""
    h, w = around.shape
    if not around.any():
        return np.zeros((h, w, 3), np.float32)
    fine = _fine_texture(rgb.astype(np.float32))
    # Median absolute deviation: edges and strands in the ring barely move it.
    spread = 1.4826 * np.median(np.abs(fine[around]), axis=0)  # (3,)
    coarseness = _coarseness(fine[..., 1], around)
    noise = np.random.default_rng(0).standard_normal((h, w)).astype(np.float32)
    if coarseness > 0:
        noise = cv2.GaussianBlur(noise, (0, 0), coarseness)
    pattern = _fine_texture(noise)
    pattern /= max(float(np.median(np.abs(pattern))) * 1.4826, 1e-6)
    return pattern[..., None] * spread.astype(np.float32)


def _fine_texture(image: np.ndarray) -> np.ndarray:
    """The detail finer than GRAIN_SIGMA pixels."""
    return image - cv2.GaussianBlur(image, (0, 0), GRAIN_SIGMA)


def _coarseness(fine: np.ndarray, around: np.ndarray) -> float:
    """The blur (px) of white noise whose fine texture is as coarse as ``fine``'s in
    ``around``: judged by how much of it survives a 1-px blur."""
    kept = _survival(fine, around)
    noise = np.random.default_rng(1).standard_normal((128, 128)).astype(np.float32)
    options = (0.0, 0.5, 0.8, 1.2)
    survivals = []
    for sigma in options:
        blurred = cv2.GaussianBlur(noise, (0, 0), sigma) if sigma else noise
        survivals.append(_survival(_fine_texture(blurred), np.ones(noise.shape, bool)))
    return options[int(np.argmin(np.abs(np.array(survivals) - kept)))]


def _survival(fine: np.ndarray, where: np.ndarray) -> float:
    smooth = cv2.GaussianBlur(fine, (0, 0), 1.0)
    return float(np.median(np.abs(smooth[where])) / max(np.median(np.abs(fine[where])), 1e-6))
