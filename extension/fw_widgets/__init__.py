"""Fashion Wallet Studio widgets: the design studio (``DesignStudio``, what ``design.show()`` returns) and the
read-only viewer of the Voila app (``DesignViewer``, ``open_viewer``). pythreejs is imported only by
:mod:`fw_widgets.three`."""

from .studio import DesignStudio
from .viewer import DesignViewer, design_id_from_query, open_viewer

__all__ = ["DesignStudio", "DesignViewer", "design_id_from_query", "open_viewer"]
