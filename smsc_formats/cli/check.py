"""``smsc-formats check [DIR]``: the stored corpus against the spec.

Every body must parse, have the documented keys, order, JSON types and value shapes, carry
only error codes documented for its call, give back its own bytes through emit(parse(body)),
and agree with the other formats of its case. A case that cannot be read (a broken
``meta.json``, a missing body, a wrong sha256) is reported on stderr, one line each, and the
other cases are still checked. Exit 0 clean, 1 findings at or above ``--fail-on``, 2 usage or
file errors (also when the other cases are clean or have findings).
"""

from __future__ import annotations

from pathlib import Path

import click

from ..checks.conformance import Finding, check_body, check_case
from ..edge.store import Case, StoreError, case_dirs, load_case
from .common import fail
from .reporting import case_info, finish, report_options


@click.command("check")
@click.argument("directory", required=False, default="fixtures",
                type=click.Path(file_okay=False))
@report_options
def check_command(directory: str, report_format: str, output: str | None,
                  fail_on: str) -> None:
    """Check every case of the corpus in DIRECTORY (default ./fixtures) against the spec.

    Every body must parse and have the documented keys, order, JSON types and value shapes;
    the formats of a case must agree; emit(parse(body)) must give the body back. A case
    that cannot be read is reported and the others are still checked.

    \b
    Exit codes:
      0  no finding at or above --fail-on
      1  findings at or above --fail-on
      2  usage or file errors (a case that could not be read)
    """
    root = Path(directory)
    if not root.is_dir():
        fail(f"{directory}: no such corpus folder", 2)
    cases, errors = _load_all(root)
    for error in errors:
        click.echo(f"smsc-formats: error: {error}", err=True)
    if not cases:
        if errors:
            fail(f"{directory}: no case could be read ({len(errors)} file error(s))", 2)
        fail(f"{directory}: no cases found (expected <call>/<case>/meta.json)", 2)
    findings: list[Finding] = []
    for case in cases:
        for fmt, body in sorted(case.bodies.items()):
            charset = case.formats[fmt].charset or None
            findings += [f.at(case=case.name)
                         for f in check_body(body, call=case.call, fmt=fmt, charset=charset)]
        bodies = {fmt: (body, case.formats[fmt].charset or None)
                  for fmt, body in case.bodies.items()}
        findings += [f.at(case=case.name) for f in check_case(case.call, bodies)]
    try:
        finish("check", root, [case_info(c, root) for c in cases], findings, report_format,
               output, fail_on)
    except SystemExit as exc:
        if errors and exc.code in (0, 1):
            raise SystemExit(2) from None  # the file errors were told on stderr above
        raise


def _load_all(root: Path) -> tuple[list[Case], list[str]]:
    """Every case that loads, and one message per case that does not (the check goes on)."""
    cases: list[Case] = []
    errors: list[str] = []
    try:
        folders = case_dirs(root)
    except StoreError as exc:
        return [], [str(exc)]
    for folder in folders:
        try:
            cases.append(load_case(folder))
        except StoreError as exc:
            errors.append(str(exc))
    return cases, errors
