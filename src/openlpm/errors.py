"""The package's own exceptions.

Everything openlpm raises on purpose derives from :class:`OpenLPMError`; the CLI turns these
into a one-line message and exit code 2. Third-party errors are wrapped with ``raise ... from e``.

    OpenLPMError
     └── InputError            the user's input is unusable (message says how to fix it)
          ├── ImageError       not an image, truncated, too small
          ├── NoFaceError      no usable face in the image (or --face out of range)
          ├── MotionFormatError  a motion CSV with unknown columns, bad values or times
          ├── AudioError       unreadable or undecodable audio
          └── RigError         a saved rig folder that cannot be loaded
"""


class OpenLPMError(Exception):
    """Base class of every error openlpm raises on purpose."""


class InputError(OpenLPMError):
    """The user's input cannot be used; the message says what is wrong and how to fix it."""


class ImageError(InputError):
    """The image file is missing, not an image, truncated or unusable."""


class NoFaceError(InputError):
    """No usable face was found in the image."""


class MotionFormatError(InputError):
    """A motion curves file is malformed."""


class AudioError(InputError):
    """An audio file cannot be read or decoded."""


class RigError(InputError):
    """A saved rig cannot be loaded."""
