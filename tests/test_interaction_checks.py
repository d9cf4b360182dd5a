"""checks/interaction.py over real scan stores: unanswered, late, undisclosed, no channel, per-channel figures."""

from __future__ import annotations

import json
import statistics
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from govaudit.checks import interaction
from govaudit.checks.interaction import Duration, WorkCalendar, exceeds
from govaudit.crawler.extract import letters as letters_extract
from govaudit.crawler.extract.core import page_context

from govaudit.model import Finding, UrlRecord, url_key
from govaudit.ruleset import RuleSetError, load_ruleset
from govaudit.store import Store, StoreWriter

FIXTURES = Path(__file__).parent / "fixtures" / "mailboxes"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
SITE = "http://127.0.0.1:8765/"
RULES = load_ruleset()


def build(tmp_path: Path, pages: dict[str, dict[str, Any]], as_of: str = "2025-11-01",
          others: dict[str, tuple[int | None, str | None]] | None = None) -> Any:
    """A real store holding ``pages`` (url -> facts) and ``others`` (url -> (status, error)) for one scan."""
    store = Store(tmp_path / "s.sqlite")
    scan = store.begin_scan(SITE, SITE, as_of, {}, "test")
    writer = StoreWriter(store, scan)
    for depth, (url, facts) in enumerate(pages.items()):
        writer.add_url(url_key(url), url, "page", min(depth, 3))
        writer.record(UrlRecord(url, "page", state="done", status=200, facts=facts))
    for url, (status, error) in (others or {}).items():
        writer.add_url(url_key(url), url, "external", 1)
        writer.record(UrlRecord(url, "external", state="done", status=status, error=error))
    writer.flush()
    return store.view(scan)


def run(view: Any, rules: Any = RULES) -> list[Finding]:
    return list(interaction.run(view, rules))


def by_rule(findings: list[Finding], rule: str) -> dict[str, Finding]:
    return {f.url: f for f in findings if f.rule == rule}


def letter(title: str, url: str | None, asked: str | None, replied: str | None = None, status: str | None = None,
           source: str = "list", has_reply_text: bool | None = None, reply_shown: bool = True) -> dict[str, Any]:
    return {"title": title, "url": url, "asked": asked, "replied": replied, "status": status, "unit": None,
            "has_reply_text": has_reply_text, "reply_shown": reply_shown, "source": source}


MAILBOX = {"name": "县长信箱", "kind": "leader_mailbox", "excluded": False, "evidence": "title"}
L = SITE + "hdjl/xzxx/"


# -- the fixture site: every saved page in one scan --------------------------------------------------------------
@pytest.fixture(scope="module")
def fixture_findings(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    pages = {}
    for name, page in EXPECTED["pages"].items():
        ctx = page_context(page["url"], (FIXTURES / name).read_bytes(), is_home=page.get("is_home", False),
                           as_of=date.fromisoformat(EXPECTED["as_of"]))
        pages[page["url"]] = letters_extract.extract(ctx)
    return run(build(tmp_path_factory.mktemp("site"), pages, EXPECTED["as_of"]))


def test_fixture_site_unanswered_letters(fixture_findings: list[Finding]) -> None:
    got = by_rule(fixture_findings, "interaction.unanswered")
    # 1003 未回复 since 07-01, 1004 办理中 since 06-03 (detail page), 1002 on 咨询投诉 open since 07-15,
    # 公积金 asked 03-02 answered 06-20 (110 days: "unanswered for more than 3 months" though answered later)
    assert set(got) == {L + "show.jsp?id=1003", L + "show.jsp?id=1004", SITE + "hdjl/zxts/2025/1002.html",
                        SITE + "hdjl/zwzx/detail?id=503"}
    assert all(f.severity == "veto" for f in got.values())
    assert got[L + "show.jsp?id=1004"].evidence["days_waiting"] == 151
    assert got[SITE + "hdjl/zwzx/detail?id=503"].evidence["reply_days"] == 110
    # the petition (网上信访) letter open since January is excluded from the veto
    assert SITE + "hdjl/xf/xf/1.html" not in {f.url for f in fixture_findings}


def test_fixture_site_late_and_undisclosed(fixture_findings: list[Finding]) -> None:
    late = by_rule(fixture_findings, "interaction.late")
    assert set(late) == {
        L + "show.jsp?id=1002",  # 46 days over National Day: 33 working days > 10
        L + "show.jsp?id=1006",  # 2024-12-11 → 2025-01-06: 17 working days
        SITE + "hdjl/wsly/202506/t20250601_85.html",  # 49 days
        SITE + "hdjl/wsly/202509/t20250921_87.html",  # still open after 26 working days
        SITE + "zc/view?sn=ZC2025080002",  # 找错: more than one month
    }
    assert late[L + "show.jsp?id=1002"].evidence["reply_working_days"] == 33
    assert late[SITE + "zc/view?sn=ZC2025080002"].evidence["reply_limit"] == "1个月"
    undisclosed = by_rule(fixture_findings, "interaction.undisclosed")
    assert {u: f.evidence["reason"] for u, f in undisclosed.items()} == {
        SITE + "hd/sjxx/letter.asp?id=79": "reply_before_ask", SITE + "hdjl/zwzx/detail?id=504": "reply_before_ask"}


def test_fixture_site_figures_count_each_letter_once(fixture_findings: list[Finding]) -> None:
    stats = {f.evidence["channel"]: f.evidence for f in fixture_findings if f.rule == "interaction.channel_stats"}
    assert set(stats) == {"县长信箱", "网上留言", "政务咨询", "咨询投诉", "我为政府网站找错", "书记信箱"}
    box = stats["县长信箱"]
    # six letters on the list page, two more mentions on detail_answered's side list, three detail pages: six letters
    assert (box["letters_in_window"], box["answered"], box["open"], box["unknown"]) == (6, 3, 3, 0)
    assert box["reply_rate"] == 0.5
    assert (box["median_reply_days"], box["p90_reply_days"]) == (26, 46)  # answered after 3, 26 and 46 days
    assert box["oldest_open"]["url"] == L + "show.jsp?id=1004"
    assert stats["网上留言"]["reply_rate"] == 0.75
    channel_urls = {f.evidence["channel"]: f.url for f in fixture_findings if f.rule == "interaction.channel_stats"}
    assert channel_urls["县长信箱"] == L + "index.html"  # the list page, not a letter page
    assert not [f for f in fixture_findings if f.rule == "interaction.no_channel"]


def test_findings_carry_no_personal_details(fixture_findings: list[Finding]) -> None:
    dumped = json.dumps([f.to_json() for f in fixture_findings], ensure_ascii=False)
    for private in ("李四", "13900001111", "13812345678", "110101199003071234", "城南路18号"):
        assert private not in dumped


# -- defined behaviour for contradictory letters -----------------------------------------------------------------
def test_marked_answered_without_reply_date_or_text_is_unanswered(tmp_path: Path) -> None:
    view = build(tmp_path, {L: {"channel": MAILBOX, "letters": [
        letter("标为已回复但没有答复", L + "1", "2025-06-01", status="已回复", reply_shown=False),
        letter("已回复且有答复内容", L + "2", "2025-06-01", status="已回复", has_reply_text=True, reply_shown=False)]}})
    findings = run(view)
    unanswered = by_rule(findings, "interaction.unanswered")
    assert set(unanswered) == {L + "1"}
    assert unanswered[L + "1"].evidence["note"] == "marked_answered_without_reply"
    # the answered one has reply text but no reply date: disclosed badly, not unanswered
    assert by_rule(findings, "interaction.undisclosed")[L + "2"].evidence["reason"] == "no_reply_date"


def test_open_status_with_a_reply_date_stays_open(tmp_path: Path) -> None:
    view = build(tmp_path, {L: {"channel": MAILBOX, "letters": [
        letter("已受理但有办理时间", L + "1", "2025-05-01", replied="2025-05-02", status="已受理")]}})
    f = by_rule(run(view), "interaction.unanswered")[L + "1"]
    assert f.evidence["note"] == "status_open_with_reply_date"


def test_dates_in_the_wrong_order_or_future_are_undisclosed_not_late(tmp_path: Path) -> None:
    view = build(tmp_path, {L: {"channel": MAILBOX, "letters": [
        letter("答复早于留言", L + "1", "2025-03-01", replied="2025-01-01", status="已回复"),
        letter("答复晚于检查日", L + "2", "2025-03-01", replied="2026-01-01", status="已回复"),
        letter("留言晚于检查日", L + "3", "2025-12-01"),
        letter("没有留言时间", L + "4", None, status="未回复"),
        letter("看不出是否答复", L + "5", "2025-01-10", reply_shown=False)]}})
    findings = run(view)
    assert {f.rule for f in findings} == {"interaction.undisclosed", "interaction.channel_stats"}
    reasons = {u: f.evidence["reason"] for u, f in by_rule(findings, "interaction.undisclosed").items()}
    assert reasons == {L + "1": "reply_before_ask", L + "2": "reply_after_check_date", L + "3": "asked_after_check_date",
                       L + "4": "no_asked_date", L + "5": "reply_unknown"}
    stats = by_rule(findings, "interaction.channel_stats")[L].evidence
    assert (stats["answered"], stats["open"], stats["unknown"], stats["undated"]) == (2, 0, 1, 1)
    assert stats["median_reply_days"] is None  # no usable reply time


def test_three_months_boundary_and_window(tmp_path: Path) -> None:
    view = build(tmp_path, {L: {"channel": MAILBOX, "letters": [
        letter("恰好三个月", L + "1", "2025-08-01", status="未回复"),
        letter("三个月零一天", L + "2", "2025-07-31", status="未回复"),
        letter("一年以前", L + "3", "2024-10-31", status="未回复"),
        letter("窗口第一天", L + "4", "2024-11-01", status="未回复")]}})
    findings = run(view)
    assert set(by_rule(findings, "interaction.unanswered")) == {L + "2", L + "4"}
    assert set(by_rule(findings, "interaction.late")) == {L + "1"}
    assert by_rule(findings, "interaction.channel_stats")[L].evidence["letters_in_window"] == 3


def test_working_days_follow_the_holiday_calendar() -> None:
    cal = WorkCalendar()
    # 2025 National Day: 1–8 Oct off, Sunday 28 Sep and Saturday 11 Oct are working days (调休)
    assert cal.between(date(2025, 9, 28), date(2025, 10, 13)) == 6
    assert cal.between(date(2025, 10, 13), date(2025, 9, 28)) == 0
    five = Duration(5, "working_days")
    assert exceeds(date(2025, 9, 28), date(2025, 10, 13), five, cal)
    assert not exceeds(date(2025, 9, 28), date(2025, 10, 10), five, cal)  # 29, 30 Sep, 9, 10 Oct = 4
    assert not cal.fallback_used
    assert cal.between(date(2030, 1, 4), date(2030, 1, 11)) == 5  # no table for 2030: Monday–Friday
    assert cal.fallback_used


# -- merging without double counting -----------------------------------------------------------------------------
def test_same_letter_on_two_list_pages_and_its_detail_page_counts_once(tmp_path: Path) -> None:
    shown = letter("关于某某路段积水问题的反映", L + "show?id=7", "2025-07-01", status="未回复")
    view = build(tmp_path, {
        L + "index.html": {"channel": MAILBOX, "letters": [shown]},
        L + "index_1.html": {"channel": MAILBOX, "letters": [shown]},  # pagination shifted while crawling
        L + "show?id=7": {"channel": MAILBOX, "letters": [
            letter("关于某某路段积水问题的反映", L + "show?id=7", "2025-07-01", "2025-07-03", "已回复", "detail", True)]},
        L + "nolink.html": {"channel": MAILBOX, "letters": [  # a list showing it without a link, title truncated
            letter("关于某某路段积水问题...", None, "2025-07-01", status="已回复")]},
    })
    findings = run(view)
    stats = by_rule(findings, "interaction.channel_stats")[L + "index.html"].evidence
    assert (stats["letters_in_window"], stats["answered"], stats["open"]) == (1, 1, 0)
    assert not by_rule(findings, "interaction.unanswered")  # the detail page's reply wins over the stale list


def test_same_title_different_letters_stay_apart(tmp_path: Path) -> None:
    view = build(tmp_path, {L: {"channel": MAILBOX, "letters": [
        letter("咨询社保问题", L + "a", "2025-10-01", status="未回复"),
        letter("咨询社保问题", L + "b", "2025-10-01", status="未回复"),
        letter("咨询社保问题", None, "2025-10-05", status="未回复")]}})
    assert by_rule(run(view), "interaction.channel_stats")[L].evidence["letters_in_window"] == 3


def test_thousands_of_letters_across_hundreds_of_pages(tmp_path: Path) -> None:
    """Generated: 200 list pages of 20 letters, every 10th with its detail page; figures match the generator."""
    pages: dict[str, dict[str, Any]] = {}
    truth_answered = truth_open = 0
    reply_days: list[int] = []
    base = date(2025, 10, 30)
    for p in range(200):
        rows = []
        for i in range(20):
            n = p * 20 + i
            asked = base.fromordinal(base.toordinal() - n % 300)
            answered = n % 4 != 0
            replied = asked.fromordinal(asked.toordinal() + n % 9) if answered else None
            if answered:
                truth_answered += 1
                reply_days.append(n % 9)
            else:
                truth_open += 1
            row = letter(f"第{n}号来信", L + f"show?id={n}", asked.isoformat(), replied and replied.isoformat(),
                         "已回复" if answered else "办理中")
            rows.append(row)
            if n % 10 == 0:
                pages[L + f"show?id={n}"] = {"channel": MAILBOX, "letters": [{**row, "source": "detail", "has_reply_text": answered}]}
        pages[L + f"index_{p}.html"] = {"channel": MAILBOX, "letters": rows}
    findings = run(build(tmp_path, pages))
    stats = by_rule(findings, "interaction.channel_stats")[L + "index_0.html"].evidence
    assert stats["letters_in_window"] == 4000
    assert (stats["answered"], stats["open"]) == (truth_answered, truth_open)
    assert stats["median_reply_days"] == statistics.median(reply_days)
    assert stats["p90_reply_days"] == sorted(reply_days)[int(0.9 * len(reply_days)) - 1]
    unanswered = by_rule(findings, "interaction.unanswered")
    # open letters (n % 4 == 0) asked more than 3 months before 2025-11-01
    want = {L + f"show?id={n}" for n in range(4000) if n % 4 == 0 and base.fromordinal(base.toordinal() - n % 300) < date(2025, 8, 1)}
    assert set(unanswered) == want


# -- channels ----------------------------------------------------------------------------------------------------
def test_no_channel_when_only_excluded_channels_and_broken_links(tmp_path: Path) -> None:
    home = SITE
    petition = {"name": "网上信访", "kind": "petition", "excluded": True, "evidence": "title"}
    view = build(tmp_path, {
        home: {"channel": None, "letters": [], "channel_links": [
            {"name": "县长信箱", "kind": "leader_mailbox", "excluded": False, "url": "http://127.0.0.1:9/xzxx/"},
            {"name": "网上信访", "kind": "petition", "excluded": True, "url": SITE + "xf/"}]},
        SITE + "xf/": {"channel": petition, "letters": [letter("信访件", SITE + "xf/1", "2025-01-01", status="已受理")]},
    }, others={"http://127.0.0.1:9/xzxx/": (None, "refused")})
    findings = run(view)
    (veto,) = [f for f in findings if f.rule == "interaction.no_channel"]
    assert veto.severity == "veto" and veto.url == SITE
    assert veto.evidence["excluded_channels_found"] == ["网上信访"]
    assert veto.evidence["broken_channel_links"][0]["error"] == "refused"
    assert not [f for f in findings if f.rule in ("interaction.unanswered", "interaction.channel_stats")]


def test_a_working_link_to_an_off_site_channel_is_a_channel(tmp_path: Path) -> None:
    view = build(tmp_path, {SITE: {"channel": None, "letters": [], "channel_links": [
        {"name": "政务咨询", "kind": "consultation", "excluded": False, "url": "http://127.0.0.1:9/12345/"}]}},
        others={"http://127.0.0.1:9/12345/": (200, None)})
    assert not run(view)
    view2 = build(tmp_path / "b", {SITE: {"channel": None, "letters": []}})
    assert [f.rule for f in run(view2)] == ["interaction.no_channel"]
    assert run(build(tmp_path / "c", {})) == []  # nothing crawled: no evidence either way


# -- rule set ----------------------------------------------------------------------------------------------------
def test_a_province_can_change_limits_and_lists(tmp_path: Path) -> None:
    province = tmp_path / "province.yaml"
    province.write_text(
        "id: test-province\nversion: '1'\ninherits: gov-2019\nparams:\n  interaction:\n"
        "    reply_limit: {value: 3, unit: days}\n    unanswered_limit: {value: 60, unit: days}\n"
        "    answered_statuses: [已回复, 已阅]\n", encoding="utf-8")
    rules = load_ruleset(province)
    view = build(tmp_path, {L: {"channel": MAILBOX, "letters": [
        letter("四天答复", L + "1", "2025-10-01", "2025-10-05", "已回复"),
        letter("六十一天未答复", L + "2", "2025-09-01", status="办理中"),
        letter("已阅无答复", L + "3", "2025-10-20", status="已阅", reply_shown=False)]}})
    findings = run(view, rules)
    assert set(by_rule(findings, "interaction.late")) == {L + "1", L + "3"}
    assert set(by_rule(findings, "interaction.unanswered")) == {L + "2"}
    assert by_rule(findings, "interaction.late")[L + "3"].evidence["note"] == "marked_answered_without_reply"


def test_a_bad_duration_names_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nversion: '1'\ninherits: gov-2019\nparams:\n  interaction:\n    reply_limit: {value: 3, unit: weeks}\n",
                   encoding="utf-8")
    view = build(tmp_path, {L: {"channel": MAILBOX, "letters": []}})
    with pytest.raises(RuleSetError, match="interaction.reply_limit"):
        run(view, load_ruleset(bad))
