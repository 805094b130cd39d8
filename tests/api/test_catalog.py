"""``ws.catalog`` on the embedded default: thumbnails come through the notebook API (the catalog's files)."""

from __future__ import annotations

from tests.support import ROOT


def test_thumbnails_through_the_workspace(tmp_path) -> None:
    import fw_kernel as fw

    with fw.connect(home=str(tmp_path / "fw"), user="ada", autosave_thread=False) as ws:
        item = ws.catalog.get("acc-tote-bag")
        assert ws.catalog.thumbnail(item) == (ROOT / "catalog_data" / item.thumbnail).read_bytes()
        assert ws.catalog.thumbnail(item.id) is ws.catalog.thumbnail(item)  # read once per workspace
