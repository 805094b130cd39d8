"""Offscreen OpenGL for every renderer of the process (exports, the photo studio, catalog thumbnails).

pyrender renders through EGL (``PYOPENGL_PLATFORM=egl``): NVIDIA EGL on a GPU, Mesa llvmpipe on a CPU (Debian's
``libegl1 libegl-mesa0 libgl1-mesa-dri``). ``FW_EGL_DEVICE`` picks the GPU. A process holds one GL context at a
time: every renderer creates and deletes its ``OffscreenRenderer`` under :data:`RENDER_LOCK`.
"""

from __future__ import annotations

import os
import threading
from types import ModuleType

from .require_ import require_driver

RENDER_LOCK = threading.Lock()
"""One GL context at a time per process, shared by every renderer."""


def egl() -> ModuleType:
    """Set up EGL (before PyOpenGL is first imported) and return ``pyrender`` (the ``render`` extra)."""
    from ..settings import Environment

    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    device = Environment().egl_device
    if device:
        os.environ.setdefault("EGL_DEVICE_ID", device)
    return require_driver("pyrender", "render")
