"""``parse_html(text, data)``: the body handed to the parser as fetched (issue 16) gives the tree the text gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from govaudit.crawler.extract.core import parse_html
from lxml import etree

PAGES = sorted((Path(__file__).parent / "corpus" / "pages").glob("*.html"))


def _same(text: str, data: bytes) -> bool:
    return etree.tostring(parse_html(text, data)) == etree.tostring(parse_html(text))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_a_utf8_body_parses_as_its_text(path):
    body = path.read_bytes()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8")
    assert _same(text, body)


@pytest.mark.parametrize("text", [
    '<?xml version="1.0" encoding="gbk"?><html><body><a href="/a.html">一条信息</a></body></html>',
    " \n\t ",
    "",
    "<html><body><p>正文</p></body></html><div>网站标识码 3301000001</div>",
])
def test_what_parse_html_changes_in_the_text_is_not_read_from_the_bytes(text):
    assert _same(text, text.encode("utf-8"))
