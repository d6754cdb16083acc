"""Two characters in one picture: each animates, neither deforms the other."""

from __future__ import annotations

import numpy as np
import pytest

from openlpm.character import build_rig
from openlpm.cli import bundled
from openlpm.errors import InputError
from openlpm.io.images import load_image
from openlpm.motion import MotionFrame
from openlpm.render.scene import Scene


@pytest.fixture(scope="module")
def scene() -> Scene:
    astro = load_image(bundled("astronaut.jpg"))[:400, 56:456]
    mona = load_image(bundled("monalisa.jpg"))[100:500, 25:425]
    picture = np.ascontiguousarray(np.hstack([astro, mona]))
    return Scene([build_rig(picture, 0), build_rig(picture, 1)], 800)


def face_box(scene: Scene, i: int) -> tuple[slice, slice]:
    xy = scene.renderers[i].deformer.rest[:468, :2]
    (x0, y0), (x1, y1) = xy.min(0).astype(int), xy.max(0).astype(int)
    return slice(y0, y1), slice(x0, x1)


@pytest.mark.parametrize("mover", [0, 1])
def test_one_character_moves_the_other_stays_still(scene, mover):
    still = 1 - mover
    neutral = scene.render([MotionFrame.neutral()] * 2)
    poses = [MotionFrame.neutral()] * 2
    poses[mover] = MotionFrame.of(headYaw=12, headRoll=8, jawOpen=0.6, eyeBlinkLeft=1, bodyX=0.1)
    moved = scene.render(poses)
    assert np.array_equal(moved[face_box(scene, still)], neutral[face_box(scene, still)])
    diff = np.abs(
        moved[face_box(scene, mover)].astype(int) - neutral[face_box(scene, mover)]
    ).mean()
    assert diff > 5


def test_both_move_at_once(scene):
    neutral = scene.render([MotionFrame.neutral()] * 2)
    both = scene.render([MotionFrame.of(jawOpen=0.6)] * 2)
    for i in (0, 1):
        assert not np.array_equal(both[face_box(scene, i)], neutral[face_box(scene, i)])


def test_characters_from_different_pictures_are_refused(monalisa_rig, astronaut_rig):
    with pytest.raises(InputError, match="different sizes"):
        Scene([monalisa_rig, astronaut_rig])
