"""The sentence-embedding matcher: a clause -> the vocabulary entry with the closest phrasing.

The model is all-MiniLM-L6-v2 (the same weights sentence-transformers loads), exported to ONNX
with int8 weights and float32 arithmetic by ``tools/export_prompt_model.py`` and shipped in
``openlpm/assets/models``.
It runs with onnxruntime and the model's own tokenizer (the ``tokenizers`` package), loaded once
per process and only when a clause needs it. Mean pooling and normalisation, the
sentence-transformers head, are done here.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from openlpm.heap import release_free_memory
from openlpm.prompts.vocabulary import VOCABULARY

MODEL = "minilm_l6_v2"
MAX_TOKENS = 256  # the model's max_seq_length in sentence-transformers
BATCH = 64


@dataclass(frozen=True)
class Match:
    name: str  # the best entry
    score: float  # its cosine similarity, -1..1


@functools.cache
def load_model() -> tuple[Any, Any]:
    """(tokenizer, onnxruntime session), loaded on first use and kept for the process."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    folder = resources.files("openlpm") / "assets" / "models"
    tokenizer = Tokenizer.from_str((folder / f"{MODEL}_tokenizer.json").read_text("utf-8"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # a clause takes milliseconds; keep the renderer's cores
    options.enable_cpu_mem_arena = False  # a live session keeps what it grew to: keep it small
    session = ort.InferenceSession(
        str(folder / f"{MODEL}.onnx"), options, providers=["CPUExecutionProvider"]
    )
    return tokenizer, session


def _embed_batch(texts: Sequence[str]) -> np.ndarray:
    tokenizer, session = load_model()
    encoded = tokenizer.encode_batch(list(texts))
    ids = np.array([e.ids for e in encoded], np.int64)
    mask = np.array([e.attention_mask for e in encoded], np.int64)
    types = np.array([e.type_ids for e in encoded], np.int64)
    (tokens,) = session.run(
        None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
    )
    weights = mask[:, :, None].astype(np.float32)
    mean = (tokens * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
    return mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)


def embed(texts: Sequence[str]) -> np.ndarray:
    """(len(texts), 384) unit vectors."""
    if not texts:
        return np.zeros((0, 384), np.float32)
    # Batches of similar lengths: a batch is padded to its longest text, and the padding costs
    # as much arithmetic as the words. A text's vector does not depend on its batch.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    ordered = [texts[i] for i in order]
    parts = [_embed_batch(ordered[i : i + BATCH]) for i in range(0, len(ordered), BATCH)]
    vectors = np.empty((len(texts), 384), np.float32)
    vectors[order] = np.concatenate(parts)
    return vectors


def phrasings() -> tuple[list[str], np.ndarray]:
    """Every phrasing of the vocabulary (name, description, examples), and the index of the
    entry it belongs to."""
    texts, owners = [], []
    for i, e in enumerate(VOCABULARY):
        for text in (e.name, e.description, *e.examples):
            texts.append(text)
            owners.append(i)
    return texts, np.array(owners)


def stored_phrasings() -> dict[str, np.ndarray]:
    """The phrasings' vectors shipped with the model (``tools/store_prompt_phrasings.py``):
    embedding them all takes a second of CPU, a lookup nothing."""
    path = resources.files("openlpm") / "assets" / "models" / f"{MODEL}_phrasings.npz"
    if not path.is_file():
        return {}
    with path.open("rb") as f, np.load(f) as stored:
        return dict(zip(stored["texts"].tolist(), stored["vectors"], strict=True))


@functools.cache
def _bank() -> tuple[np.ndarray, np.ndarray]:
    """Every phrasing's embedding, and the index of the entry it belongs to. Phrasings not in
    the stored set (the vocabulary changed since) are embedded now."""
    texts, owners = phrasings()
    stored = stored_phrasings()
    missing = [t for t in dict.fromkeys(texts) if t not in stored]
    if missing:
        stored.update(zip(missing, embed(missing), strict=True))
        release_free_memory()  # the batches' activations: a live session should not keep them
    return np.stack([stored[t] for t in texts]).astype(np.float32), owners


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
