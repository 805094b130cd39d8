"""``avatar.update(...)`` in the notebook API on SQLite and PostgreSQL: renamed and re-measured avatars are
stored (another workspace reads them), recorded in the event log, refused input changes nothing, and nobody else
updates them."""

from __future__ import annotations

import uuid

import pytest

import fw_kernel as fw


def test_update_is_stored_logged_and_owner_only(connect) -> None:
    tag = uuid.uuid4().hex[:6]
    ada = connect(user=f"ada_{tag}")
    ada._services.avatars.fitter = None  # the fitter is tested elsewhere; these checks are about storage
    avatar = ada.avatars.create("Ada", {"height": 168, "bust": 88, "waist": 70, "hips": 96}, "female")
    avatar.update(name="Ada (spring)", measurements={"waist": 72, "inseam": 78})
    again = connect(user=f"ada_{tag}").avatars.get(avatar.id)
    assert again.name == "Ada (spring)"
    assert again.requested == {"height": 168, "bust": 88, "waist": 72, "hips": 96, "inseam": 78}
    with pytest.raises(fw.ValidationError, match="underbust"):
        avatar.update(measurements={"underbust": 90})  # more than the bust asked before
    assert ada.avatars.get(avatar.id).requested == again.requested
    with pytest.raises(fw.NotFound):
        connect(user=f"eve_{tag}")._services.avatars.update(f"eve_{tag}", avatar.id, name="mine")
    assert ada.avatars.get(avatar.id).name == "Ada (spring)"
    logged = ada.metrics.events(types="avatar_updated")
    assert len(logged) == 1 and logged["properties"].iloc[0]["fields"] == ["measurements", "name"]
