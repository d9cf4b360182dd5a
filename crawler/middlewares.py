"""Downloader middleware that keeps the crawl a polite guest on fragile government servers.

Scrapy already caps concurrency per host and obeys robots.txt rules; what it lacks is acted on here, by
adjusting the per-host download slot's delay (Scrapy's own mechanism, the one AutoThrottle uses):

* ``Crawl-delay`` from robots.txt;
* ``Retry-After`` and exponential back-off on 429/503, relaxed again after successes;
* a circuit breaker: a host whose recent answers are mostly errors is paused; after
  ``max_trips`` pauses its remaining URLs are skipped and reported as not checked (coverage), instead of
  hammering a server that is already down.
"""

from __future__ import annotations

import time
from collections import deque
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

MAX_BACKOFF = 120.0


def retry_after_seconds(value: bytes | None) -> float | None:
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class _Host:
    __slots__ = ("recent", "trips", "paused_until", "base_delay", "backoff")

    def __init__(self, window: int) -> None:
        self.recent: deque[bool] = deque(maxlen=window)
        self.trips = 0
        self.paused_until = 0.0
        self.base_delay: float | None = None
        self.backoff = 0.0


class PolitenessMiddleware:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        settings = crawler.settings
        breaker = settings.getdict("GOVAUDIT_CIRCUIT_BREAKER") or {}
        self.window = int(breaker.get("window", 20))
        self.ratio = float(breaker.get("error_ratio", 0.5))
        self.pause = float(breaker.get("pause_seconds", 30))
        self.max_trips = int(breaker.get("max_trips", 3))
        self.user_agent = settings.get("USER_AGENT")
        self.hosts: dict[str, _Host] = {}
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> "PolitenessMiddleware":
        return cls(crawler)

    def _state(self, host: str) -> _Host:
        state = self.hosts.get(host)
        if state is None:
            state = self.hosts[host] = _Host(self.window)
        return state

    def _slot(self, request: Request) -> Any:
        downloader = self.crawler.engine.downloader
        return downloader._get_slot(request)[1]

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        delay = None
        try:
            delay = robotparser.rp.crawl_delay(self.user_agent) if hasattr(robotparser, "rp") else None
        except (AttributeError, TypeError):
            delay = None
        if delay:
            host = urlparse_cached(request).hostname or ""
            state = self._state(host)
            state.base_delay = min(float(delay), MAX_BACKOFF)
            self._slot(request).delay = max(self._slot(request).delay, state.base_delay)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = urlparse_cached(request).hostname or ""
        state = self.hosts.get(host)
        if state is not None and state.trips > self.max_trips:
            raise IgnoreRequest(f"circuit open for {host}: too many errors, remaining URLs not checked")
        return None

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        host = urlparse_cached(request).hostname or ""
        state = self._state(host)
        slot = self._slot(request)
        failed = response.status >= 500 or response.status == 429
        if response.status in (429, 503):
            wait = retry_after_seconds(response.headers.get(b"Retry-After"))
            state.backoff = min(MAX_BACKOFF, max(wait or 0.0, state.backoff * 2 or 1.0))
            slot.delay = max(slot.delay, state.backoff)
        elif state.backoff and not failed:
            state.backoff = state.backoff / 2 if state.backoff > 0.25 else 0.0  # halve, then drop to zero
            slot.delay = max(state.base_delay or 0.0, state.backoff)
        self._observe(state, failed, slot, host)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        if isinstance(exception, IgnoreRequest):
            return None
        host = urlparse_cached(request).hostname or ""
        self._observe(self._state(host), True, self._slot(request), host)
        return None

    def _observe(self, state: _Host, failed: bool, slot: Any, host: str) -> None:
        state.recent.append(failed)
        now = time.time()
        if now < state.paused_until:
            return
        if state.paused_until and now >= state.paused_until:
            state.paused_until = 0.0
            slot.delay = max(state.base_delay or 0.0, state.backoff)
        if len(state.recent) >= self.window and sum(state.recent) / len(state.recent) >= self.ratio:
            state.trips += 1
            state.recent.clear()
            state.paused_until = now + self.pause
            slot.delay = max(slot.delay, self.pause)
            self.crawler.stats.inc_value(f"govaudit/circuit_trips/{host}")
