"""Sinks: where a session's frames go besides Session.frames().

- :class:`~openlpm.sinks.mp4.Mp4Sink`: record the session (video + the agent's voice);
- :class:`~openlpm.sinks.vmc.VmcSink`: VMC protocol over OSC/UDP (VTuber apps), or a
  timestamped recording of the same messages (:class:`~openlpm.sinks.vmc.VmcRecorder`);
- :class:`~openlpm.sinks.livelink.LiveLinkCsvSink`: the Live Link Face app's CSV;
- :class:`~openlpm.sinks.jsonl.JsonLinesSink`: one JSON object per frame.

A sink has ``write(frame)`` and ``close()`` (:class:`~openlpm.sinks.base.Sink`).
"""
