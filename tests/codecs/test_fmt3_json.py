"""fmt=3 JSON: the server's layout and escaping on the way out, any JSON on the way in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from smsc_formats import ApiError, ParseError, Price, PriceZone, ShortLink, emit, parse


def rows(reply: object) -> list[Any]:
    """A list reply, typed loosely so tests can read its records' fields."""
    assert isinstance(reply, list)
    return reply


def test_only_quotes_backslashes_and_controls_are_escaped() -> None:
    link = ShortLink(1, 2, 3, 4, 5, 6, 'a"b\\c/d\tЖ😀\x01')
    body = emit(link, call="get_short_link", fmt=3)
    assert body == (
        '{\n"id": "1",\n"cnt": "2",\n"cnt_mon": "3",\n"cnt_day": "4",\n"cnt_yes": "5",\n'
        '"cnt_pmon": "6",\n"link": "a\\"b\\\\c/d\\tЖ😀\\u0001"\n}').encode()
    assert parse(body, call="get_short_link", fmt=3) == link


def test_empty_lists_and_absent_mail() -> None:
    price = Price((PriceZone("1", "x", *[Decimal("1")] * 5),), (), None)
    body = emit(price, call="get_price", fmt=3)
    assert body == (b'{\n"zones": [{\n"zone": "1",\n"name": "x",\n"api": "1",\n"mass": "1",\n'
                    b'"mms": "1",\n"hlr": "1",\n"call": "1"\n}],\n"codes": []\n}')
    assert emit([], call="get_stat", fmt=3) == b"[]"


@pytest.mark.parametrize("mail", [b"null", b'""'])
def test_null_or_empty_mail_is_none(mail: bytes) -> None:
    body = b'{"zones": [], "codes": [], "mail": ' + mail + b"}"
    assert parse(body, call="get_price", fmt=3) == Price((), (), None)


def test_null_err_is_none() -> None:
    record = (b'[{"status": 1, "last_date": "24.11.2026 13:05:09", "last_timestamp": 1795514709,'
              b' "err": null, "send_date": "24.11.2026 13:05:02", "send_timestamp": 1795514702,'
              b' "phone": "7999", "cost": "1", "sender_id": "S", "status_name": "ok",'
              b' "message": "m", "mccmnc": "", "country": "", "operator": "", "region": "",'
              b' "type": 0, "id": 1, "int_id": "2", "sms_cnt": 1, "format": 0, "crc": 0}]')
    (value,) = rows(parse(record, call="get_messages", fmt=3))
    assert value.err is None
    assert b'"err"' not in emit([value], call="get_messages", fmt=3)


@pytest.mark.parametrize(("body", "message"), [
    (b'{"zones": [], "codes": [], "mail": NaN}',
     "get_price fmt=3: $.mail: expected a decimal number, got nan"),
    (b'{"zones": [], "codes": [], "mail": Infinity}',
     "get_price fmt=3: $.mail: expected a decimal number, got inf"),
    (b'{"zones": [], "codes": [{"mccmnc": "25001", "cost": true}]}',
     "get_price fmt=3: $.codes[0].cost: expected a decimal number, got true"),
    (b'{"error": ["x"], "error_code": 1}', "get_price fmt=3: $.error: error is not a string: "
     "an array"),
    (b'{"error_code": 1.5}', "get_price fmt=3: $.error_code: error_code is not an integer: "
     "a number"),
])
def test_json_oddities(body: bytes, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(body, call="get_price", fmt=3)
    assert str(info.value) == message


def test_error_shape_with_and_without_description() -> None:
    assert emit(ApiError(2, 'say "no"'), call="get_stat", fmt=3) == \
        b'{\n"error": "say \\"no\\"",\n"error_code": 2\n}'
    assert parse(b'{"error_code": "2"}', call="get_stat", fmt=3) == ApiError(2, None)
