"""Open LPM-Bench: an automatic benchmark of character performance, measured from pixels.

    result = run_bench(BenchOptions(out=Path("report"), quick=True), progress)
    write_report(result, Path("report"))

Groups (:mod:`openlpm.bench.groups`): speaking, listening, conversation, text control,
character generalization, long-form, speed. Systems (:mod:`openlpm.bench.systems`): static,
flap, pylipsync, base, online, and the human reference (the data folder's real videos).
Analyzers (:mod:`openlpm.bench.analyze`, :mod:`openlpm.bench.metrics`) see only the rendered
RGB frames and the input audio. Importing this package loads no model.
"""

from openlpm.bench.options import GROUPS, SYSTEMS, BenchOptions

__all__ = ["GROUPS", "SYSTEMS", "BenchOptions"]
