"""Conversation: alternating agent and user turns built from the speech clips (agent, user,
agent, user, 0.4 s apart); per turn the speaking or listening figures, and the smoothness of
every switch (frame-to-frame landmark jumps near it against the jumps elsewhere)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from openlpm.bench import sheets
from openlpm.bench.context import Context
from openlpm.bench.data import Clip
from openlpm.bench.groups.figures import aggregate
from openlpm.bench.metrics.head import nods, switch_jumps
from openlpm.bench.metrics.lips import OPEN
from openlpm.bench.metrics.signals import envelope
from openlpm.bench.metrics.sync import av_sync
from openlpm.bench.results import GroupResult, Item, Metric, Plot, Table
from openlpm.bench.systems import Utterance
from openlpm.io.audio import Audio

GAP_S = 0.4  # silence between turns
TURNS = 4
SETTLE_S = 0.3  # frames this close after a switch are not judged as listening


@dataclass(frozen=True)
class Dialogue:
    name: str
    agent: Audio  # the character's voice, silent in the user's turns
    user: Audio
    turns: tuple[tuple[str, float, float], ...]  # (who, start s, end s)


@dataclass(frozen=True)
class TurnFigures:
    agent_correlation: float | None  # aperture~envelope over the agent's turns
    agent_offset_ms: float | None
    user_turn_open: float | None  # share of frames with the lips open in the user's turns
    user_turn_nods_per_min: float
    switch_peak: float | None  # largest landmark jump near a switch, face heights/frame
    switch_ratio: float | None  # ... over the 95th percentile elsewhere


METRICS = (
    Metric("agent_correlation", "agent-turn r", "", "higher", 2,
           "aperture~envelope correlation over the agent's turns"),
    Metric("agent_offset_ms", "agent-turn offset", "ms", "zero", 0, "A/V offset, + audio leads"),
    Metric("user_turn_open", "lips open in user turns", "", "lower", 3,
           "false lip motion while the user speaks"),
    Metric("user_turn_nods_per_min", "nods in user turns", "/min", "", 1, ""),
    Metric("switch_peak", "jump at switch", "fh/frame", "lower", 4,
           "largest frame-to-frame landmark jump within 3 frames of a turn switch"),
    Metric("switch_ratio", "switch / typical jump", "", "lower", 2,
           "that jump over the 95th percentile of jumps elsewhere (1 = no pop)"),
)  # fmt: skip


def dialogues(clips: tuple[Clip, ...], count: int) -> list[Dialogue]:
    out = []
    for k in range(count):
        chosen = [clips[(k * TURNS + j) % len(clips)] for j in range(TURNS)]
        rate = 16000
        agent, user, turns, t = [], [], [], 0.0
        for j, clip in enumerate(chosen):
            who = "agent" if j % 2 == 0 else "user"
            x = clip.audio.resampled(rate).samples
            silence = np.zeros_like(x)
            agent.append(x if who == "agent" else silence)
            user.append(silence if who == "agent" else x)
            gap = np.zeros(round(GAP_S * rate), np.float32)
            agent.append(gap)
            user.append(gap)
            turns.append((who, t, t + len(x) / rate))
            t += len(x) / rate + GAP_S
        name = "+".join(c.name[:10] for c in chosen)
        out.append(Dialogue(name, Audio(np.concatenate(agent), rate),
                            Audio(np.concatenate(user), rate), tuple(turns)))  # fmt: skip
    return out


def run(ctx: Context) -> GroupResult:
    portraits = ctx.riggable()
    if not portraits or len(ctx.data.clips) < 2:
        return GroupResult("conversation", "Conversation", __doc__,
                           notes=("needs portraits and at least two speech clips",))  # fmt: skip
    fps, seed = ctx.options.fps, ctx.options.seed
    talks = dialogues(ctx.data.clips, 1 if ctx.options.quick else 2)
    rows, items, first = [], [], []
    for system in ctx.options.rendered:
        values = []
        for k, d in enumerate(talks):
            portrait = portraits[(k + 1) % len(portraits)]
            r = ctx.render(system, portrait, f"converse:{d.name}",
                           lambda s, d=d: s.converse(Utterance(d.agent), d.user, fps, seed),
                           d.agent)  # fmt: skip
            fig = _figures(r.analysis.series, d)
            values.append(asdict(fig))
            items.append(Item(system, d.name, portrait.name, asdict(fig)))
            if k == 0:
                first.append((system, r.analysis.thumbs))
        rows.append(aggregate(system, values))
    sheets.contact_sheet(ctx.out / "conversation_sheet.jpg", first)
    table = Table("Conversation: systems x metrics (means over dialogues)", METRICS, tuple(rows))
    notes = (
        f"{len(talks)} dialogue(s) of {TURNS} turns; baselines hear only the agent's voice",
        "the agent's speech has no transcript here (phone recognition for base)",
    )
    plot = Plot("conversation_sheet.jpg", "Contact sheet: the first dialogue, every system")
    return GroupResult("conversation", "Conversation", __doc__.replace("\n", " "), (table,),
                       tuple(items), (plot,), notes)  # fmt: skip


def _figures(s, d: Dialogue) -> TurnFigures:
    n, fps = len(s), s.fps
    agent_on = np.zeros(n, bool)
    user_on = np.zeros(n, bool)
    switches = []
    for who, start, end in d.turns:
        lo, hi = round(start * fps), min(n, round(end * fps))
        if who == "agent":
            agent_on[lo:hi] = True
        else:
            user_on[lo + round(SETTLE_S * fps) : hi] = True
        switches += [lo] if lo > 0 else []
    env = envelope(d.agent, fps, n)
    sync = av_sync(s.gap[agent_on], env[agent_on], fps)  # the agent's turns, joined
    user_gap = s.gap[user_on & np.isfinite(s.gap)]
    user_minutes = user_on.sum() / fps / 60
    nod_times = nods(s.pitch, fps, s.gap, s.ear)
    in_user = [t for t in nod_times if user_on[min(n - 1, round(t * fps))]]
    jumps = switch_jumps(s.jump, switches)
    return TurnFigures(
        agent_correlation=sync.correlation,
        agent_offset_ms=sync.offset_ms,
        user_turn_open=float(np.mean(user_gap > OPEN)) if user_gap.size else None,
        user_turn_nods_per_min=len(in_user) / user_minutes if user_minutes else 0.0,
        switch_peak=jumps.peak,
        switch_ratio=jumps.ratio,
    )
