"""Ignore entries: accepted by fingerprint until they expire, then reported again."""

from __future__ import annotations

from datetime import date

from smsc_formats.checks.conformance import Finding
from smsc_formats.checks.ignore import IgnoreRule, apply_ignores

FINDING = Finding("get_stat", 3, "$[4].bonus", "key 'bonus' added", "warning", "field-added")
OTHER = Finding("get_stat", 2, "$[0].bonus", "element <bonus> added", "warning", "field-added")


def test_an_entry_accepts_its_fingerprint_only() -> None:
    rule = IgnoreRule(FINDING.fingerprint, "SMSC announced the new key")
    applied = apply_ignores([FINDING, OTHER], [rule], date(2026, 11, 24))
    assert applied.kept == (OTHER,)
    assert applied.ignored == (FINDING,)
    assert applied.notes == ()


def test_an_entry_applies_up_to_its_expiry_day() -> None:
    rule = IgnoreRule(FINDING.fingerprint, "until the fix", date(2027, 1, 31), "pyproject.toml")
    assert apply_ignores([FINDING], [rule], date(2027, 1, 31)).ignored == (FINDING,)
    applied = apply_ignores([FINDING], [rule], date(2027, 2, 1))
    assert applied.kept == (FINDING,)
    assert applied.ignored == ()
    assert len(applied.notes) == 1
    note = applied.notes[0]
    assert (note.kind, note.severity) == ("ignore-expired", "info")
    assert "expired on 2027-01-31" in note.message
    assert "pyproject.toml" in note.message
    assert "until the fix" in note.message
