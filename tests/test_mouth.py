"""The mouth, measured from rendered pixels: the image's own teeth, the drawn interior's colours."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from openlpm.analysis import FaceAnalyzer
from openlpm.analysis.mouth_interior import inner_lip_mask, interior_stats, pixel_stats
from openlpm.character import Rig, build_rig
from openlpm.character import topology as T
from openlpm.motion import MotionFrame
from openlpm.render import Renderer
from openlpm.render.drawn_mouth import image_style
from openlpm.render.interior import InteriorSource, lip_curve


@pytest.fixture(scope="module")
def astro_drawn(astronaut_rig: Rig) -> Renderer:
    """The same portrait with its own interior withheld: every opening drawn."""
    return Renderer(astronaut_rig, 512, interior=InteriorSource.nothing(astronaut_rig.image))


@pytest.fixture(scope="module")
def mona(monalisa_rig: Rig) -> Renderer:
    return Renderer(monalisa_rig, 512)


def _opening(analyzer: FaceAnalyzer, renderer: Renderer, **pose: float) -> np.ndarray:
    """(N, 3) RGB pixels inside the re-detected inner-lip contour of a rendered pose."""
    frame = renderer.render(MotionFrame.of(**pose))
    m = analyzer.measure(frame)
    assert m is not None and m.mouth_gap > 0.04, f"the mouth did not open for {pose}"
    return frame[inner_lip_mask(frame.shape, m.landmarks)]


def _teeth(pixels: np.ndarray) -> np.ndarray:
    """The brightest third of the bright low-saturation pixels: teeth, not pale lip edges."""
    rgb = pixels.astype(np.float32)
    value, low = rgb.max(1), rgb.min(1)
    teeth = rgb[(value >= 150) & ((value - low) / np.maximum(value, 1) <= 0.35)]
    return teeth[teeth.sum(1) >= np.percentile(teeth.sum(1), 67)] if len(teeth) else teeth


def _colour_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Distance of the mean Lab colours of two pixel sets."""

    def lab(p: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(p.reshape(1, -1, 3).astype(np.uint8), cv2.COLOR_RGB2LAB)[0].mean(0)

    return float(np.linalg.norm(lab(a) - lab(b)))


def test_the_portraits_own_teeth_show_in_the_opening(analyzer, astro, astro_drawn, astronaut_rig):
    source = InteriorSource.from_image(astronaut_rig.image, astronaut_rig.face.landmarks)
    assert not source.empty, "the astronaut's parted lips show teeth"
    own_teeth = _teeth(astronaut_rig.image[source.mask > 0.5])
    rendered = _teeth(_opening(analyzer, astro, jawOpen=0.6))
    drawn = _teeth(_opening(analyzer, astro_drawn, jawOpen=0.6))
    assert len(rendered) >= 10 and len(drawn) >= 10
    own = _colour_distance(rendered, own_teeth)
    assert own < 15, f"the rendered teeth are {own:.1f} Lab units from the image's own"
    assert own < 0.5 * _colour_distance(drawn, own_teeth)


def test_upper_teeth_stay_with_the_head_while_the_jaw_drops(astro, astronaut_rig):
    """The image's upper teeth are the same pixels at two jaw openings (they ride with the
    head), while the lower lip travels."""
    source = InteriorSource.from_image(astronaut_rig.image, astronaut_rig.face.landmarks)
    upper = source.scaled(astro.size).upper > 0.9
    lm = astro.deformer.rest[: T.N_LANDMARKS, :2]
    lip = lip_curve(lm[list(T.LIP_INNER_UPPER)], np.arange(upper.shape[1], dtype=float))
    lip = np.nan_to_num(lip, nan=np.inf)
    teeth = upper & (np.arange(upper.shape[0])[:, None] >= lip[None] + 2)  # seen in the image
    assert teeth.sum() >= 30
    half, wide = (astro.render(MotionFrame.of(jawOpen=j)).astype(float) for j in (0.5, 1.0))
    # Most teeth pixels are the same (a few by the lip's edge are not: the lip lifts a little).
    assert np.median(np.abs(half[teeth] - wide[teeth]).max(1)) <= 3
    jaw_moved = np.roll(teeth, 6, axis=0)  # where they would be had they dropped with the jaw
    assert np.median(np.abs(half[teeth] - wide[jaw_moved]).max(1)) > 20


def test_drawn_interior_is_shaded_red_brown_not_black(analyzer, mona):
    for jaw in (0.6, 1.0):
        pixels = _opening(analyzer, mona, jawOpen=jaw)
        stats = pixel_stats(pixels)
        assert stats.dark <= 0.2, f"near-black share {stats.dark:.2f} at jawOpen={jaw}"
        value = pixels.max(1).astype(np.float32)
        assert value.std() > 12, "the cavity is shaded, not flat"
        cavity = pixels[(value > 40) & (value < 150)].astype(np.float32).mean(0)
        assert cavity[0] > cavity[1] + 10 and cavity[0] > cavity[2] + 5, f"not red: {cavity}"


def test_drawn_interior_shows_upper_teeth_under_the_upper_lip(analyzer, astro_drawn):
    frame = astro_drawn.render(MotionFrame.of(jawOpen=0.8))
    m = analyzer.measure(frame)
    stats = interior_stats(frame, m.landmarks)
    assert stats is not None and 0.05 < stats.teeth < 0.6


def test_lips_meet_fully_for_p_b_m_with_the_jaw_open(analyzer, astro):
    frame = astro.render(MotionFrame.of(jawOpen=0.6, mouthClose=0.6))
    assert analyzer.measure(frame).mouth_gap < 0.02


def test_neutral_reproduces_the_image_outside_the_lips(astro, astronaut_rig):
    """Parted lips close at rest by moving; everything else in the face box is the image."""
    frame = astro.render(MotionFrame.neutral())
    image = cv2.resize(astronaut_rig.image, astro.size, interpolation=cv2.INTER_AREA)
    lm = astro.deformer.rest[: T.N_LANDMARKS, :2]
    x0, y0 = np.floor(lm.min(0)).astype(int)
    x1, y1 = np.ceil(lm.max(0)).astype(int)
    lips = np.zeros(frame.shape[:2], np.uint8)
    outline = list(T.LIP_OUTER_UPPER + T.LIP_OUTER_LOWER[::-1])
    cv2.fillPoly(lips, [np.round(lm[outline]).astype(np.int32)], 1)
    moved = cv2.dilate(lips, np.ones((25, 25), np.uint8)).astype(bool)
    keep = ~moved[y0:y1, x0:x1]
    diff = frame[y0:y1, x0:x1][keep].astype(float) - image[y0:y1, x0:x1][keep].astype(float)
    psnr = 10 * np.log10(255.0**2 / max(np.mean(diff**2), 1e-9))
    assert psnr >= 40


def test_black_and_white_image_gets_a_monochrome_interior(analyzer, monalisa_rig):
    grey = cv2.cvtColor(cv2.cvtColor(monalisa_rig.image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    rig = build_rig(grey)
    assert image_style(rig.image, rig.face.landmarks) == "mono"
    assert image_style(monalisa_rig.image, monalisa_rig.face.landmarks) == "photo"
    pixels = _opening(analyzer, Renderer(rig, 512), jawOpen=0.8).astype(np.float32)
    assert np.abs(pixels - pixels.mean(1, keepdims=True)).max() <= 6


def test_bench_analysis_measures_the_interior_only_when_open(mona):
    from openlpm.bench.analyze import analyze_frames

    frames = [mona.render(MotionFrame.of(jawOpen=j)) for j in (0.0, 0.8)]
    trace = analyze_frames(frames, 25.0, identity_every_s=10).interior
    assert trace is not None and np.isnan(trace.dark[0])
    assert trace.dark[1] <= 0.2 and trace.saturation[1] > 0.2


def test_a_given_interior_source_is_what_the_opening_shows(analyzer, monalisa_rig):
    """The interface for references: any aligned image with a mask; its lower part follows
    the jaw from where ``lower_shift`` says that image's jaw is."""
    rig = monalisa_rig
    lm = rig.face.landmarks[:, :2]
    h, w = rig.image.shape[:2]
    texture = np.zeros_like(rig.image)
    texture[:] = (40, 200, 60)  # a green interior nobody would draw
    mask = np.zeros((h, w), np.float32)
    x0, x1 = int(lm[78, 0]) - 2, int(lm[308, 0]) + 3
    y0, y1 = int(lm[13, 1]) - 30, int(lm[14, 1]) + 60
    mask[y0:y1, x0:x1] = 1.0
    source = InteriorSource(texture, mask, mask.copy(), np.zeros(2, np.float32))
    pixels = _opening(analyzer, Renderer(rig, 512, interior=source), jawOpen=0.8)
    green = (pixels[:, 1] > pixels[:, 0] + 60) & (pixels[:, 1] > pixels[:, 2] + 60)
    assert green.mean() > 0.4
    with pytest.raises(ValueError, match="mask"):
        InteriorSource(texture, mask[:10], mask, np.zeros(2, np.float32))


def test_a_black_and_white_mouth_under_a_moustache_has_depth(monalisa_rig: Rig) -> None:
    """A black-and-white portrait with a dark moustache over the upper lip opens onto a mouth,
    not a grey smear: the tongue clearly lighter than the cavity above it. The moustache's
    dark median was taken for the lips' colour, and in grey the red tongue and the red-brown
    cavity were one tone (tongue 11 grey levels over the cavity; now 46)."""
    from openlpm.cli import bundled
    from openlpm.io.images import load_image

    grey = cv2.cvtColor(
        cv2.cvtColor(load_image(bundled("monalisa.jpg")), cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB
    )
    with FaceAnalyzer() as analyzer:
        landmarks = analyzer.landmarks(grey)
    assert landmarks is not None
    height = float(np.linalg.norm(landmarks[T.CHIN, :2] - landmarks[10, :2]))
    lip = landmarks[list(T.LIP_OUTER_UPPER), :2]
    moustache = np.vstack([lip, lip[::-1] - (0, 0.06 * height)])
    cv2.fillPoly(grey, [np.round(moustache).astype(np.int32)], (35, 35, 35), cv2.LINE_AA)
    renderer = Renderer(build_rig(grey), 512)
    assert renderer.mouth.palette.style == "mono"
    pose = MotionFrame.of(jawOpen=1.0)
    frame = renderer.render(pose)
    xy = renderer.deformer.rest[:, :2] + renderer.deformer.displacement(pose)
    contour = np.vstack([xy[list(T.LIP_INNER_UPPER)], xy[list(T.LIP_INNER_LOWER)][::-1]])
    mask = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(contour).astype(np.int32)], 1)
    mask = cv2.erode(mask, np.ones((3, 3), np.uint8)) > 0
    luma = frame.astype(np.float32) @ np.float32([0.299, 0.587, 0.114])
    rows = np.nonzero(mask.any(1))[0]
    depth = (np.arange(frame.shape[0])[:, None] - rows[0]) / (rows[-1] - rows[0])
    cavity = luma[mask & (depth >= 0.4) & (depth < 0.7)].mean()
    tongue = luma[mask & (depth >= 0.8)].mean()
    assert tongue - cavity >= 25


def test_drawn_lower_teeth_are_an_arch_of_the_front_teeth_not_a_strip() -> None:
    """Wide open, the drawn lower teeth show only in the middle, tallest there: an even strip
    along the whole lower lip (to 0.7 of the half-width, 4 px tall throughout at a 50 px
    half-width) read as a grey outline drawn round the opening."""
    from openlpm.render.drawn_mouth import MouthPalette, Opening, paint_interior

    colours = [[120, 40, 38], [40, 12, 12], [236, 230, 218], [200, 90, 96], [190, 70, 76]]
    palette = MouthPalette(*(np.float32(c) for c in [*colours, [110, 50, 50]]))
    half, rows, width = 50.0, 60, 101
    xs = np.arange(width) - 50.0
    top = 5 + 4 * (xs / half) ** 2  # an opening 0.9 half-widths tall in the middle
    bottom = 50 - 30 * (xs / half) ** 2
    opening = Opening(top, bottom, 50.0, half, rows)
    drawn = paint_interior(palette, opening, 0.0, teeth=True)
    bare = paint_interior(palette, opening, 0.0, teeth=False)
    ys = np.arange(rows)[:, None]
    lower_half = ys > (top + bottom)[None] / 2
    ink = np.where(lower_half, np.abs(drawn - bare).max(-1), 0)  # the teeth's paint per pixel
    height = ink.sum(0) / np.abs(palette.teeth - palette.cavity).max()  # ~ rows of tooth
    across = np.abs(xs) / half
    assert height[across > 0.5].max() < 0.3, "lower teeth beside the front ones"
    assert height[across < 0.05].mean() >= 1.3 * height[np.abs(across - 0.35) < 0.03].mean() > 0


def test_lips_closed_over_the_images_teeth_meet_on_one_smooth_line(astronaut_rig: Rig) -> None:
    """The astronaut smiles with her teeth: at rest the deformer closes her lips, squeezing the
    opening into a seam. Left to the squeezed image, the seam was a kinked pencil line with a
    pale core (its path 0.55 px rms off a smooth curve at 1024 px, 1.25 at worst); drawn, one
    soft line along the lips (0.07 px rms)."""
    renderer = Renderer(astronaut_rig, 1024)
    frame = renderer.render(MotionFrame.of())
    xy = renderer.deformer.rest[:, :2] + renderer.deformer.displacement(MotionFrame.of())
    up, lo = xy[list(T.LIP_INNER_UPPER)], xy[list(T.LIP_INNER_LOWER)]
    x0, x1 = up[:, 0].min(), up[:, 0].max()
    span = x1 - x0
    cols = np.arange(int(x0 + 0.15 * span), int(x1 - 0.15 * span))
    order = np.argsort(up[:, 0])
    mid = np.interp(cols, up[order, 0], ((up[:, 1] + lo[:, 1]) / 2)[order])
    luma = frame.astype(np.float32) @ np.float32([0.299, 0.587, 0.114])
    reach = int(0.03 * span) + 3
    path = []
    for col, m in zip(cols, mid, strict=True):
        rows = np.arange(round(m) - reach, round(m) + reach + 1)
        profile = luma[rows, col]
        assert np.median(profile) - profile.min() > 15, f"no dark line where the lips meet at {col}"
        weight = np.clip(np.median(profile) - profile, 0, None) ** 2  # the line's centre
        path.append((rows * weight).sum() / weight.sum())
    off = np.array(path) - np.polyval(np.polyfit(cols, path, 4), cols)
    assert np.sqrt((off**2).mean()) < 0.25 and np.abs(off).max() < 0.5, off


def test_drawn_upper_teeth_stay_in_the_jaw_when_the_lip_slopes_over_them() -> None:
    """Wide open ("ah"), the upper lip slopes down from its middle to the corners and hides
    the teeth there: the drawn teeth show under the middle of the lip only. Hung from every
    column of the lip, they drew a white rim down both sides of the opening (0.55-0.9 of the
    half-width, up to 7 rows of tooth in a column at a 50 px half-width)."""
    from openlpm.render.drawn_mouth import MouthPalette, Opening, paint_interior

    colours = [[120, 40, 38], [40, 12, 12], [236, 230, 218], [200, 90, 96], [190, 70, 76]]
    palette = MouthPalette(*(np.float32(c) for c in [*colours, [110, 50, 50]]))
    half, rows, width = 50.0, 70, 101
    xs = np.arange(width) - 50.0
    top = 5 + 30 * (xs / half) ** 2  # an arch: 30 px lower at the corners than in the middle
    bottom = 60 - 25 * (xs / half) ** 2
    opening = Opening(top, np.maximum(bottom, top), 50.0, half, rows)
    drawn = paint_interior(palette, opening, 0.0, teeth=True)
    bare = paint_interior(palette, opening, 0.0, teeth=False)
    ys = np.arange(rows)[:, None]
    upper_half = ys < (top + bottom)[None] / 2
    ink = np.where(upper_half, np.abs(drawn - bare).max(-1), 0)  # the teeth's paint per pixel
    height = ink.sum(0) / np.abs(palette.teeth - palette.cavity).max()  # ~ rows of tooth
    across = np.abs(xs) / half
    assert height[across < 0.1].mean() > 4, "no upper teeth under the middle of the lip"
    assert height[(across > 0.55) & (across < 0.9)].max() < 0.5, "teeth down the sloping sides"
    # And a level lip (a grin's crescent is curved the other way) keeps teeth along most of it.
    level = Opening(np.full(width, 5.0), np.full(width, 40.0), 50.0, half, rows)
    ink = np.abs(paint_interior(palette, level, 0.0) - paint_interior(palette, level, 0.0, False))
    level_ink = np.where(ys < 22, ink.max(-1), 0)
    level_height = level_ink.sum(0) / np.abs(palette.teeth - palette.cavity).max()
    assert level_height[across < 0.55].min() > 2


@pytest.mark.parametrize("portrait", ["astronaut_rig", "monalisa_rig"])
def test_a_wide_open_mouth_is_rounded_not_a_hexagon(portrait: str, request) -> None:
    """Wide open, the lower lip sags in a U and the upper one curves down to the corners: no
    sharp bend between neighbouring inner-lip landmarks (the lip curves drawn through them
    round what is left). A plateau over the middle of the jaw's opening profile left a
    flat-bottomed hexagon: bends of 34 (astronaut) and 44 degrees (Mona Lisa) at jawOpen 1,
    where the plateau met the slope to the corners; 20 and 30 with the parabola."""
    renderer = Renderer(request.getfixturevalue(portrait), 512)
    worst = 0.0
    for jaw in (0.5, 1.0):
        pose = MotionFrame.of(jawOpen=jaw)
        xy = renderer.deformer.rest[:, :2] + renderer.deformer.displacement(pose)
        for contour in (T.LIP_INNER_UPPER, T.LIP_INNER_LOWER):
            step = np.diff(xy[list(contour)], axis=0)
            heading = np.degrees(np.arctan2(step[:, 1], step[:, 0]))
            worst = max(worst, float(np.abs(np.diff(heading))[1:-1].max()))  # corners aside
    assert worst < {"astronaut_rig": 26.0, "monalisa_rig": 35.0}[portrait], worst
