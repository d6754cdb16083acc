"""Write a BenchResult as report.json (every figure, versions, settings), report.md and
report.html (the tables per group with the human row, the plots and contact sheets)."""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict
from pathlib import Path

from openlpm.bench.results import BenchResult, GroupResult, Metric, Table, Value
from openlpm.io.atomic import atomic_path

BETTER = {"higher": "↑", "lower": "↓", "zero": "→0", "human": "≈human", "": ""}


def write_report(result: BenchResult, out: Path) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "report.md", out / "report.html"]
    _write(paths[0], json.dumps(_jsonable(asdict(result)), indent=1, allow_nan=False))
    _write(paths[1], markdown(result))
    _write(paths[2], to_html(result))
    return paths


def _write(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")


def _jsonable(x):
    """NaN and infinities become null (strict JSON); numpy scalars and arrays plain numbers."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if hasattr(x, "tolist"):
        return _jsonable(x.tolist())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def cell(value: Value, metric: Metric) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return "—"
    return f"{value:.{metric.digits}f}" if metric.digits else f"{value:.0f}"


def _header(m: Metric) -> str:
    unit = f" ({m.unit})" if m.unit else ""
    arrow = f" {BETTER[m.better]}" if m.better else ""
    return f"{m.label}{unit}{arrow}"


def _md_table(t: Table) -> list[str]:
    lines = [f"**{t.title}**", ""]
    lines.append("| " + " | ".join([t.label, *(_header(m) for m in t.metrics)]) + " |")
    lines.append("|" + "---|" * (len(t.metrics) + 1))
    for row in t.rows:
        name = f"*{row.label}*" if row.label == "human" else row.label
        cells = [cell(row.values.get(m.key), m) for m in t.metrics]
        lines.append("| " + " | ".join([name, *cells]) + " |")
    return [*lines, ""]


def markdown(result: BenchResult) -> str:
    s = result.settings
    lines = [
        "# Open LPM-Bench report",
        "",
        f"Data: {result.data['source']}; systems: {', '.join(s['systems'])}; seed {s['seed']}; "
        f"{s['fps']:g} fps, {s['size']} px; run time {result.seconds / 60:.1f} min.",
        "Arrows: ↑ higher is better, ↓ lower is better, →0 nearer zero, ≈human nearer the "
        "human row. Every figure is measured from the rendered pixels and the input audio.",
        "",
    ]
    lines += [f"- {n}" for n in result.notes] + ([""] if result.notes else [])
    for g in result.groups:
        lines += _md_group(g)
    lines += ["## Versions", ""]
    lines += [f"- {k}: {v}" for k, v in result.versions.items()]
    return "\n".join(lines) + "\n"


def _md_group(g: GroupResult) -> list[str]:
    lines = [f"## {g.title}", "", g.description.strip(), ""]
    for t in g.tables:
        lines += _md_table(t)
    lines += [f"- {n}" for n in g.notes] + ([""] if g.notes else [])
    for p in g.plots:
        lines += [f"![{p.caption}]({p.file})", f"*{p.caption}*", ""]
    lines += [f"<sub>{g.seconds:.0f} s</sub>", ""]
    return lines


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:0.6em 0 1.2em;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#f3f3f3} tr.human td{background:#fff3f0;font-style:italic}
img{max-width:100%;border:1px solid #ddd;margin:4px 0} .note{color:#555;font-size:13px}
"""


def to_html(result: BenchResult) -> str:
    e = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Open LPM-Bench</title>"
             f"<style>{_STYLE}</style></head><body><h1>Open LPM-Bench report</h1>"]  # fmt: skip
    s = result.settings
    parts.append(f"<p>Data: {e(str(result.data['source']))}; systems: {e(', '.join(s['systems']))};"
                 f" seed {s['seed']}; run time {result.seconds / 60:.1f} min.</p>")  # fmt: skip
    parts += [f"<p class='note'>{e(n)}</p>" for n in result.notes]
    for g in result.groups:
        parts.append(f"<h2 id='{e(g.name)}'>{e(g.title)}</h2><p>{e(g.description.strip())}</p>")
        for t in g.tables:
            parts.append(_html_table(t))
        parts += [f"<p class='note'>{e(n)}</p>" for n in g.notes]
        for p in g.plots:
            parts.append(f"<figure><img src='{e(p.file)}' alt='{e(p.caption)}'>"
                         f"<figcaption>{e(p.caption)}</figcaption></figure>")  # fmt: skip
    parts.append("<h2>Versions</h2><ul>")
    parts += [f"<li>{e(k)}: {e(v)}</li>" for k, v in result.versions.items()]
    parts.append("</ul></body></html>")
    return "\n".join(parts) + "\n"


def _html_table(t: Table) -> str:
    e = html.escape
    head = "".join(f"<th title='{e(m.description)}'>{e(_header(m))}</th>" for m in t.metrics)
    rows = []
    for row in t.rows:
        cls = " class='human'" if row.label == "human" else ""
        cells = "".join(f"<td>{e(cell(row.values.get(m.key), m))}</td>" for m in t.metrics)
        rows.append(f"<tr{cls}><td>{e(row.label)}</td>{cells}</tr>")
    return (f"<table><caption><b>{e(t.title)}</b></caption><tr><th>{e(t.label)}</th>{head}</tr>"
            + "".join(rows) + "</table>")  # fmt: skip
