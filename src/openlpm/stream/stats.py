"""StatsCollector: a session's counters and recent timings, in bounded windows."""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np

from openlpm.stream.frames import SessionStats

WINDOW = 500  # recent samples kept for percentiles (20 s at 25 fps)
FPS_WINDOW_S = 2.0


class StatsCollector:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.frames = 0
        self.dropped_late = 0
        self.dropped_queue = 0
        self.speaking = self.listening = False
        self._delivered: deque[float] = deque(maxlen=WINDOW)
        self._latency: deque[float] = deque(maxlen=WINDOW)
        self._work: deque[float] = deque(maxlen=WINDOW)
        self._lock = threading.Lock()

    def delivered(self, now: float, latency_s: float | None) -> None:
        with self._lock:
            self.frames += 1
            self._delivered.append(now)
            if latency_s is not None:
                self._latency.append(latency_s)

    def worked(self, seconds: float) -> None:
        self._work.append(seconds)

    def snapshot(self, agent_buffered_s: float) -> SessionStats:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._delivered if now - t <= FPS_WINDOW_S]
            latency = np.array(self._latency) * 1e3
            work = np.array(self._work) * 1e3
        span = min(FPS_WINDOW_S, now - self.started)
        return SessionStats(
            frames=self.frames,
            dropped=self.dropped_late + self.dropped_queue,
            dropped_late=self.dropped_late,
            dropped_queue=self.dropped_queue,
            fps=len(recent) / span if span > 0 else 0.0,
            latency_p50_ms=_pct(latency, 50),
            latency_p95_ms=_pct(latency, 95),
            render_p50_ms=_pct(work, 50),
            render_p95_ms=_pct(work, 95),
            agent_buffered_s=agent_buffered_s,
            uptime_s=now - self.started,
            speaking=self.speaking,
            listening=self.listening,
        )


def _pct(values: np.ndarray, q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None
