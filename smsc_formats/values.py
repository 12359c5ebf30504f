"""Converters between wire text and model values, one pair per field kind and form.

Ints stay ints, money is a ``Decimal`` that keeps the scale of its text, instants are aware
``datetime`` values in the server timezone (fixed UTC+03:00 unless told otherwise), and text
is kept verbatim. Readers raise :class:`ValueProblem` with a plain-words reason; the codecs
add the position.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import cache
from typing import Any

from .spec import Form, Kind

MOSCOW = timezone(timedelta(hours=3), "MSK")
"""The server timezone: Moscow, fixed UTC+03:00 (no DST since 2014)."""

Reader = Callable[[str], Any]
Writer = Callable[[Any], str]


class ValueProblem(ValueError):
    """A wire value that does not have its field's shape; the codec says where."""


SHAPES: dict[tuple[Kind, Form], str] = {
    (Kind.INT, Form.VALUE): r"-?[0-9]+",
    (Kind.MONEY, Form.VALUE): r"-?[0-9]+(?:\.[0-9]+)?",
    (Kind.INSTANT, Form.DATE): r"[0-9]{2}\.[0-9]{2}\.[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}",
    (Kind.INSTANT, Form.TIMESTAMP): r"-?[0-9]+",
    (Kind.TZ, Form.VALUE): r"[+-]?[0-9]{1,2}",
    (Kind.TEXT, Form.VALUE): r"[^\n]*",
    (Kind.CODE, Form.VALUE): r"[^\n]*",
}
"""The text shape of each (kind, form): what a well-formed wire value matches."""

_WHAT = {
    (Kind.INT, Form.VALUE): "an integer",
    (Kind.MONEY, Form.VALUE): "a decimal number",
    (Kind.INSTANT, Form.DATE): "a date DD.MM.YYYY hh:mm:ss",
    (Kind.INSTANT, Form.TIMESTAMP): "a Unix timestamp",
    (Kind.TZ, Form.VALUE): "a UTC offset in hours",
    (Kind.TEXT, Form.VALUE): "text",
    (Kind.CODE, Form.VALUE): "text",
}


def _pair(kind: Kind, form: Form) -> tuple[Kind, Form]:
    """The (kind, form) the tables are keyed by: only instants have more than one form."""
    if kind is not Kind.INSTANT and form is not Form.VALUE:
        raise ValueProblem(f"a {kind.value} field has no {form.value} form")
    return kind, form


def describe(kind: Kind, form: Form) -> str:
    """What a value of this kind and form looks like, in plain words."""
    return _WHAT[_pair(kind, form)]


def _shown(text: str) -> str:
    """A wire value quoted for a message, cut short so the message stays one readable line."""
    return repr(text) if len(text) <= 40 else repr(text[:40] + "…")


def _described(value: Any) -> str:
    """A model value shown in a message: its repr cut short, or, for an int too long for
    ``repr`` (past ``sys.get_int_max_str_digits()``), its size."""
    try:
        text = repr(value)
    except ValueError:
        return f"an int of {value.bit_length()} bits"
    return text if len(text) <= 60 else text[:60] + "…"


def _checked(kind: Kind, form: Form, convert: Callable[[str], Any]) -> Reader:
    match = re.compile(SHAPES[(kind, form)]).fullmatch
    what = describe(kind, form)

    def read(text: str) -> Any:
        if match(text) is None:
            raise ValueProblem(f"expected {what}, got {_shown(text)}")
        try:
            return convert(text)
        except (ValueError, OverflowError, OSError) as exc:
            raise ValueProblem(f"{what} out of range: {_shown(text)}") from exc

    return read


def _date_reader(tz: tzinfo) -> Callable[[str], datetime]:
    def convert(s: str) -> datetime:
        return datetime(int(s[6:10]), int(s[3:5]), int(s[0:2]), int(s[11:13]), int(s[14:16]),
                        int(s[17:19]), tzinfo=tz)

    return convert


def _timestamp_reader(tz: tzinfo) -> Callable[[str], datetime]:
    def convert(s: str) -> datetime:
        return datetime.fromtimestamp(int(s), tz)

    return convert


_READERS: dict[tuple[Kind, Form], Callable[[tzinfo], Reader]] = {
    (Kind.INT, Form.VALUE): lambda tz: _checked(Kind.INT, Form.VALUE, int),
    (Kind.MONEY, Form.VALUE): lambda tz: _checked(Kind.MONEY, Form.VALUE, Decimal),
    (Kind.INSTANT, Form.DATE): lambda tz: _checked(Kind.INSTANT, Form.DATE, _date_reader(tz)),
    (Kind.INSTANT, Form.TIMESTAMP):
        lambda tz: _checked(Kind.INSTANT, Form.TIMESTAMP, _timestamp_reader(tz)),
    (Kind.TZ, Form.VALUE): lambda tz: _checked(Kind.TZ, Form.VALUE, int),
    (Kind.TEXT, Form.VALUE): lambda tz: str,
    (Kind.CODE, Form.VALUE): lambda tz: str,
}
"""Per (kind, form), the maker of its wire-text reader; complete over Kind (a test checks)."""


@cache
def reader(kind: Kind, form: Form, tz: tzinfo = MOSCOW) -> Reader:
    """The function that turns one wire text of this kind and form into a model value."""
    return _READERS[_pair(kind, form)](tz)


def _instant(value: Any, tz: tzinfo) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueProblem(f"expected an aware datetime, got {_described(value)}")
    if value.microsecond:
        raise ValueProblem(f"instants have whole seconds on the wire, got {value.isoformat()}")
    try:
        return value.astimezone(tz)
    except OverflowError:  # 0001-01-01 02:30+03:00 from another tzinfo: year 0 in UTC
        raise ValueProblem(f"an instant out of range in {tz}: {value.isoformat()}") from None


def _date_writer(tz: tzinfo) -> Writer:
    def write(value: Any) -> str:
        d = _instant(value, tz)
        return (f"{d.day:02d}.{d.month:02d}.{d.year:04d} "
                f"{d.hour:02d}:{d.minute:02d}:{d.second:02d}")

    return write


TIMESTAMP_RANGE = (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))
"""The first and last instant a Unix timestamp is read as (``datetime.fromtimestamp`` takes
the UTC instant, which must lie in years 1 to 9999, whatever the timezone adds)."""


def _timestamp_writer(tz: tzinfo) -> Writer:
    first, last = TIMESTAMP_RANGE

    def write(value: Any) -> str:
        moment = _instant(value, tz)
        if not first <= moment <= last:  # what the reader refuses is not written
            raise ValueProblem(f"an instant a Unix timestamp cannot carry (it is read in "
                               f"UTC years 1 to 9999): {moment.isoformat()}")
        return str(int(moment.timestamp()))

    return write


def _write_int(value: Any) -> str:
    if type(value) is not int:
        raise ValueProblem(f"expected an int, got {_described(value)}")
    try:
        return str(value)
    except ValueError:  # more digits than sys.get_int_max_str_digits() allows
        raise ValueProblem(f"an int of {value.bit_length()} bits is out of range") from None


def _write_money(value: Any) -> str:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueProblem(f"expected a finite Decimal, got {_described(value)}")
    if not -MAX_DIGITS < value.adjusted() < MAX_DIGITS:
        # as when reading: 1E+999999999 would otherwise be spelled out digit by digit
        raise ValueProblem(f"a Decimal out of range: {_described(value)}")
    return format(value, "f")


def _write_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueProblem(f"expected a str, got {_described(value)}")
    return value


_WRITERS: dict[tuple[Kind, Form], Callable[[tzinfo], Writer]] = {
    (Kind.INT, Form.VALUE): lambda tz: _write_int,
    (Kind.MONEY, Form.VALUE): lambda tz: _write_money,
    (Kind.INSTANT, Form.DATE): _date_writer,
    (Kind.INSTANT, Form.TIMESTAMP): _timestamp_writer,
    (Kind.TZ, Form.VALUE): lambda tz: _write_int,
    (Kind.TEXT, Form.VALUE): lambda tz: _write_text,
    (Kind.CODE, Form.VALUE): lambda tz: _write_text,
}
"""Per (kind, form), the maker of its wire-text writer; complete over Kind (a test checks)."""


@cache
def writer(kind: Kind, form: Form, tz: tzinfo = MOSCOW) -> Writer:
    """The function that spells one model value of this kind and form as wire text."""
    return _WRITERS[_pair(kind, form)](tz)


MAX_DIGITS = 100
"""JSON numbers with more digits than this (either side of the point) are out of range."""


def json_reader(kind: Kind, form: Form, tz: tzinfo = MOSCOW) -> Callable[[Any], Any]:
    """Like :func:`reader`, for a decoded JSON value that may be a number or a string.

    Numbers written as strings and strings written as numbers are both accepted (conformance
    reports the type drift). JSON floats arrive as ``Decimal`` so money keeps its scale.
    """
    read = reader(kind, form, tz)

    def read_json(value: Any) -> Any:
        if isinstance(value, str):
            return read(value)
        if isinstance(value, bool) or value is None:
            spelled = "null" if value is None else str(value).lower()
            raise ValueProblem(f"expected {describe(kind, form)}, got {spelled}")
        if isinstance(value, Decimal) and not -MAX_DIGITS < value.adjusted() < MAX_DIGITS:
            # 1e999999999 would otherwise be spelled out digit by digit.
            raise ValueProblem(f"{describe(kind, form)} out of range: {_shown(str(value))}")
        if isinstance(value, int | Decimal):
            return read(format(value, "f") if isinstance(value, Decimal) else str(value))
        raise ValueProblem(f"expected {describe(kind, form)}, got {_described(value)}")

    return read_json
