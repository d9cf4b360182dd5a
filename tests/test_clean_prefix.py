"""``core.clean_prefix``: the collapsed text of its pieces cut at a limit, read only as far as that needs, and
collapsed once as it is read (issue 16) — the same as collapsing the whole text and cutting it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from govaudit.crawler.extract.core import clean_prefix, decode_html, parse_html, text_prefix

PIECES = ["", " ", "  ", "\n", "\t\t", "\u3000", "\xa0", "a", "bc", " d ", "中文", "x y", "zz ", " 当前位置"]


def _whole(pieces: list[str], limit: int) -> str:
    return " ".join("".join(pieces).split())[:limit]


@pytest.mark.parametrize("seed", range(4))
def test_the_collapsed_whole_cut_at_the_limit(seed):
    rng = random.Random(seed)
    for _ in range(10_000):
        pieces = [rng.choice(PIECES) for _ in range(rng.randint(0, 120))]
        limit = rng.choice([1, 2, 3, 6, 31, 64, 201])
        assert clean_prefix(iter(pieces), limit) == _whole(pieces, limit), (pieces, limit)


def test_every_element_of_the_real_pages():
    for path in sorted((Path(__file__).parent / "corpus" / "pages").glob("*.htm*")):
        for el in parse_html(decode_html(path.read_bytes())[0]).iter():
            if isinstance(el.tag, str):
                for limit in (1, 201):
                    assert text_prefix(el, limit) == _whole(list(el.itertext()), limit)


def test_it_stops_reading_once_it_has_enough():
    read = []

    def pieces():
        for n in range(100_000):
            read.append(n)
            yield "  文字 \n"
    assert clean_prefix(pieces(), 201) == _whole(["  文字 \n"] * 100, 201)
    assert len(read) < 200
