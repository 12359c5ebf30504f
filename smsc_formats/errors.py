"""The exception tree, and the one place where foreign errors become ``ParseError``.

Every exception the package raises on purpose derives from :class:`SmscFormatsError`::

    ValueError
     └── SmscFormatsError          the root: ``except SmscFormatsError`` catches them all
          ├── ParseError           a body is not what the call and format promise
          ├── EmitError            a value cannot be written unchanged
          ├── RequestError         request parameters the documented limits reject
          ├── UsageError           a caller mistake: unknown call, fmt or charset, wrong type
          └── SmscApiError         the server answered with an error (``unwrap``,
                                   ``iter_parse``; defined in :mod:`smsc_formats.model`)

``parse``, ``sniff`` and ``iter_parse`` raise only :class:`ParseError` for a body, and
:class:`UsageError` for their arguments; ``emit`` raises :class:`EmitError` and
:class:`UsageError`. Foreign exceptions met while reading a body (lxml, json, decimal, codecs,
``int()``, recursion, memory) become a :class:`ParseError` in one place, :func:`boundary`. Each
message says where: the call, the format, the line and column and/or the ``$.path`` of the
field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

from lxml import etree


def _where(line: int | None, col: int | None, path: str | None) -> str:
    parts = []
    if line is not None:
        parts.append(f"line {line}" + (f", column {col}" if col is not None else ""))
    if path:
        parts.append(path)
    return ", ".join(parts)


def a(noun: str) -> str:
    """``noun`` with its indefinite article: ``a SentMessage``, ``an IncomingMessage``."""
    return ("an " if noun[:1] in "AEIOU" else "a ") + noun


def clip(value: str, limit: int = 40) -> str:
    """A value quoted for an error message, cut short so a message stays one readable line."""
    text = value if len(value) <= limit else value[:limit] + "…"
    return repr(text)


class SmscFormatsError(ValueError):
    """The root of every error this package raises on purpose."""


class ParseError(SmscFormatsError):
    """A body that is not what the call and format promise; says where and why."""

    def __init__(self, msg: str, *, call: str | None = None, fmt: int | None = None,
                 line: int | None = None, col: int | None = None,
                 path: str | None = None) -> None:
        self.msg = msg
        self.call = call
        self.fmt = fmt
        self.line = line
        self.col = col
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        head = " ".join(p for p in (self.call or "", "" if self.fmt is None else f"fmt={self.fmt}")
                        if p)
        where = _where(self.line, self.col, self.path)
        return ": ".join(p for p in (head, where, self.msg) if p)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (self.msg, self.call, self.fmt, self.line, self.col, self.path))

    def located(self, *, call: str | None = None, fmt: int | None = None,
                line_offset: int = 0) -> ParseError:
        """A copy that also names the call and format (and shifts the line), for re-raising."""
        return ParseError(self.msg, call=self.call or call,
                          fmt=self.fmt if self.fmt is not None else fmt,
                          line=None if self.line is None else self.line + line_offset,
                          col=self.col, path=self.path)


    def hinted(self, hint: str) -> ParseError:
        """A copy whose message ends with ``(hint)``: what the body looks like instead."""
        return ParseError(f"{self.msg} ({hint})", call=self.call, fmt=self.fmt, line=self.line,
                          col=self.col, path=self.path)


def _rebuild(msg: str, call: str | None, fmt: int | None, line: int | None, col: int | None,
             path: str | None) -> ParseError:
    return ParseError(msg, call=call, fmt=fmt, line=line, col=col, path=path)


class EmitError(SmscFormatsError):
    """A value that cannot be written in the asked format or charset without changing it."""


class RequestError(SmscFormatsError):
    """Request parameters that the documented limits reject; raised before anything is sent."""


class ReplayMiss(SmscFormatsError):
    """A request that an in-process replay (:mod:`smsc_formats.testing`) has no answer for.

    Raised instead of answering, so that a test cannot pass on a made-up SMSC error; the
    message names the closest recorded case and how the request differs from it.
    """


class UsageError(SmscFormatsError, ValueError):
    """A caller mistake, not a body's: an unknown call, fmt or charset, or a wrong argument type.

    It is never turned into a :class:`ParseError`: the body was not even looked at.
    """


_LXML_POSITION = re.compile(r"(?:, line [0-9]+, column [0-9]+| line [0-9]+)\Z")


def lxml_message(msg: str) -> str:
    """An lxml message without what libxml2 appends: the position again, a newline."""
    return _LXML_POSITION.sub("", msg.strip()).strip()


def _foreign(exc: BaseException) -> tuple[str, int, int]:
    """What a foreign exception met while reading a body says, and where (1, 1 if unknown)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"malformed JSON: {exc.msg}", exc.lineno, exc.colno
    if isinstance(exc, etree.XMLSyntaxError):
        line, col = exc.position
        return f"malformed XML: {lxml_message(exc.msg)}", line or 1, col or 1
    if isinstance(exc, RecursionError):
        return "nested too deeply", 1, 1
    if isinstance(exc, MemoryError):
        return "too big to read", 1, 1
    if isinstance(exc, ArithmeticError):  # decimal.InvalidOperation, OverflowError
        return "a number out of range", 1, 1
    if isinstance(exc, UnicodeError):
        return f"cannot be decoded: {exc}", 1, 1
    if isinstance(exc, LookupError):
        return f"unknown name: {exc}", 1, 1
    return f"unreadable: {exc}", 1, 1


FOREIGN = (ValueError, ArithmeticError, LookupError, RecursionError, MemoryError,
           etree.LxmlError)
"""The foreign exceptions a body can provoke, which :func:`boundary` turns into ParseError."""


@contextmanager
def boundary(call: str | None = None, fmt: int | None = None) -> Iterator[None]:
    """The error boundary of ``parse``, ``sniff`` and ``iter_parse``.

    Inside it, a :class:`ParseError` gets the call and format named, a :class:`UsageError` (and
    any other error of the package) passes unchanged, and a foreign exception becomes a
    :class:`ParseError` with the position it knows (line 1, column 1 when it knows none).
    """
    try:
        yield
    except ParseError as exc:
        if (exc.call is None and call) or (exc.fmt is None and fmt is not None):
            raise exc.located(call=call, fmt=fmt) from None
        raise
    except SmscFormatsError:
        raise
    except FOREIGN as exc:
        msg, line, col = _foreign(exc)
        raise ParseError(msg, call=call, fmt=fmt, line=line, col=col) from None


def position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1
