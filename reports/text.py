"""Crawled text made safe to display, report labels in two languages, and evidence shown from its plugin's metadata.

Crawled text is hostile and sometimes not text at all: titles of megabytes, binary served as HTML, lone
surrogates from broken encodings, control characters that break XML (and so XLSX).  Everything that goes
into a report passes through ``clean``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from typing import Any

from govaudit.checks.links import SKIP_REASONS
from govaudit.checks.plugin import Field, format_message

from govaudit import checks
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
    "trend": {"zh": "历次检查趋势", "en": "Trend over scans"},
    "scan_id": {"zh": "扫描编号", "en": "Scan"},
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

# Evidence labels, kinds and coded values come from the plugin that emits the rule (its ``fields``, see
# govaudit/checks/plugin.py), then from any installed plugin that declares the key; an unknown key is shown
# as itself, so a new check never breaks a report.  No family is named here.
Fields = Mapping[str, Field] | None
HIDDEN_KEYS = frozenset({"fingerprint", "discriminator", "read_from", "screenshot", "screenshot_path"})
NAME_KEYS = ("column", "title", "name", "text")  # a record's name, linked to its "url" in a table
SCREENSHOT_KEYS = ("screenshot", "screenshot_path")


def label(key: str, lang: str) -> str:
    entry = LABELS.get(key)
    if entry:
        return entry.get(lang, entry["zh"])
    return evidence_label(key, lang)


def skip_reason(code: str, lang: str) -> str:
    """Words for a coverage skip reason (scan stats ``skipped``), the code itself when it has none."""
    words = SKIP_REASONS.get(code)
    return _say(words, lang) if words else code


def family(rule: str) -> str:
    """The rule id's prefix (``links`` of ``links.dead``): how reports group findings."""
    return rule.split(".", 1)[0] if "." in rule else rule


def field_of(key: str, fields: Fields = None) -> Field | None:
    """How evidence key ``key`` is shown: the emitting plugin's declaration first, then any plugin's."""
    return (fields or {}).get(key) or checks.all_fields().get(key)


def fields_of(finding: Finding) -> dict[str, Field]:
    return checks.fields_for(finding.rule)


def _say(text: Any, lang: str) -> str:
    return str(text.get(lang) or text.get("zh") or "") if isinstance(text, Mapping) else str(text)


def message(finding: Finding, lang: str) -> str:
    """The finding's message in ``lang``: the rule's template for that language over its evidence (each value
    formatted as its field declares: coded values in words, rates as percentages) when the plugin declares
    one, else the message the check wrote."""
    meta = checks.rule_meta(finding.rule)
    template = meta.message.get(lang) if meta else None
    if not template:
        return finding.message
    fields = fields_of(finding)
    values = {k: format_value(k, v, lang, fields) for k, v in {**finding.extra, **finding.evidence}.items() if _is_scalar(v)}
    return format_message(template, values)


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


def evidence_label(key: str, lang: str, fields: Fields = None, value: Any = None) -> str:
    """The label of an evidence key as its plugin declares it (its count form for a number), else the key."""
    spec = field_of(key, fields)
    if spec is None:
        return str(key)
    if isinstance(value, int) and not isinstance(value, bool) and spec.count_label:
        return _say(spec.count_label, lang)
    return _say(spec.label, lang)


_ISO_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)")


def format_value(key: str, value: Any, lang: str, fields: Fields = None, limit: int = 500) -> str:
    """One scalar as an inspector reads it: dates plain, numbers grouped, rates as percentages, codes in words."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    spec = field_of(key, fields)
    kind = spec.kind if spec else "text"
    if isinstance(value, (int, float)):
        if kind == "percent" and isinstance(value, float) and 0 <= value <= 1:
            return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"
        if kind == "timestamp" and value > 1e8:
            try:
                return _dt.datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")
            except (OverflowError, OSError, ValueError):
                pass
        if isinstance(value, int):
            return f"{value:,}" if abs(value) >= 10000 else str(value)
        return f"{value:.2f}".rstrip("0").rstrip(".") if value == value else "—"
    text = value if isinstance(value, str) else str(value)
    if spec and text in spec.values:
        return _say(spec.values[text], lang)
    match = _ISO_DATETIME.match(text)
    if match and len(text) <= 32:
        return f"{match.group(1)} {match.group(2)}"
    return clean(text, limit)


Part = tuple[str, "str | None"]


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _parts(key: str, value: Any, lang: str, fields: Fields, items: int, limit: int) -> list[Part]:
    """A value as text pieces, each with its link (http(s) only) or None."""
    if _is_scalar(value):
        text = format_value(key, value, lang, fields, limit)
        return [(text, _href(value) if isinstance(value, str) else None)]
    if isinstance(value, dict):
        return [("；".join(f"{evidence_label(k, lang, fields)}：{_flat(k, v, lang, fields, limit)}"
                           for k, v in value.items() if k not in HIDDEN_KEYS), None)]
    out: list[Part] = []
    seq = list(value) if isinstance(value, (list, tuple)) else [value]
    for v in seq[:items]:
        out.extend(_parts(key, v, lang, fields, items, limit) if _is_scalar(v) else [(_flat(key, v, lang, fields, limit), None)])
    if len(seq) > items:
        out.append((f"…（+{len(seq) - items}）", None))
    return out


def _flat(key: str, value: Any, lang: str, fields: Fields, limit: int = 500) -> str:
    """A value of any shape as one line of readable text (for table cells and spreadsheet cells)."""
    if _is_scalar(value):
        return format_value(key, value, lang, fields, limit)
    if isinstance(value, dict):
        return "；".join(f"{evidence_label(k, lang, fields)}：{_flat(k, v, lang, fields, limit)}"
                        for k, v in value.items() if k not in HIDDEN_KEYS and not (k == "type" and "type_title" in value))
    seq = list(value) if isinstance(value, (list, tuple)) else [value]
    sep = "、" if lang == "zh" and all(_is_scalar(v) for v in seq) else ("\n" if not all(_is_scalar(v) for v in seq) else ", ")
    text = sep.join(_flat(key, v, lang, fields, limit) for v in seq[:200])
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
    fields = fields_of(finding)
    out = [(k, v) for k, v in merged.items()
           if not (v is None and (spec := field_of(k, fields)) is not None and spec.optional) and not (isinstance(v, (list, dict, str)) and not v and k not in ("asked", "replied"))]
    return [kv for kv in out if _is_scalar(kv[1]) or _scalar_list(kv[1])] + \
           [kv for kv in out if not (_is_scalar(kv[1]) or _scalar_list(kv[1]))]


def _scalar_list(value: Any) -> bool:
    return isinstance(value, list) and all(_is_scalar(v) for v in value)


def _table(key: str, records: list[Any], lang: str, fields: Fields, rows: int, limit: int) -> dict[str, Any]:
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
                row.append([(format_value(k, v, lang, fields, limit), _href(rec.get("url")))])
            elif _is_scalar(v):
                row.append(_parts(k, v, lang, fields, 10, limit))
            elif _scalar_list(v):
                row.append(_parts(k, v, lang, fields, 10, limit))
            else:
                row.append([(_flat(k, v, lang, fields, limit), None)])
        body.append(row)
    headers = [evidence_label(k, lang, fields) if k else evidence_label(key, lang, fields) for k in keys]
    return {"label": evidence_label(key, lang, fields, records), "headers": headers, "rows": body,
            "more": max(0, len(records) - rows)}


def _is_mapping(value: dict[str, Any]) -> bool:
    """A dict keyed by data (URLs, many values) rather than by field names: shown as two columns."""
    return all(_is_scalar(v) for v in value.values()) and (
        len(value) > 8 or any(str(k).startswith(("http://", "https://")) for k in value))


def _mapping(key: str, value: dict[str, Any], lang: str, fields: Fields, rows: int, limit: int) -> dict[str, Any]:
    pairs = list(value.items())
    urls = any(str(k).startswith(("http://", "https://")) for k in value)
    body = [[[(clean(k, limit), _href(k))], _parts(key, v, lang, fields, 10, limit)] for k, v in pairs[:rows]]
    headers = [evidence_label("url" if urls else "item", lang, fields), evidence_label(key, lang, fields)]
    return {"label": evidence_label(key, lang, fields), "headers": headers, "rows": body, "more": max(0, len(pairs) - rows)}


def evidence_items(finding: Finding, lang: str, rows: int = 10, limit: int = 500) -> list[dict[str, Any]]:
    """What the HTML report shows for one finding: labelled fields ``{"label", "parts"}`` and tables
    ``{"label", "headers", "rows", "more"}`` (lists of records: columns behind a veto, pages carrying a
    dead link, attempts, elements).  Every text is cleaned; every link is http(s)."""
    return fields_to_items(evidence_fields(finding), lang, fields_of(finding), rows, limit)


def fields_to_items(pairs: list[tuple[str, Any]], lang: str, fields: Fields = None, rows: int = 10,
                    limit: int = 500) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for key, value in pairs:
        if isinstance(value, list) and value and any(isinstance(v, dict) for v in value):
            items.append(_table(key, value, lang, fields, rows, limit))
        elif isinstance(value, dict) and value and _is_mapping(value):
            items.append(_mapping(key, value, lang, fields, rows, limit))
        elif isinstance(value, dict) and value and all(_is_scalar(v) or _scalar_list(v) for v in value.values()):
            items.append(_table(key, [value], lang, fields, 1, limit))
        else:
            items.append({"label": evidence_label(key, lang, fields, value), "parts": _parts(key, value, lang, fields, rows, limit)})
    return items


def evidence_text(key: str, value: Any, lang: str, fields: Fields = None, limit: int = 30000) -> Any:
    """One evidence value for a spreadsheet cell: plain numbers stay numbers, everything else readable text."""
    spec = field_of(key, fields)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not (spec and spec.kind in ("percent", "timestamp")):
        return value
    return _flat(key, value, lang, fields, limit)


def ranking_tables(findings: list[Finding], lang: str) -> list[dict[str, Any]]:
    """Every plugin's rankings (``checks.plugin.Ranking``: the slowest pages, the heaviest resources) that have
    rows, as the HTML report and the workbook show them: title, headers, and per row the finding's url,
    message and its evidence cells (``evidence_text``: numbers stay numbers)."""
    out: list[dict[str, Any]] = []
    for plugin in checks.plugins():
        for ranking in plugin.rankings:
            rows = ranking.rows(findings)
            if not rows:
                continue
            keys = (ranking.key, *ranking.columns)
            fields = plugin.fields_for(ranking.rules[0])
            out.append({"id": ranking.id, "title": _say(ranking.title, lang),
                        "headers": [label("url", lang), label("message", lang), *(evidence_label(k, lang, fields) for k in keys)],
                        "rows": [{"url": f.url, "message": message(f, lang),
                                  "cells": [evidence_text(k, f.evidence.get(k), lang, fields_of(f), 500) for k in keys]}
                                 for f in rows]})
    return out
