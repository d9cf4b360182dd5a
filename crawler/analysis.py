"""Page analysis (decode → parse → links → facts), run in worker processes beside the crawl.

Scrapy's engine is single-threaded, and parsing plus fact extraction is most of a page's CPU cost; on
a 2-core machine the crawl is CPU-bound.  Moving that work to a process pool lets the engine keep
downloading while pages are analysed on the other core.  ``workers=0`` analyses in-process (used by
``govaudit page`` and whenever a pool cannot be started).

One page can never stall a scan (issue 16): analysis has a budget (``params.crawl.analysis_budget_seconds``).
A page over it is abandoned and recorded as not analysed (``facts["not_analysed"]``: reason, size, budget),
its links still gathered by a cheap pass so the crawl goes on.  Two guards, because one cannot cover both
cases: a CPU-time timer (SIGPROF) in the analysing process stops Python code at the budget, and a worker that
does not answer within twice the budget and a start-up margin (stuck in C code, which no signal interrupts) is
killed and replaced.  The budget is CPU time, not wall-clock time: what a page costs, not how busy the machine
is (under a load of 15 a 100,000-deep DOM passed a 10 s wall-clock budget and lost its facts).
"""

from __future__ import annotations

import codecs
import ctypes
import gc
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from govaudit.crawler.extract import (
    Anchor,
    Extractor,
    Link,
    PageContext,
    load_extractors,
    run_extractors,
    streamed_facts,
    streamed_readers,
)
from govaudit.crawler.extract.core import (
    Fanout,
    body_digest,
    cheap_links,
    decode_html,
    extract_links,
    parse_html,
    stream,
)


@dataclass(slots=True)
class PageAnalysis:
    charset: str
    links: list[tuple[str, str, str, bool]]  # (url, tag, anchor, hidden): tuples pickle far cheaper than objects
    facts: dict[str, Any]


_EXTRACTORS: dict[tuple[str, ...], list[Extractor]] = {}


class OverBudget(BaseException):
    """Raised by the budget timer inside a page's analysis.  A BaseException: extractors catch ``Exception``
    (one failing extractor must not lose the others' facts), and must not catch this."""


@contextmanager
def _budget(seconds: float) -> Iterator[None]:
    """SIGPROF after ``seconds`` of this process's CPU time (0: no budget).  Only the main thread can take
    signals; elsewhere the pool's worker guard is the only one."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise OverBudget

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while one page is analysed.  A page's objects (its element proxies,
    text pieces, rows) go by reference counting when the analysis ends; a collection halfway walks all of them
    to find nothing (a seventh of a 50,000-link site map's analysis, bench/page_cost.py).  Switched back on
    after the page, so a cycle the page made is collected with the next ones."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def not_analysed(url: str, body: bytes, declared: str | None, reason: str, budget: float,
                 links: list[Link] | None = None, streamed: Sequence[Extractor] = (), **limits: Any) -> PageAnalysis:
    """A page whose analysis was abandoned or not begun: its links (the ones already extracted, else the streamed
    pass, ``cheap_links``), what the ``streamed`` extractors read of it without a tree (their parser targets fed by
    one parse, ``streamed_facts``; within ``budget``), and a fact saying why (with the limit it broke) and which
    facts were read all the same (``facts_read``), so the report can count it as not analysed instead of silently
    missing its facts."""
    text, charset = decode_html(body, declared)
    if links is None:
        links = cheap_links(text, url)
    readers = streamed_readers(streamed)
    read: dict[str, Any] = {}
    if readers:
        try:
            with _budget(budget), collector_paused():
                fan = stream(text, lambda: Fanout([reader for _, reader in readers]))
                read = streamed_facts(readers, fan.targets, fan.failed)
        except OverBudget:
            read = {}
    facts = {**read, "not_analysed": {"reason": reason, "size": len(body), "budget_seconds": budget, **limits,
                                      "links": len(links), "facts_read": sorted(read.keys() - {"extractor_errors"})},
             "charset": charset}
    return PageAnalysis(charset, _tuples(links), facts)


def _tuples(links: list[Link]) -> list[tuple[str, str, str, bool]]:
    """``links`` as the pool sends them: tuples pickle far cheaper than objects."""
    return [(l.url, l.tag, l.anchor, l.hidden) for l in links]


HUGE_PAGE_BYTES = 1 << 20
"""A page of this many bytes or more (a 网站地图 or 信息公开目录; the crawl takes up to 10 MiB) is analysed for
memory rather than CPU: no element proxies held through the extractors (200,000–300,000 elements near the limit,
2–3 bytes per byte of HTML for the whole analysis: each walk builds and drops its own instead, a few per cent more
CPU on the few such pages), and what its tree freed is handed back to the system when it is done (``_give_back``).
One such page sets a large scan's peak (issue 16 item 4; bench/page_cost.py --memory)."""


def analyse_page(url: str, body: bytes, declared: str | None, is_home: bool, as_of: date | None, site: str,
                 extractors: tuple[str, ...], budget: float = 0.0, max_bytes: int = 0) -> PageAnalysis:
    """Decode, parse, links and every extractor's facts, within ``budget`` CPU seconds (0: none).  A page of more
    than ``max_bytes`` (``params.crawl.analysis_max_bytes``; 0: none) is not parsed into a tree at all: its links
    are read as the parser streams past them, so what one page costs the worker is bounded by that setting instead
    of by the largest page a site serves (issue 16 item 4: a tree is 10–15 bytes per byte of HTML)."""
    loaded = _EXTRACTORS.get(extractors)
    if loaded is None:
        loaded = _EXTRACTORS[extractors] = load_extractors(extractors)
    if max_bytes and len(body) > max_bytes:
        return not_analysed(url, body, declared, "analysis_size", budget, streamed=loaded, max_bytes=max_bytes)
    found: list[list[Link]] = []  # the links, once extracted: an abandoned page keeps them
    try:
        with _budget(budget), collector_paused():
            charset, facts = _facts(url, body, declared, is_home, as_of, site, loaded, found)
            # Built after _facts has returned, so the tree, its proxies and the context are gone by now; with the
            # collector still paused, or a site map's 50,000 new tuples set off a collection every 700 of them,
            # some of which walk every object the worker holds (a tenth of that page's analysis, py-spy).
            result = PageAnalysis(charset, _tuples(found[0]), facts)
            del found[:]
    except OverBudget:
        return not_analysed(url, body, declared, "analysis_budget", budget, found[0] if found else None)
    if len(body) >= HUGE_PAGE_BYTES:
        _give_back()
    return result


def _libc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to call, memory stays with the worker
        return None


_TRIM = _libc_trim()


def _give_back() -> None:
    """Hand the memory a huge page's tree freed back to the system.  glibc keeps freed heap for the process's
    next allocations, so a worker that analysed a 9 MB site map or table held 80–110 MB more for the rest of the
    crawl, beside the engine (15–30 MB with this): ``malloc_trim`` returns it.  Only after a page of
    ``HUGE_PAGE_BYTES`` or more (6–20 ms); a normal page's few MB are reused by the next one.  No collection
    first: it would free the few MB of cycles the page made while the collector was paused, for 33–57 ms more."""
    if _TRIM is not None:
        _TRIM(0)


def _facts(url: str, body: bytes, declared: str | None, is_home: bool, as_of: date | None, site: str,
           loaded: list[Extractor], found: list[list[Link]]) -> tuple[str, dict[str, Any]]:
    """(charset, facts) of one page; its links appended to ``found``.  A function of its own so that what only the
    analysis needs (the tree, the proxies, the context) is freed when it returns, before the result is built."""
    text, charset = decode_html(body, declared)
    # The body is the text's UTF-8 when it decoded as UTF-8 with no BOM and no replacement character (a body that
    # is not valid UTF-8 decodes with at least one): handed to the parser as it is, not encoded again.
    plain = charset == "utf-8" and not body.startswith(codecs.BOM_UTF8) and "\ufffd" not in text
    tree = parse_html(text, body if plain else None)
    del text  # the decoded page (1, 2 or 4 bytes a character) is not needed once parsed
    # Every element's Python proxy kept alive while the extractors run: lxml builds a proxy each time an
    # element is reached with none alive (its class now picked in C, core.parse_html), and each extractor
    # walks the tree again; held once here, later walks reuse them.  Not on a huge page (HUGE_PAGE_BYTES).
    elements = list(tree.iter()) if len(body) < HUGE_PAGE_BYTES else []
    anchors: list[Anchor] = []
    links = extract_links(tree, url, anchors)
    found.append(links)
    ctx = PageContext(url=url, tree=tree, is_home=is_home, links=links, anchors=anchors, as_of=as_of, site=site,
                      charset=charset, digest=body_digest(body))
    facts = run_extractors(ctx, loaded)
    del elements
    return charset, facts


def read_body(reader: Callable[..., dict[str, Any]], args: tuple, budget: float, over: dict[str, Any]) -> dict[str, Any]:
    """A body read for a content rule — an attachment (``attachments.attachment_facts``), a same-site style sheet
    (``identity.css_facts``), an off-site page (``content.offsite_facts``) — under the same budget as a page;
    ``over`` (its facts with ``reason`` ``analysis_budget``) when the budget runs out."""
    try:
        with _budget(budget):
            return reader(*args)
    except OverBudget:
        return over


def unread(facts: dict[str, Any], reason: str) -> dict[str, Any]:
    """``facts`` (``{key: {...}}``) saying why the body was not read."""
    return {key: {**value, "reason": reason} for key, value in facts.items()}


def _ignore_stop_signals() -> None:
    """Ctrl-C reaches the whole process group: the crawl process decides how to stop, and a worker killed
    by it mid-page would turn a page into an analysis failure that an uninterrupted scan never has."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 2) - 1))


WORKER_START_SECONDS = 30.0


class PageAnalyser:
    """Submits pages to a process pool and hands results back to the Twisted reactor as Deferreds.

    ``budget`` (seconds, 0: none) bounds each page; a worker that overruns it twice over (plus the time a new
    worker takes to start) is killed, the pool
    restarted, the page recorded as not analysed (``worker_lost``) with its links from a cheap pass here, and
    the other pages that were waiting in the pool submitted again (once: a page that breaks the pool twice is
    recorded as not analysed too)."""

    def __init__(self, extractors: list[str], workers: int, budget: float = 0.0, max_bytes: int = 0) -> None:
        self.extractors = tuple(extractors)
        self.workers = workers
        self.budget = budget
        self.max_bytes = max_bytes
        self.pool: ProcessPoolExecutor | None = None
        self.replaced = 0  # workers killed for overrunning the budget
        # Seconds without any page back before the pool's workers are killed: twice the budget, plus the time a
        # worker just started takes to import the extractors (seconds on a loaded machine; it must not count as
        # a page that does not come back).
        self.limit = 2 * budget + WORKER_START_SECONDS
        self.last_done = time.monotonic()
        if workers > 0:
            self._start()

    def _start(self) -> None:
        # forkserver: children are not forked from a process whose reactor runs threads and sockets.
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("forkserver"),
                                        initializer=_ignore_stop_signals)

    def analyse(self, url: str, body: bytes, declared: str | None, is_home: bool, as_of: date | None,
                site: str) -> Any:
        """A Deferred that fires with a ``PageAnalysis`` (or fails with the worker's exception)."""

        args = (url, body, declared, is_home, as_of, site, self.extractors, self.budget, self.max_bytes)
        return self.run(analyse_page, args, lambda: not_analysed(url, body, declared, "worker_lost", self.budget))

    def read(self, reader: Callable[..., dict[str, Any]], args: tuple, empty: dict[str, Any]) -> Any:
        """A Deferred firing with ``reader(*args)`` (``read_body``), or ``empty`` with the reason it was not read."""
        over = unread(empty, "analysis_budget")
        return self.run(read_body, (reader, args, self.budget, over), lambda: unread(empty, "worker_lost"))

    def run(self, fn: Callable[..., Any], args: tuple, lost: Callable[[], Any]) -> Any:
        """A Deferred firing with ``fn(*args)`` run in the pool (in-process without one); ``lost()`` is the result
        when the worker dies or overruns the budget on it.  Pages and the bodies read for content rules share it."""
        from twisted.internet import defer

        if self.pool is None:
            return defer.maybeDeferred(fn, *args)
        d: defer.Deferred = defer.Deferred()
        self._submit(fn, args, d, 1, lost)
        return d

    def _submit(self, fn: Callable[..., Any], args: tuple, d: Any, retries: int, lost: Callable[[], Any]) -> None:
        from twisted.internet import defer, reactor

        pool = self.pool
        assert pool is not None
        guard: list[Any] = []

        def done(future: Future) -> None:
            reactor.callFromThread(settle, future)

        def settle(future: Future) -> None:  # in the reactor thread
            self.last_done = time.monotonic()
            if guard and guard[0].active():
                guard[0].cancel()
            if d.called:
                return
            exc = future.exception()
            if exc is None:
                d.callback(future.result())
            elif isinstance(exc, BrokenProcessPool):  # a worker died (a hostile page, or one killed below)
                if self.pool is pool:
                    self._restart()
                if retries > 0:
                    self._submit(fn, args, d, retries - 1, lost)
                else:
                    d.callback(lost())
            else:
                d.errback(exc)

        def overdue() -> None:  # the pool has not come back: kill its workers, the page gets the cheap pass
            if d.called:
                return
            # A page waiting behind others is not overdue: only a pool that finished nothing for the limit is.
            waited = time.monotonic() - max(submitted, self.last_done)
            if waited < self.limit:
                guard[0] = reactor.callLater(self.limit - waited, overdue)  # type: ignore[arg-type]  # twisted's stub
                return
            self.replaced += 1
            d.callback(lost())
            if self.pool is pool:
                for proc in list(getattr(pool, "_processes", {}).values()):  # no public API kills a pool's workers
                    proc.kill()
                self._restart()
                self.last_done = time.monotonic()

        try:
            future = pool.submit(fn, *args)
        except (BrokenProcessPool, RuntimeError):
            self._restart()
            if retries > 0:
                self._submit(fn, args, d, retries - 1, lost)
            else:
                defer.maybeDeferred(fn, *args).chainDeferred(d)
            return
        submitted = time.monotonic()
        if self.budget > 0:
            guard.append(reactor.callLater(self.limit, overdue))  # type: ignore[arg-type]  # twisted's stub
        future.add_done_callback(done)

    def _restart(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=False)
        self._start()

    def close(self) -> None:
        """Wait for the pages in hand, but with a budget never longer than a worker may take: the close runs in
        the reactor thread, where the overdue guard cannot fire."""
        if self.pool is not None:
            workers = list(getattr(self.pool, "_processes", {}).values())
            self.pool.shutdown(wait=self.budget <= 0, cancel_futures=True)
            for proc in workers:
                proc.join(self.limit)
                if proc.is_alive():
                    proc.kill()
            self.pool = None
