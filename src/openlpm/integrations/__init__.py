"""Adapters to the stacks users already run, each an optional extra driving openlpm.Session:

- ``openlpm.integrations.pipecat``: a face for pipecat voice agents (``openlpm[pipecat]``);
- ``openlpm.integrations.livekit``: a LiveKit Agents avatar worker (``openlpm[livekit]``);
- ``openlpm.integrations.vts``: VTube Studio's plugin API (``openlpm live --vts``; no extra).

Nothing here is imported by the base package: importing a module needs its extra.
"""
