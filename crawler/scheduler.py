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

import pickle
import tempfile
from typing import Any

from queuelib.queue import FifoDiskQueue
from scrapy import Request
from scrapy.core.scheduler import Scheduler
from scrapy.squeues import PickleFifoDiskQueue


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


class RequestDiskQueue(PickleFifoDiskQueue):  # type: ignore[misc,valid-type]  # Scrapy builds the class at run time
    """Scrapy's pickled FIFO disk queue, each request written as ``request_dict`` makes it (what Scrapy writes),
    read back by Scrapy's own ``pop``.  A request that cannot be pickled raises ValueError, as in Scrapy: the
    scheduler then keeps it in memory."""

    def push(self, request: Request) -> None:
        try:
            data = pickle.dumps(request_dict(request, self.spider), protocol=4)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise ValueError(str(exc)) from exc
        FifoDiskQueue.push(self, data)
