"""A body of another call (or another fmt) is named in parse's error: issue 10's walkthrough.

The bodies are the hand-transcribed ``tests/data/valid`` cases, emitted in each fmt by
:func:`smsc_formats.emit`, then read as every other call.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smsc_formats import ParseError, emit, iter_parse, parse
from smsc_formats.api import HINT_LIMIT
from smsc_formats.spec import CALLS, FORMATS

DATA = Path(__file__).parent / "data" / "valid"
CASE = {call: "single" if call == "get_operator" else "default" for call in CALLS}


def _bodies(call: str) -> dict[int, bytes]:
    reply = parse((DATA / call / f"{CASE[call]}.txt").read_bytes(), call=call, fmt=0)
    return {fmt: emit(reply, call=call, fmt=fmt) for fmt in FORMATS}


BODIES = {call: _bodies(call) for call in CALLS}


def test_the_walkthrough_message_names_the_call_the_body_belongs_to() -> None:
    body = (DATA / "get_messages" / "default.txt").read_bytes()
    with pytest.raises(ParseError) as info:
        parse(body, call="get_stat")
    assert str(info.value) == (
        "get_stat fmt=1: line 1, column 1: line does not begin a StatRow record: "
        "'Status = 1, check_time = 24.11.2026 13:0…' (this looks like a get_messages fmt=0 body)")


@pytest.mark.parametrize("asked_fmt", [None, "same"])
@pytest.mark.parametrize("call", list(CALLS))
def test_a_body_of_another_call_is_named(call: str, asked_fmt: str | None) -> None:
    messages: list[tuple[str, str]] = []
    for other in CALLS:
        if other == call:
            continue
        for fmt, body in BODIES[other].items():
            try:
                parse(body, call=call, fmt=None if asked_fmt is None else fmt)
            except ParseError as exc:
                messages.append((f"{other} fmt={fmt}", str(exc)))
    for named, message in messages:
        assert f"(this looks like a {named} " in message or f" or {named} " in message, message
    # a few JSON bodies read as get_price, whose records take extra keys; all others fail
    assert len(messages) >= 5 * 4 - 2


@pytest.mark.parametrize("call", list(CALLS))
def test_a_body_in_another_fmt_is_named(call: str) -> None:
    for fmt, body in BODIES[call].items():
        for asked in FORMATS:
            if asked == fmt:
                continue
            with pytest.raises(ParseError) as info:
                parse(body, call=call, fmt=asked)
            assert str(info.value).startswith(f"{call} fmt={asked}: ")
            assert str(info.value).endswith(f"(this looks like a {call} fmt={fmt} body)")


@pytest.mark.parametrize(("body", "call", "fmt"), [
    (b"<nothing/>", "get_stat", 2),
    # get_price reads any object, as a price list with no zones: no evidence of anything
    (b"{}", "get_operator", 3),
    (b'{"id": 1E+999999999, "cnt": "1"}', "get_short_link", 3),
])
def test_a_body_no_other_call_reads_as_data_gets_no_hint(body: bytes, call: str,
                                                          fmt: int) -> None:
    with pytest.raises(ParseError) as info:
        parse(body, call=call, fmt=fmt)
    assert "looks like" not in str(info.value)


def test_a_huge_body_is_not_tried_as_the_other_calls() -> None:
    body = BODIES["get_messages"][0]
    padded = body + b"\n" + b" " * HINT_LIMIT
    with pytest.raises(ParseError) as info:
        parse(padded, call="get_stat", fmt=0)
    assert "looks like" not in str(info.value)
    with pytest.raises(ParseError) as info:
        parse(body, call="get_stat", fmt=0)
    assert "(this looks like a get_messages fmt=0 body)" in str(info.value)


def test_parse_and_iter_parse_give_the_same_error_on_either_side_of_the_limit() -> None:
    """An attacker's find: a body iter_parse streams (4 KiB and more) got the hint from parse
    only. Now the hint is given to bodies under the limit, which the stream reads whole."""
    line = (DATA / "get_stat" / "default.txt").read_bytes().split(b"\n")[0]
    for count in (1, 1 + HINT_LIMIT // len(line)):
        body = b"\n".join([line] * count)
        with pytest.raises(ParseError) as whole:
            parse(body, call="get_stat", fmt=1)
        with pytest.raises(ParseError) as streamed:
            list(iter_parse([body[i:i + 7] for i in range(0, len(body), 7)], call="get_stat",
                            fmt=1))
        assert str(streamed.value) == str(whole.value)
        assert ("(this looks like a get_stat fmt=0 body)" in str(whole.value)) == (count == 1)


def test_a_body_of_this_call_broken_after_its_first_line_gets_no_hint() -> None:
    # Its first line is a whole get_messages record; get_price could read the body (a zone
    # whose name swallows the commas), which is no reason to say it looks like one.
    body = (DATA.parent / "invalid" / "get_messages" / "line-break-in-crc-csv.csv").read_bytes()
    with pytest.raises(ParseError) as info:
        parse(body, call="get_messages", fmt=1)
    assert str(info.value) == ("get_messages fmt=1: line 1, column 73: a line break in field "
                               "'crc': only message may span lines")
