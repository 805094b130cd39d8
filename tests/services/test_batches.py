"""The batched reads GraphQL's loaders use: versions, collaborators and avatars of many designs at once, with
the per-design permissions of the single reads (a design the user may not read is left out), on both backends
and on the in-memory adapters."""

from __future__ import annotations

from typing import Any

import pytest


def _check(services: Any, alice: str, bob: str) -> None:
    designs, avatars = services.designs, services.avatars
    mine = designs.create(alice, "Mine")
    shared = designs.create(alice, "Shared")
    public = designs.create(alice, "Public", visibility="public")
    designs.checkpoint(alice, mine.id, "m1")
    designs.checkpoint(alice, mine.id, "m2")
    designs.checkpoint(alice, shared.id, "s1")
    designs.share(alice, shared.id, bob, "commenter")
    ids = [mine.id, shared.id, public.id, "missing-id", "../x"]
    assert {k: [v.message for v in vs] for k, vs in designs.versions_many(alice, ids).items()} == {
        mine.id: ["m1", "m2"], shared.id: ["s1"], public.id: []}
    # bob: the shared and the public design only, as single reads answer
    assert set(designs.versions_many(bob, ids)) == {shared.id, public.id}
    people = designs.collaborators_many(bob, ids)
    assert set(people) == {shared.id, public.id}
    assert [(c.user, c.role) for c in people[shared.id]] == [(bob, "commenter")] and people[public.id] == []
    assert [c.user for c in designs.collaborators(bob, shared.id)] == [c.user for c in people[shared.id]]
    assert designs.versions_many(bob, []) == {} and designs.collaborators_many(bob, []) == {}
    designs.delete(alice, public.id)
    assert public.id not in designs.versions_many(alice, ids)
    one = avatars.create(alice, "One", {"bust": 90.0, "waist": 70.0, "hips": 96.0})
    two = avatars.create(bob, "Two", {"bust": 80.0, "waist": 60.0, "hips": 86.0})
    found = avatars.of_designs([one.id, two.id, "missing", None])
    assert {k: a.name for k, a in found.items()} == {one.id: "One", two.id: "Two"}
    assert avatars.of_designs([]) == {}


def test_batched_reads_on_both_backends(connect: Any, unique_user: str) -> None:
    ws = connect(user=unique_user)
    ws._services.avatars.fitter = None
    _check(ws._services, unique_user, unique_user + "_bob")


def test_batched_reads_on_the_memory_adapters(memory_services: Any) -> None:
    memory_services.avatars.fitter = None
    _check(memory_services, "alice", "bob")


@pytest.mark.parametrize("n", [1, 5])
def test_one_statement_each_however_many_designs(connect: Any, unique_user: str, n: int) -> None:
    from sqlalchemy import event

    ws = connect(user=unique_user)
    services = ws._services
    ids = [services.designs.create(unique_user, f"D{i}").id for i in range(n)]
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(services.engine, "before_cursor_execute", count)
    try:
        services.designs.versions_many(unique_user, ids)
    finally:
        event.remove(services.engine, "before_cursor_execute", count)
    # designs, their layers, their collaborators, the versions: four SELECTs for 1 design as for 5
    assert len(seen) == 4, seen
