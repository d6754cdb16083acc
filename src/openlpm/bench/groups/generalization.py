"""Character generalization: per portrait style, from the speaking group's videos: rig
success, identity distance to the portrait, and artifacts (frames where the face detector
no longer finds a face)."""

from __future__ import annotations

from collections import defaultdict

from openlpm.bench import sheets
from openlpm.bench.context import Context
from openlpm.bench.groups.figures import identity_median
from openlpm.bench.groups.speaking import pairs, speaking_run
from openlpm.bench.identity import SAME_PERSON
from openlpm.bench.metrics.signals import nanmean
from openlpm.bench.results import GroupResult, Item, Metric, Plot, Row, Table

METRICS = (
    Metric("portraits", "portraits", "", "", 0),
    Metric("rigged", "rig success", "", "higher", 2, "share of the portraits that could be rigged"),
    Metric("lost", "face lost", "", "lower", 3,
           "share of output frames where mediapipe finds no face (artifacts)"),
    Metric("identity", "identity dist.", "", "lower", 3,
           "median dlib descriptor distance of output frames to the portrait"),
    Metric("same_person", "same person", "", "higher", 2,
           f"share of sampled frames under {SAME_PERSON} from the portrait"),
)  # fmt: skip


def run(ctx: Context) -> GroupResult:
    by_style: dict[str, list] = defaultdict(list)
    for p in ctx.data.portraits:
        by_style[p.style].append(p)
    work = pairs(ctx)
    tables, items, overall = [], [], []
    for system in ctx.options.rendered:
        runs = defaultdict(list)
        for clip, portrait in work:
            runs[portrait.style].append(speaking_run(ctx, system, clip, portrait))
        rows = []
        for style, portraits in sorted(by_style.items()):
            rows.append(_row(ctx, style, portraits, runs.get(style, [])))
            items.append(Item(system, style, ", ".join(p.name for p in portraits), rows[-1].values))
        everything = [r for rs in runs.values() for r in rs]
        overall.append(_row(ctx, system, list(ctx.data.portraits), everything))
        tables.append(Table(f"{system}: per portrait style", METRICS, tuple(rows), "style"))
    tables.insert(0, Table("All portraits", METRICS, tuple(overall)))
    sheet = _sheet(ctx, work)
    notes = ("identity is dlib's face descriptor: trained on photos, so for drawn styles it "
             "says more about stability than about likeness",)  # fmt: skip
    return GroupResult("generalization", "Character generalization", __doc__.replace("\n", " "),
                       tuple(tables), tuple(items), sheet, notes)  # fmt: skip


def _row(ctx: Context, label: str, portraits, runs) -> Row:
    rigged = [p for p in portraits if ctx.rig(p) is not None]
    dists = [d for r in runs if r.analysis.identity is not None
             for d in r.analysis.identity.distances]  # fmt: skip
    medians = [identity_median(r.analysis) for r in runs]
    values = {
        "portraits": len(portraits),
        "rigged": len(rigged) / len(portraits) if portraits else None,
        "lost": nanmean([1 - r.analysis.series.detection_rate for r in runs]),
        "identity": nanmean([m for m in medians if m is not None]),
        "same_person": nanmean([float(d < SAME_PERSON) for d in dists]),
    }
    return Row(label, values, len(runs))


def _sheet(ctx: Context, work) -> tuple[Plot, ...]:
    system = next((s for s in ("base", "online") if s in ctx.options.rendered), None)
    if system is None or not work:
        return ()
    seen, rows = set(), []
    for clip, portrait in work:
        if portrait.name in seen:
            continue
        seen.add(portrait.name)
        rows.append((portrait.name[:14], speaking_run(ctx, system, clip, portrait).analysis.thumbs))
    sheets.contact_sheet(ctx.out / "generalization_sheet.jpg", rows)
    return (Plot("generalization_sheet.jpg", f"Every portrait speaking ({system})"),)
