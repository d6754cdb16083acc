"""Duplex conversation: the character speaks its own audio and listens to the user's.

perf = converse(speak_audio(agent_audio), user_audio)   # offline, one character
perfs, mix = dialogue([perf_a, perf_b])                   # two characters, each listens
mixer = DuplexMixer(fps); pose = mixer.step(speak, listen, agent_on, user_on)   # live
"""

from openlpm.converse.conversation import converse, dialogue
from openlpm.converse.mixer import DuplexMixer

__all__ = ["DuplexMixer", "converse", "dialogue"]
