"""What a list endpoint answered (issue 11 item 3): its items, or the reason there are none.

The spider fetches the endpoint a column page's script names (``crawler.extract.endpoints``) and hands the
answer here.  The answer is read with the very readers that read the same data inside a page
(``crawler.extract.freshness``): a Hanweb ``<datastore>`` with the datastore reader, JSON or a JavaScript
literal (JSONP included) with the script-data reader, an HTML fragment of ``<li>`` rows with the HTML list
reader.  So an item found through an endpoint is dated exactly as the same item would be in the page.

The answer is hostile: anything else (a whole HTML page — typically the server's error page —, malformed
data, an answer past ``MAX_ANSWER_BYTES``) gives no items and a reason, never an exception.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from govaudit.crawler.extract.core import decode_html
from govaudit.crawler.extract.freshness import (
    MAX_ITEMS,
    _datastore_items,
    _dedupe,
    _fragment_root,
    _html_items,
    _script_json_items,
)
from lxml import html as lxml_html

MAX_ANSWER_BYTES = 2_000_000  # a first page of a list is a few kB; past this it is not one
SOURCE = "endpoint"  # the items' ``source`` (params.freshness.item_sources decides whether they count)


def read_answer(body: bytes, content_type: str, url: str, as_of: date) -> tuple[list[dict[str, Any]], str | None]:
    """(items, reason): the items of one endpoint answer, newest first; ``reason`` says why there are none
    (``too_large``, ``empty``, ``html_page``, ``malformed``, ``no_items``) and is None when items were read."""
    if len(body) > MAX_ANSWER_BYTES:
        return [], "too_large"
    declared = content_type.split("charset=", 1)[1].split(";")[0].strip() if "charset=" in content_type else None
    text, _ = decode_html(body, declared)
    text = text.lstrip("\ufeff \t\r\n")
    if not text:
        return [], "empty"
    head = text[:2000].lower()
    items: list[dict[str, Any]]
    if text.startswith("<"):
        if "<datastore" in head or "<recordset" in head:
            items = _datastore_items(_script_holding(text), as_of)
        elif "<html" in head or "<!doctype" in head or "<body" in head:
            return [], "html_page"  # a page, not data: an error or log-in page in the list's place
        else:
            root = _fragment_root(text)
            items = list(_html_items(root, as_of, SOURCE)) if root is not None else []
    elif text[0] in "[{" or _jsonp(text):
        if not _parses(text):
            return [], "malformed"
        # The script-data reader reads values assigned in a script; the answer is such a value.
        items = _script_json_items(_script_holding("var answer = " + _unwrap(text) + ";"), as_of)
    else:
        return [], "malformed"
    items = _dedupe(items, url)
    for item in items:
        item["source"] = SOURCE
    if not items:
        return [], "no_items"
    items.sort(key=lambda i: i["date"] or "", reverse=True)
    return items[:MAX_ITEMS], None


def _script_holding(text: str) -> Any:
    """A ``<script>`` element with ``text``: the page readers look for their data in scripts."""
    script = lxml_html.Element("script")
    script.text = text
    return script


def _jsonp(text: str) -> bool:
    """``callback({...})``: JSON wrapped in a function call, as JSONP endpoints answer."""
    name, paren, rest = text.partition("(")
    return bool(paren) and name.strip().replace(".", "").replace("_", "").replace("$", "").isalnum() and \
        rest.lstrip()[:1] in ("{", "[")


def _unwrap(text: str) -> str:
    if text[0] in "[{":
        return text
    inner = text.partition("(")[2].rstrip().rstrip(";").rstrip()
    return inner[:-1] if inner.endswith(")") else inner


def _parses(text: str) -> bool:
    """Strict JSON, or a literal chompjs reads (unquoted keys, single quotes)."""
    import chompjs  # the page reader's own dependency

    value = _unwrap(text)
    try:
        json.loads(value)
        return True
    except ValueError:
        pass
    try:
        chompjs.parse_js_object(value, unicode_escape=False)
        return True
    except (ValueError, TypeError):
        return False
