"""The scan pipeline: crawl → store → checks → score → report, in one direction.

``run_scan(ScanRequest(...))`` is what ``govaudit scan`` / ``check`` / ``demo`` do, and what a program calls
(``govaudit.scan``); it knows nothing of argparse.  ``analyse`` is the part after the crawl, which
``govaudit report`` re-runs on a stored scan with another rule set (no re-crawl).

Stopping: SIGINT and SIGTERM end the scan in whichever stage runs.  The crawl stops through Scrapy's
graceful close (in-flight requests finish, the spider writes its state), cut short after
``params.crawl.stop_grace_seconds``; the later stages stop where they are.  The store keeps the scan as
``interrupted`` (SQLite transactions keep it consistent), outputs are published by temp-file-and-rename so
none is half-written, and ``--resume`` finishes the scan with the findings an uninterrupted one has.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from types import FrameType
from typing import Any

from govaudit import __version__
from govaudit.errors import UserError
from govaudit.model import Finding
from govaudit.ruleset import DEFAULT_RULESET, RuleSet, load_ruleset
from govaudit.store import Store, redacted, store_locator
from govaudit.urls import is_loopback, normalise_start_url

STORE_NAME = "govaudit.sqlite"
A11Y_MODES = ("sample", "all", "off")
PROFILES = ("default", "local-benchmark")


class ScanError(UserError):
    """Bad scan input (URL, options); printed as one line by the CLI."""


class ScanInterrupted(KeyboardInterrupt):
    """The scan was stopped by SIGINT/SIGTERM; the store keeps it as ``interrupted`` for ``--resume``.

    A KeyboardInterrupt, so that no ``except Exception`` on the way swallows it.
    """

    def __init__(self, signum: int, stage: str = "", scan_id: int | None = None) -> None:
        super().__init__(signum)
        self.signum = signum
        self.stage = stage
        self.scan_id = scan_id
        self.progress = ""  # how far the scan got ("after 1,092 pages …"), filled in from the store

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as shells report it: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum

    def __str__(self) -> str:
        name = signal.Signals(self.signum).name
        where = f" during the {self.stage}" if self.stage else ""
        progress = f" {self.progress}" if self.progress else ""
        scan = f" (scan {self.scan_id} kept in the store)" if self.scan_id is not None else ""
        return f"interrupted by {name}{where}{progress}{scan}; re-run with --resume to finish it"


def progress_of(store: Store, scan_id: int) -> str:
    """How far a scan got, from the store (what the crawl recorded, whether or not it closed): issue 16 asks a
    stopped scan to say it, never that it "failed before it started" after minutes of crawling."""
    counts = store.view(scan_id).counts()
    pages = counts.get("page.done", 0)
    done = sum(n for key, n in counts.items() if key.endswith(".done"))
    queued = sum(n for key, n in counts.items() if key.endswith((".pending", ".retest")))
    return f"after {pages:,} pages read and {done:,} URLs finished ({queued:,} still queued)"


@dataclass
class ScanRequest:
    """What one scan is asked to do.  ``None`` means "the rule set's value" wherever the rule set has one."""

    url: str
    out: Path = Path("govaudit-out")
    store: Path | str | None = None      # default out/govaudit.sqlite; a str: a postgresql:// URL (store_locator)
    rules: str = DEFAULT_RULESET         # rule-set id or YAML file
    as_of: date | str | None = None      # check date (default today)
    lang: str = "zh"
    resume: bool = False
    # what to crawl
    max_pages: int | None = None
    max_depth: int | None = None
    subdomains: bool = False
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    check_external: bool = True
    a11y: str = "sample"                 # sample | all | off
    a11y_browsers: int = 2
    # politeness
    obey_robots: bool = True
    concurrency: int | None = None
    delay: float | None = None
    timeout: float | None = None
    user_agent: str | None = None
    workers: int | None = None
    profile: str = "default"             # default | local-benchmark
    redis: str | None = None             # redis://HOST/DB: workers (`govaudit worker`) share the crawl
    # display
    quiet: bool = True
    verbose: bool = False

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        self.store = store_locator(str(self.store)) if self.store is not None else None
        if self.a11y not in A11Y_MODES:
            raise ScanError(f"a11y mode must be one of {', '.join(A11Y_MODES)}, not {self.a11y!r}")
        if self.profile not in PROFILES:
            raise ScanError(f"profile must be one of {', '.join(PROFILES)}, not {self.profile!r}")

    @property
    def store_path(self) -> Path | str:
        return self.store or self.out / STORE_NAME

    def options(self) -> dict[str, Any]:
        """The request as JSON-safe values, recorded with the scan in the store."""
        options = {k: (str(v) if isinstance(v, (Path, date)) else v) for k, v in asdict(self).items()}
        return {**options, "store": redacted(self.store)} if self.store is not None else options


@dataclass
class ScanOutcome:
    store_path: Path | str
    scan_id: int
    out_dir: Path
    findings: list[Finding]
    scorecard: Any


def parse_as_of(text: str | date | None) -> date:
    if isinstance(text, date):
        return text
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ScanError(f"--as-of {text!r}: expected a date like 2026-11-20") from exc


def crawl_settings(req: ScanRequest, rules: RuleSet, url: str) -> Any:
    from scrapy.settings import Settings

    crawl = rules.param("crawl")
    settings = Settings()
    settings.setmodule("govaudit.crawler.settings", priority="project")
    settings.set("USER_AGENT", req.user_agent or crawl["user_agent"], priority="cmdline")
    settings.set("DOWNLOAD_TIMEOUT", req.timeout or crawl["timeout_seconds"], priority="cmdline")
    settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", req.concurrency or crawl["concurrency_per_host"], priority="cmdline")
    settings.set("DOWNLOAD_DELAY", req.delay or 0, priority="cmdline")
    settings.set("DOWNLOAD_MAXSIZE", crawl["max_response_bytes"], priority="cmdline")
    settings.set("REDIRECT_MAX_TIMES", rules.param("links.max_redirects"), priority="cmdline")
    settings.set("ROBOTSTXT_OBEY", req.obey_robots, priority="cmdline")
    settings.set("GOVAUDIT_CIRCUIT_BREAKER", crawl["circuit_breaker"], priority="cmdline")
    settings.set("GOVAUDIT_QUIET", bool(req.quiet), priority="cmdline")
    if req.verbose:
        settings.set("LOG_LEVEL", "INFO", priority="cmdline")
        settings.set("LOGSTATS_INTERVAL", 10, priority="cmdline")
    settings.set("SCHEDULER_MEMORY_QUEUE", "scrapy.squeues.FifoMemoryQueue", priority="cmdline")
    if req.profile == "local-benchmark":
        if not is_loopback(url):
            raise ScanError("--profile local-benchmark lifts politeness limits and is only allowed for sites on this "
                            f"machine (127.0.0.1, localhost); {url} is not")
        for key, value in settings.getdict("LOCAL_BENCHMARK").items():
            if key == "CONCURRENT_REQUESTS_PER_DOMAIN" and req.concurrency:
                continue
            settings.set(key, value, priority="cmdline")
    return settings


class Interrupts:
    """SIGINT/SIGTERM → a clean stop of the stage that runs.

    During the crawl the reactor owns the main thread, so a signal asks Scrapy for its graceful stop and,
    if that has not ended the reactor after ``grace`` seconds (in-flight downloads wait up to
    DOWNLOAD_TIMEOUT), stops the reactor; requests not yet recorded stay pending in the store for
    ``--resume``.  In the other stages a signal raises ``ScanInterrupted`` where the scan is.  A second
    signal while stopping exits at once (the store is transactional and outputs are renamed into place).
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.stage = "set-up"
        self._crawl_stop: Callable[[bool], None] | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Interrupts:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        first = self.signum is None
        if first:
            self.signum = signum
        if self._crawl_stop is not None:
            self._crawl_stop(first)
        elif first:
            raise ScanInterrupted(signum, self.stage)
        else:
            os._exit(128 + signum)

    @contextmanager
    def crawling(self, stop: Callable[[bool], None]) -> Iterator[None]:
        self.stage, self._crawl_stop = "crawl", stop
        try:
            yield
        finally:
            self._crawl_stop = None

    def check(self, stage: str) -> None:
        """Raise if a signal arrived (during the crawl, whose handler cannot raise), then enter ``stage``."""
        if self.signum is not None:
            raise ScanInterrupted(self.signum, self.stage)
        self.stage = stage


def crawl(req: ScanRequest, rules: RuleSet, url: str, scan_id: int, as_of: date, resume: bool,
          interrupts: Interrupts, *, seeder: bool = True) -> None:
    """Run the Scrapy crawl in this process (Twisted's reactor runs once per process).  With ``req.redis`` the
    crawl is shared: the seeder (``govaudit scan``) begins it, workers (``govaudit worker``) join it."""
    from scrapy.crawler import CrawlerProcess
    from twisted.internet import reactor

    from govaudit.crawler.spiders.site import CrawlConfig, SiteSpider

    settings = crawl_settings(req, rules, url)
    config = CrawlConfig.from_rules(
        rules, start_url=url, store_path=str(req.store_path), scan_id=scan_id, as_of=as_of, resume=resume,
        extractors=settings.getlist("GOVAUDIT_EXTRACTORS"), max_pages=req.max_pages, max_depth=req.max_depth,
        retest_delay=0.2 if req.profile == "local-benchmark" else None, workers=req.workers,
        include_subdomains=req.subdomains, include=req.include, exclude=req.exclude,
        check_external=req.check_external, redis_url=req.redis or "", seeder=seeder)
    if req.redis:
        from govaudit.crawler.distributed import distributed_settings
        from govaudit.crawler.jobs import job_id, publish_job

        job = job_id(_store_name(req), scan_id)
        for key, value in distributed_settings(req.redis, job).items():
            settings.set(key, value, priority="cmdline")
        if seeder:
            publish_job(req.redis, job, {"scan_id": scan_id, "url": url, "as_of": as_of.isoformat(),
                                             "request": {**req.options(), "store": _store_name(req),
                                                         "resume": False}})
    settings.set("LOG_INSTALL_ROOT_HANDLER", bool(req.verbose), priority="cmdline")
    grace = float(rules.param("crawl.stop_grace_seconds"))
    running: list[Any] = []  # the CrawlerProcess once the reactor may run

    def stop(first: bool) -> None:  # called in the signal handler: only hand work to the reactor
        if not running:
            return  # not started yet: checked below, before the reactor starts
        if first:
            reactor.callFromThread(running[0].stop)
            reactor.callFromThread(reactor.callLater, grace, _stop_reactor)
        else:
            reactor.callFromThread(_stop_reactor)

    with interrupts.crawling(stop):
        process = CrawlerProcess(settings)
        process.crawl(SiteSpider, config=config)
        running.append(process)
        if interrupts.signum is None:
            process.start(install_signal_handlers=False)


def _stop_reactor() -> None:
    from twisted.internet import reactor
    from twisted.internet.error import ReactorNotRunning

    try:
        reactor.stop()  # type: ignore[misc]  # twisted types the global reactor as a module-level function
    except ReactorNotRunning:
        pass


def analyse(store: Store, scan_id: int, rules: RuleSet, out_dir: Path, *, lang: str = "zh",
            interrupts: Interrupts | None = None) -> tuple[list[Finding], Any]:
    """Checks → findings (stored, replacing earlier ones) → findings.jsonl → scored reports."""
    from govaudit import checks
    from govaudit.reports import atomic_outputs, check_writable, write_reports

    check_writable(out_dir)  # before any work: an unwritable directory is the first error, not the last
    view = store.view(scan_id)
    findings = list(checks.run_all(view, rules))
    store.replace_findings(scan_id, findings)
    if interrupts is not None:
        interrupts.check("report writing")
    with atomic_outputs(out_dir, ["findings.jsonl"]) as tmp, open(tmp["findings.jsonl"], "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(f.to_json(), ensure_ascii=False) + "\n" for f in findings)
    from govaudit import history

    scorecard = write_reports(view, findings, rules, out_dir, lang=lang,
                              history=history.previous_points(store, scan_id, rules))
    history.record(store, scan_id, rules, scorecard)
    return findings, scorecard


def audit_accessibility(store: Store, scan_id: int, req: ScanRequest, rules: RuleSet) -> None:
    """The browser stage: axe-core in headless Chromium on a template sample, results into the store."""
    from govaudit.crawler.browser import AxeNotInstalled, audit_scan

    try:
        coverage = audit_scan(store, scan_id, mode=req.a11y, browsers=max(1, req.a11y_browsers),
                              shots_dir=req.out / "a11y-shots", rules=rules)
    except AxeNotInstalled as exc:
        raise ScanError(f"{exc} (or pass --a11y off)") from exc
    store.merge_stats(scan_id, a11y=coverage)


def _open_scan(store: Store, req: ScanRequest, url: str, as_of: date) -> tuple[int, date, bool]:
    """(scan id, check date, resuming?): the last unfinished scan of ``url`` with ``resume``, else a new one."""
    scan_id = store.resumable_scan(url) if req.resume else None
    if scan_id is not None:
        # A scan stopped before its first URL was written has nothing to resume from: it starts over.
        return scan_id, date.fromisoformat(store.scan(scan_id).as_of), bool(store.pages_scheduled(scan_id))
    scan_id = store.begin_scan(site=url, start_url=url, as_of=as_of.isoformat(), options=req.options(),
                               tool_version=__version__)
    return scan_id, as_of, False


def _mark_interrupted(store_path: Path | str, scan_id: int, stage: str) -> None:
    """The scan stays resumable, and says where it stopped."""
    with Store(store_path) as store:
        info = store.scan(scan_id)
        stats = {**info.stats, "interrupted_in": stage}
        stats.setdefault("close_reason", "shutdown")
        store.finish_scan(scan_id, stats, state="interrupted")


def run_scan(req: ScanRequest) -> ScanOutcome:
    """Crawl one site and write every output; resumable with ``req.resume``.

    Raises ``ScanError`` for bad input, ``PreflightError`` when something the stages need is missing, and
    ``ScanInterrupted`` when SIGINT/SIGTERM stopped it (signal handlers are installed only in the main thread).
    """
    from govaudit.preflight import preflight

    url = normalise_start_url(req.url)
    rules = load_ruleset(req.rules)
    as_of = parse_as_of(req.as_of)
    preflight(req, rules)
    with Interrupts() if _main_thread() else _NoInterrupts() as interrupts:
        with Store(req.store_path) as store:
            scan_id, as_of, resume = _open_scan(store, req, url, as_of)
        try:
            crawl(req, rules, url, scan_id, as_of, resume, interrupts)
            if req.redis:
                _end_shared_crawl(req, scan_id)
            interrupts.check("browser audits")
            return _after_crawl(req, rules, url, scan_id, interrupts)
        except ScanInterrupted as exc:
            signal.signal(exc.signum, lambda s, f: os._exit(128 + s))  # a second signal while saving the state
            exc.stage, exc.scan_id = exc.stage or interrupts.stage, scan_id
            _mark_interrupted(req.store_path, scan_id, exc.stage)
            with Store(req.store_path) as store:
                exc.progress = progress_of(store, scan_id) if exc.stage == "crawl" else ""
            raise


def _store_name(req: ScanRequest) -> str:
    """The store as every worker names it: a PostgreSQL URL as given, a SQLite file by its absolute path."""
    store = req.store_path
    return store if isinstance(store, str) else str(Path(store).resolve())


def _end_shared_crawl(req: ScanRequest, scan_id: int) -> None:
    """No worker joins the scan any more; a crawl that lost Redis fails here, resumable."""
    from govaudit.crawler.jobs import job_id, retire_job

    with Store(req.store_path) as store:
        info = store.scan(scan_id)
        lost = info.stats.get("redis_lost")
        progress = progress_of(store, scan_id) if lost else ""
    retire_job(str(req.redis), job_id(_store_name(req), scan_id), clear=info.state == "crawled")
    if lost:
        raise ScanError(f"Redis at {req.redis} went away during the crawl ({lost}) {progress}; the store keeps scan "
                        f"{scan_id}: start Redis again and re-run the same command with --resume")


def _after_crawl(req: ScanRequest, rules: RuleSet, url: str, scan_id: int, interrupts: Interrupts) -> ScanOutcome:
    with Store(req.store_path) as store:
        info = store.scan(scan_id)
        if info.stats.get("close_reason") == "store_failed":
            raise ScanError(f"the crawl of {url} ended because the store could not be written "
                            f"({info.stats.get('store_failure') or 'see the messages above'}); what was written is kept "
                            f"as scan {scan_id}: fix the store and re-run the same command with --resume")
        if info.state == "running":  # the crawl returned without closing the scan
            if any(key.endswith(".done") for key in store.view(scan_id).counts()):
                raise ScanError(f"the crawl of {url} stopped without closing the scan {progress_of(store, scan_id)} "
                                f"(see the messages above); the store keeps scan {scan_id}, re-run with --resume")
            raise ScanError(f"the crawl of {url} failed before it started (see the messages above); the store keeps "
                            f"scan {scan_id}, re-run with --resume")
        if req.a11y != "off":
            audit_accessibility(store, scan_id, req, rules)
        interrupts.check("checks")
        findings, scorecard = analyse(store, scan_id, rules, req.out, lang=req.lang, interrupts=interrupts)
        info = store.scan(scan_id)
        if info.state == "crawled":  # a crawl that ended early (not by a signal) stays resumable; reports say so
            store.finish_scan(scan_id, info.stats, state="finished")
        from govaudit.checks.availability import home_failure

        failure = home_failure(store.view(scan_id))
        if failure and not info.stats.get("pages_crawled"):
            raise ScanError(f"the start page {url} could not be read ({failure}): nothing was crawled; the reports "
                            f"in {req.out} record it")
    return ScanOutcome(store_path=req.store_path, scan_id=scan_id, out_dir=req.out, findings=findings,
                       scorecard=scorecard)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class _NoInterrupts(Interrupts):
    """Outside the main thread no signal handler can be installed; the caller's own handling applies."""

    def __enter__(self) -> Interrupts:
        return self


def scan(url: str | ScanRequest, **options: Any) -> ScanOutcome:
    """``govaudit.scan("http://www.x.gov.cn/", out="out")`` or ``govaudit.scan(ScanRequest(...))``."""
    req = url if isinstance(url, ScanRequest) else ScanRequest(url=url, **options)
    return run_scan(req)


__all__ = ["STORE_NAME", "ScanError", "ScanInterrupted", "ScanOutcome", "ScanRequest", "analyse", "parse_as_of",
           "run_scan", "scan"]
