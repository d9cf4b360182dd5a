"""crawler/extract/letters.py against saved mailbox pages with hand-checked expected letters."""

from __future__ import annotations

import json
import threading
import urllib.request
from datetime import date
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from govaudit.crawler.extract import letters
from govaudit.crawler.extract.core import page_context

FIXTURES = Path(__file__).parent / "fixtures" / "mailboxes"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
AS_OF = date.fromisoformat(EXPECTED["as_of"])
KEYS = ("title", "url", "asked", "replied", "status", "unit", "has_reply_text", "source")


def facts_of(name: str, body: bytes | None = None, charset: str | None = None) -> dict[str, Any]:
    page = EXPECTED["pages"][name]
    body = (FIXTURES / name).read_bytes() if body is None else body
    ctx = page_context(page["url"], body, declared_charset=charset, is_home=page.get("is_home", False), as_of=AS_OF)
    return letters.extract(ctx)


def extract_html(html: str, url: str = "http://127.0.0.1:8765/hdjl/x/index.html") -> dict[str, Any]:
    return letters.extract(page_context(url, html.encode("utf-8"), as_of=AS_OF))


def _key(letter: dict[str, Any]) -> tuple[str, str]:
    return (letter["source"], letter["url"] or letter["title"])


@pytest.mark.parametrize("name", sorted(EXPECTED["pages"]))
def test_fixture_letters_match_hand_checked_values(name: str) -> None:
    page = EXPECTED["pages"][name]
    facts = facts_of(name)
    want_channel = page["channel"]
    got_channel = facts["channel"]
    if want_channel is None:
        assert got_channel is None
    else:
        assert {k: got_channel[k] for k in ("name", "kind", "excluded")} == want_channel
        assert got_channel["evidence"]
    got = {_key(l): {k: l[k] for k in KEYS} for l in facts["letters"]}
    want = {_key(l): l for l in page["letters"]}
    assert got == want
    assert len(facts["letters"]) == len(page["letters"])  # nothing read twice from one page


def test_home_page_lists_channel_links_and_marks_excluded_ones() -> None:
    facts = facts_of("home.html")
    got = [[l["name"], l["url"]] for l in facts["channel_links"]]
    assert got == EXPECTED["pages"]["home.html"]["channel_links"]
    excluded = {l["name"] for l in facts["channel_links"] if l["excluded"]}
    assert excluded == {"在线访谈", "网上信访"}


def test_no_personal_details_reach_the_facts() -> None:
    dumped = json.dumps([facts_of(name) for name in EXPECTED["pages"]], ensure_ascii=False)
    # names, phones, ID number, address and letter content printed on the fixture pages
    for private in ("李四", "张**", "王先生", "13900001111", "13812345678", "110101199003071234", "城南路18号",
                    "路灯坏了两周", "每天早晚高峰"):
        assert private not in dumped
    assert "联系电话***" in dumped  # the phone inside a title is masked, the title kept


def test_fixtures_fetched_over_http_read_the_same(tmp_path: Path) -> None:
    """The bytes as a server sends them (GB18030 page with its HTTP charset) give the same letters."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(FIXTURES))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for name in ("gbk_list.html", "table_list.html", "detail_answered.html"):
            with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/{name}", timeout=10) as resp:
                body = resp.read()
                charset = resp.headers.get_content_charset()
            assert facts_of(name, body, charset) == facts_of(name)
    finally:
        server.shutdown()
        server.server_close()


def test_letter_labels_outside_a_channel_are_still_read_but_service_tables_are_not() -> None:
    html = """<html><head><title>最新信件</title></head><body><ul>
      <li><a href="a.html">关于路灯维修的问题</a> <span>留言时间：2025-10-01</span> <span>状态：已回复</span></li>
      <li><a href="b.html">关于垃圾清运的问题</a> <span>留言时间：2025-10-02</span> <span>状态：办理中</span></li></ul></body></html>"""
    facts = extract_html(html)
    assert facts["channel"] is None
    assert [(l["title"], l["asked"], l["status"]) for l in facts["letters"]] == [
        ("关于路灯维修的问题", "2025-10-01", "已回复"), ("关于垃圾清运的问题", "2025-10-02", "办理中")]
    assert facts_of("banjian.html")["letters"] == []


def test_title_words_that_contain_labels_are_not_labels() -> None:
    html = """<html><head><title>县长信箱</title></head><body>
      <div class="item"><a href="1.html">关于回复时间过长的投诉</a><p>来信时间：2025-09-01</p><p>回复时间：2025-09-03</p></div>
      <div class="item"><a href="2.html">状态不明的施工许可</a><p>来信时间：2025-09-05</p><p>回复时间：</p></div></body></html>"""
    got = [(l["title"], l["asked"], l["replied"], l["reply_shown"]) for l in extract_html(html)["letters"]]
    assert got == [("关于回复时间过长的投诉", "2025-09-01", "2025-09-03", True), ("状态不明的施工许可", "2025-09-05", None, True)]


def test_truncated_and_broken_pages_do_not_raise() -> None:
    body = (FIXTURES / "table_list.html").read_bytes()
    cut = body[: body.index("供暖收费标准问题".encode())]  # the download stopped in the middle of the 4th row
    facts = facts_of("table_list.html", cut)
    assert [l["url"].rsplit("=", 1)[1] for l in facts["letters"]][:3] == ["1001", "1002", "1003"]
    assert facts["letters"][0]["asked"] == "2025-09-02"
    for html in ("", "<html>", "<table><tr><th>标题</th><th>来信时间</th></tr><tr><td>", "\x00\x01binary"):
        facts = extract_html(html)
        assert isinstance(facts["letters"], list)


def test_letters_without_dates_and_detail_with_reply_but_no_date() -> None:
    html = """<html><head><title>来信详情-市长信箱-示例市</title></head><body>
      <h1>关于公园开放时间的咨询</h1>
      <p>来信时间：</p><p>来信内容：请问公园几点开门？</p>
      <p>回复内容：您好，公园每日6:00至22:00开放，节假日延长至23:00。</p></body></html>"""
    facts = extract_html(html, "http://127.0.0.1:8765/szxx/show?id=9")
    assert facts["channel"]["name"] == "市长信箱"
    (letter,) = facts["letters"]
    assert (letter["title"], letter["asked"], letter["replied"], letter["has_reply_text"], letter["source"]) == (
        "关于公园开放时间的咨询", None, None, True, "detail")


@pytest.mark.parametrize("text, expected", [
    ("县长信箱", ("县长信箱", "leader_mailbox", False)),
    ("网上信访", ("网上信访", "petition", True)),
    ("纪检举报", ("纪检举报", "report", True)),
    ("调查征集", ("调查征集", "survey", True)),
    ("我为政府网站找错", ("我为政府网站找错", "zhaocuo", False)),
    ("咨询投诉", ("咨询投诉", "consultation", False)),
    ("互动交流", None),
    ("关于县长信箱回复太慢的意见和建议", None),
])
def test_classify_channel(text: str, expected: tuple[str, str, bool] | None) -> None:
    assert letters.classify_channel(text) == expected


def test_many_letters_on_one_page_are_read_in_bounded_number() -> None:
    rows = "".join(f"<tr><td><a href='s?id={i}'>第{i}号来信的标题</a></td><td>2025-10-01</td><td>已回复</td></tr>"
                   for i in range(800))
    html = f"<html><head><title>网上留言</title></head><body><table><tr><th>标题</th><th>留言时间</th><th>状态</th></tr>{rows}</table></body></html>"
    facts = extract_html(html)
    assert len(facts["letters"]) == 500
    assert facts["letters"][499]["title"] == "第499号来信的标题"


def test_unlinked_side_list_of_questions_is_read_with_its_asking_dates() -> None:
    """nfra.gov.cn (tests/corpus) prints 政务咨询 questions as plain text above 留言时间, one tbody each."""
    rows = "".join(f"<tbody><tr><td rowspan='2'><img src='i.png'></td><td><span title='{t}'>{t}</span></td></tr>"
                   f"<tr><td><span>留言时间：</span><span>{d}</span></td></tr></tbody>"
                   for t, d in (("请问如何查询金融许可证？", "2025-04-16"), ("请问许可证有哪些公告方式？", "2025-03-18")))
    facts = extract_html(f"<html><body><h1>行政处罚信息公开表</h1><p>发布时间：2024-07-12</p>"
                         f"<div><a href='/zwzx'>政务咨询</a><table>{rows}</table></div></body></html>")
    got = [(l["title"], l["asked"], l["replied"], l["status"], l["reply_shown"]) for l in facts["letters"]]
    assert got == [("请问如何查询金融许可证？", "2025-04-16", None, None, False),
                   ("请问许可证有哪些公告方式？", "2025-03-18", None, None, False)]


def test_news_items_with_a_bare_publication_label_are_not_letters() -> None:
    items = "".join(f"<li><span>{t}</span><span>发布时间：{d}</span></li>"
                    for t, d in (("关于开展安全检查的通知", "2025-04-16"), ("关于调整办公时间的公告", "2025-03-18")))
    facts = extract_html(f"<html><head><title>网上留言_某县人民政府</title></head><body><ul>{items}</ul></body></html>")
    assert facts["channel"] is not None and facts["letters"] == []


def _letter_page_facts(html: str) -> tuple[dict[str, Any], str]:
    from govaudit.crawler.extract import freshness
    ctx = page_context("http://127.0.0.1:8765/hdjl/x/1.html", html.encode(), as_of=date(2026, 12, 1))
    return letters.extract(ctx), freshness.extract(ctx)["kind"]


def test_neighbouring_cell_detail_with_a_status_word_and_no_letter_vocabulary_in_the_title() -> None:
    """Issue 11: a 民声连线 detail whose labels and values sit in neighbouring cells
    (提交时间 … 处理状态 处理完毕 … 答复时间) was called an article with no channel."""
    facts, kind = _letter_page_facts(
        "<html><head><title>关于小区停车难的问题_民声连线_某县人民政府</title></head><body>"
        "<div class='crumb'>当前位置：首页 > 政民互动 > 民声连线</div><table>"
        "<tr><td>信件标题</td><td>关于小区停车难的问题</td></tr>"
        "<tr><td>提交时间</td><td>2026-03-02</td><td>处理状态</td><td>处理完毕</td></tr>"
        "<tr><td>来信内容</td><td colspan=3>小区停车难。</td></tr>"
        "<tr><td>答复单位</td><td>县住建局</td><td>答复时间</td><td>2026-03-09</td></tr>"
        "<tr><td>答复内容</td><td colspan=3>您好，已协调增加车位。</td></tr></table></body></html>")
    assert kind == "letter" and facts["channel"]["name"] == "民声连线"
    assert [(l["title"], l["asked"], l["replied"], l["status"]) for l in facts["letters"]] == [
        ("关于小区停车难的问题", "2026-03-02", "2026-03-09", "处理完毕")]


def test_consultation_detail_with_asking_and_reply_blocks() -> None:
    """Issue 11: 政民互动 › 咨询建议, 来信人 / 时间 / 答复时间 in separate blocks."""
    facts, kind = _letter_page_facts(
        "<html><head><title>关于公交线路调整的建议_咨询建议_某市人民政府</title></head><body>"
        "<div class='crumb'>当前位置：首页 > 政民互动 > 咨询建议</div><h1>关于公交线路调整的建议</h1>"
        "<div class='ask'><p>来信人：王**</p><p>时间：2026-05-06</p><p>建议增加公交线路。</p></div>"
        "<div class='reply'><h3>答复单位：市交通运输局</h3><p>答复时间：2026-05-12</p>"
        "<p>感谢您的建议，我局将研究。</p></div></body></html>")
    assert kind == "letter" and facts["channel"]["kind"] == "consultation"
    got = [(l["title"], l["asked"], l["replied"], l["has_reply_text"]) for l in facts["letters"]]
    assert got == [("关于公交线路调整的建议", "2026-05-06", "2026-05-12", True)]


def test_detail_letter_is_named_by_its_title_not_by_the_site_name_in_the_header() -> None:
    """Issue 11: on a county site laid out unlike the demo (题目_县长信箱 in <title>, the site's name in the
    page header) every late letter was called by the site's name."""
    facts, _ = _letter_page_facts(
        "<html><head><title>关于村道路灯不亮的问题_县长信箱_某某县人民政府</title></head><body>"
        "<div class='header'><h1>某某县人民政府</h1></div><div class='crumb'>当前位置：首页 > 县长信箱</div>"
        "<div class='box'><p>关于村道路灯不亮的问题</p><p>来信时间：2026-04-01</p><p>来信内容：路灯不亮。</p>"
        "<p>回复时间：</p><p>回复内容：</p></div></body></html>")
    assert [(l["title"], l["asked"], l["replied"]) for l in facts["letters"]] == [
        ("关于村道路灯不亮的问题", "2026-04-01", None)]


def test_text_after_a_cms_comment_is_read() -> None:
    """CMS templates wrap each field in comments (``<!--<$[回复时间]>begin-->…``); the text after a comment is the
    page's own, and reading stopped at the comment: the reply date below was lost and the letter looked
    unanswered."""
    facts = extract_html(
        "<html><head><title>来信详情-县长信箱-示例县</title></head><body><h1>关于村道路灯不亮的问题</h1>"
        "<p>来信时间：<!--<$[来信时间]>begin-->2026-04-01<!--<$[来信时间]>end--></p>"
        "<p>来信内容：路灯不亮。</p>"
        "<p>回复时间：<!--<$[回复时间]>begin-->2026-04-03<!--<$[回复时间]>end--></p>"
        "<p>回复内容：<!-- 正文 -->已安排维修。</p></body></html>",
        "http://127.0.0.1:8765/xzxx/show?id=7")
    assert [(l["title"], l["asked"], l["replied"], l["has_reply_text"]) for l in facts["letters"]] == [
        ("关于村道路灯不亮的问题", "2026-04-01", "2026-04-03", True)]


def test_label_patterns_match_the_plain_alternation_and_look_behind() -> None:
    """``_LABEL``'s words grouped by first character, and ``_LABEL_LINES`` consuming the separator over a text that
    starts with a newline (issue 16), match what the plain forms match: on hostile strings of label words glued to
    separators, brackets, colons, digits and newlines, the same spans and words."""
    import random
    import re

    alt = "|".join(re.escape(w) for w in letters._WORDS)
    body = r"[【\[]?(" + alt + r")[】\]]?\s*(?:[:：]|$|(?=\s+\d))"
    plain = re.compile(r"(?:^|(?<=[\s|｜/，,；;、]))" + body)
    plain_lines = re.compile(plain.pattern, re.M)
    bits = [*letters._WORDS, *" \t|｜/，,；;、【】[]:：0123456789\nx关于的", "  ", " 2", "回复时间过长"]
    rnd = random.Random(16)
    for _ in range(20_000):
        text = "".join(rnd.choice(bits) for _ in range(rnd.randint(0, 8)))
        assert [(m.span(), m.groups()) for m in letters._LABEL.finditer(text)] == \
            [(m.span(), m.groups()) for m in plain.finditer(text)], text
        assert [(m.start(), m.group(1)) for m in letters._LABEL_LINES.finditer("\n" + text)] == \
            [(m.start(), m.group(1)) for m in plain_lines.finditer(text)], text
