"""What a batch shows while it runs: a live table of every site's state on a terminal, one line per change elsewhere.

A province has hundreds of sites, so the live table shows the totals, every running and failed site, and the
last few finished; the full record is the manifest (``batch.json``) and the summary.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from typing import Any

from govaudit.batch import SiteState

STATE_STYLE = {"pending": "dim", "running": "cyan", "done": "green", "failed": "bold red", "interrupted": "yellow"}
STATE_ZH = {"pending": "等待", "running": "扫描中", "done": "完成", "failed": "失败", "interrupted": "已中断"}
RECENT = 8


class _Display:
    def __init__(self, sites: list[SiteState]) -> None:
        self.sites = sites
        self.recent: list[SiteState] = []

    def __enter__(self) -> _Display:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def update(self, state: SiteState) -> None:
        if state.state in ("done", "failed", "interrupted"):
            self.recent = [s for s in self.recent if s is not state][-(RECENT - 1):] + [state]

    def tick(self) -> None:
        pass

    def note(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def totals(self) -> str:
        counts = Counter(s.state for s in self.sites)
        return f"{len(self.sites)} sites: " + ", ".join(f"{STATE_ZH[k]} {counts[k]}" for k in STATE_ZH if counts[k])


class Quiet(_Display):
    def note(self, text: str) -> None:
        pass


class Lines(_Display):
    """One line per state change (logs, CI, cron mail)."""

    def update(self, state: SiteState) -> None:
        super().update(state)
        elapsed = state.elapsed()
        took = f" {elapsed:.0f}s" if elapsed is not None and state.state != "running" else ""
        error = f": {state.error}" if state.error else ""
        print(f"[{self.totals()}] {state.state}{took} {state.site.name} {state.url}{error}", file=sys.stderr, flush=True)


class Live(_Display):
    """rich's live table, redrawn in place."""

    def __init__(self, sites: list[SiteState]) -> None:
        super().__init__(sites)
        from rich.console import Console
        from rich.live import Live as RichLive

        self.console = Console(stderr=True)
        self.live = RichLive(self.render(), console=self.console, refresh_per_second=4, transient=False)
        self.last = 0.0

    def __enter__(self) -> Live:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.update(self.render())
        self.live.__exit__(None, None, None)

    def render(self) -> Any:
        from rich.table import Table

        table = Table(title=self.totals(), title_justify="left", expand=False)
        for head in ("网站 site", "地区 region", "状态 state", "用时 time", "备注 note"):
            table.add_column(head)
        shown = [s for s in self.sites if s.state in ("running", "failed")]
        shown += [s for s in self.recent if s not in shown]
        now = time.time()
        for s in shown:
            elapsed = s.elapsed(now)
            table.add_row(s.site.name[:40], s.site.region[:20], f"[{STATE_STYLE[s.state]}]{STATE_ZH[s.state]} {s.state}[/]",
                          f"{elapsed:.0f}s" if elapsed is not None else "", s.error[:80])
        return table

    def update(self, state: SiteState) -> None:
        super().update(state)
        self.live.update(self.render())

    def tick(self) -> None:
        now = time.monotonic()
        if now - self.last >= 1:
            self.last = now
            self.live.update(self.render())

    def note(self, text: str) -> None:
        self.console.print(text)


def make_display(mode: str, sites: list[SiteState]) -> _Display:
    """auto: the live table on a terminal (not under CI=true), lines otherwise."""
    if mode == "auto":
        mode = "live" if sys.stderr.isatty() and os.environ.get("CI", "").lower() not in ("true", "1") else "lines"
    return {"live": Live, "lines": Lines, "off": Quiet}[mode](sites)
