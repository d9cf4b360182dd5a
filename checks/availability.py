"""Homepage availability (首页可用性): what one scan saw, and what the availability monitor measured.

The 站点无法访问 veto is a monitoring verdict (a week of probes, ≥5 % failed); a single scan cannot reach
it, but a homepage that failed every attempt must never be scored as a pass without a word.  When the site
is monitored (``govaudit monitor`` wrote probes for its start URL into this store), the week of probes
before the scan is judged here: the ratio against the veto and the early-warning line (rule set,
``params.availability``).  The probes are read through the ScanView; the check never fetches.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from govaudit.checks.links import ERRORS, SKIP_REASONS
from govaudit.checks.links import FIELDS as LINK_FIELDS
from govaudit.checks.plugin import CheckPlugin, Field, RuleMeta, T

from govaudit.model import Finding
from govaudit.ruleset import RuleSet
from govaudit.store import ScanView


def home_failure(view: ScanView) -> str | None:
    """Why the start page could not be read, or None when it was."""
    home = view.get(view.start_url)
    if home is None or home.state != "done":
        return "not fetched" if home is None else home.skip_reason or home.state
    if home.error:
        return home.error
    if home.status is None or home.status >= 400:
        return f"HTTP {home.status}"
    return None


def probe_figures(probes: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts and the unavailability ratio: failed / probed; a missed window is neither up nor failed."""
    up = sum(1 for p in probes if p["outcome"] == "up")
    down = sum(1 for p in probes if p["outcome"] == "down")
    missed = sum(1 for p in probes if p["outcome"] == "missed")
    return {"probes": up + down, "up": up, "failed": down, "missed": missed,
            "ratio": round(down / (up + down), 4) if up + down else None}


def judge(probes: list[dict[str, Any]], since: float, until: float, params: dict[str, Any]) -> dict[str, Any]:
    """The period's figures and where they stand: ``level`` veto (ratio ≥ the veto line over a fully monitored
    period), warning (≥ the warning line, or over the veto line before a full period), ok, or None (no probe).
    What a scan reports and what ``govaudit monitor --status`` prints."""
    fig = probe_figures(probes)
    complete = bool(probes) and probes[0]["due"] <= since + float(params["window_seconds"])  # from the first window
    veto, warning = float(params["veto_ratio"]), float(params["warning_ratio"])
    ratio = fig["ratio"]
    level = (None if ratio is None else "veto" if complete and ratio >= veto else "warning" if ratio >= warning
             else "ok")
    out = {**fig, "period_days": params["period_days"], "since": since, "until": until, "complete": complete,
           "veto_ratio": veto, "warning_ratio": warning, "level": level}
    if level == "warning":
        # Further failed probes (with none up) before the ratio reaches the veto line: the margin an operator has.
        out["failures_left"] = max(0, math.ceil((veto * fig["probes"] - fig["failed"]) / (1 - veto)))
    return out


def monitored(view: ScanView, rules: RuleSet) -> Iterator[Finding]:
    """The monitor's period before the scan (ending at the scan's start, or at the end of an earlier check date)."""
    p = rules.param("availability")
    end_of_day = datetime.combine(date.fromisoformat(view.as_of) + timedelta(days=1), time()).timestamp()
    until = min(end_of_day, view.info.started)
    since = until - float(p["period_days"]) * 86400
    probes = view.probes(since, until)
    if not probes:
        return
    evidence = judge(probes, since, until, p)
    level = evidence.pop("level")
    site, url = view.site, view.start_url
    pct = "—" if evidence["ratio"] is None else f"{evidence['ratio']:.1%}"
    veto, warning = evidence["veto_ratio"], evidence["warning_ratio"]
    yield Finding("availability.monitor", rules.severity("availability.monitor"), site, url,
                  f"监测期内探测 {evidence['probes']} 次，失败 {evidence['failed']} 次（不可用率 {pct}），"
                  f"{evidence['missed']} 个时段未探测" + ("" if evidence["complete"] else "；监测不足一个周期"),
                  {k: v for k, v in evidence.items() if k != "failures_left"})
    if level == "veto":
        yield Finding("availability.unreachable", rules.severity("availability.unreachable"), site, url,
                      f"首页不可用率 {pct}，达到 {veto:.0%} 的单项否决线（{evidence['failed']}/{evidence['probes']} 次探测失败）",
                      {k: v for k, v in evidence.items() if k != "failures_left"})
    elif level == "warning":
        yield Finding("availability.warning", rules.severity("availability.warning"), site, url,
                      f"首页不可用率 {pct}，超过 {warning:.0%} 的预警线（否决线 {veto:.0%}，再失败 {evidence['failures_left']} 次即达到）"
                      + ("" if evidence["complete"] else "；监测不足一个周期，尚不能判定否决"), evidence)


def run(view: ScanView, rules: RuleSet) -> Iterator[Finding]:
    yield from monitored(view, rules)
    reason = home_failure(view)
    if reason is None:
        return
    home = view.get(view.start_url)
    attempts = home.attempts if home else []
    yield Finding(rule="availability.home", severity=rules.severity("availability.home"), site=view.site,
                  url=view.start_url, message=f"首页无法访问：{reason}（共尝试 {len(attempts)} 次）",
                  evidence={"reason": reason, "attempts": len(attempts)}, extra={"attempts": attempts})


# -- what this check is (govaudit/checks/plugin.py); registered in pyproject.toml [project.entry-points] --
FIELDS: dict[str, Field] = {
    'status': Field(T('状态码', 'HTTP status'), optional=True),
    'probes': Field(T('探测次数', 'Probes')),
    'up': Field(T('成功次数', 'Up')),
    'failed': Field(T('失败次数', 'Failed')),
    'missed': Field(T('未探测时段', 'Windows missed')),
    'ratio': Field(T('不可用率', 'Unavailability'), kind='percent', optional=True),
    'veto_ratio': Field(T('否决线', 'Veto line'), kind='percent'),
    'warning_ratio': Field(T('预警线', 'Warning line'), kind='percent'),
    'period_days': Field(T('监测周期（天）', 'Period (days)')),
    'since': Field(T('监测起', 'From'), kind='timestamp'),
    'until': Field(T('监测止', 'Until'), kind='timestamp'),
    'complete': Field(T('覆盖完整周期', 'Full period'), kind='bool'),
    'failures_left': Field(T('距否决尚余失败次数', 'Failures left before the veto')),
    'error': LINK_FIELDS['error'],  # one download-error vocabulary (checks/links.py ERRORS)
    'attempts': Field(T('尝试记录', 'Attempts'), kind='table', count_label=T('尝试次数', 'Attempts')),
    'method': Field(T('请求方法', 'Method')),
    'at': Field(T('时间', 'Time'), kind='timestamp'),
    'elapsed': Field(T('耗时（秒）', 'Elapsed (s)')),
    # home_failure(): a skip reason, a download error, the URL's state, or "HTTP <status>" (shown as it is)
    'reason': Field(T('原因', 'Reason'), values={**SKIP_REASONS, **ERRORS, 'not fetched': T('未抓取', 'not fetched')}),
}

RULES: dict[str, RuleMeta] = {
    'availability.home': RuleMeta(
        title=T('首页无法访问', 'Homepage unreachable'),
        help=T('本次扫描中首页多次尝试均无法打开（超时、连接失败或错误状态码）。“站点无法访问”单项否决需一周、每天不少于20次的监测且失败率≥5%，单次扫描只作提示。', 'The homepage could not be opened on any attempt of this scan. The unreachable-site veto needs a week of at least 20 probes a day with ≥5 % failures; one scan can only warn.'),
        severity='deduct',
        message={'en': 'Homepage unreachable: {reason} ({attempts} attempts)'}),
    'availability.monitor': RuleMeta(
        title=T('首页可用性监测', 'Homepage availability monitoring'),
        help=T('可用性监测（govaudit monitor）在检查日前一个周期内对首页的探测：次数、失败次数、不可用率和未探测的时段（监测进程停止期间的时段记为未探测，不计为成功）。', 'What the availability monitor (govaudit monitor) measured over the period before the check: probes, failures, the unavailability ratio and the windows nobody probed (recorded as missed, never as up).'),
        severity='info',
        message={'en': '{probes} probes in the period, {failed} failed ({ratio} unavailable), {missed} windows missed'}),
    'availability.unreachable': RuleMeta(
        title=T('站点无法访问', 'Site unreachable'),
        help=T('一周内每天不少于20次探测、超过15秒仍无法打开即为失败，失败次数占比≥5%，单项否决（国办秘函〔2019〕19号）。', 'Over one week of at least 20 probes a day, probes that did not open within 15 s make up 5 % or more: single veto (2019 indicators).'),
        severity='veto',
        message={'en': 'Homepage unavailable on {ratio} of probes ({failed}/{probes}), at or above the {veto_ratio} veto line'}),
    'availability.warning': RuleMeta(
        title=T('首页不可用率预警', 'Homepage unavailability warning'),
        help=T('首页不可用率超过预警线（规则集，默认3%，为监测厂商的预警预设，未经官方确认）但尚未达到5%的否决线，或监测不足一周。', 'The unavailability ratio is above the early-warning line (rule set; 3 % by default, a monitoring vendor preset, unconfirmed) but not at the 5 % veto, or the monitoring does not yet cover a week.'),
        severity='warn',
        message={'en': 'Homepage unavailable on {ratio} of probes, above the {warning_ratio} warning line ({failures_left} more failures reach the veto)'}),
}

PLUGIN = CheckPlugin(
    id='availability',
    title=T("首页可用性", "Homepage availability"),
    run=run,
    rules=RULES,
    families={"availability": T("首页可用性", "Availability")},
    fields=FIELDS,
    needs=(),
    extractors=(),
    order=10,
)
