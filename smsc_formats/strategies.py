"""Hypothesis strategies for every call's canonical values, derived from the spec.

``replies(call)`` draws any reply the call can give (records, lists, ``Price``, errors);
``bodies(call, fmt)`` draws the bytes the server would send for one. Values are drawn so that
every format can carry them unchanged, which is what the round-trip properties need:

* the one free-text field of a record gets adversarial text: commas, `` = ``, quotes,
  ``& < >``, Cyrillic, emoji, empty strings, leading and trailing spaces, and, for
  ``message``, raw newlines and tabs;
* other text fields get the same minus the separators that fmt=1 cannot quote (``,``) and
  the line breaks only ``message`` may hold;
* fields with a documented shape (phones, codes, logins) are drawn from that shape.

Two ambiguities of the wire formats are left out, as decisions.md says: a message line that
itself looks like the start of a record, and a message that ends with a line break.

Registered with hypothesis through its entry point, so ``st.from_type(SentMessage)`` works.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from .api import emit
from .codecs import fmt0_text, fmt1_csv
from .codecs.plan import record_plan
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

_PIECES = (
    ",", ", ", " = ", ", x = ", '"', "'", "&", "<", ">", "&amp;", "<b>", "]]>", " ", "  ",
    "\\", "/", "(", ")", ";", "ERROR = 1", "0,-1", "Привет", "мир", "Ёё", "ы", "😀", "👍🏽",
    "€", "№", "a", "Z", "42", "-7", "1.50", "{", "}", "[", "]",
)
_LINE_BREAKS = ("\n", "\t", "\n\n", "\nline")

_SAFE_CHARS = st.characters(
    min_codepoint=0x20, max_codepoint=0x2FFFF,
    blacklist_categories=("Cs", "Co", "Cn", "Zl", "Zp"),
    blacklist_characters="\x7f\u0085\ufeff\ufffe\uffff",
).filter(lambda c: not 0x80 <= ord(c) <= 0x9F)


def _text(pieces: tuple[str, ...], max_size: int = 12) -> st.SearchStrategy[str]:
    atom = st.one_of(st.sampled_from(pieces), _SAFE_CHARS)
    return st.lists(atom, max_size=max_size).map("".join)


def _plain(text: str) -> str:
    return text.replace(",", "").replace("\n", "").replace("\t", "")


MESSAGE_TEXT = _text(_PIECES + _LINE_BREAKS)
"""Adversarial message text, line breaks and tabs included."""
FREE_TEXT = _text(_PIECES)
"""Adversarial single-line text for the other free-text fields."""
PLAIN_TEXT = _text(_PIECES).map(_plain)
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


def field_values(field: Field, spec: RecordSpec) -> st.SearchStrategy[Any]:
    """Values for one field, drawn from its kind and documented shape."""
    kind = field.kind
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
        base = MESSAGE_TEXT.filter(lambda t: _continues_cleanly(spec, t))
    elif field.name == spec.free_text:
        base = FREE_TEXT
    else:
        base = PLAIN_TEXT
    return st.none() | base if field.optional else base


def records(spec: RecordSpec) -> st.SearchStrategy[Any]:
    """Records of one kind, every field drawn by :func:`field_values`."""
    model = MODELS[spec.name]
    return st.builds(model, *[field_values(f, spec) for f in spec.fields])


def errors(call: str) -> st.SearchStrategy[ApiError]:
    """The call's documented error codes, with or without a description."""
    codes = sorted(CALLS[call].error_codes)
    return st.builds(ApiError, st.sampled_from(codes), st.none() | PLAIN_TEXT)


def replies(call: str, *, with_errors: bool = True,
            max_records: int = 5) -> st.SearchStrategy[Reply]:
    """Any reply ``call`` can give: its records, lists or ``Price``, or an error."""
    body = CALLS[call].body
    data: st.SearchStrategy[Any]
    if isinstance(body, ListBody):
        data = st.lists(records(body.record), max_size=max_records)
    elif isinstance(body, RecordBody):
        data = records(body.record)
    elif isinstance(body, OneOrListBody):
        data = records(body.one) | st.lists(records(body.many), max_size=max_records)
    else:
        data = _price(body, max_records)
    return data | errors(call) if with_errors else data


def _price(body: SectionsBody, max_records: int) -> st.SearchStrategy[Price]:
    zones, codes = (s.record for s in body.sections)
    return st.builds(
        Price,
        st.lists(records(zones), min_size=1, max_size=max_records).map(tuple),
        st.lists(records(codes), max_size=max_records).map(tuple),
        field_values(body.tail, zones),
    )


def bodies(call: str, fmt: int, charset: str = "utf-8") -> st.SearchStrategy[bytes]:
    """Bodies the server would send for ``call`` in ``fmt``: emitted from :func:`replies`."""
    return replies(call).map(lambda r: emit(r, call=call, fmt=fmt, charset=charset))


def _hypothesis_setup_hook() -> None:
    """Register a strategy for every model class (hypothesis's ``hypothesis`` entry point)."""
    for call in CALLS.values():
        for spec in call.records():
            st.register_type_strategy(MODELS[spec.name], records(spec))


__all__ = ["FREE_TEXT", "MESSAGE_TEXT", "PLAIN_TEXT", "bodies", "errors", "field_values",
           "records", "replies"]
