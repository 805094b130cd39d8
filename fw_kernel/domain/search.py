"""Catalog search rules shared by the search back ends: query words, typo-tolerant term expansion."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class CatalogQuery:
    """A catalog search: free text plus filters. ``limit`` caps the number of results."""

    text: str = ""
    type: str | None = None
    tags: tuple[str, ...] = ()
    max_price: float | None = None
    availability: str | None = None
    limit: int = 50
    #: For each query word, the spellings to accept (the word and close vocabulary terms), filled by the service.
    alternatives: tuple[tuple[str, ...], ...] = ()

    @property
    def words(self) -> list[str]:
        return _WORD.findall(self.text.lower())


def expand_word(word: str, vocabulary: Iterable[str], n: int = 3) -> list[str]:
    """The word itself plus up to ``n`` close vocabulary terms (typos: "denm" -> "denim").

    Short words (< 4 letters) are not expanded: too many false friends.
    """
    if len(word) < 4:
        return [word]
    terms = list(vocabulary)
    cutoff = 0.75 if len(word) < 7 else 0.7
    close = [t for t in difflib.get_close_matches(word, terms, n=n, cutoff=cutoff) if t != word]
    return [word, *close]


class Vocabulary:
    """Words of the catalog's names, tags and descriptions, for typo tolerance."""

    def __init__(self, texts: Iterable[str]):
        words: set[str] = set()
        for text in texts:
            words.update(_WORD.findall(text.lower()))
        self.words = frozenset(words)
        self._by_length: dict[int, list[str]] = {}
        for word in sorted(words):
            if not word.isdigit():  # numbers (sizes, style numbers) are never what a typo meant
                self._by_length.setdefault(len(word), []).append(word)
        self._sorted = sorted(words)

    def known(self, word: str) -> bool:
        """True if ``word`` is a catalog word or the prefix of one (search as you type)."""
        import bisect

        i = bisect.bisect_left(self._sorted, word)
        return i < len(self._sorted) and self._sorted[i].startswith(word)

    def alternatives(self, words: list[str]) -> tuple[tuple[str, ...], ...]:
        out = []
        for word in words:
            if self.known(word):
                out.append(tuple([word]))
                continue
            nearby = [w for n in range(len(word) - 2, len(word) + 3) for w in self._by_length.get(n, ())]
            out.append(tuple(expand_word(word, nearby)))
        return tuple(out)
