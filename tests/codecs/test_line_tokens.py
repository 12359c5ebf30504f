"""The one fmt=0/1 tokenizer: parse, iter_parse and the wire view read every body alike.

The properties run over the strategies' bodies (what ``emit`` writes, i.e. what the server
writes) and over the same bodies mutated with separators, line breaks and keys; the examples
are the issue's: key-like message text, CRLF bodies with long lines, line breaks outside the
free text, and the fmt=0 body that made the old record pattern backtrack.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_formats import ApiError, EmitError, ParseError, emit, iter_parse, parse, streaming
from smsc_formats.checks.conformance import check_body
from smsc_formats.checks.wire import expected, view
from smsc_formats.codecs import line_tokens
from smsc_formats.codecs.plan import record_plan
from smsc_formats.model import SmscApiError
from smsc_formats.spec import CALLS, ListBody, OneOrListBody, RecordBody, SectionsBody
from smsc_formats.strategies import bodies, replies
from smsc_formats.values import MOSCOW
from tests.timing import best_of_5

CALL_FMT = [(call, fmt) for call in CALLS for fmt in (0, 1)]
LIST_CALLS = [(c, f) for c, f in CALL_FMT if isinstance(CALLS[c].body, ListBody)]
NOISE = st.sampled_from(["\n", "\r\n", ",", ", ", " = ", ", type = 7", ", ID = 9", "\r",
                         ", id = 1", "Status = 1, ", "0,-9", "x", "", "\n\n", ",,,"])


def _kinds(call: str, fmt: int) -> list[Any]:
    body = CALLS[call].body
    if isinstance(body, ListBody | RecordBody):
        return [record_plan(body.record, fmt)]
    if isinstance(body, OneOrListBody):
        return [record_plan(body.one, fmt), record_plan(body.many, fmt)]
    assert isinstance(body, SectionsBody)
    return [*(record_plan(s.record, fmt) for s in body.sections), body.tail]


def _outcome(run: Callable[[], Any]) -> Any:
    try:
        return ("ok", run())
    except ParseError as exc:
        return ("parse-error", str(exc))
    except SmscApiError as exc:
        return ("api-error", exc.error)


def _parsed(body: bytes, call: str, fmt: int) -> Any:
    def run() -> Any:
        reply = parse(body, call=call, fmt=fmt)
        if isinstance(reply, ApiError):
            raise SmscApiError(reply)
        return reply
    return _outcome(run)


def _pieces(text: str, sizes: list[int]) -> list[str]:
    out, at, k = [], 0, 0
    while at < len(text):
        size = sizes[k % len(sizes)]
        out.append(text[at:at + size])
        at += size
        k += 1
    return out


def _events(pieces: list[str], kinds: list[Any], fmt: int) -> list[Any]:
    tokenizer = line_tokens.LineTokenizer(kinds, fmt)
    got: list[Any] = []
    for piece in pieces:
        tokenizer.feed(piece)
        got += tokenizer.events()
    tokenizer.close()
    return got + list(tokenizer.events())


def _mutate(body: bytes, edits: list[tuple[int, str]]) -> bytes:
    text = body.decode("utf-8")
    for at, noise in edits:
        cut = at % (len(text) + 1)
        text = text[:cut] + noise + text[cut:]
    return text.encode("utf-8")


SIZES = st.lists(st.integers(1, 40), min_size=1, max_size=5) | st.just([1])
EDITS = st.lists(st.tuples(st.integers(0, 10_000), NOISE), max_size=4)


@pytest.mark.parametrize(("call", "fmt"), CALL_FMT)
@settings(max_examples=60)
@given(data=st.data())
def test_any_chunking_gives_the_same_records(call: str, fmt: int, data: st.DataObject) -> None:
    body = data.draw(bodies(call, fmt))
    body = _mutate(body, data.draw(EDITS))
    text = body.decode("utf-8")
    kinds = _kinds(call, fmt)
    whole = _events([text], kinds, fmt)
    assert _events(_pieces(text, data.draw(SIZES)), kinds, fmt) == whole


@pytest.mark.parametrize(("call", "fmt"), LIST_CALLS)
@settings(max_examples=80)
@given(data=st.data())
def test_the_whole_body_shortcut_gives_the_tokenizers_records(call: str, fmt: int,
                                                               data: st.DataObject) -> None:
    body = data.draw(bodies(call, fmt))
    body = _mutate(body, data.draw(EDITS))
    if data.draw(st.booleans()):
        body = body.replace(b"\n", b"\r\n")
    text = body.decode("utf-8")
    plan = _kinds(call, fmt)[0]
    events = _events([text], [plan], fmt)
    got = line_tokens.record_texts(text, plan)
    if got is not None:  # None: the caller reads the body with the tokenizer
        assert not any(isinstance(e, line_tokens.Orphan) for e in events)
        assert got == [e.text for e in events]


@pytest.mark.parametrize(("text", "records"), [
    # blank lines inside a message stay, those before the next record too, those at the end go
    ("id = 1, x\n\nmore\n\nid = 2, y\n\n", ["id = 1, x\n\nmore\n", "id = 2, y"]),
    ("id = 1, x\r\n a\r\nid = 2, y\r", ["id = 1, x\n a", "id = 2, y\r"]),
    ("id = 1, x\nid = 2, y", ["id = 1, x", "id = 2, y"]),
    ("", []),
    ("\nid = 1, x", None),  # a line before the first record: the tokenizer decides
    ("more\nid = 1, x", None),
])
def test_the_whole_body_shortcut_on_examples(text: str, records: list[str] | None) -> None:
    body = CALLS["get_answers"].body
    assert isinstance(body, ListBody)
    plan = record_plan(body.record, 0)
    assert line_tokens.record_texts(text, plan) == records
    if records is not None:
        assert [e.text for e in _events([text], [plan], 0)] == records


@pytest.mark.parametrize(("call", "fmt"), LIST_CALLS)
@settings(max_examples=60)
@given(data=st.data())
def test_iter_parse_agrees_with_parse(call: str, fmt: int, data: st.DataObject) -> None:
    body = data.draw(bodies(call, fmt))
    if data.draw(st.booleans()):
        body = _mutate(body, data.draw(EDITS))
    if data.draw(st.booleans()):
        body = body.replace(b"\n", b"\r\n")
    sizes = data.draw(SIZES)
    chunks = [body[i:i + sizes[0]] for i in range(0, len(body), sizes[0])]
    expected_ = _parsed(body, call, fmt)
    with mock.patch.object(streaming, "HEAD", 1):  # stream even short bodies
        got = _outcome(lambda: list(iter_parse(iter(chunks), call=call, fmt=fmt)))
    assert got == expected_


@pytest.mark.parametrize(("call", "fmt"), CALL_FMT)
@settings(max_examples=40)
@given(data=st.data())
def test_the_wire_view_reads_what_parse_reads(call: str, fmt: int,
                                              data: st.DataObject) -> None:
    reply = data.draw(replies(call, with_errors=False))
    body = emit(reply, call=call, fmt=fmt)
    text = body.decode("utf-8")
    v = view(text, call=call, fmt=fmt)
    assert v.problem is None
    promised = expected(CALLS[call], fmt)
    for record in v.records:
        assert not record.guessed
        exp = promised[record.group]
        keys = [k for k in exp.keys if k not in exp.optional]
        assert [k for k in record.keys() if k in keys] == keys  # noqa: SIM118
        assert set(record.keys()) <= set(exp.keys)
    assert check_body(body, call=call, fmt=fmt) == []
    records = reply if isinstance(reply, list) else None
    if records is not None and records:
        plan = record_plan(_spec(call), fmt)
        for model, raw in zip(records, v.records, strict=True):
            for sp in plan.slots:
                value = getattr(model, sp.field.name)
                item = raw.get(sp.slot.wire)
                if value is None:
                    assert item is None or item.raw == ""
                    continue
                assert item is not None
                assert item.raw == sp.write(value)


def _spec(call: str) -> Any:
    body = CALLS[call].body
    if isinstance(body, ListBody):
        return body.record
    assert isinstance(body, OneOrListBody)
    return body.many


TRICKY = ["a, b = c, d", "Ваш заказ №5 готов, type = 7, ID = 99, int_id = 1",
          "type = 7, ID = 99", "ERROR = 2 (authorise error)", "0,-9", "x = 1, y = 2",
          ", to_phone = 79990001122, sent = 24.11.2026 13:05:09", ",,,", " = ", "a,b,,c",
          "message = m, crc = 1, format = 0"]
TRICKY_LINES = ["x\nID = 99, type = 7", "x\n12,ok", "first\n0,-9", "a\nERROR = 2 (x)",
                "one\n\nthree", "x\nreceived = 24.11.2026 13:05:09, id = 5",
                "x\n1,24.11.2026 13:05:09"]


def _with_text(reply: Any, text: str) -> Any:
    def one(record: Any) -> Any:
        spec = getattr(record, "__dataclass_fields__", {})
        for name in ("message", "link", "name"):
            if name in spec:
                return dataclasses.replace(record, **{name: text})
        return record
    if isinstance(reply, list):
        return [one(r) for r in reply]
    if hasattr(reply, "zones"):
        return dataclasses.replace(reply, zones=tuple(one(z) for z in reply.zones))
    return one(reply)


@pytest.mark.parametrize(("call", "fmt"), CALL_FMT)
@settings(max_examples=25)
@given(data=st.data())
def test_check_finds_nothing_in_emitted_tricky_texts(call: str, fmt: int,
                                                     data: st.DataObject) -> None:
    reply = data.draw(replies(call, with_errors=False))
    multiline = call in ("get_messages", "get_answers")
    text = data.draw(st.sampled_from(TRICKY + (TRICKY_LINES if multiline else [])))
    reply = _with_text(reply, text)
    try:
        body = emit(reply, call=call, fmt=fmt)
    except EmitError:  # a comma or line break where the format cannot carry it
        assert fmt == 1 or "\n" in text
        return
    assert check_body(body, call=call, fmt=fmt) == []
    assert parse(body, call=call, fmt=fmt) == reply


def test_key_like_message_text_is_no_extra_field() -> None:
    body = (b"Status = 1, check_time = 24.11.2026 13:05:09, send_date = 24.11.2026 13:05:02, "
            b"phone = 79999999999, mccmnc = 25001, country = Russia, operator = MTS, "
            b"region = , cost = 1.5, sender_id = SMSC, status_name = ok, message = "
            + "Ваш заказ №5 готов, type = 7, ID = 99, int_id = 1".encode()
            + b", type = 0, ID = 5, int_id = 6, sms_cnt = 1, format = 0, crc = 0")
    assert check_body(body, call="get_messages", fmt=0) == []
    (record,) = view(body.decode(), call="get_messages", fmt=0).records
    message = record.get("message")
    assert message is not None
    assert message.raw == "Ваш заказ №5 готов, type = 7, ID = 99, int_id = 1"
    parsed: Any
    (parsed,) = parse(body, call="get_messages", fmt=0)  # type: ignore[misc]
    assert (parsed.type, parsed.id, parsed.int_id) == (0, 5, 6)


def test_an_emitted_continuation_that_would_begin_a_record_is_refused() -> None:
    record: Any
    (record,) = parse(b"id = 1, received = 24.11.2026 13:05:09, phone = 79991234567, "
                      b"message = hi, to_phone = 79990001122, sent = 24.11.2026 13:05:09",
                      call="get_answers", fmt=0)  # type: ignore[misc]
    bad = dataclasses.replace(record, message="x\nid = 5, received = 1")
    with pytest.raises(EmitError, match="would begin a new record"):
        emit([bad], call="get_answers", fmt=0)


@pytest.mark.parametrize(("body", "fmt", "col"), [
    (b"id = 7, received = 24.11.2026 13:05:09, phone = 79031234567, message = hi, "
     b"to_phone = 1\n2, sent = 24.11.2026 13:05:01", 0, 88),
    (b"1,1795514709,,1795514702,79999999999,25001,a,b,c,1.5,s,ok,hi,0,1,2,1,0,1\n2", 1, 73),
])
def test_a_line_break_outside_the_free_text_is_an_error(body: bytes, fmt: int,
                                                        col: int) -> None:
    call = "get_answers" if fmt == 0 else "get_messages"
    with pytest.raises(ParseError, match="a line break in field") as caught:
        parse(body, call=call, fmt=fmt)
    assert (caught.value.line, caught.value.col) == (1, col)
    with mock.patch.object(streaming, "HEAD", 1), pytest.raises(ParseError) as streamed:
        list(iter_parse([body[i:i + 1] for i in range(len(body))], call=call, fmt=fmt))
    assert str(streamed.value) == str(caught.value)


@pytest.mark.parametrize("fmt", [0, 1])
@pytest.mark.parametrize("size", [1, 100, 4096])
def test_a_crlf_body_with_a_long_first_line_streams_like_parse(fmt: int, size: int) -> None:
    record: Any
    (record,) = parse(b"id = 1, received = 24.11.2026 13:05:09, phone = 79991234567, "
                      b"message = hi, to_phone = 79990001122, sent = 24.11.2026 13:05:09",
                      call="get_answers", fmt=0)  # type: ignore[misc]
    long = dataclasses.replace(record, message="м" * 5000)
    body = emit([long, record], call="get_answers", fmt=fmt).replace(b"\n", b"\r\n")
    chunks = [body[i:i + size] for i in range(0, len(body), size)]
    streamed = list(iter_parse(chunks, call="get_answers", fmt=fmt))
    assert streamed == parse(body, call="get_answers", fmt=fmt) == [long, record]


# -- linear time -------------------------------------------------------------------------------


def _messages_keys(last: bool) -> str:
    plan = record_plan(_spec("get_messages"), 0)
    slots = plan.slots if last else plan.slots[:-1]
    return ", ".join(f"{sp.slot.wire} = 1" for sp in slots)


ADVERSARIAL: dict[str, tuple[str, int, Callable[[int], str]]] = {
    # the record's keys without the last one, repeated (the old pattern took 1.7 s at 1.7 KB)
    "fmt0-keys-but-last": ("get_messages", 0, lambda n: ", ".join([_messages_keys(False)] * n)),
    "fmt0-keys-repeated": ("get_messages", 0, lambda n: ", ".join([_messages_keys(True)] * n)),
    "fmt0-key-like-message": ("get_messages", 0, lambda n: _messages_keys(True).replace(
        "message = 1", "message = " + ", type = 7, ID = 9" * n)),
    "fmt0-separators": ("get_answers", 0, lambda n: "id = 1, " + ", , = " * (4 * n)),
    "fmt1-commas": ("get_messages", 1, lambda n: "1,1795514709,,1795514702" + "," * (20 * n)),
    "fmt1-continuations": ("get_messages", 1, lambda n: "1,1795514709,,1795514702,7,2,a,b,c,1,"
                           "s,ok,hi" + "\n12,ok" * (4 * n) + ",0,1,2,1,0,1"),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_reading_time_grows_linearly(name: str) -> None:
    """Ratios only: a body 16x as long may take at most 64x as long. Linear time gives 16x,
    quadratic 256x, so the bound leaves a factor of four for noise on either side."""
    call, fmt, build = ADVERSARIAL[name]

    def read(body: bytes) -> Callable[[], object]:
        def run() -> object:
            check_body(body, call=call, fmt=fmt)  # parses, and views the tokens
            return _outcome(lambda: parse(body, call=call, fmt=fmt))
        return run

    small, big = build(200).encode(), build(3200).encode()
    assert len(big) >= 15 * len(small)
    ratio = best_of_5(read(big)) / best_of_5(read(small))
    assert ratio < 64, f"{name}: x16 body took x{ratio:.1f} time"


# -- the line-break rules, as emit checks them ----------------------------------------------

_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _plan(call: str, fmt: int) -> Any:
    body = CALLS[call].body
    assert isinstance(body, ListBody)
    return record_plan(body.record, fmt, MOSCOW)


@pytest.mark.parametrize("fmt", [0, 1])
@pytest.mark.parametrize("change", [
    lambda b: b, lambda b: b + "\n", lambda b: b + "\n\n", lambda b: b.replace("\n", "\r\n", 1),
    lambda b: b.replace("\n", "\r\n"), lambda b: b.replace("\n", "\r\n") + "\r",
    lambda b: b.replace("\n", "\n\n", 1), lambda b: b.replace("\n", "\rx\n", 1), lambda b: b + "\r",
    lambda b: b.replace("\n", "\n\r\n", 1),
])
def test_misread_breaks_says_when_the_tokenizer_would_not_read_the_lines_as_written(
        fmt: int, change: Callable[[str], str]) -> None:
    """``misread_breaks`` is None exactly when the tokenizer gives back the body's own lines:
    its record texts joined by line breaks are the body (the recorded body, its line breaks
    changed)."""
    name = "fmt0.txt" if fmt == 0 else "fmt1.csv"
    body = change((_FIXTURES / "get_answers" / "default" / name).read_text("utf-8"))
    plan = _plan("get_answers", fmt)
    texts = [e.text for e in line_tokens.tokenize(body, [plan], fmt)
             if isinstance(e, line_tokens.LineRecord)]
    read_as_written = "\n".join(texts) == body
    assert (line_tokens.misread_breaks(body) is None) == read_as_written, repr(body[-30:])
    assert line_tokens.misread_breaks(body.encode()) == line_tokens.misread_breaks(body)


def test_a_last_line_with_too_few_commas_never_completes_a_head() -> None:
    """``completes_head``: in fmt=1 a free text's last line goes on with the later fields on
    one physical line. Cut a recorded record line after each of its cells: the first part
    as the last line, the next cells as the later fields. Wherever the tokenizer's own head
    test finds a head in the line they make, ``completes_head`` must have said so (and it
    does find some, so the check is not vacuous)."""
    plan = _plan("get_messages", 1)
    completes = line_tokens.completes_head(plan)
    assert completes is not None
    assert line_tokens.completes_head(_plan("get_messages", 0)) is None
    assert line_tokens.completes_head(_plan("get_answers", 1)) is None  # the text is last
    cells = (_FIXTURES / "get_messages" / "default" / "fmt1.csv").read_text(
        "utf-8").split("\n")[0].split(",")
    later = plan.width - (plan.free or 0) - 1
    heads = 0
    for k in range(1, len(cells) - later):
        last, rest = ",".join(cells[:k]), ",".join(cells[k:k + later])
        if line_tokens.head(plan, 1)(last + "," + rest):
            heads += 1
            assert completes("x\n" + last), k
    assert heads > 0
