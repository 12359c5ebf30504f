"""Hypothesis strategies for every call's canonical values, derived from the spec and a corpus.

``replies(call)`` draws any reply the call can give (records, lists, ``Price``, errors);
``bodies(call, fmt, charset)`` draws the bytes the server would send for one;
``from_corpus(corpus, call)`` draws the replies a recorded corpus holds, and variants of them.
Values are drawn so that every format carries them unchanged, with one exception the wire
formats impose (decisions.md): fmt=1 carries no error description, so an ``ApiError`` drawn
with one parses back from fmt=1 with ``description=None``. ``replies(call, fmt=1)`` draws errors
without a description, for a round trip through fmt=1 alone.

* the one free-text field of a record gets adversarial text: commas, `` = ``, quotes,
  ``& < >``, Cyrillic, emoji, empty strings, leading and trailing spaces, and, for
  ``message``, raw newlines and tabs;
* other text fields get the same minus the separators that fmt=1 cannot quote (``,``) and
  the line breaks only ``message`` may hold;
* fields with a documented shape (phones, codes, logins) are drawn from that shape;
* with a ``charset`` other than UTF-8, every text is drawn from the characters it can encode.

Two ambiguities of the wire formats are left out, as decisions.md says: a message line that
itself looks like the start of a record, and a message that ends with a line break.

Registered with hypothesis through its entry point (:mod:`smsc_formats._hypothesis`), so
``st.from_type(SentMessage)``, ``st.from_type(Price)``, ``st.from_type(ApiError)`` and
``st.from_type(Reply)`` work.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from .api import emit, parse
from .charset import canonical_name
from .codecs import fmt0_text, fmt1_csv
from .codecs.plan import record_plan
from .errors import ParseError, SmscFormatsError
from .model import MODELS, ApiError, Price, Reply
from .spec import (
    CALLS,
    Field,
    Kind,
    ListBody,
    OneOrListBody,
    RecordBody,
    RecordSpec,
    SectionsBody,
)
from .values import MOSCOW

if TYPE_CHECKING:
    from .edge.store import Case

_PIECES = (
    ",", ", ", " = ", ", x = ", '"', "'", "&", "<", ">", "&amp;", "<b>", "]]>", " ", "  ",
    "\\", "/", "(", ")", ";", "ERROR = 1", "0,-1", "Привет", "мир", "Ёё", "ы", "😀", "👍🏽",
    "€", "№", "a", "Z", "42", "-7", "1.50", "{", "}", "[", "]",
)
_LINE_BREAKS = ("\n", "\t", "\n\n", "\nline")


def _safe(c: str) -> bool:
    """A character every format writes and reads back as itself."""
    import unicodedata

    code = ord(c)
    return (code >= 0x20 and not 0x7F <= code <= 0x9F and c not in "\ufeff\ufffe\uffff"
            and unicodedata.category(c) not in ("Cs", "Co", "Cn", "Zl", "Zp"))


_SAFE_CHARS = st.characters(
    min_codepoint=0x20, max_codepoint=0x2FFFF,
    blacklist_categories=("Cs", "Co", "Cn", "Zl", "Zp"),
    blacklist_characters="\x7f\u0085\ufeff\ufffe\uffff",
).filter(lambda c: not 0x80 <= ord(c) <= 0x9F)


class CorpusError(SmscFormatsError):
    """A corpus :func:`from_corpus` cannot draw from: unreadable, or no reply of the call."""


def _encodes(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


@functools.cache
def _chars(charset: str) -> st.SearchStrategy[str]:
    """Single characters that are safe in every format and that ``charset`` can encode."""
    if charset == "utf-8":
        return _SAFE_CHARS
    # Single-byte charsets: list the (few hundred) characters they encode.
    found = [chr(c) for c in range(0x20, 0x10000) if _safe(chr(c)) and _encodes(chr(c), charset)]
    return st.sampled_from(found)


def _text(pieces: tuple[str, ...], max_size: int = 12,
          charset: str = "utf-8") -> st.SearchStrategy[str]:
    usable = tuple(p for p in pieces if _encodes(p, charset))
    atom = st.one_of(st.sampled_from(usable), _chars(charset))
    return st.lists(atom, max_size=max_size).map("".join)


def _plain(text: str) -> str:
    return text.replace(",", "").replace("\n", "").replace("\t", "")


@functools.cache
def _texts(charset: str) -> tuple[st.SearchStrategy[str], ...]:
    """(message, free, plain) text strategies for one charset."""
    return (_text(_PIECES + _LINE_BREAKS, charset=charset), _text(_PIECES, charset=charset),
            _text(_PIECES, charset=charset).map(_plain))


def _charset(charset: str) -> str:
    try:
        return canonical_name(charset)
    except ParseError as exc:
        raise SmscFormatsError(exc.msg) from None


MESSAGE_TEXT = _texts("utf-8")[0]
"""Adversarial message text, line breaks and tabs included."""
FREE_TEXT = _texts("utf-8")[1]
"""Adversarial single-line text for the other free-text fields."""
PLAIN_TEXT = _texts("utf-8")[2]
"""Text for fields that fmt=1 cannot quote: no commas, no line breaks."""


def _continues_cleanly(spec: RecordSpec, text: str) -> bool:
    """Whether no continuation line of a message could be read as a new record's head."""
    if "\n" not in text:
        return True
    if text.endswith("\n"):
        return False
    heads = [fmt0_text.TextDialect().head(record_plan(spec, 0)),
             fmt1_csv.CsvDialect().head(record_plan(spec, 1))]
    return not any(is_head(line) for line in text.split("\n")[1:] for is_head in heads)


def field_values(field: Field, spec: RecordSpec,
                 charset: str = "utf-8") -> st.SearchStrategy[Any]:
    """Values for one field, drawn from its kind and documented shape (texts ``charset``
    can encode)."""
    kind = field.kind
    message, free, plain = _texts(_charset(charset))
    base: st.SearchStrategy[Any]
    if kind is Kind.INT:
        base = st.integers(field.minimum if field.minimum is not None else -(2**31),
                           field.maximum if field.maximum is not None else 2**40)
    elif kind is Kind.TZ:
        base = st.integers(field.minimum or -12, field.maximum or 14)
    elif kind is Kind.MONEY:
        base = st.from_regex(r"(0|[1-9][0-9]{0,5})(\.[0-9]{1,4})?", fullmatch=True).map(Decimal)
    elif kind is Kind.INSTANT:
        base = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2037, 12, 31),
                            timezones=st.just(MOSCOW)).map(lambda d: d.replace(microsecond=0))
    elif field.pattern is not None:
        base = st.from_regex(field.pattern, fullmatch=True)
    elif field.name == spec.free_text and spec.multiline:
        base = message.filter(lambda t: _continues_cleanly(spec, t))
    elif field.name == spec.free_text:
        base = free
    else:
        base = plain
    return st.none() | base if field.optional else base


def records(spec: RecordSpec, charset: str = "utf-8") -> st.SearchStrategy[Any]:
    """Records of one kind, every field drawn by :func:`field_values`."""
    model = MODELS[spec.name]
    return st.builds(model, *[field_values(f, spec, charset) for f in spec.fields])


ERROR_CODES: tuple[int, ...] = tuple(sorted({c for call in CALLS.values()
                                             for c in call.error_codes}))
"""Every error code the page documents for some call."""


def _errors(codes: Iterable[int], fmt: int | None, charset: str) -> st.SearchStrategy[ApiError]:
    description: st.SearchStrategy[str | None] = st.none()
    if fmt != 1:
        description = description | _texts(_charset(charset))[2]
    return st.builds(ApiError, st.sampled_from(sorted(codes)), description)


def errors(call: str, *, fmt: int | None = None,
           charset: str = "utf-8") -> st.SearchStrategy[ApiError]:
    """The call's documented error codes, with or without a description (never with one
    for ``fmt=1``, which cannot carry it)."""
    return _errors(CALLS[call].error_codes, fmt, charset)


def replies(call: str, *, with_errors: bool = True, max_records: int = 5,
            fmt: int | None = None, charset: str = "utf-8") -> st.SearchStrategy[Reply]:
    """Any reply ``call`` can give: its records, lists or ``Price``, or an error.

    Every value is carried unchanged by every format, except an error's description, which
    fmt=1 drops (decisions.md): with ``fmt=1`` errors are drawn without one. Texts are drawn
    from the characters ``charset`` can encode.
    """
    body = CALLS[call].body
    data: st.SearchStrategy[Any]
    if isinstance(body, ListBody):
        data = st.lists(records(body.record, charset), max_size=max_records)
    elif isinstance(body, RecordBody):
        data = records(body.record, charset)
    elif isinstance(body, OneOrListBody):
        data = records(body.one, charset) | st.lists(records(body.many, charset),
                                                     max_size=max_records)
    else:
        data = _price(body, max_records, charset)
    return data | errors(call, fmt=fmt, charset=charset) if with_errors else data


def _price(body: SectionsBody, max_records: int,
           charset: str = "utf-8") -> st.SearchStrategy[Price]:
    zones, codes = (s.record for s in body.sections)
    return st.builds(
        Price,
        st.lists(records(zones, charset), min_size=1, max_size=max_records).map(tuple),
        st.lists(records(codes, charset), max_size=max_records).map(tuple),
        field_values(body.tail, zones, charset),
    )


def bodies(call: str, fmt: int, charset: str = "utf-8") -> st.SearchStrategy[bytes]:
    """Bodies the server would send for ``call`` in ``fmt`` and ``charset``: emitted from
    :func:`replies`, whose texts are drawn from what ``charset`` can encode."""
    name = _charset(charset)
    return replies(call, fmt=fmt, charset=name).map(
        lambda r: emit(r, call=call, fmt=fmt, charset=name))


def for_type(cls: type) -> st.SearchStrategy[Any]:
    """The strategy ``st.from_type(cls)`` uses for a model class or ``ApiError``."""
    if cls is ApiError:
        return _errors(ERROR_CODES, None, "utf-8")
    if cls is Price:
        body = CALLS["get_price"].body
        assert isinstance(body, SectionsBody)
        return _price(body, 5)
    for call in CALLS.values():
        for spec in call.records():
            if MODELS[spec.name] is cls:
                return records(spec)
    raise SmscFormatsError(f"no strategy for {cls.__name__}")


# ---------------------------------------------------------------------------------------------
# From a recorded corpus


def from_corpus(corpus: str | os.PathLike[str] | Sequence[Case],
                call: str) -> st.SearchStrategy[Reply]:
    """The replies of ``call`` a recorded corpus holds, and variants that keep their shape.

    ``corpus`` is a corpus folder (``fixtures/<call>/<case>/``, read with
    :func:`smsc_formats.edge.store.load_corpus`) or cases already loaded. Half the draws are
    a recorded reply itself (each format's body parsed; fmt=1's errors lack a description);
    the others are a variant of one: the same record count, the same optional fields present,
    each value of the same shape (a code keeps its digits and letters in place), with values
    from :func:`field_values` and adversarial texts, in the characters the case's charset
    can encode. The folder is read lazily, at the first draw, so the strategy can be built at
    module level and used by ``@given`` with no fixture. A corpus that cannot be read or has
    no reply of ``call`` is a :class:`CorpusError`, raised at that first draw.
    """
    if call not in CALLS:
        raise CorpusError(f"unknown call {call!r}; known: {', '.join(CALLS)}")
    return st.deferred(lambda: _corpus_strategy(corpus, call))


def _load(corpus: str | os.PathLike[str] | Sequence[Case]) -> Sequence[Case]:
    if not isinstance(corpus, str | os.PathLike):
        return corpus
    from pathlib import Path

    from .edge.store import StoreError, load_corpus  # the file reading stays in edge/

    try:
        return load_corpus(Path(corpus))
    except StoreError as exc:
        raise CorpusError(str(exc)) from None


def _corpus_strategy(corpus: str | os.PathLike[str] | Sequence[Case],
                     call: str) -> st.SearchStrategy[Reply]:
    recorded: list[tuple[Reply, str]] = []
    for case in _load(corpus):
        if case.call != call:
            continue
        for fmt, body in sorted(case.bodies.items()):
            meta = case.formats[fmt]
            charset = _charset(meta.charset or "utf-8")
            try:
                reply = parse(body, call=call, fmt=fmt, charset=charset,
                              content_type=meta.content_type or None)
            except ParseError:
                continue  # a body that does not parse is no reply to draw
            if (reply, charset) not in recorded:
                recorded.append((reply, charset))
    if not recorded:
        where = os.fspath(corpus) if isinstance(corpus, str | os.PathLike) else "corpus"
        raise CorpusError(f"{where}: no recorded reply of {call} parses")
    pick = st.sampled_from(recorded)
    return st.one_of(pick.map(lambda rc: rc[0]),
                     pick.flatmap(lambda rc: variants(rc[0], call, rc[1])))


def variants(reply: Reply, call: str, charset: str = "utf-8") -> st.SearchStrategy[Reply]:
    """Replies of the same shape as ``reply``: same record count, same optional fields
    present, each value drawn in the shape of the one it replaces (see :func:`from_corpus`)."""
    if isinstance(reply, ApiError):
        desc = st.none() if reply.description is None else \
            st.just(reply.description) | _texts(charset)[2]
        return st.builds(ApiError, st.just(reply.code), desc)
    if isinstance(reply, Price):
        body = CALLS[call].body
        assert isinstance(body, SectionsBody)
        zones, codes = (s.record for s in body.sections)
        return st.builds(
            Price,
            st.tuples(*[_record_like(r, zones, charset) for r in reply.zones]),
            st.tuples(*[_record_like(r, codes, charset) for r in reply.codes]),
            _value_like(reply.mail, body.tail, zones, charset))
    if isinstance(reply, list):
        return st.tuples(*[_record_like(r, _spec_of(r), charset) for r in reply]).map(list)
    return _record_like(reply, _spec_of(reply), charset)


def _spec_of(record: Any) -> RecordSpec:
    for call in CALLS.values():
        for spec in call.records():
            if MODELS[spec.name] is type(record):
                return spec
    raise CorpusError(f"no record spec for {type(record).__name__}")


def _record_like(record: Any, spec: RecordSpec, charset: str) -> st.SearchStrategy[Any]:
    return st.builds(type(record), *[_value_like(getattr(record, f.name), f, spec, charset)
                                     for f in spec.fields])


def _reshaped(value: str, pattern: str) -> st.SearchStrategy[str]:
    """``value`` with each digit and ASCII letter redrawn in place (same case), if the result
    still matches the field's pattern; other characters stay."""
    def one(c: str) -> st.SearchStrategy[str]:
        if c.isascii() and c.isdigit():
            return st.sampled_from("0123456789")
        if c.isascii() and c.isalpha():
            return st.sampled_from("abcdefghijklmnopqrstuvwxyz" if c.islower()
                                   else "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return st.just(c)

    return st.tuples(*[one(c) for c in value]).map("".join).map(
        lambda s: s if re.fullmatch(pattern, s) else value)


def _value_like(value: Any, field: Field, spec: RecordSpec,
                charset: str) -> st.SearchStrategy[Any]:
    if value is None:
        return st.none()
    drawn = field_values(dataclasses.replace(field, optional=False), spec, charset)
    if isinstance(value, str) and field.pattern is not None:
        drawn = drawn | _reshaped(value, field.pattern)
    elif field.kind is Kind.INT and isinstance(value, int) and value >= 0:
        digits = len(str(value))  # the same number of digits, within the documented range
        low = max(field.minimum or 0, 10 ** (digits - 1) if digits > 1 else 0)
        high = min(field.maximum if field.maximum is not None else 10**digits - 1,
                   10**digits - 1)
        if low <= high:
            drawn = drawn | st.integers(low, high)
    return st.just(value) | drawn


__all__ = ["ERROR_CODES", "FREE_TEXT", "MESSAGE_TEXT", "PLAIN_TEXT", "CorpusError", "bodies",
           "errors", "field_values", "for_type", "from_corpus", "records", "replies",
           "variants"]
