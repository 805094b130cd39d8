"""A stale handle over HTTP behaves as a local one: its edit is re-applied on the latest state when it touches
nothing changed since it was read, and refused with the same ``Conflict`` (message, field, allowed) when it
does; ``refresh()`` lets it through. The client sends the version its edit was decided on
(``X-FW-Base-Version``), which the service checks against the design's history as the kernel does."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

import fw_kernel as fw
from fw_kernel.domain.errors import Conflict
from fw_server import __version__
from fw_server.openapi import document
from tests.support.service import TOKENS, ServiceProcess, local, remote


def _conflict(call: Callable[[], Any]) -> tuple[str, str | None, str | None]:
    with pytest.raises(Conflict) as err:
        call()
    # the clock time of the other edit differs between the two runs
    return re.sub(r"\d\d:\d\d:\d\d", "HH:MM:SS", str(err.value)), err.value.field, err.value.allowed


def two_handles(open_ws: Callable[[], fw.Workspace]) -> dict[str, Any]:
    """The same story through any two workspaces of one user: what each step gave."""
    ws1, ws2 = open_ws(), open_ws()
    try:
        d1 = ws1.designs.create("Two handles")
        a = d1.add_layer("sil-aline-dress", {"color": "#111111"})
        b = d1.add_layer(ws1.catalog.search("cashmere", type="fabric")[0].id)
        d2 = ws2.designs.get(d1.id)                                       # both at the same version
        d1.update_layer(a.id, customization={"color": "#222222"})       # handle 2 is stale now
        out: dict[str, Any] = {}
        out["same_layer"] = _conflict(lambda: d2.update_layer(a.id, customization={"color": "#333333"}))
        out["after_refusal"] = (d2.version, d2.layer(a.id).customization["color"])
        d2.update_layer(b.id, opacity=40)                                 # stale, another layer: re-applied
        out["other_layer"] = (d2.version, d2.layer(a.id).customization["color"], d2.layer(b.id).opacity)
        d1.update_layer(a.id, customization={"color": "#444444"})       # d1 was stale (B): fine, d2 stale again
        out["again"] = _conflict(lambda: d2.update_layer(a.id, customization={"color": "#555555"}))
        d2.refresh()
        d2.update_layer(a.id, customization={"color": "#555555"})
        out["after_refresh"] = (d2.version, d2.layer(a.id).customization["color"])
        out["undo_stale"] = _conflict(d1.undo)                            # d1's undo touches A, changed by d2
        final = ws1.designs.get(d1.id)
        out["final"] = (final.version, [(x.customization.get("color"), x.opacity) for x in final.layers])
        out["history"] = [(h.version, h.action) for h in final.history]
        return out
    finally:
        ws1.close()
        ws2.close()


def test_stale_handles_over_http_conflict_as_locally(service: ServiceProcess, client_env: Path,
                                                     tmp_path: Path) -> None:
    over_http = two_handles(lambda: remote(service, "alice"))
    home = tmp_path / "local"
    in_process = two_handles(lambda: local(home, "alice"))
    assert over_http == in_process
    message, field, allowed = over_http["same_layer"]
    assert "'alice' changed the same thing first (update_layer at version 4" in message, message
    assert "design.refresh()" in message and field == "version" and allowed == "version 4"
    assert over_http["other_layer"] == (5, "#222222", 40)
    assert over_http["after_refresh"] == (7, "#555555")
    assert over_http["final"][1][0] == ("#555555", 100)


def test_base_version_header_is_checked_and_documented(service: ServiceProcess) -> None:
    api = f"{service.url}api/v1"
    headers = {"Authorization": f"token {TOKENS['alice']}"}
    design = requests.post(f"{api}/designs", json={"name": "Header"}, headers=headers, timeout=30).json()
    did = design["id"]
    layer = requests.post(f"{api}/designs/{did}/layers", json={"item_id": "sil-aline-dress"}, headers=headers,
                          timeout=30).json()
    url = f"{api}/designs/{did}/layers/{layer['id']}"
    for bad in ("abc", "0", "-3", "1.5", "9" * 12):
        r = requests.patch(url, json={"opacity": 10}, headers={**headers, "X-FW-Base-Version": bad}, timeout=30)
        assert r.status_code == 422 and r.json()["field"] == "X-FW-Base-Version", (bad, r.text)
    r = requests.patch(url, json={"opacity": 10}, headers={**headers, "X-FW-Base-Version": "99"}, timeout=30)
    assert r.status_code == 422 and "1 to 2" in r.json()["allowed"]                    # a version it never had
    assert requests.get(f"{api}/designs/{did}", headers=headers, timeout=30).json()["version"] == 2  # unchanged
    r = requests.patch(url, json={"opacity": 20}, headers={**headers, "X-FW-Base-Version": "2"}, timeout=30)
    assert r.status_code == 200 and r.json()["opacity"] == 20                          # current: applied
    r = requests.patch(url, json={"opacity": 30}, headers={**headers, "X-FW-Base-Version": "2"}, timeout=30)
    assert r.status_code == 409 and r.json()["error"] == "conflict" and r.json()["field"] == "version"
    r = requests.patch(f"{api}/designs/{did}", json={"name": "Renamed"},
                       headers={**headers, "X-FW-Base-Version": "2"}, timeout=30)
    assert r.status_code == 200 and r.json()["version"] == 4                           # stale, other field: rebased
    doc = document("/api/v1", __version__)
    params = {p["name"]: p for p in doc["paths"]["/designs/{design_id}/layers/{layer_id}"]["patch"]["parameters"]}
    assert params["X-FW-Base-Version"]["in"] == "header" and not params["X-FW-Base-Version"]["required"]
    assert "409" in doc["paths"]["/designs/{design_id}/layers/{layer_id}"]["patch"]["responses"]
