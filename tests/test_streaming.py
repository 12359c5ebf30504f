"""iter_parse: a streamed list body gives exactly parse()'s list, in a flat memory footprint."""

from __future__ import annotations

import gc
import io
import tracemalloc
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsc_formats import (
    ApiError,
    IncomingMessage,
    ParseError,
    SmscApiError,
    UsageError,
    emit,
    iter_parse,
    parse,
    streaming,
)
from smsc_formats.spec import CALLS, ListBody
from smsc_formats.strategies import replies
from smsc_formats.values import MOSCOW

DATA = Path(__file__).parent / "data"
LIST_CALLS = sorted(name for name, c in CALLS.items() if isinstance(c.body, ListBody))


def _cut(body: bytes, cuts: list[int]) -> list[bytes]:
    """``body`` in chunks at the given offsets (which may fall inside a UTF-8 character)."""
    edges = [0, *sorted({c % (len(body) + 1) for c in cuts}), len(body)]
    return [body[a:b] for a, b in pairwise(edges)]


@pytest.fixture(params=["streamed", "short-bodies-whole"])
def head(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Stream even tiny bodies (head of 1 byte), or keep the 4 KiB rule for short bodies."""
    if request.param == "streamed":
        monkeypatch.setattr(streaming, "HEAD", 1)
    return str(request.param)


def test_list_calls_are_the_streamable_ones() -> None:
    assert LIST_CALLS == ["get_answers", "get_messages", "get_stat"]


@pytest.mark.parametrize("call", LIST_CALLS)
@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_streamed_equals_parse(call: str, fmt: int, head: str, data: st.DataObject) -> None:
    value = data.draw(replies(call, max_records=8))
    body = emit(value, call=call, fmt=fmt)
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=12))
    chunks = _cut(body, cuts)
    expected = parse(body, call=call, fmt=fmt)
    if isinstance(expected, ApiError):
        with pytest.raises(SmscApiError) as raised:
            list(iter_parse(iter(chunks), call=call, fmt=fmt))
        assert raised.value.error == expected
    else:
        assert list(iter_parse(iter(chunks), call=call, fmt=fmt)) == expected
        assert list(iter_parse(io.BytesIO(body), call=call, fmt=None)) == expected


def test_split_inside_a_multibyte_character(head: str) -> None:
    record = IncomingMessage(1, datetime(2026, 11, 24, 13, 5, 9, tzinfo=MOSCOW), "79031234567",
                             "Привет 😀, мир", "79161112233",
                             datetime(2026, 11, 24, 13, 5, 1, tzinfo=MOSCOW))
    for fmt in range(4):
        body = emit([record] * 3, call="get_answers", fmt=fmt)
        emoji = body.index("😀".encode())
        chunks = [body[:emoji + 1], body[emoji + 1:emoji + 3], body[emoji + 3:]]
        assert list(iter_parse(chunks, call="get_answers", fmt=fmt)) == [record] * 3


def _answers(count: int) -> list[IncomingMessage]:
    start = datetime(2026, 11, 17, tzinfo=MOSCOW)
    return [IncomingMessage(i, start + timedelta(seconds=37 * i), f"7903{i:07d}",
                            f"Сообщение номер {i}, с запятой = и «кавычками» & <тегом> 👍",
                            "79161112233", start + timedelta(seconds=37 * i - 5))
            for i in range(1, count + 1)]


def _peak(body: bytes, fmt: int) -> int:
    """Peak bytes allocated while counting the streamed records of ``body``."""

    def count() -> int:
        return sum(1 for _ in iter_parse(io.BytesIO(body), call="get_answers", fmt=fmt))

    count()  # warm the readers' caches outside the measurement
    gc.collect()
    tracemalloc.start()
    try:
        counted = count()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counted == body.count(b"\n") or counted > 0
    return peak


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_memory_stays_flat_as_the_list_grows(fmt: int) -> None:
    small = emit(_answers(1_000), call="get_answers", fmt=fmt)
    big = emit(_answers(10_000), call="get_answers", fmt=fmt)
    assert len(big) > 9 * len(small)
    small_peak, big_peak = _peak(small, fmt), _peak(big, fmt)
    assert big_peak < 3 * small_peak, (small_peak, big_peak)
    assert big_peak < len(big), "streaming must not hold the body (parse() needs several times it)"


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_errors_keep_parse_positions(fmt: int, head: str) -> None:
    good = emit(_answers(3), call="get_answers", fmt=fmt)
    assert good.count(b"17.11.2026 00:01:14") == 1  # the second record's "received"
    broken = good.replace(b"17.11.2026 00:01:14", b"31.02.2026 00:01:14")
    assert broken != good
    with pytest.raises(ParseError) as whole:
        parse(broken, call="get_answers", fmt=fmt)
    streamed: list[object] = []
    with pytest.raises(ParseError) as raised:
        streamed.extend(iter_parse(_in_pieces(broken, 7), call="get_answers", fmt=fmt))
    assert str(raised.value) == str(whole.value)


def _in_pieces(body: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start:start + size]


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_malformed_bodies_raise_parse_error(fmt: int) -> None:
    good = emit(_answers(200), call="get_answers", fmt=fmt)
    truncated = good[:len(good) // 2] + {0: b"\nnonsense", 1: b"\nnonsense", 2: b"<sms>",
                                         3: b"{"}[fmt]
    with pytest.raises(ParseError):
        list(iter_parse(_in_pieces(truncated, 4096), call="get_answers", fmt=fmt))


def test_xml_entities_are_refused_when_streaming() -> None:
    body = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">]>\n<sms_answers>\n'
            + b"<sms><id>&lol;</id></sms>\n" * 400 + b"</sms_answers>")
    with pytest.raises(ParseError, match="DTD"):
        list(iter_parse([body], call="get_answers", fmt=2))


def test_only_list_calls_stream() -> None:
    with pytest.raises(UsageError, match="iter_parse streams list calls"):
        list(iter_parse([b"{}"], call="get_price", fmt=3))


def test_a_whole_body_as_bytes_is_one_chunk() -> None:
    # Iterating a bytes object gives ints: the body must not be read as ints turned to bytes.
    body = (DATA / "valid" / "get_answers" / "default.json").read_bytes()
    expected = parse(body, call="get_answers", fmt=3)
    assert expected
    assert list(iter_parse(body, call="get_answers", fmt=3)) == expected
    assert list(iter_parse(bytearray(body), call="get_answers", fmt=3)) == expected
    assert list(iter_parse(b"[]", call="get_answers", fmt=3)) == []


def test_text_instead_of_bytes_is_a_usage_error_that_says_so(tmp_path: Path) -> None:
    path = tmp_path / "body.json"
    path.write_bytes(b"[]")
    with open(path, encoding="utf-8") as text_file, \
            pytest.raises(UsageError, match=r"got a str chunk \(open the file in binary mode"):
        list(iter_parse(text_file, call="get_answers", fmt=3))  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"pass a binary file \(opened 'rb'\).*not str"):
        list(iter_parse(str(path), call="get_answers", fmt=3))  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"not int"):
        list(iter_parse(12, call="get_answers", fmt=3))  # type: ignore[arg-type]


def _big_stat(fmt: int) -> bytes:
    body = (DATA / "valid" / "get_stat" / f"default.{'xml' if fmt == 2 else 'json'}").read_bytes()
    rows = parse(body, call="get_stat", fmt=fmt)
    assert isinstance(rows, list)
    return emit(rows * 60, call="get_stat", fmt=fmt)


@pytest.mark.parametrize(("fmt", "old", "new", "message"), [
    (2, b"<currency>RUR</currency>", b"<currency>RU<b/>R</currency>",
     "get_stat fmt=2: line {line}, column 1, $[80].currency: mixed content: text 'RU' beside "
     "child elements in <currency>"),
    (2, b"<sms>12</sms>", b"<sms>12</sms>\n<sms>13</sms>",
     "get_stat fmt=2: line {next}, column 1, $[80].sms: <sms> appears twice in <stat>"),
    (2, b"</stat>\n<stat>", b"</stat>\nstray\n<stat>",
     "get_stat fmt=2: line {next}, column 1, $: mixed content: text 'stray' beside child "
     "elements in <list>"),
    (3, b'"sms": "12",', b'"sms": "12",\n"sms": "13",',
     "get_stat fmt=3: line {next}, column 1: malformed JSON: duplicate key 'sms'"),
])
def test_mixed_content_and_duplicates_stop_parse_and_stream_alike(
        fmt: int, old: bytes, new: bytes, message: str) -> None:
    body = _big_stat(fmt)
    at = body.index(old, len(body) * 2 // 3)  # well past the 4 KiB head
    bad = body[:at] + body[at:].replace(old, new, 1)
    line = bad.count(b"\n", 0, at) + 1  # the line of the fault: the replaced text's
    message = message.format(line=line, next=line + 1)
    with pytest.raises(ParseError) as whole:
        parse(bad, call="get_stat", fmt=fmt)
    assert str(whole.value) == message
    for size in (1, 7, 100, 4096):
        chunks = [bad[i:i + size] for i in range(0, len(bad), size)]
        with pytest.raises(ParseError) as streamed:
            list(iter_parse(chunks, call="get_stat", fmt=fmt))
        assert str(streamed.value) == message


def _fault_and_records(chunks: list[bytes], call: str) -> tuple[str, int]:
    got: list[object] = []
    with pytest.raises(ParseError) as raised:
        got.extend(iter_parse(chunks, call=call, fmt=2))
    return str(raised.value), len(got)


@pytest.mark.parametrize(("old", "new", "message", "before"), [
    (b"</stat>\n<stat>", b"</stat>\n<sms><id>1</id></sms>\n<stat>",
     "get_stat fmt=2: line {next}, column 1, $: <list> holds <sms>, expected only <stat> "
     "records", 81),
    (b"</stat>\n<stat>", b"</stat>\n<!DOCTYPE x>\n<stat>",
     "get_stat fmt=2: line {next}, column 1: DTDs and entity declarations are not allowed", 81),
])
def test_xml_faults_come_after_the_records_before_them_in_any_chunking(
        old: bytes, new: bytes, message: str, before: int) -> None:
    """fmt=2 (one tokenizer): the same fault, at the same place, after the same records."""
    body = _big_stat(2)
    at = body.index(old, len(body) * 2 // 3)
    records_before = body.count(b"</stat>", 0, at + len(b"</stat>"))
    assert records_before == before
    bad = body[:at] + body[at:].replace(old, new, 1)
    line = bad.count(b"\n", 0, at) + 1
    message = message.format(next=line + 1)
    with pytest.raises(ParseError) as whole:
        parse(bad, call="get_stat", fmt=2)
    assert str(whole.value) == message
    for size in (1, 5, 9, 100, 4096):
        fault, count = _fault_and_records([bad[i:i + size] for i in range(0, len(bad), size)],
                                          "get_stat")
        assert fault == str(whole.value)
        assert count == before


def test_blank_lines_past_the_head_do_not_hide_the_format() -> None:
    """fmt=None, over 4 KiB of blank lines before the records (an attacker's find): the
    stream looks past them for the format, as parse does."""
    for name in ("default.txt", "default.json"):
        body = b"\n" * 5000 + (DATA / "valid" / "get_messages" / name).read_bytes()
        expected = parse(body, call="get_messages")
        assert expected
        for size in (7, 4096):
            chunks = [body[i:i + size] for i in range(0, len(body), size)]
            assert list(iter_parse(chunks, call="get_messages", fmt=None)) == expected
