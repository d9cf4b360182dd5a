"""Page analysis (decode → parse → links → facts), run in worker processes beside the crawl.

Scrapy's engine is single-threaded, and parsing plus fact extraction is most of a page's CPU cost; on
a 2-core machine the crawl is CPU-bound.  Moving that work to a process pool lets the engine keep
downloading while pages are analysed on the other core.  ``workers=0`` analyses in-process (used by
``govaudit page`` and whenever a pool cannot be started).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date
from typing import Any

from govaudit.crawler.extract import Extractor, Link, PageContext, load_extractors, run_extractors
from govaudit.crawler.extract.core import body_digest, decode_html, extract_links, parse_html


@dataclass(slots=True)
class PageAnalysis:
    charset: str
    links: list[tuple[str, str, str, bool]]  # (url, tag, anchor, hidden): tuples pickle far cheaper than objects
    facts: dict[str, Any]


_EXTRACTORS: dict[tuple[str, ...], list[Extractor]] = {}


def analyse_page(url: str, body: bytes, declared: str | None, is_home: bool, as_of: date | None, site: str,
                 extractors: tuple[str, ...]) -> PageAnalysis:
    loaded = _EXTRACTORS.get(extractors)
    if loaded is None:
        loaded = _EXTRACTORS[extractors] = load_extractors(extractors)
    text, charset = decode_html(body, declared)
    tree = parse_html(text)
    links = extract_links(tree, url)
    ctx = PageContext(url=url, tree=tree, is_home=is_home, links=links, as_of=as_of, site=site, charset=charset,
                      digest=body_digest(body))
    facts = run_extractors(ctx, loaded)
    return PageAnalysis(charset, [(l.url, l.tag, l.anchor, l.hidden) for l in links], facts)


def _ignore_stop_signals() -> None:
    """Ctrl-C reaches the whole process group: the crawl process decides how to stop, and a worker killed
    by it mid-page would turn a page into an analysis failure that an uninterrupted scan never has."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 2) - 1))


class PageAnalyser:
    """Submits pages to a process pool and hands results back to the Twisted reactor as Deferreds."""

    def __init__(self, extractors: list[str], workers: int) -> None:
        self.extractors = tuple(extractors)
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        if workers > 0:
            self._start()

    def _start(self) -> None:
        # forkserver: children are not forked from a process whose reactor runs threads and sockets.
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("forkserver"),
                                        initializer=_ignore_stop_signals)

    def analyse(self, url: str, body: bytes, declared: str | None, is_home: bool, as_of: date | None,
                site: str) -> Any:
        """A Deferred that fires with a ``PageAnalysis`` (or fails with the worker's exception)."""
        from twisted.internet import defer, reactor

        args = (url, body, declared, is_home, as_of, site, self.extractors)
        if self.pool is None:
            return defer.maybeDeferred(analyse_page, *args)
        d: defer.Deferred = defer.Deferred()

        def done(future: Future) -> None:
            exc = future.exception()
            if exc is None:
                reactor.callFromThread(d.callback, future.result())
            else:
                if isinstance(exc, BrokenProcessPool):  # a worker died (e.g. on a hostile page): start afresh
                    reactor.callFromThread(self._restart)
                reactor.callFromThread(d.errback, exc)

        try:
            self.pool.submit(analyse_page, *args).add_done_callback(done)
        except (BrokenProcessPool, RuntimeError):
            self._restart()
            return defer.maybeDeferred(analyse_page, *args)
        return d

    def _restart(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self._start()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def links_of(analysis: PageAnalysis) -> list[Link]:
    return [Link(*t) for t in analysis.links]
