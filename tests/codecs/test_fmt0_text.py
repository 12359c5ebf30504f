"""fmt=0 ``key = value``: the free text absorbs separators; the error shape ``ERROR = N (...)``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from smsc_formats import ApiError, IncomingMessage, ShortLink, emit, parse
from smsc_formats.values import MOSCOW

T1 = datetime(2026, 11, 24, 12, 0, 1, tzinfo=MOSCOW)
T0 = datetime(2026, 11, 24, 11, 59, 58, tzinfo=MOSCOW)


def rows(reply: object) -> list[Any]:
    """A list reply, typed loosely so tests can read its records' fields."""
    assert isinstance(reply, list)
    return reply


def _answer(message: str) -> bytes:
    return ("id = 5924, received = 24.11.2026 12:00:01, phone = 79991234567, message = "
            + message + ", to_phone = 79001112233, sent = 24.11.2026 11:59:58").encode()


def test_the_message_absorbs_lookalike_separators() -> None:
    message = "Call me, to_phone = 123, sent = never, id = 1"
    parsed = parse(_answer(message), call="get_answers", fmt=0)
    assert parsed == [IncomingMessage(5924, T1, "79991234567", message, "79001112233", T0)]
    assert emit(parsed, call="get_answers", fmt=0) == _answer(message)


def test_a_line_that_begins_no_record_continues_the_message() -> None:
    body = _answer("first\n\nthird, with = signs")
    (record,) = rows(parse(body, call="get_answers", fmt=0))
    assert record.message == "first\n\nthird, with = signs"


def test_a_message_may_be_empty_or_spaces() -> None:
    for message in ("", "  ", " x "):
        (record,) = rows(parse(_answer(message), call="get_answers", fmt=0))
        assert record.message == message


def test_the_link_absorbs_commas() -> None:
    body = b"id = 1, cnt = 2, cnt_mon = 3, cnt_day = 4, cnt_yes = 5, cnt_pmon = 6, link = a, b = c"
    assert parse(body, call="get_short_link", fmt=0) == ShortLink(1, 2, 3, 4, 5, 6, "a, b = c")


def test_error_shapes() -> None:
    assert parse(b"ERROR = 4", call="get_stat", fmt=0) == ApiError(4, None)
    assert parse(b"ERROR = 1 (bad (cnt) value)", call="get_stat", fmt=0) == \
        ApiError(1, "bad (cnt) value")
    assert parse(b"ERROR = 2 (authorise error)\r\n", call="get_stat", fmt=0) == \
        ApiError(2, "authorise error")
    assert emit(ApiError(9, "wait, please"), call="get_stat", fmt=0) == \
        b"ERROR = 9 (wait, please)"
    assert emit(ApiError(4), call="get_stat", fmt=0) == b"ERROR = 4"


def test_an_error_is_recognised_before_records() -> None:
    assert parse(b"ERROR = 3 (message not found)", call="get_messages", fmt=2) == \
        ApiError(3, "message not found")


def test_keys_the_page_does_not_list_after_the_last_field_are_passed_over() -> None:
    from decimal import Decimal

    from smsc_formats import StatRow
    from smsc_formats.checks.conformance import check_body

    body = b"login = demo, sms = 3, credit = 1.50, debit = 0, currency = RUB, bonus = 5, x = a, b"
    assert parse(body, call="get_stat", fmt=0) == [
        StatRow("demo", 3, Decimal("1.50"), Decimal("0"), "RUB")]
    kinds = {(f.kind, f.path) for f in check_body(body, call="get_stat", fmt=0)}
    assert ("extra-field", "$[0].bonus") in kinds


def test_a_comma_in_the_last_text_field_is_not_taken_for_a_key() -> None:
    body = b"login = demo, sms = 3, credit = 1.50, debit = 0, currency = R, U"
    (row,) = rows(parse(body, call="get_stat", fmt=0))
    assert row.currency == "R, U"
