"""The product's proof: every format round-trips every call to the same canonical value."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_formats import (
    ApiError,
    EmitError,
    ParseError,
    SmscFormatsError,
    UsageError,
    emit,
    parse,
)
from smsc_formats.codecs import native
from smsc_formats.spec import CALLS
from smsc_formats.strategies import replies
from smsc_formats.values import MOSCOW

ROOT = Path(__file__).resolve().parent.parent

CALL_NAMES = sorted(CALLS)


def _as_fmt(reply: object, fmt: int) -> object:
    """fmt=1 errors carry no description (decisions.md)."""
    if fmt == 1 and isinstance(reply, ApiError):
        return ApiError(reply.code, None)
    return reply


@pytest.mark.parametrize("call", CALL_NAMES)
@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
@settings(max_examples=60)
@given(data=st.data())
def test_parse_emit_round_trip(call: str, fmt: int, data: st.DataObject) -> None:
    value = data.draw(replies(call))
    body = emit(value, call=call, fmt=fmt)
    parsed = parse(body, call=call, fmt=fmt)
    assert parsed == _as_fmt(value, fmt)
    assert emit(parsed, call=call, fmt=fmt) == body
    assert parse(body, call=call) == parsed, "format detection disagrees"


@pytest.mark.parametrize("call", CALL_NAMES)
@settings(max_examples=40)
@given(data=st.data())
def test_four_formats_agree(call: str, data: st.DataObject) -> None:
    value = data.draw(replies(call))
    parsed = [parse(emit(value, call=call, fmt=f), call=call, fmt=f) for f in range(4)]
    assert parsed[0] == parsed[2] == parsed[3] == value
    assert parsed[1] == _as_fmt(value, 1)


def test_unknown_call_is_a_usage_error_not_a_parse_error() -> None:
    # A caller mistake (issue 8): UsageError, which is a SmscFormatsError and a ValueError.
    with pytest.raises(UsageError, match="unknown call 'get_nothing'") as info:
        parse(b"", call="get_nothing")
    assert not isinstance(info.value, ParseError)
    assert isinstance(info.value, SmscFormatsError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("fmt", [None, 0, 1])
def test_an_empty_body_is_an_empty_list_in_the_line_formats(fmt: int | None) -> None:
    # decisions.md, "Empty answers": an empty list is an empty body in fmt=0 and fmt=1.
    assert parse(b"", call="get_stat", fmt=fmt) == []


@pytest.mark.parametrize(("fmt", "empty_list"), [(2, b"<list>\n</list>"), (3, b"[]")])
def test_an_empty_body_is_no_empty_list_in_xml_or_json(fmt: int, empty_list: bytes) -> None:
    # There the empty list has a spelling of its own, so an empty body is a broken answer.
    assert parse(empty_list, call="get_stat", fmt=fmt) == []
    with pytest.raises(ParseError, match=rf"get_stat fmt={fmt}: line 1, column 1: empty body"):
        parse(b"", call="get_stat", fmt=fmt)


@pytest.mark.parametrize("body", [None, 12, memoryview(b"[]")])
def test_a_body_that_is_neither_bytes_nor_str_is_a_usage_error_naming_its_type(
        body: object) -> None:
    with pytest.raises(UsageError, match=rf"bytes or str, not {type(body).__name__}$"):
        parse(body, call="get_stat")  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
@pytest.mark.parametrize(("field", "value", "says"), [
    pytest.param("id", 10**5000, "SentMessage.id: an int of 16610 bits is out of range",
                 id="int-past-the-digit-limit"),
    pytest.param("cost", Decimal("1E+999999999"), "SentMessage.cost: a Decimal out of range",
                 id="decimal-of-a-billion-digits"),
    pytest.param("phone", 10**5000, "SentMessage.phone: expected a str, got an int of 16610 "
                 "bits", id="int-past-the-digit-limit-in-a-text"),
])
def test_emit_refuses_numbers_too_long_to_spell(fmt: int, field: str, value: object,
                                               says: str) -> None:
    """An int past Python's digit limit raised ValueError from ``str`` (or from ``repr``, in
    the message about a text field), in every format, and a huge Decimal was spelled out digit
    by digit; each is now an EmitError naming the field (found by the C builder's tests)."""
    body = (ROOT / "fixtures" / "get_messages" / "default" / "fmt0.txt").read_bytes()
    records: Any = parse(body, call="get_messages", fmt=0)
    record = dataclasses.replace(records[0], **{field: value})
    with pytest.raises(EmitError) as caught:
        emit([record], call="get_messages", fmt=fmt)
    assert str(caught.value).startswith(says)


# -- what emit writes reads back -----------------------------------------------------------


def _recorded_list(call: str, fmt: int) -> list[Any]:
    ext = {0: "txt", 1: "csv", 2: "xml", 3: "json"}[fmt]
    records = parse((ROOT / "fixtures" / call / "default" / f"fmt{fmt}.{ext}").read_bytes(),
                    call=call, fmt=fmt)
    assert isinstance(records, list)
    assert len(records) >= 2
    return records


def _emit_both_ways(records: list[Any], call: str, fmt: int,
                    monkeypatch: pytest.MonkeyPatch) -> bytes | str:
    """The body ``emit`` writes (or its error's message), the same with the compiled writer
    on and off."""
    out: list[bytes | str] = []
    for on in (True, False):
        monkeypatch.setattr(native, "ENABLED", on and native.available())
        try:
            out.append(emit(records, call=call, fmt=fmt))
        except EmitError as exc:
            out.append(str(exc))
    assert out[0] == out[1]
    return out[0]


@pytest.mark.parametrize(("call", "fmt", "where", "text", "refused"), [
    ("get_answers", 1, -1, "hi\n", "end with a line break"),
    ("get_answers", 1, -1, "hi\n\n", "end with a line break"),
    ("get_answers", 1, 0, "hi\n", None),  # a blank line inside the body is kept
    ("get_answers", 0, 0, "a\r\nb", "is read as one line break"),
    ("get_answers", 1, 0, "a\r\nb", "is read as one line break"),
    ("get_answers", 1, 0, "hi\r", "is read as one line break"),  # the first line ends in \r
    ("get_answers", 1, 1, "a\r\nb", None),  # after a plain first line break, \r is text
    ("get_answers", 0, -1, "a\r", None),
    ("get_messages", 1, 0, "a\r\nb", "is read as one line break"),
    ("get_messages", 0, -1, "hi\n", None),  # later fields follow the free text in fmt=0
])
def test_emit_refuses_line_breaks_that_would_not_read_back(
        call: str, fmt: int, where: int, text: str, refused: str | None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The tokenizer's line-break rules: the empty lines at the end of a body are dropped,
    and a first line break after ``\\r`` makes every ``\\r\\n`` one line break. A free text
    that would be read back otherwise than written is an EmitError, found by an attack on
    the writers (the last record's ``"hi\\n"`` read back as ``"hi"``)."""
    records = _recorded_list(call, fmt)
    records[where] = dataclasses.replace(records[where], message=text)
    got = _emit_both_ways(records, call, fmt, monkeypatch)
    if refused is None:
        assert isinstance(got, bytes)
        assert parse(got, call=call, fmt=fmt) == records
    else:
        assert isinstance(got, str)
        assert refused in got


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
@pytest.mark.parametrize(("change", "refused"), [
    ({"send_date": "0001-01-01T02:59:59+03:00"}, "a Unix timestamp cannot carry"),
    ({"send_date": "0001-01-01T03:00:00+03:00"}, None),
    ({"send_date": "9999-12-31T23:59:59+03:00"}, None),
    ({"cost": "1" * 150}, "out of range"),
    ({"cost": "1" * 99 + "." + "5" * 40}, None),
])
def test_emit_refuses_values_that_would_not_read_back(
        fmt: int, change: dict[str, str], refused: str | None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A timestamp whose UTC instant lies before year 1 (the reader refuses it), and a cost
    of 100 digits or more (the reference writer refuses it; the generated and compiled
    writers wrote it): refused alike by every writer, and what is written reads back."""

    records = _recorded_list("get_messages", fmt)

    values = {k: datetime.fromisoformat(v).replace(tzinfo=MOSCOW) if k == "send_date"
              else Decimal(v) for k, v in change.items()}
    records[0] = dataclasses.replace(records[0], **values)
    got = _emit_both_ways(records, "get_messages", fmt, monkeypatch)
    if refused is None or (fmt == 0 and "send_date" in change):  # fmt=0 has no timestamp
        assert isinstance(got, bytes)
        assert parse(got, call="get_messages", fmt=fmt) == records
    else:
        assert isinstance(got, str)
        assert refused in got
