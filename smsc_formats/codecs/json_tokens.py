"""The one tokenizer of fmt=3 (JSON): the only code that knows JSON syntax.

Sans-I/O and incremental, like ``line_tokens``: :meth:`JsonTokenizer.feed` takes decoded
text in pieces of any size, :meth:`~JsonTokenizer.events` gives the elements completed so far
(the items of a top-level array, one by one; any other root value whole, at the end), and
:meth:`~JsonTokenizer.close` ends the body. :func:`load` reads a whole body, and
:func:`records` turns valid JSON text into records of :class:`~.tokens.Token` items (the wire
view). ``parse`` (the codec), ``iter_parse`` and the wire view all read JSON through here, so
they agree on what is valid and on every error's wording and position.

Rules (what makes a body malformed, and how that is said):

* **Syntax** is the standard library's: its messages (``Expecting value``, ``Expecting ','
  delimiter``, ...) at its line and column. msgspec decodes (three to eight times faster);
  only where it refuses a value does the standard library read it again, to say why or to
  keep what it accepts (``NaN``, integers past 64 bits).
* **A key twice in one object** is malformed: ``duplicate key 'k'`` at the second spelling.
* **A number Decimal cannot hold** (``1e9999999999999999999``) is malformed: ``number out of
  range`` at the number.
* **Nesting** past :data:`MAX_DEPTH` levels (counted from the root, also for an array item
  read alone) is ``nested too deeply``, at the bracket that opens the level too many.
* The first fault in document order is the one reported; where elements stream, an element
  is read once its text is complete, so any chunking gives the same records and error.

Positions are computed only when an error is reported (:func:`locate`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from ..errors import ParseError, clip
from . import native
from .tokens import Token

_DECODE: Callable[[str | bytes], Any] = msgspec.json.Decoder(float_hook=Decimal).decode
"""msgspec's JSON decoder: floats as ``Decimal`` from the number's own text."""

_SPACE = " \t\n\r"
_WS = re.compile(r"[ \t\n\r]*")
_LEX = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^ \t\n\r{}\[\]:,"]+', re.DOTALL)
"""The tokens of JSON text that is valid up to where they are used."""
_SCAN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
"""What the element-boundary scanner looks at: strings (maybe cut short) and brackets."""
_STRING_REST = re.compile(r'(?:[^"\\]|\\.)*', re.DOTALL)
"""The rest of a string's content: it stops at its closing quote, at the end of the text, or
before a backslash that ends the text (whose escape the next piece completes)."""
_SCALAR_END = re.compile(r'[ \t\n\r,\]}{\["]')
_SPACED_KEY = re.compile(r'"[ \t\n\r]+:')
_SPACED_KEY_BYTES = re.compile(rb'"[ \t\n\r]+:')


def locate(text: str, offset: int, line: int = 1, col: int = 1) -> tuple[int, int]:
    """The 1-based line and column of ``offset`` in ``text``, where ``text`` itself begins
    at ``line``, ``col`` of the body."""
    newlines = text.count("\n", 0, offset)
    if newlines:
        return line + newlines, offset - text.rfind("\n", 0, offset)
    return line, col + offset


def malformed(msg: str, text: str, offset: int, line: int = 1, col: int = 1) -> ParseError:
    """The ParseError of a fault at ``offset`` of ``text`` (see :func:`locate`)."""
    at_line, at_col = locate(text, offset, line, col)
    return ParseError(f"malformed JSON: {msg}", fmt=3, line=at_line, col=at_col)


# -- faults in text that is valid up to them ------------------------------------------------


_MAYBE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_MAYBE_SURROGATE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile(
    r"(?<!\\)(?:\\\\)*(\\u[dD][89abAB][0-9a-fA-F]{2})(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\)(?:\\\\)*(?<!\\u[dD][89abAB][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})")
"""An escaped UTF-16 surrogate that is not half of a pair (its backslash not itself escaped).

The standard library and msgspec both let one through into a ``str``, which no charset can
encode: ``emit`` could not write back what ``parse`` accepted."""


def refuse_lone_surrogates(text: str | bytes, start: int = 0, stop: int | None = None,
                           line: int = 1, col: int = 1) -> None:
    """A ParseError at the first lone surrogate escape of ``text[start:stop]``, if any.

    One C-level search for ``\\uD8``-``\\uDF`` in the common case; only a hit looks closer."""
    end = len(text) if stop is None else stop
    if isinstance(text, bytes):
        if _MAYBE_SURROGATE_BYTES.search(text, start, end) is None:
            return
        text = text.decode("utf-8", "surrogatepass")  # positions: see load_utf8's docstring
        end = len(text) if stop is None else end
    elif _MAYBE_SURROGATE.search(text, start, end) is None:
        return
    for match in _LONE_SURROGATE.finditer(text, start, end):
        escape = match.group(1) or match.group(2)
        at = match.start(1) if match.group(1) else match.start(2)
        raise malformed(f"lone surrogate {escape!s} (half of a UTF-16 pair)", text, at, line,
                        col)


def first_duplicate(text: str, start: int = 0, stop: int | None = None) -> tuple[str, int] | None:
    """The first key (in document order) of ``text[start:stop]`` that its object already
    holds, and its offset; None if no key repeats. The text must be valid up to there."""
    keys: list[set[str] | None] = []
    key: re.Match[str] | None = None
    end = len(text) if stop is None else stop
    for token in _LEX.finditer(text, start, end):
        head = token[0][0]
        if head == '"':
            key = token
            continue
        if head == ":" and key is not None and keys:
            seen = keys[-1]
            if seen is not None:
                name = json.loads(key[0])
                if name in seen:
                    return name, key.start()
                seen.add(name)
        elif head == "{":
            keys.append(set())
        elif head == "[":
            keys.append(None)
        elif head in "}]" and keys:
            keys.pop()
        key = None
    return None


def _first_out_of_range(text: str, start: int) -> tuple[str, int] | None:
    for token in _LEX.finditer(text, start):
        head = token[0][0]
        if head in '-0123456789':
            try:
                Decimal(token[0])
            except ArithmeticError:
                return token[0], token.start()
    return None


MAX_DEPTH = 512
"""How deep arrays and objects may nest (the root is level 1): far beyond any answer of the
API, and well inside the decoders' own recursion limits, which count the caller's stack too
and so would let ``parse`` and ``iter_parse`` disagree near them."""


def _deeper(value: Any, depth: int) -> bool:
    """Whether a decoded value at nesting level ``depth`` holds levels past MAX_DEPTH."""
    if type(value) is not dict and type(value) is not list:
        return False
    todo = [(value, depth)]
    while todo:
        v, d = todo.pop()
        if d > MAX_DEPTH:
            return True
        inner = v.values() if type(v) is dict else v
        todo.extend([(x, d + 1) for x in inner if type(x) is dict or type(x) is list])
    return False


def too_deep_at(text: str, start: int = 0, stop: int | None = None, depth: int = 0) -> int | None:
    """Where in ``text[start:stop]`` (valid up to there) the bracket that opens level
    MAX_DEPTH + 1 stands, ``depth`` levels being open at ``start``; None if none does."""
    for token in _SCAN.finditer(text, start, len(text) if stop is None else stop):
        head = token[0][0]
        if head in "{[":
            depth += 1
            if depth > MAX_DEPTH:
                return token.start()
        elif head in "}]":
            depth -= 1
    return None


def _too_deep(text: str, at: int | None, line: int, col: int) -> ParseError:
    if at is None:  # the decoders ran out of stack before MAX_DEPTH: the caller's is deep
        return ParseError("malformed JSON: nested too deeply", fmt=3, line=1, col=1)
    return malformed(f"nested too deeply (more than {MAX_DEPTH} levels)", text, at, line, col)


class _Duplicate(ValueError):
    """Raised inside the standard library's decoder by :func:`_unique`."""


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _Duplicate
    return value


_STDLIB = json.JSONDecoder(parse_float=Decimal, object_pairs_hook=_unique)
_STDLIB_BIG = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal, object_pairs_hook=_unique)


def _exact(text: str, pos: int, line: int, col: int, whole: bool,
           depth: int = 0) -> tuple[Any, int]:
    """The standard library's reading of the value at ``text[pos:]`` and where it ends; any
    fault is a located ParseError. ``whole``: nothing but blanks may follow; ``depth``: the
    levels open at ``pos``. The first fault in document order is reported: nesting past
    MAX_DEPTH before a syntax fault is the fault."""
    try:
        try:
            value, end = _STDLIB.raw_decode(text, pos)
        except (_Duplicate, json.JSONDecodeError, ArithmeticError, RecursionError):
            raise
        except ValueError:  # an integer literal past Python's digit limit: a Decimal
            value, end = _STDLIB_BIG.raw_decode(text, pos)
    except _Duplicate:
        found = first_duplicate(text, pos)
        at = found[1] if found is not None else len(text)
        deep = too_deep_at(text, pos, at, depth)
        if deep is not None or found is None:
            raise _too_deep(text, deep, line, col) from None
        raise malformed(f"duplicate key {clip(found[0])}", text, found[1], line,
                        col) from None
    except json.JSONDecodeError as exc:
        deep = too_deep_at(text, pos, exc.pos, depth)
        if deep is not None:
            raise _too_deep(text, deep, line, col) from None
        raise malformed(exc.msg, text, exc.pos, line, col) from None
    except ArithmeticError:
        bad = _first_out_of_range(text, pos)
        deep = too_deep_at(text, pos, None if bad is None else bad[1], depth)
        if deep is not None or bad is None:
            raise _too_deep(text, deep, line, col) from None
        raise malformed(f"number out of range: {clip(bad[0])}", text, bad[1], line,
                        col) from None
    except RecursionError:
        raise _too_deep(text, too_deep_at(text, pos, None, depth), line, col) from None
    if _deeper(value, depth + 1):
        raise _too_deep(text, too_deep_at(text, pos, end, depth), line, col)
    if whole:
        rest = _WS.match(text, end).end()  # type: ignore[union-attr]
        if rest < len(text):
            raise malformed("Extra data", text, rest, line, col)
    return value, end


def members(value: Any) -> int:
    """How many members the decoded objects of a value's top two levels hold (a lower bound
    of the members its text spells: repeated keys and deeper objects are not counted)."""
    if type(value) is list:
        return sum([len(v) for v in value if type(v) is dict])
    if type(value) is not dict:
        return 0
    count = len(value)
    for v in value.values():
        if type(v) is list:
            count += sum([len(x) for x in v if type(x) is dict])
    return count


def unrepeated(text: str | bytes, spelled: int) -> bool:
    """Whether ``text`` (valid JSON) surely repeats no key, given that its decoded objects
    hold ``spelled`` members: every member's key ends in ``"`` then ``:``, and ``":`` appears
    elsewhere only inside a string as an escaped ``\\":``, so when the text spells ``":``
    exactly that often and no key has blanks before its colon, no key repeats (two C-level
    scans). False means: look (:func:`refuse_duplicates`)."""
    marks = native.key_marks(text)  # both scans in one C pass, where it is built
    if marks is not None:
        return marks == (spelled, False)
    if isinstance(text, bytes):
        return text.count(b'":') == spelled and _SPACED_KEY_BYTES.search(text) is None
    return text.count('":') == spelled and _SPACED_KEY.search(text) is None


def refuse_duplicates(text: str, value: Any) -> None:
    """A located ParseError at the first repeated key of valid JSON ``text`` (which decoded
    to ``value``); nothing when no key repeats."""
    if unrepeated(text, members(value)):
        return
    found = first_duplicate(text)
    if found is not None:
        raise malformed(f"duplicate key {clip(found[0])}", text, found[1])


def load(text: str) -> Any:
    """The decoded JSON value of a whole body; any fault is a ParseError with line and column
    (and no call: the caller names it)."""
    try:
        value = _DECODE(text)
    except Exception:  # the reference reader says what is wrong, or reads what it accepts
        pos = _WS.match(text).end()  # type: ignore[union-attr]
        value, _ = _exact(text, pos, 1, 1, whole=True)
    if (type(value) is dict or type(value) is list) and _deeper(value, 1):
        deep = too_deep_at(text)
        found = first_duplicate(text, 0, deep)  # the first fault in document order
        if found is not None:
            raise malformed(f"duplicate key {clip(found[0])}", text, found[1])
        raise _too_deep(text, deep, 1, 1)
    refuse_duplicates(text, value)
    refuse_lone_surrogates(text)
    return value


def typed(text: str | bytes, decode: Callable[[str | bytes], list[Any]],
          spelled: Callable[[list[Any]], int]) -> list[Any] | None:
    """The quick route for a list body: ``decode`` is a typed msgspec decoder (built by the
    converters, ``fast.json_records``) and ``spelled`` counts the keys its records hold.
    None when anything is unusual (msgspec refuses the types or the text, or a key may
    repeat): then :func:`load` reads the body, or says what is wrong with it."""
    try:
        structs = decode(text)
    except Exception:  # load decides
        return None
    if not unrepeated(text, spelled(structs)):
        return None
    refuse_lone_surrogates(text)
    return structs


def load_utf8(body: bytes) -> Any:
    """The decoded array or object of a body that may be UTF-8, read straight from the bytes;
    None when msgspec cannot read it or it is no array or object (then the charset chain
    and :func:`load` decide, as for any body). A repeated key is a located ParseError.

    msgspec validates the UTF-8 of every string, and outside strings JSON is ASCII, so a
    body it reads is UTF-8 with no BOM and decodes to the text it read."""
    try:
        value = _DECODE(body)
    except Exception:  # the text path gives the error, if any
        return None
    if type(value) is not list and type(value) is not dict:
        return None
    if not unrepeated(body, members(value)):
        refuse_duplicates(body.decode("utf-8", "surrogatepass"), value)
    refuse_lone_surrogates(body)
    return value


# -- the incremental tokenizer --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Element:
    """One complete element: an item of the top-level array (``index`` 0, 1, ...) or the
    whole root value (``index`` None), decoded."""

    index: int | None
    value: Any


class JsonTokenizer:
    """Reads a JSON body as it arrives: each item of a top-level array as soon as its text is
    complete, any other root value at :meth:`close`. Errors are raised by :meth:`feed` or
    :meth:`close` as soon as they are certain, worded and placed as :func:`load` places them
    for the whole body."""

    def __init__(self) -> None:
        self._text = ""  # the unread text (from the current element, or the whole root)
        self._line, self._col = 1, 1  # where self._text begins in the body
        self._state = "root"  # "first" (after "["), "sep", "value" (after ","), "end", "whole"
        self._index = 0
        self._scan = 0  # how far (from the element's start) its brackets are counted
        self._depth = 0  # the depth there
        self._in_string = False  # whether the scan stopped inside a string
        self._out: list[Element] = []
        self._closed = False
        self._pending: ParseError | None = None  # a fault met after elements not yet taken
        self._parts: list[str] = []  # text fed but not yet read (see feed)
        self._queued = 0  # its length

    def feed(self, text: str) -> None:
        """Take the next piece of the body's text."""
        if self._closed:
            raise RuntimeError("feed after close")
        self._raise_pending()
        if not text:
            return
        self._parts.append(text)
        self._queued += len(text)
        if self._state == "whole" or self._queued < len(self._text):
            return  # a long element in hand: read on once the new text doubles it (linear)
        self._flush()
        self._guarded(final=False)

    def _flush(self) -> None:
        if self._parts:
            self._text += "".join(self._parts)
            self._parts.clear()
            self._queued = 0

    def close(self) -> None:
        """The body ended."""
        self._raise_pending()
        if self._closed:
            return
        self._closed = True
        self._flush()
        self._guarded(final=True)

    def events(self) -> Iterator[Element]:
        """The elements completed since the last call; then the fault met after them, if any
        (raised once they are all taken, so a reader that stops at one keeps its own error)."""
        out, self._out = self._out, []
        return self._deliver(out)

    def _deliver(self, out: list[Element]) -> Iterator[Element]:
        yield from out
        self._raise_pending()

    def _guarded(self, final: bool) -> None:
        # A fault met after complete elements waits until they are taken: the reader sees
        # the elements before it whatever the pieces were (one whole body, or single bytes).
        try:
            self._run(final)
        except ParseError as exc:
            if not self._out:
                raise
            self._pending = exc

    def _raise_pending(self) -> None:
        if self._pending is not None and not self._out:
            exc, self._pending = self._pending, None
            self._closed = True
            raise exc

    def _error(self, msg: str, at: int) -> ParseError:
        return malformed(msg, self._text, at, self._line, self._col)

    def _run(self, final: bool) -> None:
        text = self._text
        pos = 0
        n = len(text)
        while True:
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            state = self._state
            if state == "whole":
                if final:
                    self._whole()
                return
            if pos >= n:
                if state == "root" and not final:
                    return  # nothing but blanks yet: keep them, the root may not be an array
                if final:
                    if state in ("root", "first", "value"):
                        raise self._error("Expecting value", pos)
                    if state == "sep":
                        raise self._error("Expecting ',' delimiter", pos)
                break
            c = text[pos]
            if state == "end":
                raise self._error("Extra data", pos)
            if state == "root":
                self._state = "first" if c == "[" else "whole"
                pos += c == "["
                continue
            if state == "sep":
                if c == "]":
                    self._state = "end"
                elif c == ",":
                    self._state = "value"
                else:
                    raise self._error("Expecting ',' delimiter", pos)
                pos += 1
                continue
            if c == "]" and state == "first":
                self._state = "end"
                pos += 1
                continue
            end = self._extent(text, pos, final)
            if end < 0:
                break  # the element goes on in the next piece
            self._element(text, pos, end)
            pos = end
            self._state = "sep"
            self._scan = self._depth = 0
            self._in_string = False
        if pos:
            self._line, self._col = locate(text, pos, self._line, self._col)
            self._text = text[pos:]

    def _extent(self, text: str, pos: int, final: bool) -> int:
        """Where the element at ``pos`` ends (-1: not known yet). On malformed text, an
        extent that holds the fault, which the standard library then words."""
        c = text[pos]
        n = len(text)
        if c in "{[":
            depth = self._depth
            scan = pos + self._scan
            if self._in_string:  # go on where the last piece cut a string short
                scan = _STRING_REST.match(text, scan).end()  # type: ignore[union-attr]
                if scan >= n - 1 and (scan == n or text[scan] == "\\"):
                    if final:
                        return n
                    self._scan = scan - pos
                    return -1
                self._in_string = False
                scan += 1  # past the closing quote
            for token in _SCAN.finditer(text, scan):
                t = token[0]
                head = t[0]
                if head == '"':
                    if len(t) == 1 or t[-1] != '"' or _escaped_quote(t):
                        # a string cut short: remember how far it is read, never read it again
                        scan = _STRING_REST.match(  # type: ignore[union-attr]
                            text, token.start() + 1).end()
                        self._in_string = True
                        break
                elif head in "{[":
                    depth += 1
                else:
                    depth -= 1
                    if depth <= 0:
                        return token.end()
            else:
                scan = n
            if final:
                return n
            self._scan, self._depth = scan - pos, depth
            return -1
        if c == '"':
            scan = _STRING_REST.match(text, pos + max(1, self._scan)).end()  # type: ignore[union-attr]
            if scan < n and text[scan] == '"':
                return scan + 1
            if final:
                return n
            self._scan = scan - pos  # a cut string: read on from here with the next piece
            return -1
        m = _SCALAR_END.search(text, pos + 1)
        if m is None:
            return n if final else -1
        return m.start()

    def _element(self, text: str, pos: int, end: int) -> None:
        try:
            value = _DECODE(text[pos:end])
        except Exception:  # the reference reader says why, or reads what it accepts
            value, stop = _exact(text, pos, self._line, self._col, whole=False, depth=1)
            if stop != end:  # a value that stops inside its extent: what follows is no comma
                raise self._error("Expecting ',' delimiter", stop) from None
        if type(value) is dict or type(value) is list:
            deep = too_deep_at(text, pos, end, 1) if _deeper(value, 2) else None
            if deep is not None or not unrepeated(text[pos:end], members(value)):
                found = first_duplicate(text, pos, end if deep is None else deep)
                if found is not None:
                    raise self._error(f"duplicate key {clip(found[0])}", found[1])
            if deep is not None:
                raise _too_deep(text, deep, self._line, self._col)
        refuse_lone_surrogates(text, pos, end, self._line, self._col)
        self._out.append(Element(self._index, value))
        self._index += 1

    def _whole(self) -> None:
        # nothing was dropped: the text is the whole body
        self._out.append(Element(None, load(self._text)))
        self._state = "end"


def _escaped_quote(string: str) -> bool:
    """Whether a string token's last quote is escaped (so the string is cut short)."""
    backslashes = len(string) - 1 - len(string[:-1].rstrip("\\"))
    return backslashes % 2 == 1


def elements(text: str) -> Iterator[Element]:
    """Every element of a whole body (see :class:`JsonTokenizer`)."""
    tokenizer = JsonTokenizer()
    tokenizer.feed(text)
    tokenizer.close()
    return tokenizer.events()


# -- records of tokens (the wire view) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """One JSON object as written: its path (``$[3]``, ``$.zones[0]``) and its members as
    tokens; a nested object or array is an item with raw None, followed by its own records."""

    path: str
    tokens: tuple[Token, ...]
    line: int
    col: int


_KIND = {"{": "object", "[": "array", '"': "string", "t": "boolean", "f": "boolean",
         "n": "null"}


def root_type(text: str) -> str:
    """The JSON type of valid JSON text's root value."""
    m = _LEX.search(text)
    assert m is not None
    return _KIND.get(m[0][0], "number")


def records(text: str) -> list[TokenRecord]:
    """The objects of valid JSON text (checked by :func:`load` first) as token records, in
    document order; arrays give their items' records, paths indexed."""
    out: list[TokenRecord] = []
    tokens = _LEX.finditer(text)
    _value(text, tokens, next(tokens), "$", out)
    return out


def _value(text: str, tokens: Iterator[re.Match[str]], token: re.Match[str], path: str,
           out: list[TokenRecord]) -> None:
    head = token[0][0]
    if head == "{":
        line, col = locate(text, token.start())
        slot = len(out)
        out.append(TokenRecord(path, (), line, col))
        items: list[Token] = []
        nested: list[TokenRecord] = []
        for key in tokens:
            if key[0] == "}":
                break
            if key[0] == ",":
                continue
            name = json.loads(key[0])
            next(tokens)  # the colon
            member = next(tokens)
            mline, mcol = locate(text, member.start())
            t = member[0]
            kind = _KIND.get(t[0], "number")
            raw: str | None = None
            if kind == "string":
                raw = json.loads(t)
            elif kind in ("number", "boolean"):
                raw = t
            items.append(Token(name, raw, mline, mcol, kind))
            if kind in ("object", "array"):
                inner: list[TokenRecord] = []
                _value(text, tokens, member, f"{path}.{name}", inner)
                nested.extend(inner)
        out[slot] = TokenRecord(path, tuple(items), line, col)
        out.extend(nested)
    elif head == "[":
        index = 0
        for item in tokens:
            if item[0] == "]":
                break
            if item[0] == ",":
                continue
            _value(text, tokens, item, f"{path}[{index}]", out)
            index += 1


__all__ = ["Element", "JsonTokenizer", "TokenRecord", "elements", "first_duplicate", "load",
           "load_utf8", "locate", "malformed", "members", "records", "refuse_duplicates",
           "root_type", "typed", "unrepeated"]
