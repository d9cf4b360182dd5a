"""Headless Chromium browsers for the audit, each with a watchdog that can kill it.

Debian's ``chromium`` and ``chromedriver`` are started by Selenium with an explicit ``Service`` path, so
Selenium Manager never downloads anything.  ChromeDriver runs in its own process group: killing the
group takes the browser and its renderers with it, which is how a hung page (an endless script loop blocks
every WebDriver command, whatever the page-load and script time-outs say) is ended.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govaudit.crawler.browser.metrics import OBSERVE_JS
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = os.environ.get("GOVAUDIT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("GOVAUDIT_CHROMEDRIVER", "/usr/bin/chromedriver")

# shared/design.md "Real components": flags that work headless here; the background-networking ones keep
# Chromium from calling outside hosts.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
         "--disable-features=Translate,MediaRouter,OptimizationHints", "--lang=zh-CN")
WINDOW = (1366, 900)  # the commonest desktop size on government-site audiences; screenshots use it

# Dialogs would block every later command; replace them before any page script runs, and count them.
NO_DIALOGS_JS = """
(function () {
  window.__govauditDialogs = 0;
  var count = function (v) { return function () { window.__govauditDialogs++; return v; }; };
  window.alert = count(undefined); window.confirm = count(true); window.prompt = count(null);
  window.print = count(undefined);
  window.onbeforeunload = null;
  Object.defineProperty(window, 'onbeforeunload', {set: function () {}, get: function () { return null; }});
})();
"""


def chromium_options(profile: str, *extra: str) -> webdriver.ChromeOptions:
    """Debian's headless Chromium with the flags that work here and its own profile directory."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}", *extra):
        options.add_argument(flag)
    return options


def plain_driver(profile: str) -> webdriver.Chrome:
    """A browser as a person opens a report with: no dialog suppression, explicit driver path (nothing downloaded)."""
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=chromium_options(profile))


@dataclass(frozen=True)
class Limits:
    """The three limits of one page's audit (``params.a11y.browser``), kept apart so that each failure is
    reported as what it is: a page that will not load, an axe run that will not end, a browser that hangs."""

    page_load: float   # ChromeDriver's page-load time-out → ``page_load_timeout``
    script: float      # ChromeDriver's script time-out, the axe run → ``axe_timeout``
    watchdog: float    # past either limit, the browser is stuck and killed → ``browser_hung``

    @classmethod
    def from_rules(cls, rules: Any) -> Limits:
        b = rules.param("a11y.browser")
        return cls(page_load=float(b["page_load_timeout_seconds"]), script=float(b["script_timeout_seconds"]),
                   watchdog=float(b["watchdog_seconds"]))


# The reaper: reads "g<pgid>" (a process group) and "d<path>" (a profile folder) lines, "-" before either to
# forget it; when its stdin closes, kills the groups still listed, then removes the folders.
_REAPER = """
import os, shutil, signal, sys
held = {"g": set(), "d": set()}
for line in sys.stdin:
    line = line.rstrip("\\n")
    forget = line.startswith("-")
    kind, value = line[forget], line[forget + 1:]
    (held[kind].discard if forget else held[kind].add)(value)
for group in held["g"]:
    try:
        os.killpg(int(group), signal.SIGKILL)
    except OSError:
        pass
for folder in held["d"]:
    shutil.rmtree(folder, ignore_errors=True)
"""


class Reaper:
    """Kills the browsers' process groups and removes their profiles when this process ends, however it ends.

    Each browser runs in a process group of its own (so a hung one can be killed whole), which also means a
    scan killed with SIGKILL, or by the OOM killer, would leave ChromeDriver and Chromium running: a renderer on
    an endless animation then burns a core for hours after a nightly job died.  A small child process holds
    the live groups and profile folders on a pipe; the pipe closes when this process ends, whatever ends it,
    and the child cleans up what is left — also a browser that was still starting when a stop came.
    (Selenium's Service has no such guard; PR_SET_PDEATHSIG would reach only ChromeDriver, not the Chromium it
    starts, and fires when the starting *thread* ends.)"""

    _lock = threading.Lock()
    _proc: subprocess.Popen | None = None

    @classmethod
    def _send(cls, line: str) -> None:
        with cls._lock:
            if cls._proc is None or cls._proc.poll() is not None:
                # Its own session: a Ctrl-C to the scan's process group must not end the guard before the scan;
                # no stdout/stderr: a caller reading the scan's output to its end must not wait on the guard.
                cls._proc = subprocess.Popen([sys.executable, "-c", _REAPER], stdin=subprocess.PIPE, text=True,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                             start_new_session=True)
            try:
                assert cls._proc.stdin is not None
                cls._proc.stdin.write(line + "\n")
                cls._proc.stdin.flush()
            except OSError:  # the guard died: the browser is still killed by close() in a normal end
                pass

    @classmethod
    def watch(cls, group: int | None = None, profile: str | None = None) -> None:
        for kind, value in (("g", group), ("d", profile)):
            if value is not None:
                cls._send(f"{kind}{value}")

    @classmethod
    def forget(cls, group: int | None = None, profile: str | None = None) -> None:
        for kind, value in (("g", group), ("d", profile)):
            if value is not None:
                cls._send(f"-{kind}{value}")


class Browser:
    """One Chromium + ChromeDriver pair with a fresh profile directory."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.phone_tab: str | None = None  # the phone profile's tab (metrics.measure_mobile), opened on first use
        self.profile = tempfile.mkdtemp(prefix="govaudit-chromium-")
        Reaper.watch(profile=self.profile)
        options = chromium_options(self.profile, f"--window-size={WINDOW[0]},{WINDOW[1]}")
        options.page_load_strategy = "normal"
        options.unhandled_prompt_behavior = "accept"  # a dialog our override missed must not wedge the session
        service = Service(CHROMEDRIVER, popen_kw={"start_new_session": True})
        try:
            self.driver = webdriver.Chrome(service=service, options=options)
        except Exception:
            self._remove_profile()
            raise
        self.pid = self.driver.service.process.pid
        Reaper.watch(group=self.pid)
        try:
            # Before the short time-outs are set: ChromeDriver applies the page-load time-out to its wait for
            # a fresh renderer too, and a browser starting on a busy machine can take longer than that.
            self.init_tab()
            self.driver.set_page_load_timeout(limits.page_load)
            self.driver.set_script_timeout(limits.script)
        except Exception:
            self.close()
            raise

    def init_tab(self) -> None:
        """What every tab runs before a page's own scripts: the dialog override and the load-metric observers
        (``metrics.OBSERVE_JS``).  CDP scripts belong to one tab, so the phone emulation's tab calls this too."""
        for source in (NO_DIALOGS_JS, OBSERVE_JS):
            self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})

    def kill(self) -> None:
        """End ChromeDriver, Chromium and its renderers at once (the whole process group)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        Reaper.forget(group=self.pid)

    def _remove_profile(self) -> None:
        shutil.rmtree(self.profile, ignore_errors=True)
        Reaper.forget(profile=self.profile)

    def discard(self) -> None:
        """Kill at once and remove the profile: what a stopping scan does, which cannot wait for a polite quit
        (a killed browser's quit first tries to reach the dead ChromeDriver)."""
        self.kill()
        self._remove_profile()

    def close(self) -> None:
        """Quit politely; fall back to kill if the browser does not answer."""
        if not self.alive():
            self.discard()
            return
        done = threading.Event()

        def _quit() -> None:
            try:
                self.driver.quit()
            except Exception:  # a dead browser cannot quit; the kill below cleans up
                pass
            done.set()

        threading.Thread(target=_quit, daemon=True).start()
        if not done.wait(10):
            self.kill()
        self.kill()
        try:
            self.driver.service.process.wait(5)
        except Exception:
            pass
        self._remove_profile()

    def alive(self) -> bool:
        try:
            os.killpg(self.pid, 0)
        except ProcessLookupError:
            return False
        return self.driver.service.process.poll() is None


class Watchdog:
    """Kills a browser whose current command overran its deadline, and remembers in which phase.

    Page-load and script time-outs are enforced by ChromeDriver, but a renderer stuck in a script loop, or
    in one long axe task on a huge page, blocks ChromeDriver itself; only killing the processes frees the
    worker thread.  The phase (``load``, ``axe``, ...) says what overran.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deadlines: dict[int, tuple[float, Browser, str]] = {}
        self.fired: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="a11y-watchdog", daemon=True)
        self._thread.start()

    def arm(self, worker: int, browser: Browser, seconds: float, phase: str = "page") -> None:
        with self._lock:
            self._deadlines[worker] = (time.monotonic() + seconds, browser, phase)
            self.fired.pop(worker, None)

    def disarm(self, worker: int) -> str | None:
        """Stop watching; the phase in which the watchdog killed this worker's browser meanwhile, else None."""
        with self._lock:
            self._deadlines.pop(worker, None)
            return self.fired.get(worker)

    def _loop(self) -> None:
        while not self._stop.wait(0.25):
            now = time.monotonic()
            with self._lock:
                late = [(w, b, phase) for w, (d, b, phase) in self._deadlines.items() if now > d]
                for w, _, phase in late:
                    self._deadlines.pop(w, None)
                    self.fired[w] = phase
            for _, browser, _ in late:
                browser.kill()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)


def shot_name(url: str, rule: str) -> str:
    """Screenshot file name: stable per (page, rule), so a re-audit overwrites instead of piling up."""
    return f"{hashlib.sha1(url.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}-{rule}.png"


def ensure_dir(path: Path | None) -> Path | None:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
    return path
