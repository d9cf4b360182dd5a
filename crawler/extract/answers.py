"""What a list endpoint answered (issue 11 item 3): its items, or the reason there are none.

The spider fetches the endpoint a column page's script names (``crawler.extract.endpoints``) and hands the
answer here.  The answer is read with the very readers that read the same data inside a page
(``crawler.extract.freshness``): a Hanweb ``<datastore>`` with the datastore reader, JSON or a JavaScript
literal (JSONP included) with the script-data reader, an HTML fragment of ``<li>`` rows with the HTML list
reader.  So an item found through an endpoint is dated exactly as the same item would be in the page.
A mailbox's list endpoint answers letters: ``read_letters`` reads them with the letters extractor's readers
(its list reader for markup, its record reader for data), so the interaction check judges them as it judges
the letters of a list page.

The answer is hostile: anything else (a whole HTML page — typically the server's error page —, malformed
data, an answer past ``MAX_ANSWER_BYTES``) gives no items and a reason, never an exception.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from govaudit.crawler.extract.core import decode_html, read_anchors
from govaudit.crawler.extract.freshness import (
    _CDATA,
    _RECORD,
    MAX_ITEMS,
    _datastore_items,
    _dedupe,
    _fragment_root,
    _html_items,
    _Item,
    _item_dict,
    _json_records,
    _script_json_items,
)
from govaudit.crawler.extract.letters import letters_from_markup, letters_from_records
from lxml import html as lxml_html

MAX_ANSWER_BYTES = 2_000_000  # a first page of a list is a few kB; past this it is not one
SOURCE = "endpoint"  # the items' ``source`` (params.freshness.item_sources decides whether they count)


def _answer_text(body: bytes, content_type: str) -> tuple[str, str | None]:
    """(text, shape): the decoded answer and what it is — ``datastore``, ``fragment``, ``data`` (JSON, JSONP, a
    literal) — or ("", reason) when it is none of them (``too_large``, ``empty``, ``html_page``, ``malformed``)."""
    if len(body) > MAX_ANSWER_BYTES:
        return "", "too_large"
    declared = content_type.split("charset=", 1)[1].split(";")[0].strip() if "charset=" in content_type else None
    text, _ = decode_html(body, declared)
    text = text.lstrip("\ufeff \t\r\n")
    if not text:
        return "", "empty"
    head = text[:2000].lower()
    if text.startswith("<"):
        if "<datastore" in head or "<recordset" in head:
            return text, "datastore"
        if "<html" in head or "<!doctype" in head or "<body" in head:
            return "", "html_page"  # a page, not data: an error or log-in page in the list's place
        return text, "fragment"
    if (text[0] in "[{" or _jsonp(text)) and _value(text) is not None:
        return text, "data"
    return "", "malformed"


def read_answer(body: bytes, content_type: str, url: str, as_of: date) -> tuple[list[dict[str, Any]], str | None]:
    """(items, reason): the items of one endpoint answer, newest first; ``reason`` says why there are none
    (``too_large``, ``empty``, ``html_page``, ``malformed``, ``no_items``) and is None when items were read."""
    text, shape = _answer_text(body, content_type)
    found: Iterable[_Item]
    if shape == "datastore":
        found = _datastore_items([_script_holding(text)], as_of)
    elif shape == "fragment":
        root = _fragment_root(text)
        found = _html_items(root, read_anchors(root), as_of, SOURCE) if root is not None else ()
    elif shape == "data":
        # The script-data reader reads values assigned in a script; the answer is such a value.
        found = _script_json_items([_script_holding("var answer = " + _unwrap(text) + ";")], as_of)
    else:
        return [], shape
    items = [_item_dict((*item[:4], SOURCE)) for item in _dedupe(found, url)]
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


def _value(text: str) -> Any:
    """The answer's value: strict JSON, or a literal chompjs reads (unquoted keys, single quotes); None when
    it is neither."""
    import chompjs  # the page reader's own dependency

    value = _unwrap(text)
    try:
        return json.loads(value)
    except ValueError:
        pass
    try:
        return chompjs.parse_js_object(value, unicode_escape=False)
    except (ValueError, TypeError):
        return None


def read_letters(body: bytes, content_type: str, url: str, as_of: date) -> list[dict[str, Any]]:
    """The letters a mailbox list endpoint answered (``letters`` facts, as a list page's): records of a JSON or
    literal answer read by their keys (createTime, replyTime, statusName, 来信时间 …), a datastore's records and
    an HTML fragment read as a list page is.  Anything else, and an answer with no letters, gives none."""
    text, shape = _answer_text(body, content_type)
    if shape == "data":
        return letters_from_records(_json_records(_value(text)), url, as_of)
    if shape == "datastore":
        records = [(_CDATA.findall(r) or [r]) for r in _RECORD.findall(text)]
        text = "".join("<div>" + "".join(parts) + "</div>" for parts in records)
    if shape in ("datastore", "fragment"):
        root = _fragment_root(text) if text else None
        return letters_from_markup(root, url, as_of) if root is not None else []
    return []
