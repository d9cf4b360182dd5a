"""Site identity (网站标识, 指引 §4.1) and page tags (网页标签, 网页设计规范 §4.2), judged per template.

Footers and ``<meta>`` blocks come from a CMS template, so a missing identifier is one problem of the
template, not one per page: pages are grouped by the ``template`` signature (``crawler/extract/a11y_static.py``)
and judged per template; the templates with the same problem are reported once, with how many pages show
it and a few of them from each template.  A
template is at fault when more than ``params.identity.template_share`` of its pages are, so one odd page
does not condemn its template.  Every finding says what was expected and what was found.

HTTPS: the crawl's probe (``crawler/https_probe.py``, host fact ``https_probe``) says whether port 443 answers
TLS and whether its certificate verifies; whether HTTP redirects there comes from the homepage's redirects (a
crawl started at http://) or the ``http_probe`` host fact (one started at https://).  ``identity.https`` says
both; an invalid certificate is its own fact, ``identity.https_certificate``.  A store from before the probe
says only what the homepage showed, and that port 443 was not tested.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from govaudit.checks.plugin import CheckPlugin, Field, Hit, RuleMeta, T, keep_smallest

from govaudit.ruleset import RuleSet
from govaudit.store import ScanView


@dataclass(slots=True)
class PageInfo:
    url: str
    template: str
    kind: str
    identity: dict[str, Any] | None  # None: the identity extractor did not run on this page (an older store)
    meta: dict[str, str]  # names lower-cased
    depth: int = 0  # links from the start page: a template's shallowest page stands for it (trap chains vary by crawl)


def _page_infos(view: ScanView) -> Iterator[PageInfo]:
    """Each page's identity facts, one at a time: only the per-template tallies outlive a page."""
    for rec in view.pages():
        facts: Any = rec.facts or {}
        if "identity" not in facts and "meta" not in facts:
            continue
        meta = {str(k).lower(): v for k, v in (facts.get("meta") or {}).items()}
        yield PageInfo(rec.url, facts.get("template") or "-", facts.get("kind") or "other",
                       facts.get("identity"), meta, rec.depth)


Problem = Callable[[PageInfo], "str | None"]
Key = tuple[bool, int, str]  # a failing page's rank in its template: the homepage, then the shallowest, then by URL


@dataclass(slots=True)
class Judging:
    """What every per-template verdict needs: the rule set's share and example count, the homepage."""

    share: float
    examples: int
    home: str

    def key(self, p: PageInfo) -> Key:
        # The shallowest page first: which deep pages of a template are crawled depends on the crawl's timing
        # (a calendar trap's far months, past the trap guard's cap), its entry page does not.
        return (p.url != self.home, p.depth, p.url)


@dataclass(slots=True)
class _Group:
    """One template's tally for one rule: its size, its failing pages' count and reasons, and only the first
    failing pages a finding can list, so that judging a 100,000-page site holds no page of it (issue 16)."""

    pages: int = 0
    failing: int = 0
    whys: dict[str, list[Any]] = field(default_factory=dict)  # why -> [count, its first page's key]
    first: list[Key] = field(default_factory=list)  # the failing pages' keys, first ones only, in order

    def add(self, why: str, key: Key, keep: int) -> None:
        self.failing += 1
        seen = self.whys.get(why)
        if seen is None:
            self.whys[why] = [1, key]
        else:
            seen[0] += 1
            seen[1] = min(seen[1], key)
        keep_smallest(self.first, key, keep)

    @property
    def what(self) -> str:
        """The most common reason; a tie goes to the reason of the template's first failing page."""
        return min(self.whys, key=lambda why: (-self.whys[why][0], self.whys[why][1]))


@dataclass(slots=True)
class Tally:
    """A rule judged per template in one pass over the pages: ``add`` each page, then ``hits``.  ``order`` is
    the dict of each template's smallest URL the tallies share (the templates are judged in that order)."""

    rule: str
    problem: Problem
    expected: str
    how: Judging
    order: dict[str, str]
    discriminator: str = ""
    kinds: set[str] | None = None  # page kinds in the rule's scope (None: every kind)
    groups: dict[str, _Group] = field(default_factory=dict)

    def add(self, p: PageInfo) -> None:
        if self.kinds is not None and p.kind not in self.kinds:
            return
        group = self.groups.get(p.template)
        if group is None:
            group = self.groups[p.template] = _Group()
        group.pages += 1
        if (why := self.problem(p)) is not None:
            group.add(why, self.how.key(p), max(1, self.how.examples))

    def hits(self) -> Iterator[Hit]:
        """Each template is at fault when more than ``share`` of its pages have ``problem``; the templates at
        fault with the same finding (one site-wide footer, 38 layouts) are one Hit, naming them all."""
        how = self.how
        at_fault: dict[str, list[tuple[str, _Group]]] = defaultdict(list)  # found -> [(template, its tally)]
        for template in sorted(self.groups, key=self.order.__getitem__):
            group = self.groups[template]
            if not group.failing or group.failing / group.pages <= how.share:
                continue
            at_fault[group.what].append((template, group))
        for what, templates in at_fault.items():
            templates.sort(key=lambda t: (t[1].first[0][0], -t[1].failing, t[0]))
            # examples: each template's first page, then the rest in turn, so every layout is represented
            examples = [g.first[0][2] for _, g in templates] + [k[2] for _, g in templates for k in g.first[1:]]
            yield Hit(self.rule, templates[0][1].first[0][2],
                      evidence={"expected": self.expected, "found": what, "templates": [t for t, _ in templates],
                                "template_count": len(templates), "pages": sum(g.failing for _, g in templates),
                                "template_pages": sum(g.pages for _, g in templates),
                                "examples": examples[:how.examples]},
                      extra={"discriminator": f"{self.discriminator}:{what}" if self.discriminator else what})


# -- identity ---------------------------------------------------------------------------------------------------
def _site_id(pattern: re.Pattern[str]) -> Problem:
    def problem(p: PageInfo) -> str | None:
        ident = p.identity or {}
        code, meta = ident.get("site_id"), p.meta.get("siteidcode")
        if not code:
            return "页脚未见网站标识码"
        if not pattern.fullmatch(code):
            return f"网站标识码“{code}”格式不符"
        if meta and meta != code:
            return f"页脚网站标识码“{code}”与 SiteIDCode 标签“{meta}”不一致"
        return None
    return problem


def _icp(p: PageInfo) -> str | None:
    ident = p.identity or {}
    number = ident.get("icp")
    if not number:
        return "页脚未见ICP备案编号"
    if not ident.get("icp_link"):
        return f"ICP备案编号“{number}”未链接到 beian.miit.gov.cn"
    return None


def _police(digits: int) -> Problem:
    def problem(p: PageInfo) -> str | None:
        ident = p.identity or {}
        number = ident.get("police")
        if not number:
            return "页脚未见公安机关备案号（公网安备）"
        if len(number) != digits:
            return f"公安机关备案号“{number}”为 {len(number)} 位"
        if not ident.get("police_link"):
            return f"公安机关备案号“{number}”未链接到 beian.gov.cn"
        return None
    return problem


def _present(key: str, missing: str) -> Problem:
    return lambda p: None if (p.identity or {}).get(key) else missing


def _named_host(host: str) -> bool:
    """A host a domain rule can judge: not an address or localhost (a staging copy has no domain of its own)."""
    return bool(host) and host != "localhost" and not re.fullmatch(r"[\d.]+|[0-9a-f:]+", host)


def _site_rules(view: ScanView, rules: RuleSet) -> Iterator[Hit]:
    home = view.page(view.start_url)
    url = home.url if home else view.start_url
    host = (urlsplit(url).hostname or "").lower()
    suffixes = [s.lower() for s in rules.param("identity.domain_suffixes")]
    if _named_host(host) and not any(host.endswith(s) for s in suffixes):
        yield Hit("identity.domain", url, evidence={"expected": "、".join(suffixes), "found": host})
    yield from _https(view, home, url)


def _https(view: ScanView, home: Any, url: str) -> Iterator[Hit]:
    facts = next((f for f in view.hosts().values() if "https_probe" in f or "http_probe" in f), {})  # the site's host
    probe, plain = facts.get("https_probe"), facts.get("http_probe")
    served_http = home is not None and urlsplit(home.final_url or home.url).scheme == "http"
    if plain is not None:  # a crawl started at https://: http:// asked once
        redirected: bool | None = bool(plain.get("to_https"))
    else:
        redirected = None if home is None else not served_http
    if probe is None or probe.get("error") == "not_finished":  # a store from before the probe, or a stopped scan
        if served_http:
            yield Hit("identity.https", url, evidence={
                "expected": "HTTP 访问重定向到 HTTPS", "found": "首页经 HTTP 提供，未重定向到 HTTPS（是否提供 HTTPS 未检测）"})
        return
    port = probe.get("port", 443)
    evidence = {"expected": f"{port} 端口提供 HTTPS，HTTP 访问重定向到 HTTPS", "https_offered": bool(probe.get("offered")),
                "http_redirects": redirected}
    if not probe.get("offered"):
        yield Hit("identity.https", url, evidence={**evidence, "found": f"{port} 端口未提供 HTTPS（{probe.get('error', '')}）"
                                                   + ("" if redirected is None else "，HTTP 访问未重定向到 HTTPS")})
    elif redirected is False:
        plain_error = f"（HTTP 访问失败：{plain['error']}）" if plain and plain.get("error") else ""
        yield Hit("identity.https", url, evidence={**evidence,
                                                   "found": f"{port} 端口提供 HTTPS，但 HTTP 访问未重定向到 HTTPS{plain_error}"})
    if probe.get("offered") and probe.get("cert_valid") is False:
        yield Hit("identity.https_certificate", url, evidence={
            "expected": "浏览器可验证的证书（证书链与域名）", "found": f"证书无效：{probe.get('cert_error', '')}"})


# -- meta tags --------------------------------------------------------------------------------------------------
def _missing_tag(tag: str) -> Problem:
    return lambda p: None if (p.meta.get(tag.lower()) or "").strip() else f"缺少 {tag} 标签"


def _meta_tallies(rules: RuleSet, how: Judging, host: str, order: dict[str, str]) -> list[Tally]:
    """The ``<meta>`` rules, in the order their findings come: each scope's tags, then the value formats."""
    scopes = rules.param("identity.meta_tags")  # {scope: {kinds: [...], tags: [...]}}
    rule_of = {"site": "meta.site_tags", "column": "meta.column_tags", "article": "meta.article_tags"}
    out = []
    for scope, spec in scopes.items():
        kinds = set(spec["kinds"])
        for tag in spec["tags"]:
            out.append(Tally(rule_of[scope], _missing_tag(tag), f"{tag} 标签（{scope}）", how, order, discriminator=tag,
                             kinds=None if "*" in kinds else kinds))
    pubdate = re.compile(rules.param("identity.pubdate_format"))
    vocab = set(rules.param("identity.column_types"))

    def bad_pubdate(p: PageInfo) -> str | None:
        value = p.meta.get("pubdate")
        return f"PubDate“{value}”" if value and not pubdate.fullmatch(value.strip()) else None

    def bad_type(p: PageInfo) -> str | None:
        value = (p.meta.get("columntype") or "").strip()
        return f"ColumnType“{value}”" if value and value not in vocab else None

    def bad_domain(p: PageInfo) -> str | None:
        value = (p.meta.get("sitedomain") or "").strip().lower()
        bare = re.sub(r"^https?://", "", value).rstrip("/")
        return f"SiteDomain“{value}”，网站为 {host}" if value and bare != host and _named_host(host) else None

    return out + [Tally("meta.pubdate_format", bad_pubdate, f"PubDate 格式 {pubdate.pattern}", how, order),
                  Tally("meta.columntype_vocab", bad_type, "ColumnType 取规范所列栏目类别之一", how, order),
                  Tally("meta.sitedomain_host", bad_domain, f"SiteDomain 为 {host}", how, order)]


@dataclass(slots=True)
class SiteIdCodes:
    """The pages' SiteIDCode tags: how many pages carry each code, and the first page (in the scan's order)
    that carries it."""

    counts: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)

    def add(self, p: PageInfo) -> None:
        if code := p.meta.get("siteidcode"):
            self.counts[code] += 1
            self.first.setdefault(code, p.url)

    def hits(self) -> Iterator[Hit]:
        if len(self.counts) > 1:
            (common, _), *others = self.counts.most_common()
            yield Hit("meta.siteidcode_consistent", self.first[others[0][0]], evidence={
                "expected": f"全站 SiteIDCode 一致（多数页面为 {common}）",
                "found": "、".join(f"{c}（{n} 页）" for c, n in self.counts.most_common()),
                "pages": sum(n for _, n in others)})


def _first_url(order: dict[str, str], p: PageInfo) -> None:
    if p.template not in order or p.url < order[p.template]:
        order[p.template] = p.url


def run(view: ScanView, rules: RuleSet) -> Iterator[Hit]:
    """One pass over the pages feeds every rule's per-template tally; the verdicts follow from the tallies."""
    home_rec = view.page(view.start_url)
    home = home_rec.url if home_rec else view.start_url
    host = (urlsplit(home).hostname or "").lower()
    how = Judging(float(rules.param("identity.template_share")), int(rules.param("identity.examples_per_finding")), home)
    # templates are judged in the order of their smallest URL, among the pages each group of rules judges
    every: dict[str, str] = {}
    with_footer: dict[str, str] = {}
    footers = [Tally(rule, problem, expected, how, with_footer) for rule, problem, expected in [
        ("identity.site_id_code", _site_id(re.compile(rules.param("identity.site_id_format"))),
         "页脚显示网站标识码（格式 " + rules.param("identity.site_id_format") + "），且与 SiteIDCode 标签一致"),
        ("identity.icp", _icp, "页脚显示ICP备案编号并链接到 beian.miit.gov.cn"),
        ("identity.police_record", _police(int(rules.param("identity.police_digits"))),
         f"页脚显示 {rules.param('identity.police_digits')} 位公安机关备案号并链接到 beian.gov.cn"),
        ("identity.conac", _present("conac", "未见 conac.cn 的党政机关网站标识"), "页脚有党政机关网站标识（conac.cn）"),
        ("identity.sponsor", _present("sponsor", "页脚未见主办单位"), "页脚显示网站主办单位"),
        ("identity.contact", _present("contact", "页脚未见联系方式"), "页脚显示联系方式"),
    ]]
    metas = _meta_tallies(rules, how, host, every)
    codes = SiteIdCodes()
    for p in _page_infos(view):
        _first_url(every, p)
        for tally in metas:
            tally.add(p)
        codes.add(p)
        if p.identity is not None:
            _first_url(with_footer, p)
            for tally in footers:
                tally.add(p)
    yield from _site_rules(view, rules)
    for tally in footers + metas:
        yield from tally.hits()
    yield from codes.hits()


# -- what this check is (govaudit/checks/plugin.py); registered in pyproject.toml [project.entry-points] --
FIELDS: dict[str, Field] = {
    "expected": Field(T("应为", "Expected")),
    "found": Field(T("实为", "Found")),
    "templates": Field(T("模板", "Templates"), kind="list"),
    "template_count": Field(T("模板数", "Templates"), kind="count"),
    "pages": Field(T("页面数", "Pages"), kind="count"),
    "template_pages": Field(T("模板页面总数", "Pages of the template"), kind="count", optional=True),
    "examples": Field(T("示例页面", "Example pages"), kind="list"),
    "https_offered": Field(T("提供 HTTPS", "HTTPS offered"), kind="bool", optional=True),
    "http_redirects": Field(T("HTTP 重定向到 HTTPS", "HTTP redirects to HTTPS"), kind="bool", optional=True),
}

_PER_TEMPLATE = {"zh": "{template_count} 个模板的 {pages} 个页面：应为{expected}，实为{found}",
                 "en": "{template_count} templates, {pages} pages: expected {expected}; found {found}"}


def _rule(zh: str, en: str, help_zh: str, help_en: str, severity: str = "deduct",
          message: dict[str, str] | None = None) -> RuleMeta:
    return RuleMeta(title=T(zh, en), help=T(help_zh, help_en), severity=severity, message=message or _PER_TEMPLATE)


_SITE_MSG = {"zh": "应为{expected}，实为{found}", "en": "Expected {expected}; found {found}"}

RULES: dict[str, RuleMeta] = {
    "identity.site_id_code": _rule("网站标识码缺失或不符", "Site ID code missing or wrong",
                                   "页脚应显示政府网站标识码，格式正确并与 SiteIDCode 标签一致（指引 §4.1）。",
                                   "The footer must show the government site ID code, well formed and equal to the SiteIDCode tag."),
    "identity.icp": _rule("ICP备案编号缺失或未链接", "ICP record number missing or not linked",
                          "页脚应显示ICP备案编号并链接到工业和信息化部备案系统 beian.miit.gov.cn。",
                          "The footer must show the ICP record number linked to beian.miit.gov.cn."),
    "identity.police_record": _rule("公安机关备案号缺失或不符", "Public security record missing or wrong",
                                    "页脚应显示“X公网安备 NNNNNNNNNNNNNN号”（14位）并链接到 beian.gov.cn。",
                                    "The footer must show the 14-digit public security record number linked to beian.gov.cn."),
    "identity.conac": _rule("缺少党政机关网站标识", "Party and government site badge missing",
                            "页脚应悬挂党政机关网站标识（来自 conac.cn 的图标或链接）。",
                            "The footer must carry the conac.cn Party and government website badge."),
    "identity.sponsor": _rule("缺少主办单位", "Sponsor missing", "页脚应显示网站主办单位。", "The footer must name the site's sponsor."),
    "identity.contact": _rule("缺少联系方式", "Contact details missing", "页脚应显示联系方式。", "The footer must give contact details."),
    "identity.domain": _rule("域名不符合规范", "Domain not under .gov.cn",
                             "政府网站英文域名应以 .gov.cn 结尾（中文域名 .政务）。", "A government site's domain must end in .gov.cn (or .政务).",
                             message=_SITE_MSG),
    "identity.https": _rule("未使用 HTTPS", "HTTPS not used",
                            "网站应在 443 端口提供 HTTPS，且 HTTP 访问重定向到 HTTPS（指引未规定，作提示）。扫描时与站点主机握手一次 TLS，并检查 HTTP 是否重定向。",
                            "The site should offer HTTPS on port 443 and redirect HTTP to it (not in the guideline: a warning). The scan makes one TLS handshake with the site's host and checks the HTTP redirect.",
                            severity="warn", message=_SITE_MSG),
    "identity.https_certificate": _rule("HTTPS 证书无效", "HTTPS certificate invalid",
                                        "443 端口提供 HTTPS，但证书无法验证（自签名、过期、证书链不完整或与域名不符），浏览器会提示不安全。",
                                        "HTTPS is offered, but its certificate does not verify (self-signed, expired, incomplete chain or another name): browsers warn.",
                                        severity="warn", message=_SITE_MSG),
    "meta.site_tags": _rule("缺少网站标签", "Site tags missing", "每个页面应有 SiteName、SiteDomain、SiteIDCode 标签（网页设计规范）。",
                            "Every page must carry the SiteName, SiteDomain and SiteIDCode tags."),
    "meta.column_tags": _rule("缺少栏目标签", "Column tags missing", "栏目页应有 ColumnName、ColumnDescription、ColumnKeywords、ColumnType 标签。",
                              "Column pages must carry ColumnName, ColumnDescription, ColumnKeywords and ColumnType."),
    "meta.article_tags": _rule("缺少内容页标签", "Article tags missing", "内容页应有 ArticleTitle、PubDate、ContentSource 标签。",
                               "Article pages must carry ArticleTitle, PubDate and ContentSource."),
    "meta.pubdate_format": _rule("PubDate 格式不符", "PubDate badly formatted", "PubDate 应为 YYYY-MM-DD HH:MM 格式。",
                                 "PubDate must read YYYY-MM-DD HH:MM."),
    "meta.columntype_vocab": _rule("ColumnType 不在规范类别中", "ColumnType not in the vocabulary",
                                   "ColumnType 应取网页设计规范所列栏目类别之一。", "ColumnType must be one of the specification's column types."),
    "meta.sitedomain_host": _rule("SiteDomain 与网站域名不符", "SiteDomain differs from the host", "SiteDomain 应为网站的域名。",
                                  "SiteDomain must be the site's host."),
    "meta.siteidcode_consistent": _rule("SiteIDCode 全站不一致", "SiteIDCode differs between pages",
                                        "全站各页面的 SiteIDCode 应相同。", "Every page must carry the same SiteIDCode.",
                                        message={"zh": "应为{expected}，实为{found}", "en": "Expected {expected}; found {found}"}),
}

PLUGIN = CheckPlugin(
    id="identity",
    title=T("网站标识与网页标签", "Site identity and page tags"),
    run=run,
    rules=RULES,
    families={"identity": T("网站标识", "Site identity"), "meta": T("网页标签", "Page tags")},
    fields=FIELDS,
    needs=("identity", "meta", "template", "kind"),
    extractors=("identity", "core", "a11y_static", "freshness"),
    order=60,
)
