"""A page's links are the ones a browser's parser finds: on every real page of the field corpus, the link-carrying
elements of the tree the extractors read (``<a href>``, ``<img src>``, ``<script src>``…) are, in document order,
those of Chromium's own HTML parser (``DOMParser``, which runs no script and fetches nothing).  libxml2 is not a
browser: it dropped what follows ``</html>``, where one real site printed its 网站标识码 and ICP number."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from govaudit.crawler.browser.pool import plain_driver
from govaudit.crawler.extract.core import PAGE_TAGS, RESOURCE_TAGS, decode_html, parse_html

pytestmark = pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                                reason="Debian chromium + chromium-driver are not installed")

PAGES = sorted((Path(__file__).parent / "corpus" / "pages").glob("*.html"))
ATTRS = {**PAGE_TAGS, **RESOURCE_TAGS}
LINKS = """
const doc = new DOMParser().parseFromString(arguments[0], "text/html");
const attrs = arguments[1];
return Array.from(doc.querySelectorAll(Object.keys(attrs).join(",")),
                  el => [el.localName, el.getAttribute(attrs[el.localName])]).filter(([, v]) => v);
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = plain_driver(str(tmp_path_factory.mktemp("profile")))
    driver.get("about:blank")
    yield driver
    driver.quit()


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_the_links_are_the_ones_chromium_parses(browser, path):
    text, _ = decode_html(path.read_bytes())
    ours = [[el.tag, el.get(ATTRS[el.tag])] for el in parse_html(text).iter(*ATTRS) if el.get(ATTRS[el.tag])]
    assert ours == browser.execute_script(LINKS, text, ATTRS)


def test_the_corpus_is_there():
    assert len(PAGES) >= 70  # the comparison above is only as good as the pages it runs on
