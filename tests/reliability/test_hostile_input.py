"""Hostile input (issue #21): hypothesis drives the notebook API with huge strings, NaN/Infinity, control and
bidi characters, lone surrogates, injection strings and deep JSON in design names, tags, comments, layer names,
notes and customization values. Every call is either accepted and read back exactly (from a fresh workspace on
the same store) or refused with a ValidationError that changes nothing (same version, same stored state).

Names and comments shown in the studio and gallery widgets (what the Voila apps display) and in the tech pack
PDF are text, never markup; uploaded photos are checked by content, size and pixel count.
"""

from __future__ import annotations

import base64
import io
import json
import math
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fw_kernel as fw
from fw_kernel.domain.errors import FWError, ValidationError
from tests.reliability.world import record

HOSTILE = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"><svg onload=alert(1)>", "javascript:alert(1)",
    "'; DROP TABLE designs; --", "\" OR 1=1 --", "{\"$gt\": \"\"}", "$where", "${jndi:ldap://x/a}", "{{7*7}}",
    "\u202egnp.exe", "\u2066isolate\u2069", "\u200b\u200d\ufeff", "a\x00b", "\x1b[31mred", "\r\n\t\x7f\x85",
    "\ud800", "\udfff lone", "😀" * 50, "e\u0301" * 30, "x" * 200, "x" * 201, "x" * 10_000, "x" * 10_001,
    "x" * 1_000_000, "", " ", "\u3000", "NaN", "Infinity",
]
texts = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=300),
                  st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp", "Co", "Cs"]),
                          max_size=50))
_leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                  st.floats(allow_nan=True, allow_infinity=True), texts)
json_values = st.recursive(_leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(texts, inner, max_size=4)), max_leaves=12)


def deep(n: int) -> Any:
    value: Any = 1
    for _ in range(n):
        value = {"a": [value]}
    return value


customizations = st.one_of(
    st.dictionaries(st.sampled_from(["color", "length", "flare", "neckline", "sleeve_length", "has_waist_seam", "fit",
                                     "ease", "nope", ""]), json_values, max_size=4),
    st.builds(lambda n: {"color": deep(n)}, st.integers(1, 3000)),
    st.sampled_from([{"length": math.nan}, {"length": math.inf}, {"length": -math.inf}, {"ease": 1e308},
                     {"color": "#12345g"}, {"color": "#" + "a" * 10_000}, {"fit": "<script>"}]),
)
SETTINGS = settings(max_examples=100, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
CALLS = {"n": 0, "accepted": 0, "refused": 0}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("hostile")
    ws = fw.connect(home=str(home), user="ada", autosave_thread=False, queue="local")
    design = ws.designs.create("Hostile", category="dress")
    layer = design.add_layer("sil-aline-dress")
    reader = fw.connect(home=str(home), user="ada", autosave_thread=False, queue="local")  # its own services
    assert reader.services is not ws.services
    yield {"home": home, "ws": ws, "reader": reader, "design": design, "layer": layer.id}
    record("hostile_notebook_api", calls=CALLS["n"], accepted=CALLS["accepted"], refused=CALLS["refused"])
    reader.close()
    ws.close()


def stored(store: dict[str, Any]) -> tuple[int, dict[str, Any], list[str]]:
    """(version, snapshot, comment texts) as a fresh workspace reads them from the store."""
    d = store["reader"].designs.get(store["design"].id)
    return d.version, d.snapshot(), [c.text for c in d.comments]


def attempt(store: dict[str, Any], call: Any, check: Any) -> None:
    """Run ``call``; accepted: ``check(fresh)`` reads it back; refused: a ValidationError and nothing changed."""
    design = store["design"]
    before = stored(store)
    local_before = (design.version, design.snapshot())
    CALLS["n"] += 1
    try:
        call(design)
    except ValidationError:
        CALLS["refused"] += 1
        assert stored(store) == before, "a refused call changed the stored design"
        assert (design.version, design.snapshot()) == local_before, "a refused call changed the open design"
        return
    except FWError as exc:  # any other refusal is a wrong kind of answer to bad input
        raise AssertionError(f"refused with {type(exc).__name__}, not ValidationError: {exc}") from exc
    CALLS["accepted"] += 1
    version, snapshot, comments = stored(store)
    assert version == design.version and snapshot == design.snapshot()
    check(snapshot, comments)


@SETTINGS
@given(name=texts)
def test_design_names(store: dict[str, Any], name: str) -> None:
    attempt(store, lambda d: d.update(name=name), lambda snap, _: _eq(snap["name"], name))


@SETTINGS
@given(tags=st.lists(texts, max_size=60))
def test_design_tags(store: dict[str, Any], tags: list[str]) -> None:
    attempt(store, lambda d: d.update(tags=tags), lambda snap, _: _eq(list(snap["tags"]), tags))


@SETTINGS
@given(text=texts)
def test_comments(store: dict[str, Any], text: str) -> None:
    attempt(store, lambda d: d.comment(text), lambda _, comments: _eq(comments[-1], text))


@SETTINGS
@given(name=texts, notes=texts)
def test_layer_names_and_notes(store: dict[str, Any], name: str, notes: str) -> None:
    lid = store["layer"]
    attempt(store, lambda d: d.update_layer(lid, name=name, notes=notes),
            lambda snap, _: _eq((_layer(snap, lid)["name"], _layer(snap, lid)["notes"]), (name, notes)))


@SETTINGS
@given(customization=customizations)
def test_layer_customization_values(store: dict[str, Any], customization: dict[str, Any]) -> None:
    lid = store["layer"]

    def check(snap: dict[str, Any], _: Any) -> None:
        got = _layer(snap, lid)["customization"]
        for key, value in customization.items():
            assert key in got and json.dumps(got[key], sort_keys=True) == json.dumps(value, sort_keys=True), (
                key, value, got.get(key))

    attempt(store, lambda d: d.update_layer(lid, customization=customization), check)


def _layer(snap: dict[str, Any], layer_id: str) -> dict[str, Any]:
    return next(x for x in snap["layers"] if x["id"] == layer_id)


def _eq(got: Any, want: Any) -> None:
    assert got == want, f"stored {got!r:.200} but was given {want!r:.200}"


# -- escaping ----------------------------------------------------------------------------------------------------------
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _html_of(obj: Any, seen: set[int] | None = None) -> list[str]:
    """Every HTML string a widget tree hands the browser: HTML widgets' values, found through widget children and
    the attributes of the fw_widgets panels holding them."""
    import ipywidgets as w

    seen = seen if seen is not None else set()
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    out: list[str] = []
    if isinstance(obj, w.HTML | w.HTMLMath):
        out.append(obj.value)
    if isinstance(obj, w.Widget):
        for child in getattr(obj, "children", ()) or ():
            out += _html_of(child, seen)
    if isinstance(obj, list | tuple):
        for item in obj:
            out += _html_of(item, seen)
    elif isinstance(obj, dict):
        for item in obj.values():
            out += _html_of(item, seen)
    if type(obj).__module__.startswith("fw_widgets"):
        for value in vars(obj).values():
            if isinstance(value, w.Widget | list | tuple | dict) or type(value).__module__.startswith("fw_widgets"):
                out += _html_of(value, seen)
    return out


def _check_markup(fragments: list[str]) -> str:
    """No fragment has a script/img element or an on* attribute; returns all their text."""
    text = []
    for fragment in fragments:
        parser = _Markup()
        parser.feed(fragment)
        for tag, attrs in parser.tags:
            assert tag not in ("script", "img", "iframe", "object", "embed"), (tag, fragment[:300])
            assert not any(k.lower().startswith("on") for k, _ in attrs), (attrs, fragment[:300])
        text.append("".join(parser.text))
    return "\n".join(text)


@pytest.mark.slow
def test_hostile_names_are_text_in_the_studio_gallery_and_tech_pack(tmp_path: Path) -> None:
    from fw_widgets import DesignStudio
    from fw_widgets.gallery import Gallery

    ada = fw.connect(home=str(tmp_path / "fw"), user="ada", autosave_thread=False, queue="local")
    eve = fw.connect(home=str(tmp_path / "fw"), user="eve", autosave_thread=False, queue="local")
    try:
        design = ada.designs.create(SCRIPT, category="dress", description=IMG, tags=[IMG[:40]])
        layer = design.add_layer("sil-aline-dress")
        design.update_layer(layer.id, name=IMG, notes=SCRIPT)
        design.comment(IMG)
        design.checkpoint(SCRIPT)
        design.publish(to="team")

        studio = DesignStudio(design)
        studio.layers.rows[layer.id].select.click()       # the inspector shows the layer's name
        shown = _check_markup(_html_of(studio))
        assert SCRIPT in shown, "the design name is not shown as text in the studio"

        gallery = Gallery(eve, thumb_size=32)
        shown = _check_markup(_html_of(gallery))
        assert SCRIPT in shown, "the design name is not shown as text in the gallery"

        job = design.export("techpack").wait(timeout=300, progress=False)
        assert job.status == "completed", job.error
        pdf = tmp_path / "techpack.pdf"
        pdf.write_bytes(ada.services.blobs().read_url(job.file_url))
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert SCRIPT in text and "onerror=alert(1)>" in text.replace("\n", " "), text[:500]
        assert b"/JavaScript" not in pdf.read_bytes() and b"/JS " not in pdf.read_bytes()
    finally:
        ada.close()
        eve.close()


# -- uploaded photos ---------------------------------------------------------------------------------------------------
def _png(width: int, height: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buf, format="PNG")
    return buf.getvalue()


def _bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header claiming ``width`` x ``height`` pixels over a few bytes of data (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (1 + 3 * 1024) * 64, 9)  # a few rows; the rest "missing"
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_photos_are_checked_by_content_and_size(tmp_path: Path) -> None:
    ws = fw.connect(home=str(tmp_path / "fw"), user="ada", autosave_thread=False, queue="local")
    photos = ws.services.photo_avatars
    cases = {
        "not an image named .png": b"GIF89a? no, just text pretending\n" * 10,
        "html named .png": b"<html><script>alert(1)</script></html>",
        "empty": b"",
        "truncated png": _png(400, 800)[:60],
        "too small": _png(40, 40),
        "bomb 100k x 100k": _bomb_png(100_000, 100_000),
        "bomb 20000 x 3000": _bomb_png(20_000, 3_000),
        "too many bytes": b"\x89PNG\r\n\x1a\n" + b"\x00" * (25 * 1024 * 1024 + 1),
    }
    refused = 0
    for what, data in cases.items():
        path = tmp_path / "photo.png"
        path.write_bytes(data)
        for photo in (data, path):
            with pytest.raises(ValidationError) as caught:
                photos.decode(photo, "front")
            assert "front" in str(caught.value), (what, str(caught.value))
            refused += 1
    assert photos.decode(_png(400, 800), "front").shape == (800, 400, 3)
    ws.close()
    record("hostile_photos", refused=refused)


@pytest.mark.service
def test_photo_uploads_through_the_service_are_refused_before_any_work(tmp_path: Path) -> None:
    from tests.reliability.world import Caller, start_service

    services, running = start_service(tmp_path / "svc")
    try:
        alice = Caller(running.base, "owner")
        for data in (b"not an image", _bomb_png(100_000, 100_000), _png(40, 40)):
            photo = base64.b64encode(data).decode()
            r = alice.request("POST", "/avatars/from-photos", json={"name": "P", "front": photo, "side": photo,
                                                                    "height": 170})
            assert r.status_code == 422 and r.json()["field"] == "front", r.text
        assert alice.request("GET", "/avatars").json() == []
    finally:
        running.stop()
        services.close()


@pytest.mark.service
def test_hostile_bodies_through_the_service_get_422_and_change_nothing(tmp_path: Path) -> None:
    """Deep JSON, lone surrogates, NUL, NaN/Infinity and oversized strings in REST bodies: 422, never 5xx, and the
    design is unchanged."""
    from tests.reliability.world import Caller, start_service

    services, running = start_service(tmp_path / "svc")
    try:
        alice = Caller(running.base, "owner")
        did = alice.request("POST", "/designs", json={"name": "Body"}).json()["id"]
        lid = alice.request("POST", f"/designs/{did}/layers", json={"item_id": "sil-aline-dress"}).json()["id"]
        before = alice.request("GET", f"/designs/{did}", params={"count_view": "false"}).json()
        values = ['"\\ud800"', '"a\\u0000b"', "NaN", "Infinity", "-Infinity", "1e999", '"' + "x" * 20_000 + '"',
                  "[" * 5000 + "]" * 5000, '{"a": ' * 900 + "1" + "}" * 900, '{"$gt": ""}']
        targets = [("PATCH", f"/designs/{did}", "name"), ("PATCH", f"/designs/{did}", "tags"),
                   ("POST", f"/designs/{did}/comments", "text"), ("POST", f"/designs/{did}/versions", "message"),
                   ("PATCH", f"/designs/{did}/layers/{lid}", "notes"),
                   ("PATCH", f"/designs/{did}/layers/{lid}", "name")]
        sent = 0
        for method, path, field in targets:
            for value in values:
                for body in ('{"' + field + '": ' + value + "}", '{"customization": {"length": ' + value + "}}"):
                    if "customization" in body and "/layers/" not in path:
                        continue
                    r = alice.request(method, path, data=body, headers={"Content-Type": "application/json"})
                    sent += 1
                    assert r.status_code == 422, (method, path, body[:80], r.status_code, r.text[:200])
        r = alice.request("POST", "/designs", data="[" * 100_000, headers={"Content-Type": "application/json"})
        assert r.status_code == 422, r.text[:200]
        after = alice.request("GET", f"/designs/{did}", params={"count_view": "false"}).json()
        assert after == before
        record("hostile_rest_bodies", requests=sent + 1, errors_5xx=0)
    finally:
        running.stop()
        services.close()
