"""The charset chain, and format detection: ``sniff(body) -> (fmt, charset)``.

The charset is decided in the order of decisions.md: the caller's (the ``charset`` the request
asked for), the XML declaration, the bytes (strict UTF-8, then windows-1251), and the HTTP
``Content-Type`` label last, because the real server mislabels its answers.
"""

from __future__ import annotations

import codecs
import re

from .errors import ParseError, UsageError, boundary

SUPPORTED = ("utf-8", "windows-1251", "koi8-r")
"""The charsets the API serves, by their canonical names."""

_XML_ENCODING = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)")
_LABEL = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._-]+)", re.IGNORECASE)
_TEXT_ERROR = re.compile(r"ERROR = -?[0-9]+(?: \(.*\))?", re.DOTALL)


_PROBE = '<?xml version="1.0"?>\n<a b=\'c\'>0-9 A-Z _.,;:!</a>'
"""ASCII text that an ASCII-compatible charset encodes byte for byte (UTF-16 does not)."""

HEAD = 4096
"""How many leading bytes rule 3 weighs when the first bad UTF-8 byte lies inside them."""


def canonical_name(charset: str) -> str:
    """The canonical name of a charset (``cp1251`` -> ``windows-1251``).

    Only ASCII-compatible text charsets can carry a body; any other name (``rot13``, ``hex``,
    ``undefined``, ``utf-16``, a name with a NUL, a non-string) is a :class:`UsageError`.
    """
    if not isinstance(charset, str):
        raise UsageError(f"a charset is a name (str), not {type(charset).__name__}")
    try:
        info = codecs.lookup(charset)
    except (LookupError, ValueError):
        raise UsageError(f"unknown charset {charset!r}") from None
    try:
        usable = info._is_text_encoding and _PROBE.encode(info.name) == _PROBE.encode("ascii")
    except (UnicodeError, LookupError, TypeError, ValueError):
        usable = False
    if not usable:
        raise UsageError(f"unsupported charset {charset!r}: not an ASCII-compatible text "
                         "charset")
    name = info.name
    return {"cp1251": "windows-1251", "utf-8": "utf-8", "koi8-r": "koi8-r"}.get(name, name)


def label_of(content_type: str | None) -> str | None:
    """The charset a ``Content-Type`` header names, if any."""
    if not content_type:
        return None
    m = _LABEL.search(content_type)
    return m.group(1) if m else None


def declared_charset(head: bytes) -> str | None:
    """The charset an XML declaration at the start of ``head`` names, if there is one.

    An unknown or unusable name is a ParseError pointing at it (the body's fault, not the
    caller's).
    """
    declared = _XML_ENCODING.match(head[:200])
    if declared is None:
        return None
    try:
        return canonical_name(declared.group(1).decode("ascii"))
    except UsageError as exc:
        line, col = byte_position(head, declared.start(1), "ascii")
        raise ParseError(f"the XML declaration names an {exc}", line=line, col=col) from None


def byte_position(data: bytes, offset: int, charset: str) -> tuple[int, int]:
    """The 1-based line and column (in characters) of byte ``offset`` of ``data``."""
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    before = data[start:offset].decode(charset, "replace")
    if start == 0:  # a BOM is no column: the text is read without it (see decode)
        before = before.removeprefix("\ufeff")
    return line, len(before) + 1


def undecodable(data: bytes, offset: int, charset: str, sniffed: bool) -> ParseError:
    """The ParseError for the byte at ``offset`` that ``charset`` cannot decode.

    ``sniffed`` says the charset came from the bytes (rule 3), not from the caller or a
    declaration; ``parse`` and ``iter_parse`` both word and place the error with this.
    """
    bad = data[offset] if 0 <= offset < len(data) else 0
    line, col = byte_position(data, offset, charset)
    if sniffed and charset == "windows-1251":
        msg = (f"the body is neither UTF-8 nor windows-1251 (byte 0x{bad:02x}); "
               "pass its charset")
    else:
        msg = f"not valid {charset}: byte 0x{bad:02x}"
    return ParseError(msg, line=line, col=col)


def _first_bad_utf8(data: bytes, final: bool) -> int | None:
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(data, final)
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def utf8_or_1251(data: bytes, *, final: bool = True) -> str:
    """Rule 3 of decisions.md's charset chain: ``"utf-8"`` or ``"windows-1251"`` by the bytes.

    ``data`` is a whole body (``final``) or the head of a stream, at least :data:`HEAD` bytes
    long. Strict UTF-8 wins. Otherwise let ``k`` be the first byte that is not UTF-8; the
    sample is the first ``HEAD`` bytes, or everything up to ``k`` when ``k`` lies past them. If
    at least as many of the sample's non-ASCII bytes form valid UTF-8 sequences as do not (and
    some do), the body is UTF-8 with bad bytes: a ParseError at ``k``. Else it is windows-1251.

    Past the head the sample is all valid UTF-8 but for byte ``k``, so the rule comes down to
    "any non-ASCII byte before ``k`` means UTF-8": a stream that has decoded only ASCII so far
    switches to windows-1251 at ``k`` and reads what ``parse`` reads (see :func:`switches`).
    """
    bad = _first_bad_utf8(data, final)
    if bad is None:
        return "utf-8"
    sample = data[:max(HEAD, bad + 1)]
    text = sample.decode("utf-8", "surrogateescape")
    invalid = sum(1 for c in text if "\udc80" <= c <= "\udcff")
    valid = sum(len(c.encode("utf-8")) for c in text if c > "\x7f" and not
                "\udc80" <= c <= "\udcff")
    if valid and valid >= invalid:
        raise undecodable(data, bad, "utf-8", sniffed=True)
    return "windows-1251"


def switches(decoded_ascii: bool, before: bytes) -> bool:
    """Whether a stream read as sniffed UTF-8 turns windows-1251 at its first bad byte.

    True exactly when nothing before that byte was non-ASCII: :func:`utf8_or_1251` on the whole
    body then says windows-1251, and the text read so far is the same in both charsets.
    """
    return decoded_ascii and before.isascii()


def choose(body: bytes, charset: str | None = None, content_type: str | None = None) -> str:
    """The charset to decode ``body`` with, by the chain above."""
    if charset:
        return canonical_name(charset)
    declared = declared_charset(body)
    if declared:
        return declared
    name = utf8_or_1251(body)
    if name == "utf-8":
        return name
    try:
        body.decode("windows-1251")
        return "windows-1251"
    except UnicodeDecodeError as exc:
        bad = exc.start  # a byte with no windows-1251 meaning (nor a UTF-8 one here)
    label = label_of(content_type)
    if label:
        try:
            return canonical_name(label)
        except UsageError:
            pass  # a label is recorded, not trusted: its name is no caller mistake
    raise undecodable(body, bad, "windows-1251", sniffed=True)


def decode(body: bytes | str, charset: str | None = None,
           content_type: str | None = None) -> tuple[str, str]:
    """The body as text without a BOM, and the charset it was decoded with."""
    if isinstance(body, str):
        if charset is not None:
            canonical_name(charset)
        return body.removeprefix("\ufeff"), charset or "utf-8"
    if not charset and _XML_ENCODING.match(body[:200]) is None:
        try:  # the chain's "strict UTF-8 first", without decoding the body twice
            return body.decode("utf-8").removeprefix("\ufeff"), "utf-8"
        except UnicodeDecodeError:
            pass
    name = choose(body, charset, content_type)
    try:
        text = body.decode(name)
    except UnicodeDecodeError as exc:
        raise undecodable(body, exc.start, name, sniffed=False) from None
    return text.removeprefix("\ufeff"), name


def _text_heads(call: str | None) -> tuple[str, ...]:
    """How a fmt=0 body of ``call`` (of any call, for None) can begin: its records' first keys."""
    from .spec import CALLS, SectionsBody

    heads: set[str] = set()
    for spec in [CALLS[call]] if call is not None and call in CALLS else list(CALLS.values()):
        heads.update(r.layouts[0][0].wire + " = " for r in spec.records())
        if isinstance(spec.body, SectionsBody):
            heads.add(spec.body.tail.name + " = ")
    return tuple(sorted(heads))


def detect_format(text: str, call: str | None = None) -> int:
    """The fmt a decoded body is written in.

    ``<`` begins XML and ``{`` or ``[`` begins JSON; a body whose first line begins with one of
    the call's fmt=0 keys (``Status = ``, ``id = ``, ...) is ``key = value``; anything else is
    comma-separated.
    """
    head = text.lstrip()
    if head.startswith("<"):
        return 2
    if head.startswith(("{", "[")):
        return 3
    if head.startswith(_text_heads(call)) or _TEXT_ERROR.fullmatch(head.rstrip()):
        return 0
    if head:
        return 1
    raise ParseError("cannot detect the format of an empty body")


def sniff(body: bytes | str, content_type: str | None = None,
          call: str | None = None) -> tuple[int, str]:
    """The ``(fmt, charset)`` a body is written in, detected from the body itself.

    Naming the ``call`` sharpens the ``key = value`` versus CSV decision to that call's keys.
    """
    if not isinstance(body, bytes | bytearray | str):
        raise UsageError(f"sniff reads a body as bytes or str, not {type(body).__name__}")
    with boundary(call):
        text, charset = decode(bytes(body) if isinstance(body, bytearray) else body, None,
                               content_type)
        return detect_format(text, call), charset
