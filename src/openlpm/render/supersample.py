"""A supersampled copy of the warp's source, so that moving frames keep the image's fine detail.

Bilinear ``cv2.remap`` at a sub-pixel offset t averages two neighbours with weights (1 - t, t):
at t = 0.5 it keeps about a third of the image's finest detail (variance of the Laplacian), and
a talking head moves by a different fraction of a pixel every frame. Higher-order remaps fix
that but cost 6x (cubic) to 20x (Lanczos) per frame. Instead the source is upsampled once,
FACTOR times, with Lanczos (a good approximation of the ideal band-limited interpolation), and
the frames are remapped bilinearly from it: between two fine samples half a pixel apart, linear
interpolation loses far less of the finest detail than between the pixels themselves.

What is left (the linear step between fine samples, on average over all offsets, and the Lanczos
kernel's roll-off near the sampling limit) is a loss at the highest frequencies. A 3-tap
pre-sharpening of the in-between samples compensates it, so that a moving face keeps about as
much detail as the still image: it is the inverse of the kernels' known response, not an
effect. The fine samples that sit on source pixels are the source pixels themselves: where
nothing moves, the remap returns the image exactly.

Why 2x and not 4x: the remap reads the fine copy's memory, and every frame remaps most of it
(breathing moves the whole person). At 4x (64 bytes per source pixel, 16 MB at 512 px) the
remap took twice as long as from the image, at 2x a third longer; the look stays (moving frames
within 50 dB PSNR of the 4x ones on every shared portrait) and so does the detail (0.93-0.97 of
the still's in the face box, Einstein and the astronaut).

Source pixel x sits at fine coordinate FACTOR * x (the fine grid is aligned, not cv2.resize's).
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

FACTOR = 2  # fine samples per source pixel along each axis
MAX_FINE_SIDE = 4096  # a larger output lowers the factor (memory: 4 bytes per fine sample)
# Pre-sharpening [-a, 1 + 2a, -a] along each axis: gain 1 + 4a at the sampling limit, enough to
# offset the mean loss of bilinear remapping between samples half a pixel apart there (a third
# of the power: (1 + 4a)^2 = 1.5) and of the Lanczos kernel's roll-off.
SHARPEN = 0.06
LANCZOS_A = 4  # Lanczos window: taps from -3 to +4 around each in-between sample
MARGIN = LANCZOS_A  # source pixels around an updated box: what the kernel reads


def factor_for(width: int, height: int) -> int:
    """The supersampling factor for a source of this size (1: none)."""
    return max(1, min(FACTOR, MAX_FINE_SIDE // max(width, height)))


class FineSource:
    """The FACTOR-times upsampled copy of an RGBA source, kept in step with it box by box."""

    def __init__(self, source: np.ndarray) -> None:
        h, w = source.shape[:2]
        self.factor = factor_for(w, h)
        self.image = upsample(source, self.factor)

    def update(self, source: np.ndarray, box: tuple[int, int, int, int]) -> None:
        """Redo the fine copy of ``box`` (x0, y0, x1, y1) after ``source`` changed inside it."""
        h, w = source.shape[:2]
        x0, y0, x1, y1 = box
        # Upsample a block with a margin, so the kernel near the box edge sees the same
        # neighbours as in the whole-image upsampling, then keep only the box.
        bx0, by0 = max(x0 - MARGIN, 0), max(y0 - MARGIN, 0)
        bx1, by1 = min(x1 + MARGIN, w), min(y1 + MARGIN, h)
        fine = upsample(source[by0:by1, bx0:bx1], self.factor)
        f = self.factor
        self.write(box, fine[f * (y0 - by0) : f * (y1 - by0), f * (x0 - bx0) : f * (x1 - bx0)])

    def read(self, box: tuple[int, int, int, int]) -> np.ndarray:
        """A copy of the fine samples of ``box`` (source pixels)."""
        return self.image[self._rows(box), self._cols(box)].copy()

    def write(self, box: tuple[int, int, int, int], fine: np.ndarray) -> None:
        """Put back fine samples of ``box`` taken with :meth:`read`."""
        self.image[self._rows(box), self._cols(box)] = fine

    def _rows(self, box: tuple[int, int, int, int]) -> slice:
        return slice(self.factor * box[1], self.factor * box[3])

    def _cols(self, box: tuple[int, int, int, int]) -> slice:
        return slice(self.factor * box[0], self.factor * box[2])


def upsample(image: np.ndarray, factor: int) -> np.ndarray:
    """(h * factor, w * factor, c) uint8: Lanczos in between, the pixels themselves on them.

    Every pass stays in uint8 (OpenCV rounds and saturates): a quarter of the memory traffic of
    float passes, for an error under one grey level."""
    if factor == 1:
        return image.copy()
    kernel = np.float32([-SHARPEN, 1 + 2 * SHARPEN, -SHARPEN])
    sharp = cv2.sepFilter2D(image, -1, kernel, kernel, borderType=cv2.BORDER_REPLICATE)
    fine = _upsample_axis(_upsample_axis(sharp, factor, 1), factor, 0)
    fine[::factor, ::factor] = image
    return fine


def _upsample_axis(image: np.ndarray, factor: int, axis: int) -> np.ndarray:
    """Polyphase Lanczos along ``axis`` (1: x, 0: y): phase k is the image at offset k/factor."""
    phases = [image]
    for k in range(1, factor):
        taps = _lanczos_taps(k / factor)
        # A one-dimensional kernel in filter2D: the same sums as sepFilter2D with a unit
        # kernel on the other axis, without its second pass (3x faster on an eye's box).
        kernel, anchor = (
            (taps[None], (LANCZOS_A - 1, 0)) if axis == 1 else (taps[:, None], (0, LANCZOS_A - 1))
        )
        phases.append(
            cv2.filter2D(image, -1, kernel, anchor=anchor, borderType=cv2.BORDER_REPLICATE)
        )
    stacked = np.stack(phases, axis=axis + 1)  # (h, w, F, c) or (h, F, w, c)
    shape = list(image.shape)
    shape[axis] *= factor
    return stacked.reshape(shape)


@functools.cache
def _lanczos_taps(t: float) -> np.ndarray:
    """Weights of source pixels -(A-1)..A for the point t (0 < t < 1) past pixel 0."""
    d = np.arange(-(LANCZOS_A - 1), LANCZOS_A + 1) - t
    w = np.sinc(d) * np.sinc(d / LANCZOS_A)
    taps = (w / w.sum()).astype(np.float32)
    taps.flags.writeable = False  # cached: shared by every call
    return taps
