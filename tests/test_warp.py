"""The warp's fast paths hold what the slow, obvious versions hold."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from openlpm.motion import MotionFrame
from openlpm.render.interior import lip_curve, lip_curves
from openlpm.render.warp import _nearest_covered

POSES = [
    {"headYaw": 15.0, "jawOpen": 0.6},
    {"headRoll": -10.0, "headPitch": 8.0, "bodyLean": 0.1},
    {"bodyY": 0.01, "bodyShrug": 0.5, "mouthSmileLeft": 1.0},
    {"headRoll": 15.0},
]


@pytest.mark.parametrize("pose", POSES)
def test_backward_field_inverts_the_forward_field(astro, pose):
    """Each output sample's source x satisfies x + D(x) = p, D the forward field spread from
    the vertices: measured here with a plain bilinear lookup of D, independent of the solver."""
    warp = astro.warp
    disp = astro.deformer.displacement(MotionFrame.of(**pose))
    shape = (warp.ch, warp.cw)
    forward = [warp.spread.apply(disp[:, k]).reshape(shape) for k in (0, 1)]
    field = warp.backward(disp)
    f = warp.factor
    x, y = warp.coarse_x + field.dx, warp.coarse_y + field.dy
    at_x, at_y = (x - (f - 1) / 2) / f, (y - (f - 1) / 2) / f
    lands = [
        cv2.remap(d, at_x, at_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) for d in forward
    ]
    inside = (at_x >= 0) & (at_y >= 0) & (at_x <= warp.cw - 1) & (at_y <= warp.ch - 1)
    moving = (np.abs(forward[0]) + np.abs(forward[1]) > 0) & inside
    miss = np.maximum(np.abs(x + lands[0] - warp.coarse_x), np.abs(y + lands[1] - warp.coarse_y))
    assert moving.mean() > 0.2  # the pose moves a good part of the picture
    # Where the field folds (the side of a turned head) the Newton steps may not settle;
    # everywhere else they do. Steps with the Jacobian's diagonal alone (before the cross terms)
    # left 10-13% of the samples of a tilted head off by more than 0.1 px.
    assert (miss[moving] < 0.1).mean() > 0.98  # pixels
    assert np.median(miss[moving]) < 0.01
    assert np.abs(field.dx).max() > 3  # and the field is not trivially zero


def test_spread_interpolates_linear_values_exactly(astro):
    """Barycentric weights reproduce any affine function of the vertex positions: spreading
    the vertices' own x and y gives each sample's position, wherever the sample lies inside
    the triangle it was given (weights none clamped) and the outer frame's hold is 1."""
    warp = astro.warp
    weight = warp.spread.weight
    inside = (weight.min(0) > 1e-3) & (np.abs(weight.sum(0) - 1) < 1e-5)
    assert inside.mean() > 0.5  # most samples
    for k, grid in ((0, warp.coarse_x), (1, warp.coarse_y)):
        spread = warp.spread.apply(astro.rest_xy[:, k])
        assert np.abs(spread - grid.ravel())[inside].max() < 0.01  # pixels


def test_uncovered_samples_take_the_nearest_triangle():
    ids = np.zeros((40, 60), np.int32)
    ids[:, 30:] = 7
    ids[:, 26:33] = -1  # a sliver nobody covers: 3 columns nearer 0, one tie, 3 nearer 7
    ids[:5, :] = -1  # and a strip along the top
    filled = _nearest_covered(ids)
    assert (filled[10:, :29] == 0).all() and (filled[10:, 30:] == 7).all()
    assert (filled[:5, :20] == 0).all() and (filled[:5, 40:] == 7).all()


def test_lip_curves_at_once_equal_one_by_one():
    rng = np.random.default_rng(3)
    xs = np.arange(-4, 60, dtype=np.float64)
    for trial in range(200):
        lips = (rng.random((2, 11, 2)) * 50).astype(np.float32)
        if trial % 5 == 0:
            lips[1, 3, 0] = lips[1, 4, 0]  # coincident points take the one-by-one path
        both = lip_curves(lips, xs)
        for k in range(2):
            assert np.array_equal(both[k], lip_curve(lips[k], xs))


@pytest.mark.parametrize("portrait", ["astronaut_rig", "monalisa_rig"])
def test_a_tilted_and_turned_head_leaves_no_stray_samples(portrait, request):
    """A sample of the backward field that strays from its neighbours shows a speck of some
    other part of the face (an iris in the forehead). Before the Jacobian's cross terms and the
    mending of unsettled samples, both bundled portraits had 1-18 such samples at every tilt of
    12-15 degrees."""
    from openlpm.render import Renderer

    renderer = Renderer(request.getfixturevalue(portrait), 512)
    strays = {}
    for roll in (-15, -12, 12, 15):
        for yaw in (-15, 0, 15):
            pose = MotionFrame.of(headRoll=roll, headYaw=yaw)
            disp = renderer.deformer.displacement(pose)
            field = renderer.warp.backward(disp)
            n = sum(int((np.abs(p - cv2.medianBlur(p, 3)) > 8).sum()) for p in (field.dx, field.dy))
            if n:
                strays[roll, yaw] = n
    assert not strays, f"stray samples at (roll, yaw): {strays}"


def test_a_long_list_of_samples_is_looked_up_as_a_grid_would_be(astro):
    """The Newton steps look up their unsettled samples as a list; cv2.remap takes at most
    32766 columns, and a list that long (a turned, tilted, breathing head rendered at about
    950 px) stopped the render with an OpenCV assertion."""
    warp = astro.warp
    rng = np.random.default_rng(5)
    packed = (rng.random((warp.ch, warp.cw, 2), dtype=np.float32),)
    x = (rng.random((250, 160)) * (warp.width - 1)).astype(np.float32)
    y = (rng.random((250, 160)) * (warp.height - 1)).astype(np.float32)
    as_grid = warp._sample(packed, x, y)
    as_list = warp._sample(packed, x.ravel(), y.ravel())  # 40000 samples
    for grid_plane, list_plane in zip(as_grid, as_list, strict=True):
        assert list_plane.shape == (40000,)
        assert np.array_equal(grid_plane.ravel(), list_plane)
