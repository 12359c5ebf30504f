"""``smsc-formats drift DIR --base-url URL``: has the server changed what it sends?

Each recorded case of the corpus is re-recorded through the recorder (same parameters,
formats and charset, same rate limits and redaction) into a temporary folder and compared
structurally with the stored one (see :mod:`smsc_formats.checks.drift`). Cases transcribed from the
documentation (``source: documentation``) are not requests anyone made, so they are skipped.

Exit codes: 0 no drift at or above ``--fail-on``, 1 drift, 2 usage or file errors, 3 the server
could not be recorded from (unreachable, error 2, 4 or 9, a rate-limit wait over
``--max-wait``) — never reported as drift — and 130 interrupted (Ctrl-C; 143 on SIGTERM),
which is not a finding either: the corpus is left as it was and no temporary folder remains.

``--update`` writes the re-recorded cases into the corpus, but not when a new body does not
parse (the stored bodies are kept and the run exits 1), unless ``--force``.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from pathlib import Path

import click

from ..api import parse
from ..checks.conformance import Finding
from ..checks.drift import compare
from ..edge.ledger import Ledger, LedgerError, LedgerUnreadable, Limiter
from ..edge.recorder import PlanError, RecordError, rerecord_all
from ..edge.secrets import named_secrets
from ..edge.secrets import redact_message as redact
from ..edge.store import Case, StoreError, load_corpus, write_case
from ..errors import ParseError
from .common import fail, interrupted, interruptible, limit_options
from .record import _Bar, credentials_from_env
from .reporting import case_info, check_output, finish, ignore_rules, report_options

SKIPPED_SOURCES = frozenset({"documentation"})


def _update(root: Path, stored: list[Case], fresh: list[Case], force: bool) -> bool:
    """Write the re-recorded cases into the corpus; True if written. New bodies that do not
    parse are refused (nothing is written, and the findings fail the run) unless ``force``."""
    bad = _unparseable(fresh)
    if bad and not force:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        click.echo(f"drift: not updated: {len(bad)} new body(ies) do not parse ({shown}); "
                   "the stored bodies are kept (--force writes them anyway)", err=True)
        return False
    for old, new in zip(stored, fresh, strict=True):
        try:
            write_case(root, dataclasses.replace(new, source=old.source, path=None))
        except OSError as exc:
            fail(f"{root / old.call / old.name}: {exc.strerror or exc}", 2)
    click.echo(f"drift: updated {len(fresh)} case(s) in {root}; the findings below are "
               "accepted", err=True)
    return True


def make_limiter(max_wait: float | None) -> Limiter:
    """The rate limiter drift records through: the shared ledger, as ``record`` uses."""
    return Limiter(Ledger.default(), max_wait=max_wait)


def _bodies(case: Case) -> dict[int, tuple[bytes, str | None]]:
    return {fmt: (body, case.formats[fmt].charset or None) for fmt, body in case.bodies.items()}


def _unparseable(cases: list[Case]) -> list[str]:
    """``call/case fmt N`` of every body among ``cases`` that does not parse."""
    bad = []
    for case in cases:
        for fmt, body in sorted(case.bodies.items()):
            meta = case.formats[fmt]
            try:
                parse(body, call=case.call, fmt=fmt, charset=meta.charset or None,
                      content_type=meta.content_type or None)
            except ParseError:
                bad.append(f"{case.call}/{case.name} fmt {fmt}")
    return bad


@click.command("drift")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--base-url", required=True, help="Server root, e.g. https://smsc.ru")
@click.option("--update", is_flag=True,
              help="Accept the new bodies: write the re-recorded cases into the corpus.")
@limit_options
@click.option("--force", is_flag=True,
              help="With --update, write new bodies even when they no longer parse.")
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
@report_options
def drift_command(directory: str, base_url: str, update: bool, max_wait: float | None,
                  force: bool, formats_identical: bool, quiet: bool, report_format: str,
                  output: str | None, fail_on: str) -> None:
    """Re-record the corpus in DIRECTORY from --base-url and report structural drift.

    Credentials come only from the environment: SMSC_LOGIN and SMSC_PSW, or SMSC_APIKEY.
    The run is planned first and its duration stated; --max-wait is checked against the plan
    before any request. --update refuses new bodies that do not parse unless --force.

    \b
    Exit codes:
      0    no drift at or above --fail-on (or --update accepted it)
      1    drift at or above --fail-on
      2    usage or file errors
      3    could not record (unreachable, error 2, 4 or 9, a wait over --max-wait)
      130  interrupted (Ctrl-C; 143 on SIGTERM): the corpus is left as it was
    """
    credentials = credentials_from_env(os.environ)
    secrets = named_secrets(credentials)
    root = Path(directory)
    if not root.is_dir():
        fail(f"{directory}: no such corpus folder", 2)
    try:
        stored = [c for c in load_corpus(root) if c.source not in SKIPPED_SOURCES]
    except StoreError as exc:
        fail(str(exc), 2)
    if not stored:
        fail(f"{directory}: no recorded cases to compare (documentation cases are skipped)", 2)
    ignore_rules(root)  # a bad ignore file is a usage error, found before any request
    check_output(output)  # so is an --output that could not be written
    bar = _Bar(quiet)
    limiter = make_limiter(max_wait)
    if limiter.sleep is time.sleep:
        limiter.sleep = bar.sleep  # the countdown on a terminal
    try:
        with interruptible(), tempfile.TemporaryDirectory(prefix="smsc-formats-drift-") as tmp:
            try:
                fresh = rerecord_all(stored, base_url, credentials, limiter,
                                     out_dir=Path(tmp), progress=bar.event,
                                     formats_apart=not formats_identical)
            except (PlanError, LedgerUnreadable) as exc:
                bar.close()
                fail(redact(str(exc), secrets), 2)
            except (RecordError, LedgerError) as exc:
                bar.close()
                fail("could not record: " + redact(str(exc), secrets), 3)
            except OSError as exc:
                bar.close()
                fail("could not record: " + redact(f"{exc.strerror or exc}", secrets), 3)
            bar.close()
            findings: list[Finding] = []
            for old, new in zip(stored, fresh, strict=True):
                findings += [f.at(case=old.name)
                             for f in compare(old.call, _bodies(old), _bodies(new))]
            if update:
                update = _update(root, stored, fresh, force)
    except KeyboardInterrupt as exc:
        bar.close()
        interrupted(exc, "every case of the corpus is whole; no temporary folder is left")
    finish("drift", root, [case_info(c, root) for c in stored], findings, report_format,
           output, fail_on, accepted=update)
