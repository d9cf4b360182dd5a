"""Decoding, parsing and link extraction: the part of page handling every other extractor stands on.

Written against lxml directly rather than Scrapy's LinkExtractor: one pass over the tree with
``iter(*tags)`` is an order of magnitude cheaper, and government pages need things LinkExtractor does not
do (links inside HTML comments, Hanweb ``<datastore>`` records, images and attachments kept apart from
pages to crawl).
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import charset_normalizer
from govaudit.crawler.extract import Anchor, Link, PageContext, reads_streamed
from lxml import etree
from lxml import html as lxml_html
from w3lib.url import safe_url_string

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "sms:", "about:", "#", "vbscript:", "weixin:")
_REFRESH_URL = re.compile(r"url\s*=\s*(.+)$", re.I)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9_\-./~=&:,;+@]*(?:\?[A-Za-z0-9_\-./~=&:,;+@]+)?")  # no %, #, dot segment or space

# Tags whose URL is a page to crawl (when in scope) vs. a resource to check only.
PAGE_TAGS = {"a": "href", "area": "href", "iframe": "src", "frame": "src"}
RESOURCE_TAGS = {"img": "src", "script": "src", "embed": "src", "source": "src", "video": "src", "audio": "src",
                 "input": "src", "link": "href"}
_ALL_TAGS = tuple(PAGE_TAGS) + tuple(RESOURCE_TAGS)
_LINK_RELS_CHECKED = {"stylesheet", "icon", "shortcut icon", "apple-touch-icon", "alternate", "preload"}

_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)
_GB_ALIASES = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "ms936", "euc-cn", "gb18030"}


def _norm_encoding(name: str | None) -> str | None:
    """Canonical codec name; every GB-family label becomes GB18030, its superset (what browsers do)."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in _GB_ALIASES:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def looks_binary(body: bytes) -> bool:
    """Binary served as text/html: NUL bytes or many control characters in the first 4 KiB."""
    head = body[:4096]
    if not head:
        return False
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls / len(head) > 0.05


def decode_html(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode a page the way a browser would, trusting the bytes over a contradicting label.

    Order: BOM; valid UTF-8 (random GB18030 text is practically never valid UTF-8, so this is the strongest
    signal); mostly valid UTF-8 (more well-formed multi-byte characters than invalid bytes: GBK text read as
    UTF-8 has several times more invalid bytes than characters, a UTF-8 page with a pasted GBK word the
    reverse), with replacement characters for the bad bytes, as a browser shows it; the HTTP charset; the ``<meta>`` charset; GB18030; charset-normalizer's guess; UTF-8 with
    replacement.  Returns (text, encoding used).
    """
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return body[len(bom):].decode(enc, "replace"), enc
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = body.decode("utf-8", "replace")
    if _mostly_utf8(text):  # a UTF-8 page with a few bad bytes (a pasted GBK word, a cut sequence) stays UTF-8
        return text, "utf-8"
    meta = _META_CHARSET.search(body[:4096])
    candidates = [_norm_encoding(declared), _norm_encoding(meta.group(1).decode("ascii", "ignore") if meta else None), "gb18030"]
    for candidate in candidates:
        if candidate and candidate != "utf-8":
            try:
                return body.decode(candidate), candidate
            except (UnicodeDecodeError, LookupError):
                continue
    best = charset_normalizer.from_bytes(body[:65536]).best()
    if best is not None:
        return body.decode(best.encoding, "replace"), best.encoding
    return body.decode("utf-8", "replace"), "utf-8"


def body_digest(body: bytes) -> str:
    """Identity of a page's content: ``ScanView.pages()`` treats the same body at two URLs of one host
    (``/`` and ``/index.html``) as one document.  Of the raw bytes, so no decoding choice can split it."""
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def _mostly_utf8(text: str) -> bool:
    bad = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return non_ascii - bad > bad


def parse_html(text: str, data: bytes | None = None) -> lxml_html.HtmlElement:
    """Parse decoded HTML; survives truncated and malformed markup (lxml's recovering parser).  ``data``, when the
    caller holds it, is ``text`` in UTF-8 (the body as fetched): a 4 MB site map is not encoded again (issue 16).

    libxml2 stops reading a page whose elements nest deeper than 256 (even ``huge_tree`` only raises that to
    2048): everything after that point, links included, would be lost without a word.  Such a page is parsed
    again with the excess nesting flattened, as browsers do (Chromium's parser caps depth at 512 and makes
    deeper elements siblings); the normal path pays one check of the parser's error log.
    """
    if data is not None and (_XML_DECL.match(text) or not text or text.isspace()):
        data = None  # the text is cut or replaced below: the bytes are no longer its encoding
    text = _prepared(text)
    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=False, huge_tree=False)
    parser.set_element_class_lookup(_ELEMENT_CLASSES)
    try:
        tree = lxml_html.document_fromstring(_markup(text, data), parser=parser)
        if _at_nesting_limit(parser):
            tree = lxml_html.document_fromstring(_markup(_flatten(text)), parser=parser)
        return tree
    except (etree.ParserError, ValueError):
        return lxml_html.document_fromstring(b"<html></html>", parser=parser)


def _prepared(text: str) -> str:
    """``text`` without an XML declaration, and an empty document for a blank one: what ``parse_html`` and ``stream``
    give libxml2."""
    text = _XML_DECL.sub("", text, count=1)
    return "<html></html>" if not text or text.isspace() else text  # not text.strip(): no copy of a 5 MB page to ask


def _at_nesting_limit(parser: Any) -> bool:
    """Whether libxml2 stopped reading at its nesting limit (what follows was lost)."""
    return any(e.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for e in parser.error_log)


_DOCUMENT_END = re.compile(rb"</(?:html|body)\s*>", re.I)
_ONLY_ENDS = re.compile(rb"(?:\s|</(?:html|body)\s*>)*", re.I)


def _markup(text: str, data: bytes | None = None) -> bytes:
    """``text`` as libxml2 reads it (UTF-8: ``data`` when the caller has it), without its ``</body>`` and ``</html>``
    tags when markup follows the first of them.

    libxml2 drops everything after the first ``</html>`` and keeps what follows ``</body>`` outside the body; a
    browser puts both in the body (HTML's "after body" modes), so visitors see them.  Real CMS templates print their
    footer there — a Changzhou site's 网站标识码, ICP and 公安备案 numbers (tests/corpus/pages/cznd-20160720.html) —
    and the page was reported without them.  Without the end tags libxml2 reads on to the end, in the body, as a
    browser does.  Asked of the bytes (``str.find`` on a Chinese page, two bytes a character, took 5 ms of a 4 MB site
    map for the four tags), and the upper-case tags only of a page without lower-case ones: 1.5 ms a find there."""
    if data is None:
        data = text.encode("utf-8", "surrogatepass")
    ends = [at for at in (data.find(b"</body>"), data.find(b"</html>")) if at >= 0] or \
        [at for at in (data.find(b"</BODY>"), data.find(b"</HTML>")) if at >= 0]  # a page writes its tags one way
    if not ends or _ONLY_ENDS.fullmatch(data, min(ends)):
        return data
    return _DOCUMENT_END.sub(b"", data)


# Every element an HtmlElement, its class picked in C.  lxml.html's own parser picks FormElement, InputElement …
# by tag in a Python callback each time an element's proxy is made (100,000 times on a 50,000-link page); no
# extractor uses those classes' form helpers.
_ELEMENT_CLASSES = etree.ElementDefaultClassLookup(
    element=lxml_html.HtmlElement, comment=lxml_html.HtmlComment, pi=lxml_html.HtmlProcessingInstruction,
    entity=lxml_html.HtmlEntity)
_LIBXML2_MAX_DEPTH = 256
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


class _Flattener(HTMLParser):
    """Re-emits a page's markup with nesting capped below libxml2's limit: an element deeper than the cap
    becomes a sibling of the element before it at the cap (content and attributes kept)."""

    _CAP = _LIBXML2_MAX_DEPTH - 16  # headroom for the html/body/table wrappers libxml2 adds

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.depth = 0  # nesting in the source
        self.at_cap: str | None = None  # the element open at the cap, closed when the next deep one starts

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in _VOID:
            self.depth += 1
            if self.depth > self._CAP:
                if self.at_cap:
                    self.out.append(f"</{self.at_cap}>")
                self.at_cap = tag
        self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if self.depth > self._CAP:
            if self.at_cap == tag:
                self.out.append(f"</{tag}>")
                self.at_cap = None
        else:
            if self.at_cap:
                self.out.append(f"</{self.at_cap}>")
                self.at_cap = None
            self.out.append(f"</{tag}>")
        self.depth = max(0, self.depth - 1)

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")


def _flatten(text: str) -> str:
    flattener = _Flattener()
    flattener.feed(text)
    flattener.close()
    return "".join(flattener.out)


def absolute_url(base: str, href: str) -> str | None:
    """Absolute, fragment-free, percent-encoded (IDN to punycode) URL, or None for links that are not web links.

    Navigation links repeat on every page, so results are cached on the part of ``base`` the href really
    depends on (nothing, the origin, or the directory): most calls are cache hits.  What the base gives (its
    origin and directory, and whether they join plainly) is worked out once per base (``_base_parts``), not
    once per link: a site map's 50,000 links share one base.
    """
    href = href.strip()
    if href[:1] == "/" and href[1:2] != "/":  # root-relative, most links of a CMS page: asked first
        origin, origin_plain, _, _ = _base_parts(base)
        # The common case, a plain root-relative path, is the origin and the path as they are (what urljoin and
        # safe_url_string give for it): a site map's 50,000 distinct URLs do not each pay a join and a re-encoding.
        if origin_plain and _PLAIN_PATH.fullmatch(href) and "/." not in href:
            return origin + href
        return _resolve(origin, href)
    if href.startswith(("http://", "https://")):
        return _resolve("", href)
    if href and not href.startswith(("?", "#", "//")) and ":" not in href.split("/", 1)[0]:
        _, _, folder, folder_plain = _base_parts(base)
        if folder is not None:
            if folder_plain and _PLAIN_PATH.fullmatch("/" + href) and not href.startswith(".") and "/." not in href:
                return folder + href
            return _resolve(folder, href)
    return _resolve(base, href)


@lru_cache(maxsize=4096)
def _base_parts(base: str) -> tuple[str, bool, str | None, bool]:
    """(origin, a plain path joins it as is, directory or None when the base has no path, same for the directory)."""
    cut = base.find("/", base.find("//") + 2)
    origin = base if cut < 0 else base[:cut]
    path = base.split("?", 1)[0].split("#", 1)[0]
    folder = path[:path.rfind("/") + 1] if path.count("/") >= 3 else None
    return (origin, _resolve(origin, "/") == origin + "/", folder,
            folder is not None and _resolve(folder, "x") == folder + "x")


@lru_cache(maxsize=65536)
def _resolve(base: str, href: str) -> str | None:
    href = href.replace("\\", "/")
    if not href or href.lower().startswith(_SKIP_SCHEMES):
        return None
    try:
        joined = urljoin(base, href) if base else href
        parts = urlsplit(joined)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return None
        return safe_url_string(urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, "")))
    except ValueError:
        return "invalid:" + href[:500]


@lru_cache(maxsize=64)
def _first_path(step: str) -> etree.XPath:
    return etree.XPath(f"descendant::{step}[1]")


def first(el: Any, step: str) -> Any | None:
    """``el.find(".//" + step)`` (``step``: a tag, with a predicate if need be): the first descendant in document
    order.  lxml's ``find`` looks ahead for a second match, so with one ``<title>`` it walks the whole rest of the
    page (2.5 ms of a 50,000-link site map, each call); the XPath stops at the first."""
    found = _first_path(step)(el)
    return found[0] if found else None


def clean_prefix(pieces: Iterable[str], limit: int) -> str:
    """``"".join(pieces)`` with its whitespace collapsed, cut at ``limit``, reading only as many pieces as that needs.

    Collapsing the whitespace of a prefix gives a prefix of the collapsed whole, so stopping early changes
    nothing; building the whole text of every wrapper around a 5 MB page to ask whether it is short made
    the freshness and letters extractors quadratic in nesting (issue 16).  What is read is collapsed once, each
    ``limit`` characters, onto what was collapsed before (``_collapsed_onto``): collapsing all of it again at each
    check was quadratic in the whitespace, which a real page's indentation is full of (a 380 KB 行政处罚 table:
    6.6 of its 26 ms)."""
    text, blank = "", False  # what is collapsed so far; whether what was read so far ends in whitespace
    parts: list[str] = []
    gathered = 0
    for piece in pieces:
        parts.append(piece)
        gathered += len(piece)
        if gathered >= limit:
            text, blank = _collapsed_onto(text, blank, "".join(parts))
            if len(text) >= limit:
                return text[:limit]
            parts, gathered = [], 0
    return _collapsed_onto(text, blank, "".join(parts))[0][:limit]


def _collapsed_onto(text: str, blank: bool, raw: str) -> tuple[str, bool]:
    """(``text`` followed by ``raw`` with its whitespace collapsed, whether that ends in whitespace), ``text`` being
    the collapsed form of what came before ``raw`` and ``blank`` whether that ended in whitespace."""
    more = " ".join(raw.split())
    if not more:
        return text, blank or bool(raw)
    if text and (blank or raw[0].isspace()):
        text += " "
    return text + more, raw[-1].isspace()


def text_prefix(el: Any, limit: int) -> str:
    """The collapsed ``el.text_content()`` cut at ``limit`` (itertext yields the same text nodes as text_content)."""
    return clean_prefix(el.itertext(), limit)


def element_text(el: Any) -> str:
    """``el.text_content()``, without its cost for an element with no children (most links, cells, headings):
    lxml.html evaluates an XPath ``string()`` per call, about ten times the price of reading ``el.text``."""
    return (el.text or "") if len(el) == 0 else el.text_content()


def collapsed_text(el: Any) -> str:
    """``element_text`` with its whitespace collapsed: an anchor's text as ``Link`` and ``Anchor`` hold it."""
    return " ".join(element_text(el).split())


def _anchor_text(el: lxml_html.HtmlElement, text: str | None = None) -> str:
    """A link's anchor as reports show it: its text (``text``, when the caller has collapsed it already), else an
    image's alt or title, else its own title."""
    if text is None:
        text = collapsed_text(el)
    if not text:
        img = el.find(".//img")
        text = (img.get("alt") or img.get("title") or "").strip() if img is not None else ""
        text = text or (el.get("title") or "").strip()
    return text[:200]


_ATTR_OF = {**PAGE_TAGS, **RESOURCE_TAGS}


def _not_checked(tag: str, attribute: Any) -> bool:
    """A ``<link>`` that is no style sheet, icon, alternate or preload, or an ``<input>`` that is no image button:
    not a link.  ``attribute``: the element's ``get`` (or a parser target's attribute dict's)."""
    return (tag == "link" and (attribute("rel") or "").lower() not in _LINK_RELS_CHECKED) or \
        (tag == "input" and (attribute("type") or "").lower() != "image")


def _links_from(root: Any, base: str, hidden: bool, out: list[Link], anchors: list[Anchor] | None = None) -> None:
    # An anchor's steps written out here, not called: ``collapsed_text``, ``absolute_url``'s root-relative case
    # and ``_anchor_text`` were three calls a link, a fifth of a 50,000-link site map's links pass (issue 16).
    origin, origin_plain, _, _ = _base_parts(base)
    plain = _PLAIN_PATH.fullmatch
    for el in root.iter(*_ALL_TAGS):
        tag = el.tag
        value = el.get(_ATTR_OF[tag])
        if not value:
            continue
        if tag == "a":  # nine links in ten: the checks below are for the other tags
            text = " ".join((el.text or "" if not len(el) else el.text_content()).split())
            if anchors is not None:
                anchors.append((el, text, value))
            if origin_plain and value[0] == "/" and value[1:2] != "/" and plain(value) and "/." not in value:
                url: str | None = origin + value  # what absolute_url gives a plain root-relative path
            else:
                url = absolute_url(base, value)
            if url is not None:
                out.append(Link(url, tag, text[:200] if text else _anchor_text(el, text), hidden))
            continue
        if _not_checked(tag, el.get):
            continue
        url = absolute_url(base, value)
        if url is None:
            continue
        anchor = _anchor_text(el) if tag == "area" else (el.get("alt") or el.get("title") or "").strip()[:200]
        out.append(Link(url, tag, anchor, hidden))


def read_anchors(root: Any) -> list[Anchor]:
    """Every ``<a href>`` under ``root`` as the links pass records it (``Anchor``), in document order."""
    return [(a, collapsed_text(a), href) for a in root.iter("a") if (href := a.get("href"))]


def anchors_of(ctx: PageContext, root: Any) -> list[Anchor]:
    """The anchors under ``root`` (the page's tree or its body): the links pass's records when ``root`` holds them
    all, as it does on almost every page (one in a ``<noscript>`` of the head is the exception), else read again
    (also for a context built without the links pass, as tests build them).

    A subtree is one run of the document order, so it holds all the anchors when it holds the first and the last:
    two climbs, where counting its anchors by XPath cost 11 ms on a 50,000-link site map."""
    anchors = ctx.anchors
    if anchors is not None and (root is ctx.tree or not anchors or (
            _holds(root, anchors[0][0]) and _holds(root, anchors[-1][0]))):
        return anchors
    return read_anchors(root)


def _holds(root: Any, el: Any) -> bool:
    return any(up is root for up in el.iterancestors())


def _fragments(markup: str) -> list[Any]:
    try:
        return lxml_html.fragments_fromstring(markup)
    except (etree.ParserError, ValueError, TypeError):
        return []


def _page_base(url: str, href: str | None) -> str:
    """What the page's relative links resolve against: its ``<base href>`` (``href``) when that is a web URL, else
    the page's own URL."""
    base = absolute_url(url, href) if href else url
    return base if base and not base.startswith("invalid:") else url


def extract_links(tree: lxml_html.HtmlElement, url: str, anchors: list[Anchor] | None = None) -> list[Link]:
    """Every link of a page, including those real CMSs hide in comments and Hanweb datastore scripts.

    ``anchors``, when given, receives every ``<a href>`` of the tree itself (``PageContext.anchors``)."""
    base_el = first(tree, "base[@href]")
    base = _page_base(url, base_el.get("href") if base_el is not None else None)
    out: list[Link] = []
    _links_from(tree, base, False, out, anchors)
    refreshes: list[Link] = []
    hidden: list[Link] = []
    scripts: list[Any] = []
    for el in tree.iter("meta", etree.Comment, "script"):  # one more walk for the three, not one each
        if el.tag == "meta":  # <meta http-equiv="refresh" content="0;url=/col/index.html">: a redirect users follow
            if (el.get("http-equiv") or "").lower() == "refresh":
                match = _REFRESH_URL.search(el.get("content") or "")
                target = absolute_url(base, match.group(1).strip("'\" ")) if match else None
                if target:
                    refreshes.append(Link(target, "meta-refresh", "", False))
        elif el.tag == "script":
            scripts.append(el)
        else:
            text = el.text or ""
            if "href" in text or "src" in text:
                for frag in _fragments(text):
                    if isinstance(frag, lxml_html.HtmlElement):
                        _links_from(frag, base, True, hidden)
    for script in scripts:  # after the comments' links, as before
        if (script.get("type") or "").lower() == "text/xml" and script.text and "<record" in script.text:
            records = _CDATA.findall(script.text)
            for frag in _fragments("".join(records)):
                if isinstance(frag, lxml_html.HtmlElement):
                    _links_from(frag, base, True, hidden)
    return out + refreshes + hidden


def cheap_links(text: str, url: str) -> list[Link]:
    """The links of a page that is not analysed (issue 16: over the time budget, its worker lost, or larger than
    ``params.crawl.analysis_max_bytes``), read as the parser streams past them: no tree is built, so a 10 MB site map
    costs a few MB, not the 150 MB its tree would (and a page that broke its worker is not parsed into a tree again).
    The page's own links as the full pass reads them (anchor text, else an image's alt or title, else its title;
    ``<base href>``), nothing from comments or script data.  Enough for the crawl to go on past the page."""
    events = stream(text, _LinkEvents)
    base = _page_base(url, events.base)
    out: list[Link] = []
    for tag, value, anchor in events.found:
        link = absolute_url(base, value)
        if link is not None:
            out.append(Link(link, tag, anchor, False))
    return out


Target = TypeVar("Target")


def stream(text: str, make: Callable[[], Target]) -> Target:
    """A parser target made by ``make``, called with the events of the tree ``parse_html`` would build of ``text``
    (the same markup: its XML declaration dropped, end tags amid the page removed, nesting past libxml2's limit
    flattened), and no tree built: how a page too large for a tree is read (issue 16).  A target's ``start``,
    ``end``, ``data``, ``comment`` and ``pi`` are called as it has them (lxml's parser-target interface)."""
    text = _prepared(text)
    target = make()
    if _feed(_markup(text), target):  # nested past libxml2's limit: read again flattened, as parse_html does
        target = make()
        _feed(_markup(_flatten(text)), target)
    return target


def _feed(data: bytes, target: object) -> bool:
    """Parse ``data`` into ``target``, as ``parse_html`` parses it (one call over the whole markup, not a push
    parser's chunks); True when libxml2 stopped at its nesting limit."""
    parser = etree.HTMLParser(target=target, encoding="utf-8", remove_comments=False, huge_tree=False)
    try:
        etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, etree.ParserError, ValueError):  # no element at all, or what parse_html gives up on
        pass
    return _at_nesting_limit(parser)


class Fanout:
    """Parser target handing one parse's events to several targets (``stream``), so a page too large for a tree is
    parsed once for every extractor's streamed reader: a parse with a Python target costs more than building the
    tree (114 against 76 ms on a 8.7 MB site map), one for each reader as many times that (issue 16).  (The links'
    pass, ``cheap_links``, keeps a parse of its own: fed beside the readers, its link records and their text pieces
    together set the worker's peak 10–13 MB higher on that site map, for 45–90 ms saved.)

    A target gets only the events it has a method for, as lxml gives them; one that raises is left out of the
    rest of the parse, its exception kept in ``failed`` (by its index), and the others read on.  ``start``, ``end``
    and ``data`` are written out, not sent through ``_each``: they come once per element and text of the page, and
    the shared loop's ``*args`` cost 6–8 % of such a page's streamed reading."""

    def __init__(self, makers: Sequence[Callable[[], Any]]) -> None:
        self.targets = [make() for make in makers]
        self.failed: dict[int, Exception] = {}
        self._bind()

    def _bind(self) -> None:
        live = [(at, target) for at, target in enumerate(self.targets) if at not in self.failed]

        def calls(name: str) -> list[tuple[int, Callable[..., Any]]]:
            return [(at, getattr(target, name)) for at, target in live if hasattr(target, name)]
        self._starts, self._ends, self._datas = calls("start"), calls("end"), calls("data")
        self._comments, self._pis, self._closes = calls("comment"), calls("pi"), calls("close")

    def _fail(self, at: int, exc: Exception) -> None:
        self.failed[at] = exc
        self._bind()  # the loop that called this goes on over the list it began with

    def start(self, tag: str, attrib: Any) -> None:
        for at, call in self._starts:
            try:
                call(tag, attrib)
            except Exception as exc:  # noqa: BLE001 - a reader's failure is its own (see run_extractors)
                self._fail(at, exc)

    def end(self, tag: str) -> None:
        for at, call in self._ends:
            try:
                call(tag)
            except Exception as exc:  # noqa: BLE001
                self._fail(at, exc)

    def data(self, text: str) -> None:
        for at, call in self._datas:
            try:
                call(text)
            except Exception as exc:  # noqa: BLE001
                self._fail(at, exc)

    def _each(self, calls: list[tuple[int, Callable[..., Any]]], *args: Any) -> None:
        for at, call in calls:
            try:
                call(*args)
            except Exception as exc:  # noqa: BLE001
                self._fail(at, exc)

    def comment(self, text: str) -> None:  # the events a page has few of share one loop
        self._each(self._comments, text)

    def pi(self, target: str, data: str | None = None) -> None:
        self._each(self._pis, target, data)

    def close(self) -> None:
        self._each(self._closes)


class _LinkEvents:
    """Parser target for ``cheap_links``: (tag, URL as written, anchor) of each link-carrying element, in document
    order, and the first ``<base href>``.  An ``<a>``'s anchor is its collapsed text, else the alt or title of an
    image in it, else its own title, as ``_anchor_text`` gives them; an area its title, a resource its alt or title."""

    def __init__(self) -> None:
        self.found: list[tuple[str, str, str]] = []
        self.base: str | None = None
        self.texts: list[str] | None = None  # the open <a>'s text pieces
        self.image: str | None = None  # the alt or title of the first image in the open <a>
        self.title = ""  # the open <a>'s own title

    def start(self, tag: str, attrib: Any) -> None:
        if tag == "a" and self.texts is not None:  # an <a> inside an <a>: the first one ends here
            self.end("a")
        attr = _ATTR_OF.get(tag)
        if attr is None:
            if tag == "base" and self.base is None and attrib.get("href"):
                self.base = attrib["href"]
            return
        if tag == "img" and self.texts is not None and self.image is None:
            self.image = (attrib.get("alt") or attrib.get("title") or "").strip()
        value = attrib.get(attr)
        if not value or _not_checked(tag, attrib.get):
            return
        if tag == "a":
            self.texts, self.image, self.title = [], None, (attrib.get("title") or "").strip()
            self.found.append((tag, value, ""))
            return
        anchor = attrib.get("title") if tag == "area" else (attrib.get("alt") or attrib.get("title"))
        self.found.append((tag, value, (anchor or "").strip()[:200]))

    def data(self, text: str) -> None:
        if self.texts is not None:
            self.texts.append(text)

    def end(self, tag: str) -> None:
        if tag != "a" or self.texts is None:
            return
        anchor = " ".join("".join(self.texts).split()) or self.image or self.title
        at = len(self.found) - 1
        while self.found[at][0] != "a":  # an image or resource inside the anchor came after it
            at -= 1
        self.found[at] = ("a", self.found[at][1], anchor[:200])
        self.texts = None

    def close(self) -> None:
        if self.texts is not None:
            self.end("a")


def _add_meta(meta: dict[str, str], attribute: Callable[[str], str | None]) -> None:
    """A ``<meta>`` (``attribute``: its element's ``get``, or a parser target's attribute dict's) into ``meta``, the
    first of each name winning."""
    name = attribute("name") or attribute("property") or attribute("http-equiv")
    content = attribute("content")
    if name and content is not None and name not in meta:
        meta[name] = content.strip()[:1000]


def _title(text: str) -> str:
    return " ".join(text.split())[:500]


class _HeadEvents:
    """Parser target (``stream``): the title, language and metas ``extract`` reads from the tree, of a page too large
    for one (issue 16): the first ``<title>``'s text, the root element's ``lang``, every ``<meta>`` in order."""

    def __init__(self) -> None:
        self.meta: dict[str, str] = {}
        self.lang: str | None = None
        self.root_seen = False
        self.title: list[str] | None = None  # the first title's text pieces, once it has begun
        self.in_title = False

    def start(self, tag: str, attrib: Any) -> None:
        if not self.root_seen:
            self.root_seen = True
            self.lang = attrib.get("lang") or attrib.get("xml:lang")
        if tag == "meta":
            _add_meta(self.meta, attrib.get)
        elif tag == "title" and self.title is None:
            self.title, self.in_title = [], True

    def end(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False

    def data(self, text: str) -> None:
        if self.in_title and self.title is not None:
            self.title.append(text)

    def facts(self) -> dict[str, Any]:
        return {"title": _title("".join(self.title)) if self.title is not None else None, "lang": self.lang,
                "meta": self.meta}


@reads_streamed(_HeadEvents)
def extract(ctx: PageContext) -> dict[str, Any]:
    """Core facts: title, language and the ``<meta name>`` tags of the 网页设计规范 (SiteName, ColumnName, PubDate…);
    of a page too large for a tree, the first three from the parser's events (``_HeadEvents``)."""
    tree = ctx.tree
    title_el = ctx.first("title")
    meta: dict[str, str] = {}
    for el in ctx.elements("meta"):
        _add_meta(meta, el.get)
    return {
        "title": _title(title_el.text_content()) if title_el is not None else None,
        "lang": tree.get("lang") or tree.get("xml:lang"),
        "meta": meta,
        "charset": ctx.charset,
        "digest": ctx.digest or None,
    }


def page_context(url: str, body: bytes, *, declared_charset: str | None = None, is_home: bool = False,
                 as_of: date | None = None, site: str = "") -> PageContext:
    """Decode, parse and extract links of one page: what the spider does per page, usable on a saved file."""
    text, charset = decode_html(body, declared_charset)
    tree = parse_html(text)
    anchors: list[Anchor] = []
    links = extract_links(tree, url, anchors)
    return PageContext(url=url, tree=tree, is_home=is_home, links=links, anchors=anchors, as_of=as_of, site=site,
                       charset=charset, digest=body_digest(body))
