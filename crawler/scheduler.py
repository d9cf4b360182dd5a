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

import tempfile
from typing import Any

from scrapy.core.scheduler import Scheduler


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
