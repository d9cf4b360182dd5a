"""A huge page is analysed without holding every element's proxy, and its memory handed back (issue 16 item 4):
neither may change a fact.  Every fixture page is analysed both ways (the size limit moved instead of making
10 MB pages) and must give the same links and facts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from govaudit.crawler import analysis
from govaudit.crawler.extract import installed

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = sorted([*FIXTURES.joinpath("pages").rglob("*.html"), *FIXTURES.joinpath("mailboxes").glob("*.html"),
                *(Path(__file__).parent / "corpus" / "pages").glob("*.html")])
AS_OF = date(2026, 11, 20)
SITE = "http://127.0.0.1:9/"


def _analyse(path: Path) -> analysis.PageAnalysis:
    return analysis.analyse_page(SITE + path.parent.name + "/" + path.name, path.read_bytes(), None, False, AS_OF, SITE,
                                 tuple(installed().values()))


def test_pages_over_the_proxy_limit_give_the_facts_they_give_under_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(PAGES) > 50
    held = {path: _analyse(path) for path in PAGES}
    trims: list[int] = []
    give_back = analysis._give_back
    monkeypatch.setattr(analysis, "HUGE_PAGE_BYTES", 0)  # every page a huge one: no proxies held, memory trimmed
    monkeypatch.setattr(analysis, "_give_back", lambda: (trims.append(1), give_back()))
    for path in PAGES:
        dropped = _analyse(path)
        assert (dropped.links, dropped.facts) == (held[path].links, held[path].facts), path
    assert len(trims) == len(PAGES)

