"""Homepage availability (首页可用性) as one scan can see it.

The 站点无法访问 veto is a monitoring verdict (a week of probes, ≥5 % failed); a single scan cannot reach
it, but a homepage that failed every attempt must never be scored as a pass without a word.
"""

from __future__ import annotations

from collections.abc import Iterator

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
