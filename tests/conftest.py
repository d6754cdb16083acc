"""Shared fixtures: rigs of the bundled portraits (built once per test session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openlpm.analysis.face_measure import FaceAnalyzer
from openlpm.character import Rig, build_rig
from openlpm.cli import bundled
from openlpm.io.images import load_image
from openlpm.render import Renderer


@pytest.fixture(scope="session")
def monalisa_rig() -> Rig:
    """A painting with a closed mouth, slightly turned."""
    return build_rig(load_image(bundled("monalisa.jpg")))


@pytest.fixture(scope="session")
def astronaut_rig() -> Rig:
    """A frontal photo, smiling with parted lips."""
    return build_rig(load_image(bundled("astronaut.jpg")))


@pytest.fixture(scope="module")
def analyzer() -> Iterator[FaceAnalyzer]:
    """Re-detects the face in rendered frames (one per test module: it keeps tracking state)."""
    with FaceAnalyzer() as face_analyzer:
        yield face_analyzer


@pytest.fixture(scope="module")
def astro(astronaut_rig: Rig) -> Renderer:
    """The bundled astronaut's renderer at 512 px."""
    return Renderer(astronaut_rig, 512)
