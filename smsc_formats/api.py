"""parse, emit and unwrap: the public entry points, dispatching through the codec table.

Sans-I/O: bytes in, values out, and back. ``parse`` raises only :class:`ParseError` for a
body (through the one error boundary, :func:`smsc_formats.errors.boundary`) and
:class:`UsageError` for its arguments; ``emit`` raises only :class:`EmitError` and
:class:`UsageError`.
"""

from __future__ import annotations

import dataclasses
from datetime import tzinfo
from typing import Any

from .charset import canonical_name, decode, detect_format
from .codecs import CODECS, fmt2_xml, fmt3_json
from .codecs.plan import DECLINED
from .errors import FOREIGN, EmitError, ParseError, SmscFormatsError, UsageError, boundary
from .model import ApiError, Reply, SmscApiError
from .spec import CALLS, FORMATS, CallSpec, ListBody, OneOrListBody
from .values import MOSCOW


def call_spec(call: str) -> CallSpec:
    """The spec of a call by name; an unknown name is a UsageError listing the known ones."""
    try:
        return CALLS[call]
    except (KeyError, TypeError):
        raise UsageError(f"unknown call {call!r}; known: {', '.join(CALLS)}") from None


def check_fmt(fmt: object, call: str, *, optional: bool = True) -> None:
    """A fmt the caller named must be one of 0-3 (``None`` means "detect" where allowed)."""
    if fmt is None and optional:
        return
    if type(fmt) is not int or fmt not in FORMATS:
        raise UsageError(f"unknown fmt {fmt!r}; known: 0, 1, 2, 3")


def parse(body: bytes | str, *, call: str, fmt: int | None = None, charset: str | None = None,
          content_type: str | None = None, server_tz: tzinfo = MOSCOW) -> Reply:
    """The canonical value a body of ``call`` carries.

    ``fmt=None`` detects the format. ``charset`` is the one the request asked for; without it
    the charset chain decides (XML declaration, the bytes, then ``content_type``). An error
    body of any format is recognised whatever ``fmt`` says, and returned as an
    :class:`ApiError`. Only :class:`ParseError` leaves it for a bad body, and
    :class:`UsageError` for a caller mistake. To have conformance findings raise too, use
    :func:`smsc_formats.checks.parse_strict`: the parser core knows nothing of the checks.
    """
    spec = call_spec(call)
    check_fmt(fmt, call)
    if not isinstance(body, bytes | bytearray | str):
        raise UsageError(f"parse reads a body as bytes or str, not {type(body).__name__}")
    if charset:
        canonical_name(charset)  # a caller mistake, before the body is looked at
    try:
        return _parse(body, spec, fmt, charset, content_type, server_tz)
    except ParseError as exc:
        hint = _looks_like(body, spec.name, fmt, charset, content_type, server_tz)
        if hint is None:
            raise
        raise exc.hinted(hint) from None


def _parse(body: bytes | bytearray | str, spec: CallSpec, fmt: int | None, charset: str | None,
           content_type: str | None, server_tz: tzinfo) -> Reply:
    with boundary(spec.name, fmt):
        if (fmt in UTF8_READERS and type(body) is bytes and content_type is None
                and charset in (None, "utf-8", "UTF-8")):
            # read UTF-8 bytes straight from the body (JsonCodec and XmlCodec.decode_utf8)
            reply = UTF8_READERS[fmt].decode_utf8(body, spec, server_tz)
            if reply is not DECLINED:
                return reply  # type: ignore[no-any-return]
        text, _ = decode(bytes(body) if isinstance(body, bytearray) else body, charset,
                         content_type)
        return _decode(text, spec, fmt, server_tz)  # type: ignore[no-any-return]


UTF8_READERS: dict[int, fmt2_xml.XmlCodec | fmt3_json.JsonCodec] = {
    2: fmt2_xml.CODEC, 3: fmt3_json.CODEC}
"""The codecs that read a UTF-8 body straight from its bytes where they can, before the
charset chain decodes it: the text would only be encoded again for lxml or msgspec."""


HINT_LIMIT = 4096
"""The longest body that a failed ``parse`` tries as the other calls. It is the head that
``iter_parse`` reads whole (:data:`smsc_formats.streaming.HEAD`): a longer body is streamed,
and a stream cannot try the whole body as another call, so neither does ``parse``; the two
report the very same error."""
_HINT_NAMES = 3


def _looks_like(body: bytes | bytearray | str, call: str, fmt: int | None, charset: str | None,
                content_type: str | None, tz: tzinfo) -> str | None:
    """What a body that failed to parse as ``call`` in ``fmt`` reads as instead, or None.

    Run only once ``parse`` has failed: it tries the body as the spec's other calls (and as
    ``call`` in another fmt, when a fmt was named), each in the fmt its head points to
    (and CSV, whose first field may begin with ``<``, ``{`` or ``[``).
    """
    if len(body) >= HINT_LIMIT:  # a body iter_parse streams
        return None
    try:
        with boundary():
            text, _ = decode(bytes(body) if isinstance(body, bytearray) else body, charset,
                             content_type)
    except SmscFormatsError:
        return None
    if not text.strip():
        return None
    if _begins_as(text, CALLS[call], fmt, tz):
        return None  # this call's body, broken further on: nothing else to suggest
    found: list[str] = []
    for other, spec in CALLS.items():
        if other == call and fmt is None:
            continue
        try:
            detected = detect_format(text, other)
        except SmscFormatsError:
            continue
        candidates = [detected] if detected in (0, 1) else [detected, 1]
        for candidate in candidates:
            if other == call and candidate == fmt:
                continue
            try:
                with boundary():
                    reply = CODECS[candidate].decode(text, spec, tz)
                    again = CODECS[candidate].encode(reply, spec, tz)
            except (SmscFormatsError, *FOREIGN):
                continue
            if not _carries_data(reply) or _layout(again) != _layout(text):
                continue  # a reader that skips what it does not know is no evidence
            found.append(f"{other} fmt={candidate}")
            break
    if not found:
        return None
    names = " or ".join(found[:_HINT_NAMES]) + (" or others" if len(found) > _HINT_NAMES else "")
    return f"this looks like a {names} body"


def _begins_as(text: str, spec: CallSpec, fmt: int | None, tz: tzinfo) -> bool:
    """Whether the first line of a line-format body (fmt=0/1) reads as ``spec``'s records."""
    head, newline, _ = text.strip().partition("\n")
    if not newline:
        return False
    try:
        with boundary():
            asked = detect_format(text, spec.name) if fmt is None else fmt
            if asked not in (0, 1):
                return False
            reply = CODECS[asked].decode(head.rstrip("\r"), spec, tz)
    except SmscFormatsError:
        return False
    # A text field that swallowed separators (a price zone's name, say) reads any line.
    return _carries_data(reply) and not _holds_separator(reply)


def _holds_separator(value: Any) -> bool:
    """Whether a text value anywhere in a reply contains a comma (the line formats' separator)."""
    if isinstance(value, str):
        return "," in value
    if isinstance(value, list | tuple):
        return any(_holds_separator(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_holds_separator(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


def _carries_data(reply: Any) -> bool:
    """Whether a reply holds anything: not an empty list, nor a record of empty sections."""
    if isinstance(reply, list | tuple):
        return bool(reply)
    if dataclasses.is_dataclass(reply):
        return any(getattr(reply, f.name) not in (None, (), [], "")
                   for f in dataclasses.fields(reply))
    return True


def _layout(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def _decode(text: str, spec: CallSpec, fmt: int | None, tz: tzinfo) -> Any:
    if not text.strip():
        # decisions.md: only fmt=0/1 write an empty list as an empty body; fmt=2 writes the
        # root's two tags and fmt=3 writes [], so an empty body asked as fmt=2/3 is broken.
        if isinstance(spec.body, ListBody | OneOrListBody) and fmt in (None, 0, 1):
            return []
        raise ParseError("empty body", call=spec.name, fmt=fmt, line=1, col=1)
    error = match_error(text, spec.name)
    if error is not None:
        return error
    if fmt is not None:
        return CODECS[fmt].decode(text, spec, tz)
    try:
        found = detect_format(text, spec.name)
    except ParseError as exc:
        raise exc.located(call=spec.name) from None
    try:
        return CODECS[found].decode(text, spec, tz)
    except ParseError:
        if found in (0, 1):
            raise
        # A CSV record may begin with "<", "{" or "[" too: its first field is verbatim text.
        try:
            return CODECS[1].decode(text, spec, tz)
        except ParseError:
            pass
        raise


def match_error(text: str, call: str = "") -> ApiError | None:
    """The error a decoded body spells in any of the four formats, or None."""
    head = text.lstrip()[:1]
    order = {"E": 0, "0": 1, "<": 2, "{": 3}
    if head not in order:
        return None
    try:
        return CODECS[order[head]].match_error(text.strip())
    except ParseError as exc:
        raise exc.located(call=call) from None


def emit(reply: Reply, *, call: str, fmt: int, charset: str = "utf-8",
         server_tz: tzinfo = MOSCOW) -> bytes:
    """The body the server would send for ``reply``, byte for byte, in ``fmt`` and ``charset``.

    A value the format or charset cannot carry unchanged is an :class:`EmitError`; nothing is
    replaced or dropped.
    """
    spec = call_spec(call)
    check_fmt(fmt, call, optional=False)
    name = canonical_name(charset)
    codec = CODECS[fmt]
    if isinstance(reply, ApiError):
        text = codec.write_error(reply)
    else:
        if name == "utf-8":
            data = codec.encode_utf8(reply, spec, server_tz)
            if data is not None:
                return data
        text = codec.encode(reply, spec, server_tz)
    try:
        return text.encode(name)
    except UnicodeEncodeError as exc:
        before = text[:exc.start]
        line = before.count("\n") + 1
        col = exc.start - (before.rfind("\n") + 1) + 1
        char = text[exc.start]
        raise EmitError(f"{name} cannot encode {char!r} (U+{ord(char):04X}) at line {line}, "
                        f"column {col}") from None


def unwrap(reply: Reply) -> Any:
    """The reply itself, or raise :class:`SmscApiError` if it is an :class:`ApiError`."""
    if isinstance(reply, ApiError):
        raise SmscApiError(reply)
    return reply
