"""The generated readers and writers agree with the reference code, or decline."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_formats import ParseError
from smsc_formats.codecs import CODECS, fast, xml_tokens
from smsc_formats.codecs.lines import LineCodec, _Chunk
from smsc_formats.codecs.plan import RecordPlan, record_plan
from smsc_formats.spec import CALLS, CallSpec, RecordSpec
from smsc_formats.strategies import records
from smsc_formats.values import MOSCOW

RECORDS = [(call, spec) for call in CALLS.values() for spec in call.records()]


def _reference_text(record: Any, plan: RecordPlan) -> str:
    codec: Any = CODECS[plan.fmt]
    if plan.fmt in (0, 1):
        return str(codec._line(record, plan))
    if plan.fmt == 2:
        return str(codec._element(record, plan))
    return str(codec._object(record, plan))


def _fast_text(record: Any, plan: RecordPlan) -> str | None:
    write = {0: fast.line_writer, 1: fast.line_writer, 2: fast.xml_writer,
             3: fast.json_writer}[plan.fmt](plan)
    return write(record)


def _reads(text: str, plan: RecordPlan, call: CallSpec) -> tuple[Any, Any]:
    """(generated reader's value or None, reference reader's value) for one record's text."""
    codec: Any = CODECS[plan.fmt]
    if plan.fmt in (0, 1):
        assert isinstance(codec, LineCodec)
        return (codec.read_text(plan, text),
                codec._record(_Chunk(plan, 1, text), call))
    if plan.fmt == 2:
        record = xml_tokens.tokenize(text, xml_tokens.Shape({}))[1]
        assert isinstance(record, xml_tokens.XmlRecord)
        return fast.xml_reader(plan, MOSCOW)(record), codec._record(record, plan, call, "$")
    obj = json.loads(text, parse_float=Decimal)
    return fast.json_reader(plan, MOSCOW)(obj), codec._record(obj, plan, call, "$")


@pytest.mark.parametrize(("call", "spec"), RECORDS, ids=lambda x: getattr(x, "name", ""))
@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
@settings(max_examples=30)
@given(data=st.data())
def test_generated_code_agrees_with_the_reference(call: CallSpec, spec: RecordSpec, fmt: int,
                                                  data: st.DataObject) -> None:
    record = data.draw(records(spec))
    plan = record_plan(spec, fmt, MOSCOW)
    text = _reference_text(record, plan)
    assert _fast_text(record, plan) == text
    got, expected = _reads(text, plan, call)
    assert expected == record
    assert got == expected


GOOD = "id = 7, received = 24.11.2026 13:05:09, phone = 79031234567, message = Привет, мир, " \
       "to_phone = 79161112233, sent = 24.11.2026 13:05:01"


@pytest.mark.parametrize("bad", [
    "received = 31.02.2026 13:05:09", "received = 24.11.2026 24:00:00",
    "received = 24.11.2026 13:60:09", "received = 24.11.2026 13:05:60",
    "received =  4.11.2026 13:05:09", "received = ٢٤.11.2026 13:05:09",
    "received = 24.11.2026 13:05:09 ", "id = +7", "id =  7", "id = 1_000", "id = ٧",
    "id = 7-1", "id = --7", "id = -", "received = 24.11.2026 13:05:9",
    "received = 24.11.2026 13:5:09", "received = 24.11.2026 13:05",
])
def test_generated_reader_declines_what_the_reference_rejects(bad: str) -> None:
    call = CALLS["get_answers"]
    plan = record_plan(call.records()[0], 0, MOSCOW)
    key = bad.split(" = ")[0]
    start = GOOD.index(f"{key} = ")
    end = GOOD.find(", ", start)
    text = GOOD[:start] + bad + GOOD[end:]
    codec: Any = CODECS[0]
    assert codec.read_text(plan, GOOD) is not None
    assert codec.read_text(plan, text) is None
    with pytest.raises(ParseError):
        codec._record(_Chunk(plan, 1, text), call)


def test_generated_writer_declines_what_the_reference_refuses() -> None:
    call = CALLS["get_answers"]
    plan = record_plan(call.records()[0], 1, MOSCOW)
    good, _ = _reads(GOOD, record_plan(call.records()[0], 0, MOSCOW), call)
    assert fast.line_writer(plan)(good) is not None
    bad = type(good)(good.id, good.received, "7903,1234567", good.message, good.to_phone,
                     good.sent)
    assert fast.line_writer(plan)(bad) is None


@pytest.mark.parametrize("stamp", ["-62135607600", "-62135596801", "-62135596800",
                                   "253402289999", "253402300799", "253402300800"])
def test_generated_reader_reads_timestamps_at_the_calendar_edges_as_the_reference(
        stamp: str) -> None:
    """The reference reads a timestamp with ``datetime.fromtimestamp``, which needs its UTC
    instant in years 1 to 9999; the generated reader added it to the epoch in Moscow time and
    read ``-62135607600`` as 0001-01-01 00:00+03:00 (found by the C builder's tests)."""
    call = CALLS["get_messages"]
    plan = record_plan(call.records()[0], 1, MOSCOW)
    text = (Path(__file__).parents[2] / "fixtures" / "get_messages" / "default"
            / "fmt1.csv").read_text("utf-8").splitlines()[0]
    k = next(k for k, sp in enumerate(plan.slots) if sp.slot.wire == "send_timestamp")
    fields = text.split(",")
    fields[k] = stamp
    changed = ",".join(fields)
    codec: Any = CODECS[1]
    got = codec.read_text(plan, changed)
    try:
        expected = codec._record(_Chunk(plan, 1, changed), call)
    except ParseError:
        assert got is None
    else:
        assert got == expected
