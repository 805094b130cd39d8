"""Every catalog item has a thumbnail the project made; swatches regenerate identically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fw_kernel.adapters.catalog_files import load_manifests
from fw_kernel.adapters.thumbnails import SIZE, swatch
from fw_kernel.geometry.png import read_png, to_uint8

ROOT = Path(__file__).resolve().parents[2] / "catalog_data"
ITEMS = load_manifests(ROOT)[0]


@pytest.mark.parametrize("item", ITEMS, ids=[i.id for i in ITEMS])
def test_thumbnail_exists_and_shows_something(item) -> None:
    image = read_png(ROOT / item.thumbnail)
    assert image.shape[:2] == (SIZE, SIZE)
    pixels = np.asarray(image, dtype=np.float64).reshape(-1, image.shape[-1])[:, :3]
    assert np.ptp(pixels, axis=0).max() > 10  # not a blank square


@pytest.mark.parametrize("item", [i for i in ITEMS if i.type in ("fabric", "pattern")], ids=lambda i: i.id)
def test_swatches_are_what_the_command_writes(item) -> None:
    stored = np.asarray(read_png(ROOT / item.thumbnail))[..., :3]
    assert np.array_equal(stored, to_uint8(swatch(item)))
