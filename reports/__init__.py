"""Reports: scoring and the renderers inspectors and CI jobs read.

``write_reports`` is the one entry point the pipeline calls after the checks: it scores the findings
against the rule set and writes ``summary.json``, ``report.html`` and ``report.xlsx`` into the output
directory.  Renderers never re-compute a score; they display the ``Scorecard``.

Outputs are written to temporary files in the output directory and renamed into place only when all of
them are complete, ``summary.json`` last, so an interrupted or failing run never leaves a partial report
that looks like a finished one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from govaudit.reports.scoring import Scorecard, coverage_of, score

from govaudit.errors import UserError
from govaudit.model import Finding
from govaudit.ruleset import RuleSet

__all__ = ["ReportError", "Scorecard", "score", "write_reports", "atomic_outputs", "check_writable"]


class ReportError(UserError):
    """A report cannot be written (unwritable directory, bad input); printed as one line, exit code 1."""


def check_writable(out_dir: Path) -> Path:
    """Create ``out_dir`` and prove it is writable *before* any work, so the error comes first and clearly."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".govaudit-probe-", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ReportError(f"{out_dir}: cannot write reports there ({exc.strerror or exc})") from exc
    return out_dir


class atomic_outputs:
    """Collect several output files as temporaries and publish them together.

    ``with atomic_outputs(dir, ["report.html", "summary.json"]) as tmp: write(tmp["report.html"]) ...``
    On success each temporary is renamed over its final name, in the order given (put the file that marks
    completion last); on any error every temporary is removed and the previous outputs stay untouched,
    except the completion marker, which is removed first so stale outputs are never taken for new ones.
    """

    def __init__(self, out_dir: Path, names: list[str]) -> None:
        self.out_dir = check_writable(out_dir)
        self.names = names
        self.tmp: dict[str, Path] = {}

    def __enter__(self) -> dict[str, Path]:
        for name in self.names:
            fd, path = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=self.out_dir)
            os.close(fd)
            self.tmp[name] = Path(path)
        return self.tmp

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is None:
                marker = self.out_dir / self.names[-1]
                marker.unlink(missing_ok=True)
                for name in self.names:
                    os.chmod(self.tmp[name], 0o644)
                    os.replace(self.tmp[name], self.out_dir / name)
        except OSError as err:
            raise ReportError(f"{self.out_dir}: cannot publish reports ({err})") from err
        finally:
            for path in self.tmp.values():
                path.unlink(missing_ok=True)


def write_json(path: Path, document: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(document, fh, ensure_ascii=False, indent=2, default=str)
        fh.write("\n")


def write_reports(view: Any, findings: list[Finding], rules: RuleSet, out_dir: Path, *, lang: str = "zh",
                  has_public_services: bool | None = None,
                  renderers: dict[str, Callable[..., None]] | None = None,
                  history: list[dict[str, Any]] | None = None) -> Scorecard:
    """Score ``findings`` and write ``summary.json``, ``report.html`` and ``report.xlsx`` into ``out_dir``.

    ``view`` is the scan's ``ScanView`` (site, dates, coverage stats, artifacts); ``findings`` were already
    produced (and written to findings.jsonl) by the pipeline.  ``history``: trend points of the site's earlier
    scans (``govaudit.history.previous_points``); this scan's point is added from its scorecard, and the
    trend goes into summary.json, which the HTML and Excel reports draw it from.  Returns the scorecard.
    """
    from govaudit.reports.excel import write_workbook
    from govaudit.reports.html import write_html
    from govaudit.reports.trend import point, ruleset_ref

    if lang not in ("zh", "en"):
        raise ReportError(f"unknown report language {lang!r}; use zh or en")
    out_dir = check_writable(Path(out_dir))
    card = score(findings, rules, coverage=coverage_of(view, findings, rules), has_public_services=has_public_services,
                 site=getattr(view, "site", "") or "", start_url=getattr(view, "start_url", "") or "",
                 as_of=getattr(view, "as_of", "") or "", scan_id=getattr(view, "scan_id", None))
    info = getattr(view, "info", None)
    card.trend = [*(history or []), point(scan_id=card.scan_id, as_of=card.as_of, started=getattr(info, "started", None),
                                          ruleset=ruleset_ref(rules),
                                          score=card.total, verdict=card.verdict, by_rule=card.counts_by_rule,
                                          rules=rules)]
    steps = renderers or {"report.html": write_html, "report.xlsx": write_workbook}
    with atomic_outputs(out_dir, [*steps, "summary.json"]) as tmp:
        for name, render in steps.items():
            render(tmp[name], card, findings, rules, lang=lang, base_dir=out_dir, view=view)
        write_json(tmp["summary.json"], card.to_json(findings))
    return card
