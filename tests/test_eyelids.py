"""Shut eyes on a drawn character with a heavy lash line: the re-detected face reads both
eyes shut while it is tracked through a swaying head, as the benchmark measures a video."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from openlpm.analysis import FaceAnalyzer
from openlpm.character import Rig, build_rig
from openlpm.character.topology import LEFT_EYE, RIGHT_EYE, EyeIndices
from openlpm.cli import bundled
from openlpm.io.images import load_image
from openlpm.motion import MotionFrame
from openlpm.render import Renderer
from openlpm.render.eyes import EyePose

LASH = 0.14  # painted lash band, in eye widths (anime-style eyeliner)
INK = (25, 20, 30)
SIZE = 768


def _paint_lashes(rgb: np.ndarray, landmarks: np.ndarray, eye: EyeIndices) -> None:
    upper = landmarks[list(eye.upper), :2]
    width = float(np.linalg.norm(landmarks[eye.outer, :2] - landmarks[eye.inner, :2]))
    for k in range(max(2, round(LASH * width))):
        line = np.round((upper - (0, k)) * 4).astype(np.int32)
        cv2.polylines(rgb, [line], False, INK, 2, cv2.LINE_AA, shift=2)


@pytest.fixture(scope="module")
def lashy() -> tuple[Rig, np.ndarray]:
    """The astronaut with a thick drawn lash line over both eyes; and its landmarks."""
    small = load_image(bundled("astronaut.jpg"))
    rgb = cv2.resize(small, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)  # eyes 40 px wide
    with FaceAnalyzer() as analyzer:
        landmarks = analyzer.landmarks(rgb)
    assert landmarks is not None
    for eye in (RIGHT_EYE, LEFT_EYE):
        _paint_lashes(rgb, landmarks, eye)
    return build_rig(rgb), landmarks


@pytest.mark.parametrize("sway", [1.0, 2.0, 3.0])
def test_shut_eyes_read_shut_while_tracked(lashy, sway: float) -> None:
    renderer = Renderer(lashy[0], SIZE)
    frames = []
    for i in range(30):
        shut = 1.0 if 10 <= i < 25 else 0.0
        pose = MotionFrame.of(eyeBlinkLeft=shut, eyeBlinkRight=shut, headYaw=sway * np.sin(i / 4))
        frames.append(renderer.render(pose))
    with FaceAnalyzer(video=True) as analyzer:
        found = [analyzer.measure(f) for f in frames]
    assert all(m is not None for m in found)
    for side in ("left", "right"):
        ear = np.array([getattr(m, f"ear_{side}") for m in found])
        # Measured 0.17-0.28 of the open EAR; 0.42-0.45 when the lid stretched the lashes
        # into a dark almond (the benchmark counts a shut eye under 0.6).
        assert ear[12:25].max() < 0.38 * np.median(ear[:10]), side


WHITE = (252, 252, 252)  # a painted white no skin pixel comes near
IRIS = (60, 110, 170)


def _paint_big_eye(rgb: np.ndarray, landmarks: np.ndarray, eye: EyeIndices) -> np.ndarray:
    """A cartoon eye larger than the detected one (white and iris reaching past the landmark
    lids, as a 3D cartoon's big eyes do), drawn over ``rgb``; returns its white's mask."""
    up, lo = landmarks[list(eye.upper), :2], landmarks[list(eye.lower), :2]
    width = float(np.linalg.norm(landmarks[eye.outer, :2] - landmarks[eye.inner, :2]))
    drop = 0.06 * width  # the painted eye sits lower: its white shows under the landmark lid
    centre = (int(up[:, 0].mean()), int((up[:, 1].min() + lo[:, 1].max()) / 2 + drop))
    axes = (int(0.55 * width), int((lo[:, 1].max() - up[:, 1].min()) / 2 + 2 * drop))
    inner_axes = (axes[0] - 2, axes[1] - 2)
    cv2.ellipse(rgb, centre, axes, 0, 0, 360, (120, 40, 30), -1, cv2.LINE_AA)  # the rim
    cv2.ellipse(rgb, centre, inner_axes, 0, 0, 360, WHITE, -1, cv2.LINE_AA)
    iris = landmarks[eye.iris_center, :2]
    radius = float(np.linalg.norm(landmarks[list(eye.iris_ring), :2] - iris, axis=1).mean())
    iris_centre = (int(iris[0]), int(iris[1] + drop))
    cv2.circle(rgb, iris_centre, int(1.3 * radius), IRIS, -1, cv2.LINE_AA)
    cv2.circle(rgb, iris_centre, int(0.5 * radius), (15, 15, 20), -1, cv2.LINE_AA)
    mask = np.zeros(rgb.shape[:2], np.uint8)
    cv2.ellipse(mask, centre, inner_axes, 0, 0, 360, 1, -1)
    return mask > 0


def test_a_shut_lid_covers_an_eye_larger_than_its_landmarks() -> None:
    """No white or iris shows under a shut lid where the painted eye reaches past the landmark
    lids (measured 0.07 of the eye's pixels before the lids followed the visible eye, 0 now)."""
    small = load_image(bundled("astronaut.jpg"))
    rgb = cv2.resize(small, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    with FaceAnalyzer() as analyzer:
        landmarks = analyzer.landmarks(rgb)
    assert landmarks is not None
    masks = [_paint_big_eye(rgb, landmarks, eye) for eye in (RIGHT_EYE, LEFT_EYE)]
    rig = build_rig(rgb)
    for eye, mask in zip((RIGHT_EYE, LEFT_EYE), masks, strict=True):  # the defect is there
        outline = rig.face.landmarks[list(eye.upper) + list(eye.lower)[::-1], :2]
        opening = np.zeros(mask.shape, np.uint8)
        cv2.fillPoly(opening, [np.round(outline).astype(np.int32)], 1)
        assert (mask & (opening == 0)).sum() > 0.05 * mask.sum(), "the landmarks found it all"
    renderer = Renderer(rig, max(rgb.shape[:2]))
    shut = renderer.render(MotionFrame.of(eyeBlinkLeft=1.0, eyeBlinkRight=1.0))
    for mask in masks:
        px = shut[mask].astype(np.float32)
        white = np.linalg.norm(px - WHITE, axis=1) < 16
        iris = np.linalg.norm(px - IRIS, axis=1) < 30
        assert (white | iris).mean() < 0.01


LIT_LID = (236, 232, 228)  # the bare lid under top light: near the white of an eye
CREASE = (90, 60, 50)


def _paint_lit_lid(rgb: np.ndarray, landmarks: np.ndarray, eye: EyeIndices) -> None:
    """A lit lid strip between a dark crease and the lash line over ``eye`` (an old photo's
    top light, where the lid is as bright as the eye's white)."""
    upper = landmarks[list(eye.upper), :2]
    width = float(np.linalg.norm(landmarks[eye.outer, :2] - landmarks[eye.inner, :2]))
    strip = round(0.2 * width)
    for k in range(2, strip + 4):
        colour = LIT_LID if k < strip + 2 else CREASE
        line = np.round((upper - (0, k)) * 4).astype(np.int32)
        cv2.polylines(rgb, [line], False, colour, 2, cv2.LINE_AA, shift=2)


def _astronaut_at_2x() -> tuple[np.ndarray, np.ndarray]:
    """The bundled astronaut upscaled 2x (room to paint lid details) and its landmarks."""
    small = load_image(bundled("astronaut.jpg"))
    rgb = cv2.resize(small, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    with FaceAnalyzer() as analyzer:
        landmarks = analyzer.landmarks(rgb)
    assert landmarks is not None
    return rgb, landmarks


def _astronaut_rig_with(paint) -> Rig:
    """The rig of the 2x astronaut with ``paint(rgb, landmarks, eye)`` applied to both eyes."""
    rgb, landmarks = _astronaut_at_2x()
    for eye in (RIGHT_EYE, LEFT_EYE):
        paint(rgb, landmarks, eye)
    return build_rig(rgb)


def test_a_lit_lid_closed_over_the_eye_is_not_the_eye_white() -> None:
    """A shut lid whose skin is as bright as the eye's white shows skin, not an almond of white
    between the crease and the lashes: the share of the opening brighter than both most of the
    cheek and nine tenths of the open eye's whites (measured 0.33-0.36 before the lid took the
    skin's tone, 0.02-0.04 now; 0.24 on the open eye)."""
    rig = _astronaut_rig_with(_paint_lit_lid)
    renderer = Renderer(rig, max(rig.size))
    still = renderer.render(MotionFrame.of())
    shut = renderer.render(MotionFrame.of(eyeBlinkLeft=1.0, eyeBlinkRight=1.0))
    grey = np.float32([0.299, 0.587, 0.114])
    for eye in (RIGHT_EYE, LEFT_EYE):
        lm = rig.face.landmarks[:, :2]
        width = float(np.linalg.norm(lm[eye.outer] - lm[eye.inner]))
        lower = lm[list(eye.lower)]
        opening = _polygon_mask(still.shape, lm[list(eye.upper)], lower)
        below = np.float32([0, width])  # the cheek: 0.2 to 0.35 eye widths under the eye
        cheek = _polygon_mask(still.shape, lower + 0.2 * below, lower + 0.35 * below)
        lum_still, lum_shut = still @ grey, shut @ grey
        bright = max(
            0.9 * np.percentile(lum_still[opening], 90), np.percentile(lum_still[cheek], 90)
        )
        assert (lum_still[opening] >= bright).mean() > 0.1  # the open eye shows its white
        assert (lum_shut[opening] >= bright).mean() < 0.1


def _polygon_mask(shape: tuple[int, ...], top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """The area between two curves (points left to right, or in the landmarks' order)."""
    mask = np.zeros(shape[:2], np.uint8)
    points = np.vstack([top, bottom[::-1]])
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask > 0


CREASE_INK = (70, 45, 40)


def _paint_crease(rgb: np.ndarray, landmarks: np.ndarray, eye: EyeIndices) -> None:
    """A drawn lid crease over ``eye``: a dark line following the upper lid a fifth of an eye
    width above it (a caricature's or a cartoon's crease)."""
    upper = landmarks[list(eye.upper), :2]
    width = float(np.linalg.norm(landmarks[eye.outer, :2] - landmarks[eye.inner, :2]))
    line = np.round((upper - (0, 0.2 * width)) * 4).astype(np.int32)
    cv2.polylines(rgb, [line], False, CREASE_INK, max(2, round(0.04 * width)), cv2.LINE_AA, shift=2)


@pytest.fixture(scope="module")
def creased() -> Rig:
    """The astronaut with a drawn crease over both eyes."""
    return _astronaut_rig_with(_paint_crease)


@pytest.mark.parametrize("size", [512, 768])
def test_a_shut_lid_unfolds_under_the_skin_above_it(creased, size: int) -> None:
    """The lid unfolds over the eye while the skin above it (the brow's underside, half an
    eye width up) stays where it is, and both eyes re-detect shut (EAR under half of open;
    the benchmark counts shut under 0.6). Stretched down after the lid, that skin dragged a
    crease over the shut lashes as a second lid, which the tracker read as an open eye (the
    shared caricature's right eye: 0.87 of open): mean change 22-28 grey levels there then,
    0-1.5 now."""
    renderer = Renderer(creased, size)
    still = renderer.render(MotionFrame.of())
    shut = renderer.render(MotionFrame.of(eyeBlinkLeft=1.0, eyeBlinkRight=1.0))
    scale = size / max(creased.size)
    lm = creased.face.landmarks[:, :2] * scale
    for eye in (RIGHT_EYE, LEFT_EYE):
        upper = lm[list(eye.upper)]
        width = float(np.linalg.norm(lm[eye.outer] - lm[eye.inner]))
        above = _polygon_mask(still.shape, upper - (0, 0.55 * width), upper - (0, 0.4 * width))
        change = np.abs(still.astype(np.float32) - shut)[above].mean()
        assert change < 4.0, (eye.outer, change)
    with FaceAnalyzer() as analyzer:
        open_eyes, shut_eyes = analyzer.measure(still), analyzer.measure(shut)
    assert open_eyes is not None and shut_eyes is not None
    assert shut_eyes.ear_left < 0.5 * open_eyes.ear_left
    assert shut_eyes.ear_right < 0.5 * open_eyes.ear_right


SHADOW = (120, 85, 95)  # a mauve-brown eye shadow painted in the crease


def _paint_made_up_eye(rgb: np.ndarray, landmarks: np.ndarray, eye: EyeIndices) -> None:
    """Eye shadow in the crease over ``eye`` and a dark liner on its lash line (a made-up eye,
    as on the shared SadTalker photo)."""
    upper = landmarks[list(eye.upper), :2]
    width = float(np.linalg.norm(landmarks[eye.outer, :2] - landmarks[eye.inner, :2]))
    shadow = np.zeros(rgb.shape[:2], np.float32)
    for k in range(round(0.15 * width), round(0.3 * width)):
        line = np.round((upper - (0, k)) * 4).astype(np.int32)
        cv2.polylines(shadow, [line], False, 1.0, 2, cv2.LINE_AA, shift=2)
    shadow = cv2.GaussianBlur(shadow, (0, 0), 0.03 * width)[..., None]
    rgb[:] = np.round(rgb + (np.float32(SHADOW) - rgb) * 0.8 * shadow).astype(np.uint8)
    for k in range(max(2, round(0.06 * width))):
        line = np.round((upper - (0, k)) * 4).astype(np.int32)
        cv2.polylines(rgb, [line], False, INK, 2, cv2.LINE_AA, shift=2)


@pytest.fixture(scope="module")
def made_up() -> Rig:
    """The astronaut with eye shadow and liner over both eyes."""
    return _astronaut_rig_with(_paint_made_up_eye)


@pytest.mark.parametrize("size", [512, 768])
def test_a_shut_lid_is_skin_not_a_smear_of_its_makeup(made_up, size: int) -> None:
    """A shut made-up eye shows a lid of skin: the upper half of the rest opening (lid, not
    lashes, when shut) is nearer in colour to the skin under the eye than to the shadow
    smeared over it; and nothing changes beside the eye's corners (a lid shifted to the eye
    box's side drew a patch with a straight edge there). With a smooth membrane over the
    eye's surround (shadow, liner, corners) as the lid: 73-87 RGB levels from the skin and a
    mean change of 1.8-4.9 levels beside the corners; with the lid's own skin coming down:
    9-52 and 0.1-0.3 (the carried liner and the crease's shadow still tint the lid)."""
    renderer = Renderer(made_up, size)
    still = renderer.render(MotionFrame.of()).astype(np.float32)
    shut = renderer.render(MotionFrame.of(eyeBlinkLeft=1.0, eyeBlinkRight=1.0)).astype(np.float32)
    lm = made_up.face.landmarks[:, :2] * (size / max(made_up.size))
    for eye in (RIGHT_EYE, LEFT_EYE):
        width = float(np.linalg.norm(lm[eye.outer] - lm[eye.inner]))
        upper, lower = lm[list(eye.upper)], lm[list(eye.lower)]
        lid = _polygon_mask(still.shape, upper, (upper + lower[::1]) / 2)
        below = np.float32([0, width])
        cheek = _polygon_mask(still.shape, lower + 0.2 * below, lower + 0.35 * below)
        skin = np.median(still[cheek], axis=0)
        far = np.linalg.norm(np.median(shut[lid], axis=0) - skin)
        assert far < 60.0, (eye.outer, far)
        corners = np.sort(lm[[eye.inner, eye.outer], 0])
        x0, x1 = (round(c) for c in (corners[0] - 0.35 * width, corners[0] - 0.1 * width))
        x2, x3 = (round(c) for c in (corners[1] + 0.1 * width, corners[1] + 0.35 * width))
        y0, y1 = round(upper[:, 1].min() - 0.3 * width), round(lower[:, 1].max() + 0.1 * width)
        change = np.abs(shut - still)[y0:y1]
        beside = max(change[:, x0:x1].max(2).mean(), change[:, x2:x3].max(2).mean())
        assert beside < 1.0, (eye.outer, beside)


def test_an_eye_opened_wide_shows_no_pale_line_under_its_lashes(astronaut_rig: Rig) -> None:
    """Surprise (eyeWide) raises the upper lid: the eye it uncovers lies in the lid's shadow,
    as dark as the band under the resting lid. It was filled with the eye's flat white, a pale
    line drawn under the lashes on every portrait: 100 grey levels over that band on the
    astronaut at 1024 px (now within 10)."""
    from openlpm.render.eyes import EyePose

    renderer = Renderer(astronaut_rig, 1024)
    luma = np.float32([0.299, 0.587, 0.114])
    for side, eye in renderer.eyes.items():
        pose = EyePose(wide=0.7)
        _, cover, _ = eye._lids(pose)  # the opening between the raised lids
        ys = np.arange(eye.y0, eye.y1)[:, None]
        uncovered = (cover[..., 0] > 0.99) & (ys < eye.u[None] - 0.5)
        assert uncovered.sum() >= 20, f"the {side} lid did not rise"
        under_rest = (ys >= eye.u[None]) & (ys < eye.u[None] + 2) & uncovered.any(0)[None]
        rest_band = float((eye.draw(EyePose()) @ luma)[under_rest].mean())
        shown = float((eye.draw(pose) @ luma)[uncovered].mean())
        assert shown <= rest_band + 20, (side, shown, rest_band)


def test_a_raised_lid_uncovers_the_iris_not_a_streak_of_what_lay_under_it() -> None:
    """eyeWide lifts the upper lid above where it rests: the iris it uncovers is drawn as
    rings of the iris's own colours. Stretched up from the rows under the resting lid, a
    catchlight there (here a white dot painted just under the lid) became a white streak
    (11 white pixels in the uncovered part of the iris at 1024 px; the lashes' shadow, a
    dark cap)."""
    image = load_image(bundled("astronaut.jpg")).copy()
    with FaceAnalyzer() as analyzer:
        landmarks = analyzer.landmarks(image)
    assert landmarks is not None
    iris = landmarks[LEFT_EYE.iris_center, :2]
    upper = landmarks[list(LEFT_EYE.upper), :2]
    lid = np.interp(iris[0], *upper[np.argsort(upper[:, 0])].T)
    dot = (round(float(iris[0])), round(float(lid) + 1.5))
    cv2.circle(image, dot, 2, (255, 255, 255), -1, cv2.LINE_AA)
    renderer = Renderer(build_rig(image), 1024)
    eye, scale = renderer.eyes["Left"], 1024 / max(image.shape[:2])
    pose = MotionFrame.of(eyeWideLeft=1.0)
    drawn = eye.draw(EyePose(wide=1.0))
    rows = eye.ys - eye.y0
    raised = eye._lid_lines(EyePose(wide=1.0))[1] - eye.y0
    columns = np.abs(np.arange(drawn.shape[1])[None] + eye.x0 - iris[0] * scale) < 4
    uncovered = columns & (rows >= raised[None]) & (rows < (eye.u - eye.y0)[None])
    assert uncovered.sum() > 20, "the lid did not rise"
    white = drawn.min(2) > 200
    assert (white & uncovered).sum() == 0
    # And in the frame, the lid rose: the eye shows more of itself than at rest.
    frame, still = renderer.render(pose), renderer.render(MotionFrame.neutral())
    assert np.abs(frame.astype(int) - still.astype(int)).sum() > 0
