"""``smsc-formats check [DIR]``: the stored corpus against the spec.

Every body must parse, have the documented keys, order, JSON types and value shapes, carry
only error codes documented for its call, give back its own bytes through emit(parse(body)),
and agree with the other formats of its case. Exit 0 clean, 1 findings at or above
``--fail-on``, 2 usage or file errors.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..checks.conformance import Finding, check_body, check_case
from ..edge.store import StoreError, load_corpus
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
    the formats of a case must agree; emit(parse(body)) must give the body back. Exit 0
    clean, 1 findings at or above --fail-on, 2 usage or file errors.
    """
    root = Path(directory)
    if not root.is_dir():
        fail(f"{directory}: no such corpus folder", 2)
    try:
        cases = load_corpus(root)
    except StoreError as exc:
        fail(str(exc), 2)
    if not cases:
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
    finish("check", root, [case_info(c, root) for c in cases], findings, report_format,
           output, fail_on)
