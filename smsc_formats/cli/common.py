"""What the CLI commands share: reading inputs, one-line failures, call and format options."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, NoReturn, TypeVar

import click

from ..errors import ParseError, SmscFormatsError
from ..spec import CALLS

F = TypeVar("F", bound=Callable[..., Any])

CALL_CHOICE = click.Choice(sorted(CALLS))
FMT_CHOICE = click.IntRange(0, 3)


def charset_option(value: str | None) -> str | None:
    """A ``--charset`` value checked up front: an unknown charset is a usage error (exit 2)."""
    if value is None:
        return None
    from ..charset import canonical_name

    try:
        canonical_name(value)
    except SmscFormatsError as exc:
        raise click.BadParameter(f"{exc} (e.g. utf-8, windows-1251, koi8-r)") from None
    return value


def charset_callback(ctx: click.Context, param: click.Parameter,
                     value: str | None) -> str | None:
    """The click callback that makes ``--charset bogus`` a usage error (exit 2)."""
    return charset_option(value)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line on stderr and exit with ``code``."""
    click.echo(f"smsc-formats: error: {message}", err=True)
    sys.exit(code)


EXIT_INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT): an interruption, never a finding."""
EXIT_TERMINATED = 143
"""SIGTERM (128 + SIGTERM): as an interruption."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that ``finally`` blocks and temporary folders clean up."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`Terminated` (a KeyboardInterrupt), so a kill
    leaves no temporary folder and no half-written case behind; the old handler comes back
    after. Outside the main thread (where signals cannot be set) the block runs as it is."""
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted(exc: KeyboardInterrupt, what: str) -> NoReturn:
    """One line saying what an interruption left (``what``), and exit 130 (143 on SIGTERM)."""
    terminated = isinstance(exc, Terminated)
    fail(f"{'terminated' if terminated else 'interrupted'}: {what}",
         EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)


def read_input(path: str) -> bytes:
    """The bytes of a file, or of stdin for ``-``; a missing file is a one-line failure."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        fail(f"{path}: {exc.strerror or exc}", 2)


def describe_error(exc: SmscFormatsError, source: str) -> str:
    """``file:line:col: message`` for a ParseError, ``file: message`` otherwise."""
    if isinstance(exc, ParseError) and exc.line is not None:
        where = f"{source}:{exc.line}" + (f":{exc.col}" if exc.col is not None else "")
        rest = ParseError(exc.msg, call=exc.call, fmt=exc.fmt, path=exc.path)
        return f"{where}: {rest}"
    return f"{source}: {exc}"


def limit_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--max-wait`` and ``--formats-count-as-identical``: how a run that sends requests
    (``record``, ``drift``) keeps to the server's rate limits."""
    command = click.option(
        "--formats-count-as-identical/--formats-count-apart", "formats_identical",
        default=True, show_default=True,
        help="Whether the formats of one request count as identical requests for the "
             "rate limits.")(command)
    return click.option(
        "--max-wait", type=click.FloatRange(min=0), default=None,
        help="Give up (exit 3) rather than wait longer than this many seconds (0 or more; "
             "a negative value is a usage error).")(command)
