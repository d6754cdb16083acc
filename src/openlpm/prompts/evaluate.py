"""Top-1 accuracy of the prompt matcher on a paraphrase file (phrase<TAB>expected name).

python -m openlpm.prompts.evaluate tests/fixtures/paraphrases.tsv [--embedding-only]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from openlpm.prompts import embed
from openlpm.prompts.modifiers import extract
from openlpm.prompts.parse import MIN_SIMILARITY, normalize, parse_prompt, side_of
from openlpm.prompts.vocabulary import BY_NAME, sibling


@dataclass(frozen=True)
class Accuracy:
    total: int
    correct: int
    failures: tuple[tuple[str, str, str], ...]  # (phrase, expected, got or "-")

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def read_paraphrases(path: Path) -> list[tuple[str, str]]:
    """(phrase, expected) pairs; '#' lines are comments. Unknown names are an error."""
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        phrase, expected = line.split("\t")
        if expected not in BY_NAME:
            raise ValueError(f"{path}:{number}: unknown action or emotion {expected!r}")
        pairs.append((phrase, expected))
    return pairs


def _predict(phrase: str, embedding_only: bool) -> str:
    if not embedding_only:
        plan = parse_prompt(phrase)
        return plan.steps[0].name if len(plan.steps) == 1 else "-"
    text, _ = extract(normalize(phrase))
    (match,) = embed.best_matches([text])
    return sibling(match.name, side_of(text)) if match.score >= MIN_SIMILARITY else "-"


def evaluate(path: Path, embedding_only: bool = False) -> Accuracy:
    """Top-1 accuracy of parse_prompt (or of the embedding matcher alone, no keywords)."""
    pairs = read_paraphrases(path)
    failures = []
    for phrase, expected in pairs:
        got = _predict(phrase, embedding_only)
        if got != expected:
            failures.append((phrase, expected, got))
    return Accuracy(len(pairs), len(pairs) - len(failures), tuple(failures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--embedding-only", action="store_true", help="skip the keyword path")
    args = parser.parse_args()
    result = evaluate(args.path, args.embedding_only)
    print(f"top-1 accuracy {result.accuracy:.3f} ({result.correct}/{result.total})")
    for phrase, expected, got in result.failures:
        print(f"  {phrase!r}: expected {expected}, got {got}")


if __name__ == "__main__":
    main()
