"""The open studio follows edits saved elsewhere (issue #4): through another handle of the design in the same
kernel (in-process events) and through another workspace as a collaborator (Redis pub/sub), applied
incrementally, its own edits not reloaded, bursts coalesced, and on a running asyncio loop (a notebook kernel's)
applied on that loop's thread."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from fw_kernel.geometry.texture.color import linear_hex
from fw_widgets.sync import _flat_colour

MEASUREMENTS = {"height": 168, "bust": 88, "waist": 70, "hips": 96, "inseam": 78}


def _outfit(ws):
    avatar = ws.avatars.create("Ada", MEASUREMENTS, body_hint="female")
    design = ws.designs.create("Look", avatar=avatar)
    trousers = design.add_layer("sil-straight-trousers", {"color": "#334466"})
    tee = design.add_layer("sil-tshirt", {"color": "#aa3344"})
    return design, trousers, tee


def _geometries(studio) -> dict:
    return {name: view.mesh.geometry for name, view in studio.viewport.nodes.items()}


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_edit_through_another_handle_shows_in_the_open_studio(connect):
    ws = connect()
    d1, trousers, tee = _outfit(ws)
    studio = d1.show()
    d2 = ws.designs.get(d1.id)  # another handle of the same design, same kernel
    vp = studio.viewport
    tee_mesh = vp.nodes[f"layer:{tee.id}"].mesh
    tee_material = tee_mesh.material
    geometries = _geometries(studio)
    reloads = d1._follower.reloads

    d2.update_layer(tee.id, customization={"color": "#123456"})
    studio.live.wait(d2.version)
    assert d1.version == d2.version and d1.layer(tee.id).customization["color"] == "#123456"
    assert tee_mesh.material is tee_material and tee_material.color == linear_hex(_flat_colour("#123456"))
    assert studio.sync.last_path == "fast"  # incremental: the material's colour only
    assert _geometries(studio) == geometries and all(
        vp.nodes[name].mesh.geometry is geometry for name, geometry in geometries.items())
    assert d1._follower.reloads == reloads + 1

    d2.update_layer(trousers.id, is_visible=False)
    studio.live.wait(d2.version)
    assert vp.nodes[f"layer:{trousers.id}"].mesh.visible is False
    assert studio.layers.rows[trousers.id].visible.value is False  # the panels follow too
    assert f"version {d2.version}" in studio.header.value
    assert "updated by" not in studio.status.widget.value  # the same user: nothing to announce

    scarf = d2.add_layer("acc-silk-scarf")  # a new node: the full path, the other buffers kept
    studio.live.wait(d2.version)
    assert f"layer:{scarf.id}" in vp.nodes and studio.sync.last_path == "full"
    assert vp.nodes[f"layer:{tee.id}"].mesh.geometry is geometries[f"layer:{tee.id}"]
    assert vp.nodes["avatar"].mesh.geometry is geometries["avatar"]

    # the studio's own edits come back as events too: no reload, one fast update
    reloads, fast = d1._follower.reloads, studio.sync.stats["fast"]
    studio.layers.rows[tee.id].select.click()
    studio.layers.opacity.value = 40
    studio.live.wait(d1.version)
    assert d1._follower.reloads == reloads and studio.sync.stats["fast"] == fast + 1
    assert tee_material.opacity == pytest.approx(0.4, abs=0.003)

    studio.close()  # stops following: a later edit elsewhere leaves the closed studio's handle alone
    assert d1._follower is None
    d2.refresh().update_layer(tee.id, opacity=90)
    assert d1.layer(tee.id).opacity == 40


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_on_a_running_loop_a_burst_is_one_reload_on_the_loop_thread(connect):
    ws = connect()
    d1, _trousers, tee = _outfit(ws)
    d2 = ws.designs.get(d1.id)
    threads: list[str] = []

    async def kernel() -> None:  # what ipykernel does: cells and comm messages run on one asyncio loop
        studio = d1.show()
        d1.on_change(lambda design, action: threads.append(threading.current_thread().name))
        opacity = studio.viewport.nodes[f"layer:{tee.id}"].mesh.material
        for value in range(10, 60, 5):  # a collaborator's burst while a cell runs
            d2.update_layer(tee.id, opacity=value)
        assert d1.version < d2.version and threads == []  # applied between cells, not during one
        for _ in range(20):
            await asyncio.sleep(0.01)
        assert d1.version == d2.version and opacity.opacity == pytest.approx(0.55, abs=0.003)
        assert d1._follower.reloads == 1 and threads == [threading.current_thread().name]
        with pytest.raises(RuntimeError, match="never return"):
            studio.live.wait()
        studio.close()

    asyncio.run(kernel())


@pytest.mark.slow
@pytest.mark.service
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_collaborators_edit_in_another_workspace_reaches_the_studio_over_redis(connect, unique_user):
    owner_ws, editor_ws = connect(user=unique_user), connect(user=unique_user + "_bob")
    design, trousers, tee = _outfit(owner_ws)
    design.share(editor_ws.user, role="editor")
    studio = design.show()
    theirs = editor_ws.designs.get(design.id)
    tee_mesh = studio.viewport.nodes[f"layer:{tee.id}"].mesh
    geometries = _geometries(studio)

    theirs.update_layer(tee.id, customization={"color": "#0a7f3c"}, opacity=60)
    studio.live.wait(theirs.version, timeout=10)  # delivered on Redis's pub/sub thread, applied on the follower's
    assert tee_mesh.material.color == linear_hex(_flat_colour("#0a7f3c"))
    assert tee_mesh.material.opacity == pytest.approx(0.6, abs=0.003)
    assert all(studio.viewport.nodes[name].mesh.geometry is g for name, g in geometries.items())
    assert f"updated by {editor_ws.user} (version {theirs.version})" in studio.status.widget.value

    theirs.remove_layer(trousers.id)
    studio.live.wait(theirs.version, timeout=10)
    assert f"layer:{trousers.id}" not in studio.viewport.nodes
    assert [layer.id for layer in design.layers] == [tee.id]

    their_studio = theirs.show()
    design.unshare(editor_ws.user)  # the editor's open studio says why it stops following
    deadline = time.monotonic() + 10
    while "removed your access" not in their_studio.status.widget.value and time.monotonic() < deadline:
        time.sleep(0.01)
    assert f"{owner_ws.user} removed your access" in their_studio.status.widget.value
    studio.close()
    their_studio.close()


@pytest.mark.slow
def test_in_a_real_kernel_updates_arrive_between_cells_on_the_main_thread(tmp_path):
    """ipykernel runs cells and comm messages on one asyncio loop: the studio updates there, not during a cell."""
    import nbformat
    from nbclient import NotebookClient

    cells = [
        "import asyncio, threading\nimport fw_kernel as fw\n"
        f"ws = fw.connect(home={str(tmp_path / 'fw')!r}, user='ada', autosave_thread=False)\n"
        "d1 = ws.designs.create('Look'); studio = d1.show(); seen = []\n"
        "d1.on_change(lambda d, action: seen.append((threading.current_thread().name, action)))",
        "d2 = ws.designs.get(d1.id)\nlayer = d2.add_layer('sil-tshirt')\n"
        "print('during', d1.version, d2.version, layer.id in studio.layers.rows, seen)",
        "await asyncio.sleep(0.2)  # the cell yields to the kernel's loop\n"
        "print('after', d1.version, d2.version, layer.id in studio.layers.rows, seen)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    printed = [out.get("text", "") for cell in nb.cells for out in cell.get("outputs", [])]
    assert "during 1 2 False []\n" in printed
    assert "after 2 2 True [('MainThread', 'follow')]\n" in printed


def test_follow_in_plain_python_waits_coalesces_and_refuses_bad_callbacks(memory_services):
    """The kernel half, without widgets or a loop: a follower thread reloads, ``wait`` makes it deterministic."""
    from fw_kernel.api import Workspace
    from fw_kernel.domain.errors import ValidationError

    ws = Workspace(memory_services)
    mine = ws.designs.create("Look")
    other = ws.designs.get(mine.id)
    with pytest.raises(ValidationError, match="a function taking one event"):
        mine.follow("print")
    assert getattr(mine, "_follower", None) is None  # refused: nothing subscribed
    events, actions = [], []
    mine.on_change(lambda design, action: actions.append(action))
    following = mine.follow(events.append)
    layer = other.add_layer("sil-tshirt")
    for opacity in range(10, 60, 10):
        other.update_layer(layer.id, opacity=opacity)
    following.wait(other.version)
    assert mine.layer(layer.id).opacity == 50 and mine.version == other.version
    assert [e["type"] for e in events] == ["add_layer"] + ["update_layer"] * 5
    assert 1 <= mine._follower.reloads <= 6 and set(actions) == {"follow"}
    other.update(description="new")  # a design-field edit: listeners refresh everything
    following.wait(other.version)
    assert actions[-1] == "refresh"
    other.undo()  # its undo too
    following.wait(other.version)
    assert actions[-1] == "refresh" and mine.meta.description == other.meta.description
    following()
    other.update_layer(layer.id, opacity=90)
    assert mine.layer(layer.id).opacity == 50 and mine._follower is None
    with pytest.raises(TimeoutError, match="no longer followed"):
        following.wait(other.version)
