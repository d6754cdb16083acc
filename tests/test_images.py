"""load_image / save_image: formats, alpha, truncation, bombs and big-image downscaling."""

from __future__ import annotations

import os
import struct
import tracemalloc
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from openlpm.errors import ImageError, InputError
from openlpm.io.images import MAX_PIXELS, load_image, save_image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(rows: list[bytes], width: int, color: int, depth: int, height: int | None = None) -> bytes:
    """A minimal PNG (any color type / depth OpenCV's writer cannot produce, e.g. grey+alpha)."""
    ihdr = struct.pack(">IIBBBBB", width, height or len(rows), depth, color, 0, 0, 0)
    idat = zlib.compress(b"".join(b"\0" + r for r in rows))
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def _gradient(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.dstack(
        [x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)]
    ).astype(np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_roundtrip_rgb(tmp_path: Path, suffix: str) -> None:
    rgb = _gradient(60, 80)
    rgb[10:20, 10:20] = (255, 0, 0)  # red stays red: channel order is RGB, not BGR
    save_image(tmp_path / f"a{suffix}", rgb)
    out = load_image(tmp_path / f"a{suffix}")
    assert out.shape == (60, 80, 3) and out.dtype == np.uint8 and out.flags.c_contiguous
    error = np.abs(out.astype(int) - rgb)
    if suffix == ".png":
        assert error.max() == 0
    else:  # lossy, and chroma subsampling blurs the red square's edges
        assert error.mean() < 3
    assert tuple(out[15, 15]) == pytest.approx((255, 0, 0), abs=30)
    assert [p.name for p in tmp_path.iterdir()] == [f"a{suffix}"]  # no temp file left


def test_grayscale_becomes_three_channels(tmp_path: Path) -> None:
    gray = np.tile(np.arange(64, dtype=np.uint8) * 4, (32, 1))
    cv2.imwrite(str(tmp_path / "g.png"), gray)
    out = load_image(tmp_path / "g.png")
    assert out.shape == (32, 64, 3)
    assert np.array_equal(out[:, :, 0], gray) and np.array_equal(out[:, :, 2], gray)


def test_rgba_composited_over_white(tmp_path: Path) -> None:
    bgra = np.zeros((4, 3, 4), dtype=np.uint8)
    bgra[:, 0] = (0, 0, 0, 0)  # transparent black -> white
    bgra[:, 1] = (255, 0, 0, 255)  # opaque blue stays blue
    bgra[:, 2] = (0, 0, 0, 128)  # half-transparent black -> mid grey
    cv2.imwrite(str(tmp_path / "a.png"), bgra)
    out = load_image(tmp_path / "a.png")
    assert tuple(out[0, 0]) == (255, 255, 255)
    assert tuple(out[0, 1]) == (0, 0, 255)
    assert np.all(np.abs(out[0, 2].astype(int) - 127) <= 1)


def test_grey_alpha_and_16_bit_png(tmp_path: Path) -> None:
    ga8 = _png([bytes([0, 0, 0, 255, 200, 255])], width=3, color=4, depth=8)
    ga16 = _png([struct.pack(">6H", 0, 0, 0, 65535, 65535, 32768)], width=3, color=4, depth=16)
    rgb16 = _png([struct.pack(">6H", 65535, 0, 0, 0, 0, 65535)], width=2, color=2, depth=16)
    for name, data in (("ga8.png", ga8), ("ga16.png", ga16), ("rgb16.png", rgb16)):
        (tmp_path / name).write_bytes(data)
    assert load_image(tmp_path / "ga8.png")[0].tolist() == [[255] * 3, [0] * 3, [200] * 3]
    ga = load_image(tmp_path / "ga16.png")[0]
    assert ga[0].tolist() == [255] * 3 and ga[1].tolist() == [0] * 3
    assert ga[2].tolist() == [255] * 3  # white at half alpha over white is white
    assert load_image(tmp_path / "rgb16.png")[0].tolist() == [[255, 0, 0], [0, 0, 255]]


@pytest.mark.parametrize(("name", "data", "problem"), [
    ("empty.png", b"", "empty"),
    ("text.png", b"hello, this is not an image\n" * 10, "not an image"),
])  # fmt: skip
def test_unusable_files(tmp_path: Path, name: str, data: bytes, problem: str) -> None:
    (tmp_path / name).write_bytes(data)
    with pytest.raises(ImageError, match=problem):
        load_image(tmp_path / name)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="not found"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="not a file"):
        load_image(tmp_path)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
@pytest.mark.parametrize("keep", [0.5, 0.97])
def test_truncated(tmp_path: Path, suffix: str, keep: float) -> None:
    rgb = (np.random.default_rng(0).random((120, 160, 3)) * 255).astype(np.uint8)
    save_image(tmp_path / f"full{suffix}", rgb)
    data = (tmp_path / f"full{suffix}").read_bytes()
    (tmp_path / f"cut{suffix}").write_bytes(data[: int(len(data) * keep)])
    kind = "PNG" if suffix == ".png" else "JPEG"
    with pytest.raises(ImageError, match=f"truncated {kind}"):
        load_image(tmp_path / f"cut{suffix}")


def test_jpeg_with_trailing_bytes_is_fine(tmp_path: Path) -> None:
    save_image(tmp_path / "a.jpg", _gradient(40, 40))
    (tmp_path / "b.jpg").write_bytes((tmp_path / "a.jpg").read_bytes() + b"\0" * 100)
    assert load_image(tmp_path / "b.jpg").shape == (40, 40, 3)


def test_decompression_bomb_refused_from_header(tmp_path: Path) -> None:
    # The PNG claims 20000x20000 but holds one row: refused before any decoding.
    (tmp_path / "bomb.png").write_bytes(_png([b"\0\0\0"], width=1, color=2, depth=8, height=20000))
    data = bytearray((tmp_path / "bomb.png").read_bytes())
    data[16:24] = struct.pack(">II", 20000, 20000)
    (tmp_path / "bomb.png").write_bytes(bytes(data))
    with pytest.raises(ImageError, match=r"20000x20000 .*limit"):
        load_image(tmp_path / "bomb.png")
    # Same for a JPEG whose frame header is patched to 12000x12000.
    save_image(tmp_path / "small.jpg", _gradient(16, 16))
    jpeg = bytearray((tmp_path / "small.jpg").read_bytes())
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = struct.pack(">HH", 12000, 12000)
    (tmp_path / "bomb.jpg").write_bytes(bytes(jpeg))
    assert MAX_PIXELS < 12000 * 12000
    with pytest.raises(ImageError, match="megapixels"):
        load_image(tmp_path / "bomb.jpg")


def test_huge_jpeg_is_downscaled_while_decoding(tmp_path: Path) -> None:
    big = np.full((8000, 6000, 3), 128, dtype=np.uint8)  # built from ramps: no int64 grids
    big[:, :, 0] = (np.arange(6000) * 255 // 6000).astype(np.uint8)
    big[:, :, 1] = (np.arange(8000) * 255 // 8000).astype(np.uint8)[:, None]
    save_image(tmp_path / "big.jpg", big)
    del big
    tracemalloc.start()
    try:
        out = load_image(tmp_path / "big.jpg", max_side=1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.shape == (1024, 768, 3)
    assert peak < 40e6  # a full decode alone would be 144 MB; 1/4 scale is 9 MB
    assert abs(int(out[512, 700, 0]) - 700.5 * 255 / 768) <= 3  # red ramps with x


def test_large_png_is_downscaled(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "wide.png"), _gradient(300, 3000))
    out = load_image(tmp_path / "wide.png", max_side=1000)
    assert out.shape == (100, 1000, 3)


def test_save_image_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"unsupported image type \.xyz"):
        save_image(tmp_path / "a.xyz", _gradient(8, 8))
    assert list(tmp_path.iterdir()) == []


def test_save_image_permissions_and_bad_folder(tmp_path: Path) -> None:
    save_image(tmp_path / "a.png", _gradient(8, 8))
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.png").stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(InputError, match="cannot write to"):
        save_image(tmp_path / "file.txt" / "b.png", _gradient(8, 8))
