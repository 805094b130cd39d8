"""The notebook API: ``fw.connect()`` -> :class:`Workspace` -> designs, avatars and catalog.

Every edit is saved before the call returns; undo/redo stacks live on the open design object.
"""

from .avatars import Avatar, Avatars
from .catalog import Catalog
from .design import Design
from .designs import Designs
from .exports import ExportHandle
from .progress import _progress_bar
from .workspace import Workspace, connect

__all__ = ["Avatar", "Avatars", "Catalog", "Design", "Designs", "ExportHandle", "Workspace", "_progress_bar",
           "connect"]
