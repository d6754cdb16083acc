"""Contact sheets: rows of thumbnails (one row per system, or per portrait), labelled."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

LABEL_W = 190  # pixels of label column
PAD = 4


def contact_sheet(path: Path, rows: Sequence[tuple[str, Sequence[tuple[float, np.ndarray]]]]):
    """rows: (label, [(seconds, RGB thumb)]) -> one JPEG (small) with time stamps."""
    rows = [(label, thumbs) for label, thumbs in rows if thumbs]
    if not rows:
        return
    h = max(t.shape[0] for _, thumbs in rows for _, t in thumbs)
    w = max(t.shape[1] for _, thumbs in rows for _, t in thumbs)
    cols = max(len(thumbs) for _, thumbs in rows)
    sheet = np.full(
        (len(rows) * (h + PAD) + PAD, LABEL_W + cols * (w + PAD) + PAD, 3), 255, np.uint8
    )
    for r, (label, thumbs) in enumerate(rows):
        y = PAD + r * (h + PAD)
        _text(sheet, label[:26], 4, y + h // 2, scale=0.4)
        for c, (t, img) in enumerate(thumbs):
            x = LABEL_W + PAD + c * (w + PAD)
            sheet[y : y + img.shape[0], x : x + img.shape[1]] = img
            _text(sheet, f"{t:.1f}s", x + 3, y + 12, scale=0.35, colour=(255, 255, 255))
    cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 82])


def _text(img: np.ndarray, text: str, x: int, y: int, scale: float = 0.45, colour=(0, 0, 0)):
    if sum(colour) > 382:  # light text over a picture: a dark outline keeps it readable
        cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)
