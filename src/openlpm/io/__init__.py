"""Input and output: images, audio, and H.264/AAC video."""

from openlpm.io.audio import Audio, load_audio, write_wav
from openlpm.io.images import load_image, save_image
from openlpm.io.video import VideoWriter, read_video, read_video_audio

__all__ = [
    "Audio",
    "VideoWriter",
    "load_audio",
    "load_image",
    "read_video",
    "read_video_audio",
    "save_image",
    "write_wav",
]
