"""Availability monitoring (可用性监测): probe each homepage once per window of the rule set's schedule.

The 站点无法访问 veto is judged over a week of at least 20 spaced probes a day, a probe failing after 15 s
(indicators.md veto.unreachable).  This process is long-lived and is restarted (crashes, reboots, upgrades),
so its bookkeeping is the store, not memory:

* Time is cut into **slots** of the epoch clock (``window_seconds``): slot n is [n·w, (n+1)·w).  Each site is
  probed once per slot, at a fixed offset inside it (spread over the sites so a province is not hit at once).
* A slot is written once (``Store.add_probes``: the primary key is (site, slot), first write wins), so a
  restart inside a window probes it again only if its probe was never written, and nothing counts twice.
* A slot that passed with no probe written — the monitor was down, the machine asleep, the clock jumped
  ahead — is recorded ``missed``: never ``up``, and not in the ratio's denominator (the figures show it).
* A clock that goes back finds its slots already written and waits, with a warning, until it passes the last
  one; probes are never written into the past.

The clock is a parameter (``clock=``), so tests move it without touching the process's time.  A probe is one
GET with redirects followed, ``timeout_seconds`` for the whole response (not per read), failed on a transport
error or a status ≥ ``fail_status``.  Every ``snapshot_seconds`` the homepage's items (its links with their
text) are kept, so whether the homepage changed is observed, not only read from printed dates.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import urllib3

from govaudit.errors import UserError
from govaudit.ruleset import RuleSet
from govaudit.store import Store

Clock = Callable[[], float]
MAX_BODY = 4 * 1024 * 1024  # a homepage larger than this is still "up"; only its first bytes are snapshotted


@dataclass(frozen=True)
class Schedule:
    """The monitor's schedule and failure rule, from ``params.availability`` of the rule set."""

    window: float
    timeout: float
    period_days: float
    fail_status: int
    snapshot_seconds: float
    concurrency: int

    @classmethod
    def from_rules(cls, rules: RuleSet) -> Schedule:
        p = rules.param("availability")
        window = float(p["window_seconds"])
        if window <= 0 or 86400 / window < float(p["min_probes_per_day"]):
            raise UserError(f"{rules.where('params.availability.window_seconds')}: a window of {window:g} s gives "
                            f"{86400 / window if window > 0 else 0:g} probes a day; the inspection schedule needs at "
                            f"least {p['min_probes_per_day']} (params.availability.min_probes_per_day)")
        return cls(window=window, timeout=float(p["timeout_seconds"]), period_days=float(p["period_days"]),
                   fail_status=int(p["fail_status"]), snapshot_seconds=float(p["snapshot_seconds"]),
                   concurrency=max(1, int(p["concurrency"])))

    def slot_of(self, t: float) -> int:
        return math.floor(t / self.window)

    def due(self, site: str, slot: int) -> float:
        """When ``site`` is probed in ``slot``: a fixed offset in the window's first half, by the site's hash."""
        frac = int.from_bytes(hashlib.blake2b(site.encode(), digest_size=4).digest(), "big") / 2**32
        return slot * self.window + frac * self.window / 2

    @property
    def period_slots(self) -> int:
        return math.ceil(self.period_days * 86400 / self.window)


@dataclass(slots=True)
class ProbeResult:
    outcome: str            # up | down
    status: int | None
    error: str | None       # the links check's download-error vocabulary (timeout, dns, refused, reset, tls, other)
    elapsed: float
    body: bytes = b""


def _error_code(exc: BaseException) -> str:
    text = f"{type(exc).__name__} {exc}".lower()
    for needle, code in (("timeout", "timeout"), ("timed out", "timeout"), ("name or service", "dns"),
                         ("nodename", "dns"), ("name resolution", "dns"), ("getaddrinfo", "dns"),
                         ("refused", "refused"), ("reset", "reset"), ("aborted", "reset"), ("ssl", "tls"),
                         ("certificate", "tls"), ("protocol", "reset"), ("incomplete", "reset")):
        if needle in text:
            return code
    return "other"


def probe(pool: urllib3.PoolManager, url: str, schedule: Schedule, user_agent: str) -> ProbeResult:
    """One GET of the homepage within ``schedule.timeout`` seconds for the whole answer."""
    start = time.monotonic()
    deadline = start + schedule.timeout
    try:
        resp = pool.request("GET", url, preload_content=False, redirect=True,
                            retries=urllib3.Retry(connect=0, read=0, status=0, other=0, redirect=5),  # one attempt
                            timeout=urllib3.Timeout(connect=schedule.timeout, read=schedule.timeout),
                            headers={"User-Agent": user_agent})
        try:
            chunks, size = [], 0
            # read1: what one receive brings (stream() would wait for 64 KiB), so the deadline is checked as a
            # trickling server sends; a probe lasts at most the deadline plus one read time-out, and is failed.
            while chunk := resp.read1(65536):
                if time.monotonic() > deadline:
                    return ProbeResult("down", resp.status, "timeout", time.monotonic() - start)
                if size < MAX_BODY:
                    chunks.append(chunk)
                size += len(chunk)
        finally:
            resp.release_conn()
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return ProbeResult("down", None, _error_code(exc), time.monotonic() - start)
    elapsed = time.monotonic() - start
    if elapsed > schedule.timeout:
        return ProbeResult("down", resp.status, "timeout", elapsed)
    outcome = "down" if resp.status >= schedule.fail_status else "up"
    return ProbeResult(outcome, resp.status, None, elapsed, b"".join(chunks))


def home_items(body: bytes, url: str) -> list[dict[str, str]]:
    """The homepage's items: each link with visible text, as (title, absolute URL), sorted and unique."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(body)
    except (ValueError, lxml.etree.ParserError):
        return []
    seen: set[tuple[str, str]] = set()
    for a in tree.iter("a"):
        title = " ".join((a.text_content() or "").split())
        href = (a.get("href") or "").strip()
        if title and href and not href.lower().startswith(("javascript:", "mailto:", "#")):
            seen.add((title[:200], urljoin(url, href)))
    return [{"title": t, "url": u} for t, u in sorted(seen)]


class Monitor:
    """Probes ``sites`` (homepage URLs, normalised as a scan's start URL) into the store at ``store_path``."""

    def __init__(self, store_path: Path | str, sites: Iterable[str], rules: RuleSet, *, clock: Clock = time.time,
                 log: Callable[[str], None] | None = None) -> None:
        self.store = Store(store_path)
        self.sites = list(dict.fromkeys(sites))
        self.schedule = Schedule.from_rules(rules)
        self.user_agent = str(rules.param("crawl.user_agent"))
        self.clock = clock
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.stop = threading.Event()
        self.taken = {site: self.store.last_slot(site) for site in self.sites}  # last slot written or being probed
        self.snapshot_key: dict[str, str] = {}
        # Certificates are not verified, as in the crawl (Scrapy's default): the veto asks whether the homepage
        # opens, and a certificate problem is the identity checks' concern, not an outage.
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self.pool = urllib3.PoolManager(num_pools=max(10, len(self.sites)), maxsize=1, cert_reqs="CERT_NONE")
        self.executor = ThreadPoolExecutor(self.schedule.concurrency, thread_name_prefix="govaudit-probe")
        self.running: set[Future] = set()
        self.lock = threading.Lock()  # the store's connection is shared by the probe threads
        self.clock_back_warned: dict[str, int] = {}

    def tick(self) -> float:
        """Record the windows that passed unprobed as missed, start the probes that are due; returns the seconds
        until the next probe is due (so the loop sleeps exactly that long)."""
        now = self.clock()
        slot = self.schedule.slot_of(now)
        wait = self.schedule.window
        missed: list[tuple] = []
        for site in self.sites:
            last = self.taken[site]
            if last is not None and slot <= last:
                if slot < last and self.clock_back_warned.get(site) != last:
                    self.clock_back_warned[site] = last
                    self.log(f"monitor: the clock is behind the last recorded window of {site} "
                             f"({(last - slot) * self.schedule.window:.0f} s); waiting for it, nothing is re-probed")
                wait = min(wait, (last + 1) * self.schedule.window - now)
                continue
            first_open = slot if last is None else last + 1  # a new site starts with the current window
            oldest = max(first_open, slot - self.schedule.period_slots)  # older gaps are outside any weekly ratio
            missed += [(site, s, self.schedule.due(site, s), None, "missed", None, None, None) for s in range(oldest, slot)]
            self.taken[site] = slot - 1
            due = self.schedule.due(site, slot)
            if now >= due:
                self.taken[site] = slot
                fut = self.executor.submit(self._probe, site, slot, due)
                self.running.add(fut)
                fut.add_done_callback(self.running.discard)
            else:
                wait = min(wait, due - now)
        if missed:
            with self.lock:
                self.store.add_probes(missed)
            self.log(f"monitor: {len(missed)} window(s) passed with no probe, recorded as missed")
        return max(0.05, wait)

    def _probe(self, site: str, slot: int, due: float) -> None:
        result = probe(self.pool, site, self.schedule, self.user_agent)
        at = self.clock()
        with self.lock:
            self.store.add_probes([(site, slot, due, at, result.outcome, result.status, result.error,
                                    round(result.elapsed, 3))])
            if result.outcome == "up" and result.body:
                self._snapshot(site, at, result.body)
        if result.outcome == "down":
            self.log(f"monitor: {site} down ({result.error or f'HTTP {result.status}'})")

    def _snapshot(self, site: str, at: float, body: bytes) -> None:
        start = math.floor(at / self.schedule.snapshot_seconds) * self.schedule.snapshot_seconds
        key = datetime.fromtimestamp(start, tz=UTC).isoformat(timespec="seconds")
        if self.snapshot_key.get(site) == key:
            return
        items = home_items(body, site)
        digest = hashlib.sha1(json.dumps(items, ensure_ascii=False).encode()).hexdigest()[:16]
        self.store.put_snapshot(site, key, at, digest, items)
        self.snapshot_key[site] = key

    def run(self, *, until: Callable[[], bool] | None = None) -> None:
        """Probe until ``stop`` is set (SIGTERM, SIGINT) or ``until()`` is true; probes in flight finish first."""
        try:
            while not self.stop.is_set() and not (until and until()):
                self.stop.wait(self.tick())
        finally:
            self.executor.shutdown(wait=True)
            self.store.close()

