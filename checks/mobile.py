"""Mobile adaptation (移动端适配): viewport, layout at 375 px, text size, tap targets, a separate mobile site.

The static half reads the crawl's ``<meta name>`` facts (``crawler/extract/core.py`` is the one ``<meta>``
reader; the viewport is parsed here, so every crawled page is judged, and a stored scan can be re-judged):
a page without ``<meta name="viewport">`` is laid out at 980 px and shrunk on a phone; a fixed width or a
disabled zoom is as bad.  The browser half reads the mobile profile of the ``speed`` artifact
(``crawler/browser/metrics.py``: 375×667, DPR 2, touch): horizontal overflow, the share of text under the
minimum size and of tap targets under the minimum size.  Findings are per template.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from govaudit.checks.plugin import CheckPlugin, Field, Hit, RuleMeta, T
from govaudit.checks.speed import FIELDS as SPEED_FIELDS
from govaudit.checks.speed import NOT_MEASURED, PerTemplate, template_of

from govaudit.model import UrlRecord
from govaudit.readings import announced_sites, meta_value, url_shape
from govaudit.ruleset import RuleSet
from govaudit.store import ScanView

_PAIR = re.compile(r"\s*([a-zA-Z-]+)\s*=\s*([^,;\s]*)")


def parse_viewport(content: str) -> dict[str, str]:
    """``width=device-width, initial-scale=1`` → {"width": "device-width", "initial-scale": "1"} (commas or
    semicolons, as browsers accept both)."""
    return {k.lower(): v.strip().lower() for k, v in _PAIR.findall(content or "")}


def viewport_problems(content: str | None) -> list[str]:
    """What is wrong with a page's viewport: ``missing``, ``fixed_width`` (no device-width and no
    initial-scale, or a width in pixels), ``zoom_disabled`` (user-scalable=no or maximum-scale under 2)."""
    if content is None:
        return ["missing"]
    props = parse_viewport(content)
    problems = []
    width = props.get("width")
    if (width and width != "device-width") or (not width and "initial-scale" not in props):
        problems.append("fixed_width")
    scalable = props.get("user-scalable")
    try:
        max_scale = float(props["maximum-scale"]) if "maximum-scale" in props else None
    except ValueError:
        max_scale = None
    if scalable in ("no", "0") or (max_scale is not None and max_scale < 2):
        problems.append("zoom_disabled")
    return problems


class _Viewports:
    """The static half: each page's viewport (the crawl's ``<meta>``, or for a separate mobile site's pages,
    not crawled, the viewport its browser load read) tallied per template as it streams by."""

    def __init__(self) -> None:
        self.missing = PerTemplate("mobile.no_viewport", None)
        self.fixed = PerTemplate("mobile.viewport_fixed", None)
        self.zoom = PerTemplate("mobile.zoom_disabled", None)

    def add(self, rec: UrlRecord, content: str | None) -> None:
        problems = viewport_problems(content)
        ev = {"viewport": content}
        if "missing" in problems:
            self.missing.add(rec, -rec.depth, {})
        if "fixed_width" in problems:
            self.fixed.add(rec, -rec.depth, ev)
        if "zoom_disabled" in problems:
            self.zoom.add(rec, -rec.depth, ev)

    def hits(self, sizes: dict[str, int]) -> Iterator[Hit]:
        for tally in (self.missing, self.fixed, self.zoom):
            yield from tally.hits(sizes)


def _phone_layouts(view: ScanView, name: str) -> Iterator[tuple[str, dict]]:
    """(url, layout probe) of each page an artifact (``speed`` or ``mobile_site``) measured as a phone."""
    for url, body in view.artifacts(name):
        m = (body or {}).get("mobile") if isinstance(body, dict) else None
        layout = m.get("layout") if isinstance(m, dict) and m.get("status") == "measured" else None
        if isinstance(layout, dict):
            yield url, layout


def site_template(url: str) -> str:
    return "移动版 " + url_shape(url)


def _site_pages(view: ScanView, sizes: dict[str, int]) -> list[tuple[UrlRecord, dict]]:
    out = []
    for url, layout in _phone_layouts(view, "mobile_site"):
        template = site_template(url)
        sizes[template] += 1
        out.append((UrlRecord(url=url, kind="page", facts={"template": template}), layout))
    return out


def _layout_hits(rules: RuleSet, measured: Iterable[tuple[UrlRecord, dict]], sizes: dict[str, int]) -> Iterator[Hit]:
    """The browser half: each phone-measured page's layout probe (the browser sample and the mobile site's
    pages, both bounded by the rule set's audit caps), tallied per template."""
    p = rules.param("mobile")
    tolerance, min_font, text_share = float(p["overflow_tolerance_px"]), float(p["min_font_px"]), float(p["small_text_share"])
    tap_share, min_tap = float(p["small_tap_share"]), float(p["min_tap_px"])  # min_tap: measured in the browser
    over = PerTemplate("mobile.overflow", "overflow_px")
    small = PerTemplate("mobile.small_text", "small_text_share")
    taps = PerTemplate("mobile.tap_targets", "small_tap_share")
    for rec, layout in measured:
        excess = float(layout.get("scroll_width") or 0) - float(layout.get("viewport_width") or 0)
        if excess > tolerance:
            over.add(rec, round(excess), {"scroll_width": layout.get("scroll_width"),
                                          "viewport_width": layout.get("viewport_width"),
                                          "widest": layout.get("widest")})
        fonts: dict[str, int] = layout.get("font_px") or {}
        chars = sum(fonts.values())
        if chars:
            share = sum(n for k, n in fonts.items() if float(k) < min_font) / chars
            if share > text_share:
                small.add(rec, round(share, 3), {"min_font_px": min_font})
        targets, tiny = int(layout.get("targets") or 0), int(layout.get("small_targets") or 0)
        if targets and tiny / targets > tap_share:
            taps.add(rec, round(tiny / targets, 3), {"targets": targets, "small_targets": tiny, "min_tap_px": min_tap,
                                                     "target_examples": layout.get("small_examples", [])})
    for tally in (over, small, taps):
        yield from tally.hits(sizes)


def _mobile_site(view: ScanView, home: UrlRecord | None) -> Iterator[Hit]:
    """A separate mobile site: announced or linked (``announced_sites``), or found when the phone profile was
    redirected to another host (by User-Agent); with how many of its pages the browser checked, and each
    page of it that could not be measured (``mobile.site_not_measured``)."""
    site_host = urlsplit(view.start_url).hostname
    found = announced_sites(view.start_url, (home.facts or {}).get("meta") if home else None,
                            (rec.url for rec in view.urls("external")))
    for url, body in view.artifacts("speed"):
        m = (body or {}).get("mobile") if isinstance(body, dict) else None
        final = m.get("final_url") if isinstance(m, dict) else None
        if isinstance(final, str) and urlsplit(final).hostname not in (None, site_host):
            found.setdefault(final, "user_agent_redirect")
        elif isinstance(m, dict) and m.get("reason") == "redirect_loop":
            found.setdefault(url, "user_agent_redirect_loop")
    checked: dict[str, int] = defaultdict(int)
    for url, body in view.artifacts("mobile_site"):
        m = body.get("mobile") if isinstance(body, dict) else None
        if not isinstance(m, dict):
            continue
        if m.get("status") == "measured":
            checked[urlsplit(url).netloc] += 1
            continue
        yield Hit("mobile.site_not_measured", url, {"mobile_url": body.get("site") or url, "reason": m.get("reason") or "error",
                                                    "detail": m.get("detail") or ""})
    for target, via in found.items():
        yield Hit("mobile.separate_site", view.start_url,
                  {"mobile_url": target, "via": via, "checked_pages": checked.get(urlsplit(target).netloc, 0)},
                  extra={"discriminator": target})


def run(view: ScanView, rules: RuleSet) -> Iterator[Hit]:
    """One streaming pass over the pages: each page's template counted and its viewport tallied; of the pages
    only the homepage (its whole ``<meta>``: mobile-agent) and the browser-sampled pages (for their layout
    findings' template, depth and aliases) are held, never every page (issue 16)."""
    speed_layouts = list(_phone_layouts(view, "speed"))  # the browser sample: capped by browser.max_audits
    sampled: dict[str, UrlRecord | None] = dict.fromkeys(u for u, _ in speed_layouts)
    viewports = _Viewports()
    sizes: dict[str, int] = defaultdict(int)
    home: UrlRecord | None = None
    for rec in view.pages():
        if rec.status != 200:
            continue
        sizes[template_of(rec)] += 1
        viewports.add(rec, meta_value((rec.facts or {}).get("meta"), "viewport"))
        if home is None and rec.url == view.start_url:
            home = rec.keeping(PLUGIN.needs)  # the homepage keeps its whole <meta> (mobile-agent: announced mobile sites)
        if rec.url in sampled:
            sampled[rec.url] = rec.keeping(PLUGIN.needs)
    site = _site_pages(view, sizes)
    for rec, layout in site:
        viewports.add(rec, layout.get("viewport"))
    yield from viewports.hits(sizes)
    yield from _layout_hits(rules, [(sampled.get(u) or UrlRecord(url=u, kind="page"), lay) for u, lay in speed_layouts]
                            + site, sizes)
    yield from _mobile_site(view, home)


# -- what this check is (govaudit/checks/plugin.py); registered in pyproject.toml [project.entry-points] --
_SHARED = ("template", "pages", "template_pages", "examples", "url")
FIELDS: dict[str, Field] = {
    **{k: SPEED_FIELDS[k] for k in _SHARED},
    "viewport": Field(T("viewport 设置", "Viewport"), optional=True),
    "overflow_px": Field(T("横向溢出（像素）", "Horizontal overflow (px)"), kind="number"),
    "scroll_width": Field(T("页面宽度（像素）", "Page width (px)"), kind="number"),
    "viewport_width": Field(T("屏幕宽度（像素）", "Viewport width (px)"), kind="number"),
    "widest": Field(T("最宽元素", "Widest element"), optional=True),
    "small_text_share": Field(T("过小文字占比", "Share of small text"), kind="percent"),
    "min_font_px": Field(T("最小字号（像素）", "Minimum font size (px)"), kind="number"),
    "small_tap_share": Field(T("过小点击目标占比", "Share of small tap targets"), kind="percent"),
    "targets": Field(T("点击目标数", "Tap targets"), kind="count"),
    "small_targets": Field(T("过小点击目标数", "Small tap targets"), kind="count"),
    "min_tap_px": Field(T("最小尺寸（像素）", "Minimum size (px)"), kind="number"),
    "target_examples": Field(T("过小目标示例", "Small targets"), kind="list"),
    "mobile_url": Field(T("移动版地址", "Mobile site"), kind="url"),
    "via": Field(T("发现方式", "Found by"), values={
        "mobile_agent_meta": T("首页 mobile-agent 标签", "the homepage's mobile-agent tag"),
        "link": T("网站链接到移动版域名", "a link to the site's mobile host"),
        "user_agent_redirect": T("按手机 User-Agent 重定向", "a redirect by mobile User-Agent"),
        "user_agent_redirect_loop": T("按手机 User-Agent 重定向后陷入循环", "a mobile User-Agent redirect that loops")}),
    "checked_pages": Field(T("已检查移动版页面数", "Mobile pages checked"), kind="count"),
    "reason": Field(T("原因", "Reason"), values=NOT_MEASURED),
    "detail": Field(T("说明", "Detail"), optional=True),
}


def _rule(title: tuple[str, str], help_: tuple[str, str], msg: tuple[str, str], severity: str = "warn") -> RuleMeta:
    return RuleMeta(title=T(*title), help=T(*help_), severity=severity, message=T(*msg))


RULES: dict[str, RuleMeta] = {
    "mobile.no_viewport": _rule(
        ("缺少 viewport 设置", "No viewport meta tag"),
        ("页面没有 <meta name=\"viewport\">，手机按 980 像素排版后缩小显示；按模板汇总。",
         "No <meta name=\"viewport\">: phones lay the page out at 980 px and shrink it; per template."),
        ("模板 {template} 有 {pages} 个页面缺少 viewport 设置", "{pages} pages of template {template} have no viewport")),
    "mobile.viewport_fixed": _rule(
        ("viewport 未适配屏幕宽度", "Viewport not set to the device width"),
        ("viewport 设置了固定像素宽度，或既无 width=device-width 也无 initial-scale；按模板汇总。",
         "The viewport sets a width in pixels, or neither width=device-width nor initial-scale; per template."),
        ("模板 {template} 有 {pages} 个页面 viewport 为固定宽度（{viewport}）", "{pages} pages of template {template} have a fixed-width viewport ({viewport})")),
    "mobile.zoom_disabled": _rule(
        ("禁止手机缩放", "Zoom disabled"),
        ("viewport 设置 user-scalable=no 或 maximum-scale 小于 2，视力不好的用户无法放大（WCAG 1.4.4）；按模板汇总。",
         "The viewport sets user-scalable=no or maximum-scale under 2, so users cannot zoom (WCAG 1.4.4); per template."),
        ("模板 {template} 有 {pages} 个页面禁止缩放（{viewport}）", "{pages} pages of template {template} disable zoom ({viewport})")),
    "mobile.overflow": _rule(
        ("手机屏幕上横向溢出", "Horizontal overflow on a phone"),
        ("在 375×667 的手机模拟中，页面内容宽于屏幕，需要左右滚动；按模板汇总。",
         "In a 375×667 phone emulation the content is wider than the screen and scrolls sideways; per template."),
        ("模板 {template} 有 {pages} 个抽样页面在手机上横向溢出（最多 {overflow_px} 像素）",
         "{pages} sampled pages of template {template} overflow a phone screen (by up to {overflow_px} px)")),
    "mobile.small_text": _rule(
        ("手机上文字过小", "Text too small on a phone"),
        ("手机模拟中，小于规则集最小字号的文字超过规定占比（Lighthouse 字号审查）；按模板汇总。",
         "In the phone emulation, more text than the rule set allows is under its minimum size; per template."),
        ("模板 {template} 有 {pages} 个抽样页面文字过小（最多 {small_text_share}）",
         "{pages} sampled pages of template {template} have small text (up to {small_text_share})")),
    "mobile.tap_targets": _rule(
        ("点击目标过小", "Tap targets too small"),
        ("手机模拟中，链接、按钮等点击目标小于规则集最小尺寸（WCAG 2.5.8）的占比过高；按模板汇总。",
         "In the phone emulation, too many links and buttons are smaller than the rule set's minimum (WCAG 2.5.8); per template."),
        ("模板 {template} 有 {pages} 个抽样页面点击目标过小（最多 {small_tap_share}）",
         "{pages} sampled pages of template {template} have small tap targets (up to {small_tap_share})")),
    "mobile.separate_site": _rule(
        ("发现独立移动版网站", "Separate mobile site found"),
        ("网站另有移动版（m. 域名或按 User-Agent 重定向）；移动版需与电脑版同样检查。",
         "The site has a separate mobile version (m. host or a User-Agent redirect); it needs the same checks."),
        ("发现移动版网站 {mobile_url}（{via}），已按手机环境检查 {checked_pages} 个页面",
         "Mobile site {mobile_url} ({via}); {checked_pages} of its pages checked as a phone"), severity="info"),
    "mobile.site_not_measured": _rule(
        ("移动版网站页面未能检查", "Mobile site page not measured"),
        ("独立移动版网站的页面在手机环境（375×667、触屏、2 倍像素比、手机 User-Agent）中未能加载或测量，原因见说明；扫描照常继续。",
         "A page of the separate mobile site could not be loaded or measured under the phone profile (375×667, touch, "
         "DPR 2, mobile User-Agent); the reason says why. The scan went on."),
        ("移动版页面未能检查（{mobile_url}）：{reason}", "Mobile site page not measured ({mobile_url}): {reason}"),
        severity="info"),
}

PLUGIN = CheckPlugin(
    id="mobile",
    title=T("移动端适配", "Mobile adaptation"),
    run=run,
    rules=RULES,
    families={"mobile": T("移动端适配", "Mobile adaptation")},
    fields=FIELDS,
    needs=("meta", "template"),
    extractors=("core", "a11y_static"),
    order=61,
)
