"""Sharp moving frames and the living upper body, measured from rendered pixels."""

from __future__ import annotations

import numpy as np
import pytest

from openlpm.analysis import FaceAnalyzer
from openlpm.bench.metrics.detail import face_detail
from openlpm.motion import MotionFrame
from openlpm.motion.base import perform
from openlpm.render import Renderer


def _landmarks(analyzer: FaceAnalyzer, rgb: np.ndarray) -> np.ndarray:
    lm = analyzer.landmarks(rgb)
    assert lm is not None, "no face re-detected in the rendered frame"
    return lm


# Head poses at assorted sub-pixel offsets, eyes and mouth still: only the resampling differs.
MOVING = [
    {"headYaw": 2.3, "headPitch": 1.1},
    {"headYaw": -3.7, "headRoll": 1.3},
    {"headPitch": -2.2, "bodyY": 0.0031},
    {"headRoll": -2.6, "bodyX": 0.0043},
    {"headYaw": 4.1, "headPitch": -1.7, "headRoll": 0.9},
]


def _detail_ratio(analyzer: FaceAnalyzer, renderer: Renderer) -> float:
    still = renderer.render(MotionFrame.neutral())
    base = face_detail(still, _landmarks(analyzer, still))
    moving = []
    for pose in MOVING:
        frame = renderer.render(MotionFrame.of(**pose))
        moving.append(face_detail(frame, _landmarks(analyzer, frame)))
    return float(np.median(moving)) / base


def test_moving_frames_keep_the_fine_detail_of_the_still(analyzer, astronaut_rig, astro):
    kept = _detail_ratio(analyzer, astro)
    plain = _detail_ratio(analyzer, Renderer(astronaut_rig, 512, supersample=False))
    assert kept >= 0.85, f"a moving face keeps {kept:.2f} of the still's detail"
    assert plain < 0.75  # bilinear from the image blurs: the measure sees the difference
    assert kept < 1.25  # and the compensation does not over-sharpen


def test_lean_in_grows_the_face(analyzer, astro):
    still = _landmarks(analyzer, astro.render(MotionFrame.neutral()))
    leaned = _landmarks(analyzer, astro.render(MotionFrame.of(bodyLean=0.1)))
    back = _landmarks(analyzer, astro.render(MotionFrame.of(bodyLean=-0.1)))

    def height(lm: np.ndarray) -> float:
        return float(np.linalg.norm(lm[10, :2] - lm[152, :2]))

    assert height(leaned) / height(still) == pytest.approx(1.1, abs=0.03)
    assert height(back) / height(still) == pytest.approx(0.9, abs=0.03)


def _vertical_shift(a: np.ndarray, b: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """How far the content of ``box`` in ``a`` moved down in ``b`` (pixels; the best match of
    whole-pixel shifts, refined to a fraction by a parabola through the best three)."""
    x0, y0, x1, y1 = box
    patch = a[y0:y1, x0:x1].astype(np.float32)
    shifts = np.arange(-30, 31)
    cost = np.array([np.abs(b[y0 + d : y1 + d, x0:x1] - patch).mean() for d in shifts])
    k = int(np.clip(np.argmin(cost), 1, len(shifts) - 2))
    left, mid, right = cost[k - 1 : k + 2]
    bend = left - 2 * mid + right
    return float(shifts[k] + (0.5 * (left - right) / bend if bend > 0 else 0.0))


def _shoulder_boxes(renderer: Renderer) -> list[tuple[int, int, int, int]]:
    """Patches on both shoulders: beside the neck, below the chin."""
    lm = renderer.deformer.rest[:468, :2]
    fh = float(np.linalg.norm(lm[10] - lm[152]))
    cx, chin = float(lm[152, 0]), float(lm[152, 1])
    s = round(0.35 * fh)
    y0 = round(chin + 0.45 * fh)
    boxes = []
    for side in (-1, 1):
        x0 = round(cx + side * 0.75 * fh - s / 2)
        boxes.append((x0, y0, x0 + s, y0 + s))
    return boxes


def test_shrug_lifts_the_shoulders_not_the_face(analyzer, astro):
    still = astro.render(MotionFrame.neutral())
    shrug = astro.render(MotionFrame.of(bodyShrug=1.0))
    for box in _shoulder_boxes(astro):
        assert _vertical_shift(still, shrug, box) < -4  # up by several pixels
    moved = _landmarks(analyzer, shrug)[:468, :2] - _landmarks(analyzer, still)[:468, :2]
    assert np.abs(moved).mean() < 1.0


def test_breathing_moves_the_shoulders(astro):
    """The speaking model's breath, rendered: shoulders rise and fall between its extremes."""
    from openlpm.audio.phones import Phone, PhoneTimeline
    from openlpm.audio.prosody import analyse
    from openlpm.io.audio import Audio

    silence = Audio(np.zeros(16000 * 8, np.float32), 16000)
    track = perform(analyse(silence), PhoneTimeline((Phone("SIL", 0.0, 8.0),), "silence"))
    shrug = track.curve("bodyShrug")
    assert shrug.max() - shrug.min() > 0.08  # the breath reaches the shoulders' parameter
    # The breath's own parameters from those frames (the head drifts on its own meanwhile).
    exhaled, inhaled = (
        astro.render(MotionFrame.of(bodyY=track[i]["bodyY"], bodyShrug=track[i]["bodyShrug"]))
        for i in (int(np.argmin(shrug)), int(np.argmax(shrug)))
    )
    for box in _shoulder_boxes(astro):
        assert _vertical_shift(exhaled, inhaled, box) < -1.0


EXTREMES = [
    {"bodyLean": 0.15, "headYaw": 12},
    {"bodyLean": -0.15, "headRoll": -12},
    {"bodyShrug": 1.0, "bodyY": -0.1},
]


@pytest.mark.parametrize("pose", EXTREMES)
def test_lean_and_shrug_never_tear_the_border(astro, pose):
    neutral = astro.render(MotionFrame.neutral())
    moved = astro.render(MotionFrame.of(**pose))
    m = round(0.02 * max(astro.size))
    border = np.ones(neutral.shape[:2], bool)
    border[m:-m, m:-m] = False
    assert np.array_equal(moved[border], neutral[border])
    # Inside the border, nothing jumps: the largest step between neighbouring pixels in the
    # picture stays what the image itself has (a tear is a new, sharp seam).
    grad = np.abs(np.diff(moved.astype(np.int16), axis=0)).max(axis=2)
    grad0 = np.abs(np.diff(neutral.astype(np.int16), axis=0)).max(axis=2)
    ring = slice(m, 3 * m)
    assert grad[ring].max() <= grad0[ring].max() + 10


def test_the_shrug_prompt_lifts_the_shoulders_in_the_picture(astro):
    from openlpm.motion.frame import MotionTrack
    from openlpm.prompts import apply_plan, parse_prompt, schedule

    plan = parse_prompt("she shrugs")
    assert [s.name for s in plan.steps] == ["shrug"]  # the keywords settle it: no model load
    idle = MotionTrack(np.zeros((75, len(MotionFrame.neutral().vector)), np.float32), 25.0)
    track = apply_plan(plan, idle)
    cue = schedule(plan, 0.3, idle.duration)[0]
    middle = round((cue.start + cue.end) / 2 * 25.0)
    assert track[middle]["bodyShrug"] > 0.6
    still, shrugging = astro.render(track[0]), astro.render(track[middle])
    for box in _shoulder_boxes(astro):
        assert _vertical_shift(still, shrugging, box) < -4
