"""Where a moving frame can differ from the still image, a band of rows at a time.

The warp moves the person and composites it over the clean plate wherever pixels moved (see
Renderer). Away from the person the plate is the image itself, and whatever the warp does
there, each output pixel is either the plate (it moved) or the image (it did not): the still
image. Only near what the plate changes (the person, and the plate's own fill around it), within
the warp's largest displacement, can a frame differ. So the warp and the compositing run on those
columns of each band of rows, and the rest of the frame is copied: on the shared portraits a
quarter to a third of a 512 px frame is background the remap no longer reads.

(Exactly: where a pixel moves less than half a pixel, the compositing blends in a little of the
background's shifted copy. Skipped, the background there is the still image, as it should be.)
"""

from __future__ import annotations

import math

import numpy as np

from openlpm.render.supersample import MARGIN as FINE_MARGIN

CHUNK_ROWS = 64  # output rows per band: each band is a handful of OpenCV calls
# Pixels beyond the displacement that a band's columns must reach: the bilinear remap's second
# sample, and the supersampled source's Lanczos ringing past the person's edge.
SPARE_PX = 1 + FINE_MARGIN


class ChangeSpans:
    """Per row of the output, the columns where the person or the plate's fill lies."""

    def __init__(self, changes: np.ndarray) -> None:
        """``changes``: (h, w) bool, True where the reference differs from its clean plate
        (the person's alpha above zero, or the plate repainted)."""
        self.height, self.width = changes.shape
        on_row = changes.any(1)
        self.first = np.where(on_row, changes.argmax(1), self.width)
        self.end = np.where(on_row, self.width - changes[:, ::-1].argmax(1), 0)

    def chunks(
        self, box: tuple[int, int, int, int], displacement: float
    ) -> list[tuple[int, int, int, int]]:
        """(x0, y0, x1, y1) pieces of ``box`` that a warp moving pixels by at most
        ``displacement`` can change: per CHUNK_ROWS rows, the columns within reach of a change
        in those rows or the rows within reach of them."""
        x0, y0, x1, y1 = box
        reach = math.ceil(displacement) + SPARE_PX
        pieces = []
        for top in range(y0, y1, CHUNK_ROWS):
            bottom = min(top + CHUNK_ROWS, y1)
            rows = slice(max(top - reach, 0), min(bottom + reach, self.height))
            left = max(int(self.first[rows].min()) - reach, x0)
            right = min(int(self.end[rows].max()) + reach, x1)
            if right > left:
                pieces.append((left, top, right, bottom))
        return pieces
