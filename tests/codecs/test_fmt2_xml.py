"""fmt=2 XML: the server's layout on the way out, any well-formed XML on the way in."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_formats import (
    ApiError,
    EmitError,
    IncomingMessage,
    OperatorInfo,
    ParseError,
    Price,
    ShortLink,
    api,
    emit,
    parse,
)
from smsc_formats.checks import parse_strict
from smsc_formats.codecs import xml_tokens
from smsc_formats.spec import CALLS, ListBody
from smsc_formats.values import MOSCOW

from ..test_api_fuzz import mutated

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


# -- UTF-8 bodies read straight from their bytes ---------------------------------------------

_LIST_CALLS = sorted(name for name, spec in CALLS.items() if isinstance(spec.body, ListBody))
_ROOT = Path(__file__).resolve().parents[2]
_BAD_UTF8 = [b"\xed\xa0\x80", b"\xc0\x80", b"\xe0\x80\x80", b"\xf4\x90\x80\x80", b"\xff",
             b"\x80", b"\xc3", b"\xef\xbf\xbe", b"\xef\xbb\xbf", b"\xd0\xbf", b"\xe2\x80\xa8",
             b"<!DOCTYPE x>", b"<?xml version='1.0' encoding='windows-1251'?>", b" ", b"\r\n"]
"""Bytes the straight route must leave to the charset chain (or read exactly as it would):
invalid UTF-8 of every kind, a BOM, a DTD, a declaration, blanks before the root."""


def _reply(body: bytes, call: str, straight: bool, monkeypatch: pytest.MonkeyPatch) -> object:
    readers = dict(api.UTF8_READERS)
    if not straight:
        readers.pop(2)
    with monkeypatch.context() as patch:
        patch.setattr(api, "UTF8_READERS", readers)
        try:
            return parse(body, call=call, fmt=2)
        except ParseError as exc:
            return str(exc)


@pytest.mark.parametrize("call", _LIST_CALLS)
def test_a_recorded_utf8_body_is_read_from_its_bytes_as_from_its_text(
        call: str, monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[bytes] = []
    real = xml_tokens.XmlTokenizer.whole_utf8

    def spy(self: xml_tokens.XmlTokenizer, body: bytes, tag: str) -> Any:
        events = real(self, body, tag)
        if events is not None:
            taken.append(body)
        return events

    monkeypatch.setattr(xml_tokens.XmlTokenizer, "whole_utf8", spy)
    paths = sorted((_ROOT / "fixtures" / call).glob("*/fmt2.xml"))
    assert paths
    for path in paths:
        body = path.read_bytes()
        straight = _reply(body, call, True, monkeypatch)
        assert straight == _reply(body, call, False, monkeypatch), path
        assert straight == parse(body.decode("utf-8"), call=call, fmt=2), path
    assert len(taken) == len(paths)  # the straight route ran, and was not declined


@pytest.mark.parametrize("call", _LIST_CALLS)
@settings(max_examples=80)
@given(data=st.data())
def test_a_mutated_body_is_read_from_its_bytes_as_the_charset_chain_reads_it(
        call: str, data: st.DataObject) -> None:
    """Bad UTF-8, BOMs, declarations and syntax bytes anywhere in a body: the straight route
    gives the records, or the error, that the charset chain and the text path give."""
    body = bytearray(data.draw(st.one_of(mutated(call, 2), st.sampled_from(
        [p.read_bytes() for p in sorted((_ROOT / "fixtures" / call).glob("*/fmt2.xml"))]))))
    for _ in range(data.draw(st.integers(0, 2))):
        at = data.draw(st.integers(0, len(body)))
        body[at:at] = data.draw(st.sampled_from(_BAD_UTF8))
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _reply(bytes(body), call, True, monkeypatch) == _reply(bytes(body), call, False,
                                                                       monkeypatch)


@pytest.mark.parametrize("call", ["get_answers", "get_messages"])
def test_a_dtd_spelled_in_a_cdata_section_is_refused_on_both_routes(
        call: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The text route refuses any ``<!DOCTYPE`` or ``<!ENTITY`` it finds, even inside a
    CDATA section, where lxml would read it as text: the straight route must not read it."""
    body = (_ROOT / "fixtures" / call / "default" / "fmt2.xml").read_bytes()
    changed = body.replace(b"<message>", b"<message><![CDATA[<!ENTITY x>]]>", 1)
    assert changed != body
    straight = _reply(changed, call, True, monkeypatch)
    assert straight == _reply(changed, call, False, monkeypatch)
    assert "DTDs and entity declarations are not allowed" in str(straight)
