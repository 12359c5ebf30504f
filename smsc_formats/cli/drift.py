"""``smsc-formats drift DIR --base-url URL``: has the server changed what it sends?

Each recorded case of the corpus is re-recorded through the recorder (same parameters,
formats and charset, same rate limits and redaction) into a temporary folder and compared
structurally with the stored one (see :mod:`smsc_formats.checks.drift`). Cases transcribed from the
documentation (``source: documentation``) are not requests anyone made, so they are skipped.

Exit codes: 0 no drift at or above ``--fail-on``, 1 drift, 2 usage or file errors, 3 the server
could not be recorded from (unreachable, error 2, 4 or 9, a rate-limit wait over
``--max-wait``) — never reported as drift.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from ..checks.conformance import Finding
from ..checks.drift import compare
from ..edge.ledger import Ledger, LedgerError, LedgerUnreadable, Limiter
from ..edge.recorder import Event, PlanError, RecordError, rerecord_all
from ..edge.secrets import named_secrets, redact
from ..edge.store import Case, StoreError, load_corpus, write_case
from .common import fail
from .record import credentials_from_env
from .reporting import case_info, check_output, finish, ignore_rules, report_options

SKIPPED_SOURCES = frozenset({"documentation"})


def make_limiter(max_wait: float | None) -> Limiter:
    """The rate limiter drift records through: the shared ledger, as ``record`` uses."""
    return Limiter(Ledger.default(), max_wait=max_wait)


def _bodies(case: Case) -> dict[int, tuple[bytes, str | None]]:
    return {fmt: (body, case.formats[fmt].charset or None) for fmt, body in case.bodies.items()}


def _progress(quiet: bool, secrets: dict[str, str]) -> Any:
    def tell(event: Event) -> None:
        if quiet:
            return
        if event.kind == "start":
            click.echo(f"drift: {event.message}", err=True)
        elif event.kind in ("wait", "note"):
            click.echo(f"drift: {redact(event.message, secrets)}", err=True)

    return tell


@click.command("drift")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--base-url", required=True, help="Server root, e.g. https://smsc.ru")
@click.option("--update", is_flag=True,
              help="Accept the new bodies: write the re-recorded cases into the corpus.")
@click.option("--max-wait", type=float, default=None,
              help="Give up (exit 3) rather than wait longer than this many seconds.")
@click.option("--quiet", is_flag=True, help="No progress lines on stderr.")
@report_options
def drift_command(directory: str, base_url: str, update: bool, max_wait: float | None,
                  quiet: bool, report_format: str, output: str | None, fail_on: str) -> None:
    """Re-record the corpus in DIRECTORY from --base-url and report structural drift.

    Credentials come only from the environment: SMSC_LOGIN and SMSC_PSW, or SMSC_APIKEY.
    Exit 0 clean, 1 drift at or above --fail-on, 2 usage or file errors, 3 could not record.
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
    with tempfile.TemporaryDirectory(prefix="smsc-formats-drift-") as tmp:
        try:
            fresh = rerecord_all(stored, base_url, credentials, make_limiter(max_wait),
                                 out_dir=Path(tmp), progress=_progress(quiet, secrets))
        except (PlanError, LedgerUnreadable) as exc:
            fail(redact(str(exc), secrets), 2)
        except (RecordError, LedgerError) as exc:
            fail("could not record: " + redact(str(exc), secrets), 3)
        except OSError as exc:
            fail("could not record: " + redact(f"{exc.strerror or exc}", secrets), 3)
    findings: list[Finding] = []
    for old, new in zip(stored, fresh, strict=True):
        findings += [f.at(case=old.name) for f in compare(old.call, _bodies(old), _bodies(new))]
    if update:
        for old, new in zip(stored, fresh, strict=True):
            try:
                write_case(root, dataclasses.replace(new, source=old.source, path=None))
            except OSError as exc:
                fail(f"{root / old.call / old.name}: {exc.strerror or exc}", 2)
        click.echo(f"drift: updated {len(fresh)} case(s) in {directory}; the findings below "
                   f"are accepted", err=True)
    finish("drift", root, [case_info(c, root) for c in stored], findings, report_format,
           output, fail_on, accepted=update)
