"""Catalog manifests: YAML files in ``catalog_data/`` checked against ``schema.json`` and semantic rules."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ..domain.catalog import CatalogItem

MANIFESTS = ("silhouettes.yaml", "fabrics.yaml", "patterns.yaml", "elements.yaml", "accessories.yaml")


class ManifestError(ValueError):
    pass


def default_catalog_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_catalog_data", here.parent / "catalog_data"):
        if (candidate / "schema.json").exists():
            return candidate
    raise FileNotFoundError("catalog_data/ not found next to fw_kernel; set catalog_dir in fw.connect(...)")


def asset_reader(directory: Path | None = None) -> Callable[[str], bytes | None]:
    """Reads files of the catalog folder by their manifest path (thumbnails); None for a missing one."""
    root = (Path(directory) if directory else default_catalog_dir()).resolve()

    def read(relative: str) -> bytes | None:
        path = (root / relative).resolve()
        if root not in path.parents or not path.is_file():  # never outside the catalog folder
            return None
        return path.read_bytes()

    return read


def manifest_digest(directory: Path | None = None) -> str:
    """Hash of the manifest files (cheap: lets a connect skip parsing when nothing changed)."""
    directory = Path(directory) if directory else default_catalog_dir()
    digest = hashlib.sha256()
    for name in MANIFESTS:
        digest.update(name.encode() + b"\0" + (directory / name).read_bytes())
    return digest.hexdigest()


def load_manifests(directory: Path | None = None) -> tuple[list[CatalogItem], str]:
    """Parse and check every manifest; return the items and a hash of the manifest files."""
    directory = Path(directory) if directory else default_catalog_dir()
    schema = json.loads((directory / "schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    digest = hashlib.sha256()
    items: list[CatalogItem] = []
    seen: set[str] = set()
    for name in MANIFESTS:
        path = directory / name
        raw_bytes = path.read_bytes()
        digest.update(name.encode() + b"\0" + raw_bytes)
        raw = yaml.safe_load(raw_bytes) or {}
        for index, entry in enumerate(raw.get("items", [])):
            where = f"{name} item {index} ({entry.get('id', '?') if isinstance(entry, dict) else '?'})"
            errors = sorted(validator.iter_errors(entry), key=lambda e: list(e.path))
            if errors:
                first = errors[0]
                path_text = "/".join(map(str, first.path)) or "(item)"
                raise ManifestError(f"{where}: {path_text}: {first.message}")
            _check_semantics(where, entry)
            if entry["id"] in seen:
                raise ManifestError(f"{where}: duplicate id {entry['id']!r}")
            seen.add(entry["id"])
            items.append(_item(entry))
    for item in items:
        for other in item.compatibility.get("excludes", []):
            if other not in seen:
                raise ManifestError(f"{item.id}: excludes unknown item {other!r}")
    return items, digest.hexdigest()


def _check_semantics(where: str, entry: dict[str, Any]) -> None:
    """What JSON Schema cannot say: defaults inside ranges and options, fibre composition summing to 100."""
    for pname, spec in entry.get("parameters", {}).items():
        if spec["type"] in ("number", "integer"):
            if not spec["min"] <= spec["default"] <= spec["max"]:
                raise ManifestError(f"{where}: parameter {pname}: default {spec['default']} outside "
                                    f"[{spec['min']}, {spec['max']}]")
            if spec["type"] == "integer" and not float(spec["default"]).is_integer():
                raise ManifestError(f"{where}: parameter {pname}: integer default {spec['default']}")
        if spec["type"] == "choice" and spec["default"] not in spec["options"]:
            raise ManifestError(f"{where}: parameter {pname}: default {spec['default']!r} not in options")
    composition = entry.get("physical", {}).get("composition")
    if composition and abs(sum(composition.values()) - 100) > 0.01:
        raise ManifestError(f"{where}: composition sums to {sum(composition.values())}, not 100")


def _item(entry: dict[str, Any]) -> CatalogItem:
    return CatalogItem(
        id=entry["id"], type=entry["type"], name=entry["name"], description=entry["description"],
        tags=tuple(entry["tags"]), price=float(entry["price"]["amount"]), currency=entry["price"]["currency"],
        availability=entry["availability"], compatibility=entry.get("compatibility", {}),
        parameters=entry.get("parameters", {}), appearance=entry.get("appearance", {}),
        physical=entry.get("physical", {}), thumbnail=entry.get("thumbnail"),
    )
