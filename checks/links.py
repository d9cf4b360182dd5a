"""Link verdicts (链接可用性): dead, suspect, wrong (soft 404, redirect loops), and what was not checked.

The crawler records raw observations — status, error class, every attempt, redirects, the host's answer
to a path that cannot exist — and this check turns them into verdicts an inspector can defend, with the
rule set deciding the contested parts (does 403 count as dead? how many re-tests?).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from govaudit.checks.plugin import CheckPlugin, Field, RuleMeta, T

from govaudit.facts import PageFacts, unread_code
from govaudit.model import Finding, UrlRecord
from govaudit.ruleset import RuleSet
from govaudit.store import ScanView

SUSPECT_ERRORS = {"timeout", "dns", "refused", "reset", "tls", "other", "too_large", "malformed", "redirect_scheme"}
MAX_SOURCES = 50  # sources listed in one finding; source_count always has the full number

# The download-error vocabulary (design.md "What dead means"), in words: messages and the report's field values.
# Why a URL was not checked (UrlRecord.skip_reason, written by crawler/spiders/site.py); links.not_checked counts them.
SKIP_REASONS: dict[str, dict[str, str]] = {
    "robots": T("robots 协议禁止", "disallowed by robots.txt"), "excluded": T("按配置排除", "excluded"),
    "external_not_checked": T("外部链接未检查", "external link not checked"),
    "trap": T("疑似爬虫陷阱（无限日历、查询串、重复路径）", "crawler trap guard"), "url_too_long": T("地址过长", "URL too long"),
    "circuit_open": T("站点错误过多，已暂停（熔断）", "host paused by the circuit breaker"),
    "page_cap": T("超过页面上限", "page cap reached"), "depth_cap": T("超过抓取深度", "depth cap reached"), "not_included": T("不在抓取范围（--include）", "not included"),
    "ignored": T("被抓取器忽略", "ignored by the crawler"),
    "stalled": T("抓取停滞，看门狗结束扫描", "stalled: the watchdog ended the scan"),
    # a page whose analysis ran over params.crawl.analysis_budget_seconds (or broke its worker): its links were
    # crawled, its facts not read
    "not_analysed": T("页面分析超时或分析进程失败，仅提取了链接",
                      "not analysed (over the time budget, or its worker was lost): only its links were read"),
    # a page larger than params.crawl.analysis_max_bytes: no tree built; its links crawled, its title and metas read,
    # its text checked (wrong terms, personal data), nothing else read (dates, footer, accessibility)
    "analysis_size": T("页面超过分析大小上限，仅读取了链接、标题和元数据，并检查了正文文字（严重错误表述、个人信息）",
                       "larger than the analysis size limit: only its links, title and metas were read and its text "
                       "checked (wrong terms, personal data)"),
}

ERRORS: dict[str, dict[str, str]] = {
    "timeout": T("超时", "timeout"), "dns": T("域名解析失败", "DNS failure"), "refused": T("连接被拒绝", "connection refused"),
    "reset": T("连接被重置或中断", "connection reset"), "tls": T("TLS/证书错误", "TLS error"),
    "too_large": T("响应超过大小上限", "response too large"), "other": T("下载失败", "download failed"),
    "invalid_url": T("链接地址无效", "invalid URL"), "binary_body": T("以 text/html 返回了二进制内容", "binary body served as HTML"),
    "redirect_loop": T("重定向循环", "redirect loop"),
    "malformed": T("服务器的应答不是合法的 HTTP 响应", "the answer is not valid HTTP"),
    "redirect_scheme": T("重定向到非网页地址（如 ftp:），浏览器无法打开", "redirects to a non-web address (e.g. ftp:)"),
}
_ERROR_ZH = {code: text["zh"] for code, text in ERRORS.items()}


def _base(view: ScanView, rec: UrlRecord, home_urls: set[str]) -> dict[str, Any]:
    refs = list(view.refs(rec.url, limit=MAX_SOURCES))
    count = view.ref_count(rec.url)
    extra: dict[str, Any] = {
        "kind": rec.kind,
        "scope": "external" if rec.kind == "external" else "internal",
        "sources": [{"url": r.source, "anchor": r.anchor, "tag": r.tag} for r in refs],
        "source_count": count,
        "on_homepage": any(r.source in home_urls for r in refs),
        "status": rec.status,
        "error": rec.error,
        "attempts": rec.attempts,
    }
    if rec.final_url:
        extra["final_url"] = rec.final_url
    if rec.redirects:
        extra["redirects"] = rec.redirects
    return extra


def _where(extra: dict[str, Any]) -> str:
    first = extra["sources"][0] if extra["sources"] else None
    where = f"，位于 {first['url']}（链接文字“{first['anchor']}”）" if first else ""
    more = extra["source_count"] - 1
    return where + (f" 等 {extra['source_count']} 个页面" if more > 0 else "")


def _soft404_reason(rec: UrlRecord, facts: PageFacts, phrases: list[str], probe: dict[str, Any] | None,
                    home_urls: set[str]) -> str | None:
    title = facts.get("title") or ""
    for phrase in phrases:
        if phrase.lower() in title.lower():
            return f"页面标题含“{phrase}”"
    if not probe or probe.get("status") != 200:
        return None
    if rec.final_url and rec.final_url in home_urls and probe.get("final_url") in home_urls and rec.url not in home_urls:
        return "跳转到首页，与该站不存在的地址表现相同"
    probe_title = probe.get("title")
    if probe_title and title == probe_title and rec.url not in home_urls:
        return f"与该站不存在地址返回的页面相同（标题“{probe_title}”）"
    return None


def run(view: ScanView, rules: RuleSet) -> Iterator[Finding]:
    definite = set(rules.param("links.definite_statuses"))
    if rules.param("links.count_403_as_dead"):
        definite.add(403)
    suspect_from = int(rules.param("links.suspect_statuses_from"))
    phrases = list(rules.param("links.soft404_phrases"))
    internal_only = bool(rules.param("links.internal_only_in_score"))
    site = view.site
    home = view.get(view.start_url)
    home_urls = {view.start_url} | ({home.final_url} if home and home.final_url else set())
    probes = {host: facts.get("not_found_probe") for host, facts in view.hosts().items()}
    probe = next(iter(probes.values()), None)
    not_checked: dict[str, list[str]] = defaultdict(list)
    not_checked_count: Counter[str] = Counter()
    not_analysed: dict[str, list[str]] = defaultdict(list)  # pages fetched whose facts were not (all) read
    not_analysed_count: Counter[str] = Counter()

    def finding(rule: str, rec: UrlRecord, message: str, extra: dict[str, Any]) -> Finding:
        severity = rules.severity(rule)
        if extra["scope"] == "external" and internal_only and severity in ("deduct", "veto"):
            severity = "warn"  # [S] C3: only on-site definite dead links enter the problem statistics
        return Finding(rule=rule, severity=severity, site=site, url=rec.url, message=message,
                       evidence={"status": rec.status, "error": rec.error, "attempts": len(rec.attempts)}, extra=extra)

    for rec in view.urls():
        if rec.state == "skipped":
            skip = rec.skip_reason or "unknown"
            not_checked_count[skip] += 1
            if len(not_checked[skip]) < 20:
                not_checked[skip].append(rec.url)
            continue
        if rec.state != "done":
            continue
        unread = (rec.facts or {}).get("not_analysed")
        if unread:  # under the crawl's coverage code for it
            code = unread_code(unread)
            not_analysed_count[code] += 1
            if len(not_analysed[code]) < 20:
                not_analysed[code].append(rec.url)
        if rec.error == "redirect_loop":
            extra = _base(view, rec, home_urls)
            yield finding("links.redirect_loop", rec, f"重定向循环{_where(extra)}", extra)
        elif rec.error == "redirect_chain":
            extra = _base(view, rec, home_urls)
            yield finding("links.redirect_chain", rec, f"重定向超过 {rules.param('links.max_redirects')} 次{_where(extra)}", extra)
        elif rec.error == "invalid_url":
            extra = _base(view, rec, home_urls)
            yield finding("links.dead", rec, f"链接地址无效，无法打开{_where(extra)}", extra)
        elif rec.status in definite:
            extra = _base(view, rec, home_urls)
            yield finding("links.dead", rec, f"链接返回 HTTP {rec.status}{_where(extra)}", extra)
        elif (rec.error in SUSPECT_ERRORS) or (rec.status is not None and (rec.status >= suspect_from or rec.status == 429)):
            extra = _base(view, rec, home_urls)
            what = _ERROR_ZH.get(rec.error or "", f"HTTP {rec.status}")
            tries = len(rec.attempts)
            yield finding("links.suspect", rec, f"{what}（共尝试 {tries} 次）{_where(extra)}", extra)
        elif rec.kind == "page" and rec.status == 200 and (rec.facts is not None or rec.final_url):
            # A redirect whose target was analysed under another URL is judged by that document's facts.
            page = rec if rec.facts is not None else view.page(rec.url)
            reason = _soft404_reason(rec, (page.facts if page else None) or {}, phrases, probe, home_urls)
            if reason:
                extra = _base(view, rec, home_urls)
                extra["soft404_reason"] = reason
                yield finding("links.soft404", rec, f"返回 200 但是错误页：{reason}{_where(extra)}", extra)

    for reason, count in sorted(not_checked_count.items()):
        yield Finding(rule="links.not_checked", severity=rules.severity("links.not_checked"), site=site, url=site,
                      message=f"{count} 个链接未检查（原因：{reason}）",
                      evidence={"reason": reason, "count": count, "examples": not_checked[reason]},
                      extra={"discriminator": reason, "count": count})
    for reason, count in sorted(not_analysed_count.items()):
        yield Finding(rule="links.not_analysed", severity=rules.severity("links.not_analysed"), site=site, url=site,
                      message=f"{count} 个页面未完整分析（原因：{reason}）",
                      evidence={"reason": reason, "count": count, "examples": not_analysed[reason]},
                      extra={"discriminator": reason, "count": count})


# -- what this check is (govaudit/checks/plugin.py); registered in pyproject.toml [project.entry-points] --
FIELDS: dict[str, Field] = {
    'url': Field(T('地址', 'URL'), kind='url'),
    'status': Field(T('状态码', 'HTTP status'), optional=True),
    'error': Field(T('错误', 'Error'), values=ERRORS, optional=True),
    'attempts': Field(T('尝试记录', 'Attempts'), kind='table', count_label=T('尝试次数', 'Attempts')),
    'sources': Field(T('所在页面', 'Pages carrying it'), kind='table'),
    'source_count': Field(T('所在页面数', 'Pages carrying it')),
    'anchor': Field(T('链接文字', 'Link text')),
    'tag': Field(T('标签', 'Tag')),
    'kind': Field(T('类型', 'Kind'), values={'page': T('页面', 'page'), 'resource': T('资源文件', 'resource'), 'external': T('外部链接', 'external link'), 'leader_mailbox': T('领导信箱', "leader's mailbox"), 'mailbox': T('信箱', 'mailbox'), 'message_board': T('网上留言', 'message board'), 'consultation': T('政务咨询', 'consultation'), 'zhaocuo': T('网站找错', 'report a site error'), 'petition': T('网上信访', 'petition'), 'report': T('举报', 'report')}),
    'scope': Field(T('范围', 'Scope'), values={'internal': T('站内', 'on site'), 'external': T('站外', 'off site')}),
    'on_homepage': Field(T('位于首页', 'On the homepage'), kind='bool'),
    'redirects': Field(T('重定向链', 'Redirect chain'), kind='table'),
    'redirect_chain': Field(T('重定向链', 'Redirect chain')),
    'final_url': Field(T('最终地址', 'Final URL'), kind='url', optional=True),
    'soft404_reason': Field(T('判定为错误页的原因', 'Why it is an error page')),
    'method': Field(T('请求方法', 'Method')),
    'at': Field(T('时间', 'Time'), kind='timestamp'),
    'elapsed': Field(T('耗时（秒）', 'Elapsed (s)')),
    'reason': Field(T('原因', 'Reason'), values=SKIP_REASONS),
    'count': Field(T('数量', 'Count')),
    'examples': Field(T('示例', 'Examples')),
}

RULES: dict[str, RuleMeta] = {
    'links.dead': RuleMeta(
        title=T('死链（确定不可用链接）', 'Dead link'),
        help=T('链接目标返回 404/410（或按规则集计入的 403）。检查指标“链接可用性”扣分项。', 'The link target answered 404/410 (or 403 where the rule set counts it). Deducted under link availability.'),
        severity='deduct',
        message={'en': 'Dead link, on {source_count} page(s)'}),
    'links.suspect': RuleMeta(
        title=T('疑似不可用链接', 'Suspect link'),
        help=T('多次复测仍超时、5xx、域名解析失败、连接被拒绝或重置、TLS 错误；附每次尝试记录，需人工确认。', 'Timed out, 5xx, DNS, refused, reset or TLS error on every re-test; attempt history attached for review.'),
        severity='warn',
        message={'en': 'Suspect link ({attempts} attempts), on {source_count} page(s)'}),
    'links.soft404': RuleMeta(
        title=T('错链（软404：返回200的错误页）', 'Soft 404'),
        help=T('服务器返回 200，但页面内容是“页面不存在”类错误页，或与该站点随机路径的 404 页指纹一致。', "The server answered 200 but the page is an error page (not-found wording or the host's not-found fingerprint)."),
        severity='deduct',
        message={'en': 'Answers 200 but is an error page, on {source_count} page(s)'}),
    'links.redirect_loop': RuleMeta(
        title=T('错链（重定向循环）', 'Redirect loop'),
        help=T('链接跳转回到已经访问过的地址，浏览器无法打开。', 'The link redirects back to an address already visited; browsers give up.'),
        severity='deduct',
        message={'en': 'Redirect loop, on {source_count} page(s)'}),
    'links.redirect_chain': RuleMeta(
        title=T('重定向链过长', 'Over-long redirect chain'),
        help=T('跳转次数超过规则集上限。', 'More redirects than the rule set allows.'),
        severity='warn',
        message={'en': 'More redirects than the rule set allows, on {source_count} page(s)'}),
    'links.not_checked': RuleMeta(
        title=T('未能检查的链接', 'Link not checked'),
        help=T('因 robots.txt、站点熔断暂停、抓取上限或陷阱防护而未检查，计入覆盖率说明。', 'Not checked because of robots.txt, a paused host, crawl caps or trap guards; counted in coverage.'),
        severity='info',
        message={'en': '{count} link(s) not checked ({reason})'}),
    'links.not_analysed': RuleMeta(
        title=T('未完整分析的页面', 'Page not fully analysed'),
        help=T('页面已抓取、其链接已检查，但分析超时、分析进程失败，或页面超过分析大小上限（params.crawl.analysis_max_bytes，'
               '此时仍读取标题与元数据并检查正文文字）：其余事实（信息日期、页脚标识、无障碍等）未读取，相关检查未覆盖这些页面，计入覆盖率说明。',
               'Fetched and its links checked, but its analysis ran over the time budget, lost its worker, or the page is '
               'larger than the analysis size limit (params.crawl.analysis_max_bytes; its title, metas and text are still '
               'read): its other facts (item dates, footer identifiers, accessibility…) were not, so the checks that need '
               'them did not cover it; counted in coverage.'),
        severity='info',
        message={'en': '{count} page(s) not fully analysed ({reason})'}),
}

PLUGIN = CheckPlugin(
    id='links',
    title=T("链接可用性", "Link availability"),
    run=run,
    rules=RULES,
    families={"links": T("链接", "Links")},
    fields=FIELDS,
    needs=("title", "not_found_probe"),
    extractors=("core",),
    order=20,
)
