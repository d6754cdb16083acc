"""scipy.ndimage's ``gaussian_filter1d`` (order 0, modes ``reflect`` and ``nearest``), in numpy.

Behaviour and prompt styles smooth their curves with it while a live session runs; importing
scipy.ndimage for that costs a long-lived process 28 MB of memory. This gives scipy's result to
float precision: the same kernel (truncated at 4 sigma) and the same edge handling
(``tests/test_smoothing.py`` compares them).
"""

from __future__ import annotations

import numpy as np

# scipy.ndimage's boundary modes, as np.pad names them: 'reflect' repeats the edge sample
# (d c b a | a b c d), which numpy calls 'symmetric'; 'nearest' repeats it forever.
_PAD_MODES = {"reflect": "symmetric", "nearest": "edge"}


def gaussian_filter1d(
    x: np.ndarray, sigma: float, mode: str = "reflect", truncate: float = 4.0
) -> np.ndarray:
    """``scipy.ndimage.gaussian_filter1d(x, sigma, mode=mode, truncate=truncate)`` for 1-D
    ``x``, as float64."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x.copy()
    radius = int(truncate * float(sigma) + 0.5)
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 / (float(sigma) * float(sigma)) * offsets**2)
    kernel /= kernel.sum()
    padded = np.pad(x, radius, mode=_PAD_MODES[mode])
    return np.convolve(padded, kernel, mode="valid")
