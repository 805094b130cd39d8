"""Publishing and the gallery through the notebook API, on SQLite and PostgreSQL: the owner publishes to the team
(or by public link), everyone signed in reads it and nobody else edits it, the gallery lists published designs
only (search, filters, sort), and unpublishing takes a design out of it."""

from __future__ import annotations

import uuid

import pytest

import fw_kernel as fw


@pytest.fixture
def people(connect):
    tag = uuid.uuid4().hex[:6]
    return connect(user=f"ada_{tag}"), connect(user=f"bob_{tag}"), connect(user=f"eve_{tag}")


def _linen(ws: fw.Workspace, name: str, category: str = "dress", avatar: object = None) -> fw.Design:
    design = ws.designs.create(name, avatar=avatar, category=category, tags=["summer"])
    design.add_layer("sil-aline-dress", {"color": "#aa3344"})
    design.add_layer(ws.catalog.search("linen", type="fabric")[0])
    return design


def test_publish_lets_everyone_read_and_nobody_else_edit(people) -> None:
    ada, bob, _ = people
    design = _linen(ada, "Gallery dress")
    with pytest.raises(fw.NotFound):  # a private draft: its existence is not revealed
        bob.designs.get(design.id)
    design.publish(to="team")
    assert design.published == "team" and design.meta.status == "published"
    seen = bob.designs.get(design.id)
    assert seen.role == "viewer" and len(seen.layers) == 2
    with pytest.raises(fw.PermissionDenied):
        seen.update(name="mine now")
    with pytest.raises(fw.PermissionDenied):
        seen.update_layer(seen.layers[0].id, opacity=10)
    with pytest.raises(fw.PermissionDenied, match="publish needs owner"):
        seen.unpublish()
    version = design.refresh().version
    with pytest.raises(fw.ValidationError, match=r"'team'.*'public'"):
        design.publish(to="world")
    assert design.refresh().version == version  # refused: nothing changed
    assert [h.action for h in design.history][-1] == "publish"
    kinds = list(ada.metrics.events(design=design.id)["type"].astype(str))
    assert "design_published" in kinds


def test_an_editor_cannot_publish_by_setting_the_status(people) -> None:
    ada, bob, eve = people
    design = _linen(ada, "Shared draft")
    design.update(visibility="shared")  # shared with collaborators only: still not the team's
    design.share(bob.user, role="editor")
    with pytest.raises(fw.NotFound):
        eve.designs.get(design.id)
    as_bob = bob.designs.get(design.id)
    with pytest.raises(fw.PermissionDenied, match="publish needs owner"):
        as_bob.update(status="published")
    assert design.refresh().meta.status == "draft"
    with pytest.raises(fw.NotFound):
        eve.designs.get(design.id)


def test_gallery_lists_published_designs_only_with_filters_and_sort(people) -> None:
    ada, bob, eve = people
    dress = _linen(ada, "Linen dress")
    coat = bob.designs.create("Wool coat", category="outerwear")
    coat.add_layer("sil-aline-dress")
    coat.add_layer(bob.catalog.search("wool", type="fabric")[0])
    secret = _linen(ada, "Secret dress")  # never published
    dress.publish(to="team")
    coat.publish(to="public")
    mine = {dress.id, coat.id, secret.id}  # (the PostgreSQL database is the whole session's)

    def listed(*args: object, **kwargs: object) -> list[str]:
        return [d.id for d in eve.designs.published(*args, **kwargs) if d.id in mine]  # type: ignore[arg-type]

    assert listed() == [coat.id, dress.id]  # newest edit first; the private one never
    assert listed(category="dress") == [dress.id]
    assert listed(designer=bob.user) == [coat.id]
    linen = ada.catalog.search("linen", type="fabric")[0]
    assert listed(fabric=linen.name) == [dress.id]
    assert listed(fabric=linen.id) == [dress.id]
    assert listed("LINEN") == [dress.id]
    eve.designs.get(dress.id).like()
    assert listed(sort="most_liked") == [dress.id, coat.id]
    with pytest.raises(fw.ValidationError, match="newest, most_liked"):
        eve.designs.published(sort="best")
    dress.unpublish()
    assert dress.published is None
    assert listed() == [coat.id]
    with pytest.raises(fw.NotFound):
        eve.designs.get(dress.id)
    assert "design_unpublished" in list(ada.metrics.events(design=dress.id)["type"].astype(str))


@pytest.mark.slow
def test_thumbnail_comes_from_the_render_cache(people) -> None:
    import io

    import numpy as np
    from PIL import Image

    ada, bob, _ = people
    avatar = ada.avatars.create("Ada", measurements={"height": 168, "bust": 88, "waist": 70, "hips": 96})
    design = _linen(ada, "Thumb dress", avatar=avatar)
    with pytest.raises(fw.NotFound):
        bob.designs.get(design.id)
    design.publish()
    png = bob.designs.get(design.id).thumbnail(96)
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert image.shape == (96, 96, 3)
    assert (image.std(axis=(0, 1)) > 5).all()  # a picture, not a flat fill
    assert bob.designs.get(design.id).thumbnail(96) == png  # the cached render
    assert ada.designs.get(design.id).exports == []  # no export job: counts in no export metric
    with pytest.raises(fw.ValidationError, match="32 to 1024"):
        design.thumbnail(5000)
