"""``AvatarService.update`` on the in-memory store with a recording body fitter (the fitter is not under test):
the body is fitted again only when the measurements or the body hint change, to the merged measurements; a photo
avatar's measurements given now get full confidence; a refusal changes nothing; the owner only."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from fw_kernel.bootstrap import Services
from fw_kernel.domain.errors import NotFound, ValidationError


class RecordingFitter:
    """Measures what it is asked plus one centimetre of ease, and remembers each fit."""

    def __init__(self) -> None:
        self.fits: list[tuple[dict[str, float], str]] = []

    def fit(self, values: dict[str, float], hint: str) -> tuple[dict[str, float], dict[str, Any]]:
        self.fits.append((dict(values), hint))
        return {k: v + 1.0 for k, v in values.items()}, {"fit": len(self.fits), "hint": hint}

    def body(self, params: dict[str, Any]) -> Any:
        raise AssertionError("not needed here")


@pytest.fixture
def avatars(memory_services: Services) -> Any:
    memory_services.avatars.fitter = RecordingFitter()  # type: ignore[assignment]
    return memory_services.avatars


def test_refits_the_merged_measurements_only_when_they_change(avatars: Any) -> None:
    fitter = avatars.fitter
    a = avatars.create("ada", "Ada", {"height": 168, "waist": 70, "hips": 96}, "female")
    renamed = avatars.update("ada", a.id, name="Ada 2")
    assert renamed.name == "Ada 2" and renamed.body == a.body and len(fitter.fits) == 1  # no re-fit
    same = avatars.update("ada", a.id, measurements={"waist": 70})
    assert same == renamed and len(fitter.fits) == 1  # nothing changed: nothing written
    wider = avatars.update("ada", a.id, measurements={"waist": 74})
    assert fitter.fits[-1] == ({"height": 168.0, "waist": 74.0, "hips": 96.0}, "female")
    assert wider.requested["waist"] == 74 and wider.measurements["waist"] == 75 and wider.body["fit"] == 2
    male = avatars.update("ada", a.id, body_hint="male")
    assert fitter.fits[-1][1] == "male" and male.body_hint == "male" and male.requested == wider.requested
    assert avatars.get("ada", a.id) == male


def test_a_photo_avatars_new_measurements_are_certain(avatars: Any, memory_services: Services) -> None:
    a = avatars.create("ada", "Photo", {"height": 168, "waist": 70, "hips": 96}, "female")
    photo = dataclasses.replace(a, source="photo", confidence={"height": 1.0, "waist": 0.6, "hips": 0.7})
    with memory_services.uow() as uow:
        uow.avatars.update(photo)
        uow.commit()
    got = avatars.update("ada", a.id, measurements={"waist": 72})
    assert got.source == "photo" and got.confidence == {"height": 1.0, "waist": 1.0, "hips": 0.7}


@pytest.mark.parametrize("bad", [
    {"measurements": {"waist": 20}}, {"measurements": {"inseam": 99}}, {"measurements": []},
    {"measurements": {"waist": "72cm"}}, {"name": "x" * 201}, {"name": 5}, {"body_hint": "robot"}, {},
])
def test_refusals_change_nothing(avatars: Any, bad: dict[str, Any]) -> None:
    a = avatars.create("ada", "Ada", {"height": 168, "waist": 70, "hips": 96}, "female")
    fits = len(avatars.fitter.fits)
    with pytest.raises(ValidationError):
        avatars.update("ada", a.id, **bad)
    assert avatars.get("ada", a.id) == a and len(avatars.fitter.fits) == fits


def test_someone_elses_avatar_is_not_found(avatars: Any) -> None:
    a = avatars.create("ada", "Ada", {"height": 168}, "female")
    with pytest.raises(NotFound):
        avatars.update("bob", a.id, name="Mine")
    with pytest.raises(NotFound):
        avatars.update("ada", "no-such-avatar", name="Mine")
    assert avatars.get("ada", a.id).name == "Ada"
