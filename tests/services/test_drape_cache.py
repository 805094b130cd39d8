"""The drape cache's key and storage (no body, no solver): what changes the key, what does not, and the npz."""

from __future__ import annotations

import numpy as np
import pytest

from fw_kernel.adapters.memory import MemoryDocumentStore
from fw_kernel.domain.errors import ValidationError
from fw_kernel.domain.exports import validate_export
from fw_kernel.scene.drapes import DEFAULT_PHYSICAL, StackEntry
from fw_kernel.services.drape import DrapeCache, drape_key, from_npz, load_draper, to_npz

DENIM = {"composition": {"cotton": 98, "elastane": 2}, "weight_gsm": 340, "thickness_mm": 0.8, "stretch": "none",
         "drape": 0.3}


def entry(layer: str = "a", geometry: str = "g1", n: int = 3, physical: dict | None = None) -> StackEntry:
    return StackEntry(layer, geometry, n, 2 * n, physical or DEFAULT_PHYSICAL)


class Blobs:
    """A dict blob store with the port's URL calls."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> str:
        self.files[f"mem://{key}"] = data
        return f"mem://{key}"

    def exists_url(self, url: str) -> bool:
        return url in self.files

    def read_url(self, url: str) -> bytes:
        return self.files[url]


def test_the_key_follows_every_input_but_not_the_layer_id() -> None:
    base = drape_key([entry()], "standard", "v1")
    assert drape_key([entry(layer="other")], "standard", "v1") == base           # a fork reuses it
    assert drape_key([entry(physical=DENIM)], "standard", "v1") != base          # the fabric
    assert drape_key([entry(geometry="g2")], "standard", "v1") != base           # the pattern / body / layers
    assert drape_key([entry(n=4)], "standard", "v1") != base                     # the mesh
    assert drape_key([entry()], "draft", "v1") != base                           # the quality
    assert drape_key([entry()], "standard", "v2") != base                        # the solver
    two = [entry("a", "g1"), entry("b", "g2")]
    assert drape_key(two, "standard", "v1") != drape_key(two[::-1], "standard", "v1")   # the stack order


def test_npz_round_trip_keeps_order_and_float32() -> None:
    arrays = [np.random.default_rng(1).normal(size=(5, 3)), np.zeros((2, 3))]
    back = from_npz(to_npz(arrays))
    assert [a.shape for a in back] == [(5, 3), (2, 3)] and all(a.dtype == np.float32 for a in back)
    assert np.allclose(back[0], arrays[0], atol=1e-6)


class Versioned:
    def version(self) -> str:
        return "v1"


def test_cache_stores_blob_and_index_and_finds_the_best_quality() -> None:
    docs, blobs = MemoryDocumentStore(), Blobs()
    cache = DrapeCache(docs, lambda: blobs, Versioned)
    stack = [entry(n=2)]
    assert cache.find(stack) is None
    draft = [np.ones((2, 3), np.float32)]
    cache.put(cache.key(stack, "draft"), draft)
    key, found = cache.find(stack)
    assert key == drape_key(stack, "draft", "v1") and np.array_equal(found[0], draft[0])
    assert docs.get_render(f"drape:{key}")["url"] in blobs.files
    cache.put(cache.key(stack, "high"), [2 * draft[0]])
    fresh = DrapeCache(docs, lambda: blobs, Versioned)                         # another process: from the stores
    assert np.array_equal(fresh.finished(stack)[0], 2 * draft[0])
    assert fresh.finished([entry(n=3)]) is None                                # other inputs: none


def test_no_draper_means_no_drape_is_found_and_the_error_is_kept() -> None:
    def missing() -> None:
        raise ImportError("no module named newton (install the drape extra)")

    cache = DrapeCache(MemoryDocumentStore(), Blobs, missing)
    assert cache.version() is None and cache.finished([entry()]) is None
    with pytest.raises(ImportError, match="drape extra"):
        cache.draper()


def test_draper_import_path_and_drape_options() -> None:
    assert load_draper("tests.support.drapers:FakeDraper").version() == "fake-1"
    with pytest.raises(ValidationError, match="module:Class"):
        load_draper("no-colon")
    with pytest.raises(ImportError, match="NoSuchDraper"):
        load_draper("tests.support.drapers:NoSuchDraper")
    assert validate_export("drape", {}) == {"quality": "standard"}
    with pytest.raises(ValidationError, match="draft, standard, high"):
        validate_export("drape", {"quality": "ultra"})
    with pytest.raises(ValidationError, match="unknown option"):
        validate_export("drape", {"frames": 3})


class CountingDocs(MemoryDocumentStore):
    """The in-memory document store, counting render-cache round trips."""

    def __init__(self) -> None:
        super().__init__()
        self.trips = 0

    def get_render(self, render_hash: str):
        self.trips += 1
        return super().get_render(render_hash)

    def get_renders(self, render_hashes):
        self.trips += 1
        return super().get_renders(render_hashes)


def test_a_scene_lookup_is_one_round_trip_and_a_miss_is_remembered_until_a_drape_ends() -> None:
    docs, blobs = CountingDocs(), Blobs()
    cache = DrapeCache(docs, lambda: blobs, Versioned)
    now = [100.0]
    cache._monotonic = lambda: now[0]
    stack = [entry(n=2)]
    assert cache.find(stack) is None and docs.trips == 1           # the three qualities in one lookup
    assert cache.find(stack) is None and docs.trips == 1           # a rebuild of the same stack: no lookup
    now[0] += 11                                                    # past MISSING_TTL_S: looked up again
    assert cache.find(stack) is None and docs.trips == 2

    other = DrapeCache(docs, lambda: blobs, Versioned)             # a worker in another process drapes it
    other.put(other.key(stack, "standard"), [np.ones((2, 3), np.float32)])
    assert cache.find(stack) is None                               # still remembered as missing (within the TTL)
    cache.forget_missing()                                         # what ExportService.get does for an ended drape
    key, found = cache.find(stack)
    assert key == drape_key(stack, "standard", "v1") and found[0].shape == (2, 3)

    trips = docs.trips                                             # a better drape stored elsewhere later is found
    other.put(other.key(stack, "high"), [np.full((2, 3), 2, np.float32)])
    key, found = cache.find(stack)
    assert key == drape_key(stack, "high", "v1") and found[0][0, 0] == 2 and docs.trips == trips + 1
    assert cache.find(stack)[0] == key and docs.trips == trips + 1  # the best one loaded: no lookup at all


def test_a_stored_drape_of_other_vertex_counts_is_not_loaded() -> None:
    docs, blobs = CountingDocs(), Blobs()
    cache = DrapeCache(docs, lambda: blobs, Versioned)
    cache.put(cache.key([entry(n=2)], "draft"), [np.ones((3, 3), np.float32)])   # remeshed since
    fresh = DrapeCache(docs, lambda: blobs, Versioned)
    assert fresh.find([entry(n=2)]) is None
