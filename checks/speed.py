"""Page speed (页面加载速度): what each page and resource cost to download, and how fast sampled pages render.

Two sources, both gathered once:

* the crawl — every page's and resource's final attempt carries its time to first byte, bytes, the
  ``Content-Encoding`` used and its caching headers (``crawler/transfer.py``); the references between pages
  and resources are the link check's, so a page's request count and weight need no extra request;
* the browser stage — on the accessibility sample, FCP, LCP, CLS, total blocking time and transferred bytes
  under the rule set's network and CPU profiles, desktop and mobile (``crawler/browser/metrics.py``, the
  ``speed`` artifact).

Page faults are properties of a template (the CMS puts the same banner on every article), so page rules
yield one finding per template and rule, with the number of pages and the worst examples; a heavy
resource is one finding per resource with the pages that use it.  Limits are the rule set's
(``params.speed``): Lighthouse's published good/poor lines for the load metrics.
"""

from __future__ import annotations

import statistics
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from govaudit.checks.plugin import Chart, CheckPlugin, Field, Hit, Ranking, RuleMeta, T, keep_smallest

from govaudit.model import UrlRecord, url_key
from govaudit.ruleset import RuleSet
from govaudit.store import ScanView

MAX_EXAMPLES = 10   # example pages kept per template finding (``pages`` keeps the count)
MAX_USERS = 20      # pages listed per heavy resource (``page_count`` keeps the count)
# Reference tags that make a browser request while the page loads (anchors and frames are other pages).
RESOURCE_TYPES = {"img": "image", "input": "image", "source": "media", "video": "media", "audio": "media",
                  "embed": "media", "script": "script", "link": "style"}
METRICS = ("fcp_ms", "lcp_ms", "cls", "tbt_ms", "transfer_bytes")
Offender = tuple[UrlRecord, float, dict[str, Any]]  # a page at fault, its value, its own evidence


def last_attempt(rec: UrlRecord) -> dict[str, Any]:
    return rec.attempts[-1] if rec.attempts else {}


def body_bytes(rec: UrlRecord) -> int | None:
    """Bytes of a URL's body: as read (pages) or as announced (checked resources, HEAD), None when unknown."""
    a = last_attempt(rec)
    for value in (a.get("bytes"), a.get("wire_bytes"), rec.size):
        if isinstance(value, int) and value > 0:
            return value
    return None


def template_of(rec: UrlRecord) -> str:
    return str((rec.facts or {}).get("template") or "unknown")


@dataclass
class Resources:
    """What each page references and what each resource weighs, from the link check's records.

    Per resource only the first ``MAX_USERS`` pages that load it are kept (a finding lists no more), and per
    page one int: the number of resources it loads and their bytes, not their list (a logo on every page of a
    100,000-page site must not be held 100,000 times, issue 16).  One int, not a pair, because it is held for
    every page of the site: about 32 bytes against a list's 100; and under the page's 64-bit URL key (the
    store's), not its URL, which was another 100 bytes a page."""

    size: dict[str, int | None] = field(default_factory=dict)         # resource url -> bytes
    kind: dict[str, str] = field(default_factory=dict)                # resource url -> image | script | ...
    cached: dict[str, bool] = field(default_factory=dict)             # resource url -> sends caching headers
    users: dict[str, list[str]] = field(default_factory=dict)         # resource url -> its first pages (shallow first)
    user_count: dict[str, int] = field(default_factory=dict)          # resource url -> pages that load it
    on_homepage: set[str] = field(default_factory=set)                # resources the start page loads
    of_page: dict[int, int] = field(default_factory=dict)             # page url_key -> its resources' bytes << 32 | their number

    def loads(self, page: int, size: int | None) -> None:
        """The page of URL key ``page`` loads one more resource, of ``size`` bytes."""
        self.of_page[page] = self.of_page.get(page, 0) + ((size or 0) << 32) + 1

    def requests(self, page: str) -> int:
        """The page's requests: itself and each resource it loads."""
        return 1 + (self.of_page.get(url_key(page), 0) & 0xFFFFFFFF)

    def weight(self, page: str, html: int) -> int:
        """The page's bytes with its resources'."""
        return html + (self.of_page.get(url_key(page), 0) >> 32)


def resources(view: ScanView) -> Resources:
    """Every on- and off-site URL a page loads as a resource, with the pages that load it."""
    out = Resources()
    for kind in ("resource", "external"):
        for rec in view.urls(kind):
            if rec.state != "done":
                continue
            size = body_bytes(rec)
            seen: set[int] = set()  # the pages' URL keys: a logo on 100,000 pages must not hold their URLs
            users: list[str] = []
            rtype = None
            for ref in view.refs(rec.url):
                if ref.tag not in RESOURCE_TYPES:
                    continue
                rtype = rtype or RESOURCE_TYPES[ref.tag]
                page = view.document(ref.source)[0]
                key = url_key(page)
                if key in seen:
                    continue
                seen.add(key)
                if len(users) < MAX_USERS:
                    users.append(page)
                if page == view.start_url:
                    out.on_homepage.add(rec.url)
                out.loads(key, size)  # a resource with a page that loads it is always kept (below)
            if rtype is None:
                continue
            a = last_attempt(rec)
            out.size[rec.url] = size
            out.kind[rec.url] = rtype
            out.cached[rec.url] = bool(a.get("cache_control") or a.get("expires")) and "no-store" not in str(
                a.get("cache_control") or "").lower()
            out.users[rec.url] = users
            out.user_count[rec.url] = len(seen)
    return out


class PerTemplate:
    """The offenders of one rule, tallied per template as they come: each template's count and its
    ``MAX_EXAMPLES`` worst pages (their URL, value, evidence and aliases, not their records), which is all a
    per-template finding lists, so a check judging every page of a 100,000-page site holds no more than that
    (issue 16).  ``value_key``: the evidence key of the value (None: a yes/no fault, shallowest page first)."""

    def __init__(self, rule: str, value_key: str | None) -> None:
        self.rule, self.value_key = rule, value_key
        self.count: Counter[str] = Counter()
        self.seq = 0
        self.worst: dict[str, list[tuple[tuple[float, int, str, int], float, dict[str, Any], list[str]]]] = {}

    def add(self, rec: UrlRecord, value: float, ev: dict[str, Any]) -> None:
        template = template_of(rec)
        self.count[template] += 1
        self.seq += 1
        key = (-value, rec.depth, rec.url, self.seq)  # worst first; equal pages keep the order they came in
        worst = self.worst.setdefault(template, [])
        keep_smallest(worst, (key, value, ev, rec.aliases), MAX_EXAMPLES)  # keys differ: nothing after them is compared

    def hits(self, sizes: dict[str, int]) -> Iterator[Hit]:
        """One Hit per template: the worst page is the finding's url, the others are examples.  ``sizes``:
        pages per template in the scan."""
        value_key = self.value_key
        for template, items in sorted(self.worst.items()):
            (_, _, worst, _), value, ev, aliases = items[0]
            pages = self.count[template]
            evidence = {**ev, "template": template, "pages": pages, "template_pages": sizes.get(template, pages),
                        "examples": [{"url": k[2], **({value_key: v} if value_key else {})} for k, v, _, _ in items]}
            if value_key:
                evidence[value_key] = value
            yield Hit(self.rule, worst, evidence, extra={"discriminator": template, "aliases": aliases})


def per_template(rule: str, offenders: Iterable[Offender], sizes: dict[str, int],
                 value_key: str | None) -> Iterator[Hit]:
    """``PerTemplate``'s Hits over ``offenders``: (page, value, evidence of that page)."""
    tally = PerTemplate(rule, value_key)
    for rec, value, ev in offenders:
        tally.add(rec, value, ev)
    yield from tally.hits(sizes)


class CrawlTallies:
    """The crawl's page rules, judged per template as the pages come (``add``), then ``hits``."""

    def __init__(self, rules: RuleSet, res: Resources) -> None:
        p = rules.param("speed")
        self.html_max, self.compress_min = int(p["html_max_bytes"]), int(p["compress_min_bytes"])
        self.ttfb_max = float(p["ttfb_max_seconds"])
        self.requests_max, self.weight_max = int(p["page_max_requests"]), int(p["page_max_bytes"])
        self.res = res
        self.big, self.plain = PerTemplate("speed.html_size", "bytes"), PerTemplate("speed.uncompressed", "bytes")
        self.slow, self.many = PerTemplate("speed.slow_response", "ttfb_ms"), PerTemplate("speed.requests", "requests")
        self.heavy = PerTemplate("speed.page_weight", "page_bytes")

    def add(self, rec: UrlRecord) -> None:
        a = last_attempt(rec)
        html = body_bytes(rec) or 0
        if html > self.html_max:
            self.big.add(rec, html, {})
        if html >= self.compress_min and not a.get("content_encoding"):
            self.plain.add(rec, html, {})
        ttfb = a.get("ttfb")
        if isinstance(ttfb, (int, float)) and ttfb > self.ttfb_max:
            self.slow.add(rec, round(ttfb * 1000), {})
        requests = self.res.requests(rec.url)
        if requests > self.requests_max:
            self.many.add(rec, requests, {})
        weight = self.res.weight(rec.url, html)
        if weight > self.weight_max:
            self.heavy.add(rec, weight, {"requests": requests})

    def hits(self, sizes: dict[str, int]) -> Iterator[Hit]:
        for tally in (self.big, self.plain, self.slow, self.many, self.heavy):
            yield from tally.hits(sizes)


def _resource_hits(view: ScanView, rules: RuleSet, res: Resources) -> Iterator[Hit]:
    p = rules.param("speed")
    limits = {str(k): int(v) for k, v in p["resource_max_bytes"].items()}
    for url, size in sorted(res.size.items(), key=lambda kv: -(kv[1] or 0)):
        rtype = res.kind[url]
        if size is not None and rtype in limits and size > limits[rtype]:
            yield Hit("speed.heavy_resource", url, {"bytes": size, "type": rtype, "limit": limits[rtype],
                                                    "page_count": res.user_count[url], "used_by": res.users[url]},
                      extra={"on_homepage": url in res.on_homepage})
    uncached = [u for u, ok in res.cached.items() if not ok and res.kind[u] in ("image", "script", "style")]
    if uncached and len(uncached) >= int(p["uncached_min_resources"]):
        uncached.sort(key=lambda u: -res.user_count[u])
        yield Hit("speed.no_cache", view.start_url, {"resources": len(uncached), "of": len(res.cached),
                                                     "examples": uncached[:MAX_EXAMPLES]})


def rating(value: float, good: float, poor: float) -> str:
    """Lighthouse's three bands: good ≤ ``good`` < needs improvement ≤ ``poor`` < poor."""
    return "good" if value <= good else "needs_improvement" if value <= poor else "poor"


def _browser_hits(view: ScanView, rules: RuleSet, pages: dict[str, UrlRecord], sizes: dict[str, int]) -> Iterator[Hit]:
    lines = rules.param("speed.browser.lines")
    offenders: dict[tuple[str, str], list[Offender]] = defaultdict(list)
    for url, body in view.artifacts("speed"):
        rec = pages.get(url) or UrlRecord(url=url, kind="page")
        for profile in ("desktop", "mobile"):
            m = (body or {}).get(profile)
            if not isinstance(m, dict):
                continue
            if m.get("status") != "measured":
                yield Hit("speed.not_measured", url, {"profile": profile, "reason": m.get("reason") or "error",
                                                      "detail": m.get("detail") or ""},
                          extra={"discriminator": profile})
                continue
            for metric in METRICS:
                value = m.get(metric)
                if not isinstance(value, (int, float)):
                    continue
                band = rating(float(value), float(lines[metric]["good"]), float(lines[metric]["poor"]))
                if band != "good":
                    offenders[(metric, profile)].append((rec, value, {"profile": profile, "rating": band,
                                                                      "good": lines[metric]["good"],
                                                                      "poor": lines[metric]["poor"]}))
    for (metric, profile), items in sorted(offenders.items()):
        for hit in per_template(f"speed.{metric.removesuffix('_ms')}", items, sizes, metric):
            hit.extra["discriminator"] = f"{hit.extra['discriminator']}|{profile}"
            yield hit


def _median(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(statistics.median(values), 3) if values else None


@dataclass(slots=True)
class TemplateFigures:
    """One template's figures for its ``speed.template`` finding, gathered page by page: the medians need
    every page's value, kept as 8-byte floats (``array``), not its record."""

    pages: int = 0
    weights: array = field(default_factory=lambda: array("d"))
    requests: array = field(default_factory=lambda: array("d"))
    ttfbs: array = field(default_factory=lambda: array("d"))
    heaviest: tuple[int, int, str] | None = None  # (bytes, -depth, url) of the heaviest page, the first one on a tie
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {"desktop": [], "mobile": []})

    def add(self, rec: UrlRecord, res: Resources, measured: dict[str, Any] | None) -> None:
        self.pages += 1
        weight = res.weight(rec.url, body_bytes(rec) or 0)
        self.weights.append(float(weight))
        self.requests.append(float(res.requests(rec.url)))
        ttfb = last_attempt(rec).get("ttfb")
        if isinstance(ttfb, (int, float)):
            self.ttfbs.append(float(ttfb) * 1000)
        if self.heaviest is None or (weight, -rec.depth) > self.heaviest[:2]:
            self.heaviest = (weight, -rec.depth, rec.url)
        for profile, runs in self.runs.items():
            m = (measured or {}).get(profile)
            if isinstance(m, dict) and m.get("status") == "measured":
                runs.append(m)


def _summary(figures: dict[str, TemplateFigures]) -> Iterator[Hit]:
    """One info finding per template: the distribution the report charts (medians, worst page)."""
    for template, f in sorted(figures.items(), key=lambda kv: (-kv[1].pages, kv[0])):
        assert f.heaviest is not None  # a template has at least one page
        weight, _, heaviest = f.heaviest
        ev: dict[str, Any] = {"template": template, "template_pages": f.pages,
                              "median_page_kib": round((_median(f.weights) or 0) / 1024, 1),
                              "median_requests": _median(f.requests),
                              "median_ttfb_ms": _median(f.ttfbs), "heaviest_page": heaviest,
                              "heaviest_page_kib": round(weight / 1024, 1)}
        for profile, runs in f.runs.items():
            for metric in ("lcp_ms", "tbt_ms"):
                ev[f"{profile}_{metric}"] = _median([float(m[metric]) for m in runs if isinstance(m.get(metric), (int, float))])
        yield Hit("speed.template", heaviest, ev, extra={"discriminator": template})


def run(view: ScanView, rules: RuleSet) -> Iterator[Hit]:
    """One pass over the pages: each page feeds the per-template tallies and is let go, except the pages the
    browser measured (a sample), whose records the browser rules read."""
    res = resources(view)
    artifacts = dict(view.artifacts("speed"))
    crawl = CrawlTallies(rules, res)
    sizes: dict[str, int] = defaultdict(int)
    figures: dict[str, TemplateFigures] = {}
    sampled: dict[str, UrlRecord] = {}
    for rec in view.pages():
        if rec.status != 200:
            continue
        template = template_of(rec)
        sizes[template] += 1
        crawl.add(rec)
        body = artifacts.get(rec.url)
        figures.setdefault(template, TemplateFigures()).add(rec, res, body if isinstance(body, dict) else None)
        if rec.url in artifacts:
            sampled[rec.url] = rec.keeping(PLUGIN.needs)  # held: only the facts the browser rules read
    yield from crawl.hits(sizes)
    yield from _resource_hits(view, rules, res)
    yield from _browser_hits(view, rules, sampled, sizes)
    yield from _summary(figures)


# -- what this check is (govaudit/checks/plugin.py); registered in pyproject.toml [project.entry-points] --
PROFILES = {"desktop": T("桌面端", "desktop"), "mobile": T("移动端（375×667）", "mobile (375×667)")}
RATINGS = {"good": T("良好", "good"), "needs_improvement": T("需改进", "needs improvement"), "poor": T("较差", "poor")}
NOT_MEASURED = {
    "page_load_timeout": T("页面在时限内未完成加载", "the page did not finish loading in time"),
    "load_error": T("浏览器无法打开页面", "the browser could not open the page"),
    "redirect_loop": T("重定向循环", "redirect loop"),
    "no_paint": T("加载后未绘制任何内容", "the page painted no content after loading"),
    "browser_hung": T("浏览器无响应，已重启", "the browser hung and was restarted"),
    "browser_crashed": T("浏览器崩溃，已重启", "the browser crashed and was restarted"),
    "script_error": T("测量脚本无法运行", "the measuring script could not run"),
    "webdriver_error": T("浏览器驱动错误", "WebDriver error"), "error": T("测量出错", "measurement error"),
    "not_audited": T("页面未能审查", "the page could not be audited"),
}
FIELDS: dict[str, Field] = {
    "template": Field(T("页面模板", "Template")),
    "pages": Field(T("涉及页面数", "Pages"), kind="count"),
    "template_pages": Field(T("该模板页面数", "Pages of the template"), kind="count"),
    "examples": Field(T("示例页面", "Example pages"), kind="table"),
    "url": Field(T("页面", "Page"), kind="url"),
    "bytes": Field(T("大小（字节）", "Size (bytes)"), kind="number"),
    "ttfb_ms": Field(T("首字节时间（毫秒）", "Time to first byte (ms)"), kind="number"),
    "requests": Field(T("请求数", "Requests"), kind="count"),
    "page_bytes": Field(T("页面总大小（字节）", "Page weight (bytes)"), kind="number"),
    "type": Field(T("资源类型", "Resource type"), values={"image": T("图片", "image"), "script": T("脚本", "script"),
                                                        "style": T("样式表", "stylesheet"), "media": T("音视频", "media")}),
    "limit": Field(T("上限（字节）", "Limit (bytes)"), kind="number"),
    "page_count": Field(T("使用页面数", "Pages using it"), kind="count"),
    "used_by": Field(T("使用该资源的页面", "Pages using it"), kind="list"),
    "resources": Field(T("资源数", "Resources"), kind="count"),
    "of": Field(T("资源总数", "All resources"), kind="count"),
    "profile": Field(T("测试环境", "Profile"), values=PROFILES),
    "rating": Field(T("评级", "Rating"), values=RATINGS),
    "good": Field(T("良好线", "Good line"), kind="number"),
    "poor": Field(T("较差线", "Poor line"), kind="number"),
    "fcp_ms": Field(T("首次内容绘制 FCP（毫秒）", "First contentful paint (ms)"), kind="number"),
    "lcp_ms": Field(T("最大内容绘制 LCP（毫秒）", "Largest contentful paint (ms)"), kind="number"),
    "cls": Field(T("累积布局偏移 CLS", "Cumulative layout shift"), kind="number"),
    "tbt_ms": Field(T("总阻塞时间 TBT（毫秒）", "Total blocking time (ms)"), kind="number"),
    "transfer_bytes": Field(T("浏览器传输字节数", "Bytes transferred by the browser"), kind="number"),
    "reason": Field(T("原因", "Reason"), values=NOT_MEASURED),
    "detail": Field(T("说明", "Detail"), optional=True),
    "median_page_kib": Field(T("页面大小中位数（KiB）", "Median page weight (KiB)"), kind="number"),
    "median_requests": Field(T("请求数中位数", "Median requests"), kind="number"),
    "median_ttfb_ms": Field(T("首字节时间中位数（毫秒）", "Median TTFB (ms)"), kind="number", optional=True),
    "heaviest_page": Field(T("最重页面", "Heaviest page"), kind="url"),
    "heaviest_page_kib": Field(T("最重页面大小（KiB）", "Heaviest page (KiB)"), kind="number"),
    "desktop_lcp_ms": Field(T("桌面 LCP 中位数（毫秒）", "Desktop median LCP (ms)"), kind="number", optional=True),
    "desktop_tbt_ms": Field(T("桌面 TBT 中位数（毫秒）", "Desktop median TBT (ms)"), kind="number", optional=True),
    "mobile_lcp_ms": Field(T("移动 LCP 中位数（毫秒）", "Mobile median LCP (ms)"), kind="number", optional=True),
    "mobile_tbt_ms": Field(T("移动 TBT 中位数（毫秒）", "Mobile median TBT (ms)"), kind="number", optional=True),
}


def _metric_rule(zh: str, en: str, key: str) -> RuleMeta:
    return RuleMeta(
        title=T(f"{zh}偏慢", f"Slow {en}"),
        help=T(f"抽样页面在规则集规定的网络与处理器条件下加载，{zh}超过 Lighthouse 的“良好”线；按模板汇总。"
               "限速为浏览器实际施加（而非 Lighthouse 的模拟估算），TBT 统计到页面加载完成后的等待时间为止（而非可交互时间）。",
               f"Sampled pages loaded under the rule set's network and CPU profile exceed Lighthouse's 'good' line for {en}; "
               "per template. The throttling is applied in the browser, not simulated as Lighthouse does by default, and "
               "TBT counts long tasks up to the end of the measurement after load, not up to time to interactive."),
        message=T(f"模板 {{template}} 的 {{pages}} 个抽样页面{zh}超过良好线（{{profile}}，最差 {{{key}}}）",
                  f"{{pages}} sampled pages of template {{template}} exceed the good line for {en} ({{profile}}, worst {{{key}}})"))


RULES: dict[str, RuleMeta] = {
    "speed.html_size": RuleMeta(
        title=T("网页 HTML 过大", "HTML document too large"),
        help=T("页面 HTML 本身（解压后）超过规则集上限，下载和解析都慢；按模板汇总。", "The page's HTML (decoded) exceeds the rule set's limit; per template."),
        message=T("模板 {template} 有 {pages} 个页面 HTML 过大（最大 {bytes} 字节）", "{pages} pages of template {template} have oversized HTML (largest {bytes} bytes)")),
    "speed.uncompressed": RuleMeta(
        title=T("网页未压缩传输", "HTML sent uncompressed"),
        help=T("服务器未对 HTML 使用 gzip/br 等压缩（Lighthouse“启用文本压缩”）；按模板汇总。", "The server sends HTML without gzip/br compression (Lighthouse: enable text compression); per template."),
        message=T("模板 {template} 有 {pages} 个页面未压缩传输（最大 {bytes} 字节）", "{pages} pages of template {template} are sent uncompressed (largest {bytes} bytes)")),
    "speed.slow_response": RuleMeta(
        title=T("服务器响应慢", "Slow server response"),
        help=T("首字节时间超过规则集上限（Lighthouse 服务器响应时间 600 毫秒）；按模板汇总。", "Time to first byte over the rule set's limit (Lighthouse server response time, 600 ms); per template."),
        message=T("模板 {template} 有 {pages} 个页面首字节时间过长（最长 {ttfb_ms} 毫秒）", "{pages} pages of template {template} answer slowly (slowest {ttfb_ms} ms)")),
    "speed.requests": RuleMeta(
        title=T("页面请求数过多", "Too many requests per page"),
        help=T("页面引用的图片、脚本、样式表等资源数超过规则集上限；按模板汇总。", "The page loads more resources than the rule set allows; per template."),
        message=T("模板 {template} 有 {pages} 个页面请求数过多（最多 {requests} 个）", "{pages} pages of template {template} make too many requests (up to {requests})")),
    "speed.page_weight": RuleMeta(
        title=T("页面总大小过大", "Page too heavy"),
        help=T("HTML 与其引用资源的总大小超过规则集上限（Lighthouse“避免网络负载过大”）；按模板汇总。", "HTML plus the resources it loads exceed the rule set's limit (Lighthouse: avoid enormous network payloads); per template."),
        message=T("模板 {template} 有 {pages} 个页面总大小过大（最大 {page_bytes} 字节）", "{pages} pages of template {template} are too heavy (up to {page_bytes} bytes)")),
    "speed.heavy_resource": RuleMeta(
        title=T("资源文件过大", "Oversized resource"),
        help=T("单个图片、脚本或样式表超过规则集对该类资源的上限，列出使用它的页面。", "An image, script or stylesheet over the rule set's limit for its type, with the pages that use it."),
        message=T("{type}资源 {bytes} 字节，超过上限 {limit}，{page_count} 个页面使用", "{type} of {bytes} bytes over the {limit} limit, used by {page_count} pages")),
    "speed.no_cache": RuleMeta(
        title=T("静态资源未设置缓存", "Static resources without caching headers"),
        help=T("图片、脚本、样式表没有 Cache-Control 或 Expires 响应头（Lighthouse“使用高效的缓存策略”）。", "Images, scripts and stylesheets without Cache-Control or Expires (Lighthouse: efficient cache policy)."),
        severity="info",
        message=T("{resources} 个静态资源（共 {of} 个）未设置缓存响应头", "{resources} of {of} static resources send no caching headers")),
    "speed.fcp": _metric_rule("首次内容绘制（FCP）", "first contentful paint", "fcp_ms"),
    "speed.lcp": _metric_rule("最大内容绘制（LCP）", "largest contentful paint", "lcp_ms"),
    "speed.cls": _metric_rule("累积布局偏移（CLS）", "cumulative layout shift", "cls"),
    "speed.tbt": _metric_rule("总阻塞时间（TBT）", "total blocking time", "tbt_ms"),
    "speed.transfer_bytes": RuleMeta(
        title=T("浏览器加载传输量过大", "Too many bytes transferred on load"),
        help=T("抽样页面在浏览器中加载时，HTML 与所有资源实际传输的字节数（含压缩、重定向，Resource Timing 的 transferSize）"
               "超过 Lighthouse“避免网络负载过大”的良好线；按模板汇总。手机环境冷缓存加载；桌面环境沿用前页缓存，数值是下限。",
               "The bytes a sampled page transferred as the browser loaded it (HTML and every resource, as sent: Resource "
               "Timing transferSize) exceed Lighthouse's 'avoid enormous network payloads' good line; per template. The "
               "phone loads with a cold cache; the desktop keeps earlier pages' cache, so its figure is a lower bound."),
        message=T("模板 {template} 的 {pages} 个抽样页面加载传输量过大（{profile}，最多 {transfer_bytes} 字节）",
                  "{pages} sampled pages of template {template} transfer too much on load ({profile}, up to {transfer_bytes} bytes)")),
    "speed.not_measured": RuleMeta(
        title=T("页面加载性能未测得", "Load metrics not measured"),
        help=T("抽样页面在浏览器中未能测得加载性能，原因见说明；扫描照常继续。", "A sampled page's load metrics could not be measured; the reason says why. The scan went on."),
        severity="info",
        message=T("未测得加载性能（{profile}）：{reason}", "Load metrics not measured ({profile}): {reason}")),
    "speed.template": RuleMeta(
        title=T("各模板加载情况", "Load figures per template"),
        help=T("每个页面模板的页面大小、请求数、首字节时间中位数和最重页面，以及抽样页面的 LCP/TBT 中位数。", "Per template: median page weight, requests and TTFB, the heaviest page, and the sampled pages' median LCP/TBT."),
        severity="info",
        message=T("模板 {template}（{template_pages} 页）：页面大小中位数 {median_page_kib} KiB，最重 {heaviest_page_kib} KiB",
                  "Template {template} ({template_pages} pages): median {median_page_kib} KiB, heaviest {heaviest_page_kib} KiB")),
}

PLUGIN = CheckPlugin(
    id="speed",
    title=T("页面加载速度", "Page speed"),
    run=run,
    rules=RULES,
    families={"speed": T("页面加载速度", "Page speed")},
    fields=FIELDS,
    needs=("template",),
    extractors=("a11y_static",),
    charts=(Chart("speed_weight", T("各模板页面大小中位数（KiB）", "Median page weight per template (KiB)"), ("speed",),
                  ("median_page_kib",), (0, 100, 250, 500, 1000, 2500, 5000)),
            Chart("speed_lcp", T("各模板移动端 LCP 中位数（毫秒）", "Median mobile LCP per template (ms)"), ("speed",),
                  ("mobile_lcp_ms",), (0, 1000, 2500, 4000, 6000, 10000))),
    rankings=(
        Ranking("speed_templates", T("各模板加载情况", "Load figures per template"), ("speed.template",), "median_page_kib",
                ("template", "template_pages", "median_requests", "median_ttfb_ms", "heaviest_page_kib",
                 "desktop_lcp_ms", "mobile_lcp_ms", "mobile_tbt_ms")),
        Ranking("speed_slowest", T("最慢的页面（LCP，各模板最差页）", "Slowest pages (LCP, worst of each template)"),
                ("speed.lcp",), "lcp_ms", ("profile", "rating", "template", "pages")),
        Ranking("speed_heaviest_pages", T("最重的页面", "Heaviest pages"), ("speed.page_weight",), "page_bytes",
                ("requests", "template", "pages")),
        Ranking("speed_heaviest_resources", T("最大的资源及使用它的页面", "Heaviest resources and the pages using them"),
                ("speed.heavy_resource",), "bytes", ("type", "page_count", "used_by")),
    ),
    order=60,
)
