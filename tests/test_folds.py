"""The smile's nasolabial folds, measured on rendered frames of the bundled portraits."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from openlpm.character import Rig
from openlpm.motion import MotionFrame
from openlpm.render import Renderer
from openlpm.render.expressions import EXPRESSIONS
from openlpm.render.folds import SmileFolds
from openlpm.render.interior import lip_curve

LUMA = np.float32([0.299, 0.587, 0.114])
SIZE = 1024


def _across_fold(
    renderer: Renderer, folds: SmileFolds, pose: MotionFrame, side: str, offset: float
) -> np.ndarray:
    """Grey levels along the middle of one moved fold of ``folds``, ``offset`` face heights
    across it (toward the cheek when positive)."""
    disp = renderer._posed.displacement(pose)[: len(renderer.rest_xy)]
    points = (folds.rest[side] + disp[folds.sides[side]]).astype(np.float64)
    ys = np.arange(int(points[:, 1].min()), int(points[:, 1].max()), dtype=np.float64)
    t = (ys - ys[0]) / (ys[-1] - ys[0])
    fold_x = lip_curve(points[:, ::-1], ys)
    # ``offset`` across the fold, not along the row: the upper fold runs down and outward.
    across_row = np.sqrt(1 + np.gradient(fold_x, ys) ** 2)
    xs = fold_x + folds.outward[side] * offset * folds.face_height * across_row
    middle = (t > 0.35) & (t < 0.65)
    xs, ys = xs[middle], ys[middle]
    grey = renderer.render(pose) @ LUMA
    return cv2.remap(grey, xs.astype(np.float32)[None], ys.astype(np.float32)[None],
                     cv2.INTER_LINEAR)[0]  # fmt: skip


@pytest.mark.parametrize("portrait", ["astronaut_rig", "monalisa_rig"])
def test_a_smile_folds_the_skin_beside_the_mouth(portrait: str, request) -> None:
    """At a full smile the cheek bulges over a fold from the nose to the corner of the mouth:
    the lip side of it darker, the cheek above it lighter, than the same warp without the
    fold's shading (a smile was a stretched mouth under still cheeks)."""
    rig: Rig = request.getfixturevalue(portrait)
    smile = MotionFrame.of(EXPRESSIONS["smile"])
    # A face a few hundred pixels tall: the fold's parts are a few pixels across.
    with_folds = Renderer(rig, SIZE)
    without = Renderer(rig, SIZE)
    folds, without.folds = with_folds.folds, None
    for side in ("Right", "Left"):
        lip_side = _across_fold(with_folds, folds, smile, side, -0.015)
        lip_side_flat = _across_fold(without, folds, smile, side, -0.015)
        cheek = _across_fold(with_folds, folds, smile, side, 0.025)
        cheek_flat = _across_fold(without, folds, smile, side, 0.025)
        assert (lip_side - lip_side_flat).mean() < -6, side  # grey levels
        assert (cheek - cheek_flat).mean() > 4, side
    # Nothing is drawn at rest, and nothing away from the folds.
    neutral = MotionFrame.neutral()
    assert np.array_equal(with_folds.render(neutral), without.render(neutral))
    a, b = with_folds.render(smile), without.render(smile)
    changed = np.nonzero(np.abs(a.astype(int) - b).max(-1))
    face = rig.face.landmarks[:, :2] * SIZE / max(rig.size)
    assert changed[0].min() >= face[:, 1].min()  # not above the face's top
    assert changed[0].max() <= face[:, 1].max()  # nor under its chin
