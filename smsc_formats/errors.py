"""The exception tree, and the one place where foreign errors become ``ParseError``.

``parse`` raises only :class:`ParseError`; ``emit`` raises only :class:`EmitError`; building a
request raises only :class:`RequestError`. Each message says where: the call, the format, the
line and column and/or the ``$.path`` of the field.
"""

from __future__ import annotations


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


def position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1
