"""Converters by field kind (decisions.md): ints, money keeping its scale, instants in server tz.

Expected instants were computed by hand: 24.11.2026 13:05:09 in Moscow (UTC+03:00) is
10:05:09 UTC, Unix time 1795514709.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from smsc_formats.spec import Form, Kind
from smsc_formats.values import MOSCOW, SHAPES, ValueProblem, json_reader, reader, writer

MOMENT = datetime(2026, 11, 24, 13, 5, 9, tzinfo=MOSCOW)


def test_moscow_is_a_fixed_plus_three() -> None:
    for month in (1, 7):
        assert datetime(2026, month, 1, tzinfo=MOSCOW).utcoffset() == timedelta(hours=3)


@pytest.mark.parametrize(("kind", "form", "text", "value"), [
    (Kind.INT, Form.VALUE, "42", 42),
    (Kind.INT, Form.VALUE, "-3", -3),
    (Kind.INT, Form.VALUE, "007", 7),
    (Kind.MONEY, Form.VALUE, "1.50", Decimal("1.50")),
    (Kind.MONEY, Form.VALUE, "0", Decimal("0")),
    (Kind.MONEY, Form.VALUE, "-0.385", Decimal("-0.385")),
    (Kind.INSTANT, Form.DATE, "24.11.2026 13:05:09", MOMENT),
    (Kind.INSTANT, Form.TIMESTAMP, "1795514709", MOMENT),
    (Kind.TZ, Form.VALUE, "3", 3),
    (Kind.TZ, Form.VALUE, "+3", 3),
    (Kind.TZ, Form.VALUE, "-1", -1),
    (Kind.TZ, Form.VALUE, "+12", 12),
    (Kind.TEXT, Form.VALUE, " Привет, = мир ", " Привет, = мир "),
    (Kind.CODE, Form.VALUE, "007", "007"),
    (Kind.CODE, Form.VALUE, "+79991234567", "+79991234567"),
])
def test_reading(kind: Kind, form: Form, text: str, value: Any) -> None:
    read = reader(kind, form)(text)
    assert read == value
    assert type(read) is type(value)
    if isinstance(value, Decimal):
        assert str(read) == text, "money keeps the scale of its text"
    if isinstance(value, datetime):
        assert read.utcoffset() == timedelta(hours=3)


@pytest.mark.parametrize(("kind", "form", "text", "message"), [
    (Kind.INT, Form.VALUE, "", "expected an integer, got ''"),
    (Kind.INT, Form.VALUE, "4 2", "expected an integer, got '4 2'"),
    (Kind.INT, Form.VALUE, "+4", "expected an integer, got '+4'"),
    (Kind.INT, Form.VALUE, "٣", "expected an integer, got '٣'"),
    (Kind.INT, Form.VALUE, "9" * 5000, "an integer out of range: '" + "9" * 40 + "…'"),
    (Kind.MONEY, Form.VALUE, "1,50", "expected a decimal number, got '1,50'"),
    (Kind.MONEY, Form.VALUE, "1.", "expected a decimal number, got '1.'"),
    (Kind.MONEY, Form.VALUE, ".5", "expected a decimal number, got '.5'"),
    (Kind.MONEY, Form.VALUE, "1e5", "expected a decimal number, got '1e5'"),
    (Kind.MONEY, Form.VALUE, "NaN", "expected a decimal number, got 'NaN'"),
    (Kind.INSTANT, Form.DATE, "2026-11-24 13:05:09",
     "expected a date DD.MM.YYYY hh:mm:ss, got '2026-11-24 13:05:09'"),
    (Kind.INSTANT, Form.DATE, "24.11.2026 13:05",
     "expected a date DD.MM.YYYY hh:mm:ss, got '24.11.2026 13:05'"),
    (Kind.INSTANT, Form.DATE, "29.02.2026 00:00:00",
     "a date DD.MM.YYYY hh:mm:ss out of range: '29.02.2026 00:00:00'"),
    (Kind.INSTANT, Form.DATE, "24.11.2026 24:00:00",
     "a date DD.MM.YYYY hh:mm:ss out of range: '24.11.2026 24:00:00'"),
    (Kind.INSTANT, Form.TIMESTAMP, "1795514709.5",
     "expected a Unix timestamp, got '1795514709.5'"),
    (Kind.INSTANT, Form.TIMESTAMP, "99999999999999999999",
     "a Unix timestamp out of range: '99999999999999999999'"),
    (Kind.TZ, Form.VALUE, "UTC+3", "expected a UTC offset in hours, got 'UTC+3'"),
    (Kind.TZ, Form.VALUE, "+", "expected a UTC offset in hours, got '+'"),
    (Kind.TZ, Form.VALUE, "300", "expected a UTC offset in hours, got '300'"),
])
def test_reading_refuses(kind: Kind, form: Form, text: str, message: str) -> None:
    with pytest.raises(ValueProblem) as info:
        reader(kind, form)(text)
    assert str(info.value) == message


def test_dates_read_in_the_given_server_timezone() -> None:
    read = reader(Kind.INSTANT, Form.DATE, UTC)("24.11.2026 10:05:09")
    assert read == MOMENT
    assert read.utcoffset() == timedelta(0)
    assert reader(Kind.INSTANT, Form.TIMESTAMP, UTC)("1795514709") == MOMENT


@pytest.mark.parametrize(("kind", "form", "value", "text"), [
    (Kind.INT, Form.VALUE, -3, "-3"),
    (Kind.TZ, Form.VALUE, 3, "3"),
    (Kind.TZ, Form.VALUE, -1, "-1"),
    (Kind.MONEY, Form.VALUE, Decimal("1.50"), "1.50"),
    (Kind.MONEY, Form.VALUE, Decimal("1E+2"), "100"),
    (Kind.MONEY, Form.VALUE, Decimal("0.000"), "0.000"),
    (Kind.INSTANT, Form.DATE, MOMENT, "24.11.2026 13:05:09"),
    (Kind.INSTANT, Form.DATE, datetime(2026, 11, 24, 10, 5, 9, tzinfo=UTC), "24.11.2026 13:05:09"),
    (Kind.INSTANT, Form.DATE, datetime(2026, 1, 2, 3, 4, 5, tzinfo=MOSCOW), "02.01.2026 03:04:05"),
    (Kind.INSTANT, Form.TIMESTAMP, MOMENT, "1795514709"),
    (Kind.TEXT, Form.VALUE, "a, b = c\nd", "a, b = c\nd"),
])
def test_writing(kind: Kind, form: Form, value: Any, text: str) -> None:
    assert writer(kind, form)(value) == text


@pytest.mark.parametrize(("kind", "form", "value", "message"), [
    (Kind.INT, Form.VALUE, True, "expected an int, got True"),
    (Kind.INT, Form.VALUE, "3", "expected an int, got '3'"),
    (Kind.MONEY, Form.VALUE, 1.5, "expected a finite Decimal, got 1.5"),
    (Kind.MONEY, Form.VALUE, Decimal("NaN"), "expected a finite Decimal, got Decimal('NaN')"),
    (Kind.MONEY, Form.VALUE, Decimal("Infinity"),
     "expected a finite Decimal, got Decimal('Infinity')"),
    (Kind.INSTANT, Form.DATE, datetime(2026, 11, 24, 13, 5, 9),
     "expected an aware datetime, got datetime.datetime(2026, 11, 24, 13, 5, 9)"),
    (Kind.INSTANT, Form.TIMESTAMP, MOMENT.replace(microsecond=5),
     "instants have whole seconds on the wire, got 2026-11-24T13:05:09.000005+03:00"),
    (Kind.TEXT, Form.VALUE, 5, "expected a str, got 5"),
])
def test_writing_refuses(kind: Kind, form: Form, value: Any, message: str) -> None:
    with pytest.raises(ValueProblem) as info:
        writer(kind, form)(value)
    assert str(info.value) == message


def test_written_dates_are_in_the_server_timezone() -> None:
    assert writer(Kind.INSTANT, Form.DATE, timezone(timedelta(hours=-1)))(MOMENT) == \
        "24.11.2026 09:05:09"


@pytest.mark.parametrize(("kind", "value", "expected"), [
    (Kind.INT, 5, 5),
    (Kind.INT, "5", 5),
    (Kind.MONEY, Decimal("1.50"), Decimal("1.50")),
    (Kind.MONEY, 2, Decimal("2")),
    (Kind.MONEY, "0.385", Decimal("0.385")),
    (Kind.TZ, "+3", 3),
    (Kind.TZ, 3, 3),
    (Kind.CODE, 25001, "25001"),
])
def test_json_values_of_either_type(kind: Kind, value: Any, expected: Any) -> None:
    read = json_reader(kind, Form.VALUE)(value)
    assert read == expected
    assert type(read) is type(expected)
    if isinstance(expected, Decimal):
        assert str(read) == str(expected)


@pytest.mark.parametrize(("kind", "value", "message"), [
    (Kind.INT, True, "expected an integer, got true"),
    (Kind.INT, None, "expected an integer, got null"),
    (Kind.INT, [1], "expected an integer, got [1]"),
    (Kind.INT, Decimal("1.5"), "expected an integer, got '1.5'"),
    (Kind.INT, Decimal("1E+999999999"), "an integer out of range: '1E+999999999'"),
    (Kind.MONEY, Decimal("1E-999999999"), "a decimal number out of range: '1E-999999999'"),
    (Kind.MONEY, {"a": 1}, "expected a decimal number, got {'a': 1}"),
])
def test_json_values_refused(kind: Kind, value: Any, message: str) -> None:
    with pytest.raises(ValueProblem) as info:
        json_reader(kind, Form.VALUE)(value)
    assert str(info.value) == message


def test_every_kind_has_a_shape() -> None:
    for kind in Kind:
        forms = [Form.DATE, Form.TIMESTAMP] if kind is Kind.INSTANT else [Form.VALUE]
        for form in forms:
            assert (kind, form) in SHAPES


@pytest.mark.parametrize("form", [Form.DATE, Form.TIMESTAMP])
@pytest.mark.parametrize("value", [
    datetime(1, 1, 1, 2, 30, 17, tzinfo=timezone(timedelta(hours=3))),  # year 0 in UTC
    datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-3))),  # year 10000 in UTC
])
def test_an_instant_past_the_calendar_in_the_server_timezone_is_a_value_problem(
        form: Form, value: datetime) -> None:
    """``astimezone`` raised a bare OverflowError, which left ``emit`` as it was (found by
    a seeded differential loop over emit's inputs)."""
    with pytest.raises(ValueProblem, match="out of range"):
        writer(Kind.INSTANT, form, MOSCOW)(value)
