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


def test_every_word_must_match_and_nonsense_finds_nothing(connect) -> None:
    ws = connect()
    assert ws.catalog.search("qwxzv") == []
    assert "fab-denim-indigo" not in ids(ws.catalog.search("denim sneakers"))


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
    assert ws.catalog.search("'; DROP TABLE items; --") == []
    assert ws.catalog.search("denim")  # still there
