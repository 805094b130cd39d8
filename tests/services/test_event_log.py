"""The event log is written in the unit of work of the change it records (in-memory adapters): one event per
change with the catalog item and the changed fields, nothing for a refused call, conflicts on their own, observers
only after the commit, and nothing at all with the log off."""

from __future__ import annotations

from typing import Any

import pytest

from fw_kernel.adapters.memory import MemoryUnitOfWork
from fw_kernel.bootstrap import Services
from fw_kernel.domain.commands import AddLayer, RemoveLayer, UpdateLayer
from fw_kernel.domain.errors import Conflict, NotFound, ValidationError
from fw_kernel.domain.events import EVENT_TYPES, Event

from .helpers import build, new_layer, state_of


def events(s: Services) -> list[Event]:
    with s.uow() as uow:
        assert isinstance(uow, MemoryUnitOfWork)
        return uow.events.all()


def test_each_change_writes_one_event_with_what_changed() -> None:
    s = build()
    design = s.designs.create("ada", "Look", category="dress")
    dress = new_layer(s, "sil-aline-dress")
    design, _ = s.designs.execute("ada", design, AddLayer(dress))
    design, _ = s.designs.execute("ada", design, UpdateLayer(dress.id, {"opacity": 40, "notes": "private note"}))
    s.designs.checkpoint("ada", design.id, "secret message")
    s.designs.share("ada", design.id, "bob", "editor")
    s.designs.comment("ada", design.id, "a private comment text")
    s.designs.fork("ada", design.id)
    design, _ = s.designs.execute("ada", s.designs.open("ada", design.id)[0], RemoveLayer(dress.id))
    log = events(s)
    assert [e.type for e in log] == ["design_created", "layer_added", "layer_updated", "version_checkpointed",
                                     "design_shared", "comment_added", "design_forked", "layer_removed"]
    assert all(e.type in EVENT_TYPES and e.actor == "ada" and e.time.utcoffset().total_seconds() == 0 for e in log)
    assert log[0].properties["category"] == "dress"
    assert log[1].properties["catalog_item"] == "sil-aline-dress" and log[1].properties["layer_type"] == "silhouette"
    assert log[2].properties["fields"] == ["notes", "opacity"]
    assert log[2].properties["catalog_item"] == "sil-aline-dress"
    assert log[-1].properties["catalog_item"] == "sil-aline-dress"  # the removed layer's item
    assert log[6].properties["from"] == design.id and log[6].design_id != design.id
    text = repr([e.properties for e in log])
    for private in ("private note", "secret message", "a private comment text"):
        assert private not in text  # field names and ids, never content


def test_a_refused_call_writes_no_event() -> None:
    s = build()
    design = s.designs.create("ada", "Look")
    before = len(events(s))
    with pytest.raises(NotFound):
        s.designs.execute("ada", design, UpdateLayer("nope", {"opacity": 1}))
    with pytest.raises(ValidationError):
        s.designs.comment("ada", design.id, "")
    assert len(events(s)) == before


def test_the_event_and_the_change_commit_together() -> None:
    """When the event cannot be written, the edit is rolled back with it: analytics never disagrees."""
    s = build()
    design = s.designs.create("ada", "Look")
    dress = new_layer(s, "sil-aline-dress")
    before_state, before_events = state_of(s, design.id), len(events(s))
    real_uow = s.designs._uow

    class Broken(MemoryUnitOfWork):
        def __enter__(self) -> Broken:
            super().__enter__()

            def fail(event: Any) -> None:
                raise RuntimeError("event log down")

            self.events.add = fail  # type: ignore[method-assign]
            return self

    s.designs._uow = lambda: Broken(real_uow()._store)  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError):
        s.designs.execute("ada", design, AddLayer(dress))
    s.designs._uow = real_uow
    assert state_of(s, design.id) == before_state
    assert len(events(s)) == before_events


def test_a_conflict_is_logged_and_observers_see_committed_events_only() -> None:
    s = build()
    seen: list[str] = []
    s.designs.observers.append(lambda e: seen.append(e.type))
    design = s.designs.create("ada", "Look")
    top = new_layer(s, "sil-tshirt")
    design, _ = s.designs.execute("ada", design, AddLayer(top))
    s.designs.execute("ada", design, UpdateLayer(top.id, {"opacity": 10}))
    with pytest.raises(Conflict):  # a stale handle touching the same layer
        s.designs.execute("ada", design, UpdateLayer(top.id, {"opacity": 20}))
    with pytest.raises(NotFound):
        s.designs.execute("ada", design, UpdateLayer("missing", {"opacity": 1}))
    assert [e.type for e in events(s)][-2:] == ["layer_updated", "conflict"]
    assert seen == ["design_created", "layer_added", "layer_updated", "conflict"]


def test_with_the_log_off_nothing_is_written() -> None:
    s = build(event_log=False)
    design = s.designs.create("ada", "Look")
    s.designs.execute("ada", design, AddLayer(new_layer(s, "sil-tshirt")))
    s.designs.checkpoint("ada", design.id, "v1")
    assert events(s) == []
    assert [h.action for h in s.designs.history("ada", design.id)] == ["create", "add_layer", "checkpoint"]
