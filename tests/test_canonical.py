"""Canonical JSON (decisions.md): the contract tools and tests compare, both ways.

Expected data is written out by hand from decisions.md: ISO 8601 instants with an offset,
money as decimal text keeping its scale, ints as numbers, absent optionals as ``null`` with the
key kept, keys in fmt=3 order without the ``*_timestamp`` keys.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_formats import (
    ApiError,
    OperatorInfo,
    ParseError,
    PhoneOperatorInfo,
    Price,
    PriceCode,
    PriceZone,
    SentMessage,
    ShortLink,
    UsageError,
    from_canonical,
    to_canonical,
)
from smsc_formats.canonical import loads_canonical
from smsc_formats.spec import CALLS
from smsc_formats.strategies import replies
from smsc_formats.values import MOSCOW

SENT = SentMessage(
    status=1, last_date=datetime(2026, 11, 24, 13, 5, 9, tzinfo=MOSCOW), err=None,
    send_date=datetime(2026, 11, 24, 13, 5, 2, tzinfo=MOSCOW), phone="79999999999",
    cost=Decimal("1.50"), sender_id="SMSC.RU", status_name="Доставлено", message="Код",
    mccmnc="25001", country="Россия", operator="МТС", region="", type=0, id=5924,
    int_id=1234567890, sms_cnt=1, format=0, crc=0)
SENT_JSON = {
    "status": 1, "last_date": "2026-11-24T13:05:09+03:00", "err": None,
    "send_date": "2026-11-24T13:05:02+03:00", "phone": "79999999999", "cost": "1.50",
    "sender_id": "SMSC.RU", "status_name": "Доставлено", "message": "Код", "mccmnc": "25001",
    "country": "Россия", "operator": "МТС", "region": "", "type": 0, "id": 5924,
    "int_id": 1234567890, "sms_cnt": 1, "format": 0, "crc": 0}


def test_a_record_in_canonical_json() -> None:
    data = to_canonical([SENT])
    assert data == [SENT_JSON]
    assert list(data[0]) == list(SENT_JSON), "keys in fmt=3 order"
    assert "last_timestamp" not in data[0]
    assert from_canonical(data, call="get_messages") == [SENT]


def test_price_in_canonical_json() -> None:
    price = Price(zones=(PriceZone("1", "Россия, МТС", Decimal("1.50"), Decimal("1.5"),
                                   Decimal("5"), Decimal("0.150"), Decimal("0")),),
                  codes=(PriceCode("25001", Decimal("1.20")),), mail=None)
    data = to_canonical(price)
    assert data == {"zones": [{"zone": "1", "name": "Россия, МТС", "api": "1.50", "mass": "1.5",
                               "mms": "5", "hlr": "0.150", "call": "0"}],
                    "codes": [{"mccmnc": "25001", "cost": "1.20"}], "mail": None}
    assert from_canonical(data, call="get_price") == price


def test_operator_one_and_several() -> None:
    one = OperatorInfo("Россия", "МТС", "Москва", "250", "01", -1)
    many = [PhoneOperatorInfo("79999999999", "Россия", "МТС", "Москва", "250", "01", 3)]
    assert to_canonical(one) == {"country": "Россия", "operator": "МТС", "region": "Москва",
                                 "mcc": "250", "mnc": "01", "tz": -1}
    assert next(iter(to_canonical(many)[0])) == "phone"
    assert from_canonical(to_canonical(one), call="get_operator") == one
    assert from_canonical(to_canonical(many), call="get_operator") == many
    assert from_canonical([], call="get_operator") == []


def test_errors_in_canonical_json() -> None:
    assert to_canonical(ApiError(9, "подождите")) == {
        "error": {"code": 9, "description": "подождите"}}
    assert to_canonical(ApiError(2)) == {"error": {"code": 2, "description": None}}
    for call in CALLS:
        assert from_canonical({"error": {"code": 2, "description": None}}, call=call) == \
            ApiError(2)


def test_an_instant_in_another_offset_is_the_same_instant() -> None:
    data = dict(SENT_JSON, last_date="2026-11-24T10:05:09+00:00")
    (value,) = from_canonical([data], call="get_messages")  # type: ignore[misc]
    assert value == SENT
    assert value.last_date.utcoffset() == timedelta(hours=3), "read into the server timezone"
    utc = from_canonical([SENT_JSON], call="get_messages", server_tz=UTC)
    assert to_canonical(utc)[0]["last_date"] == "2026-11-24T10:05:09+00:00"


def test_canonical_json_is_plain_json() -> None:
    text = json.dumps(to_canonical([SENT]), ensure_ascii=False)
    assert from_canonical(json.loads(text), call="get_messages") == [SENT]


@pytest.mark.parametrize("call", sorted(CALLS))
@settings(max_examples=30)
@given(data=st.data())
def test_round_trip_through_canonical_json(call: str, data: st.DataObject) -> None:
    reply = data.draw(replies(call))
    assert from_canonical(json.loads(json.dumps(to_canonical(reply))), call=call) == reply


LINK = {"id": 1, "cnt": 2, "cnt_mon": 3, "cnt_day": 4, "cnt_yes": 5, "cnt_pmon": 6,
        "link": "https://x.ru"}
ANSWER = {"id": 1, "received": "2026-01-01T00:00:00+03:00", "phone": "79991234567",
          "message": "", "to_phone": "79001112233", "sent": "2026-01-01T00:00:00+03:00"}
PRICE: dict[str, Any] = {"zones": [], "codes": [], "mail": None}


@pytest.mark.parametrize(("call", "data", "message"), [
    ("get_stat", {"zones": []}, "get_stat: $: expected an array"),
    ("get_stat", [{"login": "a", "sms": "12", "credit": "1", "debit": "1", "currency": "RUB"}],
     "get_stat: $[0].sms: expected an integer, got '12'"),
    ("get_stat", [{"login": "a", "sms": True, "credit": "1", "debit": "1", "currency": "RUB"}],
     "get_stat: $[0].sms: expected an integer, got True"),
    ("get_stat", [{"login": "a", "sms": 1, "credit": "1", "debit": "1"}],
     "get_stat: $[0]: missing key 'currency'"),
    ("get_stat", [{"login": "a", "sms": 1, "credit": "1", "debit": "1", "currency": "RUB",
                   "x": 1}], "get_stat: $[0]: unknown keys ['x'] for StatRow"),
    ("get_stat", [5], "get_stat: $[0]: expected an object"),
    ("get_stat", [{"login": 7, "sms": 1, "credit": "1", "debit": "1", "currency": "RUB"}],
     "get_stat: $[0].login: expected a string, got 7"),
    ("get_stat", [{"login": "a", "sms": 1, "credit": 1.5, "debit": "1", "currency": "RUB"}],
     "get_stat: $[0].credit: expected a decimal string, got 1.5"),
    ("get_stat", [{"login": "a", "sms": 1, "credit": "1,50", "debit": "1", "currency": "RUB"}],
     "get_stat: $[0].credit: expected a decimal string, got '1,50'"),
    ("get_stat", [{"login": "a", "sms": 1, "credit": "NaN", "debit": "1", "currency": "RUB"}],
     "get_stat: $[0].credit: expected a finite decimal, got 'NaN'"),
    ("get_answers", [dict(ANSWER, received="24.11.2026 13:05:09")],
     "get_answers: $[0].received: expected an ISO 8601 string with an offset, "
     "got '24.11.2026 13:05:09'"),
    ("get_answers", [dict(ANSWER, sent="2026-01-01T00:00:00")],
     "get_answers: $[0].sent: expected an offset in the ISO 8601 string, "
     "got '2026-01-01T00:00:00'"),
    ("get_answers", [dict(ANSWER, received=1700000000)],
     "get_answers: $[0].received: expected an ISO 8601 string, got 1700000000"),
    ("get_answers", [dict(ANSWER, message=None)],
     "get_answers: $[0].message: expected a string, got None"),
    ("get_operator", {"country": "Россия", "operator": "МТС", "region": "", "mcc": "250",
                      "mnc": "01", "tz": "3"},
     "get_operator: $.tz: expected an integer, got '3'"),
    ("get_operator", [{"country": "Россия"}], "get_operator: $[0]: missing key 'phone'"),
    ("get_operator", "МТС", "get_operator: $: expected an object"),
    ("get_short_link", None, "get_short_link: $: expected an object"),
    ("get_short_link", dict(LINK, id=None), "get_short_link: $.id: expected an integer, got None"),
    ("get_price", [], "get_price: $: expected an object"),
    ("get_price", {"zones": [], "codes": []},
     "get_price: $: expected exactly the keys ['zones', 'codes', 'mail'], got ['codes', 'zones']"),
    ("get_price", dict(PRICE, extra=1),
     "get_price: $: expected exactly the keys ['zones', 'codes', 'mail'], "
     "got ['codes', 'extra', 'mail', 'zones']"),
    ("get_price", dict(PRICE, zones=None), "get_price: $.zones: expected an array"),
    ("get_price", dict(PRICE, codes=[{"mccmnc": "25001"}]),
     "get_price: $.codes[0]: missing key 'cost'"),
    ("get_price", dict(PRICE, mail=0.5), "get_price: $.mail: expected a decimal string, got 0.5"),
    ("get_stat", {"error": {"code": "2", "description": None}},
     "get_stat: $.error: expected {'code': int, 'description': str | null}"),
    ("get_stat", {"error": {"code": 2}},
     "get_stat: $.error: expected {'code': int, 'description': str | null}"),
    ("get_stat", {"error": {"code": 2, "description": None, "id": 34}},
     "get_stat: $.error: expected {'code': int, 'description': str | null}"),
    ("get_stat", {"error": {"code": 2, "description": 5}},
     "get_stat: $.error.description: expected a string or null"),
])
def test_bad_canonical_data(call: str, data: Any, message: str) -> None:
    with pytest.raises(ParseError) as info:
        from_canonical(data, call=call)
    assert str(info.value) == message
    assert info.value.path is not None


def test_unknown_call() -> None:
    with pytest.raises(UsageError, match="unknown call 'get_balance'"):
        from_canonical([], call="get_balance")


def test_a_short_link_with_no_optional_fields() -> None:
    link = ShortLink(1, 2, 3, 4, 5, 6, "https://x.ru")
    assert to_canonical(link) == LINK
    assert from_canonical(LINK, call="get_short_link") == link


# -- canonical JSON text -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    (b"[" * 100_000, "get_stat: line 1, column 1: not canonical JSON: nested too deeply"),
    (b'{"a":\n 1,}', "get_stat: line 2, column 4: not canonical JSON: "
                     "Expecting property name enclosed in double quotes"),
    (b"[\xff]", "get_stat: not UTF-8: byte 0xff at offset 1"),
    (b'{"error": {"code": "9", "description": null}}',
     "get_stat: $.error: expected {'code': int, 'description': str | null}"),
])
def test_loads_canonical_says_where_bad_text_is(text: bytes, message: str) -> None:
    with pytest.raises(ParseError) as info:
        loads_canonical(text, call="get_stat")
    assert str(info.value) == message


def test_loads_canonical_reads_what_the_page_describes() -> None:
    assert loads_canonical('{"error": {"code": 9, "description": "duplicate request"}}',
                           call="get_stat") == ApiError(9, "duplicate request")
