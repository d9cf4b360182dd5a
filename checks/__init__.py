"""Rule checks: pure functions from a scan's gathered facts and a rule set to findings.

A check never fetches and never writes: it reads a ``ScanView`` and the ``RuleSet`` and yields
``Finding`` objects.  Each family lives in its own module exposing ``run(view, rules)``; ``FAMILIES``
wires them, in report order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module

from govaudit.model import Finding
from govaudit.ruleset import RuleSet
from govaudit.store import ScanView

Check = Callable[[ScanView, RuleSet], Iterator[Finding]]

FAMILIES: dict[str, str] = {
    "availability": "govaudit.checks.availability",
    "links": "govaudit.checks.links",
    "freshness": "govaudit.checks.freshness",
    "interaction": "govaudit.checks.interaction",
    "a11y": "govaudit.checks.accessibility",
}


def run_all(view: ScanView, rules: RuleSet, families: list[str] | None = None) -> Iterator[Finding]:
    for family, module in FAMILIES.items():
        if families is None or family in families:
            yield from import_module(module).run(view, rules)
