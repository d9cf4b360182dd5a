"""Freshness facts of one page: what kind of page it is, its column, its dated list items, its pagination,
and an article's publication date (栏目、信息条目、发布时间).

The extractor records *evidence*; it does not judge.  Which inspection type a column belongs to (动态要闻,
通知公告/政策文件, 人事/规划计划 ...) depends on rule-set keyword lists an inspector can extend, and the rule set
is not available in the crawler, so ``column`` carries the raw evidence (ColumnName / ColumnType meta,
breadcrumb, title) and ``checks.freshness.classify_column`` decides.

Lists are read wherever government CMSs put them: ordinary HTML rows, HTML comments, Hanweb (大汉)
``<script type="text/xml"><datastore>`` records, and JSON assigned to a script variable.  Each item says
where it came from (``source``) so a rule set can decide which sources count.

An item's date is the date printed in its row *outside* the title: a title such as 关于印发2026年工作计划的通知
is not dated 2026.  Rows without a date are kept with ``date: null`` — inspection rules count an undated item
as not updated, and the report must be able to say so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from itertools import chain, groupby, islice
from operator import itemgetter
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urljoin, urlsplit

import chompjs
from govaudit.crawler.extract import Anchor, PageContext
from govaudit.crawler.extract.core import (
    anchors_of,
    clean_prefix,
    element_text,
    first,
    read_anchors,
    text_prefix,
)
from govaudit.crawler.extract.dates import DateMatch, find_dates, parse_date, year_heading
from lxml import etree
from lxml import html as lxml_html

# Storage guards (not inspection values, so not in the rule set): a page with hundreds of dated rows keeps
# the newest MAX_ITEMS (the count is kept in column.items_total); a 500-page archive records at most
# MAX_PAGINATION page URLs (the spider follows only a few anyway, see params.freshness.max_list_pages_per_column).
MAX_ITEMS = 300
MAX_PAGINATION = 50
MAX_SCRIPT_CHARS = 500_000
# Values parsed per script.  A failed parse costs the script's length (json's error counts lines up to the error;
# chompjs copies the rest), so an inline library with thousands of ``x = {…}`` assignments would cost quadratic
# time (20,000 of them: 15 s); list data sits in the first few.
MAX_SCRIPT_VALUES = 20
# htmldate's guess reads the whole page (a copy of the tree, its serialisation: ~15 ms per 1,000 links).  It
# guesses an article's date; a page of more links than this is a site map or a directory, never an article.
MAX_GUESS_LINKS = 2000
UNDATED_LIST_MIN_ROWS = 3    # an undated list: at least this many rows in one block ...
UNDATED_LIST_MIN_TITLE = 8   # ... whose titles average this many characters (menu labels are 2–6)
DATE_LINE_REACH = 20  # characters between the title and its date line (spaces, a 发布 badge), not a paragraph
MIN_TITLE = 4  # shorter anchor texts (更多, 1, 下一页) are navigation, not information items ...
MIN_SHORT_TITLE = 2  # ... unless they are dated rows of a list other rows date (嘉奖令, 通知: CJK titles)
# Row texts whose dates a list remembers (``_RowDates``): how many, and how long (a date cell, not a layout row).
_ROW_TEXTS_MAX = 1000
_ROW_TEXT_CHARS = 100
_NOT_TITLES = {"更多", "详细", "详情", "查看", "全文", "返回", "打印", "关闭", "置顶", "下载", "附件", "原文"}

_SKIP_HREF = ("javascript:", "mailto:", "tel:", "#", "data:")
# What such an href starts with, either case: no other character lower-cases to one of these (all of Unicode asked).
_SKIP_FIRST = frozenset(p[0] for p in _SKIP_HREF) | frozenset(p[0].upper() for p in _SKIP_HREF)
_ROW_TAGS = {"li", "tr", "p"}
_STOP_TAGS = {"ul", "ol", "table", "tbody", "thead", "body", "html", "form", "nav"}
_TAIL_DATE = re.compile(r"[\s\[【(（]*$")
_TAIL_CHARS = " \t\n\r\f\v[【(（"  # what _TAIL_DATE lets follow a date (titles are whitespace-collapsed)
_DATE_ONLY = re.compile(r"^[\s\[\]【】()（）]*(?:(?:19|20)\d{2}|\d{1,2})[-/.年月日号\d:：\s]*[\]】)）]?\s*$")
_PAGER_WORDS = {"下一页", "上一页", "首页", "尾页", "末页", "最后一页", "下页", "上页", ">", ">>", "<", "<<", "»", "«",
                "next", "prev", "last", "first", "后一页", "前一页"}
_PAGE_PARAMS = {"page", "pageno", "pageindex", "pagenum", "curpage", "currentpage", "p", "pn", "pagenumber", "cpage",
                "pageid", "page_no", "page_index"}
_PAGE_LABEL = re.compile(r"第?\s*\d{1,4}\s*页")
_PAGE_PATH = re.compile(r"^(?P<stem>[\w-]*?)_(?P<n>\d{1,5})\.(?P<ext>s?html?|jsp|aspx?|php)$", re.I)
# TRS WCM: createPageHTML(countPage, currentPage, "index", "html") or createPageHTML('div', count, cur, 'index', 'html', n)
_TRS_PAGER = re.compile(r"createPageHTML\(\s*(?:['\"][^'\"]*['\"]\s*,\s*)?(\d+)\s*,\s*(\d+)\s*,\s*['\"]([\w-]+)['\"]\s*,"
                        r"\s*['\"](\w+)['\"]")
_MENU_ATTR = re.compile(r"nav|menu|header|footer|top|daohang|dh|links|friend|yqlj", re.I)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_RECORD = re.compile(r"<record[^>]*>(.*?)</record>", re.S | re.I)
_ASSIGN_EQ = re.compile(r"=\s*(?=[\[{])")  # the ``=`` of ``name = {…}`` / ``name = […]``
_NAME_PUNCT = frozenset("_$.[]'\"")  # what a name may hold besides letters and digits (``a.b["c"]``)
_CRUMB_ATTR = re.compile(r"crumb|position|location|dqwz|weizhi|curpos|lujing|daohang|path", re.I)
_CRUMB_WORDS = ("当前位置", "您现在的位置", "您的位置", "现在位置", "所在位置", "当前的位置")
_CRUMB_TEXT = re.compile(r"^\s*(" + "|".join(_CRUMB_WORDS) + r")\s*[:：]?")
_CRUMB_WORD_CHARS = max(map(len, _CRUMB_WORDS))  # as much of a collapsed text as says whether _CRUMB_TEXT matches
_CRUMB_SPLIT = re.compile(r"\s*(?:>|＞|»|›|→|/|\\|》|>>)\s*")
_NOT_CRUMB = re.compile(r"^(首页|网站首页|主页|正文|详情|内容|正文内容|当前位置.*|您现在的位置.*|您的位置.*)$")
_TITLE_SPLIT = re.compile(r"\s*[-_|｜—–]+\s*")
# Article date labels, best first: what a reader is told is the publication date wins over a document's
# signing date (成文日期) printed on 政策文件 pages.
_LABELS = [("发布时间", 0), ("发布日期", 0), ("发表时间", 0), ("发稿时间", 0), ("公开日期", 0), ("发布于", 0), ("上传时间", 0),
           ("信息时间", 0), ("发文日期", 1), ("更新时间", 1), ("日期", 2), ("时间", 2), ("成文日期", 3), ("印发日期", 3)]
_LABEL_RE = re.compile("(" + "|".join(sorted((re.escape(k) for k, _ in _LABELS), key=len, reverse=True)) + r")\s*[:：]?\s*")
_LABEL_RANK = dict(_LABELS)
_GENERIC_RANK = 2
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DIGIT = re.compile(r"\d")
_TODAY_WIDGET = re.compile(r"(今天是|今日是|今天|当前日期|现在是)\s*[:：]?\s*$")
_META_DATE_NAMES = ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "pubtime", "publishtime",
                    "dc.date", "date")
# Asking evidence: a letter-specific date label, or the writer's label (来信人：王**) beside a bare 时间.
_LETTER_ASK = re.compile(r"(?:留言|来信|提问|咨询|写信|诉求|提交)(?:时间|日期)|(?:来信|留言|写信|提问)人[:：]")
_LETTER_REPLY = re.compile(r"(回复|答复|办理)(时间|日期|内容|结果|意见)")
_MAILBOX_WORDS = re.compile(r"信箱|留言|咨询|投诉|建议|来信|问政|诉求")
# A list container (列表容器) by its markup: class/id words CMS list templates use, and list-table header cells.
_LIST_ATTR = re.compile(r"list|news|liebiao|\blb\b|xxgk|infolist|item|no-?data|nodata", re.I)
_LIST_HEAD = re.compile(r"标题|名称|题目|文件|文号|日期|时间")
_CONTAINER_TEXT_MAX = 30     # an item-less container may still hold one short message (暂无信息！)
MAX_CONTAINERS = 5

_Item = tuple[str, str, str | None, str | None, str]
"""A list item as its readers find it: (title, url, date, date_text, source), made the ``list_items`` dict only when
kept (``_kept``)."""
_ITEM_KEYS = ("title", "url", "date", "date_text", "source")


def extract(ctx: PageContext) -> dict[str, Any]:
    """The freshness facts of one page (see docs/architecture.md, the ``freshness`` row)."""
    tree = ctx.tree
    ref = ctx.as_of or date.today()
    meta = _meta(ctx.elements("meta"))
    body = tree.find("body")
    root = body if body is not None else tree
    scripts = ctx.elements("script")

    found = chain(_html_items(root, anchors_of(ctx, root), ref, "html"), _comment_items(tree, ref),
                  _datastore_items(scripts, ref), _script_json_items(scripts, ref))
    items, total = _kept(_dedupe(found, ctx.url))

    pagination = _pagination(scripts, ctx)
    guess = sum(1 for i in items if i["date"]) < 3 and not ctx.is_home and len(ctx.links) <= MAX_GUESS_LINKS
    article = _article(ctx, root, meta, ref, guess)
    column = _column(meta, ctx)
    column["items_total"] = total
    column["short_texts"] = _short_texts(root)
    column["list_containers"] = _empty_list_containers(root)
    kind = _kind(ctx, meta, items, pagination, article, column, root)
    return {"kind": kind, "column": column, "list_items": items, "pagination": pagination, "article": article}


# -- meta ------------------------------------------------------------------------------------------------------
def _meta(metas: list[lxml_html.HtmlElement]) -> dict[str, str]:
    """``<meta name=…>`` by lower-cased name (the 网页设计规范 tags are written ColumnName, columnname, COLUMNNAME)."""
    out: dict[str, str] = {}
    for el in metas:
        name = (el.get("name") or el.get("property") or "").strip().lower()
        if name and name not in out and el.get("content") is not None:
            out[name] = " ".join(el.get("content", "").split())[:500]
    return out


# -- list items ------------------------------------------------------------------------------------------------
def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _item_href(raw: str | None) -> str | None:
    """An anchor's href (``raw``, as the attribute holds it), stripped, when it can be a list item's link (not
    javascript:, mailto:, #…), else None."""
    href = (raw or "").strip()
    # Its first character first: lower-casing each of a 50,000-link site map's hrefs cost 4 ms (issue 16).
    return href if href and (href[0] not in _SKIP_FIRST or not href.lower().startswith(_SKIP_HREF)) else None


def _is_item_anchor(a: Any) -> bool:
    return _item_href(a.get("href")) is not None


def _anchor_parts(a: Any) -> tuple[str, Sequence[str]]:
    """(title text, texts of child elements that are only a date) of an anchor with child elements:
    ``<a>标题<span>2025-11-03</span></a>``.  (An anchor of text only, the common one, is its whole text.)"""
    dates: list[str] = []
    parts: list[str] = [a.text or ""]
    for child in a:
        if not isinstance(child.tag, str):
            parts.append(child.tail or "")
            continue
        text = child.text_content()
        if _DATE_ONLY.match(text) and any(ch.isdigit() for ch in text):
            dates.append(text)
        else:
            parts.append(text)
        parts.append(child.tail or "")
    return _clean("".join(parts)), dates


def _may_end_with_date(text: str) -> bool:
    """Whether ``text`` can end with a date followed only by ``_TAIL_DATE``: every date form ends in a digit, 日
    or 号.  A cheap test that spares ``find_dates`` on the titles of a 50,000-link site map."""
    last = text[-1:]  # one slice: each makes a new string of a CJK character
    if last in _TAIL_CHARS:  # a title's last character is seldom one ("" is in every string: an empty text too)
        last = text.rstrip(_TAIL_CHARS)[-1:]
    return last.isdigit() or last in ("日", "号")


def _row_texts(el: Any, a: Any, parts: list[str]) -> None:
    """The texts of ``el`` (an element of a row, not the anchor ``a``, not a script or style) into ``parts``.

    A function of its own, not a closure: a closure that calls itself is a reference cycle, and with the
    collector paused during a page's analysis (``crawler.analysis``) each row's texts outlived it (35 MB on a
    50,000-row 信息公开目录)."""
    parts.append(el.text or "")
    for child in el:
        tag = child.tag
        if child is not a and isinstance(tag, str) and tag not in ("script", "style"):
            if len(child):
                _row_texts(child, a, parts)
            else:  # a leaf (most cells): its text without a call
                parts.append(child.text or "")
        parts.append(child.tail or "")


def _bare(row: Any, a: Any) -> bool:
    """``<li><a>…</a></li>``: ``a`` is the only element of ``row``, with no text beside it."""
    if row[0] is not a or a.getnext() is not None:
        return False
    text, tail = row.text, a.tail
    return (not text or text.isspace()) and (not tail or tail.isspace())  # no stripped copies to test


def _text_outside(row: Any, a: Any) -> str:
    """The row's text without the anchor's own text (a title's dates are not publication dates)."""
    if _bare(row, a):
        return ""  # nothing outside the anchor, no walk
    parts: list[str] = []
    tag = row.tag
    if row is not a and isinstance(tag, str) and tag not in ("script", "style"):
        _row_texts(row, a, parts)
    return _clean(" ".join(parts))


class _RowDates:
    """The publication date in a row's non-title text (``of``): the last full date, else a month-day in a short cell
    (its year from the heading above the row's anchor).

    A list's rows repeat their date cells (several items a day, a 县长信箱's 留言时间：… 状态：已回复), so the full
    dates of a short text are found once per list, not once per row (issue 16), for up to ``_ROW_TEXTS_MAX`` texts.
    The year headings are read the first time a row asks (a month-day date, ``11-03``): a list whose rows print
    full dates, or none, never pays a walk of every element and its text."""

    def __init__(self, root: Any, ref: date) -> None:
        self.root = root
        self.ref = ref
        self.full: dict[str, list[DateMatch]] = {}
        self.years: dict[Any, int] | None = None

    def of(self, text: str, a: Any) -> DateMatch | None:
        found = self.full.get(text)
        if found is None:
            found = find_dates(text, ref=self.ref)
            if len(text) <= _ROW_TEXT_CHARS and len(self.full) < _ROW_TEXTS_MAX:
                self.full[text] = found
        if not found and len(text) <= 40 and _DIGIT.search(text):  # a month-day date has digits: no year asked without
            found = find_dates(text, ref=self.ref, year_hint=self.year_of(a), month_day=True)
        # 今天是2026年11月20日: the header's clock widget sits beside the 网站首页 link; it dates nothing.
        if found and _may_hold_widget(text):
            found = [f for f in found if not _TODAY_WIDGET.search(text[:f.start])]
        return found[-1] if found else None

    def year_of(self, a: Any) -> int | None:
        if self.years is None:
            self.years = _year_map(self.root)
        return self.years.get(a)


def _may_hold_widget(text: str) -> bool:
    """Whether ``text`` holds a word ``_TODAY_WIDGET`` starts with: three ``in`` tests, where the pattern's search
    before each date of a 5,000-row list cost a slice and a scan each (issue 16)."""
    return "今" in text or "当前" in text or "现在" in text


def _year_map(root: Any) -> dict[Any, int]:
    """Anchor → the year heading (``2025年``) above it in document order, for ``11-03`` dates.

    Keyed by the element itself, not ``id()``: lxml makes element proxies on demand, so an id can be reused."""
    out: dict[Any, int] = {}
    year: int | None = None
    for el in root.iter():
        tag = el.tag  # tag and text read once: lxml makes a new string for each read
        if not isinstance(tag, str):
            continue
        if tag == "a":
            if year is not None:
                out[el] = year
            continue
        if tag in ("script", "style"):
            continue
        text = el.text
        if not text:
            continue
        found = year_heading(text) if len(text) <= 12 else None
        if found and not any(isinstance(c.tag, str) and text_prefix(c, 1) for c in el):
            year = found
    return out


class _ItemIndex:
    """How many item links each element holds, counted once per element and each anchor's text read once.

    Climbing from an anchor towards its row asks, at each level, whether the node also holds another item link;
    answering that by walking the node's anchors and their ``text_content()`` every time made a list page with a
    full pager quadratic (issue 16: 1,145 anchors cost 542 ms).  Memoised, every element is counted once."""

    def __init__(self) -> None:
        self.items: dict[Any, int] = {}
        self.anchor: dict[Any, bool] = {}

    def is_item(self, a: Any) -> bool:
        found = self.anchor.get(a)
        if found is None:
            found = self.anchor[a] = _is_item_anchor(a) and \
                len(_clean(element_text(a)) or _clean(a.get("title"))) >= MIN_TITLE
        return found

    def holds_other_item(self, node: Any, a: Any) -> bool:
        """True when ``node`` also holds another item link: climbing further would borrow a neighbour's date."""
        # ``<li><a>…</a></li>``: no other link in it.  (Not ``len(node) == 1``: lxml counts a node's children
        # one by one, and a pager's box holds thousands.)
        if node[0] is a and a.getnext() is None and not len(a):
            return False
        count = self.items.get(node)
        if count is None:
            count = self.items[node] = sum(map(self.is_item, node.iter("a")))
        return count - (1 if self.is_item(a) else 0) > 0


def _html_items(root: Any, anchors: Iterable[Anchor], ref: date, source: str) -> Iterator[_Item]:
    """The list items among ``anchors`` (those under ``root``, in document order)."""
    row_dates = _RowDates(root, ref)
    index = _ItemIndex()
    rows: list[tuple[str, Any, str, DateMatch | None]] = []  # (href, the row's parent, title, date)
    dated_containers: set[Any] = set()  # the parents of rows with a long title and a date
    for a, whole, raw in anchors:
        href = _item_href(raw)
        if href is None:
            continue
        leaf = not len(a)  # counted once: lxml counts the children one by one
        text, inner_dates = (whole, ()) if leaf else _anchor_parts(a)
        attr = a.get("title")
        attr = _clean(attr) if attr else ""
        title = text
        if attr and (len(attr) > len(title.rstrip("…. ")) or title.endswith(("…", "...", ".."))):
            title = attr
        short = len(title) < MIN_TITLE
        if short and (len(_CJK.findall(title)) < MIN_SHORT_TITLE or title in _NOT_TITLES or title in _PAGER_WORDS):
            continue
        found: DateMatch | None = None
        for txt in inner_dates:
            found = row_dates.of(_clean(txt), a) or found
        node, steps = a, 4
        parent = a.getparent()
        if found is None and parent is not None and leaf and _bare(parent, a):
            # ``<li><a>标题</a></li>``, ``<td><a>标题</a></td>``: what the climb's first step finds without a walk, no
            # neighbour and no date beside the anchor.  A row tag is the row (most rows of a site map), a stop tag
            # ends the climb at the anchor, anything else is climbed on from.
            tag = parent.tag
            if tag in _STOP_TAGS:
                steps = 0
            else:
                node, steps = parent, (0 if tag in _ROW_TAGS else 3)
        if found is None and steps:
            if not inner_dates:  # then ``text`` is the anchor's whole text: the index need not read it again
                index.anchor[a] = len(text or attr) >= MIN_TITLE
            for _ in range(steps):
                parent = node.getparent()
                if parent is None:
                    break
                tag = parent.tag  # read once: lxml makes a new string for each read
                if tag in _STOP_TAGS or index.holds_other_item(parent, a):
                    break
                node = parent
                outside = _text_outside(node, a)
                if outside:
                    found = row_dates.of(outside, a)
                if found is not None or tag in _ROW_TAGS:
                    break
        row = node
        if found is None and _may_end_with_date(text):
            # "标题 2025-11-03" inside one anchor with no markup between: a trailing date is the item's date.
            tail = find_dates(text, ref=ref)
            if tail and _TAIL_DATE.fullmatch(text[tail[-1].end:]) and tail[-1].start > MIN_TITLE:
                found = tail[-1]
                if title == text:
                    title = _clean(text[:found.start]).rstrip("[【(（ ")
        if found is None and short:
            continue  # an undated short title is no item anywhere, nor counts towards a list (below)
        up = row.getparent()
        if found is not None and up is not None and len(title) >= MIN_TITLE:  # (a trailing date shortens a title)
            dated_containers.add(up)
        rows.append((href, up, title, found))

    # Undated rows count only where they sit among dated ones (a list), not in navigation menus; on a page
    # with no dated row at all, the largest block of long titles outside menus is the (undated) list.  A short
    # title counts only dated, among rows a long dated title establishes as a list: a menu's 首页 · 政务 never.
    # The rows in runs of one parent (a list's rows follow one another): asked once a run, not once a row, a site
    # map's 50,000 rows cost a run each of its 1,000 lists (issue 16).
    runs = [(parent, list(run)) for parent, run in groupby(rows, key=itemgetter(1))]
    if not dated_containers:
        blocks: dict[Any, list[str]] = {}
        menu: dict[Any, bool] = {}  # parent -> is a menu, asked once per parent, not once per row
        for parent, run in runs:
            if parent is None:
                continue
            if parent not in menu:
                menu[parent] = bool(_MENU_ATTR.search(f"{parent.get('class', '')} {parent.get('id', '')}"))
            long_titles = [title for _, _, title, _ in run if len(title) >= MIN_TITLE]
            if long_titles and not menu[parent]:
                blocks.setdefault(parent, []).extend(long_titles)
        best = max(blocks.items(), key=lambda kv: len(kv[1]), default=None)
        if best is not None and len(best[1]) >= UNDATED_LIST_MIN_ROWS \
                and sum(map(len, best[1])) / len(best[1]) >= UNDATED_LIST_MIN_TITLE:
            dated_containers = {best[0]}
    for parent, run in runs:
        # A dated container's rows are all items (an undated short title was dropped above); elsewhere a row is one
        # only dated and long, which a row with a parent is not outside the containers (its parent would be one).
        if parent is None:
            run = [row for row in run if row[3] is not None and len(row[2]) >= MIN_TITLE]
        elif parent not in dated_containers:
            continue
        for href, _, title, found in run:
            yield (title[:200], href, found.iso if found else None, found.text if found else None, source)


def _fragment_root(markup: str) -> Any | None:
    try:
        return lxml_html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError, TypeError):
        return None


_COMMENTS = etree.XPath(".//comment()")  # iter(etree.Comment) in document order, at half the cost


def _comment_items(tree: Any, ref: date) -> list[_Item]:
    out: list[_Item] = []
    for comment in _COMMENTS(tree):
        text = comment.text or ""
        if "<a" in text.lower():
            root = _fragment_root(text)
            if root is not None:
                out.extend(_html_items(root, read_anchors(root), ref, "comment"))
    return out


def _datastore_items(scripts: list[Any], ref: date) -> list[_Item]:
    """Hanweb/大汉 jpage lists: ``<script type="text/xml"><datastore><recordset><record><![CDATA[<li>…]]>``."""
    out: list[_Item] = []
    for script in scripts:
        text = script.text or ""
        if "<record" not in text or "datastore" not in text.lower():
            continue
        records = [(_CDATA.findall(r) or [r]) for r in _RECORD.findall(text[:MAX_SCRIPT_CHARS])]
        markup = "".join("<div>" + "".join(parts) + "</div>" for parts in records)
        root = _fragment_root(markup)
        if root is not None:
            out.extend(_html_items(root, read_anchors(root), ref, "datastore"))
    return out


def _json_key(d: dict[str, Any], words: tuple[str, ...]) -> Any:
    for key, value in d.items():
        low = str(key).lower()
        if any(w in low for w in words) and isinstance(value, (str, int)) and str(value).strip():
            return value
    return None


def _json_records(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 6:
        return
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _json_records(value, depth + 1)
    elif isinstance(node, list):
        for value in node[:5000]:
            yield from _json_records(value, depth + 1)


def _script_json_items(scripts: list[Any], ref: date) -> list[_Item]:
    """Lists held as data in a script variable (``var listData = [{"title":…,"pubDate":…}]``).

    Strict JSON is read with json.raw_decode from each assignment; a JavaScript object literal (unquoted
    keys, single quotes: ``var listData = {articleList:[{title:'…',pubDate:'2025-11-03'}]}``, issue 11) is
    read with chompjs, which parses literals without running any page script.
    """
    out: list[_Item] = []
    decoder = json.JSONDecoder()
    for script in scripts:
        if script.get("src") or (script.get("type") or "").lower() == "text/xml":
            continue
        text = (script.text or "")[:MAX_SCRIPT_CHARS]
        if "{" not in text:
            continue
        pos = 0
        budget = [MAX_SCRIPT_VALUES]
        for at in _assignments(text):
            if budget[0] <= 0:
                break  # no value parsed past the budget: the rest of a pasted library is not scanned either
            if at < pos:
                continue
            data, end = _script_value(decoder, text, at, budget)
            if data is None:
                continue
            pos = end
            for rec in _json_records(data):
                title = _json_key(rec, ("title", "name", "bt"))
                link = _json_key(rec, ("url", "href", "link"))
                when = _json_key(rec, ("date", "time", "fbsj", "rq"))
                if title is None or link is None:
                    continue
                found = parse_date(str(when), ref=ref) if when is not None else None
                out.append((_clean(str(title))[:200], str(link).strip(), found.iso if found else None,
                            found.text if found else None, "script-json"))
    return out


def _assignments(text: str) -> Iterator[int]:
    r"""Where each value assigned to a name begins in a script (``var list = {…}``, ``a.b["c"] = […]``): after the
    ``=`` and its spaces, before the ``{`` or ``[``, in order.

    Found from each ``=`` back to the name before it, where the pattern this was (``(?:var|let|const)?\s*[\w$.\[\]'"]+
    \s*=\s*(?=[\[{])``, the same positions on every fixture and real page's scripts and on random strings) was tried at
    every character of a script and ran the name's length each time: a sixth of a real page's analysis, 88 ms for
    the test pages' scripts against 0.3 (issue 16).  A name begins no earlier than where the last value began."""
    last = 0
    for m in _ASSIGN_EQ.finditer(text):
        k = m.start() - 1
        while k >= last and text[k].isspace():
            k -= 1
        if k >= last and (text[k].isalnum() or text[k] in _NAME_PUNCT):
            last = m.end()
            yield last


def _script_value(decoder: json.JSONDecoder, text: str, start: int, budget: list[int]) -> tuple[Any, int]:
    """The JSON value or JavaScript object literal assigned at ``start`` (None when neither), and where the
    scan may go on: past a JSON value; only past the ``=`` for a literal, whose end chompjs does not tell.
    ``budget`` holds how many more values this script may parse (MAX_SCRIPT_VALUES)."""
    head = text[start:start + 40].lstrip()
    if not head.startswith(("{", "[")) or budget[0] <= 0:
        return None, start
    budget[0] -= 1
    try:
        return decoder.raw_decode(text, start + len(text[start:start + 40]) - len(head))
    except ValueError:
        pass
    try:
        return chompjs.parse_js_object(text[start:], unicode_escape=False), start
    except (ValueError, TypeError):  # chompjs raises ValueError on text that is no literal
        return None, start


def _dedupe(items: Iterable[_Item], base: str) -> Iterator[_Item]:
    """Absolute URLs; one item per (url, title), the first source seen (html before comment before script)."""
    join = _joiner(base)
    seen: set[tuple[str, str]] = set()
    for title, url, when, when_text, source in items:
        try:
            url = join(url).split("#", 1)[0]
        except ValueError:
            continue
        key = (url, title)
        if key in seen:
            continue
        seen.add(key)
        yield title, url, when, when_text, source


def _kept(items: Iterator[_Item]) -> tuple[list[dict[str, Any]], int]:
    """(the items kept, how many there were): all of them in page order when there are at most ``MAX_ITEMS``, else
    the ``MAX_ITEMS`` newest (undated last; page order among equals).  Only a few times that many are held at a
    time, and only those made dicts: a 10 MB 信息公开目录 has 100,000 rows, and a dict for each cost 40 MB (issue 16),
    and making them a tenth of the extractor's time on a 50,000-link site map.

    The newest of the kept ones and the next chunk, sorted and cut, chunk after chunk: a stable sort (reverse keeps
    page order among equals) puts the kept ones, earlier on the page, first among equals, so this is what sorting
    the whole list and cutting it gives — at a C sort's cost, where ``heapq.nlargest`` with a key was a Python
    loop (a tenth of the extractor on a 5,000-row table)."""
    kept = list(islice(items, MAX_ITEMS + 1))
    total = len(kept)
    while total > MAX_ITEMS:
        kept = sorted(kept, key=lambda i: i[2] or "", reverse=True)[:MAX_ITEMS]
        chunk = list(islice(items, 4 * MAX_ITEMS))
        if not chunk:
            break
        total += len(chunk)
        kept += chunk
    return [_item_dict(item) for item in kept], total


def _item_dict(item: _Item) -> dict[str, Any]:
    return dict(zip(_ITEM_KEYS, item))


_PLAIN_ROOTED = re.compile(r"/[A-Za-z0-9_\-.~/]*(?:\?[A-Za-z0-9_\-.~=&]+)?")


def _joiner(base: str) -> Callable[[str], str]:
    """``urljoin(base, href)``, with a plain root-relative path (``/xxgk/123.html``, no ``//``, dot segment,
    ``;``, ``%``, ``#`` or empty query, whose join urljoin leaves as it is) put after the base's origin without a
    parse of each: a 信息公开目录's 5,000 rows each paid one (issue 16).  The origin is urljoin's own for a path."""
    try:
        origin = urljoin(base, "/")[:-1]
    except ValueError:
        origin = ""
    plain = origin.startswith(("http://", "https://")) and urljoin(base, "/a?b") == origin + "/a?b"

    def join(href: str) -> str:
        if plain and href[:1] == "/" and "//" not in href and "/." not in href and _PLAIN_ROOTED.fullmatch(href):
            return origin + href
        return urljoin(base, href)
    return join


# -- pagination ------------------------------------------------------------------------------------------------
# Printable ASCII but # [ ] (no space, control character), cut into scheme, host (to the first / or ?), path (to
# the first ?) and query.
_PLAIN_URL = re.compile(r'(https?)://([!"$-.0-9:->@-Z\\^-~]*)([!"$->@-Z\\^-~]*)(?:\?([!"$-Z\\^-~]*))?\Z')


def _split(url: str) -> SplitResult:
    """``urlsplit(url)`` for a link's URL as ``core.absolute_url`` writes it (``http(s)://host/path?query``: no
    fragment, no bracket, ASCII, nothing to strip) cut by one match, without urlsplit's checks; a pager of 5,000
    links split each one (issue 16).  Anything else goes to urlsplit."""
    m = _PLAIN_URL.match(url)
    if m is None:
        return urlsplit(url)
    scheme, netloc, path, query = m.groups()
    return SplitResult(scheme, netloc, path, query or "", "")


def _page_number(url: str, p: SplitResult) -> int | None:
    """The page number a URL carries when it is another page of the same list (``p``: the page's own URL, split
    once per page, not once per pager link), else None."""
    u = _split(url)
    if u.netloc != p.netloc:
        return None
    u_dir, _, u_name = u.path.rpartition("/")
    p_dir, _, _ = p.path.rpartition("/")
    m = _PAGE_PATH.match(u_name)
    if m and u_dir == p_dir:
        return int(m.group("n"))
    if u.path == p.path or u_dir == p_dir:
        for key, value in parse_qsl(u.query):
            if key.lower() in _PAGE_PARAMS and value.isdigit():
                return int(value)
    return None


def _pagination(scripts: list[Any], ctx: PageContext) -> list[dict[str, Any]]:
    found: dict[str, int] = {}
    for script in scripts:
        m = _TRS_PAGER.search(script.text or "")
        if m:
            count, stem, ext = int(m.group(1)), m.group(3), m.group(4)
            for i in range(0, min(count, MAX_PAGINATION + 1)):
                name = f"{stem}.{ext}" if i == 0 else f"{stem}_{i}.{ext}"
                found.setdefault(urljoin(ctx.url, name), i)
    page = urlsplit(ctx.url)
    for link in ctx.links:
        if link.tag != "a":
            continue
        # A pager's word, number (up to 4 digits) or 第N页 label is 5 characters at most, and lower() never shortens
        # a text: a site map's 50,000 titles are passed over before any other test (issue 16).
        anchor = link.anchor.strip()
        if len(anchor) > 5 and "页" not in anchor:
            continue
        anchor = anchor.lower()
        if anchor not in _PAGER_WORDS and not (anchor.isdigit() and len(anchor) <= 4) \
                and not ("页" in anchor and _PAGE_LABEL.fullmatch(anchor)):
            continue
        n = _page_number(link.url, page)
        if n is not None:
            found.setdefault(link.url, n)
    page_key = ctx.url.split("#", 1)[0]
    pages = sorted(((i, u) for u, i in found.items() if u != page_key), key=lambda x: (x[0], x[1]))
    return [{"url": u, "index": i} for i, u in pages[:MAX_PAGINATION]]


# -- article ---------------------------------------------------------------------------------------------------
def _article(ctx: PageContext, root: Any, meta: dict[str, str], ref: date, guess: bool) -> dict[str, Any]:
    """Publication date of an article: the visible labelled date, else PubDate meta, else near the title,
    else htmldate's guess.  Meta and visible dates are both recorded: the visible one is what the public sees."""
    meta_date = None
    for name in _META_DATE_NAMES:
        if meta.get(name):
            found = parse_date(meta[name], ref=ref)
            if found:
                meta_date = found.iso
                break
    text = _visible_text(root, 50_000)
    best: tuple[int, int, DateMatch] | None = None
    for m in _LABEL_RE.finditer(text):
        rank = _LABEL_RANK[m.group(1)]
        if best is not None and rank >= best[0]:
            continue  # the first label of the best rank wins: no date to read after this one
        if rank == _GENERIC_RANK and m.start() > 0 and _CJK.match(text[m.start() - 1]):
            continue  # 会议时间、截止日期: a date in the text, not the page's publication date
        found = parse_date(text[m.end():m.end() + 40], ref=ref)
        if found is None or found.start > 3:
            continue
        best = (rank, m.start(), found)
    if best is not None:
        return {"date": best[2].iso, "date_text": best[2].text, "source": "label", "meta_date": meta_date}
    near, before = _date_near_title(ctx, text, meta, ref)
    if near is not None and (meta_date is None or _is_date_line(near, before)):
        return {"date": near.iso, "date_text": near.text, "source": "text", "meta_date": meta_date}
    if meta_date:
        return {"date": meta_date, "date_text": meta.get("pubdate") or meta_date, "source": "meta", "meta_date": meta_date}
    guessed = _htmldate(ctx.tree, ref) if guess else None
    if guessed:
        return {"date": guessed, "date_text": guessed, "source": "htmldate", "meta_date": None}
    return {"date": None, "date_text": None, "source": None, "meta_date": None}


def _visible_text(root: Any, limit: int) -> str:
    """The first ``limit`` characters of the page's text outside scripts and styles, whitespace collapsed."""
    return clean_prefix(_visible_pieces(root), limit)


def _visible_pieces(root: Any) -> Iterator[str]:
    for el in root.iter():
        tag = el.tag  # read once: lxml makes a new string for each read
        if not isinstance(tag, str):
            yield el.tail or ""
        elif tag in ("script", "style", "noscript", "template"):
            yield " " + (el.tail or "")
        else:
            yield (el.text or "") + " " + (el.tail or "")


def _date_near_title(ctx: PageContext, text: str, meta: dict[str, str], ref: date) -> tuple[DateMatch | None, str]:
    """An unlabelled date printed just under the article title (``<div class="date">2025-11-03</div>``), with
    the text between the title and it.

    Dates before the title are skipped: gov headers show today's date (今天是2026年11月20日)."""
    candidates = [meta.get("articletitle", "")]
    h1 = ctx.first("h1")
    if h1 is not None:
        candidates.append(_clean(h1.text_content()))
    title_el = ctx.first("title")
    if title_el is not None:
        candidates.append(_TITLE_SPLIT.split(_clean(title_el.text_content()))[0])
    for title in candidates:
        if len(title) < MIN_TITLE:
            continue
        pos = text.find(title)
        if pos < 0:
            continue
        window = text[pos + len(title):pos + len(title) + 300]
        for found in find_dates(window, ref=ref):
            if not _TODAY_WIDGET.search(window[:found.start]):
                return found, window[:found.start]
    return None, ""


def _is_date_line(found: DateMatch, before: str) -> bool:
    """The unlabelled date line right under the title (``2024年12月07日 08时01分 来源：…``).

    It outranks the PubDate meta: on the field corpus (tests/corpus) every page whose date line and meta
    disagree shows the publication date in the line and a later regeneration or migration date in the meta.
    A date further down, or one after a colon (开始时间：…), is content, and the meta stays the better witness."""
    return found.start <= DATE_LINE_REACH and not re.search(r"[:：]", before)


def _htmldate(tree: Any, ref: date) -> str | None:
    """htmldate's original-date guess, kept as the last resort (see bench/freshness_accuracy.py)."""
    try:
        from htmldate import find_date
        return find_date(tree, original_date=True, outputformat="%Y-%m-%d", max_date=ref.isoformat(),
                         extensive_search=False)
    except Exception:  # htmldate raises on odd trees; a missing guess is a defined outcome
        return None


# -- column ----------------------------------------------------------------------------------------------------
def _breadcrumb(root: Any) -> list[str]:
    # A wrapper with no text of its own around one element has that element's text.  Handing the text down
    # such a chain keeps the search linear: a DOM nested 100,000 deep re-read its one link's text below
    # every level (7.8 s of a 10 s analysis budget).  An element whose class and id say nothing of a breadcrumb
    # is one only when its text begins with a ``_CRUMB_WORDS`` word, which its first few characters say: the 201
    # the rest asks for are read only then (reading them of every block was a sixteenth of a real page's analysis,
    # issue 16).
    inherited: dict[Any, tuple[str, int]] = {}
    for el in root.iter("div", "span", "p", "td", "nav", "ol", "ul"):
        attrs = f"{el.get('class', '')} {el.get('id', '')}"
        named = _CRUMB_ATTR.search(attrs) is not None
        handed = inherited.pop(el, None)
        if not named and not _CRUMB_TEXT.match(_crumb_text(el, _CRUMB_WORD_CHARS, handed, inherited)):
            continue
        text = _crumb_text(el, 201, handed, inherited)
        if not text or len(text) > 200:
            continue
        if _CRUMB_TEXT.match(text) or (named and (first(el, "a") is not None)):
            text = _CRUMB_TEXT.sub("", text)
            crumbs = [c.strip() for c in _CRUMB_SPLIT.split(text) if c.strip()]
            if crumbs:
                return crumbs[:10]
    return []


def _crumb_text(el: Any, limit: int, handed: tuple[str, int] | None, inherited: dict[Any, tuple[str, int]]) -> str:
    """``text_prefix(el, limit)``: ``handed`` down by a wrapper above when that was cut at ``limit`` or beyond, else
    read, and handed down the chain of wrappers below ``el`` that have its text (with the limit it was cut at)."""
    if handed is not None and handed[1] >= limit:
        return handed[0][:limit]
    text = text_prefix(el, limit)
    node = el
    while not (node.text or "").strip() and len(node) == 1 and isinstance(node[0].tag, str) \
            and not (node[0].tail or "").strip():
        node = node[0]
        inherited[node] = (text, limit)
    return text


def _column(meta: dict[str, str], ctx: PageContext) -> dict[str, Any]:
    crumbs = _breadcrumb(ctx.tree)
    title_el = ctx.first("title")
    title_parts = [p for p in _TITLE_SPLIT.split(_clean(title_el.text_content() if title_el is not None else "")) if p]
    name: str | None = meta.get("columnname") or None
    source: str | None = "meta ColumnName"
    if not name:
        useful = [c for c in crumbs if not _NOT_CRUMB.match(c)]
        name, source = (useful[-1], "breadcrumb") if useful else (None, None)
    if not name and title_parts:
        name, source = title_parts[0], "title"
    return {"name": name, "name_source": source, "type": meta.get("columntype") or None,
            "type_reason": "meta ColumnType" if meta.get("columntype") else None,
            "breadcrumb": crumbs, "title_parts": title_parts[:4]}


_PASSED_OVER_MAX = 1000


def _short_texts(root: Any) -> list[str]:
    """Short texts outside links (≤ 30 characters): the check looks for 暂无信息-style placeholders in them.

    A text as written that was taken or turned down is passed over when it comes again (up to ``_PASSED_OVER_MAX``
    of them, a bounded set): a table repeats its dates and units in every row, and cleaning and matching each of a
    5,000-row 信息公开目录's was a fifth of the extractor there (issue 16).  Not one found inside a link: the same
    text may stand outside one further on."""
    out: list[str] = []
    seen: set[str] = set()
    passed_over: set[str] = set()
    in_link: dict[Any, bool] = {}
    for el in root.iter(etree.Element):  # elements only, picked in C: comments show no text
        if el.tag in ("a", "script", "style", "option", "title"):
            continue
        for raw in (el.text, el.tail):
            if not raw or raw in passed_over or raw.isspace():
                continue
            text = _clean(raw)
            if 2 <= len(text) <= 30 and text not in seen and not _DATE_ONLY.match(text):
                if _inside_link(el, in_link):
                    continue
                seen.add(text)
                out.append(text)
                if len(out) >= 80:
                    return out
            if len(passed_over) < _PASSED_OVER_MAX:
                passed_over.add(raw)
    return out


def _inside_link(el: Any, memo: dict[Any, bool]) -> bool:
    """Whether an ancestor of ``el`` is an ``<a>``, each element's answer found once (``memo``): asking every
    text's ancestors afresh made a deep page quadratic."""
    path: list[Any] = []
    node, found = el, False
    while (parent := node.getparent()) is not None:
        if parent.tag == "a":
            found = True
            break
        known = memo.get(parent)
        if known is not None:
            found = known
            break
        path.append(parent)
        node = parent
    memo[el] = found
    for node in path:
        memo[node] = found
    return found


# -- list containers without items ----------------------------------------------------------------------------
def _in_menu(el: Any) -> bool:
    for node in (el, *el.iterancestors()):
        if not isinstance(node.tag, str):
            continue
        if node.tag in ("nav", "header", "footer") or \
                _MENU_ATTR.search(f"{node.get('class', '')} {node.get('id', '')}"):
            return True
    return False


def _describe(el: Any) -> str:
    ident = el.get("id")
    cls = _clean(el.get("class")).replace(" ", ".")
    return el.tag + (f"#{ident}" if ident else "") + (f".{cls}" if cls else "")


def _holds_content(el: Any) -> bool:
    """A link or an image: the container shows something (a picture list, a link directory), it is not empty."""
    return any(_is_item_anchor(a) for a in el.iter("a")) or first(el, "img") is not None


def _empty_list_containers(root: Any) -> list[str]:
    """List containers that hold no information item: ``<ul class="news-list"></ul>``, a list table with its
    header row (标题 / 发布日期) and no body row, a ``<ul class="list"><li>暂无信息！</li></ul>``.

    This is the structural evidence that an item-less page is an (empty) column list and not a static page
    such as 联系我们 or 网站地图; menus, headers and footers are never containers."""
    out: list[str] = []
    listish_of: dict[str, bool] = {}  # class and id → listish: a CMS template repeats a few (issue 16)
    for el in root.iter("ul", "ol", "dl", "table", "div"):
        attrs = f"{el.get('class', '')} {el.get('id', '')}"
        listish = listish_of.get(attrs)
        if listish is None:
            listish = listish_of[attrs] = bool(_LIST_ATTR.search(attrs))
        if el.tag != "table" and not listish:
            continue
        if len(text_prefix(el, _CONTAINER_TEXT_MAX + 1)) > _CONTAINER_TEXT_MAX or _holds_content(el) or _in_menu(el):
            continue
        if el.tag == "table":
            rows = list(el.iter("tr"))
            head = [r for r in rows if r.find("th") is not None or (r.getparent() is not None and r.getparent().tag == "thead")]
            cells = [_clean(c.text_content()) for r in head for c in r if isinstance(c.tag, str)]
            head_text = "/".join(c for c in cells if c)
            if not (_LIST_HEAD.search(head_text) or listish):
                continue
            body = [_clean(r.text_content()) for r in rows if r not in head]
            label = f"header “{head_text[:40]}”, " if head_text else ""
            shown = next((t for t in body if t), "")
            rest = f"only “{shown}”" if shown else "no body row" if not body else f"{len(body)} empty row(s)"
            out.append(f"{_describe(el)}: {label}{rest}, no item link")
        else:
            if any(isinstance(c.tag, str) and c.tag in ("ul", "ol", "dl", "table", "div") for c in el.iterdescendants()):
                continue  # the innermost container speaks for the list
            text = _clean(el.text_content())
            out.append(f"{_describe(el)}: " + (f"only “{text}”, no item link" if text else "empty, no item link"))
        if len(out) >= MAX_CONTAINERS:
            break
    return out


# -- kind ------------------------------------------------------------------------------------------------------
def _kind(ctx: PageContext, meta: dict[str, str], items: list[dict[str, Any]], pagination: list[dict[str, Any]],
          article: dict[str, Any], column: dict[str, Any], root: Any) -> str:
    if ctx.is_home:
        return "home"
    dated = sum(1 for i in items if i["date"])
    # The page's text only where a letter's words are asked for: a dated list's rarely (issue 16).
    text = text_prefix(root, 20_000) if dated < 3 else None
    if text is not None and _LETTER_ASK.search(text) and _LETTER_REPLY.search(text):
        return "letter"
    article_signal = bool(meta.get("articletitle") or meta.get("pubdate") or article["source"] == "label")
    listish = dated >= 3 or (len(items) >= 3 and (pagination or meta.get("columnname")))
    if article_signal and dated < 8:
        return "article"
    if listish:
        name = f"{column.get('name') or ''} {' '.join(column.get('breadcrumb') or [])}"
        if not _MAILBOX_WORDS.search(name):
            return "list"
        return "mailbox" if _LETTER_ASK.search(text if text is not None else text_prefix(root, 20_000)) else "list"
    if article_signal or article["date"]:
        return "article"
    if pagination:
        return "list"
    # ColumnName / ColumnType meta make a page a column list only beside list evidence (an item, a list container):
    # static pages (联系我们, 网站地图, 无障碍声明, 概况) carry the same meta and are not blank columns.
    if (meta.get("columnname") or meta.get("columntype")) and (items or column.get("list_containers")):
        return "list"
    return "other"
