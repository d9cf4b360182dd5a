"""Rule checks: plugins that turn a scan's gathered facts and a rule set into findings.

A check never fetches and never writes: it reads a ``ScanView`` and the ``RuleSet`` and yields ``Finding``
(or ``Hit``) objects.  Each check is a ``CheckPlugin`` (``govaudit.checks.plugin``) found through the
``govaudit.checks`` entry-point group — the built-in ones are registered in pyproject.toml exactly as a
provincial package registers its own — so adding a check changes no line here nor in any renderer.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from govaudit.checks.plugin import CheckPlugin, Field, Hit, RuleMeta, format_message

from govaudit.model import Finding

GROUP = "govaudit.checks"


class PluginError(Exception):
    """An installed plugin is broken (not a CheckPlugin, a duplicate id or rule): names the entry point."""


@cache
def plugins() -> tuple[CheckPlugin, ...]:
    """Every installed check plugin, in report order (``order``, then id), each with its ``source``."""
    found: list[CheckPlugin] = []
    for ep in entry_points(group=GROUP):
        try:
            obj = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must say which one it is
            raise PluginError(f"check plugin {ep.name} ({ep.value}) cannot be loaded: {exc!r}") from exc
        if not isinstance(obj, CheckPlugin):
            raise PluginError(f"check plugin {ep.name} ({ep.value}) is a {type(obj).__name__}, not a CheckPlugin")
        dist = ep.dist
        source = f"{dist.name} {dist.version}" if dist is not None else ep.value
        found.append(replace(obj, source=source))
    seen_ids: dict[str, str] = {}
    seen_rules: dict[str, str] = {}
    for p in found:
        if p.id in seen_ids:
            raise PluginError(f"check plugin id {p.id!r} is declared by both {seen_ids[p.id]} and {p.source}")
        seen_ids[p.id] = p.source
        for rule_id in p.rules:
            if rule_id in seen_rules:
                raise PluginError(f"rule {rule_id!r} is declared by both {seen_rules[rule_id]} and {p.id}")
            seen_rules[rule_id] = p.id
    return tuple(sorted(found, key=lambda p: (p.order, p.id)))


def plugin_of(rule_id: str) -> CheckPlugin | None:
    """The plugin that emits ``rule_id`` (a listed rule first, then an open prefix)."""
    return _by_rule().get(rule_id) or next((p for p in plugins() if p.emits(rule_id)), None)


@cache
def _by_rule() -> dict[str, CheckPlugin]:
    return {r: p for p in plugins() for r in p.rules}


def rule_meta(rule_id: str) -> RuleMeta | None:
    p = _by_rule().get(rule_id)
    return p.rules[rule_id] if p else None


def fields_for(rule_id: str) -> dict[str, Field]:
    """Evidence fields a renderer uses for a finding of ``rule_id`` (empty for a rule no plugin declares)."""
    p = plugin_of(rule_id)
    return p.fields_for(rule_id) if p else {}


@cache
def all_fields() -> dict[str, Field]:
    """Every plugin's fields (the first plugin's wins): for coverage notes that belong to no one finding."""
    out: dict[str, Field] = {}
    for p in reversed(plugins()):
        out.update(p.fields)
    return out


def family_title(prefix: str) -> dict[str, str] | None:
    """The title a plugin gives the rule-id prefix ``prefix`` (``links`` → 链接)."""
    return next((dict(p.families[prefix]) for p in plugins() if prefix in p.families), None)


def emitted_hint(rule_id: str) -> str:
    """Why ``rule_id`` is unknown, with the nearest rule an installed plugin emits."""
    known = list(_by_rule())
    near = difflib.get_close_matches(rule_id, known, n=1)
    return f"; did you mean {near[0]!r}?" if near else f"; installed checks: {', '.join(p.id for p in plugins())}"


def enabled(plugin: CheckPlugin, rules: Any) -> bool:
    """A rule set's ``checks: {<id>: {enabled: ...}}``, else the plugin's default."""
    setting = (rules.data.get("checks") or {}).get(plugin.id) or {}
    return bool(setting.get("enabled", plugin.enabled))


def run_all(view: Any, rules: Any, families: list[str] | None = None) -> Iterator[Finding]:
    """Every enabled plugin's findings, in report order.  ``families`` selects plugins by id."""
    for plugin in plugins():
        if (families is not None and plugin.id not in families) or not enabled(plugin, rules):
            continue
        for item in plugin.run(view, rules):
            if not plugin.emits(item.rule):
                raise PluginError(f"check plugin {plugin.id} ({plugin.source}) emitted {item.rule!r}, a rule it does not declare")
            if not rules.enabled(item.rule):
                continue
            if isinstance(item, Hit):
                item = _finding(item, view, rules)
            yield item


def _finding(hit: Hit, view: Any, rules: Any) -> Finding:
    template = rules.text(rules.rule(hit.rule).get("message"), "zh")
    message = format_message(template, {**hit.extra, **hit.evidence}) if template else rules.title_of(hit.rule)
    return Finding(rule=hit.rule, severity=rules.severity(hit.rule), site=view.site, url=hit.url, message=message,
                   evidence=dict(hit.evidence), extra=dict(hit.extra))


__all__ = ["CheckPlugin", "Field", "Hit", "RuleMeta", "PluginError", "plugins", "plugin_of", "rule_meta", "fields_for",
           "all_fields", "family_title", "enabled", "run_all", "GROUP"]
