"""Two runs of one site compared finding by finding: new, fixed and persisting.

Identity is the finding's fingerprint (``Finding.fingerprint``: rule, the thing at fault, its discriminator),
the same identity the CI gate's baseline uses (``reports/gate.py``), so "new" means the same in both places.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Diff:
    new: list[dict[str, Any]] = field(default_factory=list)         # in B, not in A
    fixed: list[dict[str, Any]] = field(default_factory=list)       # in A, not in B
    persisting: list[dict[str, Any]] = field(default_factory=list)  # in both (B's line)

    def by_rule(self) -> dict[str, dict[str, int]]:
        """{rule: {new, fixed, persisting}} — the table a person reads first."""
        out: dict[str, dict[str, int]] = {}
        for part in ("new", "fixed", "persisting"):
            for rule, n in Counter(str(f.get("rule")) for f in getattr(self, part)).items():
                out.setdefault(rule, {"new": 0, "fixed": 0, "persisting": 0})[part] = n
        return dict(sorted(out.items()))

    def to_json(self) -> dict[str, Any]:
        return {"counts": {"new": len(self.new), "fixed": len(self.fixed), "persisting": len(self.persisting)},
                "by_rule": self.by_rule(), "new": self.new, "fixed": self.fixed, "persisting": self.persisting}


def diff(a: list[tuple[str, dict[str, Any]]], b: list[tuple[str, dict[str, Any]]]) -> Diff:
    """Compare runs given as (fingerprint, finding line) pairs; a fingerprint repeated in a run counts once."""
    first = dict(a)
    second = dict(b)
    return Diff(new=[f for fp, f in second.items() if fp not in first],
                fixed=[f for fp, f in first.items() if fp not in second],
                persisting=[f for fp, f in second.items() if fp in first])
