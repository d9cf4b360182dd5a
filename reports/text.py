"""Crawled text made safe to display, labels in two languages, and the evidence lines each family shows.

Crawled text is hostile and sometimes not text at all: titles of megabytes, binary served as HTML, lone
surrogates from broken encodings, control characters that break XML (and so XLSX).  Everything that goes
into a report passes through ``clean``.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from govaudit.model import Finding

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean(value: Any, limit: int = 2000) -> str:
    """Printable text of at most ``limit`` characters (a marker says how much was cut)."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if len(text) > limit:
        text = f"{text[:limit]}…（+{len(text) - limit}）"
    text = _SURROGATE.sub("\ufffd", text)
    return _CONTROL.sub("\ufffd", text)


LABELS: dict[str, dict[str, str]] = {
    "report": {"zh": "政府网站检查报告", "en": "Government website inspection report"},
    "site": {"zh": "网站", "en": "Site"},
    "as_of": {"zh": "检查日期", "en": "Check date"},
    "ruleset": {"zh": "规则集", "en": "Rule set"},
    "score": {"zh": "得分", "en": "Score"},
    "deduction_score": {"zh": "扣分指标得分", "en": "Deduction part"},
    "bonus": {"zh": "加分", "en": "Bonus"},
    "verdict": {"zh": "结论", "en": "Verdict"},
    "vetoes": {"zh": "单项否决", "en": "Vetoes"},
    "no_veto": {"zh": "未触发单项否决", "en": "No veto hit"},
    "veto_note": {"zh": "触发单项否决，网站判定为不合格；扣分结果仅供参考。",
                  "en": "A veto was hit: the site fails; the deduction part is shown for reference only."},
    "indicator": {"zh": "指标", "en": "Indicator"},
    "rule": {"zh": "规则", "en": "Rule"},
    "severity": {"zh": "严重程度", "en": "Severity"},
    "deducted": {"zh": "扣分", "en": "Points deducted"},
    "cap": {"zh": "分值上限", "en": "Cap"},
    "reason": {"zh": "扣分原因", "en": "Reason"},
    "findings": {"zh": "问题", "en": "Findings"},
    "count": {"zh": "数量", "en": "Count"},
    "url": {"zh": "地址", "en": "URL"},
    "message": {"zh": "说明", "en": "Message"},
    "evidence": {"zh": "证据", "en": "Evidence"},
    "coverage": {"zh": "检查覆盖率", "en": "Coverage"},
    "skipped": {"zh": "未检查（原因）", "en": "Not checked (reason)"},
    "pages_crawled": {"zh": "已抓取页面", "en": "Pages crawled"},
    "urls_checked": {"zh": "已检查链接", "en": "URLs checked"},
    "search": {"zh": "搜索地址或说明…", "en": "Search URL or message…"},
    "all": {"zh": "全部", "en": "All"},
    "shown": {"zh": "条，当前第", "en": "findings, page"},
    "prev": {"zh": "上一页", "en": "Previous"},
    "next": {"zh": "下一页", "en": "Next"},
    "by_indicator": {"zh": "各指标问题数", "en": "Findings by indicator"},
    "column_ages": {"zh": "栏目未更新天数", "en": "Column ages (days)"},
    "reply_times": {"zh": "留言等待天数", "en": "Reply waiting times (days)"},
    "all_findings": {"zh": "全部问题明细", "en": "All findings"},
    "more": {"zh": "更多见下方明细表", "en": "more in the table below"},
    "not_scored": {"zh": "不计分", "en": "not scored"},
    "skipped_service": {"zh": "无对外服务职能，不检查", "en": "no public services: not checked"},
    "capped": {"zh": "已达上限", "en": "cap reached"},
    "unscored_rules": {"zh": "规则集未描述的规则（不计分）", "en": "Rules the rule set does not describe (not scored)"},
    "complete": {"zh": "覆盖完整", "en": "complete"},
    "incomplete": {"zh": "覆盖不完整，结论可能偏宽", "en": "incomplete: the verdict may be lenient"},
    "summary": {"zh": "汇总", "en": "Summary"},
    "rank": {"zh": "排名", "en": "Rank"},
    "province_report": {"zh": "网站检查汇总", "en": "Inspection summary"},
    "report_link": {"zh": "报告", "en": "Report"},
    "sources": {"zh": "所在页面", "en": "Pages carrying it"},
    "anchor": {"zh": "链接文字", "en": "Anchor text"},
    "more_rows": {"zh": "另有 {n} 项未列出（见 findings.jsonl）", "en": "{n} more not listed (see findings.jsonl)"},
    "a11y_sampling": {"zh": "无障碍检测抽样", "en": "Accessibility sampling"},
    "fingerprint": {"zh": "问题指纹", "en": "Fingerprint"},
    "veto": {"zh": "否决", "en": "veto"}, "deduct": {"zh": "扣分", "en": "deduct"},
    "warn": {"zh": "警告", "en": "warn"}, "info": {"zh": "提示", "en": "info"},
}

# Evidence keys the checks emit, labelled per language.  A "family.key" entry overrides "key" for that
# family (a letter's ``status`` is its 办理状态, a link's is an HTTP status code).  Unknown keys fall back to
# the key itself, so a new check never breaks a report.
EVIDENCE_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        # links
        "status": "状态码", "error": "错误", "attempts": "尝试记录", "attempts#n": "尝试次数",
        "sources": "所在页面", "source_count": "所在页面数", "anchor": "链接文字", "tag": "标签",
        "url": "地址", "kind": "类型", "scope": "范围", "on_homepage": "位于首页", "redirects": "重定向链",
        "redirect_chain": "重定向链", "final_url": "最终地址", "soft404_reason": "判定为错误页的原因",
        "method": "请求方法", "at": "时间", "elapsed": "耗时（秒）", "reason": "原因", "count": "数量",
        "examples": "示例", "threshold": "否决阈值",
        # columns / home
        "column": "栏目", "columns": "栏目清单", "type": "类型", "type_title": "类型", "type_reason": "分类依据",
        "window_days": "更新周期（天）", "newest_date": "最新信息日期", "newest_url": "最新信息链接",
        "newest_title": "最新信息", "newest_date_from": "日期来源", "days_since": "距检查日天数",
        "days_over": "超期天数", "items": "信息条数", "undated_items": "无日期信息条数",
        "future_dated_items": "日期晚于检查日的信息", "list_pages": "列表页", "list_page_count": "列表页数",
        "placeholders": "占位提示", "as_of": "检查日期", "mode": "方式", "pages": "页面", "pages#n": "页面数",
        "date": "日期", "date_from": "日期来源", "title": "标题", "age_days": "未更新天数",
        # interaction
        "asked": "来信时间", "replied": "答复时间", "interaction.status": "办理状态", "unit": "答复单位",
        "channel": "渠道", "channel_page": "渠道页面", "reply_days": "答复用时（天）",
        "reply_working_days": "答复用时（工作日）", "reply_limit": "答复时限", "unanswered_limit": "未答复否决时限",
        "days_waiting": "等待天数", "working_days_waiting": "等待工作日数", "state": "答复状态", "note": "备注",
        "window_start": "统计起始日", "letters_in_window": "统计期内留言数", "answered": "已答复", "open": "未答复",
        "unknown": "无法判断", "undated": "无日期", "late": "超时答复", "unanswered": "超期未答复",
        "reply_rate": "答复率", "median_reply_days": "答复用时中位数（天）", "p90_reply_days": "答复用时 90% 分位（天）",
        "median_reply_working_days": "答复用时中位数（工作日）", "p90_reply_working_days": "答复用时 90% 分位（工作日）",
        "oldest_open": "最早未答复留言", "calendar_fallback": "工作日按自然日估算", "pages_checked": "检查页面数",
        "excluded_channels_found": "发现的非政务咨询渠道", "broken_channel_links": "无法访问的渠道链接", "name": "名称",
        "interaction.kind": "渠道类型",
        # accessibility
        "impact": "影响程度", "wcag": "WCAG 条款", "wcag_level": "WCAG 级别", "gbt_level": "GB/T 37668 等级",
        "elements": "问题元素", "selector": "元素", "html": "代码", "summary": "问题描述", "a11y.sources": "检测方式",
        "stands_for": "代表页面数", "help": "规则说明", "help_url": "规则说明链接", "needs_review": "需人工复核",
        "chosen": "抽样页面数", "audited": "已检测页面数", "not_audited": "未能检测页面数", "represented": "已代表页面数",
        "not_represented": "未被代表页面数", "groups": "页面模板分组", "template": "模板", "urls": "页面",
        "detail": "详情", "chosen_as": "抽样角色", "elder_entry": "适老化入口",
        # elderly-friendly
        "role": "页面角色", "share_below": "低于要求的文字占比", "min_font_px": "最小字号要求（px）",
        "median_font_px": "中位字号（px）", "font_px_histogram": "字号分布（字号 px：文字数）", "chars": "文字数",
        "min_line_height": "最小行高要求（倍）", "median_line_height": "中位行高（倍）",
        "line_ratio_histogram": "行高分布（倍数：文字数）", "layers": "弹出层", "position": "定位方式", "zIndex": "层级",
        "share": "遮挡屏幕比例", "rect": "位置（左, 上, 宽, 高）", "text": "文字", "keywords": "入口关键词",
        "toolbar_scripts": "工具条脚本", "entry": "入口", "via": "方式", "href": "链接地址",
        "reasons": "抽样原因", "item": "项目",
    },
    "en": {
        "status": "HTTP status", "error": "Error", "attempts": "Attempts", "attempts#n": "Attempts",
        "sources": "Pages carrying it", "source_count": "Pages carrying it", "anchor": "Link text", "tag": "Tag",
        "url": "URL", "kind": "Kind", "scope": "Scope", "on_homepage": "On the homepage", "redirects": "Redirect chain",
        "redirect_chain": "Redirect chain", "final_url": "Final URL", "soft404_reason": "Why it is an error page",
        "method": "Method", "at": "Time", "elapsed": "Elapsed (s)", "reason": "Reason", "count": "Count",
        "examples": "Examples", "threshold": "Veto threshold",
        "column": "Column", "columns": "Columns", "type": "Type", "type_title": "Type", "type_reason": "Classified because",
        "window_days": "Update window (days)", "newest_date": "Newest item date", "newest_url": "Newest item link",
        "newest_title": "Newest item", "newest_date_from": "Date read from", "days_since": "Days since",
        "days_over": "Days overdue", "items": "Items", "undated_items": "Undated items",
        "future_dated_items": "Items dated after the check date", "list_pages": "List pages", "list_page_count": "List pages read",
        "placeholders": "Placeholder text", "as_of": "Check date", "mode": "Mode", "pages": "Pages", "pages#n": "Pages",
        "date": "Date", "date_from": "Date read from", "title": "Title", "age_days": "Days without update",
        "asked": "Asked", "replied": "Replied", "interaction.status": "Status", "unit": "Replying unit",
        "channel": "Channel", "channel_page": "Channel page", "reply_days": "Reply took (days)",
        "reply_working_days": "Reply took (working days)", "reply_limit": "Reply limit", "unanswered_limit": "Unanswered limit",
        "days_waiting": "Days waiting", "working_days_waiting": "Working days waiting", "state": "Reply state", "note": "Note",
        "window_start": "Window start", "letters_in_window": "Letters in window", "answered": "Answered", "open": "Open",
        "unknown": "Unknown", "undated": "Undated", "late": "Late", "unanswered": "Unanswered",
        "reply_rate": "Reply rate", "median_reply_days": "Median reply (days)", "p90_reply_days": "90th percentile reply (days)",
        "median_reply_working_days": "Median reply (working days)", "p90_reply_working_days": "90th percentile reply (working days)",
        "oldest_open": "Oldest open letter", "calendar_fallback": "Working days estimated", "pages_checked": "Pages checked",
        "excluded_channels_found": "Non-consultation channels found", "broken_channel_links": "Unreachable channel links",
        "name": "Name", "interaction.kind": "Channel kind",
        "impact": "Impact", "wcag": "WCAG criteria", "wcag_level": "WCAG level", "gbt_level": "GB/T 37668 level",
        "elements": "Elements", "selector": "Element", "html": "HTML", "summary": "Failure summary", "a11y.sources": "Found by",
        "stands_for": "Pages represented", "help": "Rule help", "help_url": "Help link", "needs_review": "Needs review",
        "chosen": "Pages sampled", "audited": "Pages audited", "not_audited": "Pages not audited", "represented": "Pages represented",
        "not_represented": "Pages not represented", "groups": "Template groups", "template": "Template", "urls": "Pages",
        "detail": "Detail", "chosen_as": "Sampled as", "elder_entry": "Elderly-mode entry",
        "role": "Page role", "share_below": "Share below the minimum", "min_font_px": "Minimum font size (px)",
        "median_font_px": "Median font size (px)", "font_px_histogram": "Font sizes (px: characters)", "chars": "Characters",
        "min_line_height": "Minimum line height (×)", "median_line_height": "Median line height (×)",
        "line_ratio_histogram": "Line heights (×: characters)", "layers": "Pop-up layers", "position": "Position", "zIndex": "z-index",
        "share": "Share of the screen", "rect": "Box (left, top, width, height)", "text": "Text", "keywords": "Entry keywords",
        "toolbar_scripts": "Toolbar scripts", "entry": "Entry", "via": "Via", "href": "Link",
        "reasons": "Why sampled", "item": "Item",
    },
}

# Coded values shown in words ("key" → value → text); other values are shown as they are.
EVIDENCE_VALUES: dict[str, dict[str, dict[str, str]]] = {
    "zh": {
        "kind": {"page": "页面", "resource": "资源文件", "external": "外部链接", "leader_mailbox": "领导信箱",
                 "mailbox": "信箱", "message_board": "网上留言", "consultation": "政务咨询", "zhaocuo": "网站找错",
                 "petition": "网上信访", "report": "举报"},
        "scope": {"internal": "站内", "external": "站外"},
        "error": {"timeout": "超时", "dns": "域名解析失败", "refused": "连接被拒绝", "reset": "连接被重置或中断",
                  "tls": "TLS/证书错误", "too_large": "响应超过大小上限", "other": "下载失败", "invalid_url": "链接地址无效",
                  "binary_body": "以 text/html 返回了二进制内容", "redirect_loop": "重定向循环"},
        "reason": {"blank": "空白栏目", "no_asked_date": "未公开留言时间", "asked_after_check_date": "留言时间晚于检查日",
                   "reply_unknown": "无法判断是否已答复", "no_reply_date": "未公开答复时间",
                   "reply_before_ask": "答复时间早于留言时间", "reply_after_check_date": "答复时间晚于检查日",
                   "robots": "robots 协议禁止", "excluded": "按配置排除", "external_not_checked": "外部链接未检查"},
        "state": {"answered": "已答复", "open": "未答复", "unknown": "无法判断"},
        "newest_date_from": {"list": "列表页", "article": "正文页"}, "date_from": {"list": "列表页", "article": "正文页"},
        "mode": {"homepage": "首页", "navigation homepage: second-level pages": "首页仅为导航，检查其二级页面",
                 "sample": "按模板抽样", "all": "全部页面", "not_run": "未运行", "off": "已关闭"},
        "impact": {"critical": "严重", "serious": "较严重", "moderate": "中等", "minor": "轻微"},
        "sources": {"axe": "浏览器检测（axe-core）", "static": "静态检查", "axe:incomplete": "浏览器检测待复核"},
        "role": {"home": "首页", "article": "正文页", "list": "列表页", "other": "其他页面", "elder_mode": "适老化模式页面"},
        "via": {"link": "链接", "script": "脚本"},
        "reasons": {"home": "首页", "mailbox": "信箱页", "column_list": "栏目列表页", "template": "模板代表页"},
        "type": {"news": "动态要闻类", "notice": "通知公告、政策文件类", "no_window": "无固定更新周期栏目"},
    },
    "en": {
        "kind": {"page": "page", "resource": "resource", "external": "external link", "leader_mailbox": "leader's mailbox",
                 "message_board": "message board", "zhaocuo": "report a site error"},
        "scope": {"internal": "on site", "external": "off site"},
        "error": {"dns": "DNS failure", "refused": "connection refused", "reset": "connection reset", "tls": "TLS error",
                  "too_large": "response too large", "other": "download failed", "invalid_url": "invalid URL",
                  "binary_body": "binary body served as HTML", "redirect_loop": "redirect loop"},
        "reason": {"blank": "blank column", "no_asked_date": "no date asked", "asked_after_check_date": "asked after the check date",
                   "reply_unknown": "cannot tell whether answered", "no_reply_date": "no reply date",
                   "reply_before_ask": "reply dated before the letter", "reply_after_check_date": "reply dated after the check date",
                   "robots": "disallowed by robots.txt", "external_not_checked": "external link not checked"},
        "state": {"answered": "answered", "open": "open", "unknown": "unknown"},
        "newest_date_from": {"list": "list page", "article": "article page"}, "date_from": {"list": "list page", "article": "article page"},
        "mode": {"homepage": "homepage", "navigation homepage: second-level pages": "navigation homepage: its second-level pages",
                 "sample": "sampled by template", "all": "all pages", "not_run": "not run"},
        "sources": {"axe": "browser (axe-core)", "static": "static check", "axe:incomplete": "browser, needs review"},
        "role": {"home": "homepage", "article": "article page", "list": "list page", "elder_mode": "elderly-mode page"},
        "type": {"news": "news", "notice": "notices and policy documents", "no_window": "no fixed update window"},
    },
}

HIDDEN_KEYS = frozenset({"fingerprint", "discriminator", "read_from", "screenshot", "screenshot_path"})
QUIET_NONE = frozenset({"status", "error", "impact", "note", "final_url", "help", "help_url", "detail", "gbt_level"})
PERCENT_KEYS = frozenset({"reply_rate", "share_below", "share"})
TIMESTAMP_KEYS = frozenset({"at"})
NAME_KEYS = ("column", "title", "name", "text")  # a record's name, linked to its "url" in a table

AGE_KEYS = ("age_days", "days_since", "days_since_update", "stale_days", "days")
WAIT_KEYS = ("days_waiting", "waiting_days", "wait_days", "reply_days", "days")
SCREENSHOT_KEYS = ("screenshot", "screenshot_path")


def label(key: str, lang: str) -> str:
    entry = LABELS.get(key)
    if entry:
        return entry.get(lang, entry["zh"])
    return evidence_label(key, lang)


def family(rule: str) -> str:
    return rule.split(".", 1)[0] if "." in rule else rule


def first_number(evidence: dict[str, Any], keys: tuple[str, ...]) -> float | None:
    for key in keys:
        value = evidence.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def screenshot_path(finding: Finding) -> str | None:
    for where in (finding.evidence, finding.extra):
        for key in SCREENSHOT_KEYS:
            if isinstance(where.get(key), str):
                return where[key]
    return None


def evidence_label(key: str, lang: str, fam: str = "", value: Any = None) -> str:
    """The label of an evidence key: ``family.key`` first, a count form (``key#n``) for a number, else the key."""
    table = EVIDENCE_LABELS.get(lang) or EVIDENCE_LABELS["zh"]
    if isinstance(value, int) and not isinstance(value, bool) and f"{key}#n" in table:
        return table[f"{key}#n"]
    return table.get(f"{fam}.{key}") or table.get(key) or str(key)


_ISO_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)")


def format_value(key: str, value: Any, lang: str, fam: str = "", limit: int = 500) -> str:
    """One scalar as an inspector reads it: dates plain, numbers grouped, rates as percentages, codes in words."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, (int, float)):
        if key in PERCENT_KEYS and isinstance(value, float) and 0 <= value <= 1:
            return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"
        if key in TIMESTAMP_KEYS and value > 1e8:
            try:
                return _dt.datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")
            except (OverflowError, OSError, ValueError):
                pass
        if isinstance(value, int):
            return f"{value:,}" if abs(value) >= 10000 else str(value)
        return f"{value:.2f}".rstrip("0").rstrip(".") if value == value else "—"
    text = value if isinstance(value, str) else str(value)
    words = (EVIDENCE_VALUES.get(lang) or {}).get(f"{fam}.{key}") or (EVIDENCE_VALUES.get(lang) or {}).get(key)
    if words and text in words:
        return words[text]
    match = _ISO_DATETIME.match(text)
    if match and len(text) <= 32:
        return f"{match.group(1)} {match.group(2)}"
    return clean(text, limit)


Part = tuple[str, "str | None"]


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _parts(key: str, value: Any, lang: str, fam: str, items: int, limit: int) -> list[Part]:
    """A value as text pieces, each with its link (http(s) only) or None."""
    if _is_scalar(value):
        text = format_value(key, value, lang, fam, limit)
        return [(text, _href(value) if isinstance(value, str) else None)]
    if isinstance(value, dict):
        return [("；".join(f"{evidence_label(k, lang, fam)}：{_flat(k, v, lang, fam, limit)}"
                           for k, v in value.items() if k not in HIDDEN_KEYS), None)]
    out: list[Part] = []
    seq = list(value) if isinstance(value, (list, tuple)) else [value]
    for v in seq[:items]:
        out.extend(_parts(key, v, lang, fam, items, limit) if _is_scalar(v) else [(_flat(key, v, lang, fam, limit), None)])
    if len(seq) > items:
        out.append((f"…（+{len(seq) - items}）", None))
    return out


def _flat(key: str, value: Any, lang: str, fam: str, limit: int = 500) -> str:
    """A value of any shape as one line of readable text (for table cells and spreadsheet cells)."""
    if _is_scalar(value):
        return format_value(key, value, lang, fam, limit)
    if isinstance(value, dict):
        return "；".join(f"{evidence_label(k, lang, fam)}：{_flat(k, v, lang, fam, limit)}"
                        for k, v in value.items() if k not in HIDDEN_KEYS and not (k == "type" and "type_title" in value))
    seq = list(value) if isinstance(value, (list, tuple)) else [value]
    sep = "、" if lang == "zh" and all(_is_scalar(v) for v in seq) else ("\n" if not all(_is_scalar(v) for v in seq) else ", ")
    text = sep.join(_flat(key, v, lang, fam, limit) for v in seq[:200])
    return text + (f"{sep}…（+{len(seq) - 200}）" if len(seq) > 200 else "")


def _href(value: Any) -> str | None:
    if not isinstance(value, str) or not value.startswith(("http://", "https://", "HTTP://", "HTTPS://", "Http")):
        return None
    text = value.strip()
    low = text[:8].lower()
    return clean(text, 2000) if low.startswith(("http://", "https://")) and not _CONTROL.search(text) else None


def evidence_fields(finding: Finding) -> list[tuple[str, Any]]:
    """The evidence an inspector is shown: ``evidence`` and the rule-specific ``extra`` fields merged (the
    richer of the two wins: a list of attempts over their count), internal fields dropped, absent values
    that only add noise dropped, scalars first and lists/records after."""
    merged: dict[str, Any] = {}
    for source in (finding.evidence, finding.extra):
        for key, value in source.items():
            if key in HIDDEN_KEYS:
                continue
            if key in merged and (_is_scalar(value) or not _is_scalar(merged[key])):
                continue
            merged[key] = value
    if "type_title" in merged:
        merged.pop("type", None)
    if merged.get("url") == finding.url:
        merged.pop("url")
    if "sources" in merged and isinstance(merged.get("source_count"), int) and isinstance(merged["sources"], list) \
            and merged["source_count"] <= len(merged["sources"]):
        merged.pop("source_count")
    out = [(k, v) for k, v in merged.items()
           if not (v is None and k in QUIET_NONE) and not (isinstance(v, (list, dict, str)) and not v and k not in ("asked", "replied"))]
    return [kv for kv in out if _is_scalar(kv[1]) or _scalar_list(kv[1])] + \
           [kv for kv in out if not (_is_scalar(kv[1]) or _scalar_list(kv[1]))]


def _scalar_list(value: Any) -> bool:
    return isinstance(value, list) and all(_is_scalar(v) for v in value)


def _table(key: str, records: list[Any], lang: str, fam: str, rows: int, limit: int) -> dict[str, Any]:
    """Records (dicts) as a small table: a column per key seen, the record's name linked to its URL."""
    shown = [r if isinstance(r, dict) else {"": r} for r in records[:rows]]
    keys: list[str] = []
    for rec in shown:
        for k in rec:
            if k not in keys and k not in HIDDEN_KEYS:
                keys.append(k)
    if "type_title" in keys and "type" in keys:
        keys.remove("type")
    link_name = next((k for k in NAME_KEYS if k in keys), None) if "url" in keys else None
    if link_name:
        keys.remove("url")
    body = []
    for rec in shown:
        row = []
        for k in keys:
            v = rec.get(k)
            if k == link_name:
                row.append([(format_value(k, v, lang, fam, limit), _href(rec.get("url")))])
            elif _is_scalar(v):
                row.append(_parts(k, v, lang, fam, 10, limit))
            elif _scalar_list(v):
                row.append(_parts(k, v, lang, fam, 10, limit))
            else:
                row.append([(_flat(k, v, lang, fam, limit), None)])
        body.append(row)
    headers = [evidence_label(k, lang, fam) if k else evidence_label(key, lang, fam) for k in keys]
    return {"label": evidence_label(key, lang, fam, records), "headers": headers, "rows": body,
            "more": max(0, len(records) - rows)}


def _is_mapping(value: dict[str, Any]) -> bool:
    """A dict keyed by data (URLs, many values) rather than by field names: shown as two columns."""
    return all(_is_scalar(v) for v in value.values()) and (
        len(value) > 8 or any(str(k).startswith(("http://", "https://")) for k in value))


def _mapping(key: str, value: dict[str, Any], lang: str, fam: str, rows: int, limit: int) -> dict[str, Any]:
    pairs = list(value.items())
    urls = any(str(k).startswith(("http://", "https://")) for k in value)
    body = [[[(clean(k, limit), _href(k))], _parts(key, v, lang, fam, 10, limit)] for k, v in pairs[:rows]]
    headers = [evidence_label("url" if urls else "item", lang, fam), evidence_label(key, lang, fam)]
    return {"label": evidence_label(key, lang, fam), "headers": headers, "rows": body, "more": max(0, len(pairs) - rows)}


def evidence_items(finding: Finding, lang: str, rows: int = 10, limit: int = 500) -> list[dict[str, Any]]:
    """What the HTML report shows for one finding: labelled fields ``{"label", "parts"}`` and tables
    ``{"label", "headers", "rows", "more"}`` (lists of records: columns behind a veto, pages carrying a
    dead link, attempts, elements).  Every text is cleaned; every link is http(s)."""
    fam = family(finding.rule)
    return fields_to_items(evidence_fields(finding), lang, fam, rows, limit)


def fields_to_items(fields: list[tuple[str, Any]], lang: str, fam: str = "", rows: int = 10,
                    limit: int = 500) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for key, value in fields:
        if isinstance(value, list) and value and any(isinstance(v, dict) for v in value):
            items.append(_table(key, value, lang, fam, rows, limit))
        elif isinstance(value, dict) and value and _is_mapping(value):
            items.append(_mapping(key, value, lang, fam, rows, limit))
        elif isinstance(value, dict) and value and all(_is_scalar(v) or _scalar_list(v) for v in value.values()):
            items.append(_table(key, [value], lang, fam, 1, limit))
        else:
            items.append({"label": evidence_label(key, lang, fam, value), "parts": _parts(key, value, lang, fam, rows, limit)})
    return items


def evidence_text(key: str, value: Any, lang: str, fam: str = "", limit: int = 30000) -> Any:
    """One evidence value for a spreadsheet cell: plain numbers stay numbers, everything else readable text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key not in PERCENT_KEYS and key not in TIMESTAMP_KEYS:
        return value
    return _flat(key, value, lang, fam, limit)
