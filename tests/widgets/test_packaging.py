"""fw_kernel does not need the widget libraries; pythreejs is imported by one module only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import fw_widgets


def test_fw_kernel_imports_no_widget_library_and_pythreejs_lives_in_one_module():
    code = "import fw_kernel, sys; print(sorted(m for m in ('fw_widgets', 'pythreejs', 'ipywidgets') " \
           "if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    package = Path(fw_widgets.__file__).parent
    importers = sorted(p.name for p in package.glob("*.py") if "import pythreejs" in p.read_text()
                       or "from pythreejs" in p.read_text())
    assert importers == ["three.py"]
