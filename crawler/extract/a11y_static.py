"""Static accessibility facts (无障碍静态检查) and the page's template signature, for every crawled page.

Runs in the crawl's hot path, so it is one pass over the lxml tree with no CSS, no layout and no browser.
What it can see without rendering it reports under the same rule ids as axe-core (``image-alt``,
``html-has-lang``, ``document-title``, ``label``, ``link-name``, ``button-name``, ``duplicate-id``,
``bypass`` ...), so ``checks/accessibility.py`` can merge a static hit with axe's verdict on the same page
instead of reporting it twice.  The browser stage (``crawler/browser``) audits only a sample of pages;
these facts are what every other page gets.

Facts (docs/architecture.md):

* ``a11y_static``: ``[{rule, selector, html}]`` — at most ``MAX_ELEMENTS`` entries per rule;
* ``a11y_static_counts``: ``{rule: total}`` — how many elements failed, including those not listed;
* ``template``: a short hash of the page's structural skeleton, to group pages by template for sampling;
* ``elder_candidates`` (homepage only): short links/buttons and script sources where an accessible or
  elderly-mode entry (无障碍 / 长者模式 / 关怀版 / 适老版 / toolbar scripts) may be; the check matches them
  against the rule set's keywords (``govaudit.readings.find_elder_entry``), so a province can add its own words without a
  re-crawl.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from govaudit.crawler.extract import Anchor, PageContext
from govaudit.crawler.extract.core import absolute_url, anchors_of, first, read_anchors
from lxml import etree

MAX_ELEMENTS = 10
"""Elements listed per rule and page: enough to locate the problem, bounded so a page with 500 images
without alt does not bloat the store.  The full count is kept in ``a11y_static_counts``."""

SNIPPET_CHARS = 200
TEMPLATE_DEPTH = 6
"""Skeleton depth below <body>.  Deep enough to separate list, article and home layouts on the CMS pages
(Hanweb, TRS, ...) government sites run on; shallow enough to ignore the content of the article itself."""

MAX_CANDIDATES = 400
CANDIDATE_TEXT_CHARS = 24

_LABELLED_INPUT_SKIP = {"hidden", "submit", "reset", "button", "image"}
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def _text(el: etree._Element) -> str:
    return _SPACE.sub(" ", el.text_content()).strip()


def _has_name_attr(el: etree._Element) -> bool:
    """aria-label / aria-labelledby / title give an accessible name (axe's ``aria-label`` etc. checks)."""
    get = el.get
    return bool((get("aria-label") or "").strip() or (get("aria-labelledby") or "").strip() or (get("title") or "").strip())


def _has_text(el: etree._Element) -> bool:
    """Visible text inside; the common case (text right in the tag) without building text_content()."""
    text = el.text  # read once: lxml builds a new string on each read
    if text and not text.isspace():
        return True
    return bool(_text(el)) if len(el) else False


def _img_alt_inside(el: etree._Element) -> bool:
    for img in el.iter("img"):
        if (img.get("alt") or "").strip() or _has_name_attr(img):
            return True
    return False


def snippet(el: etree._Element) -> str:
    """The element's start tag, truncated: enough to find it in the source, never the whole subtree."""
    attrs = " ".join(f'{k}="{v}"' for k, v in el.attrib.items())
    tag = f"<{el.tag} {attrs}>" if attrs else f"<{el.tag}>"
    return tag if len(tag) <= SNIPPET_CHARS else tag[: SNIPPET_CHARS - 1] + "…"


_STEP = re.compile(r"^([A-Za-z][\w-]*)\[(\d+)\]$")


def selector(el: etree._Element) -> str:
    """A CSS selector that finds exactly this element: its XPath position (lxml computes it in C) in CSS.

    ``/html/body/div[2]/a`` becomes ``html > body > div:nth-of-type(2) > a``; a hand-built walk with sibling
    counting cost 30× more on link-heavy homepages.
    """
    parts = []
    for step in el.getroottree().getpath(el).strip("/").split("/"):
        m = _STEP.match(step)
        parts.append(f"{m.group(1)}:nth-of-type({m.group(2)})" if m else step)
    return " > ".join(parts)


class _Hits:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []
        self.counts: dict[str, int] = {}

    def add(self, rule: str, el: etree._Element) -> None:
        n = self.counts.get(rule, 0)
        self.counts[rule] = n + 1
        if n < MAX_ELEMENTS:
            self.items.append({"rule": rule, "selector": selector(el), "html": snippet(el)})


def _labelled(el: etree._Element, label_for: set[str]) -> bool:
    """axe ``label``: an explicit/implicit <label>, aria-label(ledby), title or a non-empty placeholder."""
    if _has_name_attr(el) or (el.get("placeholder") or "").strip():
        return True
    ident = el.get("id")
    if ident and ident in label_for:
        return True
    return next(el.iterancestors("label"), None) is not None


_DUP_IDS = etree.XPath("//@id", smart_strings=False)  # the attributes themselves: no test of every element
# A landmark or a heading: one C-level search that stops at the first match, then the role values.  (One XPath
# union of the tags and roles made libxml2 evaluate every branch over the whole document: 0.38 s of a 50,000-link
# site map, for a yes/no that the first <h1> answers.)
_LANDMARK_TAGS = ("main", "nav", "header", "footer", "aside", "h1", "h2", "h3", "h4", "h5", "h6")
_LANDMARK_ROLES = {"main", "navigation", "banner", "contentinfo", "complementary", "search", "region", "heading"}
_ROLES = etree.XPath("//@role", smart_strings=False)
_CHECKED_TAGS = ("img", "a", "button", "input", "select", "textarea", "label", "title")


def static_checks(root: etree._Element, anchors: list[Anchor] | None = None) -> tuple[list[dict[str, str]], dict[str, int]]:
    """Returns (listed elements, counts per rule).

    Only the tags a rule looks at are visited from Python; ids and landmarks are found by compiled XPath
    in C.  Walking every element from Python cost ~2× as much on a 500-element list page.  Whether a link has
    text is its collapsed text in ``anchors`` (the links pass's records of ``root``'s ``<a href>``: ``_has_text``
    is that text being non-empty), not read again: a third of the walk on a 50,000-link site map (issue 16);
    only an ``href=""``, which the links pass does not record, is asked itself.  The records are the walk's own
    ``<a href>`` in its order, so each is met as the next one: its href is not read again either, and no set of
    the textless ones is built (a quarter of the extractor on that page).
    """
    records = iter(read_anchors(root) if anchors is None else anchors)
    record = next(records, None)
    hits = _Hits()
    label_for: set[str] = set()
    controls: list[etree._Element] = []
    has_skip = False
    title_el = None
    first_links = 0
    for el in root.iter(*_CHECKED_TAGS):
        tag = el.tag
        if tag == "a":  # most of the elements visited: asked first
            if record is not None and el is record[0]:
                _, text, href = record
                record = next(records, None)
                named = bool(text)
            else:  # no href, or an empty one
                href = el.get("href")
                if href is None:
                    continue
                named = bool(href) or _has_text(el)
            first_links += 1
            # a skip link: an in-page link among the first links of the page (WCAG technique G1)
            if first_links <= 5 and href.startswith("#") and len(href) > 1:
                has_skip = True
            if not named and not _has_name_attr(el) and not _img_alt_inside(el):
                hits.add("link-name", el)
        elif tag == "img":
            if el.get("alt") is None and not _has_name_attr(el) and el.get("role") not in ("presentation", "none"):
                hits.add("image-alt", el)
        elif tag == "button":
            if not _has_text(el) and not _has_name_attr(el) and not _img_alt_inside(el):
                hits.add("button-name", el)
        elif tag == "input":
            kind = (el.get("type") or "text").lower()
            if kind == "image":
                if not (el.get("alt") or "").strip() and not _has_name_attr(el):
                    hits.add("input-image-alt", el)
            elif kind == "button":
                if not (el.get("value") or "").strip() and not _has_name_attr(el):
                    hits.add("input-button-name", el)
            elif kind not in _LABELLED_INPUT_SKIP:
                controls.append(el)
        elif tag in ("select", "textarea"):
            controls.append(el)
        elif tag == "label":
            target = el.get("for")
            if target:
                label_for.add(target)
        elif tag == "title" and title_el is None:
            title_el = el
    for el in controls:
        if not _labelled(el, label_for):
            hits.add("select-name" if el.tag == "select" else "label", el)
    ids = _DUP_IDS(root)
    if len(ids) != len(set(ids)):
        seen: set[str] = set()
        reported: set[str] = set()
        for el in root.iter():
            ident = el.get("id") if isinstance(el.tag, str) else None
            if not ident:
                continue
            if ident in seen and ident not in reported:
                reported.add(ident)
                hits.add("duplicate-id", el)
            seen.add(ident)
    html_el = root.getroottree().getroot()
    if not (html_el.get("lang") or html_el.get("xml:lang") or "").strip():
        hits.add("html-has-lang", html_el)
    if title_el is None or not _text(title_el):
        hits.add("document-title", title_el if title_el is not None else html_el)
    # axe ``bypass`` passes on a skip link, a landmark or a heading (WCAG 2.4.1 techniques G1, ARIA11, H69);
    # doing the same keeps the static verdict from contradicting the browser's on the same page.
    if not has_skip and not _has_landmark(root):
        hits.add("bypass", html_el)
    return hits.items, hits.counts


def _has_landmark(root: etree._Element) -> bool:
    if next(root.getroottree().iter(*_LANDMARK_TAGS), None) is not None:
        return True
    return any(role in _LANDMARK_ROLES for role in _ROLES(root))


def _skeleton(el: etree._Element, depth: int, out: list[str]) -> None:
    out.append("(")
    prev = None
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in ("script", "style", "noscript", "br"):
            continue
        token = tag
        ident = child.get("id")
        if ident:
            token += "#" + _DIGITS.sub("", ident)
        cls = child.get("class")
        if cls:
            token += "." + _DIGITS.sub("", cls.split(None, 1)[0]) if cls.strip() else ""
        if token == prev:  # repeated siblings (list items, table rows) count once
            continue
        prev = token
        out.append(token)
        if depth > 1 and len(child):
            _skeleton(child, depth - 1, out)
    out.append(")")


def template_signature(root: etree._Element, depth: int = TEMPLATE_DEPTH) -> str:
    """12 hex digits identifying the page's layout: tags, ids and first classes of the top of ``<body>``.

    Digits are dropped from ids and classes (CMS ids like ``content_48213`` differ per article) and runs
    of identical siblings collapse, so two article pages of one CMS template share a signature whatever
    their length.
    """
    body = first(root, "body") if root.tag != "body" else root
    out: list[str] = []
    _skeleton(body if body is not None else root, depth, out)
    return hashlib.blake2b("".join(out).encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()


def elder_candidates(root: etree._Element, base: str = "") -> dict[str, list[Any]]:
    """Homepage controls short enough to be a mode switch (无障碍 / 长者模式 / 关怀版 ...) and script sources.

    Kept raw so the rule set's keyword list decides which of them is the entry (``govaudit.readings.find_elder_entry``).
    """
    links: list[dict[str, str]] = []
    for el in root.iter("a", "button", "span", "li", "div"):
        if len(links) >= MAX_CANDIDATES:
            break
        tag = el.tag
        if tag in ("span", "li", "div") and not (el.get("onclick") or el.get("role") == "button"):
            continue
        words = " ".join(w for w in (_text(el), el.get("title") or "", el.get("aria-label") or "",
                                     " ".join(i.get("alt") or "" for i in el.iter("img"))) if w).strip()
        if not words or len(words) > CANDIDATE_TEXT_CHARS:
            continue
        href = (el.get("href") or "").strip()
        if href and not href.lower().startswith(("javascript:", "#")):
            href = absolute_url(base, href) or href
        links.append({"text": words, "href": href, "onclick": (el.get("onclick") or "")[:120],
                      "selector": selector(el)})
    scripts = [absolute_url(base, s.get("src")) or s.get("src") for s in root.iter("script") if s.get("src")][:MAX_CANDIDATES]
    return {"links": links, "scripts": scripts}


def extract(ctx: PageContext) -> dict[str, Any]:
    """Static a11y facts and the template signature; homepage also gets ``elder_candidates``."""
    root = ctx.tree
    items, counts = static_checks(root, anchors_of(ctx, root))
    facts: dict[str, Any] = {"a11y_static": items, "a11y_static_counts": counts, "template": template_signature(root)}
    if ctx.is_home:
        facts["elder_candidates"] = elder_candidates(root, ctx.url)
    return facts
