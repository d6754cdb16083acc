"""Close-up contact sheets of every portrait in a folder, as small JPEGs.

    python examples/closeup_sheets.py ../shared/data/portraits docs/contact-sheets

Per portrait: 2x face crops at 512 px of neutral, the mouth open 0.3/0.6/1.0, smile, grin,
surprise, blink, a glance left and the head turned +-15 degrees (openlpm.render.contact_sheet's
closeup_sheet, the same as ``openlpm poses --closeup``), written as closeup_<name>.jpg.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2

from openlpm.character import build_rig
from openlpm.io.images import load_image
from openlpm.render import Renderer
from openlpm.render.contact_sheet import closeup_sheet

QUALITY = 78  # JPEG quality: faces stay clean, a sheet stays a few hundred kB
MAX_WIDTH = 3200  # sheets of the largest faces are scaled down to this


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("portraits", type=Path, help="folder of portrait images")
    parser.add_argument("out", type=Path, help="folder to write the sheets to")
    parser.add_argument("--size", type=int, default=512, help="render size (default 512)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in sorted(args.portraits.iterdir()):
        if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            continue
        sheet = closeup_sheet(Renderer(build_rig(load_image(path)), args.size))
        if sheet.shape[1] > MAX_WIDTH:
            scale = MAX_WIDTH / sheet.shape[1]
            sheet = cv2.resize(sheet, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        target = args.out / f"closeup_{path.stem}.jpg"
        ok, data = cv2.imencode(
            ".jpg", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, QUALITY]
        )
        if not ok:
            raise SystemExit(f"could not encode {target}")
        target.write_bytes(data.tobytes())
        print(f"{target}: {sheet.shape[1]}x{sheet.shape[0]}, {len(data) // 1024} kB")


if __name__ == "__main__":
    main()
