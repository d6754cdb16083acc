"""The human reference: the same analyzers on the data folder's real talking videos."""

from __future__ import annotations

from dataclasses import dataclass

from openlpm.bench.analyze import VideoAnalysis, analyze_frames
from openlpm.bench.context import Context
from openlpm.bench.groups.figures import SpeechFigures, speech_figures
from openlpm.bench.metrics.sync import SyncResult
from openlpm.errors import InputError
from openlpm.io.audio import Audio


@dataclass(frozen=True, eq=False)
class HumanClip:
    name: str
    audio: Audio
    analysis: VideoAnalysis
    figures: SpeechFigures
    sync: SyncResult


def human_clips(ctx: Context) -> list[HumanClip]:
    """Every real video measured (cached on the context); unreadable ones become notes."""
    if "human" in ctx.cache:
        return ctx.cache["human"]  # type: ignore[return-value]
    from openlpm.io.video import read_video, read_video_audio

    out = []
    for video in ctx.data.videos:
        try:
            frames, fps = read_video(video.path)
            audio = read_video_audio(video.path, 16000)
        except InputError as e:
            ctx.notes.append(f"human: {video.name} skipped ({e})")
            continue
        ctx.progress.job(f"human · {video.name}", len(frames))
        analysis = analyze_frames(
            frames, fps, identity_every_s=ctx.options.identity_every_s,
            thumb_times=tuple(len(frames) / fps * (k + 0.5) / 6 for k in range(6)),
            on_frame=lambda _i: ctx.progress.advance(),
        )  # fmt: skip
        figures, sync = speech_figures(analysis, audio, None)
        out.append(HumanClip(video.name, audio, analysis, figures, sync))
    ctx.cache["human"] = out
    return out
