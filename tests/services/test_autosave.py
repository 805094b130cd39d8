"""Auto-save: debounce on a hand-moved clock, outages of the document store and the cache, and the chain of
JSON patches between consecutive auto-saves."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import jsonpatch
import pytest

from fw_kernel.adapters.cache_local import LocalStateCache
from fw_kernel.bootstrap import Services
from fw_kernel.domain.commands import AddLayer, RemoveLayer, UpdateDesign, UpdateLayer
from fw_kernel.domain.design import Design, snapshot
from fw_kernel.services.autosave import Autosaver
from fw_kernel.services.designs import DesignService

from .helpers import Clock, new_layer, stored

DEBOUNCE = 30.0


@dataclass
class Rig:
    services: Services
    clock: Clock
    designs: DesignService
    autosaver: Autosaver
    cache: Any

    @property
    def docs(self) -> Any:
        return self.services.documents

    def autosaves(self, design_id: str) -> list[dict[str, Any]]:
        found = [doc for (d, _), doc in self.docs.autosaves.items() if d == design_id]
        return sorted(found, key=lambda doc: doc["designVersion"])

    def pending(self) -> list[str]:
        with self.services.uow() as uow:
            return uow.designs.pending_autosave(self.clock(), 1000)


class FlakyCache(LocalStateCache):
    """The in-process cache with an off switch."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def set_state(self, design_id: str, state: dict[str, Any], ttl_s: int) -> None:
        if self.down:
            raise ConnectionError("cache is down")
        super().set_state(design_id, state, ttl_s)


@dataclass
class Edits:
    rig: Rig
    design: Design
    layer_id: str = ""

    def edit(self, **changes: Any) -> Design:
        self.design, _ = self.rig.designs.execute("ada", self.design, UpdateLayer(self.layer_id, changes))
        return self.design


def make_rig(services: Services, cache: Any = None) -> Rig:
    clock = Clock()
    cache = cache if cache is not None else services.cache
    designs = DesignService(services.uow, services.catalog, cache, clock=clock)
    autosaver = Autosaver(services.uow, services.documents, cache, debounce_s=DEBOUNCE, clock=clock)
    return Rig(services, clock, designs, autosaver, cache)


@pytest.fixture
def rig(memory_services: Services) -> Rig:
    return make_rig(memory_services)


def start(rig: Rig) -> Edits:
    design = rig.designs.create("ada", "Look")
    layer = new_layer(rig.services, "sil-tshirt")
    design, _ = rig.designs.execute("ada", design, AddLayer(layer))
    return Edits(rig, design, layer.id)


# -- debounce -------------------------------------------------------------------------------------------------
def test_nothing_is_saved_before_the_debounce(rig: Rig) -> None:
    edits = start(rig)
    rig.clock.advance(DEBOUNCE - 1)
    report = rig.autosaver.run_once()
    assert report.saved == 0 and rig.docs.autosaves == {} and not report.errors
    assert rig.cache.get_state(edits.design.id) is None
    rig.clock.advance(2)
    report = rig.autosaver.run_once()
    assert report.saved == 1 and report.cache_refreshed == 1 and len(report.latencies_s) == 1
    [doc] = rig.autosaves(edits.design.id)
    assert doc["designVersion"] == edits.design.version and doc["state"] == snapshot(edits.design)
    assert rig.cache.get_state(edits.design.id) == {"version": edits.design.version,
                                                    "state": snapshot(edits.design)}


def test_force_saves_at_once(rig: Rig) -> None:
    edits = start(rig)
    report = rig.autosaver.run_once(force=True)
    assert report.saved == 1
    assert [d["designVersion"] for d in rig.autosaves(edits.design.id)] == [edits.design.version]


def test_every_edit_restarts_the_debounce_and_only_the_latest_state_is_saved(rig: Rig) -> None:
    edits = start(rig)
    for opacity in (90, 80, 70):
        rig.clock.advance(DEBOUNCE - 10)
        edits.edit(opacity=opacity)
        assert rig.autosaver.run_once().saved == 0
    rig.clock.advance(DEBOUNCE - 1)
    assert rig.autosaver.run_once().saved == 0
    rig.clock.advance(1)  # exactly the debounce after the last edit
    assert rig.autosaver.run_once().saved == 1
    [doc] = rig.autosaves(edits.design.id)
    assert doc["designVersion"] == edits.design.version and doc["state"]["layers"][0]["opacity"] == 70


def test_an_unchanged_design_is_not_saved_again(rig: Rig) -> None:
    edits = start(rig)
    assert rig.autosaver.run_once(force=True).saved == 1
    rig.clock.advance(3600)
    assert rig.autosaver.run_once().saved == 0 and rig.autosaver.run_once(force=True).saved == 0
    rig.designs.comment("ada", edits.design.id, "not an edit")
    rig.designs.open("ada", edits.design.id, count_view=True)
    assert rig.autosaver.run_once(force=True).saved == 0
    edits.edit(opacity=1)
    assert rig.autosaver.run_once(force=True).saved == 1
    assert len(rig.autosaves(edits.design.id)) == 2


def test_several_designs_are_saved_in_one_pass(rig: Rig) -> None:
    a, b, c = start(rig), start(rig), start(rig)
    rig.clock.advance(DEBOUNCE + 1)
    c.edit(opacity=5)  # c is still inside its debounce window
    report = rig.autosaver.run_once()
    assert report.saved == 2
    assert rig.autosaves(a.design.id) and rig.autosaves(b.design.id) and not rig.autosaves(c.design.id)
    rig.clock.advance(DEBOUNCE)
    assert rig.autosaver.run_once().saved == 1 and rig.autosaves(c.design.id)


def test_stop_flushes_pending_designs(rig: Rig) -> None:
    edits = start(rig)
    rig.autosaver.stop(flush=True)
    assert [d["designVersion"] for d in rig.autosaves(edits.design.id)] == [edits.design.version]


def test_the_wired_autosaver_debounces_on_the_real_clock(memory_services: Services) -> None:
    s = memory_services
    design = s.designs.create("ada", "Look")
    s.designs.execute("ada", design, AddLayer(new_layer(s, "sil-tshirt")))
    assert s.autosaver.debounce_s == 30
    assert s.autosaver.run_once().saved == 0 and s.documents.autosaves == {}   # edited just now
    assert s.autosaver.run_once(force=True).saved == 1
    assert list(s.documents.autosaves) == [(design.id, 2)]


# -- outages -------------------------------------------------------------------------------------------------
def test_document_store_outage_keeps_designs_pending_and_catches_up(rig: Rig) -> None:
    edits = start(rig)
    other = start(rig)
    rig.designs.checkpoint("ada", edits.design.id, "v1")
    rig.docs.down = True
    edits.edit(opacity=40)
    rig.clock.advance(DEBOUNCE + 1)
    report = rig.autosaver.run_once()
    assert report.saved == 0 and report.snapshots_synced == 0 and report.errors
    assert any("down" in e for e in report.errors)
    assert sorted(rig.pending()) == sorted([edits.design.id, other.design.id])
    assert rig.autosaver.run_once(force=True).saved == 0
    edits.edit(opacity=30)                           # more edits during the outage
    rig.clock.advance(DEBOUNCE + 1)
    assert rig.autosaver.run_once().saved == 0
    assert rig.docs.autosaves == {} and rig.docs.snapshots == {}
    rig.docs.down = False
    report = rig.autosaver.run_once()
    assert report.saved == 2 and report.snapshots_synced == 1 and not report.errors
    assert rig.pending() == []
    [doc] = rig.autosaves(edits.design.id)
    assert doc["designVersion"] == edits.design.version == stored(rig.services, edits.design.id).version
    assert doc["state"] == snapshot(stored(rig.services, edits.design.id))
    assert (edits.design.id, 1) in rig.docs.snapshots
    with rig.services.uow() as uow:
        assert uow.versions.unsynced(10) == []


def test_an_outage_in_the_middle_of_a_chain_keeps_the_patches_consistent(rig: Rig) -> None:
    edits = start(rig)
    rig.autosaver.run_once(force=True)
    edits.edit(opacity=10)
    rig.docs.down = True
    rig.autosaver.run_once(force=True)
    edits.edit(opacity=20)
    rig.docs.down = False
    rig.autosaver.run_once(force=True)
    docs = rig.autosaves(edits.design.id)
    assert len(docs) == 2
    assert jsonpatch.apply_patch(docs[0]["state"], docs[1]["patch"]) == docs[1]["state"]
    assert docs[1]["state"]["layers"][0]["opacity"] == 20


def test_cache_outage_is_retried_when_the_cache_is_back(memory_services: Services) -> None:
    cache = FlakyCache()
    rig = make_rig(memory_services, cache)
    edits = start(rig)
    cache.down = True
    report = rig.autosaver.run_once(force=True)
    assert report.saved == 1 and report.cache_refreshed == 0 and any("cache" in e for e in report.errors)
    assert cache.get_state(edits.design.id) is None
    assert rig.pending() == []  # the document copy is saved; only the cache lags
    cache.down = False
    report = rig.autosaver.run_once()
    assert report.saved == 0 and report.cache_refreshed == 1
    assert cache.get_state(edits.design.id) == {"version": edits.design.version, "state": snapshot(edits.design)}


# -- patches ---------------------------------------------------------------------------------------------------
def test_patches_of_consecutive_autosaves_rebuild_each_state(rig: Rig) -> None:
    edits = start(rig)
    rig.autosaver.run_once(force=True)
    steps = [
        lambda: edits.edit(opacity=50, blend_mode="multiply"),
        lambda: edits.edit(transform={"rotation": {"y": 15}}, customization={"color": "#aa3344"}),
        lambda: rig.designs.execute("ada", edits.design, AddLayer(new_layer(rig.services, "fab-denim-indigo"))),
        lambda: rig.designs.execute("ada", stored(rig.services, edits.design.id),
                                    UpdateDesign({"tags": ["a", "b"], "name": "Renamed"})),
        lambda: rig.designs.execute("ada", stored(rig.services, edits.design.id), RemoveLayer(edits.layer_id)),
    ]
    for step in steps:
        step()
        rig.clock.advance(DEBOUNCE + 1)
        assert rig.autosaver.run_once().saved == 1
    docs = rig.autosaves(edits.design.id)
    assert len(docs) == len(steps) + 1
    assert jsonpatch.apply_patch({}, docs[0]["patch"]) == docs[0]["state"]
    for previous, current in pairwise(docs):
        assert current["patch"], "an autosave of a changed design has a non-empty patch"
        assert jsonpatch.apply_patch(previous["state"], current["patch"]) == current["state"]
    assert docs[-1]["state"] == snapshot(stored(rig.services, edits.design.id))
    rebuilt: dict[str, Any] = {}
    for doc in docs:
        rebuilt = jsonpatch.apply_patch(rebuilt, doc["patch"])
    assert rebuilt == docs[-1]["state"]


def test_a_restarted_autosaver_patches_against_the_last_stored_autosave(rig: Rig) -> None:
    edits = start(rig)
    rig.autosaver.run_once(force=True)
    edits.edit(opacity=33)
    fresh = Autosaver(rig.services.uow, rig.services.documents, rig.cache, debounce_s=DEBOUNCE, clock=rig.clock)
    assert fresh.run_once(force=True).saved == 1
    first, second = rig.autosaves(edits.design.id)
    assert second["patch"] == [{"op": "replace", "path": "/layers/0/opacity", "value": 33}]
    assert jsonpatch.apply_patch(first["state"], second["patch"]) == second["state"]


def test_two_autosavers_keep_the_patch_chain_consistent(rig: Rig) -> None:
    edits = start(rig)
    other = Autosaver(rig.services.uow, rig.services.documents, rig.cache, debounce_s=DEBOUNCE, clock=rig.clock)
    rig.autosaver.run_once(force=True)                   # kernel A saves v2
    rig.designs.execute("ada", edits.design, AddLayer(new_layer(rig.services, "fab-denim-indigo")))
    other.run_once(force=True)                           # kernel B saves v3
    rig.designs.execute("ada", stored(rig.services, edits.design.id),
                        AddLayer(new_layer(rig.services, "acc-leather-belt")))
    rig.autosaver.run_once(force=True)                   # kernel A saves v4, patched against its own v2
    docs = rig.autosaves(edits.design.id)
    assert [d["designVersion"] for d in docs] == [2, 3, 4]
    by_version = {d["designVersion"]: d for d in docs}
    assert [d["baseVersion"] for d in docs] == [0, 2, 2]  # each patch names the save it is relative to
    for current in docs:
        base = by_version[current["baseVersion"]]["state"] if current["baseVersion"] else {}
        assert jsonpatch.apply_patch(base, current["patch"]) == current["state"]
