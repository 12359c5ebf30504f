"""The public strategies: drawn from the spec, carried unchanged by every format."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_formats import (
    ApiError,
    IncomingMessage,
    OperatorInfo,
    PhoneOperatorInfo,
    Price,
    SentMessage,
    ShortLink,
    StatRow,
    emit,
    parse,
)
from smsc_formats.model import Reply
from smsc_formats.spec import CALLS
from smsc_formats.strategies import (
    MESSAGE_TEXT,
    CorpusError,
    bodies,
    from_corpus,
    records,
    replies,
)


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


# --- the strategy bugs of issue 9, each with the behaviour the spec asks for ---------------

FORMATS = (0, 1, 2, 3)
DOCUMENTED_CODES = {code for call in CALLS.values() for code in call.error_codes}


def _as_fmt1(value: Reply) -> Reply:
    """What fmt=1 says for ``value``: an error without its description (decisions.md)."""
    return ApiError(value.code) if isinstance(value, ApiError) else value


def test_importing_the_strategies_before_hypothesis_works() -> None:
    """In a fresh interpreter, where hypothesis's entry point runs during this very import."""
    code = ("import smsc_formats.strategies\n"
            "from hypothesis import strategies as st\n"
            "from smsc_formats import Price\n"
            "assert st.from_type(Price) is not None\n"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "ok\n"


@settings(max_examples=60)
@given(st.from_type(Price))
def test_from_type_price_draws_what_every_format_carries(price: Price) -> None:
    assert price.mail is None or price.mail.is_finite()
    for fmt in FORMATS:
        assert parse(emit(price, call="get_price", fmt=fmt), call="get_price", fmt=fmt) == price


@settings(max_examples=60)
@given(st.from_type(ApiError))
def test_from_type_api_error_draws_documented_codes(error: ApiError) -> None:
    assert error.code in DOCUMENTED_CODES == {1, 2, 3, 4, 9}
    for fmt in FORMATS:
        body = emit(error, call="get_stat", fmt=fmt)
        assert parse(body, call="get_stat", fmt=fmt) == (_as_fmt1(error) if fmt == 1 else error)


_CALL_OF: dict[type, str] = {SentMessage: "get_messages", IncomingMessage: "get_answers",
                             StatRow: "get_stat", PhoneOperatorInfo: "get_operator",
                             OperatorInfo: "get_operator", ShortLink: "get_short_link",
                             Price: "get_price", ApiError: "get_stat"}


@settings(max_examples=60)
@given(st.from_type(Reply))  # type: ignore[arg-type]  # a union alias
def test_from_type_reply_draws_replies_every_format_carries(reply: Reply) -> None:
    kind = type(reply[0]) if isinstance(reply, list) and reply else type(reply)
    if kind is list:  # an empty list: any list call
        kind = StatRow
    call = _CALL_OF[kind]
    if isinstance(reply, list):
        reply = reply[:3]  # from_type's lists may be long; three records show the point
    for fmt in (0, 2, 3):
        assert parse(emit(reply, call=call, fmt=fmt), call=call, fmt=fmt) == reply


@pytest.mark.parametrize("call", sorted(CALLS))
@settings(max_examples=30)
@given(data=st.data())
def test_replies_for_fmt1_round_trip_exactly(call: str, data: st.DataObject) -> None:
    reply = data.draw(replies(call, fmt=1))
    if isinstance(reply, ApiError):
        assert reply.description is None
    assert parse(emit(reply, call=call, fmt=1), call=call, fmt=1) == reply


def test_replies_docstring_no_longer_claims_fmt1_carries_descriptions() -> None:
    doc = replies.__doc__ or ""
    assert "fmt=1" in doc
    assert "description" in doc


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r"])
@pytest.mark.parametrize("call", ["get_messages", "get_answers", "get_price", "get_short_link"])
@settings(max_examples=30)
@given(data=st.data())
def test_bodies_in_a_single_byte_charset_parse_back(charset: str, call: str,
                                                    data: st.DataObject) -> None:
    fmt = data.draw(st.sampled_from(FORMATS))
    body = data.draw(bodies(call, fmt, charset=charset))
    reply = parse(body, call=call, fmt=fmt, charset=charset)
    assert emit(reply, call=call, fmt=fmt, charset=charset) == body


def test_cyrillic_is_still_drawn_in_windows_1251() -> None:
    seen = {"cyrillic": False}

    @settings(max_examples=200, database=None)
    @given(bodies("get_answers", 3, charset="windows-1251"))
    def look(body: bytes) -> None:
        text = body.decode("windows-1251")
        seen["cyrillic"] = seen["cyrillic"] or any("а" <= c <= "я" for c in text)

    look()
    assert seen["cyrillic"]


# --- from_corpus ---------------------------------------------------------------------------

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# Built at module level: no I/O happens before the first draw, and no fixture is involved.
FROM_CORPUS = {call: from_corpus(FIXTURES, call) for call in CALLS}


def _shape(reply: Any) -> Any:
    """What a variant keeps: record counts, which optional values are present."""
    if isinstance(reply, ApiError):
        return ("error", reply.code, reply.description is None)
    if isinstance(reply, Price):
        return ("price", tuple(map(_shape, reply.zones)), tuple(map(_shape, reply.codes)),
                reply.mail is None)
    if isinstance(reply, list):
        return ("list", tuple(map(_shape, reply)))
    return (type(reply).__name__,
            tuple(f.name for f in dataclasses.fields(reply) if getattr(reply, f.name) is None))


def _recorded(call: str) -> list[Reply]:
    """The replies the committed fixtures hold, read independently of the strategy."""
    out: list[Reply] = []
    for case_dir in sorted((FIXTURES / call).iterdir()):
        meta = json.loads((case_dir / "meta.json").read_text(encoding="utf-8"))
        for fmt, info in meta["formats"].items():
            body = (case_dir / info["file"]).read_bytes()
            out.append(parse(body, call=call, fmt=int(fmt), charset=info["charset"]))
    return out


@pytest.mark.parametrize("call", sorted(CALLS))
def test_from_corpus_draws_recorded_replies_and_variants_of_their_shape(call: str) -> None:
    recorded = _recorded(call)
    shapes = {_shape(r) for r in recorded}
    seen = {"recorded": 0, "variant": 0}

    @settings(max_examples=60, database=None)
    @given(FROM_CORPUS[call])
    def draw(reply: Reply) -> None:
        assert _shape(reply) in shapes
        seen["recorded" if reply in recorded else "variant"] += 1
        for fmt in FORMATS:
            back = parse(emit(reply, call=call, fmt=fmt), call=call, fmt=fmt)
            assert back == (_as_fmt1(reply) if fmt == 1 else reply)

    draw()
    assert seen["recorded"] > 0
    if any(_shape(r) != ("list", ()) for r in recorded):
        assert seen["variant"] > 0


@settings(max_examples=40)
@given(FROM_CORPUS["get_answers"])
def test_from_corpus_runs_under_given_with_the_health_checks_on(reply: Reply) -> None:
    assert isinstance(reply, list | ApiError)


def test_a_variant_keeps_each_phone_shape() -> None:
    recorded = [r for r in _recorded("get_answers") if isinstance(r, list) and r]
    phones = {len(m.phone) for r in recorded for m in r if isinstance(m, IncomingMessage)}

    @settings(max_examples=60, database=None)
    @given(FROM_CORPUS["get_answers"])
    def draw(reply: Reply) -> None:
        if isinstance(reply, list):
            for message in reply:
                assert isinstance(message, IncomingMessage)
                assert re.fullmatch(r"\+?[0-9]{5,15}", message.phone)

    draw()
    assert phones  # the fixtures do hold phones to vary


def test_from_corpus_of_an_unknown_call_fails_at_once() -> None:
    with pytest.raises(CorpusError, match="unknown call 'get_nothing'"):
        from_corpus(FIXTURES, "get_nothing")


def test_from_corpus_of_an_empty_folder_fails_at_the_first_draw(tmp_path: Path) -> None:
    strategy = from_corpus(tmp_path, "get_stat")  # building it reads nothing

    @settings(max_examples=1, database=None)
    @given(strategy)
    def draw(reply: Reply) -> None:
        raise AssertionError("nothing to draw")

    with pytest.raises(CorpusError, match="no recorded reply of get_stat"):
        draw()
