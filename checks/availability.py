"""Homepage availability (首页可用性) as one scan can see it.

The 站点无法访问 veto is a monitoring verdict (a week of probes, ≥5 % failed); a single scan cannot reach
it, but a homepage that failed every attempt must never be scored as a pass without a word.
"""

from __future__ import annotations

from collections.abc import Iterator

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
    'reason': Field(T('原因', 'Reason'), values={'blank': T('空白栏目', 'blank column'), 'no_asked_date': T('未公开留言时间', 'no date asked'), 'asked_after_check_date': T('留言时间晚于检查日', 'asked after the check date'), 'reply_unknown': T('无法判断是否已答复', 'cannot tell whether answered'), 'no_reply_date': T('未公开答复时间', 'no reply date'), 'reply_before_ask': T('答复时间早于留言时间', 'reply dated before the letter'), 'reply_after_check_date': T('答复时间晚于检查日', 'reply dated after the check date'), 'robots': T('robots 协议禁止', 'disallowed by robots.txt'), 'excluded': T('按配置排除', 'excluded'), 'external_not_checked': T('外部链接未检查', 'external link not checked')}),
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
