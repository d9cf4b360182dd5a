"""Interaction facts (互动交流): is this page a consultation channel, and which letters does it show?

Facts written (see docs/architecture.md):

* ``channel`` — ``{name, kind, excluded, evidence}`` when the page belongs to a channel such as 县长信箱,
  网上留言, 政务咨询, 咨询投诉 or 我为政府网站找错; channels the veto excludes (在线访谈, 调查征集, 网上信访,
  纪检举报) are recognised and marked ``excluded``.  None otherwise.
* ``letters`` — ``[{title, url, asked, replied, status, unit, has_reply_text, reply_shown, source}]``, read
  from list pages (header tables, definition lists, cards, paired rows) and letter detail pages.  Dates are
  ISO strings or None; ``status`` is the status word as printed (已回复, 办理中 …); ``has_reply_text`` is
  True/False on detail pages and when a list shows reply text, None when the page cannot tell;
  ``reply_shown`` says the page has a slot for the reply (a reply-time column or label, a reply section), so
  an empty slot means "no reply yet" rather than "not shown here".
* ``channel_links`` — on the home page and on channel pages only: links whose anchor text names a channel
  (``[{name, kind, excluded, url}]``), so the check can tell "no channel" from "channel on another host".

The extractor runs in the crawler without the rule set, so its recognition lists are generous and built in:
they only *read* pages.  What *decides* (which channel kinds the veto excludes, which statuses count as
answered) is in ``params.interaction`` of the rule set and applied by ``checks/interaction.py``.

Privacy: the citizen's name, phone, ID number, address and the letter's content are recognised only so
that they are skipped; phone numbers, ID numbers and e-mail addresses inside titles are masked.

Why hand-written rather than a library: there is no maintained parser for Chinese government mailbox
layouts; the generic table/list extractors (pandas.read_html, readability) lose the label → value pairs
(留言时间：…) that carry the dates, and the record boundaries that keep one letter's dates apart from the next.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from govaudit.crawler.extract import Anchor, PageContext
from govaudit.crawler.extract.core import absolute_url, anchors_of, element_text, first, text_prefix
from govaudit.crawler.extract.dates import parse_date
from lxml import etree

# -- vocabulary --------------------------------------------------------------------------------------------------
# Field labels by role, as Chinese mailbox systems print them (header cells, "label：value" pairs).
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "title": ("信件标题", "留言标题", "来信标题", "咨询标题", "投诉标题", "信件主题", "留言主题", "来信主题", "标题", "主题"),
    "asked": ("来信时间", "来信日期", "留言时间", "留言日期", "写信时间", "写信日期", "提问时间", "提问日期", "咨询时间",
              "咨询日期", "投诉时间", "投诉日期", "发信时间", "信件时间", "提交时间", "提交日期", "诉求时间", "反映时间"),
    "asked_generic": ("发布时间", "发布日期", "时间", "日期"),
    "replied": ("回复时间", "回复日期", "答复时间", "答复日期", "办理时间", "办理日期", "办结时间", "办结日期", "处理时间",
                "处理日期", "反馈时间", "反馈日期", "回信时间", "回复于", "答复于"),
    "status": ("办理状态", "处理状态", "回复状态", "答复状态", "信件状态", "留言状态", "办理情况", "是否回复", "是否答复", "状态"),
    "unit": ("回复单位", "答复单位", "办理单位", "承办单位", "处理单位", "受理单位", "回复部门", "答复部门", "办理部门",
             "承办部门", "受理部门", "处理部门", "转办单位", "答复机构", "回复机构", "回复人", "答复人"),
    "reply_text": ("回复内容", "答复内容", "回复意见", "答复意见", "办理结果", "处理结果", "办理意见", "处理意见", "回复正文",
                   "答复正文", "领导回复", "部门回复", "单位回复", "官方回复", "回复", "答复"),
    "content": ("来信内容", "留言内容", "信件内容", "咨询内容", "投诉内容", "问题描述", "诉求内容", "反映内容", "内容"),
    # Personal details: recognised so that their values are consumed and never stored.
    "private": ("来信人", "留言人", "写信人", "提问人", "咨询人", "投诉人", "反映人", "姓名", "联系电话", "电话", "手机",
                "手机号码", "身份证号", "身份证", "证件号码", "住址", "地址", "联系地址", "电子邮箱", "邮箱", "网友", "用户名", "昵称"),
    "ignore": ("序号", "编号", "信件编号", "留言编号", "查询码", "受理编号", "操作", "类型", "类别", "信件类型", "留言类型",
               "点击", "浏览", "浏览量", "点击量", "访问量", "受理时间", "受理日期", "公开", "是否公开"),
}
_ROLE_OF: dict[str, str] = {w: role for role, words in ROLE_WORDS.items() for w in words}
_WORDS = sorted(_ROLE_OF, key=len, reverse=True)


def _alternation(words: list[str]) -> str:
    """``words`` as one regex alternation, tried in their order, grouped by first character (``留(?:言时间|言日期…)``):
    re tries a group's words only where its character stands, not each of 150 words at every place a label may
    start (issue 16: a 5,000-letter mailbox's 15,000 pieces).  Only words of one first character can match at one
    place, and their order is kept, so the match is the plain alternation's."""
    rests: dict[str, list[str]] = {}
    for w in words:
        rests.setdefault(w[0], []).append(re.escape(w[1:]))
    return "|".join(re.escape(first) + "(?:" + "|".join(r) + ")" for first, r in rests.items())


_ALT = _alternation(_WORDS)
# A label starts a text piece (or follows a separator) and ends in a colon, the end of the piece, or
# whitespace before a digit ("留言时间 2025-03-05").  "关于回复时间过长的投诉" is therefore not a label.
_LABEL_SEP = r"[\s|｜/，,；;、]"
_LABEL_BODY = r"[【\[]?(" + _ALT + r")[】\]]?\s*(?:[:：]|$|(?=\s+\d))"
_LABEL = re.compile(r"(?:^|(?<=" + _LABEL_SEP + "))" + _LABEL_BODY)
_ONLY_PUNCT = re.compile(r"^[\s:：|｜/，,；;、\-—]*$")

# Status words as printed.  Generous on purpose: the check decides which of them count as answered.
_STATUS = re.compile(r"(?:已|未|待|尚未|正在)(?:回复|答复|办结|办理|处理|受理|反馈|回信|转办|签收|审核|解决|交办)"
                     r"|(?:办理|处理|受理|审核|转办|回复|答复)中|(?:办理|处理|回复|答复)完毕|办结|不予受理|已完成|已采纳")
_STATUS_ALONE = re.compile(r"^[\[【(（]?\s*(" + _STATUS.pattern + r")\s*[\]】)）]?$")
_STATUS_PREFIX = re.compile(r"^\s*[\[【(（]\s*(" + _STATUS.pattern + r")\s*[\]】)）]\s*")
_YES_NO = {"是": "已回复", "否": "未回复"}
_PLACEHOLDER = re.compile(r"^[\s\-—/无]*$|^(?:暂无|暂未|尚未|没有|未|待)(?:回复|答复|内容|办理|处理)?[。.！!]*$|^(?:正在|等待)(?:办理|处理|回复)")
_ELLIPSIS = re.compile(r"(?:\.{2,}|…+|。{3,})\s*$")
_MORE = re.compile(r"^(?:更多|详细|详情|查看|查看详情|阅读全文|全文|more|>>|»|\[?详细\]?|首页|上一页|下一页|尾页|末页)$", re.I)
_ONCLICK_URL = re.compile(r"""['"]([^'"\s]+?\.(?:s?html?|jsp|jspx|aspx?|php|do|action)(?:\?[^'"\s]*)?)['"]""", re.I)

# Personal data that slips into titles or units is masked, never stored.
_PRIVATE_PATTERNS = (
    re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])"),  # 身份证号
    re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),  # mobile
    re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"),  # landline
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail
)

# Channel names, most specific first.  (kind, excluded by the national veto wording, pattern)
CHANNEL_KINDS: tuple[tuple[str, bool, str], ...] = (
    ("interview", True, r"在线访谈|网上访谈|访谈直播|访谈"),
    ("survey", True, r"调查征集|征集调查|意见征集|民意征集|网上调查|在线调查|问卷调查|征求意见|民意调查"),
    ("petition", True, r"网上信访|信访"),
    ("report", True, r"纪检举报|违纪举报|监督举报|举报"),
    ("zhaocuo", False, r"我为政府网站找错|政府网站找错|网站找错|网站纠错|我要纠错|纠错"),
    ("leader_mailbox", False, r"(?:[省市县区州旗镇乡]长|书记|局长|主任|厅长|院长|部长|主席|领导|县委|市委|区委)信箱"),
    ("mailbox", False, r"政府信箱|公众信箱|民意信箱|信箱"),
    ("message_board", False, r"网上留言|在线留言|网民留言|群众留言|留言板|留言咨询|我要留言|留言"),
    ("consultation", False, r"政务咨询|在线咨询|咨询投诉|投诉咨询|网上咨询|咨询服务|我要咨询|咨询建议|建言献策|民声连线|民生连线|"
                            r"咨询|问政|诉求|投诉|12345"),
)
_CHANNEL_RES = [(kind, excluded, re.compile(pattern)) for kind, excluded, pattern in CHANNEL_KINDS]
# One search that fails for almost every anchor of a page, before the per-kind searches (issue 16: a site map's
# 20,000 anchors each ran every kind's pattern).
_ANY_CHANNEL = re.compile("|".join(f"(?:{pattern})" for _, _, pattern in CHANNEL_KINDS))
# The same, starting within the first five characters: a strict name's test tries five places, not every one of a
# mailbox's 5,000 letter titles (issue 16).
_CHANNEL_NEAR_START = re.compile(".{0,4}?(?:" + _ANY_CHANNEL.pattern + ")", re.S)
_SPLIT_TITLE = re.compile(r"\s*(?:[-_|｜—–>»›＞→]+|\s{2,})\s*")
_CRUMB_TEXT = re.compile(r"^\s*(?:当前位置|您的位置|您现在的位置|您当前的位置|所在位置|位置)\s*[:：]?")
_CRUMB_ATTR = re.compile(r"crumb|position|location|weizhi|dqwz|curpos|path|nav_?bar|guide", re.I)
_CRUMB_SPLIT = re.compile(r"\s*[>»›＞→/]+\s*|\s{2,}")
_SKIP_TAGS = {"script", "style", "noscript", "template", "select", "option", "textarea", "head", "title"}
_MAX_LETTERS = 500  # a list page showing more is a data dump; the first 500 are plenty for the figures
_MAX_CHANNEL_LINKS = 30


# -- text pieces -------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Piece:
    text: str
    el: Any  # the element whose text (or, for a tail, whose parent's text) this is


def _clean(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


_PIECE_NODES = etree.XPath("descendant-or-self::img[@alt] | descendant::text()[normalize-space()]")  # as content._TEXTS


def _pieces(roots: Iterable[Any]) -> list[_Piece]:
    """The visible text of ``roots`` in document order, one piece a text node (plus image alt texts).

    One piece per text node keeps "留言时间：" and its ``<b>2025-03-05</b>`` value apart but in order,
    which is what label → value reading needs.  A piece's element is the one the text node sits in: a tail's
    is its element's parent (CMS templates wrap each field in comments, ``编辑：（<!--<$[信息作者]>begin-->胡冠山
    <!--…end-->）``: the text after a comment is the page's).

    The text nodes and images from one XPath, in document order (lxml's smart strings say where each sits),
    those under a ``_SKIP_TAGS`` element left out: half the cost of ``iterwalk``'s two events per element on a
    5,000-letter mailbox (issue 16)."""
    out: list[_Piece] = []
    for root in roots:
        skipped: set[Any] = set()
        for top in root.iter(*_SKIP_TAGS):
            if top not in skipped:
                skipped.update(top.iter())
        for node in _PIECE_NODES(root):
            if isinstance(node, etree._Element):  # an image
                if (alt := node.get("alt")) and node not in skipped:
                    out.append(_Piece(_clean(alt), node))
                continue
            el = node.getparent()
            if node.is_tail:
                el = el.getparent()
            text = _clean(node)
            if text and el not in skipped:
                out.append(_Piece(text, el))
    return out


def _mask(text: str) -> str:
    for pattern in _PRIVATE_PATTERNS:
        text = pattern.sub("***", text)
    return text


# -- label → value reading ---------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Fields:
    values: dict[str, str]
    elements: dict[str, Any]  # role -> element carrying the label
    free: list[_Piece]  # pieces that are neither label nor labelled value
    after_reply: list[str]  # free text following the reply date: an unlabelled reply block's body


_COLLECT = {"reply_text", "content"}  # roles whose value runs over several pieces, up to the next label


def _read_fields(pieces: list[_Piece]) -> _Fields:
    values: dict[str, str] = {}
    elements: dict[str, Any] = {}
    free: list[_Piece] = []
    after_reply: list[str] = []
    pending: str | None = None
    collected: list[str] = []

    def close() -> None:
        nonlocal pending, collected
        if pending in _COLLECT:
            values.setdefault(pending, " ".join(collected)[:300])
        pending, collected = None, []

    def take(piece: _Piece) -> None:
        """Unlabelled text: the value of the label before it, or free text when no label is waiting."""
        nonlocal pending
        if pending in _COLLECT:
            collected.append(piece.text)
        elif pending:
            values.setdefault(pending, piece.text)
            pending = None
        else:
            free.append(piece)
            if "replied" in values:
                after_reply.append(piece.text)

    for piece in pieces:
        text = piece.text
        if _ONLY_PUNCT.match(text):
            continue
        matches = list(_LABEL.finditer(text))
        if not matches:
            take(piece)
            continue
        head = text[:matches[0].start()].strip()
        if head and not _ONLY_PUNCT.match(head):
            take(_Piece(head, piece.el))
        for i, m in enumerate(matches):
            close()
            role = _ROLE_OF[m.group(1)]
            elements.setdefault(role, piece.el)
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            value = text[m.end():end].strip(" :：|｜,，;；")
            if role in _COLLECT:
                pending, collected = role, ([value] if value else [])
            elif value:
                values.setdefault(role, value)
            else:
                pending = role
    close()
    return _Fields(values, elements, free, after_reply)


def _status_of(text: str | None) -> str | None:
    if not text:
        return None
    text = text.strip()
    if text in _YES_NO:
        return _YES_NO[text]
    m = _STATUS.search(text)
    return m.group(0) if m else None


def _date_of(text: str | None, ref: date) -> str | None:
    if not text:
        return None
    found = parse_date(text, ref=ref)
    return found.iso if found else None


def _substantive(text: str | None) -> bool:
    """Reply text that is really there: not empty, not 暂无回复 / 无 / — placeholders, not only a date."""
    if not text:
        return False
    text = text.strip()
    if _PLACEHOLDER.match(text) or len(text.replace(" ", "")) < 4:
        return False
    return parse_date(text) is None or len(text) > 25


# -- channel -----------------------------------------------------------------------------------------------------
def classify_channel(text: str, *, strict: bool = True) -> tuple[str, str, bool] | None:
    """(name, kind, excluded) when ``text`` names a channel.

    ``strict`` asks for the text to *be* the name, give or take a short prefix (XX县长信箱, 市民留言板):
    a letter titled "求助咨询" is not a channel, but a title segment "县长信箱" is.
    """
    return _channel_of(_clean(text), strict)


def _channel_of(text: str, strict: bool = True) -> tuple[str, str, bool] | None:
    """``classify_channel`` of a text whose whitespace is collapsed already (a link's text from the links pass: a
    mailbox's 5,000 letter titles are not collapsed a second time, issue 16)."""
    # Strictly, a name may leave at most four characters before it: every kind's first match starts at or after
    # the first match of any kind, so none within the first five characters rules them all out (a mailbox's
    # letter titles, 关于…的咨询, no longer run each kind's pattern: issue 16).
    if not text or len(text) > 40 or not (_CHANNEL_NEAR_START.match(text) if strict else _ANY_CHANNEL.search(text)):
        return None
    for kind, excluded, pattern in _CHANNEL_RES:
        m = pattern.search(text)
        if not m:
            continue
        if strict and (len(text) - len(m.group(0)) > 4 or not text.endswith(m.group(0)) and len(text) - m.end() > 1):
            continue
        return m.group(0), kind, excluded
    return None


def _meta(metas: list[Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for el in metas:
        name, content = el.get("name"), el.get("content")
        if name and content:
            out.setdefault(name.strip().lower(), _clean(content))
    return out


def _breadcrumb(tree: Any) -> str | None:
    """The breadcrumb's text (当前位置：首页 > 互动交流 > 县长信箱): the innermost element that looks like one,
    so that a layout table cell wrapping the whole page is not taken for it.

    Candidates are found from attributes and own text first, so that ``text_content`` (costly on big pages)
    is computed for a handful of elements, not for every block.
    """
    body = tree.find("body")
    root = body if body is not None else tree
    candidates: list[Any] = []
    for el in root.iter("div", "span", "p", "td", "nav", "ol", "ul", "li", "em", "strong", "b", "font", "label"):
        text = el.text
        if text and _CRUMB_TEXT.match(text):  # as on the cleaned text: no label word holds a space
            candidates.append(el)
            if el.getparent() is not None:
                candidates.append(el.getparent())  # <span>当前位置：</span><a>首页</a> &gt; …
            continue
        # Most elements (a site map's 50,000 items) have no attribute at all: one call says so, where reading the
        # two cost twice that (3 ms of the 50,000-link page, issue 16).
        cls, ident = (el.get("class"), el.get("id")) if el.items() else (None, None)
        if (cls or ident) and _CRUMB_ATTR.search(f"{cls or ''} {ident or ''}") and first(el, "a") is not None:
            candidates.append(el)
    best: str | None = None
    for el in candidates:
        text = text_prefix(el, 201)  # (the body holding a 当前位置 span is a candidate: not its whole text)
        if not text or len(text) > 200 or len(_CRUMB_TEXT.sub("", text)) < 2:
            continue
        if best is None or len(text) < len(best):
            best = text
    return best


def _title_text(ctx: PageContext) -> str:
    el = ctx.first("title")
    return _clean(element_text(el)) if el is not None else ""


def _headings(ctx: PageContext) -> list[Any]:
    """The h1 headings, then the h2, then the h3, each in document order: from the page's one walk for the tags
    extractors ask for (``PageContext.elements``), not one of their own (issue 16)."""
    return [*ctx.elements("h1"), *ctx.elements("h2"), *ctx.elements("h3")]


def _channel(ctx: PageContext, meta: dict[str, str]) -> dict[str, Any] | None:
    candidates: list[tuple[str, str]] = []
    if meta.get("columnname"):
        candidates.append((meta["columnname"], "meta ColumnName"))
    crumb = _breadcrumb(ctx.tree)
    if crumb:
        parts = [p for p in _CRUMB_SPLIT.split(_CRUMB_TEXT.sub("", crumb)) if p]
        candidates.extend((p, f"breadcrumb: {' > '.join(parts)[:120]}") for p in reversed(parts))
    candidates.extend((_clean(element_text(el)), el.tag) for el in _headings(ctx))
    parts = [p for p in _SPLIT_TITLE.split(_title_text(ctx)) if p]
    candidates.extend((p, "title") for p in reversed(parts))
    if meta.get("columntype"):
        candidates.append((meta["columntype"], "meta ColumnType"))
    for text, where in candidates:
        found = classify_channel(text)
        if found:
            name, kind, excluded = found
            return {"name": name, "kind": kind, "excluded": excluded, "evidence": f"{where}: {text}"[:200]}
    return None


def _channel_links(anchors: list[Anchor], base: str) -> list[dict[str, Any]]:
    """Links whose text (or title) names a channel.  The texts are the links pass's (``_clean(element_text(a))``
    is that collapsed text); an ``<a>`` without an href, which it does not record, gives no URL."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for a, text, _ in anchors:
        found = _channel_of(text or _clean(a.get("title")))
        url = absolute_url(base, a.get("href") or "") if found else None
        if not found or not url or url in seen:
            continue
        seen.add(url)
        name, kind, excluded = found
        out.append({"name": name, "kind": kind, "excluded": excluded, "url": url})
        if len(out) >= _MAX_CHANNEL_LINKS:
            break
    return out


# -- letters -----------------------------------------------------------------------------------------------------
def _base(ctx: PageContext) -> str:
    base = ctx.first("base")
    href = base.get("href") if base is not None else None
    return (absolute_url(ctx.url, href) or ctx.url) if href else ctx.url


def _link_url(a: Any, base: str) -> str | None:
    href = (a.get("href") or "").strip()
    url = absolute_url(base, href) if href else None
    if url is None:  # javascript:openDetail('show.jsp?id=12') or an onclick handler carrying the address
        m = _ONCLICK_URL.search(f"{href} {a.get('onclick') or ''}")
        url = absolute_url(base, m.group(1)) if m else None
    return url


def _title_link(els: Iterable[Any]) -> Any | None:
    """The link that carries a letter's title: the first with real text (not 详细/更多/paging)."""
    for root in els:
        for a in root.iter("a"):
            text = _clean(element_text(a))
            if len(text) >= 4 and not _MORE.match(text) and not _STATUS_ALONE.match(text) and parse_date(text) is None:
                return a
    return None


def _link_title(a: Any) -> str:
    text = _clean(element_text(a))
    full = _clean(a.get("title"))
    if full and len(full) > len(text) and (full.startswith(_ELLIPSIS.sub("", text)) or _ELLIPSIS.search(text)):
        text = full
    return text


def _clean_title(text: str) -> tuple[str, str | None]:
    """A title without a leading [已回复] badge (returned separately) and with personal data masked."""
    status = None
    m = _STATUS_PREFIX.match(text)
    if m:
        status, text = m.group(1), text[m.end():]
    return _mask(text.strip())[:200], status


def _letter(fields: _Fields, *, source: str, url: str | None, title: str | None, ref: date,
            unlabelled_dates: bool, reply_column: bool = False) -> dict[str, Any]:
    v = fields.values
    status = _status_of(v.get("status"))
    if status is None:
        for piece in fields.free:
            m = _STATUS_ALONE.match(piece.text)
            if m:
                status = m.group(1)
                break
    asked = _date_of(v.get("asked"), ref) or _date_of(v.get("asked_generic"), ref)
    replied = _date_of(v.get("replied"), ref)
    if unlabelled_dates and asked is None and replied is None:
        # Layout without labels (title · date · status): the first date is the asking date, a second one the reply.
        dates = [d for d in (_date_of(p.text, ref) for p in fields.free) if d]
        asked = dates[0] if dates else None
        replied = dates[1] if len(dates) > 1 and dates[1] >= dates[0] else None
    if "reply_text" in fields.elements:
        has_reply: bool | None = _substantive(v.get("reply_text"))
    elif source == "detail":
        # A reply block without a 答复内容 label (答复单位 / 答复时间, then the text): its text follows the date.
        has_reply = replied is not None and _substantive(" ".join(fields.after_reply)[:300])
    else:
        has_reply = None
    clean, badge = _clean_title(title or "")
    unit = v.get("unit")
    return {
        "title": clean or None,
        "url": url,
        "asked": asked,
        "replied": replied,
        "status": status or badge,
        "unit": _mask(unit)[:60] if unit and not _PLACEHOLDER.match(unit) else None,
        "has_reply_text": has_reply,
        "reply_shown": bool(reply_column or "replied" in fields.elements or "reply_text" in fields.elements),
        "source": source,
    }


# -- letters handed over as data: a mailbox list endpoint's JSON answer (issue 11) --------------------------------
# A record's keys name its fields the way the system's programmers did (createTime, replyTime, hfsj, statusName);
# a key is tried against these fragments in this order and takes the first role whose value fits it: a reply
# date before an asking date (replyTime also names a time), a reply unit after a reply date (replyDept holds no
# date).  Chinese keys (来信时间) are read as the labels they are.  Personal fields are recognised and dropped.
_KEY_ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("url", ("url", "href", "link")),
    ("ignore", ("update", "modify", "edit", "read", "view", "click", "hit", "visit", "count", "num")),
    ("reply_text", ("replycont", "replytext", "answercont", "answertext", "replyopinion", "hfnr", "dfnr", "hfyj")),
    ("replied", ("reply", "answer", "hfsj", "dfsj", "finish", "over", "bjsj", "banjie", "feedback", "fksj", "handle",
                 "deal", "done", "complete")),
    ("status", ("status", "state", "zt")),
    ("title", ("title", "subject", "zhuti", "theme", "bt")),
    ("unit", ("unit", "dept", "depart", "org", "dw", "bm")),
    ("private", ("name", "phone", "tel", "mobile", "email", "idcard", "address", "addr", "user", "writer", "author")),
    ("asked", ("create", "add", "send", "ask", "submit", "write", "apply", "post", "question", "lxsj", "xjsj", "lysj",
               "tjsj", "time", "date", "sj", "rq")),
)
_DATED = {"replied", "asked"}
# What makes a record a letter rather than a news item (title + date): a reply or status field, or a key that
# names a letter.  A column's JSON list of notices is no mailbox.
_LETTER_KEY = re.compile(r"letter|mail|consult|complain|question|suggest|petition|xinjian|liuyan", re.I)
_LETTER_ROLES = {"replied", "status", "reply_text"}


def _key_role(key: str, value: str, ref: date) -> str | None:
    """The role of one record field, or None: by the key's name, checked against what the value holds."""
    label = _ROLE_OF.get(key.strip())
    if label is not None:
        return label
    low = key.lower()
    for role, words in _KEY_ROLES:
        if not any(w in low for w in words):
            continue
        if role in _DATED and not (value == "" or _date_of(value, ref)):
            continue  # replyDept, dealStatus: the key says reply, the value is no date
        if role == "status" and value and _status_of(value) is None:
            continue  # a status code (3), not a word
        if role == "title" and (len(value) < 4 or _date_of(value, ref)):
            continue
        return role
    return None


def letters_from_records(records: Iterable[dict[str, Any]], base: str, ref: date) -> list[dict[str, Any]]:
    """Letters held as data records (a list endpoint's JSON or object-literal answer): a record is a letter when
    it has a title and an asking date, a reply date or a status word, and something of a letter (a reply or
    status field, a key naming a letter: letterTitle, 来信时间).  An empty reply field is a reply slot
    (``reply_shown``): the system shows replies, this letter has none yet."""
    letters: list[dict[str, Any]] = []
    for rec in records:
        values: dict[str, str] = {}
        elements: dict[str, Any] = {}
        for key, raw in rec.items():
            if isinstance(raw, (dict, list)) or raw is None or isinstance(raw, bool):
                continue
            value = _clean(str(raw))
            role = _key_role(str(key), value, ref)
            if role is None or role in ("private", "ignore"):
                continue
            elements.setdefault(role, key)
            if value:
                values.setdefault(role, value)
        title = values.get("title")
        if not title or not (values.keys() & {"asked", "replied", "status"}):
            continue
        if not (elements.keys() & _LETTER_ROLES or any(_LETTER_KEY.search(str(k)) or str(k) in ROLE_WORDS["asked"]
                                                        for k in rec)):
            continue
        url = absolute_url(base, values["url"]) if values.get("url") else None
        letters.append(_letter(_Fields(values, elements, [], []), source="list", url=url, title=title, ref=ref,
                               unlabelled_dates=False))
        if len(letters) >= _MAX_LETTERS:
            break
    return letters


def letters_from_markup(root: Any, base: str, ref: date) -> list[dict[str, Any]]:
    """Letters in an HTML fragment a list endpoint answered (a datastore's records, rows of a table): read as a
    list page is, when it speaks of letters (来信时间, 已回复 …: a news fragment is no mailbox).  Every letter is a
    list entry: the fragment is not the letter's own page."""
    if not (_letter_specific(root) or _STATUS.search(root.text_content())):
        return []
    return [{**letter, "source": "list"} for letter in _letters(PageContext(url=base, tree=root), {}, ref)]


def _cells(row: Any) -> list[Any]:
    return [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]


def _rows(table: Any) -> list[Any]:
    return table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")


def _header_roles(row: Any) -> list[str | None] | None:
    """Column roles when ``row`` is a header row (标题 | 来信时间 | 状态 …), else None."""
    roles: list[str | None] = []
    known = filled = 0
    for cell in _cells(row):
        text = _clean(element_text(cell)).strip(":：【】[]")
        if text:
            filled += 1
        role = _ROLE_OF.get(text)
        known += role is not None
        roles.append(role)
    if known >= 2 and known >= 0.75 * filled and ({"title", "asked", "asked_generic", "content"} & set(roles)):
        if "title" not in roles and "content" in roles:  # 留言内容 shown (truncated) as the title column
            roles = ["title" if r == "content" else r for r in roles]
        return roles
    return None


def _table_letters(table: Any, base: str, ref: date) -> list[dict[str, Any]] | None:
    rows = _rows(table)
    for i, row in enumerate(rows[:3]):
        roles = _header_roles(row)
        if roles is None:
            continue
        letters = []
        for data in rows[i + 1:]:
            cells = _cells(data)
            if len(cells) != len(roles):
                continue
            values: dict[str, str] = {}
            elements: dict[str, Any] = {}
            title_cell = None
            for role, cell in zip(roles, cells):
                if role is None or role in ("private", "ignore"):
                    continue
                values.setdefault(role, _clean(element_text(cell)))
                elements.setdefault(role, cell)
                if role == "title":
                    title_cell = cell
            a = _title_link([title_cell] if title_cell is not None else [data])
            title = _link_title(a) if a is not None else values.get("title")
            if not title:
                continue
            fields = _Fields(values, elements, [], [])
            letters.append(_letter(fields, source="list", url=_link_url(a, base) if a is not None else None,
                                   title=title, ref=ref, unlabelled_dates=False, reply_column="replied" in roles))
        return letters
    return None


def _lca(elements: list[Any]) -> Any:
    chains = [[e, *e.iterancestors()][::-1] for e in elements]
    common = None
    for level in zip(*chains):
        if all(x is level[0] for x in level):
            common = level[0]
        else:
            break
    return common


def _anchors(pieces: list[_Piece]) -> tuple[list[Any], dict[str, Any]]:
    """One element per letter: where its asking date label sits (else reply date, status label, status word);
    and, from the same reading of the labels, the first element labelling each role (what ``_read_fields``
    would record for the whole page, without reading its values: issue 16)."""
    # dicts as ordered sets: a list's ``in`` made a page of thousands of letters quadratic (issue 16)
    by_role: dict[str, dict[Any, None]] = defaultdict(dict)
    first_el: dict[str, Any] = {}
    for piece, label in _labels(pieces):
        role = _ROLE_OF[label]
        first_el.setdefault(role, piece.el)
        if role in ("asked", "asked_generic", "replied", "status"):
            by_role[role].setdefault(piece.el)
    for role in ("asked", "asked_generic", "replied", "status"):
        if by_role[role]:
            return list(by_role[role]), first_el
    # Status words alone only when no label anchors a record (a mailbox's 已回复 pieces are not matched then).
    return list({piece.el: None for piece in pieces if _STATUS_ALONE.match(piece.text)}), first_el


# ``_LABEL`` over pieces joined by newlines (a piece holds none: ``_clean``): a label starts a line or follows a
# separator there as in its piece, and ends at a colon or the line's end.  A match at a line's end may take the
# next line's leading colon, where no label can start (a label after a colon is none), so the matches are the
# pieces' own.  Over a text that starts with a newline, the separator before a label (a newline at a line's start)
# is consumed rather than looked behind: a pattern that starts with a character class lets re skip to the places
# it may match, where a leading look-behind or ``^`` made every character a full attempt (issue 16).  A match
# never ends in a separator a label could follow (its last character is a colon, a bracket, the word's own, or a
# space before a newline or a digit), so consuming one takes it from no other match; and a match's start in the
# longer text (its separator's place) is the label's own start in the joined one.
_LABEL_LINES = re.compile(_LABEL_SEP + _LABEL_BODY, re.M)


def _labels(pieces: list[_Piece]) -> Iterable[tuple[_Piece, str]]:
    """(piece, label word) of every ``_LABEL`` match in ``pieces``, in order: one search over their joined text
    instead of one per piece (issue 16: a 5,000-letter mailbox has 15,000 pieces)."""
    if not pieces:
        return
    i, end = 0, len(pieces[0].text)  # piece i ends at ``end``, where its newline is
    for m in _LABEL_LINES.finditer("\n" + "\n".join(p.text for p in pieces)):
        while m.start() > end:
            i += 1
            end += len(pieces[i].text) + 1
        yield pieces[i], m.group(1)


class _RecordRoots:
    """For each anchor, the largest subtree holding no other anchor: one letter's record.

    Flat layouts (``<dl><dt>title<dd>留言时间…<dd>状态…<dt>…``) put no element around one letter; there
    the record is the run of siblings from a title-bearing child to the next.

    Worked out per anchor when its letter is read (``of``), a flat parent's runs once, each element's title link
    once (``link``): a list page showing 5,000 letters has only its first ``_MAX_LETTERS`` read, and finding every
    record's root and title link beforehand was a third of the letters extractor's cost (issue 16).
    """

    def __init__(self, anchors: list[Any]) -> None:
        self.counts: dict[Any, int] = defaultdict(int)
        for a in anchors:
            self.counts[a] += 1
            for anc in a.iterancestors():
                if self.counts[anc] >= 2:
                    break  # its ancestors hold two anchors too: counts are only told apart as 0, 1 and more
                self.counts[anc] += 1
        self.links: dict[Any, Any | None] = {}
        self.runs: dict[Any, tuple[list[list[Any]], dict[Any, int]]] = {}

    def link(self, root: Any) -> Any | None:
        """``_title_link([root])``, asked once per element."""
        if root not in self.links:
            self.links[root] = _title_link([root])
        return self.links[root]

    def title_link(self, recs: list[Any]) -> Any | None:
        """``_title_link(recs)``: the first root's that has one."""
        return next((a for a in map(self.link, recs) if a is not None), None)

    def of(self, a: Any) -> list[Any]:
        r = a
        while r.getparent() is not None and self.counts.get(r.getparent(), 0) == 1:
            r = r.getparent()
        parent = r.getparent()
        if parent is None or self.link(r) is not None:
            return [r]
        segments, segment_of = self._segments(parent)
        k = segment_of.get(r)  # a record root is a direct child of ``parent``
        if k is not None and sum(self.counts.get(c, 0) for c in segments[k]) == 1:
            return segments[k]
        return [r]

    def _segments(self, parent: Any) -> tuple[list[list[Any]], dict[Any, int]]:
        """``parent``'s children in runs, each starting at a child with a title link and no anchor."""
        if parent not in self.runs:
            segments: list[list[Any]] = []
            segment_of: dict[Any, int] = {}
            for child in parent:
                if not isinstance(child.tag, str):
                    continue
                if not segments or (self.link(child) is not None and self.counts.get(child, 0) == 0):
                    segments.append([])
                segments[-1].append(child)
                segment_of[child] = len(segments) - 1
            self.runs[parent] = segments, segment_of
        return self.runs[parent]


class _RecordPieces:
    """``_pieces(recs)`` for a record, cut from the body's pieces rather than read again (issue 16: 500 XPath
    searches on a 5,000-letter mailbox).  A piece belongs to the subtrees of ``recs`` when its element is in one
    (a tail's element is its parent's: a root's own tail is not the record's, the tail between two roots of a
    run neither), and all of them lie between the first and the last such piece.  What ``_SKIP_TAGS`` leaves
    out is the same: a record holds an anchor, which no skipped element holds, so no record root is inside one."""

    def __init__(self, pieces: list[_Piece]) -> None:
        self.pieces = pieces
        self.span: dict[Any, list[int]] = {}  # element -> [index of its first piece, of its last]
        for i, piece in enumerate(pieces):
            if piece.el in self.span:
                self.span[piece.el][1] = i
            else:
                self.span[piece.el] = [i, i]

    def of(self, recs: list[Any]) -> list[_Piece]:
        inside = {el for r in recs for el in r.iter()}
        spans = [self.span[el] for el in inside if el in self.span]
        if not spans:
            return []
        lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
        return [p for p in self.pieces[lo:hi + 1] if p.el in inside]


def _unlinked_title(fields: _Fields) -> str | None:
    """Title of a list record that neither links nor labels it: a side list of questions (政务咨询, 留言选登)
    printing each one as plain text above its 留言时间 (nfra.gov.cn in tests/corpus).

    Only records with a letter-specific asking label qualify (a bare 时间 or 发布时间 is every news item's);
    the title is the record's longest free text that is not a date or a status word."""
    if "asked" not in fields.values:
        return None
    texts = [p.text for p in fields.free
             if len(p.text) >= 4 and parse_date(p.text) is None and not _STATUS_ALONE.match(p.text)]
    return max(texts, key=len)[:200] if texts else None


def _heading_title(ctx: PageContext, meta: dict[str, str]) -> str | None:
    """The letter's own title on its detail page.

    ``<title>题目_县长信箱_某县人民政府</title>`` names it before the channel segment; when the page prints that
    segment, it wins over the headings, because county templates put the site's name in the page header's
    h1/h2 (issue 11: every late letter was called 某某县人民政府)."""
    if meta.get("articletitle"):
        return meta["articletitle"]
    parts = [p for p in _SPLIT_TITLE.split(_title_text(ctx)) if p]
    body = ctx.tree.find("body")
    shown = _clean(element_text(body)) if body is not None else ""
    for before, part in zip(parts, parts[1:]):
        # ... and is printed on the page: a template word such as 来信详情 is not.
        if classify_channel(part) and len(before) >= 4 and not classify_channel(before) and before in shown:
            return before
    for el in _headings(ctx):
        text = _clean(element_text(el))
        if len(text) >= 4 and not classify_channel(text) and not _LABEL.match(text):
            return text
    if parts and not classify_channel(parts[0]):
        return parts[0]
    return None


def _letters(ctx: PageContext, meta: dict[str, str], ref: date) -> list[dict[str, Any]]:
    tree, page_url = ctx.tree, ctx.url
    base = _base(ctx)
    body = tree.find("body")
    body = body if body is not None else tree
    letters: list[dict[str, Any]] = []
    consumed: list[Any] = []
    for table in body.iter("table"):
        if any(table is c or any(table is d for d in c.iterancestors()) for c in consumed):
            continue
        found = _table_letters(table, base, ref)
        if found is not None:
            consumed.append(table)
            letters.extend(found)

    in_tables = {el for t in consumed for el in t.iter()}  # one set, not every piece's ancestors per table
    every = _pieces([body])
    pieces = [p for p in every if p.el not in in_tables]
    anchors, labelled = _anchors(pieces)
    detail_labels = [labelled[r] for r in ("content", "reply_text") if r in labelled]
    main: Any | None = None
    if detail_labels:
        # A letter's own page: its anchor is the one nearest its content / reply section.
        def depth(a: Any) -> int:
            common = _lca([a, detail_labels[0]])
            return sum(1 for _ in common.iterancestors()) if common is not None else -1
        main = max(anchors, key=depth) if anchors else None
    roots = _RecordRoots(anchors)
    record_pieces = _RecordPieces(every)
    list_roots: list[list[Any]] = []
    for a in anchors:
        if len(letters) >= _MAX_LETTERS:
            break  # only the first _MAX_LETTERS are kept: reading the rest of a 5,000-letter list was 90 % of its cost
        if a is main:
            continue
        recs = roots.of(a)
        link = roots.title_link(recs)
        rec_pieces = record_pieces.of(recs)
        fields = _read_fields(rec_pieces)
        unlinked = _unlinked_title(fields) if link is None and len(anchors) > 1 else None
        if link is None and "title" not in fields.values and unlinked is None:
            continue
        url = _link_url(link, base) if link is not None else None
        if main is None and len(anchors) == 1 and (url is None or url == page_url):
            break  # a single record without a link elsewhere is the page's own letter: read it below as detail
        title: str | None = _link_title(link) if link is not None else fields.values.get("title", unlinked)
        if "title" in fields.values and link is not None and len(fields.values["title"]) > len(title or ""):
            title = fields.values["title"]
        list_roots.append(recs)
        letters.append(_letter(fields, source="list", url=url, title=title, ref=ref, unlabelled_dates=True))
    is_detail = bool(detail_labels) or (len(anchors) == 1 and not list_roots)
    if is_detail:
        in_list = {id(d) for recs in list_roots for r in recs for d in r.iter()}
        own = [p for p in pieces if id(p.el) not in in_list]
        fields = _read_fields(own)
        title = fields.values.get("title") or _heading_title(ctx, meta)
        if title and (fields.values.keys() & {"asked", "asked_generic", "replied", "status", "reply_text", "content"}):
            letters.append(_letter(fields, source="detail", url=page_url, title=title, ref=ref,
                                   unlabelled_dates=False))
    return letters[:_MAX_LETTERS]


_LETTER_WORDS = re.compile("|".join(w for w in ROLE_WORDS["asked"] if w not in ("提交时间", "提交日期")))


def _letter_specific(body: Any) -> bool:
    """Letter vocabulary on a page outside any recognised channel (来信时间, 留言时间 …, not a bare 时间)."""
    return body is not None and _LETTER_WORDS.search(body.text_content()) is not None


def extract(ctx: PageContext) -> dict[str, Any]:
    """Channel and letters of one page (see the module docstring for the fact keys)."""
    tree = ctx.tree
    ref = ctx.as_of or date.today()
    meta = _meta(ctx.elements("meta"))
    channel = _channel(ctx, meta)
    body = tree.find("body")
    letters: list[dict[str, Any]] = []
    if channel is not None or _letter_specific(body):
        letters = _letters(ctx, meta, ref)
    facts: dict[str, Any] = {"channel": channel, "letters": letters}
    if ctx.is_home or channel is not None:
        links = _channel_links(anchors_of(ctx, tree), _base(ctx))
        if links:
            facts["channel_links"] = links
    return facts
