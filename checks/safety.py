"""Content safety (veto.security, indicators.md §1.2): hidden links, injected scripts, serious errors, private data.

Reads what the ``identity`` and ``content`` extractors gathered; decides here what the rule set allows, so a
province can widen an allow-list or a label list and re-score a stored scan (``govaudit report``) without a
re-crawl.  The dictionaries themselves are read by the crawl (``govaudit/dictionary.py``); their bad lines are
reported here, with file and line, as ``content.dictionary_error``.

Grouping, so one injected footer does not read as 40,000 findings: hidden links and injected scripts are one
finding per target host, with the number of pages and examples; serious errors one per page and term; private
data one per page and kind of number.

Attachments (PDF, DOCX, XLSX) read by the crawl (``crawler/extract/attachments.py``) carry the same facts as
pages, each match with where in the file it lies: their findings name the attachment (the finding's URL), the
pages linking it and the page, sheet or paragraph.  An attachment whose text could not be read (encrypted,
corrupt, a zip bomb, over a cap or the budget) is ``content.attachment_unread``, one finding per reason.
Off-site link targets whose page carries a word of the rule set's off-site lists (外链变异) are
``content.offsite_prohibited``, one per target, on the first page linking it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any
from urllib.parse import urlsplit

from govaudit.checks.plugin import CheckPlugin, Field, Hit, RuleMeta, T
from lxml import etree

from govaudit.dictionary import load_all, load_paths, resolve_paths
from govaudit.readings import compile_hiding, format_of
from govaudit.ruleset import RuleSet
from govaudit.store import ScanView

UNREAD_REASONS = {
    "encrypted": T("加密，无法读取", "encrypted"), "corrupt": T("文件损坏", "corrupt"),
    "zip_bomb": T("解压后过大（疑似压缩炸弹）", "too large unzipped (a zip bomb)"),
    "too_large": T("超过下载上限，未读取", "over the download cap, not read"),
    "page_cap": T("页数超过上限，仅读取前面部分", "over the page cap: read in part"),
    "char_cap": T("文字超过上限，仅读取前面部分", "over the text cap: read in part"),
    "analysis_budget": T("读取超时，已放弃", "over the analysis budget: abandoned"),
    "truncated": T("下载未完成", "download cut short"),
    "html_page": T("返回网页而非文件", "answered a web page, not the file"),
    "not_read": T("未下载读取（超过每次扫描的附件数上限、重试后仅检查链接，或扫描时规则未开启）",
                  "not downloaded (over the per-scan attachment cap, only checked after a re-test, or the rule was off)"),
}
KIND_WORDS = {"id_number": T("身份证号", "identity number"), "mobile": T("手机号", "mobile number"),
              "bank_card": T("银行卡号", "bank card number")}


def host_matches(host: str, patterns: Iterable[str]) -> bool:
    """``host`` is one of ``patterns`` or under one (``.gov.cn`` and ``gov.cn`` both cover ``www.bd.gov.cn``)."""
    for p in patterns:
        p = p.lower().lstrip(".")
        if host == p or host.endswith("." + p):
            return True
    return False


def _site_hosts(view: ScanView) -> list[str]:
    host = (urlsplit(view.start_url).hostname or "").lower()
    return [host.removeprefix("www.")] if host else []


class _Grouped:
    """Findings grouped by a key: first page's URL, page count, example pages and one example item.

    The pages stream by one at a time and each page's items come together, so a page is counted once per key
    by comparing it with the key's last page: of the pages nothing but the examples is held (issue 16)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: dict[str, dict[str, Any]] = {}

    def add(self, key: str, page: str, item: dict[str, Any]) -> None:
        g = self.items.setdefault(key, {"first": page, "item": item, "pages": 0, "examples": [], "last": None})
        if page == g["last"]:  # two hidden links to one host on one page: one page
            return
        g["last"] = page
        g["pages"] += 1
        if len(g["examples"]) < self.limit:
            g["examples"].append(page)

    def extend(self, later: _Grouped) -> None:
        """``later``'s groups after these, as if its items had all been added after these ones (``later`` must
        hold, under a key, only pages not counted here under it)."""
        for key, h in later.items.items():
            g = self.items.get(key)
            if g is None:
                self.items[key] = h
            else:
                g["pages"] += h["pages"]
                g["examples"] = (g["examples"] + h["examples"])[:self.limit]


def _chain_tree(chain: list[list[str]]) -> tuple[Any, list[Any]]:
    """The elements above a link (``link_chains``) rebuilt as a one-branch tree a selector can run on.  Exact
    for descendant and child combinators, class, id and tag; sibling combinators and ``:nth-child`` see only
    this branch (no siblings), so they may miss, never invent, a match of a subject on the branch."""
    root = etree.Element("html")
    parent = etree.SubElement(root, "body")
    branch = []
    for tag, ident, cls in chain:
        try:
            parent = etree.SubElement(parent, tag or "div", {k: v for k, v in (("id", ident), ("class", cls)) if v})
        except ValueError:  # a tag name lxml refuses (hostile markup): a neutral element keeps the branch
            parent = etree.SubElement(parent, "div")
        branch.append(parent)
    return root, branch


def sheet_hidden_links(view: ScanView, facts: Any, sheets: dict[str, tuple[Any, ...]]) -> Iterator[dict[str, str]]:
    """The page's off-host links that a same-site style sheet it links hides: the sheet's ``css_hiding`` (read
    by the crawl) matched against the page's ``link_chains``.  ``sheets``: each sheet's compiled rules, read
    once per scan."""
    chains, urls = facts.get("link_chains"), facts.get("stylesheets")
    if not chains or not urls:
        return
    rules = []
    for css in urls:
        if css not in sheets:
            rec = view.get(css)
            pairs = rec.facts.get("css_hiding") if rec and rec.facts else None
            sheets[css] = compile_hiding(tuple(tuple(p) for p in pairs)) if pairs else ()
        rules += [(css, rule) for rule in sheets[css]]
    if not rules:
        return
    for held in chains:
        root, branch = _chain_tree(held["chain"])
        on_branch = set(branch)
        how = next((f"{selector} {{{decl}}}（{css}）" for css, (selector, decl, xpath) in rules
                    if any(el in on_branch for el in xpath(root))), None)
        if how is not None:
            for link in held["links"]:
                yield {**link, "how": how}


class _Hosts:
    """Hidden off-site links and scripts or frames from hosts not allowed, grouped by host as the pages stream
    by (``add`` each page, then ``hits``).  A host's finding counts the pages hiding a link to it inline first,
    then those whose style sheets hide one, as the whole list of in-page links then of sheet-hidden links would."""

    def __init__(self, view: ScanView, rules: RuleSet) -> None:
        self.view = view
        self.allowed = [*_site_hosts(view), *rules.param("safety.allowed_hosts")]
        self.embed_allowed = [*self.allowed, *rules.param("safety.allowed_embed_hosts")]
        limit = int(rules.param("safety.examples_per_finding"))
        self.hidden, self.by_sheet, self.embeds = _Grouped(limit), _Grouped(limit), _Grouped(limit)
        self.sheets: dict[str, tuple[Any, ...]] = {}

    def _off_site(self, link: dict[str, str]) -> str:
        """The link's host when it is neither the site's nor allowed, else ''."""
        host = (urlsplit(link["url"]).hostname or "").lower()
        return host if host and not host_matches(host, self.allowed) else ""

    def add(self, url: str, facts: Any) -> None:
        inline = set()
        for link in facts.get("hidden_links") or []:
            if host := self._off_site(link):
                self.hidden.add(host, url, link)
                inline.add(host)
        for link in sheet_hidden_links(self.view, facts, self.sheets):
            if (host := self._off_site(link)) and host not in inline:  # a page counts once per host
                self.by_sheet.add(host, url, link)
        for embed in facts.get("embeds") or []:
            if not host_matches(embed["host"], self.embed_allowed):
                self.embeds.add(embed["host"], url, embed)

    def hits(self) -> Iterator[Hit]:
        self.hidden.extend(self.by_sheet)
        for host, g in self.hidden.items.items():
            item = g["item"]
            yield Hit("content.hidden_link", g["first"], evidence={
                "target": item["url"], "host": host, "anchor": item.get("anchor", ""), "how": item["how"],
                "pages": g["pages"], "examples": g["examples"]}, extra={"discriminator": host})
        for host, g in self.embeds.items.items():
            item = g["item"]
            yield Hit("content.injected_script", g["first"], evidence={
                "target": item["url"], "host": host, "tag": item["tag"], "pages": g["pages"], "examples": g["examples"]},
                extra={"discriminator": host})


_PLACES = {  # where in an attachment a match lies, as each report language says it
    "page": T("第 {page} 页", "page {page}"),
    "sheet": T("工作表“{sheet}”第 {row} 行", "sheet \u201c{sheet}\u201d, row {row}"),
    "table": T("表格 {table} 第 {row} 行", "table {table}, row {row}"),
    "paragraph": T("第 {paragraph} 段", "paragraph {paragraph}"),
}


def location(where: dict[str, Any] | None, lang: str = "zh") -> str:
    """Where in an attachment a match lies, in words of ``lang``.  Evidence keeps ``where`` itself (the report
    labels its keys in its own language); the words go into the message."""
    if not where:
        return ""
    kind = next((k for k in ("page", "sheet", "table") if k in where), "paragraph")
    return _PLACES[kind][lang].format_map(defaultdict(lambda: "?", where))


def _terms(url: str, facts: Any) -> Iterator[Hit]:
    """A page's (or an attachment's) serious errors and prohibited words: one Hit per term."""
    seen: set[str] = set()
    for match in facts.get("serious_terms") or []:
        if match["term"] in seen:
            continue
        seen.add(match["term"])
        count = sum(1 for m in facts["serious_terms"] if m["term"] == match["term"])
        rule = "content.serious_error" if match["kind"] == "wrong" else "content.prohibited_word"
        evidence = {"term": match["term"], "sentence": match["sentence"], "count": count}
        if match.get("expected"):
            evidence["expected"] = match["expected"]
        if "where" in match:
            evidence["location"] = match["where"]
        yield Hit(rule, url, evidence=evidence, extra={"discriminator": match["term"]})


class _Private:
    """Private data, one Hit per page (or attachment) and kind of number; the rule set's labels read once."""

    def __init__(self, rules: RuleSet) -> None:
        self.labels = [str(l) for l in rules.param("safety.public_phone_labels")]
        self.limit = int(rules.param("safety.examples_per_finding"))

    def __call__(self, url: str, facts: Any) -> Iterator[Hit]:
        limit = self.limit
        kept: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in facts.get("private_data") or []:
            if item["kind"] == "mobile" and any(l in item.get("before", "") for l in self.labels):
                continue  # an office's published contact line
            kept[item["kind"]].append(item)
        truncated = bool(facts.get("content_truncated"))
        counts = facts.get("private_data_counts") or {}
        for kind, items in kept.items():
            # numbers past the extractor's listing cap are counted, not listed (nor label-filtered)
            listed = sum(1 for i in facts["private_data"] if i["kind"] == kind)
            count = len(items) + max(0, int(counts.get(kind, listed)) - listed)
            evidence = {"kind": kind, "count": count, "first": items[0]["masked"],
                        "examples": [i["masked"] for i in items[:limit]], "sentence": items[0]["sentence"],
                        "truncated": truncated}
            if "where" in items[0]:
                evidence["location"] = items[0]["where"]
                evidence["locations"] = [i["where"] for i in items[:limit]]
            yield Hit("content.private_data", url, evidence=evidence, extra={"discriminator": kind})


_PAGE = {"at": "", "at_en": "", "place": "页面", "place_en": "on the page"}


def _in_file(where: dict[str, Any] | None) -> dict[str, str]:
    """The message parts that name an attachment and the place in it (``{at}`` / ``{place}`` of the templates)."""
    zh, en = location(where, "zh"), location(where, "en")
    zh, en = ("附件（" + zh + "）", " (" + en + ")") if where else ("附件", "")
    return {"at": zh + "：", "at_en": "In the attachment" + en + ": ", "place": zh, "place_en": "in the attachment" + en}


def _attachments(view: ScanView, rules: RuleSet) -> Iterator[Hit]:
    """Findings in attachments' text, each naming the pages that link the attachment; and the attachments
    whose text could not be read, one finding per reason."""
    limit = int(rules.param("safety.examples_per_finding"))
    private = _Private(rules)
    terms_hits: list[Hit] = []  # held until every attachment is read: the terms' findings come before the others
    private_hits: list[Hit] = []
    unread = _Grouped(limit)
    for rec in view.urls("resource"):
        if rec.facts and "attachment" in rec.facts:
            terms_hits += _terms(rec.url, rec.facts)
            private_hits += private(rec.url, rec.facts)
            if (reason := rec.facts["attachment"].get("reason")) in UNREAD_REASONS:
                unread.add(reason, rec.url, rec.facts["attachment"])
        elif rec.status == 200 and format_of(rec.url):  # a readable attachment that answered, never downloaded
            unread.add("not_read", rec.url, {})
    for hit in chain(terms_hits, private_hits):
        hit.evidence["attachment"] = hit.url
        hit.evidence["linked_from"] = [r.source for r in view.refs(hit.url, limit)]
        hit.extra.update(_in_file(hit.evidence.get("location")))
        yield hit
    for reason, g in unread.items.items():
        yield Hit("content.attachment_unread", g["first"], evidence={
            "reason": reason, "pages": g["pages"], "examples": g["examples"], "error": g["item"].get("error", "")},
            extra={"discriminator": reason, "reason_zh": UNREAD_REASONS[reason]["zh"], "reason_en": UNREAD_REASONS[reason]["en"]})


def _offsite(view: ScanView, rules: RuleSet) -> Iterator[Hit]:
    """Off-site link targets whose page carries words of the off-site lists: one finding per target."""
    limit = int(rules.param("safety.examples_per_finding"))
    for rec in view.urls("external"):
        found = (rec.facts.get("offsite") if rec.facts else None) or {}
        if not found.get("words"):
            continue
        refs = list(view.refs(rec.url, limit))
        yield Hit("content.offsite_prohibited", refs[0].source if refs else view.start_url, evidence={
            "target": rec.url, "host": (urlsplit(rec.url).hostname or "").lower(),
            "words": [w["term"] for w in found["words"]], "count": sum(w["count"] for w in found["words"]),
            "excerpt": found.get("excerpt", ""), "pages": view.ref_count(rec.url), "examples": [r.source for r in refs]},
            extra={"discriminator": rec.url, "words_text": "、".join(w["term"] for w in found["words"]),
                   "words_en": ", ".join(w["term"] for w in found["words"])})


def run(view: ScanView, rules: RuleSet) -> Iterator[Hit]:
    """One streaming pass over the pages feeding each rule: hidden links and embeds grouped by host, serious
    terms and private data as the Hits they are (those pages' findings, held because the host findings come
    first).  Nothing of a page without a finding is held (issue 16)."""
    hosts, private = _Hosts(view, rules), _Private(rules)
    terms_hits: list[Hit] = []
    private_hits: list[Hit] = []
    for rec in view.pages():
        if rec.facts:
            hosts.add(rec.url, rec.facts)
            terms_hits += _terms(rec.url, rec.facts)
            private_hits += private(rec.url, rec.facts)
    yield from hosts.hits()
    for hit in chain(terms_hits, private_hits):
        hit.extra.update(_PAGE)
        yield hit
    yield from _attachments(view, rules)
    errors = load_all().errors
    if rules.enabled("content.offsite_prohibited"):
        yield from _offsite(view, rules)
        errors += load_paths(resolve_paths(rules.param("safety.offsite_dictionaries"))).errors
    for error in errors:
        yield Hit("content.dictionary_error", view.start_url, evidence={"error": error},
                  extra={"discriminator": error.split(": ", 1)[0]})


# -- what this check is (govaudit/checks/plugin.py); registered in pyproject.toml [project.entry-points] --
FIELDS: dict[str, Field] = {
    "target": Field(T("目标地址", "Target"), kind="url"),
    "host": Field(T("目标主机", "Host")),
    "anchor": Field(T("链接文字", "Anchor text"), optional=True),
    "how": Field(T("隐藏方式", "Hidden by")),
    "tag": Field(T("载入方式", "Loaded by")),
    "pages": Field(T("页面数", "Pages"), kind="count"),
    "examples": Field(T("示例", "Examples"), kind="list"),
    "term": Field(T("命中词", "Matched term")),
    "expected": Field(T("正确表述", "Expected form"), optional=True),
    "sentence": Field(T("所在语句", "Sentence")),
    "count": Field(T("次数", "Count"), kind="count"),
    "kind": Field(T("类别", "Kind"), values=KIND_WORDS),
    "first": Field(T("号码（脱敏）", "Number (masked)")),
    "truncated": Field(T("页面候选数字过多，仅检查了前一部分", "Too many candidate numbers: only the first were examined"), kind="bool"),
    "error": Field(T("错误", "Error"), optional=True),
    "location": Field(T("附件中位置", "Where in the file"), optional=True),
    "locations": Field(T("各号码位置", "Where each number is"), kind="list", optional=True),
    # the keys of a location (crawler/extract/attachments.py): the report labels them in its language
    "page": Field(T("页", "Page")),
    "sheet": Field(T("工作表", "Sheet")),
    "row": Field(T("行", "Row")),
    "table": Field(T("表格", "Table")),
    "paragraph": Field(T("段", "Paragraph")),
    "attachment": Field(T("附件", "Attachment"), kind="url", optional=True),
    "linked_from": Field(T("链接该附件的页面", "Pages linking it"), kind="list", optional=True),
    "reason": Field(T("原因", "Reason"), values=UNREAD_REASONS),
    "words": Field(T("命中词", "Words found"), kind="list"),
    "excerpt": Field(T("摘录（已遮盖）", "Excerpt (masked)")),
}

RULES: dict[str, RuleMeta] = {
    "content.hidden_link": RuleMeta(
        title=T("暗链（隐藏的站外链接）", "Hidden off-site link"),
        help=T("页面中以 display:none、visibility:hidden、移出屏幕、零尺寸或与背景同色等方式隐藏、指向站外非政府网站的链接，常见于网站被篡改（挂暗链）。",
               "A link hidden by inline style or attribute (display:none, off-screen, zero size, text in the background colour) pointing to a non-government site outside the site: a sign of tampering."),
        severity="veto",
        message={"zh": "{pages} 个页面含隐藏链接（{how}）指向 {host}：{target}",
                 "en": "{pages} pages carry a hidden link ({how}) to {host}: {target}"}),
    "content.injected_script": RuleMeta(
        title=T("不在允许列表中的外部脚本或框架", "Script or frame from a host not allowed"),
        help=T("页面载入的脚本或 iframe 来自不在规则集允许列表（params.safety）中的站外主机，可能为被注入的代码，需人工确认。",
               "A script or iframe is loaded from an off-site host not in the rule set's allow-list (params.safety): possibly injected; confirm by hand."),
        severity="warn",
        message={"zh": "{pages} 个页面载入来自 {host} 的{tag}：{target}", "en": "{pages} pages load a {tag} from {host}: {target}"}),
    "content.serious_error": RuleMeta(
        title=T("严重表述错误", "Serious wording error"),
        help=T("页面中出现词典所列的错误表述（领导人姓名职务、国家和党的名称、固定提法的错误写法）。",
               "The page contains a wrong form listed in the serious-error dictionary (leaders' names and titles, the names of the state and the Party, fixed formulations)."),
        severity="veto",
        message={"zh": "{at}“{term}”应为“{expected}”：{sentence}", "en": "{at_en}\u201c{term}\u201d should read \u201c{expected}\u201d: {sentence}"}),
    "content.prohibited_word": RuleMeta(
        title=T("禁用词", "Prohibited word"),
        help=T("页面中出现词典所列的禁用词（赌博、色情等）。", "The page contains a word on the prohibited list (gambling, pornography …)."),
        severity="veto",
        message={"zh": "{at}出现禁用词“{term}”：{sentence}", "en": "{at_en}Prohibited word \u201c{term}\u201d: {sentence}"}),
    "content.private_data": RuleMeta(
        title=T("疑似泄露个人隐私", "Possible personal data exposure"),
        help=T("页面中出现通过校验的身份证号（GB 11643 校验码）、手机号或银行卡号（Luhn 校验）；已脱敏显示，原号码不保存。办公、咨询等公开电话不计。",
               "The page shows identity numbers passing the GB 11643 check digit, mobile numbers or bank card numbers passing Luhn; shown masked, never stored in clear. Published office lines are not counted."),
        severity="warn",
        message={"zh": "{place}含 {count} 个疑似个人信息号码（如 {first}，已脱敏）：{sentence}",
                 "en": "{count} personal numbers {place_en} (e.g. {first}, masked): {sentence}"}),
    "content.dictionary_error": RuleMeta(
        title=T("词典条目有误", "Bad dictionary entry"),
        help=T("严重表述错误词典中的条目无法使用，已跳过（文件与行号见证据）。", "A dictionary entry could not be used and was skipped (file and line in the evidence)."),
        severity="info",
        message={"zh": "词典条目已跳过：{error}", "en": "Dictionary entry skipped: {error}"}),
    "content.offsite_prohibited": RuleMeta(
        title=T("外链目标含禁止内容", "Off-site link target carries prohibited content"),
        help=T("站外链接指向的页面（仅在规则开启时抓取一次）含规则集站外词表（params.safety.offsite_dictionaries）中的赌博、色情等词语，可能为外链变异，需人工确认。",
               "The page an off-site link points to (fetched once, only while this rule is on) carries words of the rule set's off-site lists (gambling, pornography …): the linked site may have changed hands; confirm by hand."),
        severity="warn",
        message={"zh": "{pages} 个页面链接的 {target} 含禁止内容（{words_text}）：{excerpt}",
                 "en": "{target}, linked from {pages} pages, carries prohibited words ({words_en}): {excerpt}"}),
    "content.attachment_unread": RuleMeta(
        title=T("附件文字未能读取", "Attachment text not read"),
        help=T("这些附件（PDF、DOCX、XLSX）的文字未能（全部）读取，未检查其中的个人信息与表述错误：加密、损坏、疑似压缩炸弹、超过大小或页数上限、读取超时。",
               "The text of these attachments (PDF, DOCX, XLSX) could not be read (in full) for personal data and wording errors: encrypted, corrupt, a zip bomb, over a size or page cap, over the analysis budget."),
        severity="info",
        message={"zh": "{pages} 个附件未能读取（{reason_zh}）", "en": "{pages} attachments not read ({reason_en})"}),
}

PLUGIN = CheckPlugin(
    id="safety",
    title=T("内容安全", "Content safety"),
    run=run,
    rules=RULES,
    families={"content": T("内容安全", "Content safety")},
    fields=FIELDS,
    needs=("hidden_links", "embeds", "serious_terms", "private_data", "private_data_counts", "link_chains", "stylesheets"),
    extractors=("identity", "content"),  # attachments and off-site targets: read by the crawl (CrawlConfig)
    order=15,
)
