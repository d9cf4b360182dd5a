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

from govaudit.crawler.browser.elder import median, share_below
from govaudit.crawler.extract.a11y_static import find_elder_entry
from govaudit.model import Finding
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


def _page_findings(url: str, site: str, static: dict[str, list[dict[str, Any]]], static_counts: dict[str, int],
                   audit: dict[str, Any] | None, stands_for: int, on_home: bool, meta: _Meta) -> Iterator[Finding]:
    audited = bool(audit) and audit.get("status") == "audited"
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


def _elder(view: ScanView, home_url: str | None, home_facts: dict[str, Any] | None, meta: _Meta) -> Iterator[Finding]:
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
    home_facts: dict[str, Any] | None = None
    pages = 0
    seen: set[str] = set()
    for rec in view.pages():
        facts = rec.facts or {}
        pages += 1
        is_home = rec.url == view.start_url or facts.get("kind") == "home"
        if is_home and (home_url is None or rec.url == view.start_url):
            home_url, home_facts = rec.url, facts
        static: dict[str, list[dict[str, Any]]] = {}
        for item in facts.get("a11y_static") or []:
            static.setdefault(str(item.get("rule")), []).append(item)
        audit = audits.get(rec.url)
        seen.update((rec.url, *rec.aliases))
        for finding in _page_findings(rec.url, view.site, static, facts.get("a11y_static_counts") or {}, audit,
                                      int((audit or {}).get("stands_for", stands.get(rec.url, 1))), is_home, meta):
            if rec.aliases:
                finding.evidence["aliases"] = rec.aliases
            yield finding
    for url, audit in audits.items():  # audited URLs the crawl did not record as pages (e.g. redirected)
        if url not in seen:
            yield from _page_findings(url, view.site, {}, {}, audit, int(audit.get("stands_for", 1)),
                                      url == view.start_url, meta)
    yield from _coverage(view, sampling, audits, pages, meta)
    yield from _elder(view, home_url, home_facts, meta)
