"""Listening: the character listens to the user's audio (voice activity, backchannels, nods)."""

from openlpm.listen.backchannel import BackchannelDetector, BackchannelOptions, opportunities
from openlpm.listen.listener import Hearing, LiveListener, listen, listen_with_activity
from openlpm.listen.vad import VadStream, speech_probability

__all__ = [
    "BackchannelDetector",
    "BackchannelOptions",
    "Hearing",
    "LiveListener",
    "VadStream",
    "listen",
    "listen_with_activity",
    "opportunities",
    "speech_probability",
]
