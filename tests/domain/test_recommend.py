"""Catalog compatibility rules and recommendations."""

from __future__ import annotations

from fw_kernel.domain.catalog import CatalogItem, compatible, recommend


def item(id: str, type: str, tags=(), **compat) -> CatalogItem:
    availability = compat.pop("availability", "in_stock")
    return CatalogItem(id=id, type=type, name=id, tags=tuple(tags), compatibility=compat, availability=availability)


SHIRT = item("sil-shirt", "silhouette", ["office"], categories=["top"])
SKIRT = item("sil-skirt", "silhouette", ["office"], categories=["bottom"])
DENIM = item("fab-denim", "fabric", ["casual"], applies_to=["silhouette"], excludes=["fab-satin"])
SATIN = item("fab-satin", "fabric", ["office"], applies_to=["silhouette"])
BUTTON = item("ele-button", "element", ["office"], applies_to=["silhouette"])
OLD = item("acc-old", "accessory", availability="discontinued")
BELT = item("acc-belt", "accessory", ["office"], categories=["outfit", "bottom"])
ALL = [SHIRT, SKIRT, DENIM, SATIN, BUTTON, OLD, BELT]


def test_fabric_needs_a_silhouette_to_sit_on() -> None:
    assert not compatible(DENIM, [], "outfit")
    assert compatible(DENIM, [SHIRT], "outfit")


def test_excludes_work_both_ways_and_discontinued_is_out() -> None:
    assert not compatible(SATIN, [SHIRT, DENIM], "outfit")
    assert not compatible(DENIM, [SHIRT, SATIN], "outfit")
    assert not compatible(OLD, [], "outfit")


def test_categories_restrict_unless_outfit() -> None:
    assert not compatible(SKIRT, [], "top")
    assert compatible(SKIRT, [], "bottom") and compatible(SKIRT, [], "outfit")


def test_recommend_puts_missing_types_first_and_skips_used() -> None:
    empty = recommend(ALL, [], "outfit")
    assert [i.type for i in empty][:2] == ["silhouette", "silhouette"]
    assert DENIM not in empty  # nothing to sit on yet
    dressed = recommend(ALL, [SHIRT], "top")
    assert SHIRT not in dressed and SKIRT not in dressed
    assert dressed[0].type != "silhouette"           # a silhouette is there: other types come first
    assert dressed.index(SATIN) < dressed.index(DENIM)  # shares the "office" tag
