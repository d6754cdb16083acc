"""Image loading and saving.

``load_image`` returns RGB uint8 and refuses anything it cannot decode *completely*. OpenCV is
no help there: for a truncated JPEG ``cv2.imread`` returns a grey-padded partial picture (with
only a libjpeg warning on stderr) and ``cv2.imdecode`` returns None, as for a non-image. So the
file structure is checked first: the JPEG end-of-image marker after the scan, the PNG ``IEND``
chunk. The header size is read before decoding, so a decompression bomb is refused without
allocating it, and big JPEGs are decoded at 1/2, 1/4 or 1/8 scale by libjpeg itself
(``IMREAD_REDUCED_COLOR_*``).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from openlpm.errors import ImageError
from openlpm.io.atomic import atomic_path

MAX_PIXELS = 100_000_000  # refuse bigger images: 100 MP is far beyond any useful portrait
_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_REDUCED = (
    (8, cv2.IMREAD_REDUCED_COLOR_8),
    (4, cv2.IMREAD_REDUCED_COLOR_4),
    (2, cv2.IMREAD_REDUCED_COLOR_2),
)
_STRIP_ROWS = 512  # alpha compositing works in strips to bound float temporaries


@dataclass(frozen=True)
class ImageHeader:
    kind: str  # "png", "jpeg" or "other"
    width: int = 0  # 0 when unknown (decoded by OpenCV without a pre-check)
    height: int = 0
    alpha: bool = False


def load_image(path: str | os.PathLike[str], max_side: int = 2048) -> np.ndarray:
    """Read an image as contiguous RGB uint8 (H, W, 3), downscaled so its long side <= max_side.

    Transparent pixels are composited over white (see :func:`_over_white`), grayscale becomes
    three channels, 16-bit becomes 8-bit. Raises :class:`ImageError` for a missing, empty,
    truncated, undecodable or oversized file.
    """
    if max_side < 1:
        raise ValueError(f"max_side must be positive, got {max_side}")
    name = Path(path).name
    data = _read_bytes(Path(path))
    header = read_header(data, name)
    if header.width * header.height > MAX_PIXELS:
        raise _too_big(name, header.width, header.height)
    bgr = _decode(data, header, max_side, name)
    if bgr.shape[0] * bgr.shape[1] > MAX_PIXELS:
        raise _too_big(name, bgr.shape[1], bgr.shape[0])
    bgr = _fit(bgr, max_side)
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def save_image(path: str | os.PathLike[str], rgb: np.ndarray) -> None:
    """Write an RGB uint8 image atomically; the format follows the suffix (.png, .jpg, ...)."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"save_image wants RGB uint8 (H, W, 3), got {rgb.dtype} {rgb.shape}")
    suffix = Path(path).suffix.lower()
    unsupported = ImageError(
        f"cannot write {Path(path).name}: unsupported image type {suffix or '(no suffix)'}; "
        "use .png or .jpg"
    )
    try:
        ok, buf = cv2.imencode(suffix, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    except cv2.error as e:
        raise unsupported from e
    if not ok:
        raise unsupported
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.tobytes())


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise ImageError(f"image not found: {path}; check the path")
    if not path.is_file():
        raise ImageError(f"{path} is not a file; give the path of an image file")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ImageError(f"cannot read {path}: {e.strerror or e}") from e
    if not data:
        raise ImageError(f"{path.name} is empty (0 bytes); give a PNG or JPEG image")
    return data


def read_header(data: bytes, name: str) -> ImageHeader:
    """Kind and size of PNG/JPEG ``data`` from its header alone (a size check before any
    decoding: decompression bombs); :class:`ImageError` if it is truncated."""
    if data.startswith(_PNG_SIG):
        return _png_header(data, name)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_header(data, name)
    return ImageHeader("other")


def _truncated(name: str, kind: str) -> ImageError:
    return ImageError(
        f"{name} is a truncated {kind} (the file ends early); re-export or re-download it"
    )


def _too_big(name: str, width: int, height: int) -> ImageError:
    return ImageError(
        f"{name} is {width}x{height} ({width * height / 1e6:.0f} megapixels), above the "
        f"{MAX_PIXELS // 1_000_000} MP limit; downscale it first"
    )


def _png_header(data: bytes, name: str) -> ImageHeader:
    """Walk the PNG chunks: the image is complete only if the ``IEND`` chunk is reached."""
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise _truncated(name, "PNG")
    width, height, _depth, color = struct.unpack(">IIBB", data[16:26])
    alpha = color in (4, 6)  # grey+alpha, RGBA; palette/grey/RGB may carry alpha in tRNS
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IEND":
            return ImageHeader("png", width, height, alpha)
        alpha = alpha or kind == b"tRNS"
        pos += 12 + length
    raise _truncated(name, "PNG")


def _jpeg_header(data: bytes, name: str) -> ImageHeader:
    """Walk the JPEG marker segments to the frame size; the file must end its scan with EOI."""
    pos, size, n = 2, None, len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            raise ImageError(f"{name} is a corrupt JPEG (bad marker at byte {pos}); re-export it")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        if marker in _JPEG_SOF and pos + 9 <= n:
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            size = (width, height)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            if size is None:
                raise ImageError(f"{name} is a corrupt JPEG (no frame header); re-export it")
            # 0xFFD9 cannot occur inside entropy-coded data (0xFF is byte-stuffed there).
            if data.find(b"\xff\xd9", pos) < 0:
                raise _truncated(name, "JPEG")
            return ImageHeader("jpeg", *size)
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    raise _truncated(name, "JPEG")


def _decode(data: bytes, header: ImageHeader, max_side: int, name: str) -> np.ndarray:
    """Decode to BGR uint8 (H, W, 3), alpha already composited over white."""
    buf = np.frombuffer(data, dtype=np.uint8)
    flags = cv2.IMREAD_UNCHANGED if header.alpha or header.kind == "other" else cv2.IMREAD_COLOR
    if header.kind == "jpeg":
        flags = _jpeg_flags(header, max_side)
    try:
        img = cv2.imdecode(buf, flags)
    except cv2.error as e:
        raise ImageError(f"cannot decode {name}: {e.err}; re-export it as PNG or JPEG") from e
    if img is None or img.size == 0:
        raise ImageError(f"{name} is not an image OpenCV can read; give a PNG or JPEG image")
    return _to_bgr8(img)


def _jpeg_flags(header: ImageHeader, max_side: int) -> int:
    """The coarsest libjpeg DCT scaling that still leaves at least max_side on the long side."""
    long_side = max(header.width, header.height)
    for factor, flag in _REDUCED:
        if long_side // factor >= max_side:
            return flag
    return cv2.IMREAD_COLOR


def _to_bgr8(img: np.ndarray) -> np.ndarray:
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3 and img.shape[2] == 2:  # grey + alpha (OpenCV usually expands it itself)
        img = np.dstack([img[:, :, 0]] * 3 + [img[:, :, 1]])
    if img.ndim == 3 and img.shape[2] == 4:
        return _over_white(img)
    img = _to_uint8(img)
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img


def _to_uint8(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.uint16:
        return (img >> 8).astype(np.uint8)
    return (np.clip(img.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _over_white(bgra: np.ndarray) -> np.ndarray:
    """Composite straight (non-premultiplied) alpha over white.

    White, not black: cut-out characters are drawn on white paper in most art, the RGB under
    fully transparent pixels is often garbage or black, and a white surround gives the face and
    segmentation models a plain, bright backdrop instead of a dark halo around the character.
    """
    out = np.empty((*bgra.shape[:2], 3), dtype=np.uint8)
    peak = 65535.0 if bgra.dtype == np.uint16 else 255.0 if bgra.dtype == np.uint8 else 1.0
    for y in range(0, bgra.shape[0], _STRIP_ROWS):
        strip = bgra[y : y + _STRIP_ROWS].astype(np.float32) / peak
        alpha = strip[:, :, 3:4]
        rgb = strip[:, :, :3] * alpha + (1.0 - alpha)
        out[y : y + _STRIP_ROWS] = np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out


def _fit(img: np.ndarray, max_side: int) -> np.ndarray:
    height, width = img.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1.0:
        return img
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)
