"""The endpoints a page's script loads its column list from (issue 11 item 3): fact ``list_endpoints``.

Many column pages ship an empty list container and fill it in the browser: Hanweb (大汉) jpage POSTs to
``/module/web/jpage/dataproxy.jsp`` and gets a ``<datastore>`` back, other CMSs call a JSON API with
``$.ajax``, ``$.getJSON``/``$.get``/``$.post`` or ``fetch``.  The page's own HTML then shows no item (or only
a side list), and the column's newest date would be wrong.  This extractor only *names* those requests, as
literally as the page's script writes them; the spider fetches the first one (one request per page, with
every politeness rule) and ``crawler.extract.answers`` reads its answer.

The scripts are parsed with tree-sitter's JavaScript grammar: an error-tolerant C parser, so a hostile or
broken script yields a partial tree and never runs.  Only literal arguments are read (a URL built from a
variable is not guessed).  Each endpoint: ``{url, method, body, kind, call}`` — ``url`` where the request goes
(query included), ``body`` the form body of a POST ("" for GET), ``kind`` ``dataproxy`` (Hanweb's jpage proxy, its
answer a ``<datastore>`` or, on some sites, JSON) or ``json`` (any other API; the answer is read as it comes).
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import tree_sitter_javascript
from govaudit.crawler.extract import PageContext
from tree_sitter import Language, Node, Parser, Query, QueryCursor

from govaudit.readings import LIST_WORDS

MAX_SCRIPT_CHARS = 500_000
MAX_ENDPOINTS = 5
MAX_CALLS = 5000  # calls read per script: a page's list loader is among its first few
HANWEB_PROXY = "/module/web/jpage/dataproxy.jsp"  # jpage's default proxyUrl
JPAGE_PER_PAGE = 15  # jpage's default perPage

_JS = Language(tree_sitter_javascript.language())
_PARSER = Parser(_JS)
_CALL_QUERY = Query(_JS, "(call_expression) @call")
# A cheap look before parsing: most scripts (statistics, menus) name no request at all.
_HINT = re.compile(r"\.ajax\s*\(|getJSON|\$\.get\s*\(|\$\.post\s*\(|jQuery\.(?:get|post)\s*\(|\bfetch\s*\(|jpage|dataproxy")
# One of these is in every text ``_HINT`` finds something in: sought first, as ``in`` runs through a script five
# times faster than the pattern, which is tried at every character (issue 16; a real page's scripts are 5 KB).
_HINT_WORDS = (".ajax", "getJSON", "$.get", "$.post", "jQuery.get", "jQuery.post", "fetch", "jpage", "dataproxy")
# Requests that are not a list: visit counters, log-ins, captchas, votes, weather widgets, statistics beacons.
_NOT_LIST = re.compile(r"count|hits|visit|click|login|logout|captcha|verif|vote|weather|stat(?:istic)?s?\b|track|"
                       r"save|submit|insert|update|delete|remove|comment|reply|suggest|liulan|tts|wechat|share|"
                       r"upload|\.(?:js|css|png|jpe?g|gif|html?)$", re.I)
_JQUERY = {"$", "jQuery", "jquery"}
_RECORD = re.compile(r"<record[\s>]", re.I)  # not <recordset>
_NEXTGROUP = re.compile(r"<nextgroup>.*?href=[\"']([^\"']*dataproxy\.jsp[^\"']*)", re.S | re.I)


def extract(ctx: PageContext) -> dict[str, Any]:
    found: list[dict[str, str]] = []
    for script in ctx.elements("script"):
        if (script.get("type") or "").lower() == "text/xml":
            endpoint = _empty_datastore(script.text or "", ctx.url)
            if endpoint is not None and endpoint not in found:
                found.append(endpoint)
            continue
        if script.get("src") or (script.get("type") or "text/javascript").lower() not in (
                "text/javascript", "application/javascript", "javascript", "module"):
            continue
        text = (script.text or "")[:MAX_SCRIPT_CHARS]
        if not any(word in text for word in _HINT_WORDS) or not _HINT.search(text):
            continue
        for endpoint in _calls(_PARSER.parse(text.encode("utf-8", "replace")).root_node, ctx.url):
            if endpoint not in found:
                found.append(endpoint)
    # Hanweb's proxy first (it is the column's list by construction), then URLs that sound like a list.
    found.sort(key=lambda e: (e["kind"] != "dataproxy", not LIST_WORDS.search(urlsplit(e["url"]).path)))
    return {"list_endpoints": found[:MAX_ENDPOINTS]}





def _empty_datastore(text: str, page_url: str) -> dict[str, str] | None:
    """An older jpage list: a ``<script type="text/xml"><datastore>`` whose ``<nextgroup>`` links the proxy
    (``dataproxy.jsp?page=1&webid=…&columnid=…&unitid=…``, answered to a GET) and whose records the page left
    empty.  A datastore that holds its records already is read in the page (``freshness``)."""
    if "dataproxy" not in text or _RECORD.search(text):
        return None
    m = _NEXTGROUP.search(text[:MAX_SCRIPT_CHARS])
    if m is None:
        return None
    return _make(_join(page_url, html.unescape(m.group(1))), "GET", None, "datastore nextgroup")


# -- reading the syntax tree -------------------------------------------------------------------------------
def _calls(root: Node, page_url: str) -> list[dict[str, str]]:
    """The endpoints among a script's calls, in the script's order.  The calls are found by a tree-sitter
    query (in C; walking every node from Python cost three times as much)."""
    calls = sorted(QueryCursor(_CALL_QUERY).captures(root).get("call", []), key=lambda n: n.start_byte)
    out: list[dict[str, str]] = []
    for node in calls[:MAX_CALLS]:
        endpoint = _endpoint(node, page_url)
        if endpoint is not None:
            out.append(endpoint)
    return out


def _callee(node: Node) -> tuple[str, str]:
    """(object, name) of the called function: ``$.ajax`` → ("$", "ajax"), ``fetch`` → ("", "fetch")."""
    fn = node.child_by_field_name("function")
    if fn is None:
        return "", ""
    if fn.type == "identifier":
        return "", _text(fn)
    if fn.type == "member_expression":
        obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
        return (_text(obj) if obj is not None and obj.type == "identifier" else "?"), _text(prop) if prop else ""
    return "", ""


def _endpoint(call: Node, page_url: str) -> dict[str, str] | None:
    obj, name = _callee(call)
    args_node = call.child_by_field_name("arguments")
    args = [a for a in args_node.named_children if a.type != "comment"] if args_node is not None else []
    if not args:
        return None
    first = _value(args[0])
    second = _value(args[1]) if len(args) > 1 else None
    if name == "jpage":
        options = first if isinstance(first, dict) else {}
        per = options.get("perPage")
        per = int(per) if isinstance(per, (int, float)) and 0 < per <= 200 else JPAGE_PER_PAGE
        params = options.get("ajaxParam")
        proxy = options.get("proxyUrl")
        url = _join(page_url, proxy if isinstance(proxy, str) else HANWEB_PROXY,
                    {"startrecord": 1, "endrecord": per, "perpage": per})
        return _make(url, "POST", params if isinstance(params, dict) else {}, "$().jpage")
    if name == "ajax" and obj in _JQUERY and isinstance(first, dict):
        url, method, data = first.get("url"), first.get("type") or first.get("method") or "GET", first.get("data")
        return _make(_join(page_url, url), str(method), data, f"{obj}.ajax")
    if obj in _JQUERY and name in ("getJSON", "get", "post") and isinstance(first, str):
        return _make(_join(page_url, first), "POST" if name == "post" else "GET", second, f"{obj}.{name}")
    if obj == "" and name == "fetch" and isinstance(first, str):
        options = second if isinstance(second, dict) else {}
        return _make(_join(page_url, first), str(options.get("method") or "GET"), options.get("body"), "fetch")
    return None


def _make(url: str | None, method: str, data: Any, call: str) -> dict[str, str] | None:
    if not url or urlsplit(url).scheme not in ("http", "https") or _NOT_LIST.search(urlsplit(url).path):
        return None
    method = method.upper() if method.upper() in ("GET", "POST") else "GET"
    fields = data if isinstance(data, dict) else dict(parse_qsl(data)) if isinstance(data, str) else {}
    body = urlencode({k: _form(v) for k, v in fields.items() if v is not None})
    if method == "GET" and body:
        url, body = _join(url, url, fields) or url, ""
    # jpage's proxy is a read by construction, whatever its path; so is Hanweb's dataproxy.jsp however called.
    kind = "dataproxy" if call == "$().jpage" or urlsplit(url).path.lower().endswith("dataproxy.jsp") else "json"
    return {"url": url, "method": method, "body": body, "kind": kind, "call": call}


def _form(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _join(base: str, url: Any, params: dict[str, Any] | None = None) -> str | None:
    if not isinstance(url, str) or not url.strip() or url.strip().lower().startswith(("javascript:", "data:")):
        return None
    try:
        parts = urlsplit(urljoin(base, url.strip()))
    except ValueError:
        return None
    query = parts.query
    if params:
        extra = urlencode({k: _form(v) for k, v in params.items() if v is not None})
        query = "&".join(q for q in (query, extra) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


_MISSING = object()


def _value(node: Node) -> Any:
    """A literal's value (string, number, bool, null, object of literals); ``_MISSING`` for anything computed.
    An object keeps its literal members and drops the computed ones (``data: {page: 1, id: colId}`` → page)."""
    kind = node.type
    if kind == "string":
        return "".join(_string_part(c) for c in node.named_children)
    if kind == "template_string":
        if any(c.type == "template_substitution" for c in node.named_children):
            return _MISSING
        return _text(node)[1:-1]
    if kind == "number":
        try:
            return float(_text(node).replace("_", ""))
        except ValueError:
            return _MISSING
    if kind in ("true", "false"):
        return kind == "true"
    if kind == "null":
        return None
    if kind == "parenthesized_expression" and node.named_children:
        return _value(node.named_children[0])
    if kind == "binary_expression":  # "/api/list" + "?col=3": string concatenation of literals only
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op = node.child_by_field_name("operator")
        a, b = (_value(left), _value(right)) if left is not None and right is not None else (_MISSING, _MISSING)
        if op is not None and _text(op) == "+" and isinstance(a, str) and isinstance(b, str):
            return a + b
        return _MISSING
    if kind == "object":
        out: dict[str, Any] = {}
        for pair in node.named_children:
            if pair.type != "pair":
                continue
            key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
            if key is None or value is None:
                continue
            name = _value(key) if key.type == "string" else _text(key)
            got = _value(value)
            if isinstance(name, str) and got is not _MISSING:
                out[name] = got
        return out
    return _MISSING


def _string_part(node: Node) -> str:
    text = _text(node)
    if node.type == "escape_sequence":
        try:
            return text.encode("latin-1", "backslashreplace").decode("unicode_escape")
        except UnicodeDecodeError:
            return ""
    return text


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""
