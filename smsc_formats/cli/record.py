"""``record``: ask an SMSC server (or the simulator) and store its answers as a fixture corpus."""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from ..errors import RequestError
from ..request import Credentials
from .common import CALL_CHOICE, FMT_CHOICE, fail, interrupted, interruptible, limit_options

DEFAULTS_HELP = """Record fixtures from an SMSC server into a corpus folder.

Credentials come only from the environment: SMSC_LOGIN and SMSC_PSW, or SMSC_APIKEY.
They are never written: the login get_stat echoes is stored as `redacted-login`.

Personal data: --redact phone,to_phone,message (or [tool.smsc-formats] redact = [...]) masks
those fields in every format alike, with pseudonyms keyed by $SMSC_FORMATS_REDACT_KEY or the
corpus's .redact-key file (keep it out of git). A body that cannot be masked is never stored.

\b
Default requests (one case each, sent in every --fmt with the same parameters):
{table}

Named cases: your own requests, recorded next to the defaults in every --fmt, from
[tool.smsc-formats.cases] in pyproject.toml or a [cases] table in <out>/smsc-formats-cases.toml:

\b
  [tool.smsc-formats.cases]
  "get_stat/november" = {{ start = "01.11.2026", end = "30.11.2026" }}

The key is call/name (a name of lowercase letters, digits, - and _); the value holds the
call's non-secret parameters (no fmt, charset or credentials). A named case with the name of
a default case replaces it (the plan says so); --param changes only the default cases. A bad
entry is a usage error naming its file and line. drift re-records named cases like any other.

\b
Modes:
  once  record a case only if its folder does not exist yet (default)
  new   also record the formats an existing case lacks, with its stored parameters
  all   re-record every selected case

Requests are spaced under SMSC's documented rate limits, remembering earlier runs in a
ledger: $SMSC_FORMATS_LEDGER, else smsc-formats/ledger.json in $XDG_CACHE_HOME (or ~/.cache).
The whole run is planned before the first request and its duration stated; a wait the plan
foresees over --max-wait stops it before anything is sent. By default the formats of one
request count as identical requests (the cautious reading of "3 identical requests a
minute", so a full run takes over a minute); --formats-count-apart counts them apart.

\b
Exit codes:
  0    recorded
  2    usage error (no credentials, a bad --base-url, --param, --as-of, --out or named case)
  3    could not record (unreachable, error 2, 4 or 9, a wait over --max-wait)
  130  interrupted (Ctrl-C; 143 on SIGTERM): the cases stored so far are kept
"""


def credentials_from_env(environ: Mapping[str, str]) -> Credentials:
    """Credentials from ``SMSC_LOGIN``+``SMSC_PSW`` or ``SMSC_APIKEY``; a one-line exit 2
    otherwise (naming the variables, never their values)."""
    login, psw, apikey = (environ.get(v) or None for v in
                          ("SMSC_LOGIN", "SMSC_PSW", "SMSC_APIKEY"))
    if apikey and (login or psw):
        fail("set either SMSC_LOGIN and SMSC_PSW, or SMSC_APIKEY, not both", 2)
    if not apikey and not (login and psw):
        fail("no credentials: set SMSC_LOGIN and SMSC_PSW, or SMSC_APIKEY", 2)
    try:
        return Credentials(login=login, psw=psw, apikey=apikey)
    except RequestError as exc:
        fail(str(exc), 2)


def _anchor(value: str | None) -> date | None:
    if value is None:
        return None
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    # The value is never echoed: it might be a credential pasted in the wrong place.
    return fail("--as-of: expected a date as dd.mm.yyyy or yyyy-mm-dd", 2)


class _Bar:
    """Progress on stderr.

    On a terminal: one status line, redrawn in place, with the requests done, the current
    request and, during a rate-limit wait, a countdown once a second with the limit that
    imposes it; the cursor is hidden while it runs and shown again by :meth:`close` (also on
    Ctrl-C). Otherwise (CI logs): one plain line per request, wait, retry and note.
    """

    HIDE, SHOW, CLEAR = "\x1b[?25l", "\x1b[?25h", "\r\x1b[2K"

    def __init__(self, quiet: bool, tty: bool | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.live = False
        self.done = self.total = 0
        self.label = ""
        self.waiting = ""
        self._sleep, self._clock = sleep, clock

    def event(self, event: Any) -> None:
        """The recorder's progress hook (every message is already redacted)."""
        if self.quiet:
            return
        if event.kind == "start":
            self.total = event.total
            self.echo(f"recording: {event.message}")
            if self.tty:
                self.live = True
                self._write(self.HIDE)
                self.draw()
        elif event.kind == "request":
            self.label, self.waiting = event.message, ""
            self.draw() if self.tty else self.echo(event.message)
        elif event.kind == "answer":
            self.done = event.done
            self.draw()
        elif event.kind in ("wait", "retry"):
            self.label = f"{event.call}/{event.case} fmt {event.fmt}"
            self.waiting = event.message.split(": ", 1)[-1]
            if not self.tty:
                self.echo(event.message)
        elif event.kind == "note":
            self.echo(f"note: {event.message}")
        elif event.kind == "skip":
            self.echo(f"skipped {event.message}")

    def line(self, left: float | None = None) -> str:
        """The status line: requests done, the current request, the wait and its cause."""
        text = f"recording [{self.done}/{self.total}] {self.label}".rstrip()
        if left is not None and self.waiting:
            reason = self.waiting.split("(", 1)[-1].rstrip(")") if "(" in self.waiting \
                else self.waiting
            text += f": waiting {math.ceil(left)} s ({reason})"
        return text

    def draw(self, left: float | None = None) -> None:
        if self.live:
            self._write(self.CLEAR + self.line(left))

    def _write(self, text: str) -> None:
        sys.stderr.write(text)
        sys.stderr.flush()

    def echo(self, line: str) -> None:
        if self.quiet:
            return
        if self.live:
            self._write(self.CLEAR)
        click.echo(line, err=True)
        self.draw()

    def sleep(self, seconds: float) -> None:
        """The limiter's sleep: on a terminal a countdown, redrawn once a second."""
        end = self._clock() + seconds
        while (left := end - self._clock()) > 0:
            self.draw(left)
            self._sleep(min(1.0, left))
        self.waiting = ""
        self.draw()

    def close(self) -> None:
        """End the status line and show the cursor again."""
        if self.live:
            self._write(self.CLEAR + self.line() + "\n" + self.SHOW)
            self.live = False


@click.command("record")
@click.option("--base-url", required=True, help="Server root, e.g. https://smsc.ru")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="Corpus folder to write (created if missing).")
@click.option("--call", "calls", multiple=True, type=CALL_CHOICE,
              help="Record only this call (repeatable); default all six.")
@click.option("--fmt", "fmts", multiple=True, type=FMT_CHOICE,
              help="Record only this format (repeatable); default 0 1 2 3.")
@click.option("--mode", type=click.Choice(["once", "new", "all"]), default="once",
              show_default=True, help="Which cases to (re-)record.")
@click.option("--charset", type=click.Choice(["utf-8", "windows-1251", "koi8-r"]),
              default="utf-8", show_default=True, help="The charset to ask for.")
@click.option("--source", type=click.Choice(["live", "simulator"]), default=None,
              help="What meta.json says the bodies came from.  [default: simulator for a "
                   "loopback --base-url, else live]")
@click.option("--as-of", "as_of", default=None,
              help="Anchor day D of the pinned date windows (dd.mm.yyyy); default today.")
@click.option("--param", "params", multiple=True, metavar="CALL:NAME=VALUE",
              help="Replace a default request parameter, e.g. get_short_link:id=12345.")
@limit_options
@click.option("--quiet", is_flag=True, help="No progress bar or notes.")
@click.option("--redact", "redact_fields", multiple=True, metavar="FIELD,...",
              help="Mask these fields with deterministic pseudonyms of the same shape, e.g. "
                   "phone,to_phone,message (default: [tool.smsc-formats] redact).")
@click.option("--before-record", "before_record", default=None, metavar="MODULE:FUNCTION",
              help="Pass every reply through this function (Reply -> Reply) before storing.")
def record_command(base_url: str, out: str, calls: tuple[str, ...], fmts: tuple[int, ...],
                   mode: str, charset: str, source: str | None, as_of: str | None,
                   params: tuple[str, ...], max_wait: float | None, formats_identical: bool,
                   quiet: bool, redact_fields: tuple[str, ...], before_record: str | None) -> None:
    from ..edge.http import FetchError, check_base_url
    from ..edge.ledger import Ledger, LedgerError, LedgerUnreadable, Limiter
    from ..edge.recorder import PlanError, RecordError, parse_overrides, record, source_of
    from ..edge.secrets import named_secrets
    from ..edge.secrets import redact_message as redact

    credentials = credentials_from_env(os.environ)
    secrets = named_secrets(credentials)
    anchor = _anchor(as_of)
    try:
        overrides = parse_overrides(params)
    except RecordError as exc:
        fail(redact(str(exc), secrets), 2)
    try:
        check_base_url(base_url)  # before --out is created
    except FetchError as exc:
        fail(str(exc), 2)
    _writable_folder(out)
    named = _named_cases(out)
    redactor = _redactor(out, redact_fields, before_record)
    bar = _Bar(quiet)
    limiter = Limiter(Ledger.default(), sleep=bar.sleep, max_wait=max_wait)
    try:
        with interruptible():
            cases = record(base_url, Path(out), credentials, calls=calls or None,
                           fmts=fmts or None, mode=mode, charset=charset,
                           source=source or source_of(base_url),
                           as_of=anchor, overrides=overrides, limiter=limiter,
                           progress=bar.event, formats_apart=not formats_identical,
                           redactor=redactor, cases=named)
    except KeyboardInterrupt as exc:
        bar.close()
        interrupted(exc, "the cases stored before are kept; the case in progress was not "
                         "written")
    except (PlanError, LedgerUnreadable) as exc:
        bar.close()
        fail(redact(str(exc), secrets), 2)
    except (RecordError, LedgerError) as exc:
        bar.close()
        fail(redact(str(exc), secrets), 3)
    except OSError as exc:
        bar.close()
        fail(redact(f"{out}: {exc.strerror or exc}", secrets), 3)
    bar.close()
    if not quiet:
        mismatched = sum(1 for c in cases if c.cross_format != "ok")
        tail = f", {mismatched} with formats that disagree" if mismatched else ""
        if not cases:
            tail = " (existing cases are kept: --mode new or all records them again)"
        click.echo(f"recorded {len(cases)} case(s) into {out}{tail}", err=True)


def _named_cases(out: str) -> Any:
    """The user's named cases (``[tool.smsc-formats.cases]``, ``<out>/smsc-formats-cases.toml``);
    a bad one is a usage error (exit 2) naming its file and line, found before any request."""
    from ..edge.cases import CasesFileError, load_cases

    try:
        return load_cases(Path(out))
    except CasesFileError as exc:
        fail(str(exc), 2)


def _redactor(out: str, fields: tuple[str, ...], before_record: str | None) -> Any:
    """The masking of personal data asked by the options or the project; a bad field name,
    hook or configuration is a usage error (exit 2), found before any request."""
    from ..edge.redact import redactor_for
    from ..redact import RedactError

    try:
        return redactor_for(Path(out), list(fields), before_record)
    except RedactError as exc:
        fail(str(exc), 2)


def _writable_folder(out: str) -> None:
    """Create the corpus folder if missing; one that cannot be written is a usage error (exit 2),
    found before any request spends the rate limits."""
    try:
        Path(out).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--out {out}: {exc.strerror or exc}", 2)
    if not os.access(out, os.W_OK | os.X_OK):
        fail(f"--out {out}: folder is not writable", 2)


def _help() -> str:
    """The command's help: the text above with the default requests table filled in."""
    from ..edge.recorder import defaults_table

    table = "\n".join("  " + line for line in defaults_table().splitlines())
    return DEFAULTS_HELP.format(table=table)


record_command.help = _help()
