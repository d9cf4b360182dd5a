"""govaudit: an inspection crawler for government websites.

As a library: ``govaudit.scan("http://www.x.gov.cn/", out="out")`` or ``govaudit.scan(ScanRequest(...))``
returns a ``ScanOutcome`` (findings, scorecard, store and output paths), exactly what ``govaudit scan`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from govaudit.pipeline import ScanOutcome, ScanRequest


def scan(url: str | ScanRequest, **options: Any) -> ScanOutcome:
    """Run one scan (crawl, browser audits, checks, reports); see ``govaudit.pipeline.ScanRequest`` for options."""
    from govaudit.pipeline import scan as _scan

    return _scan(url, **options)


def __getattr__(name: str) -> Any:
    """``govaudit.ScanRequest`` without importing the pipeline (and Scrapy) on ``import govaudit``."""
    if name in ("ScanRequest", "ScanOutcome", "ScanInterrupted"):
        from govaudit import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'govaudit' has no attribute {name!r}")
