"""What ``check`` and ``drift`` share: the report options, ignore entries and the exit code."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from ..checks.conformance import SEVERITIES, Finding
from ..checks.ignore import apply_ignores
from ..checks.report import FORMATS, CaseInfo, Report, render, summary
from ..edge.ignore import IgnoreFileError, load_ignores
from ..edge.store import BODY_FILES, Case
from .common import fail

F = TypeVar("F", bound=Callable[..., Any])


def report_options(command: F) -> F:
    """``--format``, ``--output`` and ``--fail-on``."""
    command = click.option(
        "--fail-on", type=click.Choice(SEVERITIES), default="warning", show_default=True,
        help="Exit 1 when a finding is at or above this severity.")(command)
    command = click.option(
        "--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
        help="Write the report to this file (e.g. the JUnit XML) and the summary to stdout.",
    )(command)
    return click.option(
        "--format", "report_format", type=click.Choice(FORMATS), default="table",
        show_default=True, help="How to print the report.")(command)


def case_info(case: Case, root: Path) -> CaseInfo:
    """The files of a stored case, for the report (paths as the user wrote the corpus)."""
    folder = root / case.call / case.name
    files = {fmt: str(folder / BODY_FILES[fmt]) for fmt in sorted(case.bodies)}
    return CaseInfo(case.call, case.name, files, str(folder))


def ignore_rules(root: Path) -> list[Any]:
    """The ignore entries for a corpus; a bad ignore file is a usage error (exit 2)."""
    try:
        return load_ignores(root)
    except IgnoreFileError as exc:
        fail(str(exc), 2)


def check_output(output: str | None) -> None:
    """An ``--output`` in a folder that is missing or not writable is a usage error (exit 2),
    found before ``drift`` spends a minute re-recording."""
    if output is None:
        return
    folder = Path(output).parent
    if not folder.is_dir():
        fail(f"{output}: No such file or directory", 2)
    if not os.access(folder, os.W_OK | os.X_OK):
        fail(f"{output}: folder is not writable", 2)


def finish(command: str, root: Path, cases: Sequence[CaseInfo], findings: Sequence[Finding],
           report_format: str, output: str | None, fail_on: str, *,
           accepted: bool = False) -> None:
    """Apply the ignore entries, print or write the report, and exit 0 or 1.

    ``accepted`` (``drift --update``): the findings were accepted into the corpus; exit 0.
    """
    applied = apply_ignores(findings, ignore_rules(root), date.today())
    report = Report(command, cases, [*applied.kept, *applied.notes], applied.ignored, fail_on)
    text = render(report, report_format)
    if output is not None:
        try:
            Path(output).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            fail(f"{output}: {exc.strerror or exc}", 2)
        click.echo(summary(report))
    else:
        click.echo(text)
    raise SystemExit(0 if accepted else report.exit_code())
