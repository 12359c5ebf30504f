"""What the CLI commands share: reading inputs, one-line failures, call and format options."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from ..errors import ParseError, SmscFormatsError
from ..spec import CALLS

F = TypeVar("F", bound=Callable[..., Any])

CALL_CHOICE = click.Choice(sorted(CALLS))
FMT_CHOICE = click.IntRange(0, 3)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line on stderr and exit with ``code``."""
    click.echo(f"smsc-formats: error: {message}", err=True)
    sys.exit(code)


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
