"""Scrapy extensions: the progress display a person watches while a scan runs."""

from __future__ import annotations

import os
import sys
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet.task import LoopingCall

# After this long without a URL finishing, the line says so, and when the watchdog will end the crawl:
# a scan that waits is never silent about it.
IDLE_NOTICE_SECONDS = 20


class ScanProgress:
    """Pages crawled, queue, pages/s and errors on a terminal; silent in CI and when output is piped.

    Uses rich's live display so the line redraws in place instead of scrolling thousands of log lines.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.loop: LoopingCall | None = None
        self.live: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ScanProgress:
        quiet = crawler.settings.getbool("GOVAUDIT_QUIET") or os.environ.get("CI") or not sys.stderr.isatty()
        if quiet:
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider: Any) -> None:
        from rich.console import Console
        from rich.live import Live

        self.live = Live(console=Console(stderr=True), refresh_per_second=4, transient=False)
        self.live.start()
        self.loop = LoopingCall(self.render, spider)
        self.loop.start(0.5)

    def render(self, spider: Any) -> None:
        p = spider.progress()
        self.live.update(f"[bold]govaudit[/] {spider.home}  pages [cyan]{p['pages']}[/]  checked {p['checked']}  "
                         f"queue {p['queued']}  [green]{p['pages_per_s']:.0f} pages/s[/]  errors [red]{p['errors']}[/]"
                         + (f"  re-tests {p['retests']}" if p["retests"] else "")
                         + (f"  [yellow]no URL finished for {p['idle_seconds']:.0f} s (the crawl ends at "
                            f"{p['stall_seconds']:.0f} s)[/]" if p["idle_seconds"] >= IDLE_NOTICE_SECONDS else ""))

    def closed(self, spider: Any) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.live:
            self.render(spider)
            self.live.stop()
