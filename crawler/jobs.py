"""The scans queued for workers in Redis (issue 13): what ``govaudit scan --redis`` publishes and retires, and
what ``govaudit worker`` reads to join one.

Apart from crawler/distributed.py so that it imports Redis's client only: a ``govaudit worker`` waits in this
loop for as long as it runs and crawls each scan in a child process, so Scrapy and scrapy-redis, which the crawl
needs, would sit in the waiting process's memory for nothing (≈ 33 MiB RSS beside each crawl).
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import redis

JOBS = "govaudit:jobs"  # hash scan id -> the job a worker needs to join the scan (JSON)


def job_id(store: str, scan_id: int) -> str:
    """A scan's name in Redis: its id and its store's (a batch gives every site a store of its own, each with a
    scan 1)."""
    return f"{scan_id}-{hashlib.sha1(store.encode()).hexdigest()[:10]}"


def connect(url: str) -> redis.Redis:
    try:
        server = redis.Redis.from_url(url)
        server.ping()
    except redis.RedisError as exc:
        from govaudit.errors import UserError

        raise UserError(f"cannot reach Redis at {url}: {exc}") from exc
    return server


def publish_job(url: str, job: str, data: dict[str, Any]) -> None:
    connect(url).hset(JOBS, job, json.dumps({**data, "job": job, "published": time.time()}, ensure_ascii=False))


def retire_job(url: str, job: str, *, clear: bool) -> None:
    """The scan is over: no worker joins it any more; ``clear`` drops its keys (a finished crawl)."""
    try:
        server = redis.Redis.from_url(url, socket_timeout=5)
        server.hdel(JOBS, job)
        if clear:
            names = server.keys(f"govaudit:scan:{job}:*")
            if names:
                server.delete(*names)
    except redis.RedisError:
        pass


def open_jobs(server: redis.Redis) -> list[dict[str, Any]]:
    """Scans with work queued, oldest first."""
    jobs = []
    for raw in server.hgetall(JOBS).values():
        job = json.loads(raw)
        if int(server.get(f"govaudit:scan:{job['job']}:outstanding") or 0) > 0:
            jobs.append(job)
    return sorted(jobs, key=lambda j: j["published"])
