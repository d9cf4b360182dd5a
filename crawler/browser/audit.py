"""``audit_scan``: run axe-core over a scan's sampled pages in a pool of headless browsers.

Every chosen page ends with exactly one ``axe`` artifact: the trimmed axe results, or
``{"status": "not_audited", "reason": ...}`` saying why not (page never finished loading, it navigated
away mid-audit, the browser crashed or hung, ...).  One bad page costs one browser restart, never the scan.

A separate mobile site (移动版网站: announced by the homepage, linked on an ``m.`` host, or where the phone
profile's User-Agent was redirected) is not crawled; its entry is loaded in the same pool as a phone, and
from its links one page per URL shape, up to ``params.mobile.site.max_pages``.  Each ends with one
``mobile_site`` artifact: the phone figures and layout probe, or why they could not be taken.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from govaudit.crawler.browser import elder, metrics
from govaudit.crawler.browser.axe import RUN_JS, axe_options, axe_source
from govaudit.crawler.browser.pool import Browser, Limits, Watchdog, ensure_dir, shot_name
from govaudit.crawler.browser.sampling import choose, page_info
from selenium.common.exceptions import JavascriptException, TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from urllib3.exceptions import HTTPError

from govaudit.facts import PageFacts
from govaudit.readings import announced_sites, find_elder_entry, url_shape
from govaudit.ruleset import RuleSet, load_ruleset
from govaudit.store import Store

log = logging.getLogger(__name__)

MODES = ("sample", "all", "off")
MAX_NODES = 20      # elements kept per axe rule and page (the count keeps the total)
MAX_HTML = 300      # characters of each element's HTML snippet
_NAVIGATED = ("document unloaded", "axe is not defined", "no such window", "target frame detached",
              "inspected target navigated", "execution context was destroyed", "not present in the page")
_CRASHED = ("crash", "not reachable", "disconnected", "invalid session", "session deleted", "connection refused",
            "max retries", "remote end closed", "connection aborted", "connection reset")


class NotAudited(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class Job:
    url: str
    axe: bool = True
    elder_role: str | None = None  # home | elder_mode: run the 适老化 probe too
    phone: bool = False  # measure under the phone profile too (metrics.Settings.phone_per_template)
    half: bool = False   # the phone half of an audited page, queued once its desktop audit has loaded it
    site: str = ""  # a page of the separate mobile site that starts at this URL: only the phone profile
    via: str = ""   # how that mobile site was found (checks/mobile.py ``via`` values)

    @property
    def on_phone(self) -> bool:
        """Loaded under the phone profile only: a page's phone half or a mobile site's page."""
        return self.half or bool(self.site)


@dataclass
class _Settings:
    axe_js: str
    options: str
    limits: Limits
    shots_dir: Path | None
    shots_per_page: int
    metrics: metrics.Settings | None = None  # load metrics + phone emulation on sampled pages (params.speed.browser)


def _audit_page(browser: Browser, job: Job, s: _Settings, arm: Callable[[float, str], None]) -> dict[str, Any]:
    """Load one page and audit it; raises NotAudited (or a WebDriver error) when it cannot be done.

    ``arm(seconds, phase)`` sets the watchdog's deadline for the next phase: ChromeDriver's own limit for it
    plus ``limits.watchdog``, the time past it that only a stuck browser takes.
    """
    drv = browser.driver
    started = time.monotonic()
    if job.on_phone:  # the phone profile only; a separate mobile site's entry also gives its links to sample
        assert s.metrics is not None
        mobile = metrics.measure_mobile(browser, job.url, s.metrics, arm, s.limits.page_load, s.limits.script,
                                        s.limits.watchdog, links=job.url == job.site)
        return {"status": "audited", "url": job.url, "mobile": mobile,
                "mobile_seconds": round(time.monotonic() - started, 3)}
    measure = s.metrics is not None and job.axe
    if measure:
        assert s.metrics is not None
        metrics.apply(drv, s.metrics.desktop)
    arm(s.limits.page_load + s.limits.watchdog, "load")
    try:
        drv.get(job.url)
    except TimeoutException as exc:
        raise NotAudited("page_load_timeout", f"the page did not finish loading within {s.limits.page_load:g} s") from exc
    arm(s.limits.script + s.limits.watchdog, "page")  # each later command is one script, bounded by the script limit
    # WebDriver's current_url still shows the requested URL on Chromium's error page; location.href does not.
    loaded, code = drv.execute_script(
        metrics.MARK_JS + "var e = document.querySelector('.error-code'); return [location.href, e ? e.textContent : ''];")
    if loaded.startswith("chrome-error://"):
        raise NotAudited("load_error", f"the browser could not open the page ({str(code).strip() or 'network error'})")
    body: dict[str, Any] = {"status": "audited", "url": job.url, "final_url": loaded}
    if measure:
        assert s.metrics is not None
        metrics.unthrottle(drv, s.metrics.desktop)  # no throttling under axe; the figures are read after it
    if job.axe:
        try:
            drv.execute_script(s.axe_js)
            # ChromeDriver's script limit cannot interrupt one long axe task on a huge page: the watchdog
            # ends it, and its phase tells an overlong audit from a hung page.
            arm(s.limits.script + s.limits.watchdog, "axe")
            result = drv.execute_async_script(RUN_JS, s.options, MAX_NODES, MAX_HTML)
        except TimeoutException as exc:
            raise NotAudited("axe_timeout", f"axe-core did not finish within {s.limits.script:g} s (huge or busy page)") from exc
        except JavascriptException as exc:
            msg = str(exc.msg or exc).lower()
            if any(m in msg for m in _NAVIGATED):
                raise NotAudited("navigated_away", f"the page navigated away during the audit (now {_safe_url(drv)})") from exc
            raise NotAudited("script_error", f"axe-core could not run: {str(exc.msg or exc)[:200]}") from exc
        if not isinstance(result, dict):
            raise NotAudited("navigated_away", f"the audit's page went away (now {_safe_url(drv)})")
        if result.get("error"):
            msg = str(result["error"])
            reason = "navigated_away" if any(m in msg.lower() for m in _NAVIGATED) else "axe_error"
            raise NotAudited(reason, msg[:300])
        arm(s.limits.script + s.limits.watchdog, "page")
        if measure:  # the audit's own navigation, as of the moment axe started (metrics.AFTER_AXE_JS)
            assert s.metrics is not None
            now, figures = drv.execute_script(metrics.AFTER_AXE_JS, int(s.metrics.settle * 1000))
            body["speed"] = {"desktop": {"status": "measured", **figures}}
        else:
            now = drv.execute_script("return location.href;")
        if now != loaded or result.get("url") != loaded:
            raise NotAudited("navigated_away", f"the page navigated to {now} during the audit")
        body.update(axe_version=result.get("version"), violations=result.get("violations", []),
                    incomplete=result.get("incomplete", []), ran=result.get("ran", []))
        if s.shots_dir is not None:
            _screenshots(drv, job.url, body["violations"], s)
    if job.elder_role:
        probe = elder.probe(drv)
        body["elder"] = probe
    body["dialogs"] = drv.execute_script("return window.__govauditDialogs || 0;")
    body["seconds"] = round(time.monotonic() - started, 3)
    return body


def _safe_url(drv: Any) -> str:
    try:
        return str(drv.current_url)
    except WebDriverException:
        return "unknown"


def _screenshots(drv: Any, url: str, violations: list[dict[str, Any]], s: _Settings) -> None:
    """A cropped PNG of each violated rule's first element (up to the per-page budget), path in ``screenshot``."""
    taken = 0
    for v in violations:
        if taken >= s.shots_per_page:
            break
        nodes = v.get("nodes") or []
        target = nodes[0].get("target") if nodes else None
        if not (isinstance(target, list) and len(target) == 1 and isinstance(target[0], str)):
            continue  # inside a frame or shadow root: no single selector to crop
        if target[0] in ("html", "body", "head", "title") or target[0].startswith(("html >", "head")):
            continue  # page-level rules (lang, title): a crop of the whole page shows nothing
        try:
            el = drv.find_element(By.CSS_SELECTOR, target[0])
            size = el.size
            if not size.get("width") or not size.get("height"):
                continue
            path = s.shots_dir / shot_name(url, v["id"])  # type: ignore[operator]
            if el.screenshot(str(path)):
                v["screenshot"] = str(path)
                taken += 1
        except WebDriverException as exc:
            v["screenshot_error"] = str(getattr(exc, "msg", exc) or exc)[:200]


def _classify(exc: Exception, hung: str | None, limits: Limits) -> tuple[str, str]:
    """(reason, detail) for a page that could not be audited; ``hung``: the phase the watchdog ended."""
    if hung == "axe":
        return "axe_timeout", (f"axe-core did not finish within {limits.script + limits.watchdog:g} s (huge or busy "
                               "page); the browser was restarted")
    if hung:
        return "browser_hung", (f"the browser stopped answering on this page ({limits.watchdog:g} s past "
                                "ChromeDriver's own time-out) and was restarted")
    if isinstance(exc, NotAudited):
        return exc.reason, exc.detail
    msg = (str(getattr(exc, "msg", None) or exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    # A killed ChromeDriver surfaces as a urllib3/http.client connection error, not a WebDriverException.
    if isinstance(exc, (ConnectionError, OSError, HTTPError)) or any(m in msg.lower() for m in _CRASHED):
        return "browser_crashed", f"the browser died during the audit and was restarted ({msg})"
    if isinstance(exc, WebDriverException):
        return "webdriver_error", msg
    return "error", f"{type(exc).__name__}: {msg}"


def _ruleset_for(store: Store, scan_id: int) -> RuleSet:
    options = store.scan(scan_id).options
    return load_ruleset(options.get("ruleset") or options.get("rules") or "gov-2019")


def audit_scan(store: Store, scan_id: int, *, mode: str = "sample", browsers: int = 2, limits: Limits | None = None,
               shots_dir: Path | None = None, rules: RuleSet | None = None, measure: bool | None = None) -> dict[str, Any]:
    """Audit a scan's pages with axe-core; write ``axe``, ``elder``, ``a11y_sampling`` and ``speed`` artifacts.

    ``measure``: load metrics and the phone emulation on the audited pages (``speed`` artifact, one per
    page: desktop and mobile figures or why not); None follows ``params.speed.browser.enabled``.

    ``limits`` defaults to the rule set's ``params.a11y.browser``.  Returns coverage figures: pages, chosen,
    audited, not_audited (by reason), template groups, how many pages the audited ones stand for, seconds
    and pages audited per minute.  An exception in the calling thread (the pipeline's SIGINT/SIGTERM) kills
    every browser at once and records nothing more; the stage re-runs whole on ``--resume``.
    """
    if mode not in MODES:
        raise ValueError(f"a11y mode must be one of {', '.join(MODES)}, not {mode!r}")
    rules = rules or _ruleset_for(store, scan_id)
    view = store.view(scan_id)
    infos = []
    home_facts: PageFacts | None = None
    for rec in view.pages():
        facts = rec.facts or {}
        infos.append(page_info(rec.url, rec.depth, facts))
        if rec.url == view.start_url or (home_facts is None and facts.get("kind") == "home"):
            home_facts, home_url = facts, rec.url
    home = home_url if home_facts is not None else view.start_url
    sample = choose(infos, mode=mode, home_url=home, per_template=int(rules.param("a11y.sampling.per_template")),
                    max_audits=int(rules.param("a11y.sampling.max_audits")))
    entry = find_elder_entry((home_facts or {}).get("elder_candidates"), rules.param("a11y.elder.entry_keywords"),
                             rules.param("a11y.elder.toolbar_scripts"))
    artifact = sample.artifact()
    for name in ("axe", "elder", "a11y_sampling", "speed", "mobile_site"):
        store.delete_artifacts(scan_id, name)
    artifact["elder_entry"] = entry
    store.put_artifact(scan_id, "a11y_sampling", "groups", artifact)
    coverage: dict[str, Any] = {"mode": mode, "pages": sample.pages, "chosen": len(sample.chosen), "audited": 0,
                                "not_audited": {}, "groups": len(sample.groups), "represented": 0,
                                "seconds": 0.0, "pages_per_minute": 0.0}
    if mode == "off":
        return coverage

    limits = limits or Limits.from_rules(rules)
    settings = _Settings(axe_js=axe_source(), limits=limits, shots_dir=ensure_dir(shots_dir),
                         options=axe_options(list(rules.param("a11y.axe.tags")), list(rules.param("a11y.axe.enable_rules"))),
                         shots_per_page=int(rules.param("a11y.screenshots_per_page")),
                         metrics=metrics.Settings.from_rules(rules) if measure is not False else None)
    if measure and settings.metrics is None:
        settings.metrics = metrics.Settings.from_rules(rules, force=True)
    phone = _phone_pages(sample.chosen, {i.url: i.template for i in infos}, home,
                         settings.metrics.phone_per_template if settings.metrics else -1)
    jobs: list[Job] = [Job(url, elder_role="home" if url == home else None, phone=url in phone) for url in sample.chosen]
    if home not in sample.chosen and home_facts is not None:
        jobs.insert(0, Job(home, axe=False, elder_role="home"))
    if entry and entry["via"] == "link" and entry["href"].startswith(("http://", "https://")) and entry["href"] != home:
        jobs.append(Job(entry["href"], axe=False, elder_role="elder_mode"))
    site_pages = int(rules.param("mobile.site.max_pages")) if settings.metrics is not None else 0
    site_hosts: set[str] = set()  # separate mobile sites queued, by host (many pages redirect to one m. host)

    def mobile_site(url: str, via: str, body: dict[str, Any] | None = None) -> None:
        """Check a separate mobile site found on the way: queue its entry, or record why it cannot be loaded
        (``body``: a phone load that already failed on it, a User-Agent redirect loop)."""
        host = urlsplit(url).netloc
        if site_pages <= 0 or host in site_hosts:
            return
        site_hosts.add(host)
        if body is not None:
            store.put_artifact(scan_id, "mobile_site", url, {"site": url, "via": via, "mobile": body})
            count_site(body)
        else:
            phones.put(Job(url, axe=False, site=url, via=via))

    def count_site(m: dict[str, Any]) -> None:
        counts = coverage.setdefault("mobile_site", {"measured": 0, "not_measured": {}})
        if m.get("status") == "measured":
            counts["measured"] += 1
        else:
            counts["not_measured"][m.get("reason") or "error"] = counts["not_measured"].get(m.get("reason") or "error", 0) + 1

    # Two queues: the desktop audits, and the phone-profile loads (a page's phone half, a mobile site's pages).
    # A phone load mostly waits on the throttled network (slow 4G: 150 ms a round trip), so one browser of
    # its own overlaps that wait with the desktop audits' CPU work instead of adding it to them; it takes no
    # desktop audit (``browsers`` is the desktop browsers), and the desktop browsers help with the phone
    # loads once no audit is left.
    todo: queue.Queue[Job] = queue.Queue()
    phones: queue.Queue[Job] = queue.Queue()
    for job in jobs:
        todo.put(job)
    halves: dict[str, dict[str, Any]] = {}  # url → a page's desktop figures, until its phone half is in
    desktop_left = max(1, min(browsers, len(jobs)))  # desktop workers still running (under ``lock``)
    for url, via in announced_sites(view.start_url, (home_facts or {}).get("meta"), (r.url for r in view.urls("external"))).items():
        mobile_site(url, via)
    lock = threading.Lock()
    watchdog = Watchdog()
    stopping = threading.Event()
    live: dict[int, Browser] = {}
    started = time.monotonic()

    def record(job: Job, body: dict[str, Any]) -> None:
        with lock:
            if stopping.is_set():  # the browser was killed under this page by the stop, not by the page
                return
            if job.site:
                record_site_page(job, body)
                return
            if job.half:
                speed = halves.pop(job.url)
                speed["mobile"] = body.get("mobile") or metrics.not_measured(body.get("reason") or "error",
                                                                             body.get("detail") or "")
                if "mobile_seconds" in body:
                    speed["mobile_seconds"] = body["mobile_seconds"]
                record_speed(job.url, speed)
                return
            if job.axe and settings.metrics is not None:
                speed = body.get("speed") or {
                    "desktop": metrics.not_measured(body.get("reason") or "error", body.get("detail") or ""),
                    **({"mobile": metrics.not_measured("not_audited", "the desktop load failed; the phone profile "
                                                       "was not tried")} if job.phone else {})}
                if job.phone and "mobile" not in speed:
                    halves[job.url] = speed
                    phones.put(Job(job.url, axe=False, half=True))
                else:
                    record_speed(job.url, speed)
            if job.axe:
                axe_body = {k: v for k, v in body.items() if k not in ("elder", "speed")}
                axe_body["chosen_as"] = sample.reasons.get(job.url, "")
                axe_body["stands_for"] = sample.stands_for.get(job.url, 1)
                store.put_artifact(scan_id, "axe", job.url, axe_body)
                if body.get("status") == "audited":
                    coverage["audited"] += 1
                    coverage["represented"] += axe_body["stands_for"]
                else:
                    reasons = coverage["not_audited"]
                    reasons[body["reason"]] = reasons.get(body["reason"], 0) + 1
            if job.elder_role:
                probe = body.get("elder") if body.get("status") == "audited" else None
                store.put_artifact(scan_id, "elder", job.url, {
                    "role": job.elder_role, "entry": entry if job.elder_role == "home" else None,
                    "status": "probed" if probe else "not_probed", "reason": body.get("reason"),
                    "detail": body.get("detail"), **({"probe": probe} if probe else {})})

    def record_speed(url: str, speed: dict[str, Any]) -> None:
        """A page's ``speed`` artifact once both its profiles are in; a phone sent elsewhere finds a mobile site."""
        store.put_artifact(scan_id, "speed", url, speed)
        phone = speed.get("mobile")
        if isinstance(phone, dict) and phone.get("reason") == "redirect_loop":
            mobile_site(url, "user_agent_redirect_loop", phone)
        elif isinstance(phone, dict) and isinstance(phone.get("final_url"), str) and (
                urlsplit(phone["final_url"]).hostname != urlsplit(view.start_url).hostname):
            mobile_site(phone["final_url"], "user_agent_redirect")
        for profile in ("desktop", "mobile"):
            if isinstance(speed.get(profile), dict):
                counts = coverage.setdefault("speed", {}).setdefault(profile, {"measured": 0, "not_measured": {}})
                reason = speed[profile].get("reason")
                if reason:
                    counts["not_measured"][reason] = counts["not_measured"].get(reason, 0) + 1
                else:
                    counts["measured"] += 1

    def record_site_page(job: Job, body: dict[str, Any]) -> None:
        """A mobile site's page: its phone figures or why not; from the site's entry, its other pages to sample."""
        m = body.get("mobile") or metrics.not_measured(body.get("reason") or "error", body.get("detail") or "")
        links = m.pop("links", None)
        store.put_artifact(scan_id, "mobile_site", job.url, {"site": job.site, "via": job.via, "mobile": m})
        count_site(m)
        if job.url == job.site and links:
            for url in sample_site(links, job.url, site_pages - 1):
                phones.put(Job(url, axe=False, site=job.site, via=job.via))

    def next_job(phone_worker: bool) -> Job | None:
        """A desktop worker: an audit, else a phone load, else None (it is done: whatever it queued, it took
        or the phone worker will).  The phone worker: a phone load, waiting while desktop workers remain."""
        while not stopping.is_set():
            for q in ((phones,) if phone_worker else (todo, phones)):
                try:
                    return q.get_nowait()
                except queue.Empty:
                    pass
            if not phone_worker:
                return None
            with lock:
                done = desktop_left == 0
            if done and phones.empty():  # read after the count: the last desktop worker queued before leaving
                return None
            try:
                return phones.get(timeout=0.1)
            except queue.Empty:
                pass
        return None

    def worker(n: int, phone_worker: bool = False) -> None:
        nonlocal desktop_left
        browser: Browser | None = None
        try:
            while True:
                job = next_job(phone_worker)
                if job is None:
                    return
                body: dict[str, Any]
                try:
                    if browser is None:
                        browser = live[n] = _start(limits)
                        if stopping.is_set():  # started while the stage was being stopped
                            browser.kill()
                    body = _audit_page(browser, job, settings, partial(watchdog.arm, n, browser))
                    watchdog.disarm(n)
                except Exception as exc:  # one page's failure must never end the audit of the others
                    hung = watchdog.disarm(n)
                    reason, detail = _classify(exc, hung, limits)
                    body = {"status": "not_audited", "reason": reason, "detail": detail}
                    log.info("a11y audit of %s: not audited (%s: %s)", job.url, reason, detail,
                             exc_info=not isinstance(exc, NotAudited))
                    if browser is not None and isinstance(exc, NotAudited) and not hung:
                        watchdog.arm(n, browser, 15)
                        browser = _reset(browser)
                        watchdog.disarm(n)
                    elif browser is not None:
                        browser.close()
                        browser = None
                    if browser is None:
                        live.pop(n, None)
                body.setdefault("url", job.url)
                record(job, body)
        finally:
            if browser is not None:
                browser.close()
            if not phone_worker:
                with lock:
                    desktop_left -= 1

    threads = [threading.Thread(target=worker, args=(i,), name=f"a11y-browser-{i}", daemon=True)
               for i in range(desktop_left)]
    if settings.metrics is not None and (phone or not phones.empty()):
        threads.append(threading.Thread(target=worker, args=(desktop_left, True), name="a11y-phone", daemon=True))
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    except BaseException:
        stopping.set()
        for b in list(live.values()):
            b.discard()  # here, not in the workers: the process may end before their join times out
        # A worker may be starting a browser (not yet in ``live``): it kills it once started; what is still
        # left when the scan ends, the reaper (pool.Reaper) removes.
        deadline = time.monotonic() + 15
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        raise
    finally:
        watchdog.stop()
    seconds = time.monotonic() - started
    coverage["seconds"] = round(seconds, 2)
    audited_or_not = coverage["audited"] + sum(coverage["not_audited"].values())
    coverage["pages_per_minute"] = round(audited_or_not / seconds * 60, 1) if seconds else 0.0
    return coverage


def _phone_pages(chosen: list[str], template_of: dict[str, str], home: str, per_template: int) -> set[str]:
    """The audited pages also loaded as a phone: the homepage and the first ``per_template`` of each template
    group in audit order (0: every audited page, -1: none).  Layout faults are the template's, like the
    accessibility ones, and the phone load is most of the metrics' cost."""
    if per_template < 0:
        return set()
    if per_template == 0:
        return set(chosen)
    seen: dict[str, int] = {}
    out = set()
    for url in chosen:
        template = template_of.get(url, "")
        if url == home or seen.get(template, 0) < per_template:
            out.add(url)
            seen[template] = seen.get(template, 0) + 1
    return out


def sample_site(links: list[str], entry: str, limit: int) -> list[str]:
    """Up to ``limit`` pages of a separate mobile site, one per URL shape (digits alike: ``/art/12.html`` and
    ``/art/13.html`` are one template), in the entry page's link order.  The mobile site is not crawled, so
    its shapes stand for its templates."""
    seen = {url_shape(entry)}
    out: list[str] = []
    for url in links:
        shape = url_shape(url)
        if len(out) >= limit:
            break
        if shape not in seen:
            seen.add(shape)
            out.append(url)
    return out


def _start(limits: Limits, attempts: int = 2) -> Browser:
    """A new browser; one retry, since a start can time out on a loaded machine and then succeed."""
    for attempt in range(attempts):
        try:
            return Browser(limits)
        except WebDriverException:
            if attempt == attempts - 1:
                raise
            log.info("browser start failed; retrying", exc_info=True)
    raise AssertionError("unreachable")


def _reset(browser: Browser) -> Browser | None:
    """After a page that failed cleanly: keep the browser if it still answers, else close it."""
    try:
        browser.driver.set_page_load_timeout(5)
        browser.driver.get("about:blank")
        browser.driver.set_page_load_timeout(browser.limits.page_load)
        return browser
    except Exception:  # noqa: BLE001 - whatever went wrong, a fresh browser is the remedy
        browser.close()
        return None
