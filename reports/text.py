"""Crawled text made safe to display, labels in two languages, and the evidence lines each family shows.

Crawled text is hostile and sometimes not text at all: titles of megabytes, binary served as HTML, lone
surrogates from broken encodings, control characters that break XML (and so XLSX).  Everything that goes
into a report passes through ``clean``.
"""

from __future__ import annotations

import json
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
    "sources": {"zh": "来源页面", "en": "Pages carrying it"},
    "anchor": {"zh": "链接文字", "en": "Anchor text"},
    "veto": {"zh": "否决", "en": "veto"}, "deduct": {"zh": "扣分", "en": "deduct"},
    "warn": {"zh": "警告", "en": "warn"}, "info": {"zh": "提示", "en": "info"},
}

EVIDENCE_LABELS: dict[str, dict[str, str]] = {
    "status": {"zh": "状态码", "en": "Status"}, "error": {"zh": "错误", "en": "Error"},
    "source_count": {"zh": "来源页面数", "en": "Pages carrying it"},
    "column": {"zh": "栏目", "en": "Column"}, "column_name": {"zh": "栏目", "en": "Column"},
    "newest": {"zh": "最新信息", "en": "Newest item"}, "newest_title": {"zh": "最新信息", "en": "Newest item"},
    "newest_date": {"zh": "最新日期", "en": "Newest date"}, "age_days": {"zh": "未更新天数", "en": "Days without update"},
    "window_days": {"zh": "更新期限（天）", "en": "Window (days)"},
    "asked": {"zh": "留言日期", "en": "Asked"}, "replied": {"zh": "答复日期", "en": "Replied"},
    "days_waiting": {"zh": "等待天数", "en": "Days waiting"},
    "selector": {"zh": "元素", "en": "Element"}, "html": {"zh": "代码", "en": "HTML"},
    "impact": {"zh": "影响", "en": "Impact"},
}

AGE_KEYS = ("age_days", "days_since_update", "stale_days", "days")
WAIT_KEYS = ("days_waiting", "waiting_days", "wait_days", "reply_days", "days")
SCREENSHOT_KEYS = ("screenshot", "screenshot_path")


def label(key: str, lang: str) -> str:
    entry = LABELS.get(key) or EVIDENCE_LABELS.get(key)
    return entry.get(lang, entry["zh"]) if entry else key


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


def evidence_lines(finding: Finding, lang: str, limit: int = 8) -> list[tuple[str, str, str | None]]:
    """(label, text, link) lines that let an inspector defend the finding without opening the JSON.

    Dead links list the pages that carry them with the anchor text; other families show their evidence
    keys with known labels (newest item and date, asked date and days waiting, element and HTML ...).
    """
    lines: list[tuple[str, str, str | None]] = []
    sources = finding.extra.get("sources")
    if isinstance(sources, list):
        for src in sources[:limit]:
            if isinstance(src, dict):
                anchor = clean(src.get("anchor") or "", 200)
                lines.append((label("sources", lang), f"{clean(src.get('url'), 500)}" + (f" ⟨{anchor}⟩" if anchor else ""),
                               clean(src.get("url"), 2000)))
        count = finding.extra.get("source_count")
        if isinstance(count, int) and count > len(sources[:limit]):
            lines.append((label("source_count", lang), str(count), None))
    for key in ("status", "error"):
        if finding.extra.get(key) not in (None, ""):
            lines.append((label(key, lang), clean(finding.extra[key], 300), None))
    for key, value in finding.evidence.items():
        if key in SCREENSHOT_KEYS or len(lines) >= limit * 2:
            continue
        if isinstance(value, (dict, list)):
            value = json.dumps(value, ensure_ascii=False, default=str)
        lines.append((label(key, lang), clean(value, 500), None))
    return lines
