"""The notebook API's seam for code that embeds it (the design service): a workspace for a given user over shared
services, a design handle whose edits go through a given design service, and undo stacks kept between handles."""

from __future__ import annotations

from typing import Any

from fw_kernel.api import Design, Workspace


def test_a_workspace_acts_for_the_given_user_over_the_given_services(memory_services) -> None:
    own = Workspace(memory_services)
    bob = Workspace(memory_services, "bob")
    assert own.user == "ada" and bob.user == "bob"                       # default: the settings' user
    assert bob.services is memory_services and own.services is memory_services
    design = bob.designs.create("Bob's look")
    assert design.owner == "bob" and [d.id for d in bob.designs.list()] == [design.id]
    assert own.designs.list() == []                                      # private to bob


def test_undo_stacks_move_to_another_handle_and_are_copies(memory_services) -> None:
    ws = Workspace(memory_services)
    first = ws.designs.create("Look")
    layer = first.add_layer("sil-tshirt")
    first.update_layer(layer.id, opacity=40)
    undo, redo = first.undo_stacks
    assert len(undo) == 2 and redo == []
    undo.clear()                                                         # a copy: the handle keeps its stack
    assert first.can_undo and len(first.undo_stacks[0]) == 2

    second = ws.designs.get(first.id)
    assert not second.can_undo
    second.undo_stacks = first.undo_stacks                               # a request resuming a session
    assert second.undo() and second.layer(layer.id).opacity == 100       # undoes the first handle's last edit
    assert second.undo() and second.layers == []
    assert not second.undo() and len(second.undo_stacks[1]) == 2
    assert second.redo() and [x.id for x in second.layers] == [layer.id]
    assert len(first.undo_stacks[0]) == 2                                # the first handle is untouched


def test_a_design_handle_edits_through_the_given_service(memory_services) -> None:
    ws = Workspace(memory_services)
    state = ws.designs.create("Look").state
    seen: list[str] = []

    class Recording:
        """The workspace's design service, noting each edit that reaches it."""

        def __init__(self, designs: Any):
            self._designs = designs

        def execute(self, user: str, known: Any, command: Any, *args: Any) -> Any:
            seen.append(command.action)
            return self._designs.execute(user, known, command, *args)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._designs, name)

    design = Design(ws, state, "owner", service=Recording(memory_services.designs))
    layer = design.add_layer("sil-tshirt")
    design.update_layer(layer.id, opacity=50)
    design.undo()
    assert seen == ["add_layer", "update_layer", "update_layer"]         # the undo is an update's inverse
    assert ws.designs.get(state.id).layer(layer.id).opacity == 100       # saved by the real service
