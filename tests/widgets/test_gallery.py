"""The gallery widget in the kernel: cards of published designs only, filters and sort that re-query, a refresh
that drops unpublished designs, and Open showing the read-only viewer."""

from __future__ import annotations

import uuid

import pytest

from fw_widgets.gallery import Gallery


def _names(gallery: Gallery) -> list[str]:
    return [card.children[1].value.split("fw-gallery-name'>")[1].split("<")[0] for card in gallery.grid.children]


@pytest.fixture
def team(connect):
    tag = uuid.uuid4().hex[:6]
    ada, bob, eve = (connect(user=f"{n}_{tag}") for n in ("ada", "bob", "eve"))
    dress = ada.designs.create(f"Linen dress {tag}", category="dress")
    dress.add_layer("sil-aline-dress")
    dress.add_layer(ada.catalog.search("linen", type="fabric")[0])
    coat = bob.designs.create(f"Wool coat {tag}", category="outerwear")
    coat.add_layer("sil-aline-dress")
    coat.add_layer(bob.catalog.search("wool", type="fabric")[0])
    ada.designs.create(f"Secret {tag}", category="dress").add_layer("sil-aline-dress")
    dress.publish(to="team")
    coat.publish(to="public")
    return tag, ada, bob, eve, dress, coat


def test_gallery_cards_filters_sort_refresh_and_open(team) -> None:
    tag, ada, bob, eve, dress, coat = team
    gallery = Gallery(eve, thumb_size=64)
    gallery.search.value = tag  # (the PostgreSQL database is the whole session's)
    assert _names(gallery) == [coat.name, dress.name]
    assert f"Secret {tag}" not in " ".join(_names(gallery))
    assert bob.user in gallery.designer.options and ada.user in gallery.designer.options
    gallery.category.value = "dress"
    assert _names(gallery) == [dress.name]
    gallery.category.value = "(all)"
    gallery.designer.value = bob.user
    assert _names(gallery) == [coat.name]
    gallery.designer.value = "(all)"
    gallery.fabric.value = ada.catalog.search("linen", type="fabric")[0].name
    assert _names(gallery) == [dress.name]
    gallery.fabric.value = "(all)"
    eve.designs.get(dress.id).like()
    gallery.sort.value = "most_liked"
    assert _names(gallery) == [dress.name, coat.name]
    assert "1 like(s)" in gallery.grid.children[0].children[1].value
    gallery.grid.children[0].children[2].click()  # Open
    assert gallery.browse.layout.display == "none"
    assert gallery.viewer.design.id == dress.id and gallery.viewer.design.role == "viewer"
    gallery.detail.children[0].click()  # Back
    assert gallery.viewer is None and gallery.browse.layout.display is None
    dress.unpublish()
    assert _names(gallery) == [dress.name, coat.name]  # until the next refresh
    gallery.refresh_button.click()
    assert _names(gallery) == [coat.name]
