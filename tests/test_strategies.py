"""The public strategies: drawn from the spec, carried unchanged by every format."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_formats import ApiError, SentMessage, StatRow, emit, parse
from smsc_formats.spec import CALLS
from smsc_formats.strategies import MESSAGE_TEXT, bodies, records, replies


@settings(max_examples=30)
@given(st.from_type(SentMessage))
def test_from_type_is_registered_through_the_entry_point(record: SentMessage) -> None:
    assert isinstance(record, SentMessage)
    assert record.last_date.utcoffset() is not None


@pytest.mark.parametrize("call", sorted(CALLS))
@settings(max_examples=25)
@given(data=st.data())
def test_bodies_parse_back_to_a_reply_of_the_call(call: str, data: st.DataObject) -> None:
    fmt = data.draw(st.sampled_from([0, 1, 2, 3]))
    body = data.draw(bodies(call, fmt))
    assert isinstance(body, bytes)
    parse(body, call=call, fmt=fmt)


@pytest.mark.parametrize("call", sorted(CALLS))
@settings(max_examples=25)
@given(data=st.data())
def test_errors_use_the_codes_the_page_documents_for_the_call(call: str,
                                                             data: st.DataObject) -> None:
    reply = data.draw(replies(call))
    if isinstance(reply, ApiError):
        assert reply.code in CALLS[call].error_codes


def test_message_text_reaches_the_adversarial_cases() -> None:
    wanted = {",": False, " = ": False, "\n": False, "&": False, "😀": False}

    @settings(max_examples=400, database=None)
    @given(MESSAGE_TEXT)
    def look(text: str) -> None:
        for piece in wanted:
            wanted[piece] = wanted[piece] or piece in text

    look()
    assert all(wanted.values()), wanted


@settings(max_examples=30)
@given(records(CALLS["get_stat"].records()[0]))
def test_documented_patterns_hold(record: StatRow) -> None:
    assert re.fullmatch(r"[A-Za-z0-9_.@-]{1,64}", record.login)
    assert re.fullmatch(r"[A-Z]{3}", record.currency)
    assert emit([record], call="get_stat", fmt=1).count(b",") == 4
