"""The accessibility gatherer: headless Chromium + axe-core over a template-aware sample of a scan's pages.

It is the one stage that drives a browser (docs/architecture.md), so it runs after the crawl, reads the
scan's pages from the store and writes what it saw as artifacts (``axe`` per audited URL,
``a11y_sampling``/``groups``, ``elder`` per probed page); ``checks/accessibility.py`` turns those into
findings without a browser.

Modules: ``axe`` (locating and running axe-core), ``pool`` (browsers with a watchdog), ``sampling``
(which pages stand for which), ``elder`` (适老化 probes), ``audit`` (``audit_scan``, tying them together).
"""

from govaudit.crawler.browser.audit import audit_scan
from govaudit.crawler.browser.axe import AxeNotInstalled, axe_path

__all__ = ["audit_scan", "axe_path", "AxeNotInstalled"]
