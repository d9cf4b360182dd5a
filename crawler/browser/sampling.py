"""Template-aware sampling: which pages the browser audits, and how many pages each one stands for.

A 50,000-page government site is a few dozen CMS templates filled with different text; accessibility
failures are mostly properties of the template (the header without a skip link, the search box without a
label).  So pages are grouped by the crawl's ``template`` signature and a few from each group are audited,
plus the pages inspectors always look at: the homepage, every column's list page and a mailbox page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from govaudit.facts import PageFacts


@dataclass(slots=True)
class PageInfo:
    """What sampling needs to know about a crawled page (from its facts)."""

    url: str
    template: str
    kind: str = "other"
    column: str = ""
    depth: int = 0


@dataclass
class Sample:
    mode: str
    pages: int
    chosen: list[str] = field(default_factory=list)  # audit order: must-haves first
    reasons: dict[str, str] = field(default_factory=dict)  # url -> home | column_list | mailbox | template | all
    groups: list[dict[str, Any]] = field(default_factory=list)
    stands_for: dict[str, int] = field(default_factory=dict)

    def artifact(self) -> dict[str, Any]:
        return {"mode": self.mode, "pages": self.pages, "chosen": len(self.chosen), "groups": self.groups,
                "stands_for": self.stands_for, "reasons": self.reasons}


def _spread(members: list[PageInfo], k: int) -> list[PageInfo]:
    """k members spread evenly over the group (sorted by depth then URL), deterministic across runs."""
    if k <= 0:
        return []
    if k >= len(members):
        return list(members)
    step = len(members) / k
    return [members[int(i * step)] for i in range(k)]


def choose(pages: Iterable[PageInfo], *, mode: str, home_url: str, per_template: int, max_audits: int) -> Sample:
    """Pick the pages to audit.

    ``mode``: ``sample`` (groups + must-haves), ``all`` (every page), ``off`` (none).  Each audited page
    stands for an equal share of its template group; a group's must-have pages count among its audited
    members.  ``max_audits`` caps the total; must-haves are kept first.
    """
    pages = list(pages)
    sample = Sample(mode=mode, pages=len(pages))
    if mode == "off" or not pages:
        return sample
    order = sorted(pages, key=lambda p: (p.depth, p.url))
    if mode == "all":
        sample.chosen = [p.url for p in order]
        sample.reasons = {p.url: "all" for p in order}
        sample.stands_for = {p.url: 1 for p in order}
        sample.groups = [{"template": t, "pages": n, "audited": n} for t, n in _group_sizes(order).items()]
        return sample

    chosen: dict[str, str] = {}
    for p in order:
        if p.url == home_url or p.kind == "home":
            chosen.setdefault(p.url, "home")
    mailbox = next((p for p in order if p.kind == "mailbox"), None)
    if mailbox is not None:
        chosen.setdefault(mailbox.url, "mailbox")
    columns_seen: set[str] = set()
    for p in order:
        if p.kind == "list":
            key = p.column or p.url
            if key not in columns_seen:
                columns_seen.add(key)
                chosen.setdefault(p.url, "column_list")
    must = list(chosen)[:max_audits]
    chosen = {u: chosen[u] for u in must}

    groups: dict[str, list[PageInfo]] = defaultdict(list)
    for p in order:
        groups[p.template].append(p)
    # Largest groups first, so a capped run still covers the most pages.
    for _template, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        have = sum(1 for m in members if m.url in chosen)
        for m in _spread([m for m in members if m.url not in chosen], max(0, per_template - have)):
            if len(chosen) >= max_audits:
                break
            chosen[m.url] = "template"

    for template, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        audited = [m.url for m in members if m.url in chosen]
        entry: dict[str, Any] = {"template": template, "pages": len(members), "audited": len(audited),
                                 "urls": audited[:per_template * 4]}
        if audited:
            share, extra = divmod(len(members), len(audited))
            for i, url in enumerate(audited):
                sample.stands_for[url] = share + (1 if i < extra else 0)
        else:
            entry["not_represented"] = len(members)
        sample.groups.append(entry)
    sample.chosen = list(chosen)
    sample.reasons = chosen
    return sample


def _group_sizes(pages: list[PageInfo]) -> dict[str, int]:
    sizes: dict[str, int] = defaultdict(int)
    for p in pages:
        sizes[p.template] += 1
    return dict(sizes)


def page_info(url: str, depth: int, facts: PageFacts) -> PageInfo:
    column = facts.get("column") or {}
    return PageInfo(url=url, template=str(facts.get("template") or "unknown"), kind=str(facts.get("kind") or "other"),
                    column=str(column.get("name") or "") if isinstance(column, dict) else "", depth=depth)
