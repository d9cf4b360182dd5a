"""Freshness checks: stale columns (栏目不更新), blank columns (空白栏目), homepage not updated (首页不更新), and
the site-level single-veto counts (indicators.md §1.2, §2.3, §6.3 op.item_date / op.window).

Pure: reads the list pages' facts from the scan view and the windows, keyword lists and counts from the
rule set; every date is counted back from ``view.as_of`` so a scan can be re-checked as of any day.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from govaudit.checks.plugin import Chart, CheckPlugin, Field, RuleMeta, T

from govaudit.facts import Column as ColumnFacts
from govaudit.facts import ListItem, PageFacts
from govaudit.model import Finding, UrlRecord
from govaudit.readings import fetched_endpoint, iso_or_none, record_url
from govaudit.ruleset import RuleSet
from govaudit.store import ScanView

_PAGE_PARAMS = {"page", "pageno", "pageindex", "pagenum", "curpage", "currentpage", "p", "pn", "pagenumber", "cpage",
                "pageid", "page_no", "page_index"}
_PAGE_NAME = re.compile(r"^(?P<stem>[\w-]*?)_\d{1,5}(?P<ext>\.(?:s?html?|jsp|aspx?|php))$", re.I)
_LIST_KINDS = ("list", "mailbox")


@dataclass(slots=True)
class ColumnType:
    """A column's inspection type (栏目类型) and why it was chosen — shown to the inspector."""

    id: str | None
    title: str
    window_days: int | None
    veto: str | None
    reason: str


_LISTED = {"pages": 20, "placeholders": 5, "containers": 5, "future": 5}  # what a finding lists of each, at most


class Newest:
    """A list's newest dated item on or before the check date, fed item by item: its item count (repeats
    included), undated items and future-dated ones (the first few), each (URL, title) counted once.  Only the
    keys seen are held, not the items: a column of thousands of rows is judged without keeping its rows."""

    def __init__(self, as_of: date, tolerance: int, article_date: Callable[[str], str | None], use_articles: bool) -> None:
        self.limit = as_of + timedelta(days=tolerance)
        self.article_date, self.use_articles = article_date, use_articles
        self.newest: tuple[date, dict[str, Any]] | None = None
        self.items = self.undated = self.future_count = 0
        self.future: list[dict[str, Any]] = []
        self.seen: set[tuple[str, str]] = set()

    def add(self, item: ListItem) -> None:
        self.items += 1
        key = (item.get("url") or "", item.get("title") or "")
        if key in self.seen:
            return
        self.seen.add(key)
        when = iso_or_none(item.get("date"))
        via = "list"
        if when is None and self.use_articles and (url := item.get("url")) and (printed := self.article_date(url)):
            when, via = iso_or_none(printed), "article page"
        if when is None:
            self.undated += 1
            return
        if when > self.limit:
            self.future_count += 1
            if len(self.future) < _LISTED["future"]:
                self.future.append({"title": item.get("title"), "url": item.get("url"), "date": when.isoformat()})
            return
        if self.newest is None or when > self.newest[0]:
            self.newest = (when, {**item, "date": when.isoformat(), "date_from": via})

    @property
    def item(self) -> dict[str, Any] | None:
        return self.newest[1] if self.newest else None


@dataclass
class Column:
    """One column (栏目): the list pages that belong to it (pagination, same name) and its items' tally; of its
    pages, placeholders and containers only the first few a finding lists (``_LISTED``) are kept."""

    url: str
    newest: Newest
    pages: list[str] = field(default_factory=list)
    page_count: int = 0
    names: Counter = field(default_factory=Counter)
    type_meta: str | None = None
    placeholders: list[str] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    endpoint: dict[str, Any] | None = None  # the list endpoint its first page's script loads, as the crawl found it

    def listing(self, what: str, text: str, once: bool = True) -> None:
        """Add ``text`` to the ``what`` list (once, unless told), up to what a finding lists of it."""
        listed: list[str] = getattr(self, what)
        if len(listed) < _LISTED[what] and not (once and text in listed):
            listed.append(text)

    @property
    def name(self) -> str:
        return self.names.most_common(1)[0][0] if self.names else ""


def classify_column(name: str | None, type_meta: str | None, rules: RuleSet) -> ColumnType:
    """The inspection type of a column from its name, else its ColumnType meta, by the rule set's keyword lists.

    The longest keyword found wins (政策解读 beats 政策), ties go to the type listed first; a column matching
    nothing has no fixed window.  Used by the check and by ``govaudit page`` so both say the same.
    """
    types: dict[str, dict[str, Any]] = rules.param("freshness.column_types")
    for label, text in (("name", name), ("ColumnType meta", type_meta)):
        if not text:
            continue
        best: tuple[int, str, str] | None = None
        for type_id, spec in types.items():
            for keyword in spec.get("keywords") or []:
                if keyword and keyword in text and (best is None or len(keyword) > best[0]):
                    best = (len(keyword), type_id, keyword)
        if best is not None:
            spec = types[best[1]]
            return ColumnType(best[1], str(spec.get("title", best[1])), spec.get("window_days"), spec.get("veto"),
                              f"{label} “{text}” contains keyword “{best[2]}” (freshness.column_types.{best[1]})")
    return ColumnType(None, "未分类", None, None,
                      f"no keyword of freshness.column_types in name “{name or ''}” or ColumnType “{type_meta or ''}”")


def list_key(url: str) -> str:
    """The URL of a list's first page: ``index_3.html`` → ``index.html``, ``?page=3`` dropped."""
    parts = urlsplit(url)
    head, _, name = parts.path.rpartition("/")
    m = _PAGE_NAME.match(name)
    if m:
        name = m.group("stem") + m.group("ext")
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in _PAGE_PARAMS])
    return urlunsplit((parts.scheme, parts.netloc, f"{head}/{name}", query, ""))


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _offsite(rec: Any, home: str) -> bool:
    """A column link that redirected to another host: not this site's column, not judged here.  ``rec.url`` is
    where the redirects ended (``ScanView.pages()``), so: a page off the start URL's host reached from another host."""
    host = urlsplit(rec.url).netloc
    return host != urlsplit(home).netloc and any(urlsplit(a).netloc != host for a in rec.aliases)


def _is_placeholder(text: str, phrases: list[str]) -> bool:
    return any(p in text for p in phrases)


def _first_segment(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc + "/" + parts.path.lstrip("/").split("/", 1)[0]


def _nav_entry(view: ScanView, url: str, column: ColumnFacts) -> Any:
    """A link to ``url`` whose anchor text names the page's column (a navigation entry), else None."""
    names = {n for n in (column.get("name"), *(column.get("breadcrumb") or [])[-1:], *(column.get("title_parts") or [])[:1])
             if n and len(n) >= 2}
    for ref in view.refs(url, limit=200):
        anchor = " ".join((ref.anchor or "").split())
        if len(anchor) >= 2 and any(anchor in n or n in anchor for n in names):
            return ref
    return None


def _empty_column_page(view: ScanView, rec: UrlRecord, column: ColumnFacts, phrases: list[str]) -> bool:
    """An item-less page the extractor did not call a list, which still behaves as a (blank) column: it shows a
    暂无信息-style placeholder or an empty list container, and it is declared a column by ColumnName/ColumnType
    meta or reached by a navigation entry that names it.  A static page (联系我们, 网站地图) shows neither."""
    facts = rec.facts or {}
    if facts.get("kind") != "other" or facts.get("list_items"):
        return False
    placeholder = any(_is_placeholder(t, phrases) for t in column.get("short_texts") or [])
    if not (placeholder or column.get("list_containers")):
        return False
    return bool(column.get("name_source") == "meta ColumnName" or column.get("type")
                or any(_nav_entry(view, url, column) is not None for url in (rec.url, *rec.aliases)))


def page_items(view: ScanView, facts: PageFacts, sources: set[str]) -> list[ListItem]:
    """A page's list items: those its script's endpoint answered, when the crawl fetched it, it answered items
    and the rule set counts them (the page's own HTML then holds at most a side list, which must not date the
    column); else the items in the page (issue 11 item 3)."""
    endpoint = fetched_endpoint(facts) if "endpoint" in sources else None
    if endpoint is not None:
        rec = view.get(record_url(endpoint))
        answered = ((rec.facts or {}).get("list_items") if rec is not None and rec.kind == "endpoint" else None)
        if answered:
            return list(answered)
    return list(facts.get("list_items") or [])


def _filled_by_endpoint(view: ScanView, facts: PageFacts, sources: set[str]) -> bool:
    """The page's list comes from its script's endpoint: a column, whatever its HTML looks like (an article
    page's layout around a list the script fills)."""
    return any(i.get("source") == "endpoint" for i in page_items(view, facts, sources))


def _endpoint_outcome(view: ScanView, facts: PageFacts) -> dict[str, Any] | None:
    """The endpoint the crawl fetched for this page and what came of it (items, or why none: its answer,
    robots.txt, a transport error), for the inspector who must defend a blank or stale column."""
    endpoint = fetched_endpoint(facts)
    if endpoint is None:
        return None
    url = record_url(endpoint)
    rec = view.get(url)
    if rec is None:
        return {"endpoint": url, "endpoint_items": 0, "endpoint_reason": "not_fetched"}
    answer = (rec.facts or {}).get("endpoint") or {}
    reason = answer.get("reason") or rec.skip_reason or rec.error
    return {"endpoint": url, "endpoint_items": answer.get("items", 0),
            "endpoint_reason": reason if reason or answer else "not_fetched"}


def _gather(view: ScanView, rules: RuleSet) -> tuple[dict[str, list[str]], UrlRecord | None]:
    """The columns as {column URL: its list pages' URLs, sorted}, and the homepage's record.

    One streaming pass that keeps of a list page its URL only, of an article nothing: which pages are one
    column is known only at the end (a pager met later can join two lists), and holding every list page's
    record and items until then, and every article's date, held the whole site in memory (issue 16).  The
    list pages are read again, one column at a time, by ``_columns``; article dates are looked up when an
    item prints none (``_article_date``)."""
    phrases: list[str] = rules.param("freshness.placeholder_phrases")
    sources = set(rules.param("freshness.item_sources"))
    union = _Union()
    list_urls: list[str] = []
    home: UrlRecord | None = None
    by_name: dict[tuple[str, str], str] = {}
    for rec in view.pages():
        facts = rec.facts or {}
        if _offsite(rec, view.start_url):
            continue
        kind = facts.get("kind")
        from_endpoint = _filled_by_endpoint(view, facts, sources)
        if kind == "article" and not from_endpoint:
            continue
        if kind == "home" or (home is None and rec.url == view.start_url):
            home = rec
            continue
        column = facts.get("column") or {}
        if kind not in _LIST_KINDS and not from_endpoint and not _empty_column_page(view, rec, column, phrases):
            continue
        list_urls.append(rec.url)
        union.find(list_key(rec.url))
        for page in facts.get("pagination") or []:
            target = page["url"] if isinstance(page, dict) else page
            union.union(list_key(rec.url), list_key(target))
        if (name := column.get("name")) and column.get("name_source") == "meta ColumnName":
            name_key = (name, _first_segment(rec.url))
            if name_key in by_name:
                union.union(list_key(rec.url), by_name[name_key])
            else:
                by_name[name_key] = list_key(rec.url)
    groups: dict[str, list[str]] = {}
    for url in sorted(list_urls):
        groups.setdefault(union.find(list_key(url)), []).append(url)
    return groups, home


def _columns(view: ScanView, rules: RuleSet, groups: dict[str, list[str]],
             tally_for: Callable[[], Newest]) -> Iterator[Column]:
    """Each column with its items' tally, in URL order, built from its pages read again (``view.page``) when its
    turn comes: no page's record or items outlive the page."""
    phrases: list[str] = rules.param("freshness.placeholder_phrases")
    sources = set(rules.param("freshness.item_sources"))
    for root in sorted(groups):
        col = Column(url=root, newest=tally_for())
        for url in groups[root]:
            rec = view.page(url)
            assert rec is not None, url  # pages() yielded it from this view
            facts = rec.facts or {}
            items = page_items(view, facts, sources)
            col.page_count += 1
            col.listing("pages", url, once=False)
            info: ColumnFacts = facts.get("column") or {}
            if name := info.get("name"):
                col.names[name] += 3 if info.get("name_source") == "meta ColumnName" else 1
            col.type_meta = col.type_meta or info.get("type")
            for text in info.get("list_containers") or []:
                col.listing("containers", text)
            col.endpoint = col.endpoint or _endpoint_outcome(view, facts)
            for signal in _list_signals(facts, info, items):
                if signal not in col.signals:
                    col.signals.append(signal)
            for text in info.get("short_texts") or []:
                if _is_placeholder(text, phrases):
                    col.listing("placeholders", text)
            for item in items:
                if item.get("source", "html") not in sources:
                    continue
                if _is_placeholder(title := item.get("title") or "", phrases):
                    col.listing("placeholders", title, once=False)
                    continue
                col.newest.add(item)
        yield col


def _article_date(view: ScanView, sources: set[str], url: str) -> str | None:
    """The date the article page at ``url`` (any URL of it) prints, for a list item that prints none; None when
    that page is no article of this site (off-site, another kind, or a column its script's endpoint fills).
    Looked up item by item instead of a map of every article's URLs and date held for the whole check."""
    rec = view.page(url)
    if rec is None or _offsite(rec, view.start_url):
        return None
    facts = rec.facts or {}
    if facts.get("kind") != "article" or _filled_by_endpoint(view, facts, sources):
        return None
    return (facts.get("article") or {}).get("date") or None


def _list_signals(facts: PageFacts, column: ColumnFacts, items: list[ListItem]) -> list[str]:
    """Why a page was read as a column list, for the inspector: meta, pagination, items, containers."""
    out = [f"page kind “{facts.get('kind')}”"]
    if any(i.get("source") == "endpoint" for i in items):
        out.append("endpoint items")
    if column.get("name_source") == "meta ColumnName":
        out.append("meta ColumnName")
    if column.get("type"):
        out.append("meta ColumnType")
    if facts.get("pagination"):
        out.append("pagination")
    if facts.get("list_items"):
        out.append("list items")
    if column.get("list_containers"):
        out.append("list container")
    return out


def run(view: ScanView, rules: RuleSet) -> Iterator[Finding]:
    """columns.stale, columns.empty, home.stale and the single-veto counts (columns.veto_*)."""
    as_of = date.fromisoformat(view.as_of[:10])
    tolerance = int(rules.param("freshness.future_tolerance_days"))
    use_articles = bool(rules.param("freshness.use_article_dates"))
    groups, home = _gather(view, rules)
    tally_for = partial(Newest, as_of, tolerance, partial(_article_date, view, set(rules.param("freshness.item_sources"))),
                        use_articles)  # a fresh tally per list
    site = view.site
    stale_short: list[dict[str, Any]] = []  # 栏目不更新(1): news + notice/policy over their window
    long_stale: list[dict[str, Any]] = []   # 栏目不更新(2): any fixed-window column over its window, and blank ones
    blank: list[dict[str, Any]] = []        # 栏目不更新(3): blank columns

    for col in _columns(view, rules, groups, tally_for):
        ctype = classify_column(col.name, col.type_meta, rules)
        summary: dict[str, Any] = {"column": col.name, "url": col.url, "type": ctype.id, "type_title": ctype.title}
        tally = col.newest
        if not tally.items:
            evidence: dict[str, Any] = {**summary, "type_reason": ctype.reason, "placeholders": col.placeholders,
                        "list_containers": col.containers, "list_signals": col.signals,
                        "list_pages": col.pages, "list_page_count": col.page_count, **(col.endpoint or {})}
            why = f"只有“{col.placeholders[0]}”提示" if col.placeholders else "没有任何信息条目"
            blank.append(summary)
            long_stale.append({**summary, "reason": "blank"})
            if rules.enabled("columns.empty"):
                yield Finding("columns.empty", rules.severity("columns.empty"), site, col.url,
                              f"空白栏目“{col.name}”：{why}（读取列表页 {col.page_count} 页）", evidence)
            continue
        if ctype.window_days is None:
            continue
        window = int(ctype.window_days)
        newest = tally.item
        age = (as_of - date.fromisoformat(newest["date"])).days if newest else None
        if age is not None and age <= window:
            continue
        evidence = {**summary, "type_reason": ctype.reason, "window_days": window,
                    "newest_date": newest["date"] if newest else None, "newest_url": newest.get("url") if newest else None,
                    "newest_title": newest.get("title") if newest else None,
                    "newest_date_from": newest.get("date_from") if newest else None,
                    "days_since": age, "days_over": (age - window) if age is not None else None,
                    "items": tally.items, "undated_items": tally.undated, "future_dated_items": tally.future,
                    "list_pages": col.pages, "list_page_count": col.page_count, "as_of": as_of.isoformat(),
                    **(col.endpoint or {})}
        if newest is None or age is None:
            msg = (f"栏目“{col.name}”（{ctype.title}，更新周期 {window} 天）的 {tally.items} 条信息均无有效发布日期，"
                   "按检查规则无日期信息视为未更新")
        else:
            msg = (f"栏目“{col.name}”（{ctype.title}，更新周期 {window} 天）最新信息日期 {newest['date']}，"
                   f"距检查日 {as_of.isoformat()} 已 {age} 天，超期 {age - window} 天")
        if tally.future_count:
            msg += f"；另有 {tally.future_count} 条信息的日期晚于检查日，不作为更新依据"
        entry = {**summary, "newest_date": evidence["newest_date"], "days_over": evidence["days_over"]}
        long_stale.append(entry)
        if ctype.veto == "stale":
            stale_short.append(entry)
        if rules.enabled("columns.stale"):
            yield Finding("columns.stale", rules.severity("columns.stale"), site, col.url, msg, evidence)

    if home is not None and rules.enabled("home.stale"):
        yield from _home(view, rules, home, as_of, tally_for())

    for rule_id, key, listed, what in (
            ("columns.veto_stale", "veto_stale_count", stale_short, "动态要闻类超过 2 周、通知公告/政策文件类超过 6 个月未更新的栏目"),
            ("columns.veto_long_stale", "veto_long_stale_count", long_stale, "应更新但长期未更新的栏目（含空白栏目）"),
            ("columns.veto_blank", "veto_blank_count", blank, "空白栏目")):
        threshold = int(rules.param(f"freshness.{key}"))
        if len(listed) >= threshold and rules.enabled(rule_id):
            yield Finding(rule_id, rules.severity(rule_id), site, view.start_url,
                          f"{what}共 {len(listed)} 个，达到单项否决数 {threshold} 个",
                          {"count": len(listed), "threshold": threshold, "columns": listed, "as_of": as_of.isoformat()})
    yield from _early_counts(view, rules, as_of, long_stale, blank)


def _early_counts(view: ScanView, rules: RuleSet, as_of: date, long_stale: list[dict[str, Any]],
                  blank: list[dict[str, Any]]) -> Iterator[Finding]:
    """预警 (indicators.md §6.1 kp.early_warning): over the warning line, still under the veto count.

    The lines are a monitoring vendor's presets ([S] C3), tighter than the vetoes and not in an official text:
    the finding says so (``confirmed``, from the rule set), and ``items_left`` is how many more before the veto.
    """
    early = rules.param("freshness.early_warning")
    for rule_id, over_key, veto_key, listed, what in (
            ("early.blank_columns", "blank_columns_over", "veto_blank_count", blank, "空白栏目"),
            ("early.columns_stale", "stale_columns_over", "veto_long_stale_count", long_stale, "应更新但未更新栏目（含空白栏目）")):
        over, veto = int(early[over_key]), int(rules.param(f"freshness.{veto_key}"))
        if not over < len(listed) < veto or not rules.enabled(rule_id):
            continue
        left = veto - len(listed)
        yield Finding(rule_id, rules.severity(rule_id), view.site, view.start_url,
                      f"预警：{what}已有 {len(listed)} 个，超过预警线 {over} 个，再有 {left} 个即达单项否决数 {veto} 个",
                      {"count": len(listed), "warn_over": over, "threshold": veto, "items_left": left,
                       "confirmed": bool(early["confirmed"]), "columns": listed, "as_of": as_of.isoformat()})


def observed_home_change(snapshots: list[dict[str, Any]], as_of: date, window: int) -> dict[str, Any] | None:
    """The homepage's last observed update from the availability monitor's daily snapshots, or None when they
    do not cover the window before the check date (then printed dates decide, as without a monitor).

    An update is a snapshot holding an item (title and link) the previous one did not: printed dates can be
    stamped by a template or missing, what appeared on the page cannot.  Snapshots after the check date are
    not evidence (the same rule as future-dated items)."""
    snaps = [s for s in snapshots if date.fromtimestamp(s["at"]) <= as_of]
    if not snaps or (as_of - date.fromtimestamp(snaps[0]["at"])).days < window:
        return None
    last_change = None
    previous: set[tuple[str, str]] | None = None
    for snap in snaps:
        items = {(i.get("title", ""), i.get("url", "")) for i in snap["items"]}
        if previous is not None and items - previous:
            last_change = date.fromtimestamp(snap["at"])
        previous = items
    first = date.fromtimestamp(snaps[0]["at"])
    return {"last_change": last_change.isoformat() if last_change else None, "first_snapshot": first.isoformat(),
            "snapshots": len(snaps), "days_since": (as_of - (last_change or first)).days, "items": len(previous or ())}


def _home_observed(view: ScanView, rules: RuleSet, home: UrlRecord, as_of: date, window: int,
                   observed: dict[str, Any]) -> Iterator[Finding]:
    """首页不更新 judged from what the monitor saw change on the homepage (and its early warning before the veto)."""
    if observed["days_since"] <= window:
        seen = {"date": observed["last_change"] or observed["first_snapshot"], "url": home.url}
        yield from _early_home(view, rules, home, observed["days_since"], window, seen, as_of)
        return
    evidence = {"window_days": window, "mode": "observed", "observed_last_change": observed["last_change"],
                "first_snapshot": observed["first_snapshot"], "snapshots": observed["snapshots"],
                "days_since": observed["days_since"], "days_over": observed["days_since"] - window,
                "items": observed["items"], "undated_items": 0, "as_of": as_of.isoformat()}
    if home.aliases:
        evidence["aliases"] = home.aliases
    since = (f"自 {observed['last_change']} 起" if observed["last_change"]
             else f"自监测首次快照 {observed['first_snapshot']} 起")
    yield Finding("home.stale", rules.severity("home.stale"), view.site, home.url,
                  f"可用性监测的 {observed['snapshots']} 次首页快照显示，首页{since}没有新增信息，"
                  f"已 {observed['days_since']} 天，超过 {window} 天未更新", evidence)


def _home(view: ScanView, rules: RuleSet, home: UrlRecord, as_of: date, tally: Newest) -> Iterator[Finding]:
    """首页不更新: no homepage item within the home window; a navigation-only homepage is judged by its
    second-level pages (indicators.md §1.2 veto.home_stale)."""
    window = int(rules.param("freshness.home_window_days"))
    observed = observed_home_change(view.snapshots(), as_of, window)
    if observed is not None:
        yield from _home_observed(view, rules, home, as_of, window, observed)
        return
    sources = set(rules.param("freshness.item_sources"))
    for item in page_items(view, home.facts or {}, sources):
        if item.get("source", "html") in sources:
            tally.add(item)
    mode, pages = "homepage", [home.url]
    if not tally.items:
        mode, pages = "navigation homepage: second-level pages", []
        for rec in view.pages():
            facts = rec.facts or {}
            if rec.depth == 1 and not _offsite(rec, view.start_url) and facts.get("kind") in (*_LIST_KINDS, "home"):
                pages.append(rec.url)
                for item in page_items(view, facts, sources):
                    if item.get("source", "html") in sources:
                        tally.add(item)
    newest, undated, future = tally.item, tally.undated, tally.future
    age = (as_of - date.fromisoformat(newest["date"])).days if newest else None
    if newest is not None and age is not None and age <= window:
        yield from _early_home(view, rules, home, age, window, newest, as_of)
        return
    evidence = {"window_days": window, "mode": mode, "pages": pages[:50], "items": tally.items, "undated_items": undated,
                "newest_date": newest["date"] if newest else None, "newest_url": newest.get("url") if newest else None,
                "newest_title": newest.get("title") if newest else None, "days_since": age,
                "days_over": (age - window) if age is not None else None, "future_dated_items": future,
                "as_of": as_of.isoformat()}
    if home.aliases:
        evidence["aliases"] = home.aliases
    where = "首页" if mode == "homepage" else f"首页仅为导航，其 {len(pages)} 个二级页面"
    if newest is None:
        msg = f"{where}没有带有效日期的信息（{tally.items} 条信息无日期，按检查规则视为未更新），{window} 天内无更新"
    else:
        msg = f"{where}最新信息日期 {newest['date']}，距检查日 {as_of.isoformat()} 已 {age} 天，超过 {window} 天未更新"
    yield Finding("home.stale", rules.severity("home.stale"), view.site, home.url, msg, evidence)


def _early_home(view: ScanView, rules: RuleSet, home: UrlRecord, age: int, window: int, newest: dict[str, Any],
                as_of: date) -> Iterator[Finding]:
    """首页预警: the homepage's newest item is older than the warning line but still inside the veto window."""
    early = rules.param("freshness.early_warning")
    warn_days = int(early["home_days"])
    if age <= warn_days or not rules.enabled("early.home_stale"):
        return
    left = window - age
    yield Finding("early.home_stale", rules.severity("early.home_stale"), view.site, home.url,
                  f"预警：首页最新信息日期 {newest['date']}，已 {age} 天未更新（预警线 {warn_days} 天），"
                  f"再过 {left + 1} 天即达“首页不更新”单项否决（{window} 天）",
                  {"days_since": age, "warn_days": warn_days, "window_days": window, "days_left": left + 1,
                   "newest_date": newest["date"], "newest_url": newest.get("url"), "confirmed": bool(early["confirmed"]),
                   "as_of": as_of.isoformat()})


# -- what this check is (govaudit/checks/plugin.py); registered in pyproject.toml [project.entry-points] --
FIELDS: dict[str, Field] = {
    'aliases': Field(T('同一页面的其他地址', 'Other URLs of this page'), kind='list'),
    'url': Field(T('地址', 'URL'), kind='url'),
    'column': Field(T('栏目', 'Column')),
    'columns': Field(T('栏目清单', 'Columns'), kind='table'),
    'type': Field(T('类型', 'Type'), values={'news': T('动态要闻类', 'news'), 'notice': T('通知公告、政策文件类', 'notices and policy documents'), 'no_window': T('无固定更新周期栏目', 'no fixed update window')}),
    'type_title': Field(T('类型', 'Type')),
    'type_reason': Field(T('分类依据', 'Classified because')),
    'window_days': Field(T('更新周期（天）', 'Update window (days)')),
    'newest_date': Field(T('最新信息日期', 'Newest item date'), kind='date'),
    'newest_url': Field(T('最新信息链接', 'Newest item link'), kind='url'),
    'newest_title': Field(T('最新信息', 'Newest item')),
    'newest_date_from': Field(T('日期来源', 'Date read from'), values={'list': T('列表页', 'list page'), 'article': T('正文页', 'article page')}),
    'days_since': Field(T('距检查日天数', 'Days since')),
    'days_over': Field(T('超期天数', 'Days overdue')),
    'items': Field(T('信息条数', 'Items')),
    'undated_items': Field(T('无日期信息条数', 'Undated items')),
    'future_dated_items': Field(T('日期晚于检查日的信息', 'Items dated after the check date')),
    'list_pages': Field(T('列表页', 'List pages'), kind='table'),
    'list_page_count': Field(T('列表页数', 'List pages read')),
    'placeholders': Field(T('占位提示', 'Placeholder text')),
    'as_of': Field(T('检查日期', 'Check date'), kind='date'),
    'observed_last_change': Field(T('监测到的最近更新', 'Last change observed'), kind='date', optional=True),
    'first_snapshot': Field(T('首次快照日期', 'First snapshot'), kind='date'),
    'snapshots': Field(T('首页快照次数', 'Homepage snapshots')),
    'mode': Field(T('方式', 'Mode'), values={'observed': T('按可用性监测的首页快照', 'homepage snapshots of the availability monitor'), 'homepage': T('首页', 'homepage'), 'navigation homepage: second-level pages': T('首页仅为导航，检查其二级页面', 'navigation homepage: its second-level pages'), 'sample': T('按模板抽样', 'sampled by template'), 'all': T('全部页面', 'all pages'), 'not_run': T('未运行', 'not run'), 'off': T('已关闭', 'off')}),
    'pages': Field(T('页面', 'Pages'), kind='table', count_label=T('页面数', 'Pages')),
    'date': Field(T('日期', 'Date'), kind='date'),
    'date_from': Field(T('日期来源', 'Date read from'), values={'list': T('列表页', 'list page'), 'article': T('正文页', 'article page')}),
    'title': Field(T('标题', 'Title')),
    'age_days': Field(T('未更新天数', 'Days without update')),
    'threshold': Field(T('否决阈值', 'Veto threshold')),
    'reason': Field(T('原因', 'Reason'), values={'blank': T('空白栏目', 'blank column')}),
    'count': Field(T('数量', 'Count')),
    'warn_over': Field(T('预警线（超过）', 'Warning line (more than)')),
    'warn_days': Field(T('预警线（天）', 'Warning line (days)')),
    'items_left': Field(T('距否决还差（个）', 'Items left before the veto')),
    'days_left': Field(T('距否决还有（天）', 'Days left before the veto')),
    'confirmed': Field(T('预警线已经官方文件确认', 'Warning line confirmed by an official text'), kind='bool'),
    'endpoint': Field(T('列表接口', 'List endpoint'), kind='url', optional=True),
    'endpoint_items': Field(T('接口返回条目数', 'Items the endpoint answered'), kind='count', optional=True),
    'endpoint_reason': Field(T('接口无条目原因', 'Why the endpoint gave no items'), optional=True, values={'html_page': T('返回网页（错误页）而非数据', 'answered a web page (an error page), not data'), 'malformed': T('返回数据无法解析', 'answer could not be parsed'), 'too_large': T('返回内容过大', 'answer too large'), 'empty': T('返回为空', 'empty answer'), 'no_items': T('返回数据中没有信息条目', 'no items in the answer'), 'robots': T('robots 协议禁止', 'disallowed by robots.txt'), 'not_fetched': T('未请求（页面上限或已停止）', 'not requested (page cap or crawl stopped)'), 'timeout': T('超时', 'timed out'), 'reset': T('连接被重置', 'connection reset'), 'refused': T('连接被拒绝', 'connection refused')}),
}

RULES: dict[str, RuleMeta] = {
    'columns.stale': RuleMeta(
        title=T('栏目不更新', 'Column not updated'),
        help=T('栏目最新信息的日期早于其类型的更新周期（动态要闻 2 周、通知公告/政策文件 6 个月、人事/规划计划 1 年，自检查日往前计算）；无日期的信息视为未更新。', "The column's newest item is older than its type's window (news 2 weeks, notices/policy 6 months, personnel/plans 1 year, counted back from the check date); undated items count as not updated."),
        severity='deduct',
        message={'en': 'Column “{column}” not updated within its {window_days}-day window (newest item {newest_date}, {days_over} days over)'}),
    'columns.empty': RuleMeta(
        title=T('空白栏目', 'Blank column'),
        help=T('栏目页没有任何信息条目，或只有“暂无信息”类提示。', 'The column\'s list page has no items, or only a "no information yet" placeholder.'),
        severity='deduct',
        message={'en': 'Blank column “{column}” ({list_page_count} list page(s) read)'}),
    'home.stale': RuleMeta(
        title=T('首页不更新', 'Homepage not updated'),
        help=T('首页（或仅为导航的首页下的二级页面）在检查日前 2 周内没有新的带日期信息；无日期的信息视为未更新。', 'The homepage (or, for a navigation-only homepage, its second-level pages) shows no dated item within 2 weeks of the check date; undated items count as not updated.'),
        severity='veto',
        message={'en': 'Homepage not updated within {window_days} days ({items} items, {undated_items} undated)'}),
    'columns.veto_stale': RuleMeta(
        title=T('栏目不更新（动态要闻、通知公告、政策文件）累计达到否决数', 'Too many news/notice/policy columns not updated'),
        help=T('动态要闻类栏目 2 周内未更新、通知公告/政策文件类栏目 6 个月内未更新，累计达到规则集的否决数（默认 5 个）。', "News columns not updated in 2 weeks plus notice/policy columns not updated in 6 months reach the rule set's count (5)."),
        severity='veto',
        message={'en': '{count} news/notice/policy columns not updated, reaching the veto count {threshold}'}),
    'columns.veto_long_stale': RuleMeta(
        title=T('应更新但长期未更新栏目累计达到否决数', 'Too many columns long not updated'),
        help=T('有固定更新周期而超期未更新的栏目（含空白栏目）累计达到规则集的否决数（默认 10 个）。', "Columns with a fixed window that are over it (blank columns included) reach the rule set's count (10)."),
        severity='veto',
        message={'en': '{count} columns long not updated (blank ones included), reaching the veto count {threshold}'}),
    'early.home_stale': RuleMeta(
        title=T('预警：首页即将达到不更新否决', 'Early warning: homepage close to the not-updated veto'),
        help=T('首页最新信息已超过预警天数（默认 10 天）未更新，但尚未达到“首页不更新”单项否决（2 周）。预警线取自监管平台预设，未经官方文件确认。', 'The homepage has had no new item for longer than the warning line (10 days) but not yet the 2-week veto. The line is a monitoring platform\'s preset, not confirmed by an official text.'),
        severity='warn',
        message={'en': 'Early warning: homepage not updated for {days_since} days (line {warn_days}); the veto in {days_left} days'}),
    'early.blank_columns': RuleMeta(
        title=T('预警：空白栏目接近否决数', 'Early warning: blank columns close to the veto'),
        help=T('空白栏目数超过预警线（默认 2 个）但尚未达到单项否决数（默认 5 个）。预警线取自监管平台预设，未经官方文件确认。', "More blank columns than the warning line (2) but fewer than the veto count (5). The line is a monitoring platform's preset, not confirmed by an official text."),
        severity='warn',
        message={'en': 'Early warning: {count} blank columns (line {warn_over}); {items_left} more reach the veto count {threshold}'}),
    'early.columns_stale': RuleMeta(
        title=T('预警：未更新栏目接近否决数', 'Early warning: columns not updated close to the veto'),
        help=T('应更新但未更新的栏目（含空白栏目）超过预警线（默认 6 个）但尚未达到单项否决数（默认 10 个）。预警线取自监管平台预设，未经官方文件确认。', "More columns over their window (blank ones included) than the warning line (6) but fewer than the veto count (10). The line is a monitoring platform's preset, not confirmed by an official text."),
        severity='warn',
        message={'en': 'Early warning: {count} columns not updated (line {warn_over}); {items_left} more reach the veto count {threshold}'}),
    'columns.veto_blank': RuleMeta(
        title=T('空白栏目累计达到否决数', 'Too many blank columns'),
        help=T('空白栏目累计达到规则集的否决数（默认 5 个）。', "Blank columns reach the rule set's count (5)."),
        severity='veto',
        message={'en': '{count} blank columns, reaching the veto count {threshold}'}),
}

PLUGIN = CheckPlugin(
    id='freshness',
    title=T("栏目与首页更新", "Column and homepage updates"),
    run=run,
    rules=RULES,
    families={"columns": T("栏目更新", "Columns"), "home": T("首页更新", "Homepage"), "early": T("预警", "Early warnings")},
    fields=FIELDS,
    needs=("kind", "column", "list_items", "pagination", "article", "list_endpoints"),
    extractors=("freshness", "endpoints"),
    charts=(Chart("column_ages", T("栏目未更新天数", "Column ages (days)"), ("columns", "home"),
                  ("age_days", "days_since", "days_since_update", "stale_days", "days"), (0, 15, 30, 90, 183, 365)),),
    order=30,
)
