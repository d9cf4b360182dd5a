"""Readings of the page-facts contract that the crawl and the checks both apply, so that both judge by one rule.

The crawl decides with them what to fetch (the list endpoint a page's freshness rests on, whether a linked file is
an attachment it can read) and the checks read the stored facts back with the same functions; the browser stage
and the accessibility check find the elderly-mode entry alike.  They live in the core, not in the crawler, because
layers point one way: a check imports nothing from the crawler or the browser code (issue 10).  Pure functions
over facts; nothing here fetches or parses a page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cssselect import HTMLTranslator, SelectorError
from lxml import etree

from govaudit.facts import PageFacts

LIST_WORDS = re.compile(r"list|page|column|article|info|news|query|data|search|xxgk|channel", re.I)
"""Words in a URL path that say it answers a list (an endpoint the crawl may GET for a column's items)."""

FORMATS = {"pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "xlsm": "xlsx"}
"""Attachment formats whose text is read (crawler/extract/attachments.py), by the extension a URL names."""

MAX_SELECTORS = 50
"""Hiding selectors evaluated per page (each is one XPath over the tree): a stylesheet hides a dozen menus and
pop-ups; an injected 暗链 needs one."""

HidingRule = tuple[str, str, Any]  # (selector as written, the hiding declaration, its compiled XPath)
_CSS = HTMLTranslator()


def iso_or_none(value: str | None) -> date | None:
    """Read back an ISO date stored in facts (``YYYY-MM-DD``); anything else is None."""
    if not value:
        return None
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d").date()
    except ValueError:
        return None


def fetched_endpoint(facts: PageFacts) -> dict[str, Any] | None:
    """The endpoint the crawl fetches for a page with these facts (the check reads its answer by the same rule):
    Hanweb's list proxy first, on any page but a letter (a jpage list is a column by construction, even when a
    side list's single date made the page look like an article); else, on a page that is not an article, the
    first GET whose path names a list.  An article's other requests (related items, comments) are not a column."""
    if facts.get("kind") == "letter":
        return None
    for endpoint in facts.get("list_endpoints") or []:
        if endpoint.get("kind") == "dataproxy":
            return endpoint
        # Anything else only by GET, and only where its path says list: the crawl never sends a POST it does
        # not know to be a read (the field corpus' pages POST to save comments and count page views).
        if facts.get("kind") != "article" and endpoint.get("method") == "GET" and \
                LIST_WORDS.search(urlsplit(endpoint["url"]).path):
            return endpoint
    return None


def record_url(endpoint: dict[str, Any]) -> str:
    """The URL an endpoint's answer is stored under: its URL with a POST body's fields appended to the query.

    Two Hanweb columns POST to the same ``dataproxy.jsp?startrecord=1…`` and differ only in the body
    (columnid, unitid), so the request URL alone would make them one record."""
    body = endpoint.get("body") or ""
    if not body:
        return endpoint["url"]
    parts = urlsplit(endpoint["url"])
    query = "&".join(q for q in (parts.query, body) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def format_of(url: str) -> str | None:
    """The attachment format a URL's path names (``None``: not an attachment this module reads)."""
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    return FORMATS.get(ext)


@lru_cache(maxsize=256)
def compile_hiding(pairs: tuple[tuple[str, str], ...]) -> tuple[HidingRule, ...]:
    """(selector, how) pairs as XPath (cssselect); a selector it cannot translate is left out."""
    out: list[HidingRule] = []
    for selector, how in pairs:
        try:
            out.append((selector, how, etree.XPath(_CSS.css_to_xpath(selector))))
        except (SelectorError, etree.XPathError):  # not this rule's concern
            continue
        if len(out) >= MAX_SELECTORS:
            break
    return tuple(out)


def find_elder_entry(candidates: dict[str, Any] | None, keywords: Iterable[str],
                     toolbar_scripts: Iterable[str]) -> dict[str, Any] | None:
    """The homepage's accessible/elderly-mode entry per the rule set's words, or None.

    Returns ``{"text", "href", "via": "link" | "script", "selector"}``; a toolbar script counts as an entry
    (sites such as yangjiang.gov.cn load their 无障碍/长者助手 bar from a script).
    """
    if not candidates:
        return None
    keywords = [k for k in keywords if k]
    for link in candidates.get("links", []):
        text = link.get("text", "")
        if any(k in text for k in keywords):
            return {"text": text, "href": link.get("href", ""), "via": "link", "selector": link.get("selector", "")}
    patterns = [p.lower() for p in toolbar_scripts if p]
    for src in candidates.get("scripts", []):
        low = src.lower()
        if any(p in low for p in patterns):
            return {"text": "", "href": src, "via": "script", "selector": ""}
    return None


def share_below(histogram: dict[str, int], limit: float) -> float:
    """Share of characters whose value is below ``limit`` (0.0 when the page has no text)."""
    total = sum(histogram.values())
    if not total:
        return 0.0
    return sum(n for k, n in histogram.items() if float(k) < limit) / total


def median(histogram: dict[str, int]) -> float | None:
    """Character-weighted median of a histogram {value: chars}."""
    total = sum(histogram.values())
    if not total:
        return None
    run = 0
    for key in sorted(histogram, key=float):
        run += histogram[key]
        if run * 2 >= total:
            return float(key)
    return None


# -- a separate mobile site (移动版网站, issue 15): found from the crawl's facts, checked by the browser stage --

def meta_value(meta: dict[str, str] | None, name: str) -> str | None:
    """A ``<meta name>`` content, the name matched without regard to case (``Viewport`` happens)."""
    for key, value in (meta or {}).items():
        if key.lower() == name:
            return value
    return None


def url_shape(url: str) -> str:
    """Host, path and query keys with digits alike: a separate mobile site is not crawled, so the shape of
    its URLs stands for its templates (``/art/12.html`` and ``/art/13.html`` are one)."""
    parts = urlsplit(url)
    query = "&".join(sorted(k.split("=")[0] for k in parts.query.split("&") if k))
    return parts.netloc + re.sub(r"\d+", "9", parts.path or "/") + (f"?{query}" if query else "")


def mobile_host(host: str | None, site_host: str | None) -> bool:
    """``m.example.gov.cn`` or ``wap.example.gov.cn`` beside ``www.example.gov.cn`` (or ``example.gov.cn``)."""
    if not host or not site_host or host == site_host:
        return False
    base = site_host.removeprefix("www.")
    return any(host == f"{prefix}.{base}" for prefix in ("m", "wap", "mobile", "3g", "h5"))


def announced_sites(start_url: str, home_meta: dict[str, str] | None, external: Iterable[str]) -> dict[str, str]:
    """Separate mobile sites the crawl shows, {url: via}: announced by the homepage's
    ``<meta name="mobile-agent">`` (Baidu's tag, common on Chinese portals), or linked from the site (an
    ``m.``/``wap.`` host of the site's domain).  The browser stage checks them (``mobile_site`` artifact)."""
    found: dict[str, str] = {}
    agent = meta_value(home_meta, "mobile-agent")
    if agent:
        m = re.search(r"url=([^;\s]+)", agent, re.I)
        if m and m.group(1).startswith(("http://", "https://")):
            found.setdefault(m.group(1), "mobile_agent_meta")
    site_host = urlsplit(start_url).hostname
    for url in external:
        if mobile_host(urlsplit(url).hostname, site_host):
            found.setdefault(url, "link")
    return found
