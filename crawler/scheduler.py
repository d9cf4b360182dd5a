"""The single-process crawl's scheduler: Scrapy's own, with its pending requests on disk.

Why: a site map or a 信息公开目录 hands the scheduler tens of thousands of requests at once, and Scrapy's memory
queue held every one as a Request object (with its meta) until its turn: the engine's memory grew with the
site, not with the work in flight.  Scrapy's disk queues (pickled requests in files, per priority) are the
well-kept way to hold a frontier; Scrapy only uses them under ``JOBDIR``, whose other half (resuming a crawl
from the directory) govaudit does not want: the store is the truth a ``--resume`` rebuilds the frontier from.
So each crawl gets a throwaway directory, removed when the crawl closes.  A request that cannot be pickled
still goes to the memory queue, as in Scrapy.  A shared crawl (``--redis``) uses crawler/distributed.py's
scheduler instead: its frontier is in Redis.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import weakref
from collections import deque
from typing import Any

from queuelib.queue import FifoDiskQueue
from scrapy import Request
from scrapy.core.scheduler import Scheduler
from scrapy.utils.request import request_from_dict


class DiskScheduler(Scheduler):
    """Scrapy's scheduler whose disk queue lives in a temporary directory for the length of one crawl."""

    _tmp: tempfile.TemporaryDirectory | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> DiskScheduler:
        scheduler = super().from_crawler(crawler)
        if scheduler.dqdir is None:  # no JOBDIR: a throwaway one, never resumed from
            scheduler._tmp = tempfile.TemporaryDirectory(prefix="govaudit-frontier-")
            scheduler.dqdir = scheduler._dqdir(scheduler._tmp.name)
        return scheduler

    def close(self, reason: str) -> Any:
        try:
            return super().close(reason)
        finally:
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None


def _method_name(spider: Any, func: Any) -> str | None:
    """The name under which ``func`` is a method of ``spider``, or None when it is not one found by its own name."""
    name = getattr(func, "__name__", None)
    own = getattr(spider, name, None) if name else None
    return name if getattr(own, "__func__", None) is getattr(func, "__func__", object()) else None


def request_dict(request: Request, spider: Any) -> dict[str, Any]:
    """What ``request.to_dict(spider=spider)`` returns, without its search for the callbacks' names:
    ``to_dict`` walks every member of the spider (``inspect.getmembers``) for each of them, which py-spy put at
    4 % of the engine's time on the variance site.  A spider method is named by its ``__name__`` (checked to be
    that very method); any other request goes Scrapy's way."""
    callback, errback = (_method_name(spider, f) if callable(f) else f for f in (request.callback, request.errback))
    if type(request) is not Request or (callback is None) is not (request.callback is None) \
            or (errback is None) is not (request.errback is None):
        return request.to_dict(spider=spider)
    d = {"url": request.url, "callback": callback, "errback": errback, "headers": dict(request.headers)}
    for attr in request.attributes:
        d.setdefault(attr, getattr(request, attr))
    return d


class RequestDiskQueue:
    """One priority's FIFO of pickled requests (what Scrapy's ``PickleFifoDiskQueue`` writes, in its files), whose
    first requests wait in memory and whose files are made only when it outgrows that.

    Why: Scrapy makes a queue per priority (``-depth`` here) and per download slot, and removes it once empty.
    On the 100,000-page variance site the article chains (prev/next links) go 6,000 clicks deep, one request
    per depth at a time, so nearly every page made and removed a queue's directory and files (mkdir, open,
    info.json, glob, unlink, rmdir): py-spy put ``pathlib`` at 11 % of the engine's time there, against nothing
    at 20,000 pages.  A queue holds up to ``HELD`` requests in memory, and all the queues of a crawl together
    ``HELD_TOTAL`` (≈ 500 B each), so the frontier still waits on disk; once a queue has files, all of it is
    there (first in, first out holds), and a queue closed with requests in memory writes them out first (a
    ``JOBDIR`` crawl finds them on disk).  A request that cannot be pickled raises ValueError, as in Scrapy:
    the scheduler then keeps it in memory."""

    HELD = 64
    HELD_TOTAL = 4096

    def __init__(self, crawler: Any, key: str) -> None:
        self.spider = crawler.spider
        self.path = key
        self.held: deque[bytes] = deque()
        self.total = _held_of(crawler)
        # A queue a JOBDIR crawl left behind is read again (ScrapyPriorityQueue.init_prios).
        self.disk: FifoDiskQueue | None = FifoDiskQueue(key) if os.path.exists(key) else None

    @classmethod
    def from_crawler(cls, crawler: Any, key: str, *args: Any, **kwargs: Any) -> RequestDiskQueue:
        return cls(crawler, key)

    def push(self, request: Request) -> None:
        try:
            data = pickle.dumps(request_dict(request, self.spider), protocol=4)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise ValueError(str(exc)) from exc
        if self.disk is None and len(self.held) < self.HELD and self.total[0] < self.HELD_TOTAL:
            self.held.append(data)
            self.total[0] += 1
        else:
            self._spill().push(data)

    def _spill(self) -> FifoDiskQueue:
        """The queue's files, made now if need be, with the requests held in memory written first."""
        if self.disk is None:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            self.disk = FifoDiskQueue(self.path)
            for data in self.held:
                self.disk.push(data)
            self.total[0] -= len(self.held)
            self.held.clear()
        return self.disk

    def pop(self) -> Request | None:
        if self.held:
            self.total[0] -= 1
            data: bytes | None = self.held.popleft()
        else:
            data = self.disk.pop() if self.disk is not None else None
        return request_from_dict(pickle.loads(data), spider=self.spider) if data else None

    def peek(self) -> Request | None:
        data = self.held[0] if self.held else self.disk.peek() if self.disk is not None else None
        return request_from_dict(pickle.loads(data), spider=self.spider) if data else None

    def close(self) -> None:
        if self.held:
            self._spill()
        if self.disk is not None:
            self.disk.close()  # an empty queue's files and directory are removed (queuelib)

    def __len__(self) -> int:
        return len(self.held) + (len(self.disk) if self.disk is not None else 0)


_HELD: weakref.WeakKeyDictionary[Any, list[int]] = weakref.WeakKeyDictionary()


def _held_of(crawler: Any) -> list[int]:
    """The count of requests that a crawl's queues hold in memory, shared by its queues."""
    return _HELD.setdefault(crawler, [0])
