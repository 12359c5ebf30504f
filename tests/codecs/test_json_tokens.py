"""The fmt=3 tokenizer: whole and chunked reading agree, errors are worded and placed as the
standard library places them, and parse, iter_parse and the wire view agree (issue 8)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_formats import ParseError, SmscApiError, emit, iter_parse, parse
from smsc_formats.checks.wire import view
from smsc_formats.codecs import json_tokens
from smsc_formats.codecs.json_tokens import JsonTokenizer, load, records
from smsc_formats.codecs.tokens import Token
from smsc_formats.spec import CALLS, ListBody
from smsc_formats.strategies import bodies
from tests.timing import best_of_5

LIST_CALLS = sorted(n for n, c in CALLS.items() if isinstance(c.body, ListBody))
PIECES = [b'"', b"{", b"}", b"[", b"]", b",", b":", b" ", b"1", b"\\", b'"id": 1', b"1e999",
          b"1e9999999999999999999", b"\n", b"", b'"sms": "1"', b"NaN", b"\xd1\x8f", b"tru"]


def _chunked(text: str, sizes: list[int]) -> tuple[list[Any], str | None]:
    """The elements a tokenizer fed in pieces of ``sizes`` (cycled) gives, and its error."""
    tokenizer = JsonTokenizer()
    out: list[Any] = []
    pos, k = 0, 0
    try:
        while pos < len(text):
            size = sizes[k % len(sizes)]
            tokenizer.feed(text[pos:pos + size])
            out += [e.value for e in tokenizer.events()]
            pos += size
            k += 1
        tokenizer.close()
        out += [e.value for e in tokenizer.events()]
    except ParseError as exc:
        return out, str(exc)
    return out, None


def _whole(text: str) -> tuple[Any, str | None]:
    try:
        return load(text), None
    except ParseError as exc:
        return None, str(exc)


def _mutate(data: st.DataObject, body: bytes) -> bytes:
    out = bytearray(body)
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(0, max(len(out) - 1, 0)))
        out[at:at + data.draw(st.integers(0, 4))] = data.draw(st.sampled_from(PIECES))
    return bytes(out)


# -- the standard library's wording and place ------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    ("[1,]", "fmt=3: line 1, column 4: malformed JSON: Expecting value"),
    ("[1 2]", "fmt=3: line 1, column 4: malformed JSON: Expecting ',' delimiter"),
    ("[1] x", "fmt=3: line 1, column 5: malformed JSON: Extra data"),
    ("[", "fmt=3: line 1, column 2: malformed JSON: Expecting value"),
    ("[1", "fmt=3: line 1, column 3: malformed JSON: Expecting ',' delimiter"),
    ('[{"a": 1,}]', "fmt=3: line 1, column 10: malformed JSON: Expecting property name "
                    "enclosed in double quotes"),
    ('[{"a": 1},\n{"a": "x\n', "fmt=3: line 2, column 9: malformed JSON: Invalid control "
                             "character at"),
    ('[{"a": 1},\n{"a": "x', "fmt=3: line 2, column 7: malformed JSON: Unterminated string "
                           "starting at"),
    ('[{"a": 1},\n{"b": 2,\n "b": 3}]', "fmt=3: line 3, column 2: malformed JSON: duplicate "
                                       "key 'b'"),
    ('[{"a": 1},\n{"b": [1e9999999999999999999]}]',
     "fmt=3: line 2, column 8: malformed JSON: number out of range: '1e9999999999999999999'"),
    ('{"a": {"b": 1, "b": 2}}', "fmt=3: line 1, column 16: malformed JSON: duplicate key 'b'"),
    ('  \n {"a": 1} x', "fmt=3: line 2, column 11: malformed JSON: Extra data"),
])
def test_faults_are_worded_and_placed_as_the_standard_library_does(text: str,
                                                                   message: str) -> None:
    assert _whole(text)[1] == message
    for size in (1, 2, 3, 5, 1000):
        assert _chunked(text, [size])[1] == message
    if "duplicate" not in message and "out of range" not in message:
        with pytest.raises(json.JSONDecodeError) as reference:
            json.loads(text)
        assert f"line {reference.value.lineno}, column {reference.value.colno}:" in message


def test_array_items_come_out_as_soon_as_their_text_is_complete() -> None:
    tokenizer = JsonTokenizer()
    tokenizer.feed('[{"a": 1.50, "s": "x\\"}"}, {"a"')
    assert [(e.index, e.value) for e in tokenizer.events()] == [
        (0, {"a": Decimal("1.50"), "s": 'x"}'})]
    tokenizer.feed(": 2}]")
    assert [(e.index, e.value) for e in tokenizer.events()] == [(1, {"a": 2})]
    tokenizer.close()
    assert list(tokenizer.events()) == []


def test_the_first_fault_in_document_order_is_the_one_reported() -> None:
    # a repeated key in item 1 comes before the syntax error in item 2, in both readings
    text = '[{"a": 1},\n{"a": 1, "a": 2},\n{"a" 3}]'
    message = "fmt=3: line 2, column 10: malformed JSON: duplicate key 'a'"
    assert _whole(text)[1] == message
    items, error = _chunked(text, [1])
    assert items == [{"a": 1}]
    assert error == message


def test_nesting_is_limited_alike_in_both_readings() -> None:
    # the limit counts from the root, also for an array item read alone, whatever the stack
    for depth in (json_tokens.MAX_DEPTH - 1, json_tokens.MAX_DEPTH, 980, 2000):
        text = '[0,\n' + '[{"a":' * (depth // 2) + "1" + "}]" * (depth // 2) + "]"
        levels = 1 + depth // 2 * 2
        k = json_tokens.MAX_DEPTH - 1  # the bracket (0-based, on line 2) opening the level too many
        message = None if levels <= json_tokens.MAX_DEPTH else (
            f"fmt=3: line 2, column {k // 2 * 6 + 1 + k % 2}: malformed JSON: nested "
            f"too deeply (more than {json_tokens.MAX_DEPTH} levels)")
        assert _whole(text)[1] == message, depth
        for size in (1, 4096):
            assert _chunked(text, [size])[1] == message, (depth, size)
    # a duplicate key before the level too many is the first fault
    text = '[{"a": 1, "a": 2, "b": ' + "[" * 600 + "]" * 600 + "}]"
    message = "fmt=3: line 1, column 11: malformed JSON: duplicate key 'a'"
    assert _whole(text)[1] == message
    assert _chunked(text, [7])[1] == message


def test_records_are_tokens_with_their_place_and_json_type() -> None:
    text = '{"zones": [\n{"id": 1, "name": "a\\u0062", "ok": true, "x": null}],\n"mail": "2"}'
    got = records(text)
    assert [r.path for r in got] == ["$", "$.zones[0]"]
    assert got[0].tokens == (Token("zones", None, 1, 11, "array"), Token("mail", "2", 3, 9,
                                                                         "string"))
    assert got[1].tokens == (Token("id", "1", 2, 8, "number"), Token("name", "ab", 2, 19,
                                                                    "string"),
                             Token("ok", "true", 2, 36, "boolean"),
                             Token("x", None, 2, 47, "null"))
    assert json_tokens.root_type(text) == "object"
    assert json_tokens.root_type(" [1]") == "array"


# -- properties ----------------------------------------------------------------------------


@settings(max_examples=300)
@given(data=st.data(), call=st.sampled_from(sorted(CALLS)))
def test_whole_and_chunked_reading_agree_on_mutated_bodies(data: st.DataObject,
                                                           call: str) -> None:
    body = _mutate(data, data.draw(bodies(call, 3)))
    text = body.decode("utf-8", "replace")
    value, error = _whole(text)
    sizes = data.draw(st.lists(st.integers(1, 64), min_size=1, max_size=5))
    for chunking in (sizes, [1]):
        items, streamed_error = _chunked(text, chunking)
        assert streamed_error == error, (text, chunking)
        if error is None:
            assert items == (value if isinstance(value, list) and text.lstrip().startswith("[")
                             else [value])


def _big(data: st.DataObject, call: str) -> bytes:
    """A list body of ``call`` past iter_parse's 4 KiB head (so it really streams)."""
    body = data.draw(bodies(call, 3))
    rows = parse(body, call=call, fmt=3)
    if not isinstance(rows, list) or not rows:
        return b""
    once = emit(rows, call=call, fmt=3)
    return emit(rows * (4096 // len(once) + 2), call=call, fmt=3)


def _parsed(body: bytes, call: str) -> tuple[Any, str | None]:
    try:
        return parse(body, call=call, fmt=3), None
    except ParseError as exc:
        return None, str(exc)


def _streamed(body: bytes, call: str, size: int) -> tuple[list[Any], str | None]:
    out: list[Any] = []
    try:
        for record in iter_parse([body[i:i + size] for i in range(0, len(body), size)],
                                 call=call, fmt=3):
            out.append(record)
    except (ParseError, SmscApiError) as exc:
        return out, str(exc)
    return out, None


@settings(max_examples=60, deadline=None)
@given(data=st.data(), call=st.sampled_from(LIST_CALLS))
def test_parse_iter_parse_and_the_view_agree_on_mutated_big_bodies(data: st.DataObject,
                                                                  call: str) -> None:
    body = _big(data, call)
    if not body:
        return
    start = data.draw(st.integers(len(body) // 2, len(body) - 1))
    body = body[:start] + _mutate(data, body[start:])
    value, error = _parsed(body, call)
    for size in (data.draw(st.integers(2, 5000)), 1):
        items, streamed_error = _streamed(body, call, size)
        assert streamed_error == error, size
        if error is None:
            assert items == value
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return
    problem = view(text, call=call, fmt=3).problem
    if error is not None and "malformed JSON" in error:
        assert str(problem) == error  # a syntax fault comes first: the view meets the same
    if problem is not None:  # parse may meet a bad record before the view's syntax fault
        assert error is not None
        assert str(problem) == error or "malformed JSON" not in error


# -- linear time -------------------------------------------------------------------------------

LONG_ELEMENTS: dict[str, Callable[[int], str]] = {
    # one long string, escapes included, inside an object and as an item of its own: a
    # string cut by a piece was read again from its start with every piece (quadratic)
    "escaped-string-in-object": lambda n: '[{"message": "' + 'a\\"' * n + '"}]',
    "string-item": lambda n: '["' + "b\\\\" * n + '"]',
    "many-items": lambda n: "[" + ", ".join(['{"id": "1"}'] * (n // 4)) + "]",
}


def _feed_all(text: str, size: int = 4096) -> int:
    tokenizer = json_tokens.JsonTokenizer()
    for i in range(0, len(text), size):
        tokenizer.feed(text[i:i + size])
    tokenizer.close()
    return len(list(tokenizer.events()))


@pytest.mark.parametrize("name", sorted(LONG_ELEMENTS))
def test_feeding_a_long_element_takes_linear_time(name: str) -> None:
    """Ratios only: a 16x longer element fed in 4 KiB pieces may take at most 64x as long
    (linear 16x, quadratic 256x)."""
    build = LONG_ELEMENTS[name]
    small, big = build(5_000), build(80_000)
    assert len(big) >= 15 * len(small)
    ratio = best_of_5(lambda: _feed_all(big)) / best_of_5(lambda: _feed_all(small))
    assert ratio < 64, f"{name}: x16 element took x{ratio:.1f} time"
