"""The studio reaches a design's workspace through the notebook API's public ``Design.workspace`` (no private
kernel attributes in the extension)."""

from __future__ import annotations

import re
from pathlib import Path

from fw_kernel.api import Workspace
from fw_widgets.context import StudioContext

EXTENSION = Path(__file__).resolve().parents[2] / "extension"


def test_a_studio_context_uses_the_workspace_the_design_was_opened_from(memory_services) -> None:
    ws = Workspace(memory_services, "bob")
    design = ws.designs.create("Look")
    assert design.workspace is ws
    assert ws.designs.get(design.id).workspace is ws
    ctx = StudioContext(design)
    assert ctx.ws is ws and ctx.ws.user == "bob"


def test_the_extension_reads_no_private_attribute_of_another_object() -> None:
    # ``x._name`` where x is not self/cls: a private kernel attribute (ipywidgets' ``w.`` has none used here)
    private = re.compile(r"\b(?!self\b|cls\b)[A-Za-z_]\w*(?:\(\))?\._[a-z]\w*")
    found = [f"{path.relative_to(EXTENSION)}:{n}: {line.strip()}"
             for path in sorted(EXTENSION.rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if private.search(line.split("#")[0])]
    assert found == []
