"""Fashion Wallet Studio kernel: ``import fw_kernel as fw; ws = fw.connect()``."""

from .api import Design, Workspace, connect
from .domain.errors import Conflict, FWError, FWWarning, LimitExceeded, NotFound, PermissionDenied, ValidationError

__all__ = ["Conflict", "Design", "FWError", "FWWarning", "LimitExceeded", "NotFound", "PermissionDenied",
           "ValidationError", "Workspace", "connect"]
__version__ = "0.1.0"
