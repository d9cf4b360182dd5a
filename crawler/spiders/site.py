"""The site spider: crawls one government website and checks every link it carries.

Pages in scope are fetched and parsed once; every other URL (images, scripts, attachments, off-site links)
is only checked: HEAD first, then a GET that stops after the headers when HEAD is refused or fails.  Each
URL is requested once per scan, however many pages carry it, and every carrying page is recorded with its
anchor text.  URLs are de-duplicated by a 64-bit key *before* a Request is built, because building Requests
that a dupefilter then drops is most of a naive Scrapy crawl's cost.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any, AsyncIterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider, DownloadCancelledError, DownloadFailedError, IgnoreRequest, StopDownload
from scrapy.http import Response
from twisted.internet import error as net_error
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from govaudit.crawler.analysis import PageAnalyser, default_workers, links_of
from govaudit.crawler.extract import Link
from govaudit.crawler.extract.core import decode_html, looks_binary, parse_html
from govaudit.crawler.middlewares import MAX_BACKOFF, retry_after_seconds
from govaudit.model import UrlRecord, url_key
from govaudit.ruleset import DEFAULT_RULESET, RuleSet, load_ruleset
from govaudit.store import Store, StoreWriter

# Failures worth trying again later (a response too large will be too large again).
RETEST_ERRORS = {"timeout", "dns", "refused", "reset", "tls", "other"}
_HTML_TYPES = ("text/html", "application/xhtml", "text/plain")  # text/plain: some CMSs mislabel pages


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

    @classmethod
    def from_rules(cls, rules: RuleSet, *, start_url: str, store_path: str, scan_id: int, as_of: date,
                   extractors: list[str], resume: bool = False, max_pages: int | None = None,
                   max_depth: int | None = None, retest_delay: float | None = None, workers: int | None = None,
                   **options: Any) -> "CrawlConfig":
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
                   **options)

    @classmethod
    def standalone(cls, url: str, store: str, rules: str) -> "CrawlConfig":
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


def _host(url: str) -> str:
    """Host and port: 127.0.0.1:8080 and 127.0.0.1:9 are different sites."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return host
    default = 443 if parts.scheme == "https" else 80
    return host if port in (None, default) else f"{host}:{port}"


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
        self.writer = StoreWriter(self.store, config.scan_id, background=True)
        self.analyser = PageAnalyser(config.extractors, config.workers)
        self.include = [re.compile(p) for p in config.include]
        self.exclude = [re.compile(p) for p in config.exclude]
        self.session_params = {p.lower() for p in config.session_params}
        self.attachments = tuple("." + e.lower().lstrip(".") for e in config.attachment_extensions)
        self.seen: set[int] = set()
        self.analysed: set[int] = set()  # keys of the final URLs whose bodies were analysed
        self.query_variants: Counter[str] = Counter()
        self.pages_scheduled = 0
        self.retests: list[tuple[float, Request]] = []
        self.counts: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.started = time.time()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "SiteSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        crawler.signals.connect(spider.on_headers, signal=signals.headers_received)
        crawler.signals.connect(spider.on_opened, signal=signals.spider_opened)
        return spider

    def on_opened(self, spider: Spider) -> None:
        # Started here, not in from_crawler: the reactor must not be touched before Scrapy installs it.
        self._flusher = LoopingCall(self.writer.flush)
        self._flusher.start(1.0, now=False)

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
            if self.query_variants[key] > self.config.max_query_variants:
                return "trap"
        return None

    # -- requests --------------------------------------------------------------------------------------
    def make_request(self, url: str, kind: str, depth: int, *, crawl: bool, attempts: list | None = None,
                     method: str | None = None) -> Request:
        meta = {"kind": kind, "depth": depth, "crawl": crawl, "attempts": attempts or [], "orig_url": url,
                "sent": time.time()}
        if crawl:
            return Request(url, callback=self.parse_page, errback=self.on_error, meta=meta, dont_filter=True,
                           priority=-depth)
        meta["headers_only"] = method == "GET"
        return Request(url, method=method or "HEAD", callback=self.on_checked, errback=self.on_error, meta=meta,
                       dont_filter=True, priority=-depth - 1)

    def discover(self, link: Link, source_key: int, depth: int, deferred: bool = False) -> Request | None:
        """Record that a page carries ``link``; return a Request if the URL is new and should be fetched."""
        url = link.url
        if url.startswith("invalid:"):
            key = url_key(url)
            self.writer.add_ref(key, source_key, link.tag, link.anchor)
            if key not in self.seen:
                self.seen.add(key)
                self.writer.add_url(key, url, "resource", depth, state="done")
                self.writer.record(UrlRecord(url=url, kind="resource", depth=depth, state="done", error="invalid_url"))
            return None
        url = self.normalise(url)
        key = url_key(url)
        self.writer.add_ref(key, source_key, link.tag, link.anchor)
        if key in self.seen:
            return None
        self.seen.add(key)
        in_scope = self.in_scope(url)
        is_page = link.tag in ("a", "area", "iframe", "frame", "meta-refresh") and not urlsplit(url).path.lower().endswith(self.attachments)
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
            return self.make_request(url, "external", depth, crawl=False)
        if not is_page:
            self.writer.add_url(key, url, kind, depth)
            return self.make_request(url, kind, depth, crawl=False)
        reason = self.trap_reason(url)
        if reason:
            self.writer.add_url(key, url, kind, depth, state="skipped", skip_reason=reason)
            self.skipped[reason] += 1
            return None
        # Pages beyond the caps are still checked (a dead link there is still a dead link), just not parsed.
        limit = None
        if self.config.max_depth and depth > self.config.max_depth:
            limit = "depth_cap"
        elif self.pages_scheduled >= self.config.max_pages:
            limit = "page_cap"
        elif self.include and not any(p.search(url) for p in self.include):
            limit = "not_included"
        self.writer.add_url(key, url, kind, depth)
        if limit:
            self.skipped[limit] += 1
            return self.make_request(url, kind, depth, crawl=False)
        self.pages_scheduled += 1
        request = self.make_request(url, kind, depth, crawl=True)
        if deferred:
            request.priority -= 10000
        return request

    async def start(self) -> AsyncIterator[Any]:
        if self.config.resume:
            self.seen = self.store.seen_keys(self.config.scan_id)
            self.pages_scheduled = self.store.pages_scheduled(self.config.scan_id)
            for url, kind, depth in self.store.pending(self.config.scan_id):
                yield self.make_request(url, kind, depth, crawl=kind == "page")
            return
        key = url_key(self.home)
        self.seen.add(key)
        self.writer.add_url(key, self.home, "page", 0)
        self.pages_scheduled = 1
        yield self.make_request(self.home, "page", 0, crawl=True)
        parts = urlsplit(self.home)
        probe = f"{parts.scheme}://{parts.netloc}/govaudit-not-found-probe-{secrets.token_hex(6)}.html"
        yield Request(probe, callback=self.on_probe, errback=self.on_probe_error, dont_filter=True, priority=10,
                      meta={"probe": True})

    # -- responses -------------------------------------------------------------------------------------
    def on_headers(self, headers: Any, body_length: int, request: Request, spider: Spider) -> None:
        """Stop downloading bodies nobody will read: checked links and pages that turn out not to be HTML."""
        meta = request.meta
        if meta.get("headers_only"):
            raise StopDownload(fail=False)
        if meta.get("crawl"):
            ctype = (headers.get(b"Content-Type") or b"").decode("latin-1").lower()
            if ctype and not ctype.startswith(_HTML_TYPES):
                raise StopDownload(fail=False)

    def _attempts(self, request: Request, status: int | None = None, error: str | None = None) -> list[dict]:
        meta = request.meta
        attempt = {"at": round(time.time(), 3), "method": request.method,
                   "elapsed": round(time.time() - meta.get("sent", time.time()), 3)}
        if status is not None:
            attempt["status"] = status
        if error:
            attempt["error"] = error
        return [*meta.get("attempts", []), attempt]

    def _record(self, request: Request, response: Response | None, attempts: list[dict], *, error: str | None = None,
                facts: dict | None = None, state: str = "done") -> None:
        meta = request.meta
        rec = UrlRecord(url=meta["orig_url"], kind=meta["kind"], depth=meta["depth"], state=state, attempts=attempts,
                        error=error, facts=facts, redirects=list(meta.get("redirect_urls", [])))
        if response is None and rec.redirects:
            rec.final_url = request.url  # the redirect target that failed (e.g. https:// on a closed port)
        if response is not None:
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
        self.counts["fetched" if facts is not None else "checked"] += 1
        if rec.error or (response is not None and response.status >= 400):
            self.counts["errors"] += 1

    def _maybe_retest(self, request: Request, attempts: list[dict], response: Response | None = None) -> bool:
        """Suspect outcomes are tried again later (spaced out, and no sooner than Retry-After) before they are reported."""
        if sum(1 for a in attempts if a["method"] == "GET") > self.config.retests:
            return False
        meta = request.meta
        again = self.make_request(meta["orig_url"], meta["kind"], meta["depth"], crawl=meta["crawl"],
                                  attempts=attempts, method="GET")
        wait = self.config.retest_delay
        if response is not None:
            wait = max(wait, min(retry_after_seconds(response.headers.get(b"Retry-After")) or 0.0, MAX_BACKOFF))
        self.retests.append((time.time() + wait, again))
        self.writer.add_url(url_key(meta["orig_url"]), meta["orig_url"], meta["kind"], meta["depth"])
        self.writer.record(UrlRecord(url=meta["orig_url"], kind=meta["kind"], depth=meta["depth"], state="retest",
                                     attempts=attempts))
        return True

    def on_checked(self, response: Response) -> Any:
        request = response.request
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
        request = response.request
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
        declared = None
        if "charset=" in ctype:
            declared = ctype.split("charset=", 1)[1].split(";")[0].strip()
        url = response.url
        if url_key(url) in self.analysed:
            # Another URL already redirected here (or this is that redirect's target): the document's facts and
            # links are gathered once; ScanView.pages() lists this URL among the document's aliases.
            self._record(request, response, attempts)
            return None
        self.analysed.add(url_key(url))
        try:
            analysis = await self.analyser.analyse(url, body, declared, meta["depth"] == 0, self.config.as_of, self.home)
        except Exception as exc:  # a page that breaks the parser is a finding about coverage, not a crash
            self.logger.warning("could not analyse %s: %r", url, exc)
            self._record(request, response, attempts, error="unparsable")
            return None
        facts = analysis.facts
        # Lists that CMSs keep only in script data (JSON, datastore) and pagination built by script are links too.
        extra = [Link(item["url"], "a", item.get("title") or "", True)
                 for item in facts.get("list_items", []) if item.get("url")]
        pagination = facts.get("pagination", [])
        extra += [Link(p["url"], "a", "", True) for p in pagination]
        # Deep archive pages go to the back of the queue: under a page cap, every column's newest
        # pages are read before any column's old ones.
        deep = {p["url"] for p in pagination if p.get("index", 0) > self.config.list_pages_first}
        source_key = url_key(meta["orig_url"])
        depth = meta["depth"] + 1
        done: set[tuple[str, str, str]] = set()
        engine = self.crawler.engine
        for link in links_of(analysis) + extra:
            marker = (link.url, link.tag, link.anchor)
            if marker in done or (link.hidden and (link.url, "a", "") in done):
                continue
            done.add(marker)
            req = self.discover(link, source_key, depth, link.url in deep)
            if req is not None:
                # Straight into the scheduler: returning dozens of requests per page through Scrapy's
                # spider-output machinery cost a third of the engine's time (measured with py-spy).
                engine.crawl(req)
        if "download_stopped" in response.flags:
            facts["truncated"] = True
        self._record(request, response, attempts, facts=facts)
        if self.writer.backlog > 20000:
            self.writer.flush()
        return None

    def on_error(self, failure: Failure) -> Any:
        request = failure.request
        meta = request.meta
        exc = failure.value
        if isinstance(exc, IgnoreRequest):
            text = str(exc)
            if "robots.txt" in text:
                self._skip(request, "robots")
            elif "circuit" in text:
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
            else:
                self._skip(request, "ignored")
            return
        error = classify_error(failure)
        attempts = self._attempts(request, error=error)
        if request.method == "HEAD" and error != "too_large":
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

    def on_probe(self, response: Response) -> None:
        """Fingerprint the host's answer to a path that cannot exist: the reference for soft-404 detection."""
        title = None
        if response.status == 200 and response.body:
            text, _ = decode_html(response.body[:200000])
            el = parse_html(text).find(".//title")
            title = " ".join(el.text_content().split()) if el is not None else None
        self.store.set_host_facts(self.config.scan_id, self.home_host, {"not_found_probe": {
            "url": response.request.meta.get("redirect_urls", [response.url])[0], "status": response.status,
            "final_url": response.url, "title": title, "size": len(response.body)}})

    def on_probe_error(self, failure: Failure) -> None:
        self.store.set_host_facts(self.config.scan_id, self.home_host, {"not_found_probe": {"error": classify_error(failure)}})

    # -- lifecycle -------------------------------------------------------------------------------------
    def on_idle(self, spider: Spider) -> None:
        if not self.retests:
            return
        now = time.time()
        due = [r for t, r in self.retests if t <= now]
        self.retests = [(t, r) for t, r in self.retests if t > now]
        engine = self.crawler.engine
        for request in due:
            request.meta["sent"] = time.time()
            engine.crawl(request)
        if self.retests and not due:
            from twisted.internet import reactor  # imported late: importing it early would pin the wrong reactor

            wait = max(0.1, min(t for t, _ in self.retests) - now)
            reactor.callLater(wait, lambda: engine._slot.nextcall.schedule() if engine._slot else None)
        raise DontCloseSpider

    def progress(self) -> dict[str, Any]:
        elapsed = max(time.time() - self.started, 1e-6)
        return {"pages": self.counts["fetched"], "checked": self.counts["checked"], "errors": self.counts["errors"],
                "queued": len(self.crawler.engine._slot.scheduler) if self.crawler.engine._slot else 0,
                "pages_per_s": self.counts["fetched"] / elapsed, "retests": len(self.retests)}

    def on_closed(self, spider: Spider, reason: str) -> None:
        if self._flusher.running:
            self._flusher.stop()
        self.writer.close()
        stats = {"pages_crawled": self.counts["fetched"], "urls_checked": self.counts["checked"],
                 "errors": self.counts["errors"], "skipped": dict(self.skipped), "close_reason": reason,
                 "seconds": round(time.time() - self.started, 2)}
        previous = self.store.scan(self.config.scan_id).stats if self.config.resume else {}
        if previous:
            stats["resumed"] = previous.get("resumed", 0) + 1
            stats["pages_crawled"] += previous.get("pages_crawled", 0)
            stats["urls_checked"] += previous.get("urls_checked", 0)
        self.store.finish_scan(self.config.scan_id, stats, state="crawled" if reason == "finished" else "interrupted")
        self.store.close()
        self.analyser.close()


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
    if failure.check(DownloadFailedError) and _unparsable_response(exc):
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
