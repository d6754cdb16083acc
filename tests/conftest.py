"""Shared fixtures: rigs of the bundled portraits (built once per test session)."""

from __future__ import annotations

import pytest

from openlpm.character import Rig, build_rig
from openlpm.cli import bundled
from openlpm.io.images import load_image


@pytest.fixture(scope="session")
def monalisa_rig() -> Rig:
    """A painting with a closed mouth, slightly turned."""
    return build_rig(load_image(bundled("monalisa.jpg")))


@pytest.fixture(scope="session")
def astronaut_rig() -> Rig:
    """A frontal photo, smiling with parted lips."""
    return build_rig(load_image(bundled("astronaut.jpg")))
