"""The charset chain, and format detection: ``sniff(body) -> (fmt, charset)``.

The charset is decided in the order of decisions.md: the caller's (the ``charset`` the request
asked for), the XML declaration, the bytes (strict UTF-8, then windows-1251), and the HTTP
``Content-Type`` label last, because the real server mislabels its answers.
"""

from __future__ import annotations

import codecs
import re

from .errors import ParseError

SUPPORTED = ("utf-8", "windows-1251", "koi8-r")
"""The charsets the API serves, by their canonical names."""

_XML_ENCODING = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)")
_LABEL = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._-]+)", re.IGNORECASE)
_TEXT_ERROR = re.compile(r"ERROR = -?[0-9]+(?: \(.*\))?", re.DOTALL)


def canonical_name(charset: str) -> str:
    """The canonical name of a charset (``cp1251`` -> ``windows-1251``); unknown ones fail."""
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        raise ParseError(f"unknown charset {charset!r}") from None
    return {"cp1251": "windows-1251", "utf-8": "utf-8", "koi8-r": "koi8-r"}.get(name, name)


def label_of(content_type: str | None) -> str | None:
    """The charset a ``Content-Type`` header names, if any."""
    if not content_type:
        return None
    m = _LABEL.search(content_type)
    return m.group(1) if m else None


def declared_charset(head: bytes) -> str | None:
    """The charset an XML declaration at the start of ``head`` names, if there is one.

    An unknown name is a ParseError pointing at it.
    """
    declared = _XML_ENCODING.match(head[:200])
    if declared is None:
        return None
    try:
        return canonical_name(declared.group(1).decode("ascii"))
    except ParseError as exc:
        start = declared.start(1)
        line = head.count(b"\n", 0, start) + 1
        raise ParseError(f"the XML declaration names an {exc.msg}", line=line,
                         col=start - (head.rfind(b"\n", 0, start) + 1) + 1) from None


def choose(body: bytes, charset: str | None = None, content_type: str | None = None) -> str:
    """The charset to decode ``body`` with, by the chain above."""
    if charset:
        return canonical_name(charset)
    declared = declared_charset(body)
    if declared:
        return declared
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        body.decode("windows-1251")
        return "windows-1251"
    except UnicodeDecodeError as exc:
        bad = exc.start  # a byte with no windows-1251 meaning (nor a UTF-8 one here)
    label = label_of(content_type)
    if label:
        return canonical_name(label)
    line = body.count(b"\n", 0, bad) + 1
    col = bad - (body.rfind(b"\n", 0, bad) + 1) + 1
    raise ParseError(f"the body is neither UTF-8 nor windows-1251 (byte 0x{body[bad]:02x}); "
                     "pass its charset", line=line, col=col)


def decode(body: bytes | str, charset: str | None = None,
           content_type: str | None = None) -> tuple[str, str]:
    """The body as text without a BOM, and the charset it was decoded with."""
    if isinstance(body, str):
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
        line = body.count(b"\n", 0, exc.start) + 1
        col = exc.start - (body.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ParseError(f"not valid {name}: byte 0x{body[exc.start]:02x}", line=line,
                         col=col) from None
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
    text, charset = decode(body, None, content_type)
    return detect_format(text, call), charset
