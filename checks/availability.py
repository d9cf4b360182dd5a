"""Homepage availability (首页可用性) as one scan can see it.

The 站点无法访问 veto is a monitoring verdict (a week of probes, ≥5 % failed); a single scan cannot reach
it, but a homepage that failed every attempt must never be scored as a pass without a word.
"""

from __future__ import annotations

from collections.abc import Iterator

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


def run(view: ScanView, rules: RuleSet) -> Iterator[Finding]:
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
