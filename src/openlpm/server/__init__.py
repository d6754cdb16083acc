"""The local web app: an HTTP + WebSocket server and the browser page it serves.

One WebSocket is one live session (an :class:`openlpm.Session`): JSON control messages and
binary audio in, JPEG video frames with the audio that plays with them out. The protocol is
specified in ``docs/protocol.md``; :mod:`openlpm.server.protocol` (JSON) and
:mod:`openlpm.server.binary` (binary) are its single implementation on the server side.

- :func:`openlpm.server.app.create_app` builds the aiohttp application (to embed or test).
- :func:`openlpm.server.app.serve` runs it until cancelled (``openlpm serve``).

Nothing is imported here: ``openlpm --help`` must not pay for aiohttp and OpenCV.
"""
