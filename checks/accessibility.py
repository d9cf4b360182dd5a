"""Accessibility (无障碍, GB/T 37668-2019) and elderly-friendly (适老化, MIIT 2021) findings.

Reads what the crawl and the browser stage gathered — ``a11y_static`` facts on every page, ``axe`` and
``elder`` artifacts for the audited sample, the ``a11y_sampling`` groups — and yields:

* ``a11y.<axe-rule-id>`` per page and rule: the failing elements (selector, HTML snippet), impact, WCAG
  success criteria, GB/T 37668 level (``params.a11y.gbt_level``), screenshot, and ``stands_for`` (how
  many pages of the same template the audited page represents).  A static hit and an axe violation of
  the same rule on the same page are one finding; where the browser audited a page, axe's verdict wins
  (it sees the rendered DOM), so a static hit axe found to pass is dropped.  axe's ``incomplete`` results
  keep the rule id with severity ``info`` and discriminator ``review``: needs human review, not a failure.
* ``a11y.not_audited`` / ``a11y.coverage``: what the browser could not audit, and what the sample covers.
* ``elder.entry``, ``elder.font_size``, ``elder.spacing``, ``elder.no_ads``, ``elder.manual``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from govaudit.checks.plugin import CheckPlugin, Field, RuleMeta, T

from govaudit.facts import PageFacts, StaticA11yFailure
from govaudit.model import Finding
from govaudit.readings import find_elder_entry, median, share_below
from govaudit.ruleset import RuleSet, RuleSetError
from govaudit.store import ScanView

_SC = re.compile(r"^wcag(\d)(\d)(\d+)$")
_LEVELS = (("wcag2aaa", "AAA"), ("wcag21aaa", "AAA"), ("wcag2aa", "AA"), ("wcag21aa", "AA"), ("wcag22aa", "AA"),
           ("wcag2a", "A"), ("wcag21a", "A"), ("wcag22a", "A"), ("wcag2a-obsolete", "A"))
MAX_EVIDENCE_ELEMENTS = 10


def wcag_from_tags(tags: list[str]) -> tuple[list[str], str | None]:
    """axe tags → (success criteria like ``1.4.3``, WCAG level A/AA/AAA or None for best practices)."""
    scs = [".".join(m.groups()) for m in map(_SC.match, tags) if m]
    level = next((lvl for tag, lvl in _LEVELS if tag in tags), None)
    return scs, level


class _Meta:
    """Rule-set lookups for one run: title, severity, SC and level of an ``a11y.*`` rule."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.gbt = dict(rules.param("a11y.gbt_level"))
        self.by_impact = dict(rules.param("a11y.severity_by_impact"))

    def described(self, rule_id: str) -> dict[str, Any] | None:
        try:
            return self.rules.rule(rule_id)
        except RuleSetError:
            return None

    def title(self, rule_id: str, fallback: str) -> str:
        meta = self.described(rule_id)
        title = (meta or {}).get("title")
        if isinstance(title, dict):
            return str(title.get("zh") or title.get("en") or fallback)
        return str(title or fallback)

    def severity(self, rule_id: str, impact: str | None) -> str:
        meta = self.described(rule_id)
        if meta is not None:
            return str(meta["severity"])
        return str(self.by_impact.get(impact or "", "warn"))


def _element_from_axe(node: dict[str, Any]) -> dict[str, Any]:
    target = node.get("target") or []
    sel = " ".join(str(t) if not isinstance(t, list) else " >>> ".join(map(str, t)) for t in target)
    return {"selector": sel, "html": node.get("html", ""), "summary": node.get("failureSummary", "")}


def _page_findings(url: str, site: str, static: dict[str, list[StaticA11yFailure]], static_counts: dict[str, int],
                   audit: dict[str, Any] | None, stands_for: int, on_home: bool, meta: _Meta) -> Iterator[Finding]:
    audited = audit is not None and audit.get("status") == "audited"
    violations = {v["id"]: v for v in (audit or {}).get("violations", [])} if audited else {}
    incomplete = {v["id"]: v for v in (audit or {}).get("incomplete", [])} if audited else {}
    ran = set((audit or {}).get("ran", [])) if audited else set()
    extra_base: dict[str, Any] = {"on_homepage": True} if on_home else {}

    for rule in sorted(set(static) | set(violations)):
        rule_id = f"a11y.{rule}"
        if not meta.rules.enabled(rule_id):
            continue
        axe_rule = violations.get(rule)
        if axe_rule is None and rule in ran:
            continue  # the browser saw the rendered page pass this rule: its verdict wins
        described = meta.described(rule_id) or {}
        if axe_rule is not None:
            scs, level = wcag_from_tags(axe_rule.get("tags", []))
            impact = axe_rule.get("impact")
            elements = [_element_from_axe(n) for n in axe_rule.get("nodes", [])[:MAX_EVIDENCE_ELEMENTS]]
            count = int(axe_rule.get("count", len(elements)))
            sources = ["axe"] + (["static"] if rule in static else [])
            fallback_title = axe_rule.get("help", rule)
        else:
            scs, level = list(described.get("wcag", [])), described.get("level")
            impact = None
            elements = [{"selector": e.get("selector", ""), "html": e.get("html", "")} for e in static[rule][:MAX_EVIDENCE_ELEMENTS]]
            count = int(static_counts.get(rule, len(static[rule])))
            sources = ["static"] + (["axe:incomplete"] if rule in incomplete else [])
            fallback_title = rule
        title = meta.title(rule_id, fallback_title)
        evidence: dict[str, Any] = {
            "impact": impact, "wcag": scs, "wcag_level": level, "gbt_level": meta.gbt.get(level) if level else None,
            "count": count, "elements": elements, "sources": sources, "stands_for": stands_for if audited else 1,
        }
        if axe_rule is not None:
            evidence["help"] = axe_rule.get("help", "")
            evidence["help_url"] = axe_rule.get("helpUrl", "")
            if axe_rule.get("screenshot"):
                evidence["screenshot"] = axe_rule["screenshot"]
        yield Finding(rule=rule_id, severity=meta.severity(rule_id, impact), site=site, url=url,
                      message=f"{title}：{count} 处" if count != 1 else f"{title}",
                      evidence=evidence, extra=dict(extra_base))

    for rule, item in sorted(incomplete.items()):
        rule_id = f"a11y.{rule}"
        if not meta.rules.enabled(rule_id) or (rule in static and rule not in violations):
            continue  # a static failure of the same rule was reported above, with the axe note
        scs, level = wcag_from_tags(item.get("tags", []))
        elements = [_element_from_axe(n) for n in item.get("nodes", [])[:MAX_EVIDENCE_ELEMENTS]]
        title = meta.title(rule_id, item.get("help", rule))
        yield Finding(rule=rule_id, severity="info", site=site, url=url,
                      message=f"需人工复核：{title}（{int(item.get('count', len(elements)))} 处，axe-core 无法自动判定）",
                      evidence={"impact": item.get("impact"), "wcag": scs, "wcag_level": level,
                                "gbt_level": meta.gbt.get(level) if level else None, "count": int(item.get("count", len(elements))),
                                "elements": elements, "help": item.get("help", ""), "help_url": item.get("helpUrl", ""),
                                "stands_for": stands_for, "needs_review": True},
                      extra={**extra_base, "discriminator": "review"})

    if audit and audit.get("status") == "not_audited" and meta.rules.enabled("a11y.not_audited"):
        yield Finding(rule="a11y.not_audited", severity=meta.severity("a11y.not_audited", None), site=site, url=url,
                      message=f"未能完成无障碍浏览器检测（{audit.get('reason')}）：{audit.get('detail', '')}",
                      evidence={"reason": audit.get("reason"), "detail": audit.get("detail", ""),
                                "chosen_as": audit.get("chosen_as", ""), "stands_for": audit.get("stands_for", 1)},
                      extra=dict(extra_base))


def _coverage(view: ScanView, sampling: dict[str, Any] | None, audits: dict[str, dict[str, Any]], pages: int,
              meta: _Meta) -> Iterator[Finding]:
    if not meta.rules.enabled("a11y.coverage"):
        return
    audited = sum(1 for a in audits.values() if a.get("status") == "audited")
    failed = len(audits) - audited
    if sampling is None or sampling.get("mode") == "off":
        yield Finding(rule="a11y.coverage", severity=meta.severity("a11y.coverage", None), site=view.site, url=view.start_url,
                      message=f"未运行浏览器无障碍检测：{pages} 个页面只有静态检查结果（颜色对比度等需浏览器的项目未检查）",
                      evidence={"mode": (sampling or {}).get("mode", "not_run"), "pages": pages, "audited": 0})
        return
    represented = sum(int(a.get("stands_for", 1)) for a in audits.values() if a.get("status") == "audited")
    unrepresented = sum(int(g.get("not_represented", 0)) for g in sampling.get("groups", []))
    yield Finding(rule="a11y.coverage", severity=meta.severity("a11y.coverage", None), site=view.site, url=view.start_url,
                  message=(f"无障碍浏览器检测（{'全部页面' if sampling.get('mode') == 'all' else '按模板抽样'}）："
                           f"检测 {audited} 个页面，代表 {represented} / {sampling.get('pages', pages)} 个页面；"
                           f"{failed} 个页面未能检测；{len(sampling.get('groups', []))} 个页面模板"),
                  evidence={"mode": sampling.get("mode"), "pages": sampling.get("pages", pages), "chosen": sampling.get("chosen"),
                            "audited": audited, "not_audited": failed, "represented": represented,
                            "not_represented": unrepresented, "groups": sampling.get("groups", [])[:200]})


def _elder(view: ScanView, home_url: str | None, home_facts: PageFacts | None, meta: _Meta) -> Iterator[Finding]:
    rules, site = meta.rules, view.site
    p = "a11y.elder."
    if home_url is not None and home_facts is not None and "elder_candidates" in home_facts:
        entry = find_elder_entry(home_facts.get("elder_candidates"), rules.param(p + "entry_keywords"),
                                 rules.param(p + "toolbar_scripts"))
        if entry is None and rules.enabled("elder.entry"):
            yield Finding(rule="elder.entry", severity=rules.severity("elder.entry"), site=site, url=home_url,
                          message="首页未找到无障碍/长者模式/关怀版/适老版入口或无障碍工具条",
                          evidence={"keywords": list(rules.param(p + "entry_keywords")),
                                    "toolbar_scripts": list(rules.param(p + "toolbar_scripts"))},
                          extra={"on_homepage": True})
        elif entry is not None and rules.enabled("elder.manual"):
            scripted = entry["via"] == "script" or not entry["href"].startswith(("http://", "https://"))
            if scripted:
                yield Finding(rule="elder.manual", severity=rules.severity("elder.manual"), site=site, url=home_url,
                              message=(f"适老化/无障碍模式由脚本开启（{entry['text'] or entry['href']}）：模式下的字号、"
                                       "弹窗、大鼠标与语音朗读需人工确认"),
                              evidence={"entry": entry}, extra={"on_homepage": True, "discriminator": "scripted_mode"})

    for url, body in view.artifacts("elder"):
        role = body.get("role", "home")
        extra = {"on_homepage": role == "home", "discriminator": role}
        if body.get("status") != "probed":
            if rules.enabled("elder.manual"):
                yield Finding(rule="elder.manual", severity=rules.severity("elder.manual"), site=site, url=url,
                              message=f"未能在浏览器中测量字号、行距与弹窗（{body.get('reason')}）：需人工确认",
                              evidence={"role": role, "reason": body.get("reason"), "detail": body.get("detail")},
                              extra=extra)
            continue
        probe = body.get("probe") or {}
        fonts, lines = probe.get("font_px") or {}, probe.get("line_ratio") or {}
        min_font = float(rules.param(p + "min_font_px"))
        small = share_below(fonts, min_font)
        if probe.get("chars") and small > float(rules.param(p + "small_font_share")) and rules.enabled("elder.font_size"):
            yield Finding(rule="elder.font_size", severity=rules.severity("elder.font_size"), site=site, url=url,
                          message=f"{small:.0%} 的文字字号小于 {min_font:g}px（中位字号 {median(fonts)}px）",
                          evidence={"role": role, "share_below": round(small, 3), "min_font_px": min_font,
                                    "median_font_px": median(fonts), "font_px_histogram": fonts, "chars": probe.get("chars")},
                          extra=extra)
        min_lh = float(rules.param(p + "min_line_height"))
        tight = share_below(lines, min_lh)
        if probe.get("chars") and tight > float(rules.param(p + "tight_line_share")) and rules.enabled("elder.spacing"):
            yield Finding(rule="elder.spacing", severity=rules.severity("elder.spacing"), site=site, url=url,
                          message=f"{tight:.0%} 的文字行高低于字号的 {min_lh:g} 倍（中位 {median(lines)} 倍）",
                          evidence={"role": role, "share_below": round(tight, 3), "min_line_height": min_lh,
                                    "median_line_height": median(lines), "line_ratio_histogram": lines},
                          extra=extra)
        layers = [layer for layer in probe.get("layers", []) if _is_popup(layer, probe.get("viewport"), rules)]
        if layers and rules.enabled("elder.no_ads"):
            yield Finding(rule="elder.no_ads", severity=rules.severity("elder.no_ads"), site=site, url=url,
                          message=f"页面有 {len(layers)} 个固定定位的弹出层/浮动广告层（{layers[0]['selector']}）",
                          evidence={"role": role, "layers": layers[:MAX_EVIDENCE_ELEMENTS]}, extra=extra)


def _is_popup(layer: dict[str, Any], viewport: list[int] | None, rules: RuleSet) -> bool:
    """A fixed layer that covers much of the screen, or carries media like a floating ad; bars are not."""
    if layer.get("position") != "fixed":
        return False
    p = "a11y.elder."
    share = float(layer.get("share", 0))
    rect = layer.get("rect") or [0, 0, 0, 0]
    vw, vh = (viewport or [1, 1])[:2]
    is_bar = rect[2] >= 0.9 * vw and rect[3] <= float(rules.param(p + "bar_max_height_share")) * vh
    if is_bar:
        return False
    if share >= float(rules.param(p + "popup_min_share")):
        return True
    return bool(layer.get("media")) and share >= float(rules.param(p + "ad_media_min_share"))


def run(view: ScanView, rules: RuleSet) -> Iterator[Finding]:
    """All accessibility and elderly-friendly findings of one scan."""
    meta = _Meta(rules)
    audits = dict(view.artifacts("axe"))
    sampling = next((body for key, body in view.artifacts("a11y_sampling") if key == "groups"), None)
    stands = (sampling or {}).get("stands_for", {})
    home_url: str | None = None
    home_facts: PageFacts | None = None
    pages = 0
    unseen = set(audits)  # audited URLs no page has been under yet (a sample: not a set of every page's URLs)
    for rec in view.pages():
        facts = rec.facts or {}
        pages += 1
        is_home = rec.url == view.start_url or facts.get("kind") == "home"
        if is_home and (home_url is None or rec.url == view.start_url):
            home_url, home_facts = rec.url, facts
        static: dict[str, list[StaticA11yFailure]] = {}
        for item in facts.get("a11y_static") or []:
            static.setdefault(str(item.get("rule")), []).append(item)
        audit = audits.get(rec.url)
        unseen.difference_update((rec.url, *rec.aliases))
        for finding in _page_findings(rec.url, view.site, static, facts.get("a11y_static_counts") or {}, audit,
                                      int((audit or {}).get("stands_for", stands.get(rec.url, 1))), is_home, meta):
            if rec.aliases:
                finding.evidence["aliases"] = rec.aliases
            yield finding
    for url, audit in audits.items():  # audited URLs the crawl did not record as pages (e.g. redirected)
        if url in unseen:
            yield from _page_findings(url, view.site, {}, {}, audit, int(audit.get("stands_for", 1)),
                                      url == view.start_url, meta)
    yield from _coverage(view, sampling, audits, pages, meta)
    yield from _elder(view, home_url, home_facts, meta)


# -- what this check is (govaudit/checks/plugin.py); registered in pyproject.toml [project.entry-points] --
# Why the browser stage could not audit a page (crawler/browser/audit.py: NotAudited and _classify).
NOT_AUDITED: dict[str, dict[str, str]] = {
    "page_load_timeout": T("页面加载超时", "page load timed out"), "load_error": T("浏览器无法打开页面", "page could not be opened"),
    "axe_timeout": T("axe-core 检测超时", "axe-core timed out"), "navigated_away": T("检测中页面跳转", "page navigated away"),
    "script_error": T("axe-core 无法运行", "axe-core could not run"), "browser_hung": T("浏览器无响应", "browser stopped answering"),
    "browser_crashed": T("浏览器崩溃（已重启）", "browser crashed (restarted)"), "webdriver_error": T("WebDriver 错误", "WebDriver error"),
    "error": T("检测出错", "audit error"),
}

FIELDS: dict[str, Field] = {
    'aliases': Field(T('同一页面的其他地址', 'Other URLs of this page'), kind='list'),
    'impact': Field(T('影响程度', 'Impact'), values={'critical': T('严重', 'critical'), 'serious': T('较严重', 'serious'), 'moderate': T('中等', 'moderate'), 'minor': T('轻微', 'minor')}, optional=True),
    'wcag': Field(T('WCAG 条款', 'WCAG criteria')),
    'wcag_level': Field(T('WCAG 级别', 'WCAG level')),
    'gbt_level': Field(T('GB/T 37668 等级', 'GB/T 37668 level'), optional=True),
    'elements': Field(T('问题元素', 'Elements'), kind='table'),
    'selector': Field(T('元素', 'Element')),
    'html': Field(T('代码', 'HTML')),
    'summary': Field(T('问题描述', 'Failure summary')),
    'sources': Field(T('检测方式', 'Found by'), kind='table', values={'axe': T('浏览器检测（axe-core）', 'browser (axe-core)'), 'static': T('静态检查', 'static check'), 'axe:incomplete': T('浏览器检测待复核', 'browser, needs review')}),
    'stands_for': Field(T('代表页面数', 'Pages represented')),
    'help': Field(T('规则说明', 'Rule help'), optional=True),
    'help_url': Field(T('规则说明链接', 'Help link'), kind='url', optional=True),
    'needs_review': Field(T('需人工复核', 'Needs review'), kind='bool'),
    'chosen': Field(T('抽样页面数', 'Pages sampled')),
    'audited': Field(T('已检测页面数', 'Pages audited')),
    'not_audited': Field(T('未能检测页面数', 'Pages not audited')),
    'represented': Field(T('已代表页面数', 'Pages represented')),
    'not_represented': Field(T('未被代表页面数', 'Pages not represented')),
    'groups': Field(T('页面模板分组', 'Template groups'), kind='table'),
    'template': Field(T('模板', 'Template')),
    'urls': Field(T('页面', 'Pages'), kind='table'),
    'detail': Field(T('详情', 'Detail'), optional=True),
    'chosen_as': Field(T('抽样角色', 'Sampled as')),
    'elder_entry': Field(T('适老化入口', 'Elderly-mode entry')),
    'role': Field(T('页面角色', 'Page role'), values={'home': T('首页', 'homepage'), 'article': T('正文页', 'article page'), 'list': T('列表页', 'list page'), 'other': T('其他页面', 'other'), 'elder_mode': T('适老化模式页面', 'elderly-mode page')}),
    'share_below': Field(T('低于要求的文字占比', 'Share below the minimum'), kind='percent'),
    'min_font_px': Field(T('最小字号要求（px）', 'Minimum font size (px)')),
    'median_font_px': Field(T('中位字号（px）', 'Median font size (px)')),
    'font_px_histogram': Field(T('字号分布（字号 px：文字数）', 'Font sizes (px: characters)')),
    'chars': Field(T('文字数', 'Characters')),
    'min_line_height': Field(T('最小行高要求（倍）', 'Minimum line height (×)')),
    'median_line_height': Field(T('中位行高（倍）', 'Median line height (×)')),
    'line_ratio_histogram': Field(T('行高分布（倍数：文字数）', 'Line heights (×: characters)')),
    'layers': Field(T('弹出层', 'Pop-up layers'), kind='table'),
    'position': Field(T('定位方式', 'Position')),
    'zIndex': Field(T('层级', 'z-index')),
    'share': Field(T('遮挡屏幕比例', 'Share of the screen'), kind='percent'),
    'rect': Field(T('位置（左, 上, 宽, 高）', 'Box (left, top, width, height)')),
    'text': Field(T('文字', 'Text')),
    'keywords': Field(T('入口关键词', 'Entry keywords')),
    'toolbar_scripts': Field(T('工具条脚本', 'Toolbar scripts')),
    'entry': Field(T('入口', 'Entry')),
    'via': Field(T('方式', 'Via'), values={'link': T('链接', 'link'), 'script': T('脚本', 'script')}),
    'href': Field(T('链接地址', 'Link'), kind='url'),
    'reasons': Field(T('抽样原因', 'Why sampled'), values={'home': T('首页', 'home'), 'mailbox': T('信箱页', 'mailbox'), 'column_list': T('栏目列表页', 'column_list'), 'template': T('模板代表页', 'template')}),
    'item': Field(T('项目', 'Item')),
    'mode': Field(T('方式', 'Mode'), values={'homepage': T('首页', 'homepage'), 'navigation homepage: second-level pages': T('首页仅为导航，检查其二级页面', 'navigation homepage: its second-level pages'), 'sample': T('按模板抽样', 'sampled by template'), 'all': T('全部页面', 'all pages'), 'not_run': T('未运行', 'not run'), 'off': T('已关闭', 'off')}),
    'pages': Field(T('页面', 'Pages'), kind='table', count_label=T('页面数', 'Pages')),
    'count': Field(T('数量', 'Count')),
    'reason': Field(T('原因', 'Reason'), values=NOT_AUDITED),
}

RULES: dict[str, RuleMeta] = {
    'a11y.image-alt': RuleMeta(
        title=T('图片缺少替代文本', 'Image without alternative text'),
        help=T('<img> 没有 alt 属性（装饰性图片应写 alt=""），读屏软件无法读出图片内容。GB/T 37668 可感知性。', 'An <img> has no alt attribute (decorative images take alt=""); screen readers cannot convey it.'),
        severity='deduct',
        message={'en': 'Image without alternative text ({count} element(s))'}),
    'a11y.input-image-alt': RuleMeta(
        title=T('图片按钮缺少替代文本', 'Image button without alternative text'),
        help=T('<input type="image"> 没有 alt 文本，读屏用户不知道按钮的作用。', 'An <input type="image"> has no alt text; screen-reader users cannot tell what it does.'),
        severity='deduct',
        message={'en': 'Image button without alternative text ({count} element(s))'}),
    'a11y.html-has-lang': RuleMeta(
        title=T('页面未声明语言', 'Page language not declared'),
        help=T('<html> 缺少 lang 属性（应为 lang="zh-CN"），读屏软件可能用错误的语言朗读。', 'The <html> element has no lang attribute (zh-CN expected); screen readers may read in the wrong language.'),
        severity='deduct',
        message={'en': 'Page language not declared ({count} element(s))'}),
    'a11y.html-lang-valid': RuleMeta(
        title=T('页面语言代码无效', 'Invalid page language'),
        help=T('<html lang> 的值不是有效的语言代码。', 'The <html lang> value is not a valid language tag.'),
        severity='warn',
        message={'en': 'Invalid page language ({count} element(s))'}),
    'a11y.document-title': RuleMeta(
        title=T('页面缺少标题', 'Page without title'),
        help=T('缺少 <title> 或标题为空，用户无法从标签页和读屏中识别页面。', 'The <title> is missing or empty; users cannot identify the page.'),
        severity='deduct',
        message={'en': 'Page without title ({count} element(s))'}),
    'a11y.label': RuleMeta(
        title=T('表单控件缺少标签', 'Form control without label'),
        help=T('输入框没有 <label>、aria-label 或 title，读屏用户不知道应填写什么（常见于搜索框）。', 'An input has no <label>, aria-label or title; screen-reader users cannot tell what to enter (often the search box).'),
        severity='deduct',
        message={'en': 'Form control without label ({count} element(s))'}),
    'a11y.select-name': RuleMeta(
        title=T('下拉框缺少标签', 'Select without label'),
        help=T('<select> 没有可访问名称（label、aria-label 或 title）。', 'A <select> has no accessible name (label, aria-label or title).'),
        severity='deduct',
        message={'en': 'Select without label ({count} element(s))'}),
    'a11y.link-name': RuleMeta(
        title=T('链接没有可识别文字', 'Link without discernible text'),
        help=T('链接没有文字、图片替代文本或 aria-label，读屏软件只能读出“链接”。', 'A link has no text, image alt or aria-label; screen readers can only say "link".'),
        severity='deduct',
        message={'en': 'Link without discernible text ({count} element(s))'}),
    'a11y.button-name': RuleMeta(
        title=T('按钮没有可识别文字', 'Button without discernible text'),
        help=T('<button> 没有文字、aria-label 或 title。', 'A <button> has no text, aria-label or title.'),
        severity='deduct',
        message={'en': 'Button without discernible text ({count} element(s))'}),
    'a11y.input-button-name': RuleMeta(
        title=T('输入按钮没有可识别文字', 'Input button without discernible text'),
        help=T('<input type="button"> 没有 value、aria-label 或 title。', 'An <input type="button"> has no value, aria-label or title.'),
        severity='deduct',
        message={'en': 'Input button without discernible text ({count} element(s))'}),
    'a11y.duplicate-id': RuleMeta(
        title=T('重复的 id 属性', 'Duplicate id'),
        help=T('同一页面中多个元素使用相同 id，辅助技术可能指向错误元素（WCAG 2.0/2.1 的 4.1.1 解析）。', 'Several elements share one id; assistive technology may point at the wrong one (WCAG 2.0/2.1 SC 4.1.1).'),
        severity='warn',
        message={'en': 'Duplicate id ({count} element(s))'}),
    'a11y.bypass': RuleMeta(
        title=T('无法跳过重复导航', 'No way to bypass repeated navigation'),
        help=T('页面没有“跳到主要内容”链接、地标区域（main、nav 等）或标题，键盘与读屏用户每页都要穿过整个导航。', 'No skip link, landmark or heading; keyboard and screen-reader users must pass the whole navigation on every page.'),
        severity='deduct',
        message={'en': 'No way to bypass repeated navigation ({count} element(s))'}),
    'a11y.color-contrast': RuleMeta(
        title=T('文字对比度不足', 'Insufficient text contrast'),
        help=T('文字与背景对比度低于 4.5:1（大号文字 3:1），老年人与低视力用户难以阅读。', 'Text contrast is below 4.5:1 (3:1 for large text); hard to read for older and low-vision users.'),
        severity='deduct',
        message={'en': 'Insufficient text contrast ({count} element(s))'}),
    'a11y.frame-title': RuleMeta(
        title=T('框架缺少标题', 'Frame without title'),
        help=T('<iframe>/<frame> 没有 title，读屏用户不知道框架内容。', 'An <iframe>/<frame> has no title; screen-reader users cannot tell what it holds.'),
        severity='warn',
        message={'en': 'Frame without title ({count} element(s))'}),
    'a11y.not_audited': RuleMeta(
        title=T('未能完成无障碍检测的页面', 'Page not audited for accessibility'),
        help=T('浏览器检测该页面时超时、页面跳走、浏览器崩溃等，附原因；其他页面的检测照常进行。', 'The browser audit of this page timed out, the page navigated away or the browser crashed; the reason is attached.'),
        severity='info'),
    'a11y.coverage': RuleMeta(
        title=T('无障碍检测覆盖率', 'Accessibility audit coverage'),
        help=T('按页面模板抽样检测：每个被检测页面代表同模板的多少页面；未被代表的页面只有静态检查结果。', 'Template sampling; how many pages each audited page stands for; pages not represented have static checks only.'),
        severity='info',
        message={'en': 'Accessibility audit coverage: {mode}, {audited} of {pages} pages audited in the browser'}),
    'elder.entry': RuleMeta(
        title=T('首页无无障碍/适老化服务入口', 'No accessible or elderly-mode entry on the homepage'),
        help=T('首页未找到“无障碍”“长者模式”“关怀版”“适老版”等入口或无障碍工具条脚本（国办公开办函〔2021〕28号、工信部适老化规范）。', 'The homepage shows no 无障碍/长者模式/关怀版/适老版 entry nor an accessibility toolbar script (MIIT 2021 spec).'),
        severity='deduct'),
    'elder.font_size': RuleMeta(
        title=T('正文字号偏小', 'Small body text'),
        help=T('按字符计，多数文字的计算字号小于规则集下限（规范具体数值未找到，见 params.a11y.elder.min_font_px）。', "Most text is set smaller than the rule set's minimum (the spec's figure was not found; see params)."),
        severity='warn'),
    'elder.spacing': RuleMeta(
        title=T('行距不足', 'Tight line spacing'),
        help=T('多数文字的行高低于字号的 1.3 倍（工信部适老化规范 App 部分的数值，网站沿用）。', 'Most text has a line-height below 1.3× its size (MIIT elderly-friendly App figure, applied to websites).'),
        severity='warn'),
    'elder.no_ads': RuleMeta(
        title=T('存在浮动弹窗或广告层', 'Pop-up or floating ad layer'),
        help=T('页面有覆盖视口的固定定位弹出层或带图片/框架的浮动层（飘窗）；适老化页面不得有广告和弹窗。', 'A fixed-position layer covers the viewport, or a floating layer carries images/frames (飘窗); not allowed in elderly mode.'),
        severity='warn'),
    'elder.manual': RuleMeta(
        title=T('适老化需人工确认项', 'Elderly-friendly item for manual review'),
        help=T('机器无法判定的部分，如由脚本切换的关怀模式、大鼠标、语音朗读是否可用。', 'What a machine cannot tell, e.g. a mode switched on by script, large cursor or read-aloud working.'),
        severity='info'),
}

PLUGIN = CheckPlugin(
    id='a11y',
    title=T("无障碍与适老化", "Accessibility and elderly-friendly design"),
    run=run,
    rules=RULES,
    families={"a11y": T("无障碍", "Accessibility"), "elder": T("适老化", "Elderly-friendly")},
    fields=FIELDS,
    needs=("a11y_static", "a11y_static_counts", "elder_candidates"),
    extractors=("a11y_static",),
    open_prefixes=("a11y.",),  # axe-core rules not listed above are reported with axe's own help text
    order=50,
)
