"""Catalog search at 10,000 items, garment generation per silhouette, scene build cold and after one edit.

``python -m benchmarks --suite geometry`` (or ``python -m benchmarks.geometry``). Baselines in the same run:
search against a plain ``LIKE`` scan of the same table; a scene rebuild after one edit against a cold build.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from dataclasses import replace
from typing import Any


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def search(quick: bool = False, n_items: int = 10_000, database_url: str | None = None) -> dict[str, Any]:
    """p50/p95 of catalog searches over a generated catalog of ``n_items`` on SQLite (FTS5), or on the PostgreSQL
    database at ``database_url`` (tsvector + pg_trgm)."""
    import sqlalchemy as sa

    from fw_kernel.adapters.catalog_files import load_manifests
    from fw_kernel.adapters.sql.engine import make_engine
    from fw_kernel.adapters.sql.migrate import upgrade
    from fw_kernel.adapters.sql.repositories import SqlUnitOfWork
    from fw_kernel.services.catalog import CatalogService
    from fw_kernel.services.clock import utcnow

    base, _ = load_manifests()
    rng = random.Random(7)
    adjectives = ["washed", "organic", "recycled", "stretch", "brushed", "waxed", "vintage", "light", "heavy"]
    items = [replace(rng.choice(base), id=f"gen-{i:05d}",
                     name=f"{rng.choice(adjectives).title()} {rng.choice(base).name} {i}",
                     price=round(rng.uniform(5, 300), 2)) for i in range(n_items)]
    queries = ["denim", "denm", "wool blazr", "silk", "linen summer", "stripes", "leather belt", "cotton jersy",
               "gingham dress", "coat"]
    with tempfile.TemporaryDirectory() as home:
        engine = make_engine(database_url or f"sqlite:///{home}/s.sqlite3")
        upgrade(engine)
        service = CatalogService(lambda: SqlUnitOfWork(engine, utcnow), lambda: (items, "bench"))
        service.sync()
        rounds = 3 if quick else 20
        ours, like = [], []
        for _ in range(rounds):
            for q in queries:
                t = time.perf_counter()
                service.search(q, limit=20)
                ours.append((time.perf_counter() - t) * 1e3)
                t = time.perf_counter()
                with engine.connect() as c:
                    items_table = "catalog.items" if engine.dialect.name == "postgresql" else "items"
                    c.execute(sa.text(f"SELECT id FROM {items_table} WHERE name LIKE :q OR description LIKE :q "
                                      "LIMIT 20"),
                              {"q": f"%{q.split()[0]}%"}).all()
                like.append((time.perf_counter() - t) * 1e3)
        engine.dispose()
    return {"backend": "postgres" if database_url else "sqlite", "items": n_items, "searches": len(ours),
            "ours_p50_ms": statistics.median(ours),
            "ours_p95_ms": _pct(ours, 95), "like_p50_ms": statistics.median(like), "like_p95_ms": _pct(like, 95)}


def scene(quick: bool = False) -> dict[str, Any]:
    """Garment generation per silhouette and a 20-layer scene: cold, after a material edit, after a shape edit."""
    from fw_kernel.adapters.catalog_files import load_manifests
    from fw_kernel.domain.design import Design
    from fw_kernel.domain.layer import Layer
    from fw_kernel.domain.values import DesignMeta
    from fw_kernel.geometry.body.fit import fit_body
    from fw_kernel.geometry.body.parts import body_geometry
    from fw_kernel.geometry.garment.garments import make_garment, spec_from
    from fw_kernel.scene.build import SceneBuilder

    items, _ = load_manifests()
    by = {i.id: i for i in items}
    body = body_geometry(fit_body({"height": 168, "bust": 90, "waist": 72, "hips": 98}, "female"))
    per_silhouette = {}
    for item in [i for i in items if i.type == "silhouette"][: 4 if quick else None]:
        spec = spec_from(item.id, item.compatibility.get("categories", []), item.tags, item.defaults())
        t = time.perf_counter()
        garment = make_garment(body, item.id, spec)
        per_silhouette[item.id] = {"ms": (time.perf_counter() - t) * 1e3, "triangles": len(garment.faces)}
    outfit = ["sil-tshirt", "fab-cotton-jersey", "pat-breton-stripes", "sil-wide-leg-trousers", "fab-denim-indigo",
              "sil-coat", "fab-wool-twill", "pat-houndstooth" if "pat-houndstooth" in by else "pat-gingham",
              "ele-shirt-button", "ele-patch-pocket", "ele-barrel-cuff", "ele-belt-loops", "acc-leather-belt",
              "acc-sneakers", "acc-wool-fedora", "acc-silk-scarf", "acc-tote-bag", "acc-classic-watch",
              "acc-sunglasses", "acc-pendant-necklace"]
    layers = [Layer(id=f"l{i}", type=by[x].type, catalog_item_id=x, name=x) for i, x in enumerate(outfit)]
    design = Design(id="bench", owner="bench", meta=DesignMeta(name="bench")).with_layers(layers)
    builder = SceneBuilder()
    t = time.perf_counter()
    built = builder.build(design, body, "bench", by.get)
    cold = time.perf_counter() - t
    glb = built.export(file_type="glb")
    tris = sum(len(g.faces) for g in built.geometry.values())
    material = design.with_layers([x.model_copy(update={"opacity": 60}) if x.id == "l12" else x for x in layers])
    t = time.perf_counter()
    builder.build(material, body, "bench", by.get)
    after_material = time.perf_counter() - t
    shape = design.with_layers([x.model_copy(update={"customization": {"length": 0.95}}) if x.id == "l5" else x
                                for x in layers])
    t = time.perf_counter()
    builder.build(shape, body, "bench", by.get)
    after_shape = time.perf_counter() - t
    return {"per_silhouette": per_silhouette, "layers": len(layers), "cold_s": cold,
            "after_material_edit_s": after_material, "after_silhouette_edit_s": after_shape,
            "triangles": tris, "glb_mb": len(glb) / 2**20}


def render(results: dict[str, Any]) -> str:
    g = results["scene"]
    lines = []
    for key, engine in (("search", "SQLite FTS5"), ("search_postgres", "PostgreSQL tsvector + pg_trgm")):
        if key not in results:
            continue
        s = results[key]
        lines += [f"Catalog search, {s['items']:,} items ({engine}; {s['searches']} searches incl. typos)",
                  f"  ours: p50 {s['ours_p50_ms']:.2f} ms, p95 {s['ours_p95_ms']:.2f} ms (target p95 < 20 ms)",
                  f"  baseline LIKE scan, first word only: p50 {s['like_p50_ms']:.2f} ms, "
                  f"p95 {s['like_p95_ms']:.2f} ms"]
    lines.append("Garment generation per silhouette (reference female body)")
    for item_id, row in g["per_silhouette"].items():
        lines.append(f"  {item_id:<26} {row['ms']:7.0f} ms  {row['triangles']:6d} triangles")
    lines += [f"Scene of a {g['layers']}-layer design: cold {g['cold_s']:.2f} s; after a material edit "
              f"{g['after_material_edit_s'] * 1e3:.0f} ms ({g['cold_s'] / max(g['after_material_edit_s'], 1e-9):.0f}x"
              f" faster); after a silhouette edit {g['after_silhouette_edit_s']:.2f} s",
              f"  {g['triangles']:,} triangles, GLB {g['glb_mb']:.1f} MB (targets <= 150k, <= 10 MB)"]
    return "\n".join(lines)


def run(quick: bool = False, postgres: bool = True) -> dict[str, Any]:
    n = 2_000 if quick else 10_000
    results: dict[str, Any] = {"search": search(quick, n)}
    if postgres:  # the same catalog and queries on PostgreSQL (tsvector + pg_trgm), a fresh database
        from .infra import postgres_database

        with postgres_database() as url:
            results["search_postgres"] = search(quick, n, url)
    results["scene"] = scene(quick)
    print(render(results))
    return results


if __name__ == "__main__":
    import sys

    run("--quick" in sys.argv)
