"""The gallery app over the design service: designs published through the service's client (``fw.connect`` with
a service URL and a token, as on a hub) appear as cards, with thumbnails rendered by the service, in another
user's gallery; private ones never do, and an unpublished one is gone on the next refresh."""

from __future__ import annotations

import fw_kernel as fw
from fw_kernel.adapters.remote_http import RemoteServices
from fw_widgets.gallery import Gallery
from tests.support.service import TOKENS, RunningService


def _names(gallery: Gallery) -> list[str]:
    return [card.children[1].value.split("fw-gallery-name'>")[1].split("<")[0] for card in gallery.grid.children]


def test_designs_published_through_the_client_appear_in_the_gallery(sqlite_service: RunningService) -> None:
    url = f"http://127.0.0.1:{sqlite_service.port}/"
    alice, bob, carol = (fw.connect(service_url=url, token=TOKENS[u]) for u in ("alice", "bob", "carol"))
    try:
        assert isinstance(carol._services, RemoteServices)
        dress = alice.designs.create("Remote linen dress", category="dress")
        dress.add_layer("sil-aline-dress", {"color": "#aa3344"})
        coat = bob.designs.create("Remote wool coat", category="outerwear")
        coat.add_layer("sil-aline-dress", {"color": "#335577"})
        alice.designs.create("Remote secret", category="dress").add_layer("sil-aline-dress")
        dress.publish(to="team")
        coat.publish(to="public")
        gallery = Gallery(carol, thumb_size=64)  # carol owns nothing and collaborates on nothing
        assert _names(gallery) == ["Remote wool coat", "Remote linen dress"]  # newest edit first
        assert "Remote secret" not in " ".join(_names(gallery))
        assert {"alice", "bob"} <= set(gallery.designer.options)
        thumb = gallery.thumbnail(carol.designs.get(dress.id))
        assert thumb is not None and thumb[:8] == b"\x89PNG\r\n\x1a\n"
        gallery.category.value = "dress"
        assert _names(gallery) == ["Remote linen dress"]
        gallery.category.value = "(all)"
        coat.unpublish()
        gallery.refresh()
        assert _names(gallery) == ["Remote linen dress"]
    finally:
        for ws in (alice, bob, carol):
            ws.close()
