"""Face analysis from pixels: sane values on the bundled portraits and the sign conventions."""

from __future__ import annotations

from importlib import resources

import cv2
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from openlpm.analysis import (
    FaceAnalyzer,
    FaceMeasurement,
    head_pose_from_landmarks,
    measure_landmarks,
    measure_video,
)
from openlpm.analysis.face_measure import (
    BROW_LEFT,
    EYE_LEFT,
    EYE_RIGHT,
    INNER_LIP_PAIRS,
    IRIS_CENTRE_LEFT,
    IRIS_CENTRE_RIGHT,
    MOUTH_CORNERS,
    NUM_LANDMARKS,
)
from openlpm.analysis.head_pose import REFERENCE_POINTS

PORTRAITS = ("astronaut.jpg", "monalisa.jpg")
CHEEK_LEFT, CHEEK_RIGHT = 280, 50  # mediapipe cheek landmarks, character's left / right


def load_asset(name: str) -> np.ndarray:
    data = resources.files("openlpm").joinpath("assets", name).read_bytes()
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def flip(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb[:, ::-1])


def rotate(rgb: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate clockwise on screen by ``degrees``: the top of the head moves to image right."""
    height, width = rgb.shape[:2]
    # cv2's positive angle is counter-clockwise on screen, hence the minus.
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -degrees, 1.0)
    return cv2.warpAffine(rgb, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)


def cover_eye(
    rgb: np.ndarray, face: FaceMeasurement, eye: tuple[int, ...], cheek: int
) -> np.ndarray:
    """Paint a soft-edged patch of the cheek's colour over one eye."""
    points = face.landmarks[list(eye), :2]
    centre = points.mean(axis=0)
    width = float(np.linalg.norm(points[0] - points[3]))
    cx, cy = face.landmarks[cheek, :2].astype(int)
    colour = rgb[cy - 2 : cy + 3, cx - 2 : cx + 3].reshape(-1, 3).mean(axis=0)
    mask = np.zeros(rgb.shape[:2], np.float32)
    axes = (int(width * 0.75), int(width * 0.45))
    cv2.ellipse(mask, (int(centre[0]), int(centre[1])), axes, 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), width * 0.08)[..., None]
    return (rgb * (1.0 - mask) + colour * mask).astype(np.uint8)


@pytest.fixture(scope="module")
def portraits(analyzer: FaceAnalyzer) -> dict[str, tuple[np.ndarray, FaceMeasurement]]:
    found = {}
    for name in PORTRAITS:
        rgb = load_asset(name)
        face = analyzer.measure(rgb)
        assert face is not None, f"no face found in {name}"
        found[name] = (rgb, face)
    return found


@pytest.mark.parametrize("name", PORTRAITS)
def test_portrait_measures_are_sane(portraits, name: str) -> None:
    rgb, face = portraits[name]
    assert face.landmarks.shape == (NUM_LANDMARKS, 3)
    assert face.landmarks.dtype == np.float32
    assert 0.15 * rgb.shape[0] < face.face_height < 0.5 * rgb.shape[0]
    assert 0.25 < face.ear_left < 0.45 and 0.25 < face.ear_right < 0.45  # both eyes open
    assert 0.2 < face.mouth_width < 0.6
    assert 0.05 < face.brow_height < 0.2  # brows above the eyes
    for dx, dy in (face.iris_left, face.iris_right):
        assert abs(dx) < 0.2 and abs(dy) < 0.2  # irises inside the eyes
    assert abs(face.roll) < 5
    assert abs(face.pitch) < 15  # per-face offset of a few degrees, see head_pose's docstring


def test_portrait_expressions_differ(portraits) -> None:
    smile = portraits["astronaut.jpg"][1]  # open smile showing teeth
    closed = portraits["monalisa.jpg"][1]  # closed lips
    assert smile.mouth_gap > 0.04 and closed.mouth_gap < 0.02
    assert smile.mouth_corner_lift > 0.04
    assert smile.mouth_width > closed.mouth_width + 0.08


def test_yaw_sign_follows_the_nose(portraits) -> None:
    # The Mona Lisa turns toward her own right: nose left of the eyes' midpoint in the image.
    face = portraits["monalisa.jpg"][1]
    eyes_mid_x = (face.landmarks[33, 0] + face.landmarks[263, 0]) / 2
    assert face.landmarks[1, 0] < eyes_mid_x - 5
    assert face.yaw < -5
    assert abs(portraits["astronaut.jpg"][1].yaw) < 5  # near frontal


@pytest.mark.parametrize("name", PORTRAITS)
def test_flip_negates_yaw_and_roll(analyzer, portraits, name: str) -> None:
    rgb, face = portraits[name]
    mirrored = analyzer.measure(flip(rgb))
    assert mirrored is not None
    assert mirrored.yaw == pytest.approx(-face.yaw, abs=3.0)
    assert mirrored.roll == pytest.approx(-face.roll, abs=2.0)
    assert mirrored.pitch == pytest.approx(face.pitch, abs=3.0)


@pytest.mark.parametrize("name", PORTRAITS)
@pytest.mark.parametrize("degrees", [8.0, -8.0])
def test_rotation_reads_as_roll(analyzer, portraits, name: str, degrees: float) -> None:
    rgb, face = portraits[name]
    turned = analyzer.measure(rotate(rgb, degrees))
    assert turned is not None
    assert turned.roll - face.roll == pytest.approx(degrees, abs=2.0)


@pytest.mark.parametrize("name", PORTRAITS)
@pytest.mark.parametrize("side", ["left", "right"])
def test_covered_eye_reads_closed(analyzer, portraits, name: str, side: str) -> None:
    rgb, face = portraits[name]
    eye, cheek = (EYE_LEFT, CHEEK_LEFT) if side == "left" else (EYE_RIGHT, CHEEK_RIGHT)
    covered = analyzer.measure(cover_eye(rgb, face, eye, cheek))
    assert covered is not None
    hidden, shown = (covered.ear_left, covered.ear_right)[:: 1 if side == "left" else -1]
    shown_before = face.ear_right if side == "left" else face.ear_left
    assert hidden < 0.65 * shown
    assert shown == pytest.approx(shown_before, abs=0.05)


def test_flip_swaps_the_eyes(analyzer, portraits) -> None:
    # The character's left eye is covered; in the mirror image it becomes the right eye.
    rgb, face = portraits["astronaut.jpg"]
    mirrored = analyzer.measure(flip(cover_eye(rgb, face, EYE_LEFT, CHEEK_LEFT)))
    assert mirrored is not None
    assert mirrored.ear_right < 0.65 * mirrored.ear_left


def test_no_face_gives_none(analyzer) -> None:
    gradient = np.linspace(0, 255, 320, dtype=np.uint8)
    image = np.ascontiguousarray(np.broadcast_to(gradient[None, :, None], (240, 320, 3)))
    assert analyzer.measure(image) is None


def test_rejects_non_rgb(analyzer) -> None:
    with pytest.raises(ValueError, match="RGB"):
        analyzer.measure(np.zeros((64, 64), np.uint8))


def test_measure_video_tracks_a_rolling_head(portraits) -> None:
    rgb = portraits["astronaut.jpg"][0]
    angles = [0.0, 3.0, 6.0, 9.0, 12.0]
    done: list[int] = []
    faces = measure_video((rotate(rgb, a) for a in angles), progress=done.append)
    assert done == [1, 2, 3, 4, 5]
    assert all(face is not None for face in faces)
    rolls = np.array([face.roll for face in faces])
    assert rolls[-1] - rolls[0] == pytest.approx(12.0, abs=2.5)
    assert np.all(np.diff(rolls) > 0)


def test_measures_move_the_documented_way(portraits) -> None:
    # Nudge real landmarks and check each measure's sign convention (image x right, y down).
    rgb, face = portraits["astronaut.jpg"]
    size = (rgb.shape[1], rgb.shape[0])
    nudge = 0.02 * face.face_height  # pixels

    def nudged(indices, dx: float, dy: float) -> FaceMeasurement:
        landmarks = face.landmarks.copy()
        landmarks[list(indices), :2] += (dx, dy)
        return measure_landmarks(landmarks, size)

    assert nudged([IRIS_CENTRE_LEFT], nudge, 0).iris_left[0] > face.iris_left[0] + 0.05
    assert nudged([IRIS_CENTRE_RIGHT], 0, nudge).iris_right[1] > face.iris_right[1] + 0.05
    lower_lip = [lower for _upper, lower in INNER_LIP_PAIRS]
    assert nudged(lower_lip, 0, nudge).mouth_gap == pytest.approx(face.mouth_gap + 0.02, abs=1e-3)
    assert nudged(MOUTH_CORNERS, 0, -nudge).mouth_corner_lift > face.mouth_corner_lift + 0.015
    assert nudged(BROW_LEFT, 0, -nudge).brow_height_left > face.brow_height_left + 0.015
    assert nudged(BROW_LEFT, 0, -nudge).brow_height_right == face.brow_height_right


# Head pose maths on exactly projected reference points, independent of mediapipe.

SIZE = (640, 480)
FOCAL = float(SIZE[0])


def project(rotation: Rotation, centre=(0.0, 0.0, 60.0)) -> np.ndarray:
    """Project the reference face, turned by ``rotation`` (OpenCV axes), into a 640x480 image."""
    landmarks = np.zeros((NUM_LANDMARKS, 2))
    for index, (x, y, z) in REFERENCE_POINTS.items():
        point = rotation.apply((x, -y, -z)) + centre  # model y up / z toward camera -> OpenCV
        landmarks[index] = FOCAL * point[:2] / point[2] + np.array(SIZE) / 2
    return landmarks


def test_head_pose_is_relative_to_the_line_of_sight() -> None:
    # A frontal picture moved around the frame (as in a crop of a photo) still reads frontal;
    # not exactly, since a 2-D shift is not quite how perspective shows an off-centre face.
    frontal = project(Rotation.identity())
    for shift in [(0.0, 0.0), (0.0, -150.0), (-150.0, 0.0), (100.0, 80.0)]:
        pose = head_pose_from_landmarks(frontal + shift, SIZE)
        assert (pose.yaw, pose.pitch, pose.roll) == pytest.approx((0, 0, 0), abs=1.5)
    # A face facing along the optical axis but 20 cm above it is seen from below: chin up.
    below = head_pose_from_landmarks(project(Rotation.identity(), (0.0, -20.0, 60.0)), SIZE)
    assert below.pitch == pytest.approx(np.degrees(np.arctan2(20, 60)), abs=0.1)


def test_head_pose_signs_match_their_image_meaning() -> None:
    # Rotations about the head's vertical axis, its ear-to-ear axis and the line of sight;
    # each case first checks what the image shows, then the angle read back.
    nose, left_eye, right_eye, forehead = 4, 263, 33, 10
    frontal = project(Rotation.identity())
    # Turned about the vertical axis (OpenCV y points down; -y is the head's up).
    turned = project(Rotation.from_rotvec([0.0, -np.radians(12), 0.0]))
    nose_offset = turned[nose, 0] - (turned[left_eye, 0] + turned[right_eye, 0]) / 2
    assert nose_offset > 5  # nose moved to image right
    assert head_pose_from_landmarks(turned, SIZE).yaw == pytest.approx(12, abs=0.5)
    # Tipped about the ear-to-ear axis so that the nose tip rises relative to the forehead.
    tipped = project(Rotation.from_rotvec([-np.radians(12), 0.0, 0.0]))
    rise = (frontal[nose, 1] - frontal[forehead, 1]) - (tipped[nose, 1] - tipped[forehead, 1])
    assert rise > 5  # chin up: the nose tip climbs toward the forehead
    assert head_pose_from_landmarks(tipped, SIZE).pitch == pytest.approx(12, abs=0.5)
    # Rolled about the line of sight.
    rolled = project(Rotation.from_rotvec([0.0, 0.0, np.radians(12)]))
    assert rolled[forehead, 0] > frontal[forehead, 0] + 5  # top of the head to image right
    assert head_pose_from_landmarks(rolled, SIZE).roll == pytest.approx(12, abs=0.5)
