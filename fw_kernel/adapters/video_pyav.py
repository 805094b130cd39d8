"""Video encoding with PyAV (FFmpeg in the wheel): H.264 MP4 (yuv420p, faststart), VP9 WebM, GIF."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .require_ import require_driver

CODECS = {"mp4": ("mp4", "libx264", "yuv420p"), "webm": ("webm", "libvpx-vp9", "yuv420p"),
          "gif": ("gif", "gif", "rgb8")}


# x264 presets by export quality: a draft turntable should not wait for the encoder
X264_PRESET = {"draft": "ultrafast", "standard": "veryfast", "high": "medium"}


def encode(frames: Iterable[np.ndarray], fmt: str, fps: int, width: int, height: int,
           quality: str = "standard") -> bytes:
    """Encode (height, width, 3) uint8 RGB frames; returns the file's bytes."""
    av = require_driver("av", "video")
    container_format, codec, pix_fmt = CODECS[fmt]
    options = {"movflags": "+faststart"} if fmt == "mp4" else {}
    # faststart rewrites the file to put the index first: FFmpeg reopens it by name, so not a BytesIO
    with tempfile.TemporaryDirectory(prefix="fw-video-") as folder:
        path = Path(folder) / f"video.{fmt}"
        _write(av, str(path), frames, container_format, codec, pix_fmt, options, fmt, fps, width, height, quality)
        return path.read_bytes()


def _write(av: Any, path: str, frames: Iterable[np.ndarray], container_format: str, codec: str, pix_fmt: str,
           options: dict[str, str], fmt: str, fps: int, width: int, height: int, quality: str) -> None:
    with av.open(path, mode="w", format=container_format, options=options) as container:
        stream = container.add_stream(codec, rate=Fraction(fps, 1))
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        if fmt == "mp4":
            stream.options = {"crf": "20", "preset": X264_PRESET[quality]}
        elif fmt == "webm":
            stream.options = {"crf": "32", "b": "0", "deadline": "realtime", "cpu-used": "8"}
        for rgb in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[..., :3]), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
