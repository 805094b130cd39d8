"""The drape cache: draped garment vertices by a content hash of everything the cloth solver reads.

A drape job (the export kind ``drape``, run by :class:`~fw_kernel.services.exports.ExportService` on the export
worker) drapes a design's layer stack and stores the result here; the scene builder looks the current stack up
(never computing) and draws the draped vertices when a finished drape exists, so every export uses them too.

The key (:func:`drape_key`) hashes, for each draped garment innermost first: what its shape is made from as the
scene builder keys it (body parameters key, silhouette id, its shape parameters -- colours are not --, the garments
beneath), its vertex and triangle counts (a change of the pattern code remeshes), and the fabric's ``physical``
block; then the quality and ``ClothDraper.version()``. No float or triangulation bytes are hashed: a worker in
another process or on another machine must find the same key as the kernel that draws the scene.

Storage: one ``.npz`` per key in the blob store (``drape_cache/<key>.npz``, arrays ``g0``, ``g1``, ... in stack
order, float32 metres) and a record in the document store's render cache (``drape:<key>`` -> url, sizes).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from ..domain.exports import QUALITIES
from ..scene.drapes import DEFAULT_PHYSICAL, StackEntry

__all__ = ["DEFAULT_PHYSICAL", "DrapeCache", "StackEntry", "drape_key", "load_draper"]
from .clock import utcnow

log = logging.getLogger(__name__)

#: the order the scene prefers finished drapes in (the best one there is)
PREFERRED = tuple(reversed(QUALITIES))
#: how long a stack found without a finished drape is not looked up again (s); a drape that ends in this process
#: (or a drape job seen ending here) forgets these at once, so this bounds only drapes finished by other kernels
MISSING_TTL_S = 10.0


def drape_key(stack: Sequence[StackEntry], quality: str, version: str) -> str:
    """The content hash of a drape: the stack (innermost first), the quality and the draper's version."""
    text = json.dumps({"stack": [e.content() for e in stack], "quality": quality, "draper": version},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def to_npz(arrays: Sequence[np.ndarray]) -> bytes:
    out = io.BytesIO()
    np.savez_compressed(out, **{f"g{i}": np.asarray(a, np.float32) for i, a in enumerate(arrays)})
    return out.getvalue()


def from_npz(data: bytes) -> list[np.ndarray]:
    with np.load(io.BytesIO(data)) as z:
        return [np.asarray(z[f"g{i}"], np.float32) for i in range(len(z.files))]


class DrapeCache:
    """Finished drapes (blob store + document store index), with a small in-process LRU of loaded ones.

    Parameters
    ----------
    documents : the document store (``get_render``/``put_render``)
    blobs : () -> the blob store
    draper : () -> the ``ClothDraper`` (made on first use; None where none is configured)
    """

    def __init__(self, documents: Any, blobs: Callable[[], Any], draper: Callable[[], Any] | None,
                 clock: Callable[[], datetime] = utcnow, capacity: int = 32):
        self._docs = documents
        self._blobs = blobs
        self._draper_factory = draper
        self._draper: Any = None
        self._version: str | None = None
        self._broken: str | None = None
        self._clock = clock
        self._loaded: OrderedDict[str, list[np.ndarray]] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()
        self._missing: dict[tuple[str, ...], float] = {}  # keys of stacks with no finished drape -> when seen
        self._monotonic = time.monotonic

    def draper(self) -> Any:
        """The cloth draper (raises what its factory raises: e.g. the drape extra is not installed)."""
        with self._lock:
            if self._draper is None:
                if self._draper_factory is None:
                    raise RuntimeError("no cloth draper configured (FW_DRAPER; install the drape extra: newton)")
                self._draper = self._draper_factory()
            return self._draper

    def version(self) -> str | None:
        """The draper's version, None when no draper can be made here (then no drape is ever found)."""
        if self._version is None and self._broken is None:
            try:
                self._version = str(self.draper().version())
            except Exception as exc:  # the scene then draws fitted garments; the drape job reports the error
                self._broken = f"{type(exc).__name__}: {exc}"
                log.info("no cloth draper here (%s): scenes show fitted garments", self._broken)
        return self._version

    def key(self, stack: Sequence[StackEntry], quality: str) -> str | None:
        version = self.version()
        return None if version is None else drape_key(stack, quality, version)

    def get(self, key: str) -> list[np.ndarray] | None:
        """The draped vertices stored under ``key`` (None: not draped yet, or its blob is gone)."""
        with self._lock:
            if key in self._loaded:
                self._loaded.move_to_end(key)
                return self._loaded[key]
        record = self._docs.get_render(f"drape:{key}")
        return None if record is None else self._load(key, record)

    def _load(self, key: str, record: dict[str, Any]) -> list[np.ndarray] | None:
        blobs = self._blobs()
        if not blobs.exists_url(record["url"]):
            return None
        arrays = from_npz(blobs.read_url(record["url"]))
        self._remember(key, arrays)
        return arrays

    def put(self, key: str, arrays: Sequence[np.ndarray]) -> tuple[str, bytes]:
        """Store a finished drape; returns its blob URL and the npz bytes."""
        data = to_npz(arrays)
        url = self._blobs().put(f"drape_cache/{key}.npz", data)
        self._docs.put_render(f"drape:{key}", {"url": url, "size": len(data),
                                               "vertices": [len(a) for a in arrays]}, self._clock())
        self._remember(key, [np.asarray(a, np.float32) for a in arrays])
        self.forget_missing()
        return url, data

    def forget_missing(self) -> None:
        """Look every stack up again (a drape job ended: its stack may have a finished drape now)."""
        with self._lock:
            self._missing.clear()

    def find(self, stack: Sequence[StackEntry]) -> tuple[str, list[np.ndarray]] | None:
        """The key and arrays of the best finished drape of this stack (high, then standard, then draft), None if
        there is none or its arrays do not fit the garments (never computes).

        One document-store round trip for the three qualities, none for a stack found without a drape in the last
        :data:`MISSING_TTL_S` seconds (a scene is rebuilt on every edit: most stacks were never draped)."""
        if not stack or self.version() is None:
            return None
        keys = [self.key(stack, quality) or "" for quality in PREFERRED]
        wanted = [e.vertex_count for e in stack]
        with self._lock:
            best = self._loaded.get(keys[0])  # the best quality loaded here before: no store round trip
            if best is not None and [len(a) for a in best] == wanted:
                self._loaded.move_to_end(keys[0])
                return keys[0], best
            seen = self._missing.get(tuple(keys))
            if seen is not None and self._monotonic() - seen < MISSING_TTL_S:
                return None
        records = self._docs.get_renders([f"drape:{key}" for key in keys])
        for key in keys:
            record = records.get(f"drape:{key}")
            if record is None or record.get("vertices", wanted) != wanted:
                continue
            with self._lock:
                arrays = self._loaded.get(key)
            if arrays is None:
                arrays = self._load(key, record)
            if arrays is not None and [len(a) for a in arrays] == wanted:
                return key, arrays
        with self._lock:
            if len(self._missing) > 4 * self._capacity:
                self._missing.clear()
            self._missing[tuple(keys)] = self._monotonic()
        return None

    def finished(self, stack: Sequence[StackEntry], design_id: str | None = None) -> list[np.ndarray] | None:
        """The arrays of :meth:`find` (what the scene builder draws; ``design_id`` is for the remote twin)."""
        found = self.find(stack)
        return None if found is None else found[1]

    def _remember(self, key: str, arrays: list[np.ndarray]) -> None:
        with self._lock:
            self._loaded[key] = arrays
            while len(self._loaded) > self._capacity:
                self._loaded.popitem(last=False)


class RemoteDrapes:
    """The drape cache of a design service's client: the service finds the finished drape of a stack (its draper,
    its stores); loaded ones are kept here. Never computes, like :class:`DrapeCache`."""

    def __init__(self, exports: Any, user: str, capacity: int = 32):
        self._exports = exports
        self._user = user
        self._loaded: OrderedDict[str, list[np.ndarray]] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def version(self) -> str:
        return "service"  # the service knows its draper's version; keys are made there

    def find(self, stack: Sequence[StackEntry], design_id: str | None = None
             ) -> tuple[str, list[np.ndarray]] | None:
        if not stack or design_id is None:
            return None
        local = drape_key(stack, "any", "service")
        with self._lock:
            if local in self._loaded:
                return local, self._loaded[local]
        try:
            data = self._exports.finished_drape(self._user, design_id, [e.content() for e in stack])
        except Exception as exc:  # the scene then shows fitted garments
            log.info("no drape from the design service: %s", exc)
            return None
        if data is None:
            return None
        arrays = from_npz(data)
        if [len(a) for a in arrays] != [e.vertex_count for e in stack]:
            return None
        with self._lock:
            self._loaded[local] = arrays
            while len(self._loaded) > self._capacity:
                self._loaded.popitem(last=False)
        return local, arrays

    def finished(self, stack: Sequence[StackEntry], design_id: str | None = None) -> list[np.ndarray] | None:
        found = self.find(stack, design_id)
        return None if found is None else found[1]


def load_draper(path: str) -> Any:
    """A draper from its import path ``module:Class`` (made with no arguments), imported only now."""
    import importlib

    module, _, name = path.partition(":")
    if not module or not name:
        from ..domain.errors import ValidationError

        raise ValidationError.bad("draper", path, "an import path 'module:Class' (FW_DRAPER)")
    cls = getattr(importlib.import_module(module), name, None)
    if cls is None:
        raise ImportError(f"{module} has no {name} (FW_DRAPER={path!r}; the drape extra may be missing)")
    return cls()
