"""``iter_parse``: the records of a big list body, one by one, in a flat memory footprint.

Sans-I/O: the caller hands over a binary file-like object (anything with ``read(n)``) or an
iterable of ``bytes`` chunks, e.g. an HTTP response; nothing here opens a socket or a file.
Records are read with the same per-plan readers as :func:`smsc_formats.parse` (the generated
fast readers, and the codecs' reference readers wherever those decline), so a streamed body
gives exactly ``parse``'s list and the same ``ParseError`` positions:

* fmt=0 and fmt=1: lines are grouped into records as they arrive (a message may span lines);
* fmt=2: the same tokenizer as ``parse`` (``codecs.xml_tokens``, lxml's pull parser with the
  codec's security settings) fed piece by piece; each record element is freed once read;
* fmt=3: the same tokenizer as ``parse`` (``codecs.json_tokens``) fed piece by piece: each
  item of the array is decoded as soon as its text is complete, with ``parse``'s errors and
  positions.

Decisions:

* Only calls whose body is a list (``ListBody`` in the spec) stream; others raise ParseError.
* An **error body** raises :class:`~smsc_formats.SmscApiError` (the :class:`ApiError` is its
  ``.error``), as :func:`smsc_formats.unwrap` does: the iterator yields records only.
* fmt=0, fmt=1 and fmt=2 are read by the same incremental tokenizer as ``parse``
  (``line_tokens``, ``xml_tokens``), fed piece by piece, so any chunking gives the same
  records and errors.
* Short bodies (under 4 KiB), and bodies that do not begin like a list of the call's records
  (an error shape, another root element, a JSON object), are read whole and given
  to ``parse``, so detection, error shapes and messages are exactly ``parse``'s.
* Charset: the caller's ``charset``; else the XML declaration; else rule 3 of decisions.md,
  decided by the very function ``parse`` uses (:func:`smsc_formats.charset.utf8_or_1251`):
  UTF-8 with bad bytes is a ParseError at the first bad byte, and a stream that has read only
  ASCII turns windows-1251 at its first non-UTF-8 byte, exactly as ``parse`` reads the whole
  body. Pass ``charset`` for koi8-r bodies.
* Faults come out in ``parse``'s order: ``parse`` decodes the whole body first, so when a
  record turns out bad, the rest of the stream is still decoded (and dropped) and an
  undecodable byte further on is the error raised, as ``parse`` raises it.
* Errors go through the package's one boundary (:func:`smsc_formats.errors.boundary`): only
  ParseError (and SmscApiError for an error body) leaves; caller mistakes are UsageError.
"""

from __future__ import annotations

import codecs as _codecs
from collections.abc import Iterable, Iterator
from datetime import tzinfo
from typing import Any, Protocol

from .api import HINT_LIMIT, call_spec, check_fmt, parse
from .charset import (
    canonical_name,
    declared_charset,
    detect_format,
    switches,
    undecodable,
    utf8_or_1251,
)
from .codecs import CODECS, fmt2_xml, fmt3_json, line_tokens, xml_tokens
from .codecs.lines import LineCodec
from .codecs.plan import RecordPlan, record_plan
from .errors import ParseError, UsageError, boundary
from .model import ApiError, Record, SmscApiError
from .spec import CallSpec, ListBody
from .values import MOSCOW

CHUNK = 64 * 1024
"""How many bytes are read from a file-like stream at a time."""
HEAD = HINT_LIMIT
"""Bodies shorter than this (4 KiB) are parsed whole (error bodies are always shorter)."""

_JSON_SPACE = " \t\n\r"


class _Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


_BYTES = (bytes, bytearray, memoryview)


def _byte_chunks(stream: _Readable | Iterable[bytes] | bytes | bytearray) -> Iterator[bytes]:
    if isinstance(stream, _BYTES):  # a whole body (iterating it would give ints)
        if stream:
            yield bytes(stream)
        return
    if hasattr(stream, "read"):
        read = stream.read
        while chunk := read(CHUNK):
            yield _chunk(chunk)
    else:
        for chunk in _iterable(stream):
            if chunk:
                yield _chunk(chunk)


def _iterable(stream: object) -> Iterable[object]:
    if isinstance(stream, str) or not isinstance(stream, Iterable):
        raise UsageError(f"iter_parse reads bytes: pass a binary file (opened 'rb'), bytes "
                        f"chunks or bytes, not {type(stream).__name__}")
    return stream


def _chunk(chunk: object) -> bytes:
    if not isinstance(chunk, _BYTES):
        raise UsageError(f"iter_parse reads bytes: got a {type(chunk).__name__} chunk (open "
                        f"the file in binary mode, 'rb')")
    return bytes(chunk)


class _Text:
    """Decoded text of a byte stream, with the position of any undecodable byte."""

    def __init__(self, chunks: Iterator[bytes], head: bytes, charset: str, call: str,
                 fmt: int | None, sniffed: bool = False) -> None:
        self.chunks = chunks
        self.head = head
        self.charset = charset
        self.sniffed = sniffed  # the charset came from the bytes (rule 3), not a name
        self.ascii = True  # only ASCII decoded so far
        self.decoder = _codecs.getincrementaldecoder(charset)("strict")
        self.call, self.fmt = call, fmt
        self.line, self.col = 1, 1
        self.first = True

    def __iter__(self) -> Iterator[str]:
        for data in ([self.head] if self.head else []):
            yield from self._decode(data, final=False)
        for data in self.chunks:
            yield from self._decode(data, final=False)
        yield from self._decode(b"", final=True)

    def _decode(self, data: bytes, final: bool) -> Iterator[str]:
        pending = self.decoder.getstate()[0]  # bytes of a character cut by the last chunk
        try:
            text = self.decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            data = pending + data
            start = max(exc.start, 0)
            if (self.sniffed and self.charset == "utf-8"
                    and switches(self.ascii, data[:start])):
                # rule 3 on the whole body says windows-1251, and all read so far is ASCII
                self.charset = "windows-1251"
                self.decoder = _codecs.getincrementaldecoder("windows-1251")("strict")
                yield from self._decode(data, final)
                return
            before = data[:start].decode(self.charset, "replace")
            line = self.line + before.count("\n")
            col = (len(before) - before.rfind("\n") if "\n" in before
                   else self.col + len(before))
            fault = undecodable(data, start, self.charset, self.sniffed)
            raise ParseError(fault.msg, call=self.call, fmt=self.fmt, line=line,
                             col=col) from None
        if self.ascii and not text.isascii():
            self.ascii = False
        if self.first and text:
            text = text.removeprefix("\ufeff")
            self.first = False
        if text:
            newlines = text.count("\n")
            if newlines:
                self.line += newlines
                self.col = len(text) - text.rfind("\n")
            else:
                self.col += len(text)
            yield text


def iter_parse(stream: _Readable | Iterable[bytes] | bytes | bytearray, *, call: str,
               fmt: int | None, charset: str | None = None,
               server_tz: tzinfo = MOSCOW) -> Iterator[Record]:
    """The records of a list body of ``call``, one at a time, as the stream delivers them.

    ``stream`` is a binary file-like object (``read(n)`` gives bytes), an iterable of bytes
    chunks, or a whole body as bytes; text is a :class:`~smsc_formats.UsageError`. Yields
    exactly the items of ``parse(body, call=call, fmt=fmt, charset=charset)``. Raises
    :class:`ParseError` (with line and column) for a malformed body, after the records before
    the fault (every foreign error is turned into one at the package's one boundary); raises
    :class:`~smsc_formats.SmscApiError` for an error body.
    """
    spec = call_spec(call)
    if not isinstance(spec.body, ListBody):
        lists = ", ".join(n for n, c in _calls().items() if isinstance(c.body, ListBody))
        raise UsageError(f"iter_parse streams list calls ({lists}); {call} is not one: use "
                         "parse")
    check_fmt(fmt, call)
    if charset:
        canonical_name(charset)  # a caller mistake, before the body is looked at
    with boundary(call, fmt):
        yield from _stream(_byte_chunks(stream), spec, fmt, charset, server_tz)


def _stream(chunks: Iterator[bytes], spec: CallSpec, fmt: int | None, charset: str | None,
            server_tz: tzinfo) -> Iterator[Record]:
    head = b""
    for data in chunks:
        head += data
        if len(head) >= HEAD:
            break
    else:  # the whole body is short: parse decides everything
        yield from _whole(head, iter(()), spec, fmt, charset, server_tz)
        return
    chosen = _charset(head, charset)
    if chosen is None:
        yield from _whole(head, chunks, spec, fmt, charset, server_tz)
        return
    text = _Text(chunks, head, chosen[0], spec.name, fmt, sniffed=chosen[1])
    pieces = iter(text)
    first = ""
    for piece in pieces:  # enough text to see the format and the first line
        first += piece
        start = first.lstrip()  # blank lines before the body do not show its format
        if "\n" in start or len(start) >= 4096:
            break
    found = detect_format(first, spec.name) if fmt is None else fmt
    reader = {0: _lines, 1: _lines, 2: _xml, 3: _json}[found]
    streamed = reader(first, pieces, spec, found, server_tz)
    if next(streamed) is _WHOLE:  # not a list of this call's records: let parse say what it is
        rest = "".join(pieces)
        yield from _whole((first + rest).encode(text.charset), iter(()), spec, fmt,
                          text.charset, server_tz)
        return
    try:
        yield from streamed
    except ParseError:
        # parse decodes the whole body before it reads a record, so an undecodable byte
        # anywhere is its first fault: read the rest of the stream (decoding only, in
        # constant memory) and report that byte instead, if there is one.
        for _ in pieces:
            pass
        raise


def _calls() -> dict[str, CallSpec]:
    from .spec import CALLS

    return dict(CALLS)


_WHOLE: Any = object()
"""Sent first by a format reader that wants the body read whole; ``_GO`` otherwise."""
_GO: Any = object()


def _charset(head: bytes, charset: str | None) -> tuple[str, bool] | None:
    """The charset to read a stream with, and whether the bytes chose it (rule 3).

    Decided by the very rule ``parse`` uses (:func:`smsc_formats.charset.utf8_or_1251`), so a
    stream and a whole body agree: UTF-8 with bad bytes is a ParseError at the first bad byte
    in both, here or in :class:`_Text` once the stream reaches it.
    """
    if charset:
        return canonical_name(charset), False
    try:
        declared = declared_charset(head)
    except ParseError:
        return None  # parse says what is wrong with the declaration
    if declared:
        return declared, False
    return utf8_or_1251(head, final=False), True


def _whole(head: bytes, chunks: Iterator[bytes], spec: CallSpec, fmt: int | None,
           charset: str | None, tz: tzinfo) -> Iterator[Any]:
    body = head + b"".join(chunks)
    reply = parse(body, call=spec.name, fmt=fmt, charset=charset, server_tz=tz)
    if isinstance(reply, ApiError):
        raise SmscApiError(reply)
    assert isinstance(reply, list)
    yield from reply


# -- fmt=0 and fmt=1 ---------------------------------------------------------------------------


def _lines(first: str, pieces: Iterator[str], spec: CallSpec, fmt: int,
           tz: tzinfo) -> Iterator[Any]:
    """The line tokenizer fed piece by piece, its records read as ``parse`` reads them."""
    codec = CODECS[fmt]
    assert isinstance(codec, LineCodec)
    assert isinstance(spec.body, ListBody)
    plan = record_plan(spec.body.record, fmt, tz)
    line = first.lstrip("\r\n").split("\n", 1)[0].removesuffix("\r")
    if not line_tokens.head(plan, fmt)(line):
        yield _WHOLE  # an error line, or not this call's records
        return
    yield _GO
    yield from codec.records(_line_events(first, pieces, plan, fmt), [plan], spec, tz)


def _line_events(first: str, pieces: Iterator[str], plan: RecordPlan,
                 fmt: int) -> Iterator[line_tokens.LineRecord | line_tokens.Orphan]:
    tokenizer = line_tokens.LineTokenizer([plan], fmt)
    for piece in _chain(first, pieces):
        tokenizer.feed(piece)
        yield from tokenizer.events()
    tokenizer.close()
    yield from tokenizer.events()


# -- fmt=2 -------------------------------------------------------------------------------------


def _xml(first: str, pieces: Iterator[str], spec: CallSpec, fmt: int,
         tz: tzinfo) -> Iterator[Any]:
    body = spec.body
    assert isinstance(body, ListBody)
    first = xml_tokens.strip_declaration(first)
    if not fmt2_xml.streams(first, spec):
        yield _WHOLE
        return
    yield _GO
    yield from fmt2_xml.pull_records(_chain(first, pieces), spec, tz)


def _chain(first: str, pieces: Iterator[str]) -> Iterator[str]:
    if first:
        yield first
    yield from pieces


# -- fmt=3 -------------------------------------------------------------------------------------


def _json(first: str, pieces: Iterator[str], spec: CallSpec, fmt: int,
          tz: tzinfo) -> Iterator[Any]:
    """The JSON tokenizer fed piece by piece, its elements read as ``parse`` reads them."""
    if not fmt3_json.streams(first, spec):
        yield _WHOLE
        return
    yield _GO
    yield from fmt3_json.pull_records(_chain(first, pieces), spec, tz)


__all__ = ["iter_parse"]
