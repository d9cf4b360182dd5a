"""Interaction checks (互动回应): unanswered and late letters, undisclosed times, missing channels, figures.

Reads the ``channel``, ``letters`` and ``channel_links`` facts of ``crawler/extract/letters.py`` and applies the
rule set's ``params.interaction``:

* ``interaction.unanswered`` (veto.interaction, 互动回应差): within ``window_days`` before the check date, a
  letter of a consultation channel waited longer than ``unanswered_limit`` (3 months) — still open, or
  answered only afterwards (indicators.md §1.2: ``reply is None and now - asked > 3 months`` or
  ``reply - asked > 3 months``).
* ``interaction.late``: answered (or still open) after ``reply_limit`` (working days by default, on the
  Chinese public-holiday calendar of the ``chinesecalendar`` package) but within the veto limit.
* ``interaction.undisclosed`` (ded.message_disclosure): a published letter without its ask or reply time, with
  a reply dated before the question or a date after the check date, or with no sign of being answered or not.
* ``interaction.no_channel`` (veto.interaction): no working consultation channel at all.
* ``interaction.channel_stats`` (info, local.message_metrics): per channel, letters in the window, reply rate,
  median and 90th-percentile reply days, the oldest open letter.

A letter appears on list pages (several, while pagination shifts during a crawl) and on its own page; it is
merged by its detail URL, or by title + asking date when one side has no URL, and counted once.  Fields read
on the detail page win over the list's (list titles are truncated, lists often omit the reply).

Defined behaviour for contradictory input:

* 已回复 (an answered status) without a reply date and without reply text → *not* answered.
* An open status (办理中, 未回复 …) next to a reply date, without reply text → open; the date is taken for a
  受理/办理 date, and the evidence says so.
* A reply dated before the question, or any date after the check date → the letter is answered but its reply
  time is unusable: ``interaction.undisclosed`` with the reason, never ``late``/``unanswered``.
* A letter with neither status nor reply slot nor reply text → state ``unknown``: ``interaction.undisclosed``
  (reason ``reply_unknown``), never a veto on a guess.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from math import ceil
from typing import Any
from urllib.parse import urlsplit

import chinese_calendar
from dateutil.relativedelta import relativedelta
from govaudit.checks.plugin import Chart, CheckPlugin, Field, RuleMeta, T

from govaudit.facts import Letter as LetterFacts
from govaudit.model import Finding
from govaudit.readings import fetched_endpoint, record_url
from govaudit.ruleset import RuleSet, RuleSetError
from govaudit.store import ScanView

UNITS = ("days", "working_days", "months")
_UNIT_ZH = {"days": "天", "working_days": "个工作日", "months": "个月"}
_NO_CHANNEL = "(未识别渠道)"


# -- durations and the working-day calendar ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Duration:
    """A time limit from the rule set: ``{value: 3, unit: months}``."""

    value: int
    unit: str

    def zh(self) -> str:
        return f"{self.value}{_UNIT_ZH[self.unit]}"


def parse_duration(raw: Any, where: str) -> Duration:
    """Read ``{value, unit}``; a bad value is a rule-set error naming the key, not a silent default."""
    if not isinstance(raw, dict) or raw.get("unit") not in UNITS or not isinstance(raw.get("value"), int) or raw["value"] < 0:
        raise RuleSetError(f"params.{where}: must be {{value: <whole number>, unit: {' | '.join(UNITS)}}}, not {raw!r}")
    return Duration(int(raw["value"]), str(raw["unit"]))


class WorkCalendar:
    """Working days by the State Council's holiday arrangements (调休 included), via ``chinese_calendar``.

    Years the package has no data for fall back to Monday–Friday; ``fallback_used`` records that so the
    evidence can say the figure is approximate.  Cumulative counts are cached per day, so measuring
    thousands of letters costs one pass over the calendar, not one per letter.
    """

    def __init__(self) -> None:
        self._start: date | None = None
        self._cum: list[int] = []  # _cum[i] = working days in [start, start + i]
        self.fallback_used = False

    def _workday(self, d: date) -> bool:
        try:
            return bool(chinese_calendar.is_workday(d))
        except NotImplementedError:  # year outside the package's table
            self.fallback_used = True
            return d.weekday() < 5

    def _cover(self, lo: date, hi: date) -> None:
        if self._start is None or lo < self._start:
            start = lo if self._start is None else min(lo, self._start)
            end = hi if self._start is None else max(hi, self._start + timedelta(days=len(self._cum) - 1))
            self._start, self._cum = start, []
            self._extend(end)
        self._extend(hi)

    def _extend(self, hi: date) -> None:
        assert self._start is not None
        day = self._start + timedelta(days=len(self._cum))
        total = self._cum[-1] if self._cum else 0
        while day <= hi:
            total += self._workday(day)
            self._cum.append(total)
            day += timedelta(days=1)

    def between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (the day a letter arrives is not counted)."""
        if end <= start:
            return 0
        self._cover(start, end)
        assert self._start is not None
        return self._cum[(end - self._start).days] - self._cum[(start - self._start).days]


def exceeds(asked: date, end: date, limit: Duration, calendar: WorkCalendar) -> bool:
    """Whether ``end`` is past ``limit`` counted from ``asked`` ("more than 3 months": the same day 3 months on is not)."""
    if limit.unit == "months":
        return end > asked + relativedelta(months=limit.value)
    if limit.unit == "working_days":
        return calendar.between(asked, end) > limit.value
    return (end - asked).days > limit.value


# -- merging letters across pages --------------------------------------------------------------------------------
ChannelKey = tuple[str, str | None]  # (host, channel name): a channel is one per site host


@dataclass(slots=True)
class Letter:
    """One letter, merged from every page that shows it."""

    title: str | None
    url: str | None
    seen_on: str  # the page a finding points to when the letter has no page of its own
    asked: str | None = None
    replied: str | None = None
    status: str | None = None
    unit: str | None = None
    has_reply_text: bool | None = None
    reply_shown: bool = False
    sources: set[str] = field(default_factory=set)
    channel: ChannelKey | None = None
    channel_kind: str | None = None


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _norm_title(title: str | None) -> str:
    return "".join((title or "").split()).rstrip(".…。")


def _same_title(a: str | None, b: str | None) -> bool:
    x, y = _norm_title(a), _norm_title(b)
    if not x or not y:
        return False
    return x == y or (len(min(x, y, key=len)) >= 6 and (x.startswith(y) or y.startswith(x)))  # truncated list titles


class LetterBook:
    """Letters of a scan, each counted once however many pages show it."""

    def __init__(self) -> None:
        self.letters: list[Letter] = []
        self._by_url: dict[str, Letter] = {}
        self._by_asked: dict[str, list[Letter]] = defaultdict(list)

    def _find(self, rec: LetterFacts, urls: list[str]) -> Letter | None:
        for url in urls:
            if url in self._by_url:
                return self._by_url[url]
        if asked := rec.get("asked"):
            for letter in self._by_asked[asked]:
                if (letter.url is None or not urls) and _same_title(letter.title, rec.get("title")):
                    return letter
        return None

    def add(self, rec: LetterFacts, page_url: str, channel: ChannelKey | None, kind: str | None,
            aliases: tuple[str, ...] = ()) -> Letter:
        """Merge one letter as a page shows it.  Detail pages' fields win; list pages fill gaps."""
        urls = [u for u in (rec.get("url"), *aliases) if u]
        letter = self._find(rec, urls)
        detail = rec.get("source") == "detail"
        if letter is None:
            letter = Letter(title=rec.get("title"), url=rec.get("url"), seen_on=page_url)
            self.letters.append(letter)
            if asked := rec.get("asked"):
                self._by_asked[asked].append(letter)
        for key in ("title", "asked", "replied", "status", "unit"):
            value = rec.get(key)
            if isinstance(value, str) and (detail or getattr(letter, key) is None):
                if key == "asked" and value != letter.asked:
                    self._by_asked[value].append(letter)
                setattr(letter, key, value)
        if (has_reply := rec.get("has_reply_text")) is not None and (detail or letter.has_reply_text is None):
            letter.has_reply_text = bool(has_reply)
        letter.reply_shown = letter.reply_shown or bool(rec.get("reply_shown"))
        letter.sources.add("detail" if detail else "list")
        if (url := rec.get("url")) and (detail or letter.url is None):
            letter.url = url
        for url in urls:
            self._by_url.setdefault(url, letter)
        # The first named channel wins; ``collect`` feeds list pages first, so a list's channel beats its detail page's.
        if channel is not None and channel[1] is not None and (letter.channel is None or letter.channel[1] is None):
            letter.channel, letter.channel_kind = channel, kind
        return letter


@dataclass(slots=True)
class Channel:
    host: str
    name: str | None
    kind: str | None
    excluded: bool
    pages: list[tuple[int, str]] = field(default_factory=list)  # (has list letters: 0 first, url)

    @property
    def url(self) -> str:
        return min(self.pages, key=lambda p: (p[0], len(p[1]), p[1]))[1] if self.pages else ""


def _excluded(name: str | None, words: dict[str, list[str]]) -> bool:
    return name is not None and any(w in name for group in words.values() for w in group)


def _endpoint_letters(view: ScanView, facts: Any) -> list[LetterFacts]:
    """The letters the list endpoint of a page's script answered, when the crawl fetched it (issue 11): a
    mailbox page whose list a script loads shows them, so they are the page's, like its own list's."""
    endpoint = fetched_endpoint(facts)
    rec = view.get(record_url(endpoint)) if endpoint is not None else None
    return list((rec.facts or {}).get("letters") or []) if rec is not None and rec.kind == "endpoint" else []


def collect(view: ScanView, rules: RuleSet) -> tuple[list[Letter], dict[ChannelKey, Channel], list[dict[str, Any]], int]:
    """Merged letters, channels, home/channel-page links to channels, and the number of pages with facts."""
    excluded_words = rules.param("interaction.excluded_channels")
    book = LetterBook()
    channels: dict[ChannelKey, Channel] = {}
    links: list[dict[str, Any]] = []
    pages = 0
    detail_recs: list[tuple[LetterFacts, str, ChannelKey | None, str | None, tuple[str, ...]]] = []
    for rec in view.pages():
        pages += 1
        facts = rec.facts or {}
        ch = facts.get("channel")
        letters = (facts.get("letters") or []) + _endpoint_letters(view, facts)
        links.extend(facts.get("channel_links") or [])
        if not ch and not letters:
            continue
        host = urlsplit(rec.url).netloc
        key: ChannelKey | None = (host, ch.get("name")) if ch else None
        kind = ch.get("kind") if ch else None
        if ch and key:
            channel = channels.get(key)
            if channel is None:
                channel = channels[key] = Channel(host, key[1], kind, _excluded(key[1], excluded_words))
            channel.pages.append((0 if any(l.get("source") == "list" for l in letters) else 1, rec.url))
        for shown in letters:
            if shown.get("source") == "detail":
                aliases = (rec.url, *rec.aliases)
                if shown.get("url") in aliases:  # the letter's own page: findings carry the document's URL
                    shown = {**shown, "url": rec.url}
                detail_recs.append((shown, rec.url, key, kind, aliases))
            else:
                book.add(shown, rec.url, key, kind)
    # Detail pages after all lists: a letter takes its channel from the list that shows it.
    for shown, page_url, key, kind, aliases in detail_recs:
        book.add(shown, page_url, key, kind, aliases)
    for letter in book.letters:
        if letter.channel is None:
            host = urlsplit(letter.seen_on).netloc
            letter.channel = (host, None)
            channels.setdefault(letter.channel, Channel(host, None, None, False, [(0, letter.seen_on)]))
    return book.letters, channels, links, pages


# -- judging one letter ------------------------------------------------------------------------------------------
def judge(letter: Letter, answered_statuses: set[str], open_statuses: set[str]) -> tuple[str, str | None]:
    """(state, note): state is answered | open | unknown; note names a contradiction the evidence should show."""
    status = (letter.status or "").strip()
    if letter.has_reply_text is True:
        return "answered", None
    if letter.replied:
        if status in open_statuses:
            return "open", "status_open_with_reply_date"
        return "answered", None
    if status in answered_statuses:
        return "open", "marked_answered_without_reply"
    if status in open_statuses:
        return "open", None
    if letter.has_reply_text is False or letter.reply_shown:
        return "open", None
    return "unknown", None


def _percentile(values: list[int], q: float) -> int | None:
    """Nearest-rank percentile (an actual letter's figure, never an interpolated one)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, ceil(q * len(ordered)) - 1)]


def run(view: ScanView, rules: RuleSet) -> Iterator[Finding]:
    p = "interaction."
    as_of = date.fromisoformat(view.as_of[:10])
    window_start = as_of - timedelta(days=int(rules.param(p + "window_days")))
    veto_limit = parse_duration(rules.param(p + "unanswered_limit"), p + "unanswered_limit")
    reply_limit = parse_duration(rules.param(p + "reply_limit"), p + "reply_limit")
    by_kind = {k: parse_duration(v, f"{p}reply_limit_by_kind.{k}")
               for k, v in (rules.param(p + "reply_limit_by_kind") or {}).items()}
    answered_statuses = set(rules.param(p + "answered_statuses"))
    open_statuses = set(rules.param(p + "open_statuses"))
    excluded_words = rules.param(p + "excluded_channels")
    cap = int(rules.param(p + "max_findings_per_rule"))
    calendar = WorkCalendar()
    site = view.site

    letters, channels, links, pages = collect(view, rules)
    emitted: dict[str, int] = defaultdict(int)

    def finding(rule: str, letter: Letter, message: str, evidence: dict[str, Any]) -> Finding | None:
        if not rules.enabled(rule) or emitted[rule] >= cap:
            return None
        emitted[rule] += 1
        channel = channels.get(letter.channel) if letter.channel else None
        base = {"title": letter.title, "asked": letter.asked, "replied": letter.replied, "status": letter.status,
                "unit": letter.unit, "channel": channel.name if channel else None,
                "channel_page": channel.url if channel else None, "read_from": sorted(letter.sources)}
        extra = {} if letter.url else {"discriminator": f"{letter.title}|{letter.asked}"}
        return Finding(rule, rules.severity(rule), site, letter.url or letter.seen_on, message, {**base, **evidence}, extra)

    stats: dict[ChannelKey | None, dict[str, Any]] = defaultdict(lambda: {
        "in_window": 0, "answered": 0, "open": 0, "unknown": 0, "undated": 0, "late": 0, "unanswered": 0,
        "reply_days": [], "reply_working_days": [], "oldest_open": None})
    out: list[Finding] = []
    for letter in sorted(letters, key=lambda x: (x.asked or "", x.url or "", x.title or "")):
        channel = channels[letter.channel] if letter.channel else None
        if channel is not None and channel.excluded:
            continue
        st = stats[letter.channel]
        state, note = judge(letter, answered_statuses, open_statuses)
        asked, replied = _date(letter.asked), _date(letter.replied)
        title = letter.title or "(无标题)"
        if asked is None:
            st["undated"] += 1
            f = finding("interaction.undisclosed", letter, f"留言“{title}”未公开留言时间", {"reason": "no_asked_date", "state": state})
            out.append(f) if f else None
            continue
        if asked > as_of:
            f = finding("interaction.undisclosed", letter, f"留言“{title}”的留言时间 {letter.asked} 晚于检查日",
                        {"reason": "asked_after_check_date", "state": state})
            out.append(f) if f else None
            continue
        if asked < window_start:
            continue
        st["in_window"] += 1
        st[state] += 1
        limit = by_kind.get(channel.kind if channel and channel.kind else "", reply_limit)
        limits = {"reply_limit": limit.zh(), "unanswered_limit": veto_limit.zh()}
        if state == "unknown":
            f = finding("interaction.undisclosed", letter, f"留言“{title}”（{letter.asked}）未公开办理状态和答复时间",
                        {"reason": "reply_unknown", "state": state})
            out.append(f) if f else None
            continue
        if state == "answered":
            if replied is None:
                f = finding("interaction.undisclosed", letter, f"留言“{title}”（{letter.asked}）已答复但未公开答复时间",
                            {"reason": "no_reply_date", "state": state})
            elif replied < asked or replied > as_of:
                reason = "reply_before_ask" if replied < asked else "reply_after_check_date"
                why = "早于留言时间" if replied < asked else "晚于检查日"
                f = finding("interaction.undisclosed", letter, f"留言“{title}”的答复时间 {letter.replied} {why}，无法计算答复用时",
                            {"reason": reason, "state": state})
            else:
                days, wdays = (replied - asked).days, calendar.between(asked, replied)
                st["reply_days"].append(days)
                st["reply_working_days"].append(wdays)
                ev = {"reply_days": days, "reply_working_days": wdays, **limits}
                if exceeds(asked, replied, veto_limit, calendar):
                    st["unanswered"] += 1
                    f = finding("interaction.unanswered", letter,
                                f"留言“{title}”（{letter.asked}）{days} 天后才答复（{letter.replied}），超过{veto_limit.zh()}", ev)
                elif exceeds(asked, replied, limit, calendar):
                    st["late"] += 1
                    f = finding("interaction.late", letter,
                                f"留言“{title}”答复用时 {wdays} 个工作日（{days} 天），超过答复时限{limit.zh()}", ev)
                else:
                    f = None
            out.append(f) if f else None
            continue
        # open
        days, wdays = (as_of - asked).days, calendar.between(asked, as_of)
        oldest = st["oldest_open"]
        if oldest is None or letter.asked < oldest["asked"]:
            st["oldest_open"] = {"title": letter.title, "url": letter.url or letter.seen_on, "asked": letter.asked,
                                 "days_waiting": days}
        ev = {"days_waiting": days, "working_days_waiting": wdays, **limits, **({"note": note} if note else {})}
        if exceeds(asked, as_of, veto_limit, calendar):
            st["unanswered"] += 1
            f = finding("interaction.unanswered", letter,
                        f"留言“{title}”（{letter.asked}）至检查日已 {days} 天未答复，超过{veto_limit.zh()}", ev)
        elif exceeds(asked, as_of, limit, calendar):
            st["late"] += 1
            f = finding("interaction.late", letter,
                        f"留言“{title}”（{letter.asked}）已 {wdays} 个工作日未答复，超过答复时限{limit.zh()}", ev)
        else:
            f = None
        out.append(f) if f else None
    yield from out

    # per-channel figures (local.message_metrics)
    if rules.enabled("interaction.channel_stats"):
        for key, channel in sorted(channels.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
            if channel.excluded:
                continue
            st = stats[key]
            known = st["answered"] + st["open"]
            name = channel.name or _NO_CHANNEL
            evidence = {
                "channel": name, "kind": channel.kind, "window_start": window_start.isoformat(), "as_of": as_of.isoformat(),
                "letters_in_window": st["in_window"], "answered": st["answered"], "open": st["open"],
                "unknown": st["unknown"], "undated": st["undated"], "late": st["late"], "unanswered": st["unanswered"],
                "reply_rate": round(st["answered"] / known, 4) if known else None,
                "median_reply_days": statistics.median(st["reply_days"]) if st["reply_days"] else None,
                "p90_reply_days": _percentile(st["reply_days"], 0.9),
                "median_reply_working_days": statistics.median(st["reply_working_days"]) if st["reply_working_days"] else None,
                "p90_reply_working_days": _percentile(st["reply_working_days"], 0.9),
                "oldest_open": st["oldest_open"],
                "calendar_fallback": calendar.fallback_used,
            }
            rate = f"{evidence['reply_rate']:.1%}" if evidence["reply_rate"] is not None else "—"
            yield Finding("interaction.channel_stats", rules.severity("interaction.channel_stats"), site,
                          channel.url, f"{name}：近一年留言 {st['in_window']} 件，答复 {st['answered']} 件，答复率 {rate}",
                          evidence, {"discriminator": name})

    # no working channel at all (veto.interaction (1))
    if pages and rules.enabled("interaction.no_channel"):
        working = [c for c in channels.values() if c.name and not c.excluded]
        broken: list[dict[str, Any]] = []
        if not working:
            seen: set[str] = set()
            for link in links:
                url = link.get("url")
                if not url or url in seen or _excluded(link.get("name"), excluded_words):
                    continue
                seen.add(url)
                target = view.get(url)
                if target is None or target.state != "done" or (target.status is not None and target.status < 400 and not target.error):
                    working.append(Channel("", link.get("name"), link.get("kind"), False, [(1, url)]))
                else:
                    broken.append({"name": link.get("name"), "url": url, "status": target.status, "error": target.error})
        if not working:
            excluded_found = sorted({c.name for c in channels.values() if c.excluded and c.name} |
                                    {l["name"] for l in links if _excluded(l.get("name"), excluded_words)})
            yield Finding("interaction.no_channel", rules.severity("interaction.no_channel"), site, view.start_url,
                          "未发现有效的政务咨询类互动渠道（领导信箱、网上留言、政务咨询等）",
                          {"pages_checked": pages, "excluded_channels_found": excluded_found, "broken_channel_links": broken[:20]})


# -- what this check is (govaudit/checks/plugin.py); registered in pyproject.toml [project.entry-points] --
FIELDS: dict[str, Field] = {
    'asked': Field(T('来信时间', 'Asked'), kind='date'),
    'replied': Field(T('答复时间', 'Replied'), kind='date'),
    'status': Field(T('办理状态', 'Status'), optional=True),
    'unit': Field(T('答复单位', 'Replying unit')),
    'channel': Field(T('渠道', 'Channel')),
    'channel_page': Field(T('渠道页面', 'Channel page'), kind='url'),
    'reply_days': Field(T('答复用时（天）', 'Reply took (days)')),
    'reply_working_days': Field(T('答复用时（工作日）', 'Reply took (working days)')),
    'reply_limit': Field(T('答复时限', 'Reply limit')),
    'unanswered_limit': Field(T('未答复否决时限', 'Unanswered limit')),
    'days_waiting': Field(T('等待天数', 'Days waiting')),
    'working_days_waiting': Field(T('等待工作日数', 'Working days waiting')),
    'state': Field(T('答复状态', 'Reply state'), values={'answered': T('已答复', 'answered'), 'open': T('未答复', 'open'), 'unknown': T('无法判断', 'unknown')}),
    'note': Field(T('备注', 'Note'), optional=True),
    'window_start': Field(T('统计起始日', 'Window start'), kind='date'),
    'letters_in_window': Field(T('统计期内留言数', 'Letters in window')),
    'answered': Field(T('已答复', 'Answered')),
    'open': Field(T('未答复', 'Open')),
    'unknown': Field(T('无法判断', 'Unknown')),
    'undated': Field(T('无日期', 'Undated')),
    'late': Field(T('超时答复', 'Late')),
    'unanswered': Field(T('超期未答复', 'Unanswered')),
    'reply_rate': Field(T('答复率', 'Reply rate'), kind='percent'),
    'median_reply_days': Field(T('答复用时中位数（天）', 'Median reply (days)')),
    'p90_reply_days': Field(T('答复用时 90% 分位（天）', '90th percentile reply (days)')),
    'median_reply_working_days': Field(T('答复用时中位数（工作日）', 'Median reply (working days)')),
    'p90_reply_working_days': Field(T('答复用时 90% 分位（工作日）', '90th percentile reply (working days)')),
    'oldest_open': Field(T('最早未答复留言', 'Oldest open letter'), kind='table'),
    'calendar_fallback': Field(T('工作日按自然日估算', 'Working days estimated'), kind='bool'),
    'pages_checked': Field(T('检查页面数', 'Pages checked')),
    'excluded_channels_found': Field(T('发现的非政务咨询渠道', 'Non-consultation channels found')),
    'broken_channel_links': Field(T('无法访问的渠道链接', 'Unreachable channel links')),
    'name': Field(T('名称', 'Name')),
    'kind': Field(T('渠道类型', 'Channel kind'), values={'page': T('页面', 'page'), 'resource': T('资源文件', 'resource'), 'external': T('外部链接', 'external link'), 'leader_mailbox': T('领导信箱', "leader's mailbox"), 'mailbox': T('信箱', 'mailbox'), 'message_board': T('网上留言', 'message board'), 'consultation': T('政务咨询', 'consultation'), 'zhaocuo': T('网站找错', 'report a site error'), 'petition': T('网上信访', 'petition'), 'report': T('举报', 'report')}),
    'reason': Field(T('原因', 'Reason'), values={'no_asked_date': T('未公开留言时间', 'no date asked'), 'asked_after_check_date': T('留言时间晚于检查日', 'asked after the check date'), 'reply_unknown': T('无法判断是否已答复', 'cannot tell whether answered'), 'no_reply_date': T('未公开答复时间', 'no reply date'), 'reply_before_ask': T('答复时间早于留言时间', 'reply dated before the letter'), 'reply_after_check_date': T('答复时间晚于检查日', 'reply dated after the check date')}),
    'title': Field(T('标题', 'Title')),
    'count': Field(T('数量', 'Count')),
}

RULES: dict[str, RuleMeta] = {
    'interaction.unanswered': RuleMeta(
        title=T('互动回应差（留言超过3个月未回复）', 'Letter unanswered for more than 3 months'),
        help=T('检查日前 1 年内，政务咨询类渠道（在线访谈、调查征集、网上信访、纪检举报除外）的有效留言超过 3 个月未答复，或 3 个月后才答复。标为“已回复”但页面既无答复时间也无答复内容的，视为未答复。', 'Within the year before the check, a letter in a consultation channel (interviews, surveys, petitions and discipline reports excluded) waited more than 3 months for a reply, or is still waiting. A letter marked answered with neither a reply date nor reply text counts as unanswered.'),
        severity='veto',
        message={'en': 'Letter “{title}” (asked {asked}, replied {replied}) exceeds the unanswered limit'}),
    'interaction.late': RuleMeta(
        title=T('留言答复超时', 'Letter answered late'),
        help=T('答复（或至今未答复）超过规则集的答复时限（默认 10 个工作日，按国家法定节假日安排计算；“我为政府网站找错”默认 1 个月），但未达否决时限。', "The reply came (or is still not there) after the rule set's reply limit (10 working days by the Chinese holiday calendar by default; 1 month for the 找错 channel), but within the veto limit."),
        severity='deduct',
        message={'en': 'Letter “{title}” (asked {asked}, replied {replied}) exceeds the reply limit'}),
    'interaction.undisclosed': RuleMeta(
        title=T('留言办理情况未公开（缺少留言或答复时间）', 'Letter published without its ask or reply time'),
        help=T('公开的留言缺少留言时间或答复时间，或答复时间早于留言时间、留言时间晚于检查日，或页面看不出是否已答复。', 'A published letter lacks its ask or reply time, shows a reply before the question or a question after the check date, or does not show whether it was answered.'),
        severity='deduct',
        message={'en': 'Letter “{title}”: {reason}'}),
    'interaction.no_channel': RuleMeta(
        title=T('无有效的互动交流渠道', 'No working consultation channel'),
        help=T('站点没有可用的政务咨询、领导信箱、网上留言等互动渠道（网上信访、纪检举报、在线访谈、调查征集等不计）。', 'The site has no working consultation channel (mailbox, message board, 政务咨询); petitions, discipline reports, interviews and surveys do not count.'),
        severity='veto',
        message={'en': 'No working consultation channel found ({pages_checked} pages checked)'}),
    'interaction.channel_stats': RuleMeta(
        title=T('互动渠道办理情况统计', 'Consultation channel figures'),
        help=T('每个渠道检查日前 1 年内的留言数、答复数、答复率、答复用时中位数与第 90 百分位（自然日与工作日）、最久未答复留言。', 'Per channel, over the year before the check - letters, answered, reply rate, median and 90th-percentile reply days (calendar and working), the oldest open letter.'),
        severity='info',
        message={'en': '{channel}: {letters_in_window} letters in the year, {answered} answered, reply rate {reply_rate}'}),
}

PLUGIN = CheckPlugin(
    id='interaction',
    title=T("互动回应", "Interaction"),
    run=run,
    rules=RULES,
    families={"interaction": T("互动回应", "Interaction")},
    fields=FIELDS,
    needs=("channel", "channel_links", "letters"),
    extractors=("letters",),
    charts=(Chart("reply_times", T("留言等待天数", "Reply waiting times (days)"), ("interaction",),
                  ("days_waiting", "waiting_days", "wait_days", "reply_days", "days"), (0, 30, 60, 92, 183, 365)),),
    order=40,
)
