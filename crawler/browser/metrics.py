"""Load metrics (FCP, LCP, CLS, TBT, transferred bytes) and a phone emulation, in the accessibility stage's browsers.

Why the browser's own Performance APIs through CDP and not Lighthouse: Lighthouse is a Node program that
launches and drives its own Chrome session, one run per page and form factor (each run records and
processes a full trace and runs every audit of its categories), and would be a second browser pool beside
the one that already loads every sampled page for axe-core.  Here the desktop figures are read from the
axe navigation itself, by the scripts the audit runs anyway (the observers' buffered entries, cut at the
moment axe starts), and the mobile ones from one more navigation in a browser's phone tab (audit.py runs
them on a phone browser beside the desktop ones), so a page costs at most one extra load, not two Lighthouse runs.  The numbers are the same primitives Lighthouse reads
(``paint`` timing for FCP, ``largest-contentful-paint``, ``layout-shift`` and ``longtask`` entries), with
its throttling presets applied by CDP (``Network.emulateNetworkConditions``,
``Emulation.setCPUThrottlingRate``) and its good/poor lines in the rule set.  Two differences, stated in
the report's help texts: the throttling is applied, not simulated (Lighthouse's default "Lantern" model),
and TBT sums long tasks from FCP to the end of the measurement (desktop: the moment the audit starts,
right after load; phone: the page's first idle moment after load, at most ``settle_seconds`` after it),
not to TTI.
The desktop profile of gov-2019 throttles nothing: its figures come from the axe navigation, and a
throttled load changes when a page's scripts run relative to its load event, so it would change what axe
audits (a page whose script loop starts before ``load`` no longer loads at all).  Nor is its cache turned
off, so its ``transfer_bytes`` leave out what earlier pages already loaded; the phone tab loads cold.

``measure_mobile`` also probes the layout at 375 px: horizontal overflow, the character-weighted font-size
histogram (``elder.PROBE_JS``, the one reader of computed text sizes) and the size of every tap target.
The thresholds are applied by ``checks/speed.py`` and ``checks/mobile.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from govaudit.crawler.browser import elder
from selenium.common.exceptions import TimeoutException

# Installed on every new document (pool.Browser), before the page's own scripts: long tasks are not
# buffered by the browser, so an observer registered after load would miss them.
OBSERVE_JS = """
(function () {
  var P = window.__govauditPerf = {lcps: [], shifts: [], longtasks: []};
  function watch(type, fn) {
    try { new PerformanceObserver(function (l) { l.getEntries().forEach(fn); }).observe({type: type, buffered: true}); }
    catch (e) {}
  }
  watch('largest-contentful-paint', function (e) { if (P.lcps.length < 500) P.lcps.push(e.renderTime || e.loadTime || e.startTime); });
  watch('layout-shift', function (e) { if (!e.hadRecentInput) P.shifts.push([e.startTime, e.value]); });
  watch('longtask', function (e) { if (P.longtasks.length < 5000) P.longtasks.push([e.startTime, e.duration]); });
})();
"""

# The figures with long tasks up to ``cut`` and LCP candidates and layout shifts up to ``until`` (ms since
# navigation start).  CLS as web-vitals computes it: the largest session window (gaps under 1 s, at most 5 s).
FIGURES_FN = """
function govauditFigures(cut, until) {
  var P = window.__govauditPerf || {lcps: [], shifts: [], longtasks: []};
  var nav = performance.getEntriesByType('navigation')[0] || {};
  var paint = performance.getEntriesByName('first-contentful-paint')[0];
  var fcp = paint ? paint.startTime : null, lcp = null;
  P.lcps.forEach(function (t) { if (t < until) lcp = t; });
  var cls = 0, cur = 0, first = 0, last = -1e9;
  P.shifts.forEach(function (s) {
    if (s[0] >= until) return;
    if (s[0] - last < 1000 && s[0] - first < 5000) { cur += s[1]; } else { cur = s[1]; first = s[0]; }
    last = s[0]; cls = Math.max(cls, cur);
  });
  var tbt = 0, tasks = 0;
  P.longtasks.forEach(function (t) {
    if (t[0] >= cut) return;
    tasks++;
    if (fcp === null) return;
    var end = t[0] + t[1], start = Math.max(t[0], fcp);
    if (end - start > 50) tbt += end - start - 50;
  });
  var res = performance.getEntriesByType('resource'), bytes = nav.transferSize || 0;
  res.forEach(function (r) { bytes += r.transferSize || 0; });
  var r = function (v) { return v === null || v === undefined ? null : Math.round(v); };
  return {fcp_ms: r(fcp), lcp_ms: r(lcp), cls: Math.round(cls * 1000) / 1000, tbt_ms: r(tbt),
          transfer_bytes: bytes, requests: res.length + 1, load_ms: r(nav.loadEventEnd || null),
          long_tasks: tasks, final_url: location.href};
}
"""

# The phone: read when the loaded page first goes idle: two animation frames (the frame after load is
# painted), then an idle callback, which runs once no task is queued (a long task still running after load
# is waited for); ``settle`` ms bounds the idle wait (a page that is never idle), 3 s more the wait for
# frames (a page that paints none; a loaded machine delays frames).  The paint entry is queued only once the
# compositor reports the frame presented, which on a loaded machine can come after those frames: when it is
# not there yet, the read waits for it (a ``paint`` observer), within the same bound.
COLLECT_JS = FIGURES_FN + """
var done = arguments[arguments.length - 1], settle = arguments[0], finished = false;
if (location.href.indexOf('chrome-error://') === 0) {  // Chromium's error page: a redirect loop, a network error
  var code = document.querySelector('.error-code');
  done({error_page: code ? code.textContent.trim() : ''});
  return;
}
var read = function () { if (!finished) { finished = true; done(govauditFigures(Infinity, Infinity)); } };
var painted = function () { return performance.getEntriesByName('first-contentful-paint').length > 0; };
var readPainted = function () {
  if (painted()) { read(); return; }
  try {
    new PerformanceObserver(function () { if (painted()) read(); }).observe({type: 'paint', buffered: true});
  } catch (e) { read(); }
};
setTimeout(read, settle + 3000);
requestAnimationFrame(function () { requestAnimationFrame(function () {
  if (window.requestIdleCallback) requestIdleCallback(readPainted, {timeout: settle}); else setTimeout(readPainted, 0);
}); });
"""

# The desktop: marked when the audit's page has loaded (``MARK_JS``, in the script that checks the load),
# read after axe-core in the script that checks the page is still there, so the figures cost no wait and
# no round trip of their own.  Long tasks count up to the mark (after it they are axe's own), LCP
# candidates and shifts up to ``settle`` ms past it (axe paints nothing and moves nothing; the page's late
# paints and shifts count as they did under a fixed wait, for a window that does not depend on axe's time).
MARK_JS = "window.__govauditCut = performance.now();"
AFTER_AXE_JS = FIGURES_FN + """
var cut = window.__govauditCut || Infinity;
return [location.href, govauditFigures(cut, cut + arguments[0])];
"""

# Tap targets after WCAG 2.2 SC 2.5.8: a target under ``minTap`` px fails only when the minTap-diameter
# circle on its centre touches another target or another undersized target's circle (the spacing exception).
LAYOUT_JS = """
var vw = document.documentElement.clientWidth, de = document.documentElement, body = document.body;
var sw = Math.max(de.scrollWidth, body ? body.scrollWidth : 0), widest = null, right = vw;
var all = body ? body.getElementsByTagName('*') : [], boxes = [], minTap = arguments[0];
var name = function (el) {
  var id = el.id ? '#' + el.id : '', cls = (typeof el.className === 'string' && el.className.trim()) ? '.' + el.className.trim().split(/\\s+/)[0] : '';
  return el.tagName.toLowerCase() + id + cls;
};
for (var i = 0; i < all.length && i < 20000; i++) {
  var el = all[i], rect = el.getBoundingClientRect();
  if (rect.width === 0 && rect.height === 0) continue;
  if (rect.right > right + 1) { right = rect.right; widest = name(el) + ' (' + Math.round(rect.right) + ' px)'; }
  if (boxes.length < 1500 && (/^(A|BUTTON|SELECT|TEXTAREA|SUMMARY)$/.test(el.tagName) || (el.tagName === 'INPUT' && el.type !== 'hidden')
      || el.getAttribute('role') === 'button' || el.hasAttribute('onclick'))) {
    var cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.display === 'none') continue;
    boxes.push({el: el, r: rect, cx: (rect.left + rect.right) / 2, cy: (rect.top + rect.bottom) / 2,
                small: rect.width < minTap || rect.height < minTap});
  }
}
var half = minTap / 2, failing = 0, examples = [];
boxes.forEach(function (a) {
  if (!a.small) return;
  var bad = boxes.some(function (b) {
    if (b === a || b.el.contains(a.el) || a.el.contains(b.el)) return false;
    if (b.small) return Math.hypot(a.cx - b.cx, a.cy - b.cy) < minTap;
    var dx = Math.max(b.r.left - a.cx, 0, a.cx - b.r.right), dy = Math.max(b.r.top - a.cy, 0, a.cy - b.r.bottom);
    return Math.hypot(dx, dy) < half;
  });
  if (!bad) return;
  failing++;
  if (examples.length < 10) examples.push(name(a.el) + ' ' + Math.round(a.r.width) + '×' + Math.round(a.r.height) + ' '
                                           + (a.el.textContent || '').trim().slice(0, 30));
});
var metas = document.getElementsByTagName('meta'), viewport = null;
for (var j = 0; j < metas.length; j++) if ((metas[j].getAttribute('name') || '').toLowerCase() === 'viewport') viewport = metas[j].content;
return {viewport_width: vw, scroll_width: sw, widest: widest, targets: boxes.length, small_targets: failing,
        small_examples: examples, viewport: viewport};
"""

# Same-host links of a separate mobile site's page, to sample its other pages (it is not crawled).
LINKS_JS = """
var out = [], seen = {};
for (var i = 0; i < document.links.length && out.length < 2000; i++) {
  var a = document.links[i];
  if (a.host !== location.host || !/^https?:$/.test(a.protocol)) continue;
  var href = a.href.split('#')[0];
  if (!seen[href]) { seen[href] = 1; out.push(href); }
}
return out;
"""

# The phone's layout probe, text-size probe and (for a mobile site's entry) links in one script: each script
# is a WebDriver round trip (tens of ms on a loaded machine); the three read the same settled page, so
# running them in one call measures the same things as three calls.  Each keeps its own scope and arguments.
PROBE_JS = ("var a = arguments;\nvar layout = (function () {" + LAYOUT_JS + "}).call(null, a[0]);\n"
            "var text = (function () {" + elder.PROBE_JS + "}).call(null, a[1]);\n"
            "layout.font_px = (text && text.font_px) || {};\n"
            "return [layout, a[2] ? (function () {" + LINKS_JS + "})() : null];")


@dataclass(frozen=True)
class Profile:
    """A network and CPU profile, and for the phone a screen (``params.speed.browser.profiles``)."""

    name: str
    latency_ms: float
    download_kbps: float
    upload_kbps: float
    cpu_slowdown: float
    width: int = 0                  # 0: the browser's own window (desktop)
    height: int = 0
    device_scale_factor: float = 0
    user_agent: str = ""

    @classmethod
    def from_params(cls, name: str, p: Mapping[str, Any]) -> Profile:
        return cls(name=name, latency_ms=float(p["latency_ms"]), download_kbps=float(p["download_kbps"]),
                   upload_kbps=float(p["upload_kbps"]), cpu_slowdown=float(p["cpu_slowdown"]),
                   width=int(p.get("width", 0)), height=int(p.get("height", 0)),
                   device_scale_factor=float(p.get("device_scale_factor", 0)), user_agent=str(p.get("user_agent", "")))


@dataclass(frozen=True)
class Settings:
    desktop: Profile
    mobile: Profile
    settle: float
    min_tap_px: float
    phone_per_template: int  # phone navigations per template group (0: every audited page)

    @classmethod
    def from_rules(cls, rules: Any, force: bool = False) -> Settings | None:
        """None when the rule set turns the measurement off (and ``force`` does not turn it back on)."""
        b = rules.param("speed.browser")
        if not (force or b.get("enabled", True)):
            return None
        return cls(desktop=Profile.from_params("desktop", b["profiles"]["desktop"]),
                   mobile=Profile.from_params("mobile", b["profiles"]["mobile"]), settle=float(b["settle_seconds"]),
                   min_tap_px=float(rules.param("mobile.min_tap_px")), phone_per_template=int(b["phone_per_template"]))


def throttles(profile: Profile) -> bool:
    return profile.latency_ms > 0 or profile.download_kbps > 0 or profile.upload_kbps > 0 or profile.cpu_slowdown > 1


def apply(drv: Any, profile: Profile) -> None:
    """Put the current tab in ``profile``: network and CPU throttling (cache off, so the page loads cold) and,
    for the phone, its screen, touch and User-Agent.  An unthrottled desktop profile sends nothing: even
    ``Network.enable`` or a touch setting changes how ChromeDriver waits for a page (a page whose script loop
    starts before ``load`` then times out instead of hanging), and the desktop tab is the one axe audits."""
    cdp = drv.execute_cdp_cmd
    if throttles(profile):
        cdp("Network.enable", {})
        cdp("Network.setCacheDisabled", {"cacheDisabled": True})
        throttle(drv, profile)
    if profile.width > 0:
        cdp("Emulation.setDeviceMetricsOverride", {"width": profile.width, "height": profile.height,
                                                    "deviceScaleFactor": profile.device_scale_factor, "mobile": True})
        cdp("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    if profile.user_agent:  # a site may send phones elsewhere (m. host) by User-Agent
        cdp("Emulation.setUserAgentOverride", {"userAgent": profile.user_agent, **({"platform": "Android"} if profile.width else {})})


def throttle(drv: Any, profile: Profile) -> None:
    """The profile's network and CPU throttling (kbit/s → bytes/s; -1, a profile's 0, is CDP's "no limit")."""
    if throttles(profile):
        drv.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": False, "latency": profile.latency_ms,
            "downloadThroughput": profile.download_kbps * 128 if profile.download_kbps > 0 else -1,
            "uploadThroughput": profile.upload_kbps * 128 if profile.upload_kbps > 0 else -1})
        drv.execute_cdp_cmd("Emulation.setCPUThrottlingRate", {"rate": max(1.0, profile.cpu_slowdown)})


def unthrottle(drv: Any, profile: Profile) -> None:
    """After the figures are read: no throttling under axe or the layout probe (screen emulation stays)."""
    if throttles(profile):
        drv.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                                 "uploadThroughput": -1})
        drv.execute_cdp_cmd("Emulation.setCPUThrottlingRate", {"rate": 1})


def collect(drv: Any, settle: float) -> dict[str, Any]:
    """The loaded page's figures, once it first goes idle after load (at most ``settle`` seconds): the late LCP
    candidates, shifts and long tasks of a page's start, without a fixed wait on every page.  Chromium's error
    page instead of the page is ``not_measured``: ``redirect_loop`` or ``load_error``."""
    figures = drv.execute_async_script(COLLECT_JS, int(settle * 1000))
    if not isinstance(figures, dict):
        return not_measured("script_error", "the page went away before its figures were read")
    if "error_page" in figures:
        code = str(figures["error_page"])
        if "TOO_MANY_REDIRECTS" in code:
            return not_measured("redirect_loop", f"the page redirects in a loop under this profile ({code})")
        return not_measured("load_error", f"the browser could not open the page ({code or 'network error'})")
    if figures.get("fcp_ms") is None:  # as Lighthouse's NO_FCP: without a first paint no figure means anything
        return not_measured("no_paint", f"the page painted no content within {settle + 3:g} s of loading")
    return {"status": "measured", **figures}


def not_measured(reason: str, detail: str) -> dict[str, Any]:
    return {"status": "not_measured", "reason": reason, "detail": detail}


def measure_mobile(browser: Any, url: str, s: Settings, arm: Callable[[float, str], None],
                   page_load: float, script: float, watchdog: float, links: bool = False) -> dict[str, Any]:
    """One navigation under the phone profile, in the browser's phone tab: load metrics and the layout probe.

    The phone tab is the browser's second tab, opened and put in the phone profile (screen, touch,
    User-Agent, cache off, network throttling) once: none of that emulation reaches the desktop tab that axe
    audits, and no page pays for opening, preparing and closing a tab, or for WebDriver commands that set
    what is already set (each costs a round trip, tens of ms on a loaded machine).  The CPU slowdown is set
    for each load and lifted for the layout probe; afterwards the tab's scripts are switched off until the
    next phone load (and a load that timed out is stopped), so an endless animation or a huge image does not
    go on behind the next audit.  A page that does not load in time, or that the phone's User-Agent sends
    round in a loop, is ``not_measured`` with the reason; a hung or crashed browser raises to the caller, who
    restarts it (and with it the phone tab).  ``links``: also return the page's same-host links (``links``),
    for sampling a separate mobile site.
    """
    entered = time.monotonic()
    cpu = max(1.0, s.mobile.cpu_slowdown)
    drv = browser.driver
    desktop_tab = drv.current_window_handle
    arm(script + watchdog, "mobile")
    if browser.phone_tab is None:
        drv.switch_to.new_window("tab")
        browser.phone_tab = drv.current_window_handle
        browser.init_tab()
        apply(drv, s.mobile)
    else:
        drv.switch_to.window(browser.phone_tab)
        drv.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
        if cpu > 1:
            drv.execute_cdp_cmd("Emulation.setCPUThrottlingRate", {"rate": cpu})
    try:
        arm(page_load + watchdog, "mobile_load")
        started = time.monotonic()
        try:
            drv.get(url)
        except TimeoutException:
            drv.execute_cdp_cmd("Page.stopLoading", {})
            return not_measured("page_load_timeout", f"the page did not finish loading within {page_load:g} s on the phone profile")
        finally:
            arm(script + watchdog, "mobile")
        loaded = time.monotonic()
        figures = collect(drv, s.settle)
        settled = time.monotonic()
        if cpu > 1:  # the probe measures layout, not speed
            drv.execute_cdp_cmd("Emulation.setCPUThrottlingRate", {"rate": 1})
        if figures["status"] == "measured":
            layout, hrefs = drv.execute_script(PROBE_JS, s.min_tap_px, elder.MAX_TEXT_ELEMENTS, links)
            figures["layout"] = json.loads(json.dumps(layout))  # plain JSON types only
            if links:
                figures["links"] = [str(h) for h in hrefs or []]
        # Where a phone load's time goes (bench/a11y_bench.py sums these): tab switch and CDP setup, the
        # throttled navigation, the idle wait and read, the probe.  Wall-clock seconds, not figures.
        figures["phase_seconds"] = {"setup": round(started - entered, 3), "load": round(loaded - started, 3),
                                    "settle": round(settled - loaded, 3), "probe": round(time.monotonic() - settled, 3)}
        return figures
    finally:
        # An endless animation stops here, at once: a navigation to about:blank would cost ~0.1 s per page.
        drv.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        drv.switch_to.window(desktop_tab)
