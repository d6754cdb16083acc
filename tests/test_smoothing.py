"""openlpm.motion.smoothing gives scipy.ndimage's gaussian_filter1d without importing scipy."""

from __future__ import annotations

import numpy as np
import pytest

from openlpm.motion.smoothing import gaussian_filter1d


@pytest.mark.parametrize("mode", ["reflect", "nearest"])
@pytest.mark.parametrize("n", [1, 2, 5, 40, 1000])
@pytest.mark.parametrize("sigma", [0.5, 0.6, 2.3, 6.25, 37.5])
def test_gaussian_filter1d_gives_scipys_values(mode: str, n: int, sigma: float) -> None:
    from scipy.ndimage import gaussian_filter1d as scipy_filter

    x = np.random.default_rng(n).standard_normal(n) * 10.0
    ours, theirs = gaussian_filter1d(x, sigma, mode), scipy_filter(x, sigma, mode=mode)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_gaussian_filter1d_of_nothing_is_nothing() -> None:
    assert gaussian_filter1d(np.zeros(0), 3.0).shape == (0,)
