"""The inspector shows the selected garment's flat pattern and redraws it when a parameter changes."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]


@pytest.fixture
def jacket(connect):
    ws = connect()
    avatar = ws.avatars.create("Ada", {"height": 168, "bust": 88, "waist": 70, "hips": 96}, body_hint="female")
    design = ws.designs.create("Jacket", avatar=avatar)
    blazer = design.add_layer("sil-blazer")
    belt = design.add_layer("acc-leather-belt")
    return design, blazer, belt


def test_the_inspector_draws_the_pattern_and_follows_parameters(jacket) -> None:
    design, blazer, belt = jacket
    studio = design.show()
    studio.layers.rows[blazer.id].select.click()
    view = studio.inspector.pattern
    assert view.widget.layout.display == ""
    before = view.html.value
    assert before.startswith("<svg") and 'id="collar"' in before and 'id="front_left"' in before
    studio.inspector.params["lapel"].value = "shawl"
    assert design.layer(blazer.id).customization["lapel"] == "shawl"
    assert view.html.value != before and 'id="collar"' not in view.html.value  # a shawl lapel has no collar piece
    studio.layers.rows[belt.id].select.click()
    assert view.widget.layout.display == "none"                                  # an accessory has no pattern
