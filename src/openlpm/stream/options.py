"""SessionOptions: every knob of a live session, validated in one place."""

from __future__ import annotations

from dataclasses import dataclass

AUDIO_RATE = 24000  # Hz: the default rate of VideoFrame.agent_audio (what voice APIs emit)
MAX_INPUT_RATE = 192_000  # Hz: the highest rate push_*_audio accepts


@dataclass(frozen=True)
class SessionOptions:
    """Options of one :class:`~openlpm.stream.Session` (frozen; build a new one to change).

    ``realtime=False`` runs the session on a virtual clock: frames come as fast as the
    consumer takes them, nothing is dropped (the engine waits for a slow consumer instead),
    and every frame consumes exactly 1/fps of the queued audio (soak runs, recordings).
    Without sinks it waits for its reader from the first frame; with sinks it runs at once.
    """

    size: int = 512  # long side of the video in pixels
    fps: float = 25.0
    seed: int = 0  # same seed and input, same performance
    voice: str = "en-us"  # eSpeak NG voice of say()
    render: bool = True  # False: motion only (VideoFrame.image is None; VMC, CSV, JSON)
    realtime: bool = True
    audio_rate: int = AUDIO_RATE  # Hz of VideoFrame.agent_audio
    queue_frames: int = 3  # frames waiting for the consumer; older ones are dropped
    max_agent_buffer_s: float = 120.0  # agent audio waiting to play; more raises
    max_user_backlog_s: float = 0.5  # user audio queued ahead of the clock; older is skipped
    max_push_bytes: int = 8 * 1024 * 1024  # one push_*_audio call at most (a minute at 48 kHz)

    def __post_init__(self) -> None:
        checks = (
            (64 <= self.size <= 4096, f"size must be 64..4096 pixels, got {self.size}"),
            (1 <= self.fps <= 120, f"fps must be within 1..120, got {self.fps}"),
            (8000 <= self.audio_rate <= 96000, f"audio_rate must be 8000..96000 Hz, got "
             f"{self.audio_rate}"),
            (1 <= self.queue_frames <= 100, f"queue_frames must be 1..100, got "
             f"{self.queue_frames}"),
            (0 < self.max_agent_buffer_s <= 3600, "max_agent_buffer_s must be in (0, 3600]"),
            (0 < self.max_user_backlog_s <= 60, "max_user_backlog_s must be in (0, 60]"),
            (self.max_push_bytes >= 2, "max_push_bytes must be at least 2"),
            (bool(self.voice), "voice must not be empty"),
        )  # fmt: skip
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    @property
    def frame_s(self) -> float:
        return 1.0 / self.fps
