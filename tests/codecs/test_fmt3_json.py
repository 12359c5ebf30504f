"""fmt=3 JSON: the server's layout and escaping on the way out, any JSON on the way in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_formats import ApiError, ParseError, Price, PriceZone, ShortLink, emit, parse
from smsc_formats.codecs import fmt3_json, json_tokens
from smsc_formats.spec import CALLS
from smsc_formats.strategies import bodies


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


# -- the tokenizer: msgspec first, the standard library for what msgspec refuses -----------

SHORT_LINK = ('{\n"id": "1",\n"cnt": "2",\n"cnt_mon": "3",\n"cnt_day": "4",\n"cnt_yes": "5",\n'
              '"cnt_pmon": "6",\n"link": "L"\n}')


@pytest.mark.parametrize("as_bytes", [True, False], ids=["bytes", "str"])
def test_a_repeated_key_is_an_error_at_its_second_spelling(as_bytes: bool) -> None:
    text = SHORT_LINK.replace('"cnt_day": "4"', '"cnt_day": "4",\n  "cnt": "9"')
    with pytest.raises(ParseError) as info:
        parse(text.encode() if as_bytes else text, call="get_short_link", fmt=3)
    assert str(info.value) == ("get_short_link fmt=3: line 6, column 3: malformed JSON: "
                               "duplicate key 'cnt'")


@pytest.mark.parametrize(("body", "line", "col"), [
    # in the second record of a list
    (b'[{"id": 1, "received": "24.11.2026 13:05:09", "phone": "7", "message": "m",'
     b' "to_phone": "7", "sent": "24.11.2026 13:05:09"},\n{"id": 2, "id": 3}]', 2, 11),
    # inside an object no field reads, with blanks before the colons
    (b'{"zones": [], "codes": [], "x": {"a" : 1, "b" :2, "a"\n: 3}}', 1, 51),
    # the same key spelled with an escape
    (b'{"zones": [], "codes": [], "\\u007a": 1, "z": 2}', 1, 41),
])
def test_repeated_keys_anywhere(body: bytes, line: int, col: int) -> None:
    with pytest.raises(ParseError, match="duplicate key") as info:
        parse(body, call="get_price" if b"zones" in body else "get_answers", fmt=3)
    assert (info.value.line, info.value.col) == (line, col)


def test_key_like_text_and_blanks_before_colons_are_no_repeat() -> None:
    text = ('[{"id" : 1, "received"\n:"24.11.2026 13:05:09", "phone": "7",'
            ' "message": "say \\": \\"id\\": 2", "to_phone": "7", "sent": "24.11.2026 13:05:09",'
            ' "extra": {"id": 5, "more": [{"id": 6}]}}]')
    (answer,) = rows(parse(text.encode(), call="get_answers", fmt=3))
    assert answer.message == 'say ": "id": 2'
    assert answer.id == 1


@pytest.mark.parametrize("as_bytes", [True, False], ids=["bytes", "str"])
def test_money_keeps_the_scale_of_its_own_text(as_bytes: bool) -> None:
    text = '{"zones": [], "codes": [{"mccmnc": "1", "cost": 1.50}, {"mccmnc": "2", "cost": 2.000}]}'
    price = parse(text.encode() if as_bytes else text, call="get_price", fmt=3)
    assert isinstance(price, Price)
    assert [str(c.cost) for c in price.codes] == ["1.50", "2.000"]


@pytest.mark.parametrize(("body", "message"), [
    (b'{"error_code": 1' + b"0" * 5000 + b"}",
     "get_answers fmt=3: $.error_code: error_code is not an integer: a number"),
    (b'{"error_code": 1e9999999999}',
     "get_answers fmt=3: $.error_code: error_code is not an integer: a number"),
    (b"[" * 100_000, "get_answers fmt=3: line 1, column 513: malformed JSON: nested too deeply "
                     "(more than 512 levels)"),
    (b'[{"id": 1,\n"received": }]',
     "get_answers fmt=3: line 2, column 13: malformed JSON: Expecting value"),
    (b'\xef\xbb\xbf[{"id": 1}, 2]',  # a BOM is dropped, the error is the one after it
     "get_answers fmt=3: $[0]: missing field 'received'"),
])
def test_what_msgspec_refuses_the_standard_library_reports(body: bytes, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(body, call="get_answers", fmt=3)
    assert str(info.value) == message


def test_integers_past_64_bits_are_read_exactly() -> None:
    body = b'{"error_code": 123456789012345678901234567890}'
    assert parse(body, call="get_stat", fmt=3) == ApiError(123456789012345678901234567890, None)


def test_a_windows_1251_body_is_still_read_by_the_charset_chain() -> None:
    text = SHORT_LINK.replace('"L"', '"Привет"')
    link = parse(text.encode("cp1251"), call="get_short_link", fmt=3)
    assert isinstance(link, ShortLink)
    assert link.link == "Привет"


ANSWER = ('{"id": 1, "received": "24.11.2026 13:05:09", "phone": "7", "message": "m",'
          ' "to_phone": "7", "sent": "24.11.2026 13:05:09"}')


@pytest.mark.parametrize("as_bytes", [True, False], ids=["bytes", "str"])
def test_a_complete_record_that_repeats_a_key_is_refused(as_bytes: bool) -> None:
    repeated = ANSWER.replace(', "sent"', ', "phone": "8", "sent"')
    text = f"[{ANSWER},\n{repeated}]"
    with pytest.raises(ParseError) as info:
        parse(text.encode() if as_bytes else text, call="get_answers", fmt=3)
    assert str(info.value) == ("get_answers fmt=3: line 2, column 93: malformed JSON: "
                               "duplicate key 'phone'")


def test_unknown_keys_and_absent_optional_keys_are_read_alike() -> None:
    extra = ANSWER.replace('"id": 1,', '"id": 1, "new": [1, {"x": "y"}],')
    assert parse(f"[{extra}]".encode(), call="get_answers", fmt=3) == \
        parse(f"[{ANSWER}]".encode(), call="get_answers", fmt=3)
    message = ('[{"status": 1, "last_timestamp": 1795514709, "send_date": "24.11.2026 13:05:02",'
               ' "phone": "7999", "cost": "1", "sender_id": "S", "status_name": "ok",'
               ' "message": "m", "mccmnc": "", "country": "", "operator": "", "region": "",'
               ' "type": 0, "id": 1, "int_id": "2", "sms_cnt": 1, "format": 0, "crc": 0}]')
    (sent,) = rows(parse(message.encode(), call="get_messages", fmt=3))
    assert sent.err is None
    assert sent.last_date.timestamp() == 1795514709


def _outcome(body: bytes, call: str) -> object:
    try:
        return parse(body, call=call, fmt=3)
    except ParseError as exc:
        return str(exc)


def _refuse(data: object) -> object:
    raise ValueError("msgspec is switched off")


@settings(max_examples=150)
@given(data=st.data(), call=st.sampled_from(sorted(CALLS)))
def test_msgspec_and_the_standard_library_read_mutated_bodies_alike(
        data: st.DataObject, call: str) -> None:
    body = bytearray(data.draw(bodies(call, 3)))
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(0, max(len(body) - 1, 0)))
        piece = data.draw(st.sampled_from([b'"', b"{", b"}", b"[", b"]", b",", b":", b" ", b"1",
                                           b"\\", b'"id": 1', b"1e999", b"\n", b""]))
        body[at:at + data.draw(st.integers(0, 4))] = piece
    with_msgspec = _outcome(bytes(body), call)
    with pytest.MonkeyPatch.context() as patch:  # the reference: json only
        patch.setattr(json_tokens, "_DECODE", _refuse)
        patch.setattr(fmt3_json, "_typed_list", lambda *args: None)
        assert _outcome(bytes(body), call) == with_msgspec
