"""The CI gate (上线前检查): decide pass/fail from findings and a scorecard, without crawling.

``govaudit check`` crawls, then calls ``evaluate``; tests call ``evaluate`` directly.  Exit codes are the
contract CI jobs rely on: 0 pass, 1 tool error, 2 gate failed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from govaudit.reports.scoring import Scorecard

from govaudit.model import Finding

EXIT_PASS, EXIT_ERROR, EXIT_GATE = 0, 1, 2
FAIL_ON: dict[str, tuple[str, ...]] = {
    "veto": ("veto",),
    "deduct": ("veto", "deduct"),
    "warn": ("veto", "deduct", "warn"),
}
"""``--fail-on LEVEL``: the severities that fail the gate at each level (each includes the graver ones)."""


@dataclass(slots=True)
class GateResult:
    passed: bool
    reasons: list[str] = field(default_factory=list)
    failing: list[Finding] = field(default_factory=list)   # findings that failed the gate
    new: list[Finding] = field(default_factory=list)       # findings not in the baseline (all, without one)
    baseline_size: int | None = None
    score_reason: str | None = None                       # why the score part failed, if it did

    @property
    def exit_code(self) -> int:
        return EXIT_PASS if self.passed else EXIT_GATE


def read_findings(path: Path) -> list[tuple[str, dict]]:
    """(fingerprint, finding line) of a previous run: a ``findings.jsonl`` file or an output directory holding one.

    Lines without a ``fingerprint`` (older outputs) get it recomputed from rule, url and discriminator.  The
    baseline of the gate and ``govaudit diff`` of two output folders both read runs this way.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "findings.jsonl"
    out: list[tuple[str, dict]] = []
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    out.append((str(data["fingerprint"]) if data.get("fingerprint") else Finding.from_json(data).fingerprint,
                                data))
                except (ValueError, TypeError, KeyError, AttributeError) as exc:
                    raise ValueError(f"{path}:{lineno}: not a finding line ({exc})") from exc
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the findings ({exc.strerror or exc})") from exc
    return out


def load_baseline(path: Path) -> set[str]:
    """Fingerprints of a previous run (``read_findings``)."""
    return {fp for fp, _ in read_findings(path)}


def evaluate(findings: list[Finding], scorecard: Scorecard, *, fail_on: str | None = "veto",
             min_score: float | None = None, baseline: set[str] | None = None) -> GateResult:
    """Apply the gate.

    ``fail_on``: fail when a (new) finding has one of the severities of that level (None: never on findings).
    ``min_score``: fail when the score is below it, or when a veto was hit (a vetoed site is 不合格 whatever
    its deduction part says).  ``baseline``: fingerprints of a previous run; only findings not in it count
    for ``fail_on`` — the score is always the whole site's.
    """
    if fail_on is not None and fail_on not in FAIL_ON:
        raise ValueError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    new = [f for f in findings if baseline is None or f.fingerprint not in baseline]
    severities = FAIL_ON.get(fail_on or "", ())
    failing = [f for f in new if f.severity in severities]
    reasons: list[str] = []
    score_reason = None
    if failing:
        by_sev: dict[str, int] = {}
        for f in failing:
            by_sev[f.severity] = by_sev.get(f.severity, 0) + 1
        counts = ", ".join(f"{n} {s}" for s, n in by_sev.items())
        reasons.append(f"{len(failing)} {'new ' if baseline is not None else ''}finding(s) at --fail-on {fail_on} ({counts})")
    if min_score is not None:
        if scorecard.verdict == "veto":
            score_reason = f"veto hit ({', '.join(v.id for v in scorecard.vetoes)}): the site fails whatever its score"
        elif scorecard.total < min_score:
            score_reason = f"score {scorecard.total:.2f} is below --min-score {min_score:g}"
        if score_reason:
            reasons.append(score_reason)
    return GateResult(passed=not reasons, reasons=reasons, failing=failing, new=new,
                      baseline_size=None if baseline is None else len(baseline), score_reason=score_reason)
