"""Site identity (网站标识) and the page's hidden links and third-party scripts, gathered once per page.

Facts (docs/architecture.md):

* ``identity``: what the page's footer (底部功能区) shows — ``site_id`` (网站标识码), ``icp`` (ICP备案编号),
  ``police`` (公安机关备案号, the digits as printed: the check decides whether there are 14), ``sponsor``
  (主办单位), ``contact`` (联系方式 shown: a phone, mail or a 联系我们 link), and the links to the record
  sites: ``icp_link`` (beian.miit.gov.cn), ``police_link`` (beian.gov.cn), ``conac`` (the 党政机关网站标识 badge
  or link on conac.cn).  ``footer`` says where the text came from (a footer element, or the page's last
  ``TAIL_CHARS`` characters when the template marks none).
* ``hidden_links``: links made invisible by inline style, attribute or a rule of the page's ``<style>`` blocks
  (display:none, visibility:hidden, off-screen, zero size, text in the background colour) that leave the
  page's host — ``[{url, anchor, how}]``.  Style rules are parsed with tinycss2 and matched with cssselect
  (``hiding_rules``).  Links hidden or written by JavaScript are out of reach of any static reading.
* ``stylesheets`` (same-host ``.css`` the page links) and ``link_chains`` (``[{chain: [[tag, id, class], …],
  links: [{url, anchor}]}]``, the off-host links not hidden in the page itself and the elements above them):
  the crawl reads each same-site sheet once (``css_hiding`` on its record) and the safety check matches its
  hiding rules against the chains, because a page's analysis never fetches.  Written only for pages that link a
  same-site sheet and an off-host link.
  Hidden menus inside the site are everyday markup and are not kept.
* ``embeds``: hosts that scripts and frames are loaded from (``src`` and URLs that inline scripts write
  into the page) — ``[{host, tag, url}]`` — for the check to compare with the rule set's allow-list.

Judging (which identifier is missing, which host is allowed) is the check's, so a rule set can change it
without a re-crawl.  One pass per concern over the tree: the footer's text is built once, the hiding
candidates are found by one compiled XPath, links come from ``ctx.links``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

import tinycss2
from govaudit.crawler.extract import Anchor, Link, PageContext
from govaudit.crawler.extract.content import page_text, visible_text
from govaudit.crawler.extract.core import absolute_url, anchors_of, collapsed_text
from lxml import etree
from lxml import html as lxml_html

from govaudit.readings import MAX_SELECTORS, HidingRule, compile_hiding

TAIL_CHARS = 1500
"""Without a footer element, the last characters of the page's text stand for the footer (CMS footers
are the end of the page)."""
MAX_FOOTER_CHARS = 4000
MAX_HIDDEN = 50
MAX_EMBEDS = 50

_SPACE = re.compile(r"\s+")
# Codes per indicators.md §4.1 guide.siteidcode_format; the label is what footers print.
SITE_ID = re.compile(r"(?:网站标识码|标识码)\s*[:：]?\s*([A-Za-z]{0,2}\d{6,12})")
# As footers print them (tests/corpus, identity labels): 晋ICP备05003854 without 号, 蜀ICP备：19007388号,
# 鄂ICP备19031037-2号 and 京ICP备05084924号-5; 粤公网安备号 44030402003007 and 公安机关备案号：36010802000157.
ICP = re.compile(r"([\u4e00-\u9fff]\s*ICP\s*备\s*[:：]?\s*\d+(?:\s*-\s*\d+)?\s*号?(?:\s*-\s*\d+)?)", re.I)
POLICE = re.compile(r"(?:([\u4e00-\u9fff]{1,3})?公网安备\s*号?|公安机关备案号)\s*[:：]?\s*(\d+)\s*号?")
# 主办单位：A, also naming a second body after a space when it reads as one (主办：广州开发区管委会 广州市黄埔区人民政府
# 承办：…); else "A主办" as a segment of its own (西安市人民政府办公厅主办 | 关于我们), never inside a sentence.
_BODY_END = r"(?:政府|办公室|办公厅|委员会|管委会|委|局|厅|署|部|院|中心)"
SPONSOR = re.compile(r"(?:主办单位|主办|网站主办)\s*[:：]\s*([^\s|，,。；;]{2,40}"
                     rf"(?:\s+[^\s|，,。；;:：]{{1,38}}{_BODY_END}(?=[\s|，,。；;]|$))?)"
                     r"|(?:^|(?<=[\s|]))([\u4e00-\u9fff（）()、]{4,40}?)主办(?=[\s|]|$)")
_FIELDS = (("site_id", SITE_ID), ("icp", ICP), ("police", POLICE), ("sponsor", SPONSOR))
CONTACT = re.compile(r"联系(?:电话|方式|我们|地址)|电话\s*[:：]|邮箱\s*[:：]|E-?mail|\d{3,4}-\d{7,8}", re.I)
_FOOTER_WORDS = ("foot", "bottom", "copy", "banquan")  # copy: copyright, and div.copy (a Urumqi template)
FOOTER_DEPTH = 4
"""How deep below <body> the footer is looked for, from the end of the page backwards: CMS footers are the
last block of the body or of its wrapper.  Scanning every element for a footer class cost as much as the rest
of the extractor (measured: bench/dictionary_bench.py, 2,000 demo pages)."""
_RECORD_SITES = ("beian", "conac")
_RECORD_SITE = re.compile("|".join(map(re.escape, _RECORD_SITES)))

_HIDE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])|"
    r"(?:left|top|text-indent|margin-left|margin-top)\s*:\s*-\s*(?:\d{4,}|[5-9]\d{2})(?:\.\d+)?(?:px|em|rem|pt|%)?|"  # off-screen: -500px and beyond
    r"(?:^|;|\s)(?:width|height|opacity)\s*:\s*0(?:\.0+)?(?:px)?\s*(?:;|$)", re.I)
# Elements with a hidden or style attribute, in document order: found from the attributes (``//@style/..``), not
# by testing every element (``//*[@hidden or @style]``, twice the cost on a 50,000-link page; a contains()-filtered
# XPath measured 3× slower still).
_HIDE_CANDIDATES = etree.XPath("//@hidden/..|//@style/..")
_COLOR = re.compile(r"(?:^|;|\s)color\s*:\s*([^;]+)", re.I)
_BACKGROUND = re.compile(r"background(?:-color)?\s*:\s*([^;]+)", re.I)
_INLINE_URL = re.compile(r"""(?:src\s*=\s*\\?["']?|\.src\s*=\s*["']|write\s*\(\s*["'][^"']*?src=\\?["']?)\s*((?:https?:)?//[^\s"'\\<>]+)""", re.I)
_WRITERS = ("document.write", "createElement", ".src")


@lru_cache(maxsize=8192)  # a page's navigation links are every page's: most hosts asked were asked before
def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _is_footer(el: etree._Element) -> bool:
    if el.tag == "footer" or el.get("role") == "contentinfo":
        return True
    names = f"{el.get('id') or ''} {el.get('class') or ''}".lower()
    return any(w in names for w in _FOOTER_WORDS)


def _footer_element(el: etree._Element, depth: int) -> etree._Element | None:
    """The last footer-marked element, searching the last children first, ``depth`` levels down."""
    for child in reversed(el):
        if not isinstance(child.tag, str) or child.tag in ("script", "style", "noscript"):
            continue
        if _is_footer(child):
            return child
        if depth > 1 and len(child):
            found = _footer_element(child, depth - 1)
            if found is not None:
                return found
    return None


def footer_text(root: etree._Element) -> tuple[str, str]:
    """(text, where): the footer's visible text (script text left out; the footer is the last footer element with
    the ones just before it, ``_footer_run``), or the page's last ``TAIL_CHARS`` characters.

    The footer element is a ``<footer>``, a contentinfo landmark or an element whose id or class names a
    footer (``foot``, ``bottom``, ``copy``, ``banquan``): CMS templates mark it so."""
    body = root.find("body")
    found = _footer_element(body if body is not None else root, FOOTER_DEPTH)
    if found is not None:
        text = " ".join(visible_text(el) for el in _footer_run(found))
        if len(text) >= 10:
            return text[:MAX_FOOTER_CHARS], "footer"
    return page_text(root)[-TAIL_CHARS:], "tail"


def _footer_run(last: etree._Element) -> list[etree._Element]:
    """``last`` and the footer-marked elements just before it (only scripts and styles between), in document order.

    Templates split the footer: a Changzhou site prints 主办单位 and its contacts in ``div.footer_con``, then, past
    a few scripts, its 网站标识码, ICP and 公安备案 numbers in ``table.site-bottom`` (tests/corpus/pages/
    cznd-20160720.html); a visitor sees one footer, and the identifiers of either part are the site's."""
    run = [last]
    for el in last.itersiblings(preceding=True):
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "noscript"):
            continue
        if not _is_footer(el):
            break
        run.append(el)
    return run[::-1]


_FOOTER_TAIL = 3
"""How many of an element's last children ``_footer_blocks`` looks into: footers end the body or its wrappers, and
a 50,000-link site map's every row is four levels down too (all of them: 100 ms)."""


def _footer_blocks(el: etree._Element, depth: int, out: list[str]) -> None:
    """The visible text of the footer-marked elements among ``el``'s last children and theirs, ``depth`` levels
    down, in document order."""
    last = list(islice((c for c in reversed(el) if isinstance(c.tag, str) and c.tag not in ("script", "style", "noscript")),
                       _FOOTER_TAIL))
    for child in reversed(last):
        if _is_footer(child):
            out.append(visible_text(child))
        elif depth > 1 and len(child):
            _footer_blocks(child, depth - 1, out)


def footer_identity(root: etree._Element, links: list[Any], scripts: list[etree._Element]) -> dict[str, Any]:
    text, where = footer_text(root)
    out: dict[str, Any] = {"footer": where}
    found = {name: pattern.search(text) for name, pattern in _FIELDS}
    if not all(found.values()):
        # A responsive template prints a desktop and a phone footer, the phone one last and shorter (乌鲁木齐: its
        # 网站标识码 and 公安备案 only in the desktop one): what the footer lacks is read from the footer blocks
        # that end the body and its wrappers (``_footer_blocks``).
        body = root.find("body")
        blocks: list[str] = []
        _footer_blocks(body if body is not None else root, FOOTER_DEPTH, blocks)
        rest = " ".join(blocks)
        found = {name: found[name] or pattern.search(rest) for name, pattern in _FIELDS}
    written = script_footer(scripts) if not all(found.values()) else None
    from_script: list[str] = []
    if written is not None:
        # 广东省人民政府 builds its whole footer from a script string (``pcFooterStr = '<div …>网站标识码…' + …``):
        # a visitor sees it, the markup has none of it, and "标识码缺失" would be a finding no inspector could
        # defend.  What is read there counts as shown and is named in ``from_script``: read from a script's
        # strings, not seen rendered.
        script_text = visible_text(written)
        for name, pattern in _FIELDS:
            if not found[name]:
                found[name] = pattern.search(script_text)
                if found[name]:
                    from_script.append(name)
    if m := found["site_id"]:
        out["site_id"] = m.group(1)
    if m := found["icp"]:
        out["icp"] = re.sub(r"\s+", "", m.group(1))
    if m := found["police"]:
        out["police"] = m.group(2)
        out["police_text"] = (m.group(1) or "") + "公网安备" + m.group(2) + "号"
    if m := found["sponsor"]:
        out["sponsor"] = _clean(m.group(1) or m.group(2))
    # A site map has 50,000 links, almost never one to a record site or a 联系我们 page: each question is first
    # put to all the URLs or anchors joined into one string (one C-level search), and the links are looked at one
    # by one only when it can be yes (issue 16).
    urls = "\n".join([link.url for link in links])
    out["contact"] = bool(CONTACT.search(text)) or (
        ("mailto:" in urls or "联系我们" in "\n".join([link.anchor for link in links])) and any(
            not link.hidden and link.tag == "a" and ("联系我们" in link.anchor or "mailto:" in link.url) for link in links))
    _record_links(links if any(site in urls for site in _RECORD_SITES) else (), out)
    if written is not None:
        scripted = [Link(url, "a", collapsed_text(a), True) for a in written.iter("a")
                    if (url := absolute_url("", a.get("href") or "")) and url.startswith("http")]
        if not out["contact"] and (CONTACT.search(script_text) or any("联系我们" in link.anchor for link in scripted)):
            out["contact"] = True
            from_script.append("contact")
        from_script += _record_links(scripted, out)
    if from_script:
        out["from_script"] = from_script
    return out


def _record_links(links: Iterable[Any], out: dict[str, Any]) -> list[str]:
    """``icp_link``, ``police_link`` and ``conac`` in ``out`` from the first link to each record site among
    ``links``, where ``out`` has none yet; the keys it set."""
    added: list[str] = []
    for link in links:
        if not _RECORD_SITE.search(link.url):
            continue
        host = _host(link.url)
        if host == "beian.miit.gov.cn":
            key = "icp_link"
        elif host.endswith("beian.gov.cn"):
            key = "police_link"
        elif host == "conac.cn" or host.endswith(".conac.cn"):
            key = "conac"
        else:
            continue
        if key not in out:
            out[key] = link.url
            added.append(key)
    return added


_JS_STRING = re.compile(r"""'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`""", re.S)
_JS_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|(.))", re.S)
_IDENTIFIER_WORDS = ("标识码", "ICP", "icp", "公网安备", "公安备案", "主办")


def _js_unescape(m: re.Match[str]) -> str:
    code = m.group(1) or m.group(2)
    return chr(int(code, 16)) if code else {"n": "\n", "t": "\t", "r": ""}.get(m.group(3), m.group(3))


def script_footer(scripts: list[etree._Element]) -> etree._Element | None:
    """The markup inline scripts hold in string literals (``'<span>网站标识码…</span>' + …``, concatenated in
    order), parsed, for scripts that name a footer identifier: where a footer written by script is.  Nothing is
    run; a literal is text with its escapes undone, parsed as lxml parses a page."""
    pieces: list[str] = []
    for script in scripts:
        code = script.text or ""
        if script.get("src") or not any(w in code for w in _IDENTIFIER_WORDS):
            continue
        for m in _JS_STRING.finditer(code):
            literal = m.group(1) if m.group(1) is not None else m.group(2) if m.group(2) is not None else m.group(3)
            pieces.append(_JS_ESCAPE.sub(_js_unescape, literal))
    markup = "".join(pieces)
    if not any(w in markup for w in _IDENTIFIER_WORDS):
        return None
    try:
        return lxml_html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return None


def _norm_colour(value: str) -> str:
    parts = re.sub(r"\s*([(),])\s*", r"\1", value.lower().replace("!important", "")).split()
    v = parts[0] if parts else ""
    if re.fullmatch(r"#[0-9a-f]{3}", v):
        v = "#" + "".join(c * 2 for c in v[1:])
    return {"white": "#ffffff", "black": "#000000", "rgb(255,255,255)": "#ffffff", "rgb(0,0,0)": "#000000"}.get(v, v)


_SELECTOR_NAMES = re.compile(r"([.#])([\w-]+)")
_SHOWS = re.compile(r"display\s*:\s*(?!none)[a-z]|visibility\s*:\s*visible", re.I)
_COMBINATOR = re.compile(r"\s*[>+~]\s*|\s+")

_MEDIA_LIMITED = re.compile(r"print|speech|width|height|orientation|aspect-ratio|resolution|hover|pointer", re.I)


def _style_rules(rules: list[Any]) -> Iterator[Any]:
    """The qualified rules that apply on every screen: those inside ``@media screen`` / ``@supports`` blocks
    included, not ``@media print`` nor a query on the width (a responsive sheet hides the desktop menu on a
    phone: no 暗链)."""
    for rule in rules:
        if rule.type == "qualified-rule":
            yield rule
        elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports") and rule.content is not None \
                and not _MEDIA_LIMITED.search(tinycss2.serialize(rule.prelude)):
            yield from _style_rules(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True))


def _subject_names(selector: str) -> set[str]:
    """The class and id names of a selector's subject (its last compound: ``.sub`` in ``.menu:hover .sub``)."""
    return {a + b for a, b in _SELECTOR_NAMES.findall(_COMBINATOR.split(selector.strip())[-1])}


def hiding_rules(css: str) -> tuple[HidingRule, ...]:
    """``hiding_declarations`` compiled: what a page's ``<style>`` blocks hide."""
    return compile_hiding(hiding_declarations(css))


def css_facts(body: bytes) -> dict[str, Any]:
    """A same-site style sheet's facts: its hiding rules as (selector, declaration) pairs, for the safety check."""
    return {"css_hiding": [list(pair) for pair in hiding_declarations(body.decode("utf-8", errors="replace"))]}


@lru_cache(maxsize=256)
def hiding_declarations(css: str) -> tuple[tuple[str, str], ...]:
    """The rules of a stylesheet (a page's ``<style>`` text, or a same-site ``.css`` file) that hide what they
    select — display:none, visibility:hidden, off-screen, zero size — as (selector, declaration) pairs.

    tinycss2 parses the CSS (comments, strings, ``@media`` blocks); cssselect turns each selector into XPath, so
    compound and descendant selectors (``div.links ul a``, ``#y``) match as a browser would, and pseudo-classes
    a static page never has (``:hover``) match nothing.  A selector whose subject some rule shows again (a
    ``:hover`` drop-down menu) is left out.  Not the cascade: a later rule that overrides ``display`` on another
    selector is not seen, and script that shows or hides is out of reach of a static reading.  Cached: every page
    of a template carries the same ``<style>`` text."""
    hiding: list[tuple[str, str]] = []
    shown: set[str] = set()
    for rule in _style_rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)):
        declaration = ";".join(f"{d.name}:{tinycss2.serialize(d.value).strip()}"
                               for d in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True)
                               if d.type == "declaration")
        selectors = tinycss2.serialize(rule.prelude).strip()
        if _SHOWS.search(declaration):
            shown.update(a + b for a, b in _SELECTOR_NAMES.findall(selectors))
        if hit := _HIDE.search(declaration):
            hiding += [(sel.strip(), _clean(hit.group(0)).lower()) for sel in selectors.split(",") if sel.strip()]
    return tuple((selector, how) for selector, how in hiding if not _subject_names(selector) & shown)[:MAX_SELECTORS * 4]


_SIMPLE_SELECTOR = re.compile(r"^\s*[a-z]*([.#][\w-]+)\s*$", re.I)
_NAMED = etree.XPath("//*[@class or @id]")


@lru_cache(maxsize=256)
def _page_rules(css: str) -> tuple[dict[str, str], tuple[tuple[str, Any], ...]]:
    """A page's hiding rules split for speed: a bare class or id (``.x``, ``div#y``: what injections write) is
    looked up by name in one pass over the named elements; only the others run as XPath, one walk each
    (measured, bench/attachment_bench.py: 40 XPath walks made the extractor 4-5× slower on a 200-link page)."""
    by_name: dict[str, str] = {}
    other: list[tuple[str, Any]] = []
    for selector, how, xpath in hiding_rules(css):
        if m := _SIMPLE_SELECTOR.match(selector):
            by_name.setdefault(m.group(1), f"{selector} {{{how}}}")
        else:
            other.append((f"{selector} {{{how}}}", xpath))
    return by_name, tuple(other)


def _by_rule(root: etree._Element, styles: list[etree._Element]) -> list[tuple[etree._Element, str]]:
    """Elements a hiding ``<style>`` rule of the page (``styles``: its ``<style>`` elements) selects, with the rule."""
    if not styles:
        return []
    # A style element's content is one text node (HTML parses it as raw text): its ``.text``, no walk of the page.
    by_name, other = _page_rules("\n".join(style.text for style in styles if style.text))
    found = [(el, how) for how, xpath in other for el in xpath(root) if isinstance(el, etree._Element)]
    if by_name:
        for el in _NAMED(root):
            ident = el.get("id")
            how = by_name.get("#" + ident) if ident else None
            if how is None:
                how = next((by_name[n] for c in (el.get("class") or "").split() if (n := "." + c) in by_name), None)
            if how is not None:
                found.append((el, how))
    return found


def _hidden_how(el: etree._Element) -> str | None:
    """Why an element is invisible, from its own attributes (None: it is not hidden by them)."""
    if el.get("hidden") is not None:
        return "hidden-attribute"
    how, fg, _ = _style_says(el.get("style") or "")
    if how is not None or fg is None:
        return how
    for anc in (el, *el.iterancestors()):
        bg = _style_says(anc.get("style") or "")[2]
        if bg is not None:
            return "color-as-background" if bg == fg else None
    return None


_STYLE_SAID_CHARS = 500  # a longer style attribute is read each time, not kept: at most ≈ 2 MB kept


def _style_says(style: str) -> tuple[str | None, str | None, str | None]:
    """What an inline ``style`` says of visibility: how it hides its element (``_HIDE``), its text colour and its
    background colour (normalised), each None when it says nothing of it.

    Remembered for the style attributes of up to ``_STYLE_SAID_CHARS`` characters: a page's template repeats a
    few of them on hundreds of elements (7,438 on the 74 real corpus pages, 750 of them distinct), and the three
    patterns, tried at every character, were a tenth of a real page's analysis (issue 16)."""
    return _style_said(style) if len(style) <= _STYLE_SAID_CHARS else _read_style(style)


def _read_style(style: str) -> tuple[str | None, str | None, str | None]:
    hide = _HIDE.search(style)
    colour = _COLOR.search(style)
    background = _BACKGROUND.search(style)
    return (_clean(hide.group(0)).lower() if hide else None, _norm_colour(colour.group(1)) if colour else None,
            _norm_colour(background.group(1)) if background else None)


_style_said = lru_cache(maxsize=2048)(_read_style)


def hidden_links(root: etree._Element, page_host: str, base: str, styles: list[etree._Element]) -> list[dict[str, str]]:
    """Off-host links inside elements hidden by inline style, attribute or a hiding ``<style>`` rule.

    Linear in the page: candidates come from XPath, in document order; a candidate inside an already-hidden
    one is skipped (its links were counted with the outer one), so no subtree is walked twice."""
    out: list[dict[str, str]] = []
    done: set[etree._Element] = set()
    candidates: list[tuple[etree._Element, str | None]] = [(el, _hidden_how(el)) for el in _HIDE_CANDIDATES(root)]
    if by_rule := _by_rule(root, styles):  # elements a hiding <style> rule selects, in document order with the others
        candidates += by_rule
        order = {el: i for i, el in enumerate(root.iter())}
        candidates.sort(key=lambda c: order.get(c[0], 0))
    for el, how in candidates:
        if how is None or el in done or any(a in done for a in el.iterancestors()):
            continue
        done.add(el)
        for a in (el.iter("a") if el.tag != "a" else (el,)):
            url = absolute_url(base, a.get("href") or "") or ""
            host = _host(url)
            if not host or host == page_host:
                continue
            out.append({"url": url, "anchor": _clean(a.text_content())[:100], "how": how})
            if len(out) >= MAX_HIDDEN:
                return out
    return out


MAX_CHAINS = 10
MAX_CHAIN_DEPTH = 30


def _step(el: etree._Element) -> list[str]:
    return [el.tag if isinstance(el.tag, str) else "", (el.get("id") or "")[:60], (el.get("class") or "")[:100]]


_Chain = tuple[tuple[str, ...], ...]


def _chain(el: etree._Element, memo: dict[etree._Element, _Chain]) -> _Chain:
    """The last ``MAX_CHAIN_DEPTH`` steps (``_step``) from below ``<body>`` down to ``el``.  Each element's chain is
    its parent's and its own step, so a chain is made once per element, each ancestor's read from ``memo``: asked
    of every off-host link, a climb to the root each time was a walk of ancestors per link (issue 16)."""
    climb: list[etree._Element] = []
    node: etree._Element | None = el
    while node is not None and node not in memo:
        climb.append(node)
        node = node.getparent()
    chain: _Chain = memo[node] if node is not None else ()
    for node in reversed(climb):
        if node.tag not in ("html", "body"):
            chain = (*chain[-(MAX_CHAIN_DEPTH - 1):], tuple(_step(node)))
        memo[node] = chain
    return chain


def link_chains(anchors: list[Anchor], page_host: str, base: str, hidden: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Off-host links not already found hidden, grouped by the chain of elements above them (tag, id, class from
    ``<body>`` down): what the safety check matches a linked style sheet's hiding rules against, since the
    page's analysis never sees the sheet.  One chain stands for the links it holds (a 友情链接 list is one).
    ``anchors``: the page's (``core.anchors_of``), their texts as the links pass collapsed them."""
    seen = {h["url"] for h in hidden}
    chains: dict[_Chain, dict[str, Any]] = {}
    memo: dict[etree._Element, _Chain] = {}
    for a, text, href in anchors:
        url = absolute_url(base, href) or ""
        host = _host(url)
        if not host or host == page_host or url in seen or any(w in host for w in _RECORD_SITES):
            continue  # (the footer's record-site links are no 暗链)
        key = _chain(a, memo)
        if key not in chains:
            if len(chains) >= MAX_CHAINS:
                continue
            chains[key] = {"chain": [list(step) for step in key], "links": []}
        if len(chains[key]["links"]) < 5:
            chains[key]["links"].append({"url": url, "anchor": text[:100]})
    return list(chains.values())


def stylesheets(links: list[Any], page_host: str) -> list[str]:
    """The page's style sheets on its own host (``<link href=….css>``)."""
    return [l.url for l in links if l.tag == "link" and _host(l.url) == page_host
            and urlsplit(l.url).path.lower().endswith(".css")][:20]


def embeds(scripts: list[etree._Element], links: list[Any], base: str) -> list[dict[str, str]]:
    """Hosts scripts and frames come from: ``src`` attributes (``ctx.links``) and URLs inline scripts write."""
    out: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(url: str, tag: str) -> None:
        host = _host(url)
        if host and (host, tag) not in seen and len(out) < MAX_EMBEDS:
            seen.add((host, tag))
            out.append({"host": host, "tag": tag, "url": url[:300]})

    for link in links:
        if link.tag in ("script", "iframe", "frame") and not link.hidden:
            add(link.url, link.tag)
    for script in scripts:
        code = script.text or ""
        if script.get("src") or not any(w in code for w in _WRITERS):
            continue
        for m in _INLINE_URL.finditer(code):
            add(absolute_url(base, m.group(1)) or "", "inline-script")
    return out


def extract(ctx: PageContext) -> dict[str, Any]:
    host = _host(ctx.url)
    scripts = ctx.elements("script")
    hidden = hidden_links(ctx.tree, host, ctx.url, ctx.elements("style"))
    # The links that are no anchor, for the questions about scripts, frames and style sheets: one pass over a site
    # map's 50,000 links instead of one per question (issue 16).
    others = [link for link in ctx.links if link.tag != "a"]
    facts = {"identity": footer_identity(ctx.tree, ctx.links, scripts), "hidden_links": hidden,
             "embeds": embeds(scripts, others, ctx.url)}
    sheets = stylesheets(others, host)
    if sheets and (chains := link_chains(anchors_of(ctx, ctx.tree), host, ctx.url, hidden)):
        facts["stylesheets"], facts["link_chains"] = sheets, chains
    return facts
