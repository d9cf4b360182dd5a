"""Several worker processes sharing one crawl through Redis (issue 13): scrapy-redis's scheduler and queue,
with leases, a shared duplicate filter, a shared page cap and per-host politeness across workers.

Why each piece is what it is:

* **Frontier** (``Scheduler`` + ``LeasedQueue``, scrapy-redis subclasses): the queue is a sorted set of
  serialised requests (score −priority, as scrapy-redis's priority queue).  A pop moves the request into the
  worker's lease hash in one Lua script; the lease is given back only after the request was fully handled
  (download, callback, follow-ups queued: the engine's ``_remove_request``) *and* its records were written to
  the store (``settle``, after each store flush).  A worker that dies stops its heartbeat; after
  ``lease_seconds`` any other worker moves the dead one's leases (and its parked re-tests) back to the queue,
  so nothing is lost.  A request in flight at the moment of death is fetched again: at least once, never lost.
* **Termination**: ``outstanding`` counts requests queued, leased or parked for a re-test, changed in the same
  scripts that move them (a follow-up is counted before the request that found it is given back), so it is
  0 only when the whole crawl is done.  A worker stays open while it is above 0.
* **Duplicates**: the spider already de-duplicates by 64-bit URL key before a Request exists; across workers
  that test is ``SADD`` of the key (``claim``), with the worker's own set in front as a cache.  The page cap
  (``take_page``), the per-path query-variant count and "this document was analysed" are Redis counters/sets
  for the same reason.
* **HostGate**: politeness is per host across all workers: at most ``CONCURRENT_REQUESTS_PER_DOMAIN``
  requests in flight per host (a sorted set of expiring tokens, so a dead worker's slot frees itself) and a
  shared next-allowed time for Crawl-delay / back-off.  It is taken at the wire (``WireClockHandler``), not
  when a request enters the local downloader, so queueing in a worker never holds a global slot.
* Redis going away ends every worker's crawl with reason ``redis_lost``; the store (the truth: URLs pending,
  seen, done) lets ``govaudit scan --redis … --resume`` rebuild the frontier and finish.

The scans queued for ``govaudit worker`` (``govaudit:jobs``) are crawler/jobs.py's: the waiting worker process
imports that module alone, without Scrapy.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import weakref
from collections.abc import Iterable
from typing import Any

import redis
from scrapy import Request, signals
from scrapy_redis import picklecompat
from scrapy_redis import scheduler as redis_scheduler
from scrapy_redis.queue import Base

LEASE = "govaudit_lease"  # request.meta keys: the lease a popped request holds, the token of a parked re-test
HELD = "govaudit_held"
REQUEUE_SCORE = -1000  # a dead worker's requests go back ahead of the frontier (they were started already)

_PUSH = """
if redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2]) == 1 then redis.call('INCR', KEYS[2]) end
"""
_POP = """
local m = redis.call('ZRANGE', KEYS[1], 0, 0)
if #m == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], m[1])
return m[1]
"""
_RELEASE = """
local n = redis.call('HDEL', KEYS[1], unpack(ARGV))
if n > 0 then redis.call('DECRBY', KEYS[2], n) end
return n
"""
_HOLD = """
if redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) == 1 then redis.call('INCR', KEYS[2]) end
"""
_REAP = """
local n = 0
for _, key in ipairs({KEYS[1], KEYS[2]}) do
  for _, blob in ipairs(redis.call('HVALS', key)) do
    if redis.call('ZADD', KEYS[3], ARGV[2], blob) == 0 then redis.call('DECR', KEYS[5]) end
    n = n + 1
  end
  redis.call('DEL', key)
end
redis.call('SREM', KEYS[4], ARGV[1])
return n
"""
# A worker's figures count while it is still one of the scan's workers (ARGV[2] '1': always, the scan's own
# process, which ends the scan after this): one that leaves after the scan ended and its keys were cleared must
# not leave a figure behind in Redis.
_LEAVE = """
if redis.call('SREM', KEYS[1], ARGV[1]) == 1 or ARGV[2] == '1' then
  for i = 3, #ARGV, 2 do redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1]) end
end
redis.call('DEL', KEYS[3])
"""
_TAKE_PAGE = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
if ARGV[2] == '1' then redis.call('INCR', KEYS[1]) end
return 1
"""
# -> 0 (entered) or milliseconds to wait
_GATE_ENTER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 20 end
local next_at = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < next_at then return next_at - now end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
local delay = tonumber(ARGV[2])
if delay > 0 then redis.call('SET', KEYS[2], now + delay, 'PX', delay + 1000) end
return 0
"""


class RedisLost(RuntimeError):
    """Redis stopped answering during the crawl."""


class Frontier:
    """One worker's handle on a shared crawl (one per crawler, ``frontier_of``).  Keys live under
    ``govaudit:scan:<id>:``; every Redis error is turned into one close of the crawl (``redis_lost``)."""

    def __init__(self, crawler: Any, url: str, job: str, lease_seconds: float) -> None:
        self.crawler = crawler
        self.url = url
        self.job = job
        self.lease_seconds = lease_seconds
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"
        self.server = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        self.prefix = f"govaudit:scan:{job}:"
        self.queue_key = self.key("queue")
        self.lease_key = self.key(f"lease:{self.worker}")
        self.held_key = self.key(f"held:{self.worker}")
        self.outstanding_key = self.key("outstanding")
        self.lost: str | None = None
        self._finished: list[str] = []  # leases whose requests are handled, given back after the next store flush
        self._token = 0
        self._scripts = {name: self.server.register_script(text) for name, text in (
            ("push", _PUSH), ("pop", _POP), ("release", _RELEASE), ("hold", _HOLD), ("reap", _REAP),
            ("take_page", _TAKE_PAGE), ("gate", _GATE_ENTER), ("leave", _LEAVE))}
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self.last_reap = 0.0

    def key(self, name: str) -> str:
        return self.prefix + name

    def call(self, name: str, keys: list[str], args: list[Any], default: Any = None) -> Any:
        if self.lost:
            return default
        try:
            return self._scripts[name](keys=keys, args=args)
        except redis.RedisError as exc:
            self.lose(exc)
            return default

    def do(self, fn: Any, *args: Any, default: Any = None) -> Any:
        """A plain Redis command, with the loss of Redis handled once."""
        if self.lost:
            return default
        try:
            return fn(*args)
        except redis.RedisError as exc:
            self.lose(exc)
            return default

    def lose(self, exc: BaseException) -> None:
        if self.lost:
            return
        self.lost = f"{type(exc).__name__}: {exc}"
        from govaudit.crawler.spiders.site import say
        from scrapy.utils.defer import deferred_from_coro
        from twisted.internet import reactor

        say(f"Redis at {self.url} stopped answering ({self.lost}): ending this worker's crawl; the store keeps "
            f"scan {self.job.split('-')[0]} (re-run govaudit scan … --redis … --resume when Redis is back)")

        def close() -> None:
            if self.crawler.engine.spider is not None:
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="redis_lost"))

        reactor.callLater(0, close)  # type: ignore[arg-type]  # twisted types the global reactor as a module

    # -- lifecycle ------------------------------------------------------------------------------------------
    def open(self) -> None:
        """Join: register, start the heartbeat thread (a busy reactor must not look like a dead worker), and
        hook the engine's end of a request (``_remove_request``: after its download, callback and follow-ups)."""
        self.do(self.server.sadd, self.key("workers"), self.worker)
        self._heartbeat_once()
        self._beat = threading.Thread(target=self._heartbeat, name="govaudit-heartbeat", daemon=True)
        self._beat.start()
        engine = self.crawler.engine
        remove = engine._remove_request

        def handled(result: Any, request: Request) -> None:
            token = request.meta.get(LEASE)
            if token is not None:
                self._finished.append(token)
            remove(result, request=request)

        engine._remove_request = handled  # a private hook: Scrapy has no signal for "callback output handled"

    def _heartbeat_once(self) -> None:
        self.server.set(self.key(f"alive:{self.worker}"), "1", px=int(self.lease_seconds * 1000))

    def _heartbeat(self) -> None:
        client = redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=2)
        while not self._stop.wait(self.lease_seconds / 4):
            try:
                client.set(self.key(f"alive:{self.worker}"), "1", px=int(self.lease_seconds * 1000))
            except redis.RedisError:
                pass  # the reactor's own calls notice and end the crawl

    def settle(self) -> None:
        """After the store flush: the handled requests' records are written, their leases go back."""
        if self._finished:
            done, self._finished = self._finished, []
            self.call("release", [self.lease_key, self.outstanding_key], done)

    def reap(self) -> int:
        """Give a dead worker's leased and parked requests back to the queue (any worker does it, at most once a
        second)."""
        now = time.monotonic()
        if now - self.last_reap < 1.0 or self.lost:
            return 0
        self.last_reap = now
        moved = 0
        for raw in self.do(self.server.smembers, self.key("workers"), default=set()) or ():
            worker = raw.decode()
            if worker == self.worker or self.do(self.server.exists, self.key(f"alive:{worker}"), default=1):
                continue
            n = self.call("reap", [self.key(f"lease:{worker}"), self.key(f"held:{worker}"), self.queue_key,
                                   self.key("workers"), self.outstanding_key], [worker, REQUEUE_SCORE], 0) or 0
            if n:
                from govaudit.crawler.spiders.site import say

                say(f"worker {worker} stopped its heartbeat: its {n} unfinished requests are queued again")
            moved += n
        return moved

    def outstanding(self) -> int:
        return int(self.do(self.server.get, self.outstanding_key, default=0) or 0)

    def busy(self) -> bool:
        """Work remains somewhere in the crawl (queued, leased, parked for a re-test)."""
        self.reap()
        return not self.lost and self.outstanding() > 0

    def close(self, counts: dict[str, int], *, seeder: bool) -> None:
        """Leave: this worker's figures go into the scan's sum; the heartbeat stops."""
        self.settle()
        self.call("leave", [self.key("workers"), self.key("stats"), self.key(f"alive:{self.worker}")],
                  [self.worker, int(seeder), *(x for name, value in counts.items() for x in (name, value))])
        self._stop.set()

    def wait_for_others(self, timeout: float) -> None:
        """The scan's own process waits for the other workers to leave (their figures are in the sum then)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.lost:
            self.reap()
            others = {w for w in self.do(self.server.smembers, self.key("workers"), default=set()) or ()}
            if not others - {self.worker.encode()}:
                return
            time.sleep(0.2)

    def stats(self) -> dict[str, int]:
        raw = self.do(self.server.hgetall, self.key("stats"), default={}) or {}
        return {k.decode(): int(v) for k, v in raw.items()}

    # -- shared crawl state ---------------------------------------------------------------------------------
    def claim(self, key: int) -> bool:
        """True for the one worker that sees this URL key first."""
        return bool(self.do(self.server.sadd, self.key("seen"), key, default=1))

    def claim_analysed(self, key: int) -> bool:
        return bool(self.do(self.server.sadd, self.key("analysed"), key, default=1))

    def take_page(self, max_pages: int, included: bool) -> bool:
        """Under the page cap? And, for a page that will be parsed, count it (one atomic step across workers)."""
        return bool(self.call("take_page", [self.key("pages")], [max_pages, "1" if included else "0"], 0))

    def query_variant(self, path: str) -> int:
        return int(self.do(self.server.hincrby, self.key("variants"), path, 1, default=0) or 0)

    def host_facts(self, host: str, name: str, value: Any) -> dict[str, Any]:
        """All facts of the host so far, this one merged in (probes are answered by whichever worker)."""
        self.do(self.server.hset, self.key(f"host:{host}"), name, json.dumps(value, ensure_ascii=False))
        raw = self.do(self.server.hgetall, self.key(f"host:{host}"), default={}) or {}
        return {k.decode(): json.loads(v) for k, v in raw.items()} or {name: value}

    def hold(self, request: Request, spider: Any) -> None:
        """A re-test parked in this worker's heap: counted, and kept in Redis so a death does not lose it."""
        self._token += 1
        token = f"h{self._token}"
        self.call("hold", [self.held_key, self.outstanding_key], [token, encode(request, spider)])
        request.meta[HELD] = token

    def unhold(self, request: Request) -> None:
        token = request.meta.pop(HELD, None)
        if token is not None:
            self.call("release", [self.held_key, self.outstanding_key], [token])

    def next_lease(self) -> str:
        self._token += 1
        return f"l{self._token}"

    def reset(self, seen: Iterable[int], pages: int) -> None:
        """A resumed scan: the store is the truth, the frontier is rebuilt from it (pending URLs are queued
        again by the spider's start)."""
        names = [k for k in self.do(self.server.keys, self.prefix + "*", default=[]) or []]
        pipe = self.server.pipeline()
        if names:
            pipe.delete(*names)
        batch: list[int] = []
        for key in seen:
            batch.append(key)
            if len(batch) >= 10000:
                pipe.sadd(self.key("seen"), *batch)
                batch = []
        if batch:
            pipe.sadd(self.key("seen"), *batch)
        pipe.set(self.key("pages"), pages)
        pipe.sadd(self.key("workers"), self.worker)  # this worker stays registered
        pipe.set(self.key(f"alive:{self.worker}"), "1", px=int(self.lease_seconds * 1000))
        self.do(pipe.execute)


def encode(request: Request, spider: Any) -> bytes:
    """A request as scrapy-redis stores it (its dict, pickled), without this worker's lease marks."""
    data = request.to_dict(spider=spider)
    data["meta"] = {k: v for k, v in data["meta"].items() if k not in (LEASE, HELD)}
    return picklecompat.dumps(data)


_FRONTIERS: weakref.WeakKeyDictionary[Any, Frontier] = weakref.WeakKeyDictionary()


def frontier_of(crawler: Any) -> Frontier | None:
    """The crawler's frontier when the crawl is shared (setting ``GOVAUDIT_REDIS``), else None."""
    url = crawler.settings.get("GOVAUDIT_REDIS")
    if not url:
        return None
    if crawler not in _FRONTIERS:
        _FRONTIERS[crawler] = Frontier(crawler, url, crawler.settings.get("GOVAUDIT_SCAN"),
                                       crawler.settings.getfloat("GOVAUDIT_LEASE_SECONDS", 10.0))
    return _FRONTIERS[crawler]


class LeasedQueue(Base):
    """scrapy-redis's queue with leases: ``pop`` moves the request into the worker's lease hash."""

    frontier: Frontier

    def __len__(self) -> int:
        return int(self.frontier.do(self.server.zcard, self.key, default=0) or 0)

    def push(self, request: Request) -> None:
        self.frontier.call("push", [self.key, self.frontier.outstanding_key],
                           [-request.priority, encode(request, self.spider)])

    def pop(self, timeout: int = 0) -> Request | None:
        token = self.frontier.next_lease()
        blob = self.frontier.call("pop", [self.key, self.frontier.lease_key], [token])
        if not blob:
            return None
        request = self._decode_request(blob)
        request.meta[LEASE] = token
        return request


class Scheduler(redis_scheduler.Scheduler):
    """scrapy-redis's scheduler on the frontier's connection; pending while the *crawl* has work anywhere, so
    a worker whose own queue ran dry keeps polling instead of closing."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> Scheduler:
        frontier = frontier_of(crawler)
        assert frontier is not None
        frontier.server.ping()  # a wrong --redis URL fails here, before anything is crawled
        settings = crawler.settings
        instance = cls(server=frontier.server, persist=True, queue_key=frontier.queue_key,
                       queue_cls="govaudit.crawler.distributed.LeasedQueue",
                       dupefilter=None, dupefilter_cls="scrapy_redis.dupefilter.RFPDupeFilter",
                       idle_before_close=0, serializer=None)
        instance.frontier = frontier
        instance.stats = crawler.stats
        instance.settings = settings
        crawler.signals.connect(instance.opened, signal=signals.spider_opened)
        return instance

    def open(self, spider: Any) -> None:
        LeasedQueue.frontier = self.frontier
        self.spider = spider
        self.queue = LeasedQueue(self.server, spider, self.queue_key)
        self.df = _NoFilter()

    def opened(self, spider: Any) -> None:
        from twisted.internet.task import LoopingCall

        self.frontier.open()
        # Scrapy looks at an empty scheduler again only every 5 s; a worker whose queue ran dry while others
        # still work asks again more often, so it picks up new work at once.
        self._nudge = LoopingCall(self._poll)
        self._nudge.start(0.2, now=False)

    def _poll(self) -> None:
        slot = self.spider.crawler.engine._slot
        if slot is not None and not self.frontier.lost:
            slot.nextcall.schedule()

    def close(self, reason: str) -> None:
        if getattr(self, "_nudge", None) is not None and self._nudge.running:
            self._nudge.stop()

    def enqueue_request(self, request: Request) -> bool:
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        return self.queue.pop()

    def has_pending_requests(self) -> bool:
        return self.frontier.busy()


class _NoFilter:
    """Every request the spider makes is new by its URL key already (``Frontier.claim``)."""

    def request_seen(self, request: Request) -> bool:
        return False

    def clear(self) -> None:
        pass

    def close(self, reason: str = "") -> None:
        pass


class HostGate:
    """Per-host politeness across workers, taken at the wire (``WireClockHandler``)."""

    def __init__(self, frontier: Frontier, crawler: Any) -> None:
        self.frontier = frontier
        self.crawler = crawler
        self.limit = crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2)
        self.lease_ms = int((crawler.settings.getfloat("DOWNLOAD_TIMEOUT", 15.0) + 10) * 1000)
        self._token = 0

    async def enter(self, request: Request) -> str | None:
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        host = request.meta.get("download_slot") or ""
        slot = self.crawler.engine.downloader.slots.get(host)
        delay_ms = int((slot.delay if slot is not None else 0) * 1000)
        self._token += 1
        token = f"{self.frontier.worker}:{self._token}"
        keys = [self.frontier.key(f"gate:{host}"), self.frontier.key(f"next:{host}")]
        while True:
            wait = self.frontier.call("gate", keys, [self.limit, delay_ms, self.lease_ms, token], 0)
            if not wait:
                return token
            await deferLater(reactor, wait / 1000, lambda: None)

    def leave(self, request: Request, token: str) -> None:
        host = request.meta.get("download_slot") or ""
        self.frontier.do(self.frontier.server.zrem, self.frontier.key(f"gate:{host}"), token)


_GATES: weakref.WeakKeyDictionary[Any, HostGate] = weakref.WeakKeyDictionary()


def gate_of(crawler: Any) -> HostGate | None:
    frontier = frontier_of(crawler)
    if frontier is None:
        return None
    if crawler not in _GATES:
        _GATES[crawler] = HostGate(frontier, crawler)
    return _GATES[crawler]


def distributed_settings(url: str, job: str) -> dict[str, Any]:
    """The Scrapy settings of a shared crawl."""
    return {"GOVAUDIT_REDIS": url, "GOVAUDIT_SCAN": job,
            "SCHEDULER": "govaudit.crawler.distributed.Scheduler"}
