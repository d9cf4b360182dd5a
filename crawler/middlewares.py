"""Downloader middleware that keeps the crawl a polite guest on fragile government servers.

Scrapy already caps concurrency per host and obeys robots.txt rules; what it lacks is acted on here, by
adjusting the per-host download slot's delay (Scrapy's own mechanism, the one AutoThrottle uses):

* ``Crawl-delay`` from robots.txt;
* ``Retry-After`` on 429/503 (exponential back-off when the server gives none), relaxed again after successes;
* a circuit breaker: a host whose recent answers are mostly errors is paused; after
  ``max_trips`` pauses its remaining URLs are skipped and reported as not checked (coverage), instead of
  hammering a server that is already down.  A pause ends on a timer, not on the host's next answer: while
  the slot's delay is the pause, the slot sends one request per pause, so a pause lifted only by an answer
  cost every queued URL of the host ``pause_seconds`` each, and the last URLs of an erroring host held the
  end of the scan for minutes (issue 9).

A host is host *and port* (``host_key``): 127.0.0.1:8080 and 127.0.0.1:9 are different servers, and so are
their download slots, back-off and breaker.

``WireClockHandler`` is the HTTP download handler that records how long each request spent on the wire,
which is what an attempt's ``elapsed`` reports (time in the scheduler and in a slot's delay queue is not).
"""

from __future__ import annotations

import time
from collections import deque
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.core.downloader import Downloader
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

MAX_BACKOFF = 120.0
WIRE_SECONDS = "govaudit_wire_seconds"  # request.meta key: seconds on the wire, summed over redirect hops


def host_key(url: str) -> str:
    """Host and port (the port only when it is not the scheme's default): the unit of politeness."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return host
    default = 443 if parts.scheme == "https" else 80
    return host if port in (None, default) else f"{host}:{port}"


class WireClockHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, timing each download from the moment it is handed to the connection pool
    (where ``DOWNLOAD_TIMEOUT`` starts counting too) until it succeeds or fails."""

    async def download_request(self, request: Request) -> Response:
        from govaudit.crawler.distributed import gate_of

        gate = gate_of(self._crawler)  # a shared crawl: the host's in-flight limit and delay hold across workers
        token = await gate.enter(request) if gate is not None else None
        started = time.monotonic()
        try:
            return await super().download_request(request)
        finally:
            request.meta[WIRE_SECONDS] = request.meta.get(WIRE_SECONDS, 0.0) + time.monotonic() - started
            if token is not None:
                gate.leave(request, token)  # type: ignore[union-attr]


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


class CircuitOpen(IgnoreRequest):
    """The host's breaker tripped more than ``max_trips`` times: its remaining URLs are not checked."""


class HostJudged(IgnoreRequest):
    """The spider judges this off-site host on another URL (it does not resolve or refuses connections):
    the request waits for that verdict instead of going out (``SiteSpider.holds``)."""


class _Host:
    __slots__ = ("recent", "trips", "paused_until", "base_delay", "backoff")

    def __init__(self, window: int) -> None:
        self.recent: deque[bool] = deque(maxlen=window)
        self.trips = 0
        self.paused_until = 0.0
        self.base_delay: float | None = None
        self.backoff = 0.0

    @property
    def delay(self) -> float:
        """The delay the host's slot keeps when it is not paused: Crawl-delay, or the current back-off."""
        return max(self.base_delay or 0.0, self.backoff)


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
    def from_crawler(cls, crawler: Any) -> PolitenessMiddleware:
        return cls(crawler)

    def _state(self, host: str) -> _Host:
        state = self.hosts.get(host)
        if state is None:
            state = self.hosts[host] = _Host(self.window)
        return state

    def _slot(self, key: str) -> Any:
        """The download slot of a host, if the downloader has one (it makes it when the host's first request
        is queued; every response and failure we observe went through it)."""
        return self.crawler.engine.downloader.slots.get(key)

    def _set_delay(self, key: str, delay: float) -> None:
        slot = self._slot(key)
        if slot is not None:
            slot.delay = delay

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        delay = None
        try:
            delay = robotparser.rp.crawl_delay(self.user_agent) if hasattr(robotparser, "rp") else None
        except (AttributeError, TypeError):
            delay = None
        if delay:
            key = request.meta.get(Downloader.DOWNLOAD_SLOT) or host_key(request.url)
            state = self._state(key)
            state.base_delay = min(float(delay), MAX_BACKOFF)
            slot = self._slot(key)
            if slot is not None:
                slot.delay = max(slot.delay, state.base_delay)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        # One download slot per host:port (Scrapy's default is per host name); robots.txt requests included.
        key = request.meta.setdefault(Downloader.DOWNLOAD_SLOT, host_key(request.url))
        state = self.hosts.get(key)
        if state is not None and state.trips > self.max_trips:
            raise CircuitOpen(f"circuit open for {key}: too many errors, remaining URLs not checked")
        holds = getattr(self.crawler.spider, "holds", None)
        if holds is not None and holds(request):  # queued before its host was found dead
            raise HostJudged(f"{key} is being judged on another URL")
        return None

    @staticmethod
    def _key(request: Request) -> str:
        return request.meta.get(Downloader.DOWNLOAD_SLOT) or urlparse_cached(request).hostname or ""

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        key = self._key(request)
        state = self._state(key)
        failed = response.status >= 500 or response.status == 429
        # A re-test of a URL that already answered 429/503 is not news about the host: its own wait honours
        # Retry-After (the spider's re-test spacing); only a new URL's 429/503 backs the whole host off.
        again = any(a.get("status") in (429, 503) for a in request.meta.get("attempts") or ())
        if response.status in (429, 503) and not again:
            # The server's own Retry-After is the back-off; without one, it doubles.  (Doubling past a stated
            # Retry-After made three 503 URLs, each re-tested twice, hold a whole site at one request in 8 s.)
            wait = retry_after_seconds(response.headers.get(b"Retry-After"))
            state.backoff = min(MAX_BACKOFF, wait if wait is not None else state.backoff * 2 or 1.0)
            if not state.paused_until:
                self._set_delay(key, state.delay)
        elif state.backoff and not failed:
            state.backoff = state.backoff / 2 if state.backoff > 0.25 else 0.0  # halve, then drop to zero
            if not state.paused_until:
                self._set_delay(key, state.delay)
        self._observe(request, state, failed, key)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        if isinstance(exception, IgnoreRequest):
            return None
        key = self._key(request)
        self._observe(request, self._state(key), True, key)
        return None

    def _observe(self, request: Request, state: _Host, failed: bool, key: str) -> None:
        if request.meta.get("attempts"):
            # A follow-up or re-test asks again about a URL that already failed: counting it would let the
            # re-tests of a few broken links (which cluster at the end of a crawl) trip a healthy host.
            return
        state.recent.append(failed)
        if state.paused_until:
            return
        if len(state.recent) >= self.window and sum(state.recent) / len(state.recent) >= self.ratio:
            from twisted.internet import reactor  # imported late: importing it early would pin the wrong reactor

            state.trips += 1
            state.recent.clear()
            state.paused_until = time.time() + self.pause
            self._set_delay(key, max(state.delay, self.pause))
            reactor.callLater(self.pause, self._resume, state, key)  # type: ignore[arg-type]  # twisted's stub
            self.crawler.stats.inc_value(f"govaudit/circuit_trips/{key}")

    def _resume(self, state: _Host, key: str) -> None:
        """The pause is over: the host's slot goes back to its own delay at once."""
        state.paused_until = 0.0
        self._set_delay(key, state.delay)
