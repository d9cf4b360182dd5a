"""A set of signed 64-bit URL keys at 8 bytes a key (issue 16 item 4).

Why: a single-process crawl remembers every URL key it has met (``SiteSpider.seen``) and every document it has
analysed (``SiteSpider.analysed``).  As Python sets of ints these were most of what the engine process grew by
per URL: tracemalloc on the 20,000-page variance site (``bench/crawl_bench.py --variance``, the engine's
snapshot at the crawl's close) put the two sets' tables at 2 MiB each and their ints (40 B each) at 2.2 MiB,
≈ 0.29 KB a page of the 0.39 KB a page the scan's peak still rose by from 20,000 to 100,000 pages, and a set's
table doubles as it grows (16 B a slot, at most 60 % full).  Here the keys live in a sorted ``array('q')``
(8 B a key), with the keys added since the last merge in a small Python set, merged in once it holds an
eighth of the array (so each key is sorted O(log n) times over a crawl, not once per merge).  Lookups of keys
already merged go through ``bisect``; the keys so found are kept in a small ``hot`` set (menus and footers
link every page to the same few URLs), emptied when it reaches ``HOT`` keys.

Exact, like the sets it replaces: no false positives, so a scan finds what it found before.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator

HOT = 8192  # keys found in the sorted array, kept as a set for the next lookups (menus, footers)
MIN_BUFFER = 4096  # keys added before the first merge


class KeySet:
    """``set[int]``'s ``in``, ``add``, ``len``, ``clear`` and iteration for 64-bit keys, in ≈ 8 B a key."""

    __slots__ = ("_sorted", "_new", "_hot")

    def __init__(self, keys: Iterable[int] = ()) -> None:
        self._sorted = array("q", sorted(set(keys)))  # a resumed scan's keys from the store: sorted once
        self._new: set[int] = set()
        self._hot: set[int] = set()

    def __contains__(self, key: object) -> bool:
        if key in self._new or key in self._hot:
            return True
        found = self._sorted
        i = bisect_left(found, key)  # type: ignore[call-overload]
        if i < len(found) and found[i] == key:
            if len(self._hot) >= HOT:
                self._hot.clear()
            self._hot.add(key)  # type: ignore[arg-type]
            return True
        return False

    def add(self, key: int) -> None:
        if key in self:
            return
        self._new.add(key)
        if len(self._new) >= max(MIN_BUFFER, len(self._sorted) >> 3):
            self._merge()

    def _merge(self) -> None:
        merged = array("q", sorted([*self._sorted, *self._new]))
        self._sorted, self._new = merged, set()

    def __len__(self) -> int:
        return len(self._sorted) + len(self._new)

    def __bool__(self) -> bool:
        return bool(self._sorted) or bool(self._new)

    def __iter__(self) -> Iterator[int]:
        yield from self._sorted
        yield from self._new

    def clear(self) -> None:
        self._sorted, self._new, self._hot = array("q"), set(), set()
