"""fmt=2 XML: the server's layout on the way out, any well-formed XML on the way in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from smsc_formats import (
    ApiError,
    EmitError,
    IncomingMessage,
    OperatorInfo,
    ParseError,
    Price,
    ShortLink,
    emit,
    parse,
)
from smsc_formats.checks import parse_strict
from smsc_formats.values import MOSCOW

MOMENT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=MOSCOW)


def rows(reply: object) -> list[Any]:
    """A list reply, typed loosely so tests can read its records' fields."""
    assert isinstance(reply, list)
    return reply


def _answers(message_xml: str) -> bytes:
    return ("<sms_answers>\n<sms>\n<id>7</id>\n<received>02.01.2026 03:04:05</received>\n"
            "<phone>79991234567</phone>\n<message>" + message_xml + "</message>\n"
            "<to_phone>79001112233</to_phone>\n<sent>02.01.2026 03:04:05</sent>\n</sms>\n"
            "</sms_answers>").encode()


@pytest.mark.parametrize(("xml", "text"), [
    ("<![CDATA[a & b <c>]]>", "a & b <c>"),
    ("&#1055;&#x440;и<!-- note -->вет", "Привет"),
    ("a&quot;b&apos;c", "a\"b'c"),
    ("", ""),
])
def test_text_in_any_xml_spelling(xml: str, text: str) -> None:
    assert parse(_answers(xml), call="get_answers", fmt=2) == [
        IncomingMessage(7, MOMENT, "79991234567", text, "79001112233", MOMENT)]


def test_a_self_closed_empty_leaf_reads_as_empty() -> None:
    body = _answers("").replace(b"<message></message>", b"<message/>")
    assert rows(parse(body, call="get_answers", fmt=2))[0].message == ""


def test_the_writer_escapes_and_never_self_closes() -> None:
    reply = [IncomingMessage(7, MOMENT, "79991234567", "", "79001112233", MOMENT)]
    assert emit(reply, call="get_answers", fmt=2) == _answers("")
    reply = [IncomingMessage(7, MOMENT, "79991234567", "a & <b> \"c\"", "79001112233", MOMENT)]
    assert emit(reply, call="get_answers", fmt=2) == _answers('a &amp; &lt;b&gt; "c"')


def test_a_control_character_cannot_be_written() -> None:
    reply = [IncomingMessage(7, MOMENT, "79991234567", "a\x01b", "79001112233", MOMENT)]
    with pytest.raises(EmitError) as info:
        emit(reply, call="get_answers", fmt=2)
    assert str(info.value) == ("IncomingMessage.message: character U+0001 cannot be carried by "
                               "XML text unchanged")


def test_an_empty_or_absent_err_is_none() -> None:
    body = ("<list>\n<sms>\n<status>1</status>\n<last_date>24.11.2026 13:05:09</last_date>\n"
            "<err></err>\n<send_date>24.11.2026 13:05:02</send_date>\n<phone>7999</phone>\n"
            "<cost>1</cost>\n<sender_id>S</sender_id>\n<status_name>ok</status_name>\n"
            "<message>m</message>\n<mccmnc>25001</mccmnc>\n<country>RU</country>\n"
            "<operator>MTS</operator>\n<region>R</region>\n<type>0</type>\n<id>1</id>\n"
            "<int_id>2</int_id>\n<sms_cnt>1</sms_cnt>\n<format>0</format>\n<crc>0</crc>\n"
            "</sms>\n</list>")
    (record,) = rows(parse(body.encode(), call="get_messages", fmt=2))
    assert record.err is None
    # Without timestamps, the date strings decide.
    assert record.last_date == datetime(2026, 11, 24, 13, 5, 9, tzinfo=MOSCOW)


def test_the_timestamp_wins_and_strict_mode_reports_the_disagreement() -> None:
    body = (b"<list>\n<sms>\n<status>1</status>\n<last_date>24.11.2026 13:05:10</last_date>\n"
            b"<last_timestamp>1795514709</last_timestamp>\n"
            b"<send_date>24.11.2026 13:05:02</send_date>\n"
            b"<send_timestamp>1795514702</send_timestamp>\n<phone>7999</phone>\n"
            b"<cost>1</cost>\n<sender_id>S</sender_id>\n<status_name>ok</status_name>\n"
            b"<message>m</message>\n<mccmnc>25001</mccmnc>\n<country>RU</country>\n"
            b"<operator>MTS</operator>\n<region>R</region>\n<type>0</type>\n<id>1</id>\n"
            b"<int_id>2</int_id>\n<sms_cnt>1</sms_cnt>\n<format>0</format>\n<crc>0</crc>\n"
            b"</sms>\n</list>")
    (record,) = rows(parse(body, call="get_messages", fmt=2))
    assert record.last_date == datetime(2026, 11, 24, 13, 5, 9, tzinfo=MOSCOW)
    with pytest.raises(ParseError) as info:
        parse_strict(body, call="get_messages", fmt=2)
    assert info.value.path is not None or info.value.line is not None


def test_price_without_codes_or_mail_containers() -> None:
    body = b'<price>\n<zones>\n<zone name="x" api="1" mass="1" mms="1" hlr="1" call="1">1</zone>' \
           b"\n</zones>\n</price>"
    price = parse(body, call="get_price", fmt=2)
    assert isinstance(price, Price)
    assert price.codes == ()
    assert price.mail is None
    assert emit(price, call="get_price", fmt=2) == body.replace(
        b"</zones>\n", b"</zones>\n<codes>\n</codes>\n")


def test_operator_one_or_several_by_root() -> None:
    one = b"<info>\n<country>RU</country>\n<operator>MTS</operator>\n<region></region>\n" \
          b"<mcc>250</mcc>\n<mnc>01</mnc>\n<tz>+3</tz>\n</info>"
    assert parse(one, call="get_operator", fmt=2) == OperatorInfo("RU", "MTS", "", "250", "01", 3)
    assert parse(b"<list>\n</list>", call="get_operator", fmt=2) == []


def test_short_link_root_is_result_like_an_error() -> None:
    body = (b"<result>\n<id>1</id>\n<cnt>2</cnt>\n<cnt_mon>3</cnt_mon>\n<cnt_day>4</cnt_day>\n"
            b"<cnt_yes>5</cnt_yes>\n<cnt_pmon>6</cnt_pmon>\n<link>x</link>\n</result>")
    assert parse(body, call="get_short_link", fmt=2) == ShortLink(1, 2, 3, 4, 5, 6, "x")
    error = b"<result>\n<error>link not found</error>\n<error_code>3</error_code>\n</result>"
    assert parse(error, call="get_short_link", fmt=2) == ApiError(3, "link not found")
    assert emit(ApiError(3), call="get_short_link", fmt=2) == \
        b"<result>\n<error_code>3</error_code>\n</result>"
