"""fmt=1 comma-separated, no quoting: which lines begin a record, and the ``0,-N`` error."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from smsc_formats import ApiError, EmitError, IncomingMessage, Price, PriceZone, emit, parse
from smsc_formats.values import MOSCOW

HEAD = "5924,24.11.2026 12:00:01,79991234567,79001112233,24.11.2026 11:59:58,"


def rows(reply: object) -> list[Any]:
    """A list reply, typed loosely so tests can read its records' fields."""
    assert isinstance(reply, list)
    return reply


def test_a_line_without_a_record_head_continues_the_message() -> None:
    # decisions.md: "12,ok" does not begin a record, so it continues the message.
    (record,) = rows(parse((HEAD + "first\n12,ok\n,").encode(), call="get_answers",
                           fmt=1))
    assert record.message == "first\n12,ok\n,"


def test_a_line_with_a_record_head_begins_a_record() -> None:
    body = (HEAD + "one\n" + HEAD + "two").encode()
    assert [r.message for r in rows(parse(body, call="get_answers", fmt=1))] == ["one", "two"]


def test_timestamps_are_read_into_the_server_timezone() -> None:
    line = (b"1,1795514709,,1795514702,79999999999,25001,RU,MTS,,1.50,SMSC,ok,hi,0,5924,"
            b"1234567890,1,0,0")
    (moscow,) = rows(parse(line, call="get_messages", fmt=1))
    (utc,) = rows(parse(line, call="get_messages", fmt=1, server_tz=UTC))
    assert moscow.last_date == datetime(2026, 11, 24, 13, 5, 9, tzinfo=MOSCOW)
    assert moscow.err is None
    assert utc.last_date.isoformat() == "2026-11-24T10:05:09+00:00"


def test_error_shape_wins_over_a_code_line() -> None:
    # "0,-5" could be an mccmnc line of get_price; decisions.md says it is an error.
    assert parse(b"0,-5", call="get_price", fmt=1) == ApiError(5, None)
    assert parse(b"0,-2", call="get_price", fmt=3) == ApiError(2, None)
    assert emit(ApiError(9, "described"), call="get_price", fmt=1) == b"0,-9"


def test_price_sections_in_order() -> None:
    body = b"1,Russia, MTS,1.50,1.50,5,0.15,2\n0.05"
    assert parse(body, call="get_price", fmt=1) == Price(
        (PriceZone("1", "Russia, MTS", Decimal("1.50"), Decimal("1.50"), Decimal("5"),
                   Decimal("0.15"), Decimal("2")),), (), Decimal("0.05"))


def test_what_fmt1_cannot_carry_is_an_emit_error() -> None:
    moment = datetime(2026, 1, 1, tzinfo=MOSCOW)
    bad_phone = [IncomingMessage(1, moment, "7999,1", "hi", "7900", moment)]
    with pytest.raises(EmitError, match=r"IncomingMessage.phone: a comma cannot be written"):
        emit(bad_phone, call="get_answers", fmt=1)
    bad_break = [IncomingMessage(1, moment, "7999\n", "hi", "7900", moment)]
    with pytest.raises(EmitError, match=r"IncomingMessage.phone: a line break cannot be written"):
        emit(bad_break, call="get_answers", fmt=1)
