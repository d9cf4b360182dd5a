"""The check plugin interface: what a check declares about itself, so that the core and the renderers need
no code per family.

Modelled on Lighthouse audits (``static get meta()``) and axe-core rules (a rule is data): a check module
exports one ``CheckPlugin`` — its id, the rule ids it can emit with their titles, help, default severity,
evidence fields (labels in Chinese and English and a kind) and message templates, the page facts it needs
and the extractors that gather them, its parameter defaults and its charts — and ``run(view, rules)``.
Plugins are found through the ``govaudit.checks`` entry-point group (the built-in checks register the same
way in pyproject.toml), page-fact extractors through ``govaudit.extractors``.

The core (``govaudit.checks``) does everything generic: which plugins a rule set enables, the severity a
rule set gives a rule, building a ``Finding`` (with its message) from a ``Hit``, and the renderers read
titles, labels and kinds from here.  A renderer never names a family.
"""

from __future__ import annotations

import bisect
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

Text = Mapping[str, str]
"""A display text in each language: ``{"zh": ..., "en": ...}``."""

FIELD_KINDS = ("text", "url", "date", "timestamp", "count", "number", "percent", "bool", "list", "table", "record")


def T(zh: str, en: str) -> dict[str, str]:
    """A two-language text (the declarations read better with it than with dict literals)."""
    return {"zh": zh, "en": en}


@dataclass(frozen=True, slots=True)
class Field:
    """One evidence key as a report shows it.

    ``kind`` decides the formatting (``percent``: a 0–1 share shown as %, ``timestamp``: seconds since the
    epoch shown as a date and time; the others are shown as they come, ``url`` values linked).  ``values``
    puts coded values into words; ``count_label`` is the label when the value is a number rather than the
    list the key usually holds (``attempts``: 尝试记录 vs 尝试次数); ``optional`` hides a ``None``.
    """

    label: Text
    kind: str = "text"
    values: Mapping[str, Text] = field(default_factory=dict)
    count_label: Text | None = None
    optional: bool = False

    def __post_init__(self) -> None:
        if self.kind not in FIELD_KINDS:
            raise ValueError(f"evidence field kind {self.kind!r} is not one of {FIELD_KINDS}")


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """A rule a check can emit.  The rule set may override ``title``, ``help`` and ``severity`` and adds the
    scoring (indicator, veto, points); ``message`` templates (``str.format`` over the evidence) give a
    ``Hit`` its message, and render a finding in the report's language."""

    title: Text
    help: Text
    severity: str = "warn"
    message: Text = field(default_factory=dict)
    fields: Mapping[str, Field] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Chart:
    """A bar chart the HTML report draws over the plugin's findings: the first number among ``keys`` in
    each finding of ``families``, counted into ``buckets`` (``[b_i, b_i+1)`` and an open last one)."""

    id: str
    title: Text
    families: tuple[str, ...]
    keys: tuple[str, ...]
    buckets: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Ranking:
    """A ranked table the HTML report and the workbook show over the plugin's findings: the findings of
    ``rules`` with the largest number under evidence ``key`` first (the slowest pages, the heaviest
    resources), at most ``limit`` rows, each with its url, message and the evidence ``columns``.
    A renderer only orders what the check measured; it computes nothing."""

    id: str
    title: Text
    rules: tuple[str, ...]
    key: str
    columns: tuple[str, ...] = ()
    limit: int = 20

    def rows(self, findings: Iterable[Any]) -> list[Any]:
        """The findings this ranking shows, in its order (findings without a number under ``key`` are left out)."""
        ranked = [f for f in findings if f.rule in self.rules and isinstance(f.evidence.get(self.key), (int, float))
                  and not isinstance(f.evidence.get(self.key), bool)]
        ranked.sort(key=lambda f: (-f.evidence[self.key], f.url))
        return ranked[:self.limit]


@dataclass(frozen=True, slots=True)
class Hit:
    """What a plugin may yield instead of a ``Finding``: the core adds severity (from the rule set), the
    site and the message (the rule's zh template over ``evidence`` and ``extra``)."""

    rule: str
    url: str
    evidence: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


Run = Callable[[Any, Any], Iterator[Any]]  # (ScanView, RuleSet) -> Finding | Hit


@dataclass(frozen=True, slots=True)
class CheckPlugin:
    """A check, as it describes itself.

    ``families`` titles each rule-id prefix the plugin emits (``columns``, ``home``): a report groups by
    them.  ``open_prefixes`` says the plugin also emits rule ids it cannot list in advance (axe-core's rules
    under ``a11y.``).  ``params`` are defaults under ``params.<id>`` in the rule set; ``enabled`` is the
    default a rule set's ``checks: {<id>: {enabled: ...}}`` overrides.  ``source`` is filled in by the
    registry (distribution name and version).
    """

    id: str
    title: Text
    run: Run
    rules: Mapping[str, RuleMeta]
    families: Mapping[str, Text]
    fields: Mapping[str, Field] = field(default_factory=dict)
    open_prefixes: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    extractors: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    charts: tuple[Chart, ...] = ()
    rankings: tuple[Ranking, ...] = ()
    enabled: bool = True
    order: int = 100
    source: str = ""

    def emits(self, rule_id: str) -> bool:
        return rule_id in self.rules or rule_id.startswith(self.open_prefixes)

    def fields_for(self, rule_id: str) -> dict[str, Field]:
        """The plugin's evidence fields with the rule's own on top."""
        meta = self.rules.get(rule_id)
        return {**self.fields, **(meta.fields if meta else {})}


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def format_message(template: str, values: Mapping[str, Any]) -> str:
    """A message template filled from evidence; an absent key stays visible as ``{key}`` rather than failing."""
    return string.Formatter().vformat(template, (), _Missing(values))


class _Ordered(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


K = TypeVar("K", bound=_Ordered)


def keep_smallest(kept: list[K], item: K, n: int) -> None:
    """Put ``item`` into the sorted list ``kept`` and keep only its ``n`` smallest: what a per-template finding
    lists of its pages (the first, the worst), gathered as the pages stream by without holding the rest."""
    if len(kept) < n or item < kept[-1]:
        bisect.insort(kept, item)
        del kept[n:]
