"""The package's own exceptions.

Everything openlpm raises on purpose derives from :class:`OpenLPMError`; the CLI turns these
into a one-line message and exit code 2. Third-party errors are wrapped with ``raise ... from e``.

    OpenLPMError
     └── InputError            the user's input is unusable (message says how to fix it)
          ├── ImageError       not an image, truncated, too small
          ├── NoFaceError      no usable face in the image (or --face out of range)
          ├── ReferenceImageError  an expression reference that is not an image, shows no face,
          │                    another face, or no expression the character does not show
          ├── MotionFormatError  a motion CSV with unknown columns, bad values or times
          ├── AudioError       unreadable or undecodable audio
          ├── RigError         a saved rig folder that cannot be loaded
          ├── ServerConfigError  `openlpm serve` options that cannot work (public bind, no token)
          └── ProtocolError    a WebSocket client message the server cannot use (has a code)
"""


class OpenLPMError(Exception):
    """Base class of every error openlpm raises on purpose."""


class InputError(OpenLPMError):
    """The user's input cannot be used; the message says what is wrong and how to fix it."""


class ImageError(InputError):
    """The image file is missing, not an image, truncated or unusable."""


class NoFaceError(InputError):
    """No usable face was found in the image."""


class ReferenceImageError(InputError):
    """An expression reference (``--ref``) cannot be used for this character."""


class MotionFormatError(InputError):
    """A motion curves file is malformed."""


class AudioError(InputError):
    """An audio file cannot be read or decoded."""


class RigError(InputError):
    """A saved rig cannot be loaded."""


class ServerConfigError(InputError):
    """Server options that cannot work, e.g. a public address without a token."""


class ProtocolError(InputError):
    """A client's WebSocket message cannot be used; ``code`` names the problem for programs.

    ``fatal`` errors end the connection; the others are reported and the connection stays open.
    """

    def __init__(self, code: str, message: str, fatal: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.fatal = fatal


class StreamError(OpenLPMError):
    """A live session cannot do what was asked (see :mod:`openlpm.stream`)."""


class StreamInputError(StreamError, InputError):
    """Audio pushed into a session is not mono 16-bit PCM bytes at a usable rate."""


class BufferFullError(StreamError):
    """More agent audio is queued than the session holds; wait for it to play out."""


class SessionClosedError(StreamError):
    """The session was closed: it takes no more input and makes no more frames."""
