"""Catalog search on SQLite FTS5 and PostgreSQL full text + pg_trgm: words, typos, prefixes, filters."""

from __future__ import annotations

import pytest

import fw_kernel as fw


def ids(items) -> list[str]:
    return [i.id for i in items]


@pytest.mark.parametrize("text, expected", [
    ("denim", "fab-denim-indigo"),
    ("denm", "fab-denim-indigo"),          # typo
    ("indgo denim", "fab-denim-indigo"),   # typo in one of two words
    ("jersy", "fab-cotton-jersey"),
    ("strip", "pat-breton-stripes"),       # prefix while typing
    ("Breton", "pat-breton-stripes"),      # case
])
def test_search_finds_through_typos_and_prefixes(connect, text: str, expected: str) -> None:
    found = ids(connect().catalog.search(text))
    assert found and found[0] == expected


def test_items_matching_every_word_come_first_and_nonsense_finds_nothing(connect) -> None:
    ws = connect()
    assert ws.catalog.search("qwxzv") == []
    found = ids(ws.catalog.search("denim sneakers"))  # nothing is both: the sneakers and the denim, both shown
    assert "acc-sneakers" in found and "fab-denim-indigo" in found
    found = ids(ws.catalog.search("denim jacket"))
    assert found[0] == "fab-denim-indigo"  # "for jeans and jackets": both words, first...
    assert "sil-blazer" in found           # ...then the jackets
    assert {"fab-linen-natural", "sil-maxi-dress", "sil-wrap-dress"} <= set(ids(ws.catalog.search("linen dress")))


@pytest.mark.parametrize("text, expected", [
    ("denm jaket", {"fab-denim-indigo", "sil-blazer"}),   # typos, then the jacket's synonym
    ("jacket", {"sil-blazer"}),
    ("pants", {"sil-straight-trousers", "sil-wide-leg-trousers"}),
    ("trousers", {"sil-straight-trousers", "sil-wide-leg-trousers"}),
    ("jumper", {"fab-cashmere-knit"}),                    # British for sweater; the catalog says knit
    ("trainers", {"acc-sneakers"}),
    ("sweatshirt", {"sil-hoodie"}),
])
def test_typos_reach_tags_and_synonyms(connect, text: str, expected: set[str]) -> None:
    found = ids(connect().catalog.search(text))
    assert expected <= set(found[:8]), found


def test_filters(connect) -> None:
    ws = connect()
    fabrics = ws.catalog.search("", type="fabric")
    assert fabrics and {i.type for i in fabrics} == {"fabric"}
    cheap = ws.catalog.search("", max_price=20)
    assert cheap and all(i.price <= 20 for i in cheap)
    everything = ws.catalog.search("", limit=500)
    assert len(everything) == len(ws.catalog.list())
    tagged = ws.catalog.search("", tags=["denim"])
    assert tagged and all("denim" in i.tags for i in tagged)
    in_stock = ws.catalog.search("", availability="in_stock", limit=500)
    assert in_stock and all(i.availability == "in_stock" for i in in_stock)


@pytest.mark.parametrize("kwargs, field", [
    ({"type": "shoe"}, "type"), ({"max_price": -1}, "max_price"), ({"limit": 0}, "limit"),
    ({"availability": "soon"}, "availability"), ({"tags": "denim"}, "tags"), ({"text": "x" * 201}, "text"),
])
def test_bad_search_arguments(connect, kwargs: dict, field: str) -> None:
    kwargs = dict(kwargs)
    text = kwargs.pop("text", "")
    with pytest.raises(fw.ValidationError) as err:
        connect().catalog.search(text, **kwargs)
    assert err.value.field == field and "allowed" in str(err.value)


def test_sql_looking_search_is_just_text(connect) -> None:
    ws = connect()
    found = ids(ws.catalog.search("'; DROP TABLE items; --"))
    assert found == ids(ws.catalog.search("drop table items"))  # its words, as words ("drop shoulder")
    assert "fab-denim-indigo" not in found
    assert ws.catalog.search("denim")  # still there
