"""Accepted findings: match findings against ignore entries by fingerprint (pure).

An entry accepts one finding fingerprint with a reason and an optional expiry date. An entry
past its expiry date stops applying, so its finding is reported again, and the run says so
with an ``info`` finding of kind ``ignore-expired``. Reading entries from ``pyproject.toml``
or the corpus's ``smsc-formats-ignore.toml`` is I/O and lives in
:mod:`smsc_formats.edge.ignore`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from .conformance import Finding


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """One accepted finding: its fingerprint, why it is accepted, and until when."""

    fingerprint: str
    reason: str
    expires: date | None = None
    source: str = ""
    """Where the entry was read (``pyproject.toml``), for messages."""

    def expired(self, today: date) -> bool:
        """Whether the entry no longer applies on ``today`` (it applies on its expiry day)."""
        return self.expires is not None and today > self.expires


@dataclass(frozen=True, slots=True)
class Applied:
    """Findings split by the ignore entries: still reported, accepted, and notes on entries."""

    kept: tuple[Finding, ...]
    ignored: tuple[Finding, ...]
    notes: tuple[Finding, ...]


def apply_ignores(findings: Iterable[Finding], rules: Sequence[IgnoreRule],
                  today: date) -> Applied:
    """Drop the findings an unexpired entry accepts; report expired entries as info."""
    live = {r.fingerprint: r for r in rules if not r.expired(today)}
    kept: list[Finding] = []
    ignored: list[Finding] = []
    for finding in findings:
        (ignored if finding.fingerprint in live else kept).append(finding)
    notes = []
    for rule in rules:
        if not rule.expired(today):
            continue
        where = f" in {rule.source}" if rule.source else ""
        notes.append(Finding(
            "-", None, "", f"ignore entry {rule.fingerprint}{where} expired on "
            f"{rule.expires}; its finding is reported again (reason was: {rule.reason})",
            "info", "ignore-expired"))
    return Applied(tuple(kept), tuple(ignored), tuple(notes))
