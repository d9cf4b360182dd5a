"""The page analysis pauses Python's cyclic collector while one page is analysed (``crawler.analysis``): an
extractor that makes a reference cycle per element or row (a nested function calling itself is one) keeps
everything the cycle reaches until the page is done.  On a 50,000-row 信息公开目录 that was 35 MB (issue 16).
Each installed extractor, run on list pages of every shape the crawl meets, must leave no cyclic garbage."""

from __future__ import annotations

import gc
from datetime import date

import pytest
from govaudit.crawler.extract import installed, load_extractors
from govaudit.crawler.extract.core import page_context

ROWS = 400


def _page(body: str) -> bytes:
    return ('<html lang="zh-CN"><head><meta charset="utf-8"><title>列表-某某县人民政府</title></head><body>'
            f'<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/col/">列表</a></div>{body}'
            '<div class="footer">主办：某某县人民政府办公室 <a href="http://127.0.0.1:9/beian">备案</a></div>'
            '</body></html>').encode()


PAGES = {
    "table": _page('<table class="xxgk-list"><tr><th>索引号</th><th>标题</th><th>发布日期</th></tr>' + "".join(
        f'<tr><td>11330000-{i:06d}</td><td><a href="/xxgk/{i}.html">关于第{i}号政府信息公开事项的通知</a></td>'
        f"<td>2026-{1 + i % 12:02d}-{1 + i % 28:02d}</td></tr>" for i in range(ROWS)) + "</table>"),
    "dated": _page('<ul class="news-list">' + "".join(
        f'<li><a href="/col/art{i}.html">某某县第{i}次常务会议召开</a><span>2026-11-{1 + i % 28:02d}</span></li>'
        for i in range(ROWS)) + "</ul>"),
    "mailbox": _page('<table class="letters">' + "".join(
        f'<tr><td><a href="/xx/{i}.html">关于小区第{i}号路灯不亮的咨询</a></td><td>2026-10-{1 + i % 28:02d}</td>'
        f"<td>{'已回复' if i % 2 else '办理中'}</td></tr>" for i in range(ROWS)) + "</table>"),
    "site map": _page("".join(f'<li><a href="/col{i // 50}/art{i}.html">某某县关于第{i}项工作的通知</a></li>'
                              for i in range(ROWS))),
    "text": _page("<div class='content'>" + "<p>某某县人民政府关于印发通知的文件。联系电话 0571-8888888</p>" * ROWS
                  + "<!-- 注释 --><script>var a = 1;</script></div>"),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_extractor_leaves_cyclic_garbage(name: str) -> None:
    ctx = page_context("http://127.0.0.1:9/col/index.html", PAGES[name], as_of=date(2026, 11, 20),
                       site="http://127.0.0.1:9/")
    extractors = dict(zip(installed(), load_extractors(installed().values())))
    for extractor in extractors.values():
        extractor(ctx)  # once first: a library's one-time set-up (a class made on first use) is no leak
    left = {}
    for extractor_name, extractor in extractors.items():
        gc.collect()
        gc.disable()
        try:
            extractor(ctx)
        finally:
            left[extractor_name] = gc.collect()
            gc.enable()
    assert left == dict.fromkeys(extractors, 0)
