"""Store the vectors of the prompt vocabulary's phrasings, so that the first free-text prompt
only embeds its own clause (the ~270 phrasings take a second of CPU):

    python tools/store_prompt_phrasings.py src/openlpm/assets/models

Writes ``minilm_l6_v2_phrasings.npz`` (texts, vectors) with the shipped model. Run it after
changing the model or the vocabulary; a phrasing missing from the file is embedded at run
time instead (correct, only slower), and ``tests/test_prompts.py`` checks the stored vectors
against the model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from openlpm.prompts.embed import MODEL, embed, phrasings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    texts = sorted(set(phrasings()[0]))
    target = args.out_dir / f"{MODEL}_phrasings.npz"
    np.savez_compressed(target, texts=np.array(texts), vectors=embed(texts))
    print(f"{target}: {len(texts)} phrasings, {target.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
