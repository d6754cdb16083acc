"""Text control: a fixed set of prompts, each with the change it must cause in the pixels,
measured in the prompt's window against the second before it; the compliance rate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from openlpm.bench import sheets
from openlpm.bench.analyze import FaceSeries
from openlpm.bench.context import Context
from openlpm.bench.metrics.eyes import closures
from openlpm.bench.metrics.head import nods
from openlpm.bench.metrics.signals import filled
from openlpm.bench.results import GroupResult, Item, Metric, Plot, Row, Table

PRE_S = 1.0  # the prompt starts here; the frames before it are the baseline
POST_S = 0.8  # and the clip runs this long after it ends
DEG = 4.0  # a head turn/tilt/look at least this large (degrees) complies
LIFT = 0.006  # mouth-corner lift (face heights) for a smile
BROW = 0.008  # brow raise or lowering (face heights)


@dataclass(frozen=True)
class Check:
    prompt: str
    effect: str  # what must change, for the report
    measure: Callable[[FaceSeries, FaceSeries], float]  # (baseline, window) -> measured value
    passes: Callable[[float], bool]
    quick: bool = True  # part of the --quick subset


def _shift(name: str, reduce: Callable) -> Callable[[FaceSeries, FaceSeries], float]:
    def measure(base: FaceSeries, win: FaceSeries) -> float:
        return float(reduce(filled(getattr(win, name))) - np.nanmedian(getattr(base, name)))

    return measure


def _count_nods(base: FaceSeries, win: FaceSeries) -> float:
    """Nods found in the whole clip (the trend needs context) that fall inside the window."""
    whole = _join(base, win)
    start = len(base) / whole.fps
    return float(sum(t >= start for t in nods(whole.pitch, whole.fps, whole.gap, whole.ear)))


def _join(a: FaceSeries, b: FaceSeries) -> FaceSeries:
    fields = ("found", "gap", "width", "lift", "ear_left", "ear_right", "brow", "yaw", "pitch",
              "roll", "jump", "detail")  # fmt: skip
    return FaceSeries(a.fps, **{f: np.concatenate([getattr(a, f), getattr(b, f)]) for f in fields})


def _shakes(base: FaceSeries, win: FaceSeries) -> float:
    """Yaw swings of at least DEG/2 each way: the number of direction reversals."""
    y = filled(win.yaw)
    ups, _ = find_peaks(y, prominence=DEG / 2)
    downs, _ = find_peaks(-y, prominence=DEG / 2)
    return float(min(len(ups), len(downs)))


def _blinks(base: FaceSeries, win: FaceSeries) -> float:
    return float(len(closures(win.ear, win.fps)))


def _wink_left(base: FaceSeries, win: FaceSeries) -> float:
    """Frames with the left eye shut and the right open (character's sides)."""
    left = _shut(win.ear_left, base.ear_left)
    right = _shut(win.ear_right, base.ear_right)
    return float(np.sum(left & ~right))


def _eyes_closed_s(base: FaceSeries, win: FaceSeries) -> float:
    both = _shut(win.ear_left, base.ear_left) & _shut(win.ear_right, base.ear_right)
    return float(both.sum() / win.fps)


def _shut(ear: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return filled(ear) < 0.6 * np.nanmedian(reference)


def _pitch_shift(base: FaceSeries, win: FaceSeries) -> float:
    return float(np.max(filled(win.pitch)) - np.nanmedian(base.pitch))


CHECKS: tuple[Check, ...] = (
    Check("smiles", "mouth corners up", _shift("lift", np.max), lambda v: v >= LIFT),
    Check("nods twice", "two pitch dips", _count_nods, lambda v: v == 2),
    Check("shakes the head", "yaw swings both ways", _shakes, lambda v: v >= 1, False),
    Check("looks to the left", f"yaw + >= {DEG:g} deg", _shift("yaw", np.max), lambda v: v >= DEG),
    Check("looks to the right", f"yaw - >= {DEG:g} deg", _shift("yaw", np.min), lambda v: v <= -DEG,
          False),
    Check("looks up", f"pitch + >= {DEG:g} deg", _pitch_shift, lambda v: v >= DEG),
    Check("tilts the head to the right", f"roll - >= {DEG:g} deg", _shift("roll", np.min),
          lambda v: v <= -DEG, False),
    Check("raises the eyebrows", "brows up", _shift("brow", np.max), lambda v: v >= BROW),
    Check("frowns", "brows down", _shift("brow", np.min), lambda v: v <= -BROW, False),
    Check("blinks", "one eye closure", _blinks, lambda v: v >= 1),
    Check("winks the left eye", "left eye shut, right open", _wink_left, lambda v: v >= 2, False),
    Check("closes the eyes", "both eyes shut >= 0.5 s", _eyes_closed_s, lambda v: v >= 0.5),
)  # fmt: skip


def _span(prompt: str) -> float:
    """How long the prompt's actions take (from openlpm's own parser, used for every system)."""
    from openlpm.prompts import parse_prompt, total_duration

    return total_duration(parse_prompt(prompt), start=PRE_S) - PRE_S


def run(ctx: Context) -> GroupResult:
    portraits = ctx.riggable()
    if not portraits:
        return GroupResult("text", "Text control", __doc__, notes=("no portraits",))
    fps, seed = ctx.options.fps, ctx.options.seed
    checks = checks_for(ctx.options.quick)
    rows, items, sheet = [], [], []
    for system in ctx.options.rendered:
        passed, runs, thumbs = 0, 0, []
        for k, check in enumerate(checks):
            chosen = portraits if ctx.options.text_all_portraits else [
                portraits[k % len(portraits)]]  # fmt: skip
            for portrait in chosen:
                ok, item, thumb = _check(ctx, system, check, portrait, fps, seed)
                passed, runs = passed + ok, runs + 1
                items.append(item)
                if portrait is chosen[0]:
                    thumbs.append((check.prompt[:12], thumb))
        rows.append(Row(system, {"compliance": passed / runs}, runs))
        if ctx.system(system).controllable and not sheet:
            sheet = [(label, [(0.0, img)]) for label, ((_, img),) in thumbs if img is not None]
    return _result(ctx, checks, rows, items, sheet)


def _check(ctx: Context, system: str, check: Check, portrait, fps: float, seed: int):
    """(passed, item, thumbnail) of one prompt on one portrait."""
    span = _span(check.prompt)
    seconds = PRE_S + span + POST_S
    plan: list[str] = []

    def perform(s, c=check, sec=seconds, plan=plan):
        track, described = s.control(c.prompt, sec, PRE_S, fps, seed)
        plan.append(described)
        return track

    r = ctx.render(system, portrait, f"text:{check.prompt}", perform, None)
    s = r.analysis.series
    lo, hi = round(PRE_S * fps), min(len(s), round((PRE_S + span) * fps) + 1)
    value = check.measure(s.window(0, lo), s.window(lo, hi))
    ok = bool(check.passes(value))
    item = Item(system, check.prompt, portrait.name,
                {"measured": value, "passed": float(ok),
                 "plan": plan[0] if plan else "(cached)"})  # fmt: skip
    mid = [t for t in r.analysis.thumbs if PRE_S <= t[0] <= PRE_S + span]
    return ok, item, (mid or r.analysis.thumbs)[:1]


def checks_for(quick: bool) -> tuple[Check, ...]:
    """Every prompt, or the --quick subset (one of each kind of effect)."""
    return tuple(c for c in CHECKS if c.quick or not quick)


def _result(ctx: Context, checks, rows, items, sheet) -> GroupResult:
    per_prompt = []
    digits = 2 if ctx.options.text_all_portraits else 0
    for check in checks:
        values = {s: _share(items, system=s, item=check.prompt) for s in ctx.options.rendered}
        per_prompt.append(Row(check.prompt, {**values, "effect": check.effect}))
    prompt_metrics = (
        Metric("effect", "expected effect"),
        *(Metric(s, s, "", "higher", digits) for s in ctx.options.rendered),
    )
    tables = (
        Table("Text control: compliance rate", (Metric("compliance", "compliance", "",
              "higher", 2, "share of prompts whose effect was measured"),), tuple(rows)),
        Table("Per prompt (1 = complied)", prompt_metrics, tuple(per_prompt), "prompt"),
    )  # fmt: skip
    if ctx.options.text_all_portraits:
        tables += (_per_portrait(ctx, items),)
    plot_list: tuple[Plot, ...] = ()
    if sheet:
        sheets.contact_sheet(ctx.out / "text_sheet.jpg", _grid(sheet))
        plot_list = (Plot("text_sheet.jpg", "Mid-prompt frames of the first controllable system"),)
    notes = ("baselines ignore prompts: their compliance is the chance rate of the checks",)
    return GroupResult("text", "Text control", __doc__.replace("\n", " "), tables,
                       tuple(items), plot_list, notes)  # fmt: skip


def _share(items: list[Item], **match: str) -> float | None:
    """Share of the items matching ``match`` (system=, item=, portrait=) that passed."""
    hits = [it.values["passed"] for it in items
            if all(getattr(it, k) == v for k, v in match.items())]  # fmt: skip
    return float(np.mean(hits)) if hits else None


def _per_portrait(ctx: Context, items: list[Item]) -> Table:
    """Compliance per portrait and system, and the prompts that failed there."""
    rows = []
    for portrait in dict.fromkeys(it.portrait for it in items):
        values: dict = {s: _share(items, system=s, portrait=portrait) for s in ctx.options.rendered}
        failed = sorted(
            {
                f"{it.system}: {it.item}"
                for it in items
                if it.portrait == portrait
                and not it.values["passed"]
                and ctx.system(it.system).controllable
            }
        )
        rows.append(Row(portrait, {**values, "failed": "; ".join(failed) or "none"}))
    metrics = (*(Metric(s, s, "", "higher", 2) for s in ctx.options.rendered),
               Metric("failed", "failed (controllable systems)"))  # fmt: skip
    return Table("Per portrait: compliance", metrics, tuple(rows), "portrait")


def _grid(cells: list, per_row: int = 6) -> list:
    """Prompt thumbnails in rows of ``per_row``, labelled by their first prompt."""
    return [
        (" / ".join(c[0] for c in cells[i : i + per_row])[:14],
         [img for _, imgs in cells[i : i + per_row] for img in imgs])
        for i in range(0, len(cells), per_row)
    ]  # fmt: skip
