"""The site spider: crawls one government website and checks every link it carries.

Pages in scope are fetched and parsed once; every other URL (images, scripts, attachments, off-site links)
is only checked: HEAD first, then a GET that stops after the headers when HEAD is refused or fails.  Each
URL is requested once per scan, however many pages carry it, and every carrying page is recorded with its
anchor text.  URLs are de-duplicated by a 64-bit key *before* a Request is built, because building Requests
that a dupefilter then drops is most of a naive Scrapy crawl's cost.

Every scan ends (issue 9: four scans in five of a faulty county site sat idle for 13 minutes and more):

* Re-tests wait in a heap that a ``LoopingCall`` drains as they fall due, with ``engine.crawl``, while the
  crawl goes on; they used to be released only when the engine went idle, so they waited for the whole crawl,
  and a re-test not yet due hung on a private engine call to wake it.  ``spider_idle`` only keeps the spider
  open while work remains.
* An off-site host that does not resolve or refuses connections is judged once: its first such URL is
  re-tested as usual, its other URLs wait for that verdict and share its attempt history (each still
  reported with its own referrers) instead of each running its own spaced re-tests.
* A watchdog: if no URL reaches a final state for ``params.crawl.stall_seconds``, the crawl is closed with
  reason ``stalled`` and every URL not finished is recorded as not checked (``skip_reason`` ``stalled``).
  If the close itself then waits as long again (a download or page analysis that nothing bounds), the scan
  is finished without it.
* An attempt's ``elapsed`` is the time on the wire (``WireClockHandler``), not the time since the Request
  object was built: a 15 s time-out was recorded as 30–75 s when requests queued behind a slot's delay.
"""

from __future__ import annotations

import heapq
import multiprocessing
import re
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from govaudit.crawler import https_probe
from govaudit.crawler.analysis import PageAnalyser, default_workers, unread
from govaudit.crawler.extract.answers import read_answer, read_letters
from govaudit.crawler.extract.attachments import Caps, attachment_facts
from govaudit.crawler.extract.content import offsite_facts
from govaudit.crawler.extract.core import decode_html, looks_binary, parse_html
from govaudit.crawler.extract.identity import css_facts
from govaudit.crawler.keyset import KeySet
from govaudit.crawler.middlewares import (
    MAX_BACKOFF,
    WIRE_SECONDS,
    CircuitOpen,
    HostJudged,
    host_key,
    retry_after_seconds,
)
from govaudit.crawler.transfer import on_headers as note_transfer
from govaudit.crawler.transfer import transfer
from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider, DownloadCancelledError, DownloadFailedError, IgnoreRequest, StopDownload
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import error as net_error
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from govaudit.facts import PageFacts, unread_code
from govaudit.model import UrlRecord, url_key
from govaudit.readings import fetched_endpoint, format_of, record_url
from govaudit.ruleset import DEFAULT_RULESET, RuleSet, load_ruleset
from govaudit.store import Store, StoreError, StoreWriter

# Failures worth trying again later (a response too large will be too large again).
RETEST_ERRORS = {"timeout", "dns", "refused", "reset", "tls", "other"}
# Failures that belong to the host, not to the URL: an off-site host is judged on them once, for all its URLs.
HOST_ERRORS = {"dns", "refused"}
# Follow-ups and due re-tests go ahead of the frontier: the end of the scan waits for them.
RETEST_PRIORITY = 1000
TICK_SECONDS = 0.1  # how often due re-tests are released and the watchdog looks
SEEN_CACHE = 50_000  # URL keys a worker of a shared crawl keeps in front of Redis's seen set (≈ 0.4 MiB as a KeySet)
_HTML_TYPES = ("text/html", "application/xhtml", "text/plain")  # text/plain: some CMSs mislabel pages
STYLESHEET_MAX_BYTES = 524288  # a same-site style sheet read for hiding rules (a CMS's all-in-one sheet is 100–300 KiB)


@dataclass
class CrawlConfig:
    """What one crawl is asked to do; built by ``govaudit.pipeline`` from the rule set and the command line."""

    start_url: str
    store_path: str
    scan_id: int
    as_of: date
    resume: bool = False
    include_subdomains: bool = False
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    max_pages: int = 50000
    max_depth: int = 0  # 0: no limit
    max_query_variants: int = 50
    max_url_length: int = 2048
    session_params: list[str] = field(default_factory=list)
    attachment_extensions: list[str] = field(default_factory=list)
    retests: int = 2
    retest_delay: float = 5.0
    check_external: bool = True
    list_pages_first: int = 3
    workers: int = 1  # page-analysis processes beside the engine (0: analyse in the engine's process)
    extractors: list[str] = field(default_factory=list)
    stall_seconds: float = 300.0  # the watchdog: no URL finished for this long ends the crawl
    analysis_budget: float = 10.0  # CPU seconds one page's analysis may take before it is abandoned (0: no limit)
    analysis_max_bytes: int = 0  # a larger page is not parsed into a tree, only its links read (0: no limit)
    read_attachments: bool = False  # content.private_data on: PDF/DOCX/XLSX attachments are downloaded and read
    attachment_caps: Caps = field(default_factory=Caps)
    offsite_dictionaries: tuple[str, ...] = ()  # content.offsite_prohibited on: off-site link targets are read
    offsite_max_bytes: int = 1048576
    https_port: int = 0  # the HTTPS probe's port (0: no probe)
    read_stylesheets: bool = False  # content.hidden_link on: same-site style sheets are read for hiding rules
    redis_url: str = ""  # a crawl shared by workers through Redis (crawler/distributed.py)
    seeder: bool = True  # this process began the scan: it seeds the frontier and finishes the scan

    @classmethod
    def from_rules(cls, rules: RuleSet, *, start_url: str, store_path: str, scan_id: int, as_of: date,
                   extractors: list[str], resume: bool = False, max_pages: int | None = None,
                   max_depth: int | None = None, retest_delay: float | None = None, workers: int | None = None,
                   **options: Any) -> CrawlConfig:
        """The rule set's crawl values, with what the command line overrides (None: the rule set's value)."""
        crawl = rules.param("crawl")
        return cls(start_url=start_url, store_path=store_path, scan_id=scan_id, as_of=as_of, resume=resume,
                   max_pages=max_pages or crawl["max_pages"],
                   max_depth=crawl["max_depth"] if max_depth is None else max_depth,
                   max_query_variants=crawl["max_query_variants_per_path"], max_url_length=crawl["max_url_length"],
                   session_params=crawl["session_params"], attachment_extensions=crawl["attachment_extensions"],
                   retests=rules.param("links.retests"),
                   retest_delay=float(crawl["retest_delay_seconds"]) if retest_delay is None else retest_delay,
                   workers=default_workers() if workers is None else max(0, workers),
                   list_pages_first=rules.param("freshness.max_list_pages_per_column"), extractors=extractors,
                   stall_seconds=float(rules.param("crawl.stall_seconds")),
                   analysis_budget=float(rules.param("crawl.analysis_budget_seconds")),
                   analysis_max_bytes=int(rules.param("crawl.analysis_max_bytes")), **reading_options(rules),
                   **options)

    @classmethod
    def standalone(cls, url: str, store: str, rules: str) -> CrawlConfig:
        """For ``scrapy crawl site -a url=… [-a store=…] [-a rules=…]`` (and Scrapyd): begins a scan in the store;
        ``govaudit report STORE --out DIR`` then checks, scores and writes the reports."""
        from govaudit.crawler.settings import GOVAUDIT_EXTRACTORS

        from govaudit import __version__
        from govaudit.urls import normalise_start_url

        ruleset = load_ruleset(rules)
        start = normalise_start_url(url)
        today = date.today()
        with Store(store) as st:
            scan_id = st.begin_scan(site=start, start_url=start, as_of=today.isoformat(), tool_version=__version__,
                                    options={"via": "scrapy crawl", "rules": rules, "url": start})
        return cls.from_rules(ruleset, start_url=start, store_path=store, scan_id=scan_id, as_of=today,
                              extractors=list(GOVAUDIT_EXTRACTORS))


def reading_options(rules: RuleSet) -> dict[str, Any]:
    """What the crawl downloads in full only for a content rule that is on (issue 14): attachments for
    ``content.private_data``, off-site link targets for ``content.offsite_prohibited``; and the HTTPS probe."""
    from govaudit.dictionary import resolve_paths

    safety = rules.param("safety")
    return {"read_attachments": rules.enabled("content.private_data"),
            "attachment_caps": Caps.from_param(safety["attachments"]),
            "offsite_dictionaries": resolve_paths(safety["offsite_dictionaries"])
            if rules.enabled("content.offsite_prohibited") else (),
            "offsite_max_bytes": int(safety["offsite_max_bytes"]),
            "https_port": int(rules.param("identity.https_port")) if rules.enabled("identity.https") else 0,
            "read_stylesheets": rules.enabled("content.hidden_link")}


_host = host_key  # host and port: 127.0.0.1:8080 and 127.0.0.1:9 are different sites


@dataclass
class HostJudgement:
    """An off-site host whose URL failed with a host error (dns, refused).

    That URL, the probe, runs its re-tests as any suspect URL does; the verdict is its final outcome.  The
    host's other URLs wait (``waiting``: url, kind, depth and any attempts of their own) and, once the verdict
    is in, are recorded with the host's attempt history (``dead``) or checked one by one (``alive``).
    """

    probe: str
    verdict: str | None = None  # None while the probe is being re-tested; then "dead" or "alive"
    error: str | None = None
    attempts: list[dict] = field(default_factory=list)
    waiting: list[tuple[str, str, int, list[dict]]] = field(default_factory=list)


class SiteSpider(Spider):
    name = "site"

    def __init__(self, config: CrawlConfig | None = None, *args: Any, url: str | None = None,
                 store: str = "govaudit.sqlite", rules: str = DEFAULT_RULESET, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if config is None:
            if not url:
                raise ValueError("scrapy crawl site needs -a url=http://… (and optionally -a store=FILE -a rules=ID)")
            config = CrawlConfig.standalone(url, store, rules)
        self.config = config
        self.home = config.start_url
        self.home_host = _host(config.start_url)
        self.base_domain = self.home_host[4:] if self.home_host.startswith("www.") else self.home_host
        self.store = Store(config.store_path)
        # A shared crawl writes in the reactor's thread: a lease goes back only once its records are written.
        self.writer = StoreWriter(self.store, config.scan_id, background=not config.redis_url)
        self.frontier: Any = None  # crawler/distributed.py's Frontier in a shared crawl
        self.analyser = PageAnalyser(config.extractors, config.workers, config.analysis_budget, config.analysis_max_bytes)
        self.include = [re.compile(p) for p in config.include]
        self.exclude = [re.compile(p) for p in config.exclude]
        self.session_params = {p.lower() for p in config.session_params}
        self.attachments = tuple("." + e.lower().lstrip(".") for e in config.attachment_extensions)
        # 8 bytes a key, not a Python set's ≈ 100 (crawler/keyset.py; issue 16 item 4): what the engine grew by per URL
        self.seen = KeySet()
        self.analysed: KeySet = KeySet()  # keys of the final URLs whose bodies were analysed (one process's crawl)
        self.query_variants: Counter[str] = Counter()
        self.pages_scheduled = 0
        self.retests: list[tuple[float, int, Request]] = []  # a heap: (due on the monotonic clock, order, request)
        self._retest_order = 0
        self.judged: dict[str, HostJudgement] = {}  # off-site hosts (host_key) that failed with a host error
        self.counts: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.started = time.time()
        self.last_page_at: float | None = None
        self.last_progress = time.monotonic()  # when a URL last reached a final state (the watchdog's clock)
        self.stalled_at: float | None = None  # when the watchdog closed the crawl
        self.store_failure: str | None = None  # why the store could not be written (the crawl ended on it)
        self.closed = False
        self.host_facts: dict[str, Any] = {}
        self.attachments_read = 0  # attachment downloads this crawl (params.safety.attachments.max_files)
        self._https_thread: threading.Thread | None = None
        self._https_result: dict[str, Any] = {}
        self._https_wait = 0.0

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        from govaudit.crawler.distributed import frontier_of

        spider.frontier = frontier_of(crawler)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        crawler.signals.connect(spider.on_headers, signal=signals.headers_received)
        crawler.signals.connect(spider.on_opened, signal=signals.spider_opened)
        if spider.config.read_attachments or spider.config.offsite_dictionaries or spider.config.read_stylesheets:
            crawler.signals.connect(spider.on_read_bytes, signal=signals.bytes_received)
        return spider

    def on_opened(self, spider: Spider) -> None:
        # Started here, not in from_crawler: the reactor must not be touched before Scrapy installs it.
        self._flusher = LoopingCall(self.flush_store)
        self._flusher.start(1.0, now=False)
        self._ticker = LoopingCall(self.tick)
        self._ticker.start(TICK_SECONDS, now=False)

    # -- shared state: this process's own, or the whole crawl's in Redis (crawler/distributed.py) ----------
    def claim(self, key: int) -> bool:
        """True the first time the crawl meets this URL key.  In a shared crawl Redis's set is the truth and this
        process's ``seen`` only spares it the links met again and again (menus, footers): emptied when it reaches
        ``SEEN_CACHE`` keys, so a worker's memory does not grow with the site (8 B a key, crawler/keyset.py)."""
        if key in self.seen:
            return False
        if self.frontier is not None and len(self.seen) >= SEEN_CACHE:
            self.seen.clear()
        self.seen.add(key)
        return self.frontier is None or self.frontier.claim(key)

    def claim_analysed(self, key: int) -> bool:
        """True the first time the crawl analyses this document (a redirect's target may be reached by several
        URLs); in a shared crawl Redis alone knows."""
        if self.frontier is not None:
            return self.frontier.claim_analysed(key)
        if key in self.analysed:
            return False
        self.analysed.add(key)
        return True

    def take_page(self, included: bool) -> bool:
        """Under the page cap; a page that will be parsed is counted."""
        if self.frontier is not None:
            return self.frontier.take_page(self.config.max_pages, included)
        under = self.pages_scheduled < self.config.max_pages
        if under and included:
            self.pages_scheduled += 1
        return under

    def later(self, due: float, request: Request) -> None:
        """Park a re-test until ``due`` (monotonic clock)."""
        self._retest_order += 1
        heapq.heappush(self.retests, (due, self._retest_order, request))
        if self.frontier is not None:
            self.frontier.hold(request, self)

    # -- scope and normalisation ---------------------------------------------------------------------
    def normalise(self, url: str) -> str:
        """Drop session ids (``;jsessionid=``, ``?sid=``): the same page under a new id is a crawler trap."""
        if ";" not in url and "?" not in url:
            return url
        parts = urlsplit(url)
        path = re.sub(r";(jsessionid|phpsessid|sid)=[^/?#]*", "", parts.path, flags=re.I)
        query = parts.query
        if query and self.session_params:
            pairs = parse_qsl(query, keep_blank_values=True)
            kept = [(k, v) for k, v in pairs if k.lower() not in self.session_params]
            if len(kept) != len(pairs):
                query = urlencode(kept)
        return urlunsplit((parts.scheme, parts.netloc, path, query, ""))

    def in_scope(self, url: str) -> bool:
        host = _host(url)
        if host == self.home_host:
            return True
        if self.config.include_subdomains:
            return host == self.base_domain or host.endswith("." + self.base_domain)  # ports must match too
        return False

    def trap_reason(self, url: str) -> str | None:
        if len(url) > self.config.max_url_length:
            return "url_too_long"
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if segments and max(Counter(segments).values()) >= 3:
            return "trap"
        if parts.query:
            key = parts.netloc + parts.path
            self.query_variants[key] += 1
            count = self.frontier.query_variant(key) if self.frontier is not None else self.query_variants[key]
            if count > self.config.max_query_variants:
                return "trap"
        return None

    # -- requests --------------------------------------------------------------------------------------
    def make_request(self, url: str, kind: str, depth: int, *, crawl: bool, attempts: list | None = None,
                     method: str | None = None) -> Request:
        meta = {"kind": kind, "depth": depth, "crawl": crawl, "attempts": attempts or [], "orig_url": url}
        # A follow-up (the GET after a failed HEAD, a re-test) goes ahead of the frontier: finishing a URL
        # comes before starting new ones, so the end of the scan never waits behind the whole queue.
        if crawl:
            return Request(url, callback=self.parse_page, errback=self.on_error, meta=meta, dont_filter=True,
                           priority=RETEST_PRIORITY if attempts else -depth)
        meta["headers_only"] = method == "GET"
        # A GET stopped after its headers closes its connection.  When the whole (small) answer had already
        # arrived, Twisted's pool had taken that connection back, and the next request sent on it died with it
        # and was re-sent unseen (the server counted two requests, the scan one).  Asking the server to close
        # leaves the pool nothing to take back.
        headers = {"Connection": "close"} if meta["headers_only"] else None
        return Request(url, method=method or "HEAD", callback=self.on_checked, errback=self.on_error, meta=meta,
                       headers=headers, dont_filter=True, priority=RETEST_PRIORITY if attempts else -depth - 1)

    def discover(self, url: str, tag: str, anchor: str, source_key: int, depth: int,
                 deferred: bool = False) -> Request | None:
        """Record that a page carries a link to ``url`` (its tag and anchor text, as ``Link`` has them); return a
        Request if the URL is new and should be fetched.  Called once per anchor of every page: most URLs are
        met again (menus, pagers), and those cost only their key and their ref."""
        if url.startswith("invalid:"):
            key = url_key(url)
            self.writer.add_ref(key, source_key, tag, anchor)
            if self.claim(key):
                self.writer.add_url(key, url, "resource", depth, state="done")
                self.writer.record(UrlRecord(url=url, kind="resource", depth=depth, state="done", error="invalid_url"))
            return None
        url = self.normalise(url)
        key = url_key(url)
        self.writer.add_ref(key, source_key, tag, anchor)
        if not self.claim(key):
            return None
        in_scope = self.in_scope(url)
        is_page = tag in ("a", "area", "iframe", "frame", "meta-refresh") and not urlsplit(url).path.lower().endswith(self.attachments)
        kind = "external" if not in_scope else "page" if is_page else "resource"
        if self.exclude and any(p.search(url) for p in self.exclude):  # neither crawled nor checked, on- or off-site
            self.writer.add_url(key, url, kind, depth, state="skipped", skip_reason="excluded")
            self.skipped["excluded"] += 1
            return None
        if not in_scope:
            if not self.config.check_external:
                self.writer.add_url(key, url, "external", depth, state="skipped", skip_reason="external_not_checked")
                return None
            self.writer.add_url(key, url, "external", depth)
            if self._host_decides(url, "external", depth, []):
                return None
            return self.reading_request(url, "external", depth, tag) or self.make_request(url, "external", depth, crawl=False)
        if not is_page:
            self.writer.add_url(key, url, kind, depth)
            return self.reading_request(url, kind, depth, tag) or self.make_request(url, kind, depth, crawl=False)
        reason = self.trap_reason(url)
        if reason:
            self.writer.add_url(key, url, kind, depth, state="skipped", skip_reason=reason)
            self.skipped[reason] += 1
            return None
        # Pages beyond the caps are still checked (a dead link there is still a dead link), just not parsed.
        limit = None
        included = not self.include or any(p.search(url) for p in self.include)
        if self.config.max_depth and depth > self.config.max_depth:
            limit = "depth_cap"
        elif not self.take_page(included):
            limit = "page_cap"
        elif not included:
            limit = "not_included"
        self.writer.add_url(key, url, kind, depth)
        if limit:
            self.skipped[limit] += 1
            return self.make_request(url, kind, depth, crawl=False)
        request = self.make_request(url, kind, depth, crawl=True)
        if deferred:
            request.priority -= 10000
        return request

    async def start(self) -> AsyncIterator[Any]:
        if not self.config.seeder:  # a worker joining a shared crawl: the frontier is in Redis already
            return
        if self.config.resume:
            # the host's facts so far are kept (one row: a new fact rewrites it); a probe the stop cut short runs again
            self.host_facts = dict(self.store.view(self.config.scan_id).hosts().get(self.home_host, {}))
            https = self.host_facts.get("https_probe")
            if https is None or https.get("error") == "not_finished":
                for probe_request in self.probe_https():
                    yield probe_request
            seen = self.store.seen_keys(self.config.scan_id)
            self.seen = KeySet(seen)
            self.pages_scheduled = self.store.pages_scheduled(self.config.scan_id)
            if self.frontier is not None:  # the store is the truth: the shared frontier is rebuilt from it
                self.frontier.reset(seen, self.pages_scheduled)
            del seen
            for url, kind, depth in self.store.pending(self.config.scan_id):
                if kind == "endpoint":  # its request (method, body) is its page's fact, not in the URL table
                    continue
                # (the tag that carried a URL is not kept with it: a resumed read goes by the URL alone)
                yield self.reading_request(url, kind, depth, None) or self.make_request(url, kind, depth, crawl=kind == "page")
            return
        key = url_key(self.home)
        self.claim(key)
        self.take_page(True)
        self.writer.add_url(key, self.home, "page", 0)
        yield self.make_request(self.home, "page", 0, crawl=True)
        for probe_request in self.probe_https():
            yield probe_request
        parts = urlsplit(self.home)
        probe = f"{parts.scheme}://{parts.netloc}/govaudit-not-found-probe-{secrets.token_hex(6)}.html"
        yield Request(probe, callback=self.on_probe, errback=self.on_probe_error, dont_filter=True, priority=10,
                      meta={"probe": True})

    # -- responses -------------------------------------------------------------------------------------
    def on_headers(self, headers: Any, body_length: int, request: Request, spider: Spider) -> None:
        """Stop downloading bodies nobody will read: checked links and pages that turn out not to be HTML."""
        meta = request.meta
        note_transfer(meta, headers)  # speed facts: Content-Encoding is gone once decoded
        if meta.get("headers_only"):
            raise StopDownload(fail=False)
        if "read" in meta:
            self.on_read_headers(meta, headers)
        if meta.get("crawl"):
            ctype = (headers.get(b"Content-Type") or b"").decode("latin-1").lower()
            if ctype and not ctype.startswith(_HTML_TYPES):
                raise StopDownload(fail=False)

    def _attempts(self, request: Request, status: int | None = None, error: str | None = None) -> list[dict]:
        """The request's attempt history plus this attempt: when it ended, and how long it was on the wire
        (0 when it never reached the wire)."""
        meta = request.meta
        attempt = {"at": round(time.time(), 3), "method": request.method, "elapsed": round(meta.get(WIRE_SECONDS, 0.0), 3)}
        if "read" in meta:  # the GET that read the body stands where the HEAD check was: not a re-test
            attempt["read"] = meta["read"]
        if status is not None:
            attempt["status"] = status
        if error:
            attempt["error"] = error
        return [*meta.get("attempts", []), attempt]

    def _record(self, request: Request, response: Response | None, attempts: list[dict], *, error: str | None = None,
                facts: PageFacts | None = None, state: str = "done") -> None:
        meta = request.meta
        rec = UrlRecord(url=meta["orig_url"], kind=meta["kind"], depth=meta["depth"], state=state, attempts=attempts,
                        error=error, facts=facts, redirects=list(meta.get("redirect_urls", [])))
        if response is None and rec.redirects:
            rec.final_url = request.url  # the redirect target that failed (e.g. https:// on a closed port)
        if response is not None:
            if attempts:  # the attempt that got this response: what it cost on the wire (checks/speed.py)
                attempts[-1].update(transfer(meta, response.body, bool(meta.get("crawl")) and request.method == "GET"
                                             and "download_stopped" not in response.flags))
            rec.status = response.status
            rec.final_url = response.url if response.url != rec.url else None
            rec.content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")[:200] or None
            length = response.headers.get(b"Content-Length")
            rec.size = int(length) if length and length.isdigit() else len(response.body)
            location = response.headers.get(b"Location")
            if response.status in (301, 302, 303, 307, 308) and location and not error:
                # RedirectMiddleware follows http(s) only: this one leads where no web check can go (ftp:, …)
                rec.error = "redirect_scheme"
                rec.redirects.append(response.urljoin(location.decode("latin-1")))
        self.writer.record(rec)
        page = facts is not None and rec.kind == "page"
        self.counts["fetched" if page else "checked"] += 1
        if page:
            self.last_page_at = time.time()
        if rec.error or (response is not None and response.status >= 400):
            self.counts["errors"] += 1
        self._finished(rec.url, rec.kind, rec.error, attempts)

    def _finished(self, url: str, kind: str, error: str | None, attempts: list[dict]) -> None:
        """A URL reached a final state: the watchdog's measure of progress, and a host's verdict if it was the probe."""
        self.last_progress = time.monotonic()
        if kind == "external":
            judgement = self.judged.get(host_key(url))
            if judgement is not None and judgement.probe == url and judgement.verdict is None:
                self._settle(judgement, error, attempts)

    # -- off-site hosts that do not resolve or refuse connections: judged once per host ------------------
    def _host_decides(self, url: str, kind: str, depth: int, attempts: list[dict]) -> bool:
        """True if the URL's host is judged, or being judged, on another URL: the URL waits for or takes the
        verdict instead of being requested (again)."""
        judgement = self.judged.get(host_key(url))
        if judgement is None or judgement.probe == url or judgement.verdict == "alive":
            return False
        if judgement.verdict is None:
            judgement.waiting.append((url, kind, depth, attempts))
            if attempts:  # a resumed scan starts from it again
                self.writer.record(UrlRecord(url=url, kind=kind, depth=depth, state="retest", attempts=attempts))
            return True
        self._take_verdict(url, kind, depth, attempts, judgement)
        return True

    def holds(self, request: Request) -> bool:
        """Asked by the downloader middleware before a request goes out: a request queued before its off-site
        host came under judgement must not go out (``on_error`` then parks it or gives it the verdict)."""
        meta = request.meta
        if meta.get("kind") != "external":
            return False
        judgement = self.judged.get(host_key(meta["orig_url"]))
        return judgement is not None and judgement.probe != meta["orig_url"] and judgement.verdict != "alive"

    def _settle(self, judgement: HostJudgement, error: str | None, attempts: list[dict]) -> None:
        judgement.verdict = "dead" if error in HOST_ERRORS else "alive"
        judgement.error, judgement.attempts = error, attempts
        waiting, judgement.waiting = judgement.waiting, []
        for url, kind, depth, own in waiting:
            if judgement.verdict == "dead":
                self._take_verdict(url, kind, depth, own, judgement)
            else:  # the host answers after all: each URL is checked on its own
                self.crawler.engine.crawl(self.make_request(url, kind, depth, crawl=False, attempts=own,
                                                            method="GET" if own else None))

    def _take_verdict(self, url: str, kind: str, depth: int, own: list[dict], judgement: HostJudgement) -> None:
        """Record a URL of a dead host with the host's attempt history (each attempt names the URL it was made on)."""
        shared = [{**a, "url": judgement.probe} for a in judgement.attempts]
        attempts = sorted([*own, *shared], key=lambda a: a["at"])
        self.writer.record(UrlRecord(url=url, kind=kind, depth=depth, state="done", error=judgement.error,
                                     attempts=attempts))
        self.counts["checked"] += 1
        self.counts["errors"] += 1
        self.last_progress = time.monotonic()

    def _maybe_retest(self, request: Request, attempts: list[dict], response: Response | None = None) -> bool:
        """Suspect outcomes are tried again later (spaced out, and no sooner than Retry-After) before they are reported."""
        if sum(1 for a in attempts if a["method"] == "GET" and "read" not in a) > self.config.retests:
            return False
        meta = request.meta
        again = self.make_request(meta["orig_url"], meta["kind"], meta["depth"], crawl=meta["crawl"],
                                  attempts=attempts, method="GET")
        wait = self.config.retest_delay
        if response is not None:
            wait = max(wait, min(retry_after_seconds(response.headers.get(b"Retry-After")) or 0.0, MAX_BACKOFF))
        self.later(time.monotonic() + wait, again)
        self.writer.add_url(url_key(meta["orig_url"]), meta["orig_url"], meta["kind"], meta["depth"])
        self.writer.record(UrlRecord(url=meta["orig_url"], kind=meta["kind"], depth=meta["depth"], state="retest",
                                     attempts=attempts))
        return True

    def on_checked(self, response: Response) -> Any:
        request = _request_of(response)
        attempts = self._attempts(request, status=response.status)
        if request.method == "HEAD" and (response.status >= 400 or response.status in (405, 501)):
            # Many servers answer HEAD wrongly; a GET (stopped after the headers) decides.
            meta = request.meta
            yield self.make_request(meta["orig_url"], meta["kind"], meta["depth"], crawl=False, attempts=attempts,
                                    method="GET")
            return
        if response.status >= 500 or response.status == 429:
            if self._maybe_retest(request, attempts, response):
                return
        self._record(request, response, attempts)

    async def parse_page(self, response: Response) -> Any:
        request = _request_of(response)
        meta = request.meta
        attempts = self._attempts(request, status=response.status)
        if response.status >= 500 or response.status == 429:
            if not self._maybe_retest(request, attempts, response):
                self._record(request, response, attempts)
            return None
        ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if response.status >= 300 or (ctype and not ctype.startswith(_HTML_TYPES)) or not self.in_scope(response.url):
            self._record(request, response, attempts)
            return None
        body = response.body
        if looks_binary(body):
            self._record(request, response, attempts, error="binary_body")
            return None
        declared = _declared_charset(ctype)
        url = response.url
        if not self.claim_analysed(url_key(url)):
            # Another URL already redirected here (or this is that redirect's target): the document's facts and
            # links are gathered once; ScanView.pages() lists this URL among the document's aliases.
            self._record(request, response, attempts)
            return None
        try:
            analysis = await self.analyser.analyse(url, body, declared, meta["depth"] == 0, self.config.as_of, self.home)
        except Exception as exc:  # a page that breaks the parser is a finding about coverage, not a crash
            self.logger.warning("could not analyse %s: %r", url, exc)
            self._record(request, response, attempts, error="unparsable")
            return None
        facts = analysis.facts
        if "not_analysed" in facts:  # its links are crawled, the page counts in coverage (by why: what was read differs)
            self.skipped[unread_code(facts["not_analysed"])] += 1
            self.logger.warning("not analysed %s: %s", url, facts["not_analysed"])
        # Lists that CMSs keep only in script data (JSON, datastore) and pagination built by script are links too.
        # The links stay the worker's (url, tag, anchor, hidden) tuples: a Link object per anchor was most of
        # what this loop cost on pages whose pagers list hundreds of pages.
        pagination = facts.get("pagination", [])
        links = [*analysis.links,
                 *((item["url"], "a", item.get("title") or "", True) for item in facts.get("list_items", [])
                   if item.get("url")),
                 *((p["url"], "a", "", True) for p in pagination)]
        # Deep archive pages go to the back of the queue: under a page cap, every column's newest
        # pages are read before any column's old ones.
        deep = {p["url"] for p in pagination if p.get("index", 0) > self.config.list_pages_first}
        source_key = url_key(meta["orig_url"])
        depth = meta["depth"] + 1
        done: set[tuple[str, str, str]] = set()
        crawl = self.crawler.engine.crawl
        discover = self.discover
        for link_url, tag, anchor, hidden in links:
            marker = (link_url, tag, anchor)
            if marker in done or (hidden and (link_url, "a", "") in done):
                continue
            done.add(marker)
            req = discover(link_url, tag, anchor, source_key, depth, link_url in deep)
            if req is not None:
                # Straight into the scheduler: returning dozens of requests per page through Scrapy's
                # spider-output machinery cost a third of the engine's time (measured with py-spy).
                crawl(req)
        endpoint = fetched_endpoint(facts)
        if endpoint is not None:
            self.fetch_endpoint(endpoint, meta["orig_url"], source_key, depth)
        if "download_stopped" in response.flags:
            facts["truncated"] = True
        self._record(request, response, attempts, facts=facts)
        if self.writer.backlog > 20000:
            self.writer.flush()
        return None

    def fetch_endpoint(self, endpoint: dict[str, str], page_url: str, source_key: int, depth: int) -> None:
        """Request the first page of the list endpoint a column page's script names (issue 11 item 3): one
        request, on the site's own host, through the same middlewares (robots.txt, Crawl-delay, the host's
        slot, size limit) as any page.  Its answer is stored under ``record_url(endpoint)``, kind ``endpoint``."""
        url = record_url(endpoint)
        key = url_key(url)
        if not self.in_scope(endpoint["url"]) or len(url) > self.config.max_url_length or not self.claim(key):
            return
        self.writer.add_url(key, url, "endpoint", depth)
        self.writer.add_ref(key, source_key, "endpoint", "")
        post = endpoint["method"] == "POST"
        headers = {"X-Requested-With": "XMLHttpRequest", "Referer": page_url}
        if post:
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8"
        meta = {"kind": "endpoint", "depth": depth, "crawl": False, "attempts": [], "orig_url": url, "page": page_url}
        self.crawler.engine.crawl(Request(endpoint["url"], method="POST" if post else "GET",
                                          body=endpoint["body"] if post else None, headers=headers,
                                          callback=self.on_endpoint, errback=self.on_error, meta=meta,
                                          dont_filter=True, priority=RETEST_PRIORITY))

    def on_endpoint(self, response: Response) -> None:
        """An endpoint's answer: its items (or why there are none) become the facts of its record."""
        request = _request_of(response)
        attempts = self._attempts(request, status=response.status)
        items: list[dict[str, Any]]
        reason: str | None
        letters: list[dict[str, Any]] = []
        if (response.status >= 500 or response.status == 429) and self._retry_endpoint(request, attempts):
            return
        if response.status >= 300:
            items, reason = [], f"http_{response.status}"
        else:
            ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
            items, reason = read_answer(response.body, ctype, response.url, self.config.as_of)
            letters = read_letters(response.body, ctype, response.url, self.config.as_of)
        meta = request.meta
        facts = {"list_items": items, "endpoint": {"page": meta["page"], "reason": reason, "items": len(items)}}
        if letters:  # a mailbox's list endpoint: its letters are the page's (checks/interaction.py reads them)
            facts["letters"] = letters
        self._record(request, response, attempts, facts=facts)  # type: ignore[arg-type]
        # The items are the column's links (a reader clicks them): checked, and crawled, as the page's own.
        source_key = url_key(meta["page"])
        for item in items:
            req = self.discover(item["url"], "a", item.get("title") or "", source_key, meta["depth"])
            if req is not None:
                self.crawler.engine.crawl(req)

    def _retry_endpoint(self, request: Request, attempts: list[dict]) -> bool:
        """One more try after the re-test delay, never more (an endpoint is a single request).  A POST on a
        keep-alive connection the server had closed fails with a reset and, unlike a GET, is not re-sent by
        the connection pool."""
        if len(attempts) > 1:
            return False
        again = request.replace(meta={**request.meta, "attempts": attempts}, dont_filter=True)
        self.later(time.monotonic() + self.config.retest_delay, again)
        return True

    def on_error(self, failure: Failure) -> Any:
        request: Request = failure.request  # type: ignore[attr-defined]  # set by Scrapy on download failures
        meta = request.meta
        exc = failure.value
        if isinstance(exc, HostJudged):
            if not self._host_decides(meta["orig_url"], meta["kind"], meta["depth"], meta["attempts"]):
                # the verdict came in meanwhile, and the host answers: the URL goes out after all
                self.crawler.engine.crawl(self.make_request(meta["orig_url"], meta["kind"], meta["depth"], crawl=False,
                                                            attempts=meta["attempts"], method=request.method))
            return
        if isinstance(exc, IgnoreRequest):
            text = str(exc)
            if "robots.txt" in text:
                self._skip(request, "robots")
            elif isinstance(exc, CircuitOpen):
                self._skip(request, "circuit_open")
            elif "max size" in text or "maxsize" in text.lower() or "decompress" in text.lower():
                # a gzip bomb: HttpCompressionMiddleware refused to inflate it past DOWNLOAD_MAXSIZE
                self._record(request, None, self._attempts(request, error="too_large"), error="too_large")
            elif "redirect" in text.lower():
                chain = [*meta.get("redirect_urls", []), request.url]
                loop = len(set(chain)) < len(chain)
                attempts = self._attempts(request, error="redirect_loop" if loop else "redirect_chain")
                rec = UrlRecord(url=meta["orig_url"], kind=meta["kind"], depth=meta["depth"], state="done",
                                attempts=attempts, error="redirect_loop" if loop else "redirect_chain", redirects=chain)
                self.writer.record(rec)
                self.counts["errors"] += 1
                self._finished(rec.url, rec.kind, rec.error, attempts)
            else:
                self._skip(request, "ignored")
            return
        error = classify_error(failure)
        attempts = self._attempts(request, error=error)
        url = meta["orig_url"]
        if meta["kind"] == "endpoint":
            if not (error in RETEST_ERRORS and self._retry_endpoint(request, attempts)):
                self._record(request, None, attempts, error=error)
            return
        if error in HOST_ERRORS and meta["kind"] == "external" and host_key(request.url) == host_key(url):
            # (not after a redirect to another host: the failure is that host's, not this URL's)
            self.judged.setdefault(host_key(url), HostJudgement(probe=url))
            if self._host_decides(url, meta["kind"], meta["depth"], attempts):
                return
        if (request.method == "HEAD" or "read" in meta) and error != "too_large":  # a read stands where the HEAD was
            yield self.make_request(meta["orig_url"], meta["kind"], meta["depth"], crawl=False, attempts=attempts,
                                    method="GET")
            return
        if error in RETEST_ERRORS and self._maybe_retest(request, attempts):
            return
        self._record(request, None, attempts, error=error)

    def _skip(self, request: Request, reason: str) -> None:
        meta = request.meta
        self.skipped[reason] += 1
        self.writer.record(UrlRecord(url=meta["orig_url"], kind=meta["kind"], depth=meta["depth"], state="skipped",
                                     skip_reason=reason))
        self._finished(meta["orig_url"], meta["kind"], None, [])

    def on_probe(self, response: Response) -> None:
        """Fingerprint the host's answer to a path that cannot exist: the reference for soft-404 detection."""
        title = None
        if response.status == 200 and response.body:
            text, _ = decode_html(response.body[:200000])
            el = parse_html(text).find(".//title")
            title = " ".join(el.text_content().split()) if el is not None else None
        self.host_fact("not_found_probe", {
            "url": _request_of(response).meta.get("redirect_urls", [response.url])[0], "status": response.status,
            "final_url": response.url, "title": title, "size": len(response.body)})

    def on_probe_error(self, failure: Failure) -> None:
        self.host_fact("not_found_probe", {"error": classify_error(failure)})

    def host_fact(self, key: str, value: Any) -> None:
        """One fact of the site's host; the store keeps a host's facts as one row, so they are merged here."""
        self.host_facts[key] = value
        if self.frontier is not None:  # the probes' answers reach whichever worker: the facts are merged in Redis
            self.host_facts = self.frontier.host_facts(self.home_host, key, value)
        self.store.set_host_facts(self.config.scan_id, self.home_host, dict(self.host_facts))

    # -- lifecycle -------------------------------------------------------------------------------------
    def tick(self) -> None:
        """Every TICK_SECONDS: send the re-tests that are due (whether or not the engine is idle), then the watchdog.

        Never raises: an exception would stop the LoopingCall, and with it every later re-test and the watchdog."""
        if self.closed:
            return
        now = time.monotonic()
        try:
            if self.stalled_at is None:
                engine = self.crawler.engine
                while self.retests and self.retests[0][0] <= now:
                    request = heapq.heappop(self.retests)[2]
                    engine.crawl(request)
                    if self.frontier is not None:
                        self.frontier.unhold(request)
            self.watchdog(now)
        except Exception:  # noqa: BLE001 - logged; the next tick tries again
            self.logger.exception("re-test release or watchdog failed")

    def watchdog(self, now: float) -> None:
        stall = self.config.stall_seconds
        if self.stalled_at is None:
            if now - self.last_progress >= stall:
                self.stalled_at = now
                say(f"no URL finished for {stall:.0f} s: ending the crawl; the URLs not finished are reported "
                    "as not checked (stalled)")
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="stalled"))
        elif now - self.stalled_at >= stall:
            self.finish_stuck_crawl()

    def finish_stuck_crawl(self) -> None:
        """The close waited ``stall_seconds`` too (a download or page analysis that nothing bounds): record the
        scan as the watchdog left it and stop the reactor without waiting for what is stuck."""
        from twisted.internet import reactor  # imported late: importing it early would pin the wrong reactor

        say(f"the crawl did not close within {self.config.stall_seconds:.0f} s of stopping; finishing it without "
            "waiting for the requests still in flight")
        for child in multiprocessing.active_children():  # page-analysis workers, one of them stuck on a page
            child.terminate()
        self.on_closed(self, "stalled")
        # Crawler.stop_async() first: the reactor's shutdown then finds the crawler stopping, not waiting on it.
        deferred_from_coro(self.crawler.stop_async())
        reactor.stop()  # type: ignore[misc]  # twisted types the global reactor as a module-level function

    def on_idle(self, spider: Spider) -> None:
        """The engine has nothing to download or parse.  Stay open while re-tests or URLs waiting on a host's
        verdict remain; the ticker sends them when due, so nothing here depends on idle being signalled again."""
        if self.stalled_at is not None or self.closed:
            return
        if not self.retests:
            # No re-test is left to settle a host: URLs still waiting on it are checked one by one, never lost.
            for judgement in self.judged.values():
                if judgement.waiting:
                    self._settle(judgement, None, judgement.attempts)
        if self.retests or any(j.waiting for j in self.judged.values()):
            raise DontCloseSpider
        if self.frontier is not None and self.frontier.busy():  # other workers still crawl: their work may come here
            raise DontCloseSpider

    def progress(self) -> dict[str, Any]:
        elapsed = max(time.time() - self.started, 1e-6)
        return {"pages": self.counts["fetched"], "checked": self.counts["checked"], "errors": self.counts["errors"],
                "queued": len(self.crawler.engine._slot.scheduler) if self.crawler.engine._slot else 0,  # type: ignore[arg-type]
                "pages_per_s": self.counts["fetched"] / elapsed,
                "retests": len(self.retests) + sum(len(j.waiting) for j in self.judged.values()),
                "idle_seconds": time.monotonic() - self.last_progress, "stall_seconds": self.config.stall_seconds}

    def _unfinished_in_memory(self) -> list[UrlRecord]:
        """Re-tests not yet sent and URLs waiting on a host: what only the spider knows is unfinished."""
        recs = [UrlRecord(url=r.meta["orig_url"], kind=r.meta["kind"], depth=r.meta["depth"], attempts=r.meta["attempts"],
                          status=r.meta["attempts"][-1].get("status"), error=r.meta["attempts"][-1].get("error"))
                for _, _, r in self.retests]
        recs += [UrlRecord(url=url, kind=kind, depth=depth, attempts=own)
                 for j in self.judged.values() for url, kind, depth, own in j.waiting]
        self.retests.clear()
        for judgement in self.judged.values():
            judgement.waiting.clear()
        return recs

    def _mark_stalled(self, records: list[UrlRecord]) -> int:
        """Every URL the crawl did not finish becomes not checked, reason ``stalled``, keeping what it learnt."""
        writer = StoreWriter(self.store, self.config.scan_id)
        done: set[int] = set()
        for rec in records:
            rec.state, rec.skip_reason = "skipped", "stalled"
            writer.record(rec)
            done.add(rec.key)
        view = self.store.view(self.config.scan_id)
        for url, kind, depth in self.store.pending(self.config.scan_id):
            if url_key(url) in done:
                continue
            stored = view.get(url)
            writer.record(UrlRecord(url=url, kind=kind, depth=depth, state="skipped", skip_reason="stalled",
                                    status=stored.status if stored else None, error=stored.error if stored else None,
                                    attempts=stored.attempts if stored else []))
            done.add(url_key(url))
        writer.close()
        return len(done)

    def flush_store(self) -> None:
        """Every second.  The writer's thread reports a write it could not make (disk full, the PostgreSQL
        server gone) at the next flush: the crawl then ends at once, reason ``store_failed``, instead of fetching
        on for hours into memory what can never be kept.  What was written stays resumable."""
        try:
            self.writer.flush()
            if self.frontier is not None:  # leases end once their rows are written (crawler/distributed.py)
                self.frontier.settle()
        except StoreError as exc:
            if self.store_failure is None:
                self.store_failure = str(exc)
                say(f"{exc}: ending the crawl; what was written is kept: fix the store and run the same command "
                    "with --resume")
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="store_failed"))

    def on_closed(self, spider: Spider, reason: str) -> None:
        if self.closed:  # finish_stuck_crawl() already did this
            return
        self.closed = True
        for loop in (self._flusher, self._ticker):
            if loop.running:
                loop.stop()
        if reason == "store_failed":
            self._close_failed_store()
            return
        unfinished = self._unfinished_in_memory() if reason == "stalled" else []
        self.writer.close()
        if reason == "stalled":
            self.skipped["stalled"] = self._mark_stalled(unfinished)
        stats = {"pages_crawled": self.counts["fetched"], "urls_checked": self.counts["checked"],
                 "errors": self.counts["errors"], "skipped": dict(self.skipped), "close_reason": reason,
                 "seconds": round(time.time() - self.started, 2),
                 "last_page_seconds": round(self.last_page_at - self.started, 2) if self.last_page_at else None}
        self.finish_https_probe(reason)
        if self.frontier is not None and not self._close_shared(stats, reason):
            return
        previous = self.store.scan(self.config.scan_id).stats if self.config.resume else {}
        if previous:
            stats["resumed"] = previous.get("resumed", 0) + 1
            stats["pages_crawled"] += previous.get("pages_crawled", 0)
            stats["urls_checked"] += previous.get("urls_checked", 0)
        # A stalled crawl is a finished one: what it could not finish is in the report as not checked.
        finished = reason in ("finished", "stalled") and "redis_lost" not in stats
        self.store.finish_scan(self.config.scan_id, stats, state="crawled" if finished else "interrupted")
        self.store.close()
        self.analyser.close()

    def _close_failed_store(self) -> None:
        """Close down after a failed write: nothing more can be written (the writer re-raises its failure), so
        the scan is marked interrupted only if the store still takes that one statement."""
        self.analyser.close()
        # A shared crawl's frontier is left as it is (not closed, which would settle leases whose rows were never
        # written): its heartbeat ends with this process, and another worker returns the leases to the queue.
        for step in (self.writer.close, lambda: self.store.finish_scan(self.config.scan_id, {
                "close_reason": "store_failed", "store_failure": self.store_failure,
                "pages_crawled": self.counts["fetched"]}, state="interrupted"), self.store.close):
            try:
                step()
            except Exception:  # noqa: BLE001 - a store that failed may fail in any way now; the failure was said
                pass

    def _close_shared(self, stats: dict[str, Any], reason: str) -> bool:
        """A shared crawl: this worker's figures join the scan's; only the scan's own process (the seeder) then
        finishes the scan, with everyone's figures, once the others have left.  False: leave the scan alone."""
        frontier = self.frontier
        frontier.close({"pages_crawled": stats["pages_crawled"], "urls_checked": stats["urls_checked"],
                        "errors": stats["errors"], **{f"skipped.{k}": v for k, v in self.skipped.items()}}, seeder=self.config.seeder)
        if not self.config.seeder:
            self.store.close()
            self.analyser.close()
            return False
        if reason == "finished":
            frontier.wait_for_others(frontier.lease_seconds * 3)
        total = frontier.stats() if not frontier.lost else {}
        if total:
            stats.update({k: total.get(k, 0) for k in ("pages_crawled", "urls_checked", "errors")})
            stats["skipped"] = {k.split(".", 1)[1]: v for k, v in total.items() if k.startswith("skipped.")}
        stats["workers"] = "redis"
        if frontier.lost:
            stats["redis_lost"] = frontier.lost
        return True

    # -- issue 14: attachments and off-site targets read in full, the HTTPS probe -------------------------
    def reading_request(self, url: str, kind: str, depth: int, tag: str | None) -> Request | None:
        """A GET of the whole body (instead of the HEAD check) for an attachment whose text is read, a same-site
        style sheet or an off-site link target whose page is read; None when no rule wants it.  One request
        either way: the answer is the link's check too, and a failure goes on as a failed HEAD does (a GET, then
        the re-tests: the read attempt, marked ``read``, does not count as one).  The body is capped
        (``on_read_headers``, ``on_read_bytes``).  ``tag`` None: not known (a resumed scan)."""
        fmt = format_of(url) if self.config.read_attachments and kind == "resource" else None
        if fmt is not None and self.attachments_read < self.config.attachment_caps.max_files:
            self.attachments_read += 1
            read, cap = "attachment", self.config.attachment_caps.max_bytes
        elif kind == "external" and tag in ("a", None) and self.config.offsite_dictionaries:
            read, cap = "offsite", self.config.offsite_max_bytes  # (a resumed image or script: stopped at its headers)
        elif kind == "resource" and tag in ("link", None) and self.config.read_stylesheets and \
                urlsplit(url).path.lower().endswith(".css"):
            read, cap = "css", STYLESHEET_MAX_BYTES
        else:
            return None
        # Scrapy's own size limit a little above the cap (it also bounds gzip inflation), so the cap stops first.
        meta = {"kind": kind, "depth": depth, "crawl": False, "attempts": [], "orig_url": url, "read": read,
                "format": fmt, "read_cap": cap, "read_bytes": 0, "download_maxsize": cap + 1048576}
        # A read may be stopped at its headers (a linked PDF or image off-site; an attachment URL answering a CMS's
        # HTML "not found" page): asking the host to close keeps the stopped connection out of Twisted's pool,
        # where the next request sent on it would die and be re-sent unseen (the server counted an image's GET
        # twice after a .docx that answered 404 as HTML, more often when several workers share a host).
        headers = {"Connection": "close"}
        return Request(url, callback=self.on_read, errback=self.on_error, meta=meta, headers=headers, dont_filter=True,
                       priority=-depth - 1)

    def on_read_headers(self, meta: dict[str, Any], headers: Any) -> None:
        length = headers.get(b"Content-Length") or b""
        ctype = (headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if length.isdigit() and int(length) > meta["read_cap"]:
            meta["read_stopped"] = "too_large"
        elif meta["read"] == "offsite" and ctype and not ctype.startswith(_HTML_TYPES):
            meta["read_stopped"] = "not_html"
        elif meta["read"] == "attachment" and ctype.startswith("text/html"):
            meta["read_stopped"] = "html_page"  # a CMS's "file not found" or login page under the file's URL
        else:
            return
        raise StopDownload(fail=False)

    def on_read_bytes(self, data: bytes, request: Request, spider: Spider) -> None:
        meta = request.meta
        if "read" in meta:
            meta["read_bytes"] += len(data)
            if meta["read_bytes"] > meta["read_cap"]:
                meta["read_stopped"] = "too_large"
                raise StopDownload(fail=False)

    async def on_read(self, response: Response) -> None:
        """A read attachment or off-site target: checked as any link (a failure goes the usual way), then its
        text read in an analysis worker under the page budget."""
        request = _request_of(response)
        meta = request.meta
        if response.status != 200:
            for follow in self.on_checked(response):
                self.crawler.engine.crawl(follow)
            return
        attempts = self._attempts(request, status=response.status)
        facts: dict[str, Any] | None = None
        stopped = meta.get("read_stopped") or ("truncated" if "download_stopped" in response.flags else None)
        read = meta["read"]
        try:
            if read == "attachment":
                empty = {"attachment": {"format": meta["format"], "parts": 0, "chars": 0}}
                facts = unread(empty, stopped) if stopped else await self.analyser.read(
                    attachment_facts, (response.body, meta["format"], self.config.attachment_caps), empty)
            elif read == "css":
                facts = {"css_hiding": [], "css_reason": stopped} if stopped else await self.analyser.read(
                    css_facts, (response.body,), {})
            elif stopped != "not_html":
                ctype = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
                facts = await self.analyser.read(offsite_facts, (response.body, _declared_charset(ctype),
                                                                 self.config.offsite_dictionaries),
                                                 {"offsite": {"words": [], "excerpt": ""}})
                if stopped and facts is not None:
                    facts["offsite"]["truncated"] = True
        except Exception as exc:  # noqa: BLE001 - a file that breaks its reader is a fact, not a crash
            self.logger.warning("could not read %s: %r", response.url, exc)
            facts = None
        self._record(request, response, attempts, facts=facts)  # type: ignore[arg-type]

    def probe_https(self) -> Any:
        """Once per scan: the TLS handshake with the site's host (``crawler/https_probe.py``), and, for a site
        started at https://, whether http:// redirects there (a homepage started at http:// shows it already)."""
        if not self.config.https_port:
            return
        parts = urlsplit(self.home)
        timeout = self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 15.0)
        self._https_wait = 2 * timeout + 1
        self._https_thread = threading.Thread(target=lambda: self._https_result.update(
            https_probe.probe(parts.hostname or "", self.config.https_port, timeout)), daemon=True)
        self._https_thread.start()
        if parts.scheme == "https":
            plain = urlunsplit(("http", parts.hostname or "", "/", "", ""))
            yield Request(plain, callback=self.on_http_probe, errback=self.on_http_probe_error, dont_filter=True,
                          priority=10, meta={"probe": True, "dont_redirect": True, "handle_httpstatus_all": True})

    def finish_https_probe(self, reason: str) -> None:
        """At the close: the probe's result becomes a host fact (written here, in the thread that owns the store).
        A finished crawl shorter than the handshake waits for it, at most twice the time-out; a stopped one does
        not wait (a stop must end the scan within seconds): the probe is then ``not_finished``."""
        if self._https_thread is None:
            return
        self._https_thread.join(self._https_wait if reason == "finished" else 0)
        self.host_fact("https_probe", dict(self._https_result) or {"port": self.config.https_port, "offered": False,
                                                                  "error": "not_finished"})

    def on_http_probe(self, response: Response) -> None:
        location = response.headers.get(b"Location")
        target = response.urljoin(location.decode("latin-1")) if location else None
        self.host_fact("http_probe", {"url": response.url, "status": response.status, "location": target,
                                      "to_https": bool(target and target.startswith("https://"))})

    def on_http_probe_error(self, failure: Failure) -> None:
        self.host_fact("http_probe", {"error": classify_error(failure), "to_https": False})


def say(message: str) -> None:
    """A line for the person running the scan (the CLI's voice; Scrapy's log is off unless --verbose)."""
    print(f"govaudit: {message}", file=sys.stderr, flush=True)


def _declared_charset(ctype: str) -> str | None:
    """The charset a (lower-cased) Content-Type declares, if any."""
    return ctype.split("charset=", 1)[1].split(";")[0].strip() if "charset=" in ctype else None


def _request_of(response: Response) -> Request:
    """The request a response answers (always set for responses the engine hands a spider callback)."""
    request = response.request
    assert request is not None
    return request


def classify_error(failure: Failure) -> str:
    """Map a download failure to the vocabulary inspectors read in reports (design.md "What dead means")."""
    exc = failure.value
    name = type(exc).__name__
    text = str(exc)
    if failure.check(net_error.TimeoutError, net_error.TCPTimedOutError) or "Timeout" in name or "took longer" in text:
        return "timeout"
    if failure.check(net_error.DNSLookupError) or "DNS" in name or name == "CannotResolveHostError":
        return "dns"
    if failure.check(net_error.ConnectionRefusedError) or "ConnectionRefused" in name:
        return "refused"
    if failure.check(DownloadCancelledError) or "max size" in text or "larger than download max size" in text:
        return "too_large"  # the downloader cancels a body only past DOWNLOAD_MAXSIZE (timeouts are their own error)
    if failure.check(DownloadFailedError) and exc is not None and _unparsable_response(exc):
        return "malformed"
    if "SSL" in name or "TLS" in name or "ssl" in text.lower() or "certificate" in text.lower():
        return "tls"
    if failure.check(net_error.ConnectionLost, net_error.ConnectionDone, net_error.ConnectError) or \
            name in ("ResponseNeverReceived", "ResponseFailed", "_DataLoss", "PotentialDataLoss", "ConnectionAborted",
                     "ResponseDataLossError", "DownloadFailedError"):
        return "reset"
    return "other"


def _unparsable_response(exc: BaseException) -> bool:
    """The server answered, but not in HTTP (a garbage status line, a Content-Length that is not a number):
    Twisted's ``ResponseFailed`` carries the parser's ``ParseError`` (or its ``ValueError``) among its reasons."""
    from twisted.web._newclient import ParseError  # where Twisted defines it; it is not re-exported

    reasons = getattr(exc.__cause__, "reasons", None) or []
    return any(isinstance(r, Failure) and r.check(ParseError, ValueError) for r in reasons)
