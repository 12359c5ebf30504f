"""The compiled record builder (``smsc_formats._native``) against the pure-Python readers.

Whether the extension is there never changes a result or an error:

* fed a whole list body's rows, it builds exactly the records the generated readers of
  ``codecs/fast.py`` build, or declines (None) wherever any of them declines; the rows are
  tokenized from emitted bodies, then cells are replaced with values at every edge of the
  spec's shapes (bad days, leap days, hour 24, year 0 and 9999, ``+7``, ``1_000``, Arabic
  digits, huge numbers, wrong JSON types, missing keys);
* ``parse`` gives the same records or the same error with it as without it, on valid and on
  mutated bodies of every list call in every format.

(``tests/test_api_fuzz.py`` compares ``parse`` with ``iter_parse`` too, which reads record by
record and never calls the extension.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import decimal
import importlib
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from json.encoder import encode_basestring as json_encode_basestring
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_formats import ParseError, SmscFormatsError, emit, parse, unwrap
from smsc_formats.codecs import fast, line_tokens, native, xml_tokens
from smsc_formats.codecs.line_tokens import head, record_texts, values_function
from smsc_formats.codecs.plan import RecordPlan, record_plan
from smsc_formats.spec import CALLS, ListBody
from smsc_formats.strategies import replies
from smsc_formats.values import MOSCOW

from ..test_api_fuzz import mutated

LIST_CALLS = sorted(name for name, call in CALLS.items() if isinstance(call.body, ListBody))
ROOT = Path(__file__).resolve().parents[2]
EXT = {0: "txt", 1: "csv", 2: "xml", 3: "json"}

needs_extension = pytest.mark.skipif(not native.available(),
                                     reason="the C extension is not built here")

TEXTS: list[Any] = [
    None, "", "0", "-0", "00", "+7", " 7", "7 ", "1_000", "\u0667", "7-1", "--7", "-", "99",
    "100", "-99", "+99", "+", "1.5", "1.", ".5", "-1.50", "1e5", "NaN", "Infinity", "0x10",
    "31.02.2026 13:05:09", "29.02.2024 00:00:00", "29.02.2026 00:00:00", "24.11.2026 24:00:00",
    "24.11.2026 23:60:00", "24.11.2026 23:59:60", "24.11.2026 23:59:59", "24.11.0000 10:00:00",
    "01.01.0001 00:00:00", "31.12.9999 23:59:59", "24.11.2026 13:05:9", "24.11.2026 13:05",
    "24.11.2026 13:05:09 ", "\uff124.11.2026 13:05:09", "24-11-2026 13:05:09",
    "24.13.2026 13:05:09", "00.11.2026 13:05:09", "99999999999999999999",
    "-9223372036854775809", "253402300799", "253402289999", "253402300800", "-62135596800",
    "-62135607600", "-62135596801",
    "1" * 5000, "\x00", "7\x005", "\u0442\u0435\u043a\u0441\u0442", "a,b", "line\nbreak",
]
"""Raw text values at the edges of the spec's shapes (and None: absent)."""

JSON_VALUES: list[Any] = [
    fast.ABSENT, None, "", 0, -1, 7, True, False, 99, -99, 100, -100, 2**70, -(2**63),
    1_700_000_000, 253_402_289_999, 253_402_300_800, Decimal("7.5"), Decimal("1e400"), "7",
    "-0", [], {}, *[t for t in TEXTS if isinstance(t, str) and len(t) < 100],
]
"""Decoded JSON values: every JSON type, out-of-range numbers, and the raw texts."""


def _plan(call: str, fmt: int) -> RecordPlan:
    body = CALLS[call].body
    assert isinstance(body, ListBody)
    return record_plan(body.record, fmt, MOSCOW)


@contextlib.contextmanager
def _native(on: bool) -> Iterator[None]:
    saved = native.ENABLED
    native.ENABLED = on
    try:
        yield
    finally:
        native.ENABLED = saved


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[Any]:
    """Wrap the extension's function ``name``: the list collects every result it gave that
    was not None (the bodies it did not decline)."""
    extension = importlib.import_module("smsc_formats._native")
    real = getattr(extension, name)
    results: list[Any] = []

    def spy(*args: Any) -> Any:
        out = real(*args)
        if out is not None:
            results.append(out)
        return out

    monkeypatch.setattr(extension, name, spy)
    return results


def _outcome(body: bytes, call: str, fmt: int | None) -> object:
    try:
        return parse(body, call=call, fmt=fmt)
    except ParseError as exc:
        return str(exc)


def _emitted(value: Any, call: str, fmt: int) -> object:
    """What ``emit`` writes of a parsed value in the same format (or its error)."""
    if isinstance(value, str):
        return value
    try:
        return emit(value, call=call, fmt=fmt)
    except SmscFormatsError as exc:
        return str(exc)


def _emitted_alike(value: Any, call: str, fmt: int, message: object = None) -> object:
    """What ``emit`` writes of ``value`` (or its error), checked to be the same with the
    builder on and off."""
    with _native(True):
        on = _emitted(value, call, fmt)
    with _native(False):
        off = _emitted(value, call, fmt)
    assert on == off, message
    return on


def _cells(data: st.DataObject, rows: list[list[Any]], width: int, values: list[Any]) -> None:
    """Replace up to four cells of ``rows`` with drawn values (in place)."""
    for _ in range(data.draw(st.integers(0, 4))):
        row = data.draw(st.integers(0, len(rows) - 1))
        rows[row][data.draw(st.integers(0, width - 1))] = data.draw(st.sampled_from(values))


@st.composite
def list_replies(draw: st.DrawFn, call: str) -> list[Any]:
    """A non-empty reply of a list call."""
    reply = draw(replies(call, with_errors=False, max_records=6).filter(bool))
    assert isinstance(reply, list)
    return reply


# -- the extension itself --------------------------------------------------------------------


def test_the_extension_is_built_where_a_compiler_is() -> None:
    """CI has a C compiler, so the install there must have built the extension (an optional
    build fails quietly: this is where it would show)."""
    if os.environ.get("CC") or (shutil.which("cc") is None and shutil.which("gcc") is None):
        pytest.skip("no C compiler (or CC chosen by hand): the package runs as pure Python")
    if os.environ.get("SMSC_FORMATS_NO_EXTENSIONS"):
        pytest.skip("turned off by SMSC_FORMATS_NO_EXTENSIONS")
    assert native.available()


def test_the_environment_variable_turns_it_off() -> None:
    code = "from smsc_formats.codecs import native; print(native.ENABLED)"
    env = {**os.environ, "SMSC_FORMATS_NO_EXTENSIONS": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


@needs_extension
def test_the_extension_reads_every_list_call_in_every_format(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """On the committed fixtures the builder does the work (it does not decline them all,
    which would make every other test here pass without it)."""
    built = _spy(monkeypatch, "read")
    for call in LIST_CALLS:
        for fmt in range(4):
            built.clear()
            parsed = [parse(p.read_bytes(), call=call, fmt=fmt)
                      for p in sorted((ROOT / "fixtures" / call).glob(f"*/fmt{fmt}.*"))]
            records = sum(len(r) for r in parsed if isinstance(r, list))
            assert sum(map(len, built)) == records, (call, fmt)
            assert records > 0, (call, fmt)


# -- rows, against the generated readers -----------------------------------------------------


def _expect(read: Any, rows: list[Any]) -> list[Any] | None:
    out = [read(row) for row in rows]
    return None if any(r is None for r in out) else out


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@pytest.mark.parametrize("fmt", [0, 1])
@settings(max_examples=60)
@given(data=st.data())
def test_text_rows_build_what_the_generated_reader_builds(call: str, fmt: int,
                                                          data: st.DataObject) -> None:
    plan = _plan(call, fmt)
    text = emit(data.draw(list_replies(call)),
                call=call, fmt=fmt).decode()
    texts = record_texts(text, plan)
    assert texts is not None
    rows = [list(values_function(plan)(t) or ()) for t in texts]
    _cells(data, rows, plan.width, TEXTS)
    got = native.read(plan, MOSCOW, native.Mode.SEQUENCE, rows)
    expected = _expect(fast.values_reader(plan, MOSCOW), rows)
    if expected is None:
        assert got is None
    else:
        assert got is not None or any(None in row for row in rows)
        if got is not None:
            assert got == expected
            assert [type(r) for r in got] == [type(r) for r in expected]


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@settings(max_examples=60)
@given(data=st.data())
def test_xml_rows_build_what_the_generated_reader_builds(call: str, data: st.DataObject) -> None:
    plan = _plan(call, 2)
    text = emit(data.draw(list_replies(call)), call=call, fmt=2)
    events = list(xml_tokens.XmlTokenizer(xml_tokens.shape(CALLS[call])).whole(text.decode()))
    records = [e for e in events if isinstance(e, xml_tokens.XmlRecord)]
    wires = [sp.slot.wire for sp in plan.slots]
    rows = [dict(r.fields or {}) for r in records]
    for _ in range(data.draw(st.integers(0, 4))):
        row = rows[data.draw(st.integers(0, len(rows) - 1))]
        wire = data.draw(st.sampled_from(wires))
        value = data.draw(st.sampled_from(TEXTS))
        if value is None:
            row.pop(wire, None)
        else:
            row[wire] = value
    for record, row in zip(records, rows, strict=True):
        record.fields = row
    got = native.read(plan, MOSCOW, native.Mode.FIELDS, rows)
    expected = _expect(fast.xml_reader(plan, MOSCOW), records)
    assert got == expected  # None: both decline


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@settings(max_examples=60)
@given(data=st.data())
def test_json_rows_build_what_the_generated_reader_builds(call: str,
                                                          data: st.DataObject) -> None:
    plan = _plan(call, 3)
    conv = fast.json_records(plan, MOSCOW)
    assert conv is not None
    structs = conv.decode(emit(data.draw(list_replies(call)),
                               call=call, fmt=3))
    for _ in range(data.draw(st.integers(0, 4))):
        struct = structs[data.draw(st.integers(0, len(structs) - 1))]
        k = data.draw(st.integers(0, plan.width - 1))
        values = JSON_VALUES
        if k in conv.typed:  # the decoder checked its JSON type: only values of that type
            want = type(getattr(struct, f"f{k}"))
            values = [v for v in JSON_VALUES if type(v) is want]
        setattr(struct, f"f{k}", data.draw(st.sampled_from(values)))
    got = native.read(plan, MOSCOW, native.Mode.ATTRIBUTES, structs)
    expected = _expect(conv.read, structs)
    assert got == expected  # None: both decline


# -- parse, with and without it --------------------------------------------------------------


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
@settings(max_examples=40)
@given(data=st.data())
def test_parse_is_the_same_with_and_without_the_extension(call: str, fmt: int,
                                                          data: st.DataObject) -> None:
    body = data.draw(st.one_of(
        list_replies(call).map(lambda r: emit(r, call=call, fmt=fmt)),
        mutated(call, fmt)))
    with _native(True):
        on = _outcome(body, call, fmt)
        again_on = _emitted(on, call, fmt)
    with _native(False):
        off = _outcome(body, call, fmt)
        again_off = _emitted(off, call, fmt)
    assert on == off
    assert again_on == again_off


@needs_extension
@pytest.mark.parametrize("fmt", [2, 3])
def test_a_timestamp_wins_over_a_date_that_disagrees(fmt: int) -> None:
    """get_messages carries ``last_date`` and ``last_timestamp`` in fmt 2 and 3; where the
    two disagree the timestamp (the primary slot) is read, as the reference reads it."""
    body = ROOT / "fixtures" / "get_messages" / "default" / ("fmt2.xml", "fmt3.json")[fmt - 2]
    text = body.read_text(encoding="utf-8")
    first: Any = unwrap(parse(body.read_bytes(), call="get_messages", fmt=fmt))[0]
    shown = f"{first.last_date:%d.%m.%Y %H:%M:%S}"
    assert text.count(shown) >= 1
    changed = text.replace(shown, "29.02.2024 00:00:00", 1).encode()
    with _native(True):
        on: Any = parse(changed, call="get_messages", fmt=fmt)
    with _native(False):
        off = parse(changed, call="get_messages", fmt=fmt)
    assert on == off
    assert on[0].last_date == first.last_date  # the timestamp's instant, not 29.02.2024


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@pytest.mark.parametrize("change", ["longer", "shorter", "tuple", "not a row"])
def test_a_row_of_another_width_or_type_is_read_as_the_generated_reader_reads_it(
        call: str, change: str) -> None:
    """The generated fmt=0 reader unpacks a row into exactly ``width`` values, so a row one
    value longer (or shorter) is declined; the builder once read only the values it had slots
    for and built records from a longer row (found by hand-made hostile rows)."""
    plan = _plan(call, 0)
    body = sorted((ROOT / "fixtures" / call).glob("*/fmt0.*"))[0].read_text(encoding="utf-8")
    texts = record_texts(body, plan)
    assert texts is not None
    rows: list[Any] = [list(values_function(plan)(t) or ()) for t in texts]
    assert rows
    assert all(len(row) == plan.width for row in rows)
    if change == "longer":
        rows[-1] = [*rows[-1], "7"]
    elif change == "shorter":
        rows[-1] = rows[-1][:-1]
    elif change == "tuple":
        rows[-1] = tuple(rows[-1])
    else:
        rows[-1] = dict(enumerate(rows[-1]))
    got = native.read(plan, MOSCOW, native.Mode.SEQUENCE, rows)
    expected = _expect(fast.values_reader(plan, MOSCOW), rows)
    assert (got is None) == (expected is None)
    assert got == expected
    assert (expected is None) == (change in ("longer", "shorter", "not a row"))


@needs_extension
def test_a_missing_attribute_is_declined_as_the_generated_reader_declines_it() -> None:
    """A fmt=3 row without one of its struct's attributes: the generated reader's
    AttributeError declines it, so the builder must not read it as an absent optional key."""
    plan = _plan("get_messages", 3)
    conv = fast.json_records(plan, MOSCOW)
    assert conv is not None
    body = (ROOT / "fixtures" / "get_messages" / "default" / "fmt3.json").read_bytes()
    structs: list[Any] = list(conv.decode(body))
    err = next(k for k, sp in enumerate(plan.slots) if sp.field.optional)
    names = [f"f{k}" for k in range(plan.width)]
    short = type("Short", (), {n: getattr(structs[0], n) for n in names if n != f"f{err}"})
    structs[0] = short()
    assert conv.read(structs[0]) is None
    assert native.read(plan, MOSCOW, native.Mode.ATTRIBUTES, structs) is None


# -- writing ----------------------------------------------------------------------------------

HOSTILE: list[Any] = [
    None, "", "7", "a,b", "line\nbreak", "\r", "\t", 'a "quote"', "back\\slash", "\x00", "\x1f",
    "\x7f", "\u2028", "\ud800", "\U0001f600", "\u0442\u0435\u043a\u0441\u0442", 0, -1, True,
    2**70, 10**5000, 1.5, Decimal("6.66"), Decimal("-0.5"), Decimal("1E+3"), Decimal("NaN"),
    Decimal("-Infinity"), Decimal("0E-7"), Decimal("1E+999999999"),
    datetime(2026, 11, 24, 13, 5, 9, tzinfo=MOSCOW),
    datetime(2026, 11, 24, 13, 5, 9),
    datetime(2026, 11, 24, 13, 5, 9, 1, tzinfo=MOSCOW),
    datetime(2026, 11, 24, 13, 5, 9, tzinfo=UTC),
    datetime(2026, 11, 24, 13, 5, 9, tzinfo=timezone(timedelta(hours=3))),
    datetime(1, 1, 1, 3, 0, 0, tzinfo=MOSCOW), datetime(9999, 12, 31, 23, 59, 59, tzinfo=MOSCOW),
    datetime(1969, 12, 31, 23, 59, 59, tzinfo=MOSCOW), date(2026, 11, 24),
]
"""Field values at every edge of what the writers take: wrong types, naive and foreign-zone
datetimes, microseconds, exponents and NaN, texts a format cannot hold."""


def _written(plan: RecordPlan, records: list[Any]) -> list[str] | None:
    """What the generated writers make of each record (None where any declines)."""
    write = (fast.json_writer if plan.fmt == 3 else fast.line_writer)(plan)
    out = [write(r) for r in records]
    return None if any(t is None for t in out) else [t for t in out if t is not None]


def _fixture_records(call: str, fmt: int) -> list[Any]:
    records = parse((ROOT / "fixtures" / call / "default" / f"fmt{fmt}.{EXT[fmt]}").read_bytes(),
                    call=call, fmt=fmt)
    assert isinstance(records, list)
    assert records
    return records


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@pytest.mark.parametrize("fmt", [0, 1, 3])
@settings(max_examples=60)
@given(data=st.data())
def test_records_are_written_as_the_generated_writer_writes_them(call: str, fmt: int,
                                                                 data: st.DataObject) -> None:
    plan = _plan(call, fmt)
    records = data.draw(list_replies(call))
    names = [f.name for f in plan.spec.fields]
    for _ in range(data.draw(st.integers(0, 3))):
        i = data.draw(st.integers(0, len(records) - 1))
        change = {data.draw(st.sampled_from(names)): data.draw(st.sampled_from(HOSTILE))}
        records[i] = dataclasses.replace(records[i], **change)
    assert native.writer_program(plan) is not None
    expected = _written(plan, records)
    got = native.write(plan, records)
    assert got == expected  # None: both decline


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@pytest.mark.parametrize("fmt", [0, 1, 3])
def test_a_record_of_another_class_is_left_to_the_reference_writer(call: str,
                                                                   fmt: int) -> None:
    plan = _plan(call, fmt)
    records = _fixture_records(call, fmt)
    assert native.write(plan, records) == _written(plan, records)

    @dataclasses.dataclass(frozen=True)
    class Lookalike:
        id: int

    assert native.write(plan, [*records, Lookalike(1)]) is None


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@pytest.mark.parametrize("fmt", [0, 1, 3])
def test_every_hostile_value_in_every_field_is_written_or_declined_alike(call: str,
                                                                        fmt: int) -> None:
    """Exhaustively: each field of a recorded record set to each hostile value in turn."""
    plan = _plan(call, fmt)
    record = _fixture_records(call, fmt)[0]
    written = 0
    for field in plan.spec.fields:
        for value in HOSTILE:
            changed = [dataclasses.replace(record, **{field.name: value})]
            expected = _written(plan, changed)
            assert native.write(plan, changed) == expected, (field.name, value)
            written += expected is not None
    assert written > len(plan.spec.fields)  # the texts and the right types were written


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@pytest.mark.parametrize("fmt", [0, 1])
def test_every_edge_text_in_every_slot_is_read_or_declined_alike(call: str, fmt: int) -> None:
    """Exhaustively: each slot of a recorded row set to each edge text in turn."""
    plan = _plan(call, fmt)
    text = (ROOT / "fixtures" / call / "default" / f"fmt{fmt}.{EXT[fmt]}").read_text("utf-8")
    texts = record_texts(text, plan)
    assert texts
    row = list(values_function(plan)(texts[0]) or ())
    read = fast.values_reader(plan, MOSCOW)
    accepted = 0
    for k in range(plan.width):
        for value in TEXTS:
            changed = [[*row[:k], value, *row[k + 1:]]]
            expected = _expect(read, changed)
            got = native.read(plan, MOSCOW, native.Mode.SEQUENCE, changed)
            if value is None and expected is not None:
                continue  # a required value the tokenizer never leaves out: declining is fine
            assert got == expected, (plan.slots[k].slot.wire, value)
            accepted += got is not None
    assert accepted > plan.width


@needs_extension
@pytest.mark.parametrize("offset", [30, 3 * 3600, -5 * 3600])
@pytest.mark.parametrize("stamp", [-62135596801, -62135596800, -62135596770, 253402289999,
                                   253402300769, 253402300799, 253402300800])
def test_a_timestamp_at_the_edge_of_the_calendar_is_read_as_the_reference_reads_it(
        offset: int, stamp: int) -> None:
    """``datetime.fromtimestamp`` (the reference) needs the UTC instant in years 1 to 9999
    before it adds the offset; the builder once read ``-62135596801`` at +00:00:30, which
    the reference refuses (found by a seeded differential loop)."""
    tz = timezone(timedelta(seconds=offset))
    body = CALLS["get_messages"].body
    assert isinstance(body, ListBody)
    plan = record_plan(body.record, 1, tz)
    text = (ROOT / "fixtures" / "get_messages" / "default" / "fmt1.csv").read_text("utf-8")
    texts = record_texts(text, plan)
    assert texts
    row = list(values_function(plan)(texts[0]) or ())
    k = next(k for k, sp in enumerate(plan.slots) if sp.slot.wire == "send_timestamp")
    row[k] = str(stamp)
    try:
        expected: Any = datetime.fromtimestamp(stamp, tz)
    except (OverflowError, ValueError, OSError):
        expected = None
    got = native.read(plan, tz, native.Mode.SEQUENCE, [row])
    if expected is None:
        assert got is None
    else:
        assert got is not None
        assert got[0].send_date == expected


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@pytest.mark.parametrize("fmt", [0, 1, 3])
@settings(max_examples=60)
@given(data=st.data())
def test_a_whole_body_is_written_as_the_pure_python_emit_writes_it(call: str, fmt: int,
                                                                   data: st.DataObject) -> None:
    """``emit`` to UTF-8 goes straight to bytes through the builder: the same bytes, or the
    same error, as the pure-Python writers give, whatever the records hold."""
    records = data.draw(list_replies(call))
    names = [f.name for f in _plan(call, fmt).spec.fields]
    for _ in range(data.draw(st.integers(0, 2))):
        i = data.draw(st.integers(0, len(records) - 1))
        change = {data.draw(st.sampled_from(names)): data.draw(st.sampled_from(HOSTILE))}
        records[i] = dataclasses.replace(records[i], **change)
    _emitted_alike(records, call, fmt)


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@pytest.mark.parametrize("fmt", [0, 1, 3])
def test_the_recorded_bodies_are_written_back_byte_for_byte_by_the_builder(
        call: str, fmt: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every committed fixture, parsed and emitted through ``write_utf8``, is its own bytes
    (the builder is not bypassed: the test counts its bodies)."""
    written = _spy(monkeypatch, "write_utf8")
    paths = sorted((ROOT / "fixtures" / call).glob(f"*/fmt{fmt}.{EXT[fmt]}"))
    assert paths
    for path in paths:
        body = path.read_bytes()
        assert emit(parse(body, call=call, fmt=fmt), call=call, fmt=fmt) == body, path
    assert len(written) == len(paths)


MULTILINE_CALLS = [name for name in LIST_CALLS if _plan(name, 0).spec.multiline]


def _head_like_texts(call: str, fmt: int) -> list[str]:
    """Free texts whose second line is a recorded record's line, or a piece of one: cut
    after each of its first fields (fmt=1, where the fields written after the free text may
    complete the head), or at each of its first characters (fmt=0)."""
    plan = _plan(call, fmt)
    text = (ROOT / "fixtures" / call / "default" / f"fmt{fmt}.{EXT[fmt]}").read_text("utf-8")
    texts = record_texts(text, plan)
    assert texts
    line = texts[0].split("\n")[0]
    if fmt == 1:
        cells = line.split(",")
        pieces = [",".join(cells[:k]) for k in range(1, (plan.free or 0) + 2)]
    else:
        pieces = [line[:k] for k in range(1, 40)]
    return [f"Ваш код\n{piece}" for piece in [line, *pieces]]


@needs_extension
@pytest.mark.parametrize("call", MULTILINE_CALLS)
@pytest.mark.parametrize("fmt", [0, 1])
def test_a_free_text_line_that_would_begin_a_record_is_refused_alike(call: str,
                                                                      fmt: int) -> None:
    """``emit`` refuses a free text whose later line would be read back as a record of its
    own (with the builder, found without writing the records again), and what it does emit
    reads back as written. In fmt=1 the fields after the free text can complete a head that
    its last line only begins: such texts are refused too."""
    plan = _plan(call, fmt)
    free = plan.spec.free_text
    assert free is not None
    record = _fixture_records(call, fmt)[0]
    refused, completed = 0, 0
    for message in _head_like_texts(call, fmt):
        changed = [dataclasses.replace(record, **{free: message}), record]
        on = _emitted_alike(changed, call, fmt, message=message)
        if isinstance(on, bytes):
            assert parse(on, call=call, fmt=fmt) == changed, message
            continue
        assert "would begin a new record" in str(on), on
        refused += 1
        completed += not head(plan, fmt)(message.split("\n")[1])
    assert refused >= 2
    later = plan.width - (plan.free or 0) - 1
    assert completed > 0 if fmt == 1 and later else completed == 0


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@pytest.mark.parametrize("text", [
    "".join(map(chr, range(0x80))), "".join(map(chr, range(0x80, 0x800, 7))),
    "\u0800\uffff\ud7ff\ue000 \U00010000\U0010ffff", "a\ud800b", "\udfff", "\U0001f600\udc00",
    "\u00ff\u0100", "Ваш \"код\": 5\\6",
])
def test_every_character_is_written_straight_to_utf8_as_the_pure_python_writers_write_it(
        call: str, text: str) -> None:
    """The builder encodes UTF-8 and escapes JSON strings itself, in the buffer: every ASCII
    character (each escape ``encode_basestring`` writes), the edges of each UTF-8 length, and
    lone surrogates (refused alike: UTF-8 cannot hold them)."""
    for fmt in (0, 1, 3):
        plan = _plan(call, fmt)
        record = _fixture_records(call, fmt)[0]
        texts = [f.name for f in plan.spec.fields if f.kind.name in ("TEXT", "CODE")]
        for name in texts:
            changed = [dataclasses.replace(record, **{name: text})]
            _emitted_alike(changed, call, fmt, message=(fmt, name))


# -- cutting fmt=1 lines ----------------------------------------------------------------------

LINE_PIECES = ["\n", "\r\n", "\r", ",", ",,", "\n\n", " ", "", "\n ", "\n,", "\n1,", "\r\n\r\n",
               "\u0442", "\U0001f600", "\x00"]
"""Pieces the line cutter must treat as the tokenizer does: every kind of line break, blank
and whitespace lines, commas, and characters of each str width."""


def _tokenized_values(text: str, plan: RecordPlan) -> list[list[str | None]] | None:
    """The pure-Python tokenizer's cut: the values of each of its record texts."""
    texts = record_texts(text, plan)
    if texts is None:
        return None
    raws = [values_function(plan)(t) for t in texts]
    return None if any(r is None for r in raws) else [list(r or ()) for r in raws]


def _cut_values(text: str, plan: RecordPlan) -> list[list[str | None]] | None:
    code = line_tokens.cutter(plan)
    assert code is not None
    got = native.cut_lines(text, code)
    return None if got is None else [list(r) for r in got]


def _recorded_text(call: str) -> str:
    return (ROOT / "fixtures" / call / "default" / "fmt1.csv").read_text("utf-8")


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
def test_the_line_cutter_cuts_every_recorded_body_as_the_tokenizer(call: str) -> None:
    plan = _plan(call, 1)
    paths = sorted((ROOT / "fixtures" / call).glob("*/fmt1.csv"))
    assert paths
    for path in paths:
        text = path.read_text("utf-8")
        expected = _tokenized_values(text, plan)
        assert expected, path  # every recorded body is read by the shortcut
        assert _cut_values(text, plan) == expected, path
        for variant in (text.replace("\n", "\r\n"), text.replace("\n", "\r\n") + "\r",
                        text + "\r", text.replace("\n", "\r\n", 1) + "\r\n\r\n"):
            assert _cut_values(variant, plan) == _tokenized_values(variant, plan), path


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
def test_every_edge_text_in_every_cell_is_cut_as_the_tokenizer_cuts_it(call: str) -> None:
    """Exhaustively: each comma-separated cell of a recorded line (the head shapes, the free
    text, the fields after it), in the first and in a later record, set to each edge text
    and line piece in turn."""
    plan = _plan(call, 1)
    lines = _recorded_text(call).split("\n")
    lines = lines if len(lines) > 1 else lines * 2  # a later record too
    accepted = declined = 0
    for row in (0, 1):
        cells = lines[row].split(",")
        for k in range(len(cells)):
            for value in [*[t for t in TEXTS if isinstance(t, str)], *LINE_PIECES]:
                changed = [*lines[:row], ",".join([*cells[:k], value, *cells[k + 1:]]),
                           *lines[row + 1:]]
                text = "\n".join(changed)
                expected = _tokenized_values(text, plan)
                assert _cut_values(text, plan) == expected, (row, k, value)
                accepted += expected is not None
                declined += expected is None
    assert accepted > len(plan.slots)
    assert declined > 0


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@settings(max_examples=150)
@given(data=st.data())
def test_a_mutated_body_is_cut_as_the_tokenizer_cuts_it(call: str, data: st.DataObject) -> None:
    """Line pieces and edge texts put anywhere in an emitted or recorded body."""
    plan = _plan(call, 1)
    records = data.draw(list_replies(call))
    source = data.draw(st.sampled_from([emit(records, call=call, fmt=1).decode("utf-8"),
                                        _recorded_text(call)]))
    text = source
    for _ in range(data.draw(st.integers(0, 4))):
        at = data.draw(st.integers(0, len(text)))
        piece = data.draw(st.sampled_from([*LINE_PIECES, *TEXTS[1:20]]))
        cut = data.draw(st.integers(0, 3))
        text = text[:at] + piece + text[at + cut:]
    assert _cut_values(text, plan) == _tokenized_values(text, plan)


@needs_extension
def test_the_cutter_has_a_program_for_every_list_call_in_fmt1_and_none_in_fmt0() -> None:
    for call in LIST_CALLS:
        assert line_tokens.cutter(_plan(call, 1)) is not None, call
        assert line_tokens.cutter(_plan(call, 0)) is None, call


@needs_extension
@pytest.mark.parametrize(("shape", "pattern"), [
    (code, pattern) for pattern, code in line_tokens._SHAPE_CODES.items()])
@pytest.mark.parametrize("optional", [False, True])
def test_each_head_shape_of_the_cutter_is_its_pattern(shape: int, pattern: str,
                                                      optional: bool) -> None:
    """The cutter's shape codes against the spec's patterns (``values.SHAPES``) they stand
    for, on every edge text: a line whose first value has the shape begins a record, any
    other continues the one before it (and a value may be empty where it is optional)."""
    matches = re.compile(f"(?:{pattern})?" if optional else pattern).fullmatch
    for value in [t for t in TEXTS if isinstance(t, str) and "," not in t and "\n" not in t]:
        got = native.cut_lines(f"{value},x", (((shape, optional),), 2, 1, 0))
        assert (got is not None) == (matches(value) is not None), value


# -- counting JSON keys -----------------------------------------------------------------------

KEY_PIECES = ['":', '" :', '"\t\n\r :', '"', '" ', ':', '\\":', '"x":', 'ж', '\U0001f600', ' ',
              '"\n', '""', '"":', '\\"', '{"a": 1}']


@needs_extension
@settings(max_examples=300)
@given(pieces=st.lists(st.sampled_from(KEY_PIECES), max_size=12), as_bytes=st.booleans())
def test_keys_are_counted_as_the_two_scans_count_them(pieces: list[str], as_bytes: bool) -> None:
    """``key_marks`` is ``json_tokens.unrepeated``'s two scans in one pass: the count of
    ``":`` and the search for a key with blanks before its colon, on str of each width and
    on bytes."""
    text = "".join(pieces)
    spaced = re.search(r'"[ \t\n\r]+:', text) is not None
    expected = (text.count('":'), spaced)
    assert native.key_marks(text.encode() if as_bytes else text) == expected


@needs_extension
def test_a_body_with_a_repeated_or_spaced_key_is_read_by_the_generic_path() -> None:
    """The recorded body with a key repeated, or spaced before its colon while another key
    is repeated in a string, parses as it does without the extension."""
    body = (ROOT / "fixtures" / "get_answers" / "default" / "fmt3.json").read_bytes()
    repeated = body.replace(b'"phone":', b'"phone": "7", "phone":', 1)
    spaced = body.replace(b'"phone":', b'"phone" :', 1).replace(b'"message": "',
                                                                  b'"message": "\\":', 1)
    for changed in (body, repeated, spaced):
        with _native(True):
            on = _outcome(changed, "get_answers", 3)
        with _native(False):
            off = _outcome(changed, "get_answers", 3)
        assert on == off
    with _native(True):
        assert "duplicate key" in str(_outcome(repeated, "get_answers", 3))


@needs_extension
@pytest.mark.parametrize("call", MULTILINE_CALLS)
@pytest.mark.parametrize("fmt", [0, 1])
def test_the_builder_names_the_records_whose_free_text_spans_lines(call: str, fmt: int) -> None:
    """``write_utf8`` collects the records ``emit`` must test against the head rule: those
    whose free text holds a line break, and no other."""
    plan = _plan(call, fmt)
    free = plan.spec.free_text
    assert free is not None
    record = _fixture_records(call, fmt)[0]
    texts = ["one line", "two\nlines", "", "\n", "a\r\nb", "no break\r", "\u0442\n\U0001f600"]
    records = [dataclasses.replace(record, **{free: t}) for t in texts]
    spanning: list[int] = []
    assert native.write_utf8(plan, records, spanning) is not None
    assert spanning == [i for i, t in enumerate(texts) if "\n" in t]


INTEGERS = [0, 7, 9, 10, 42, 99, 100, 101, 999, 1000, 65535, 10**9 - 1, 10**9, 2**31,
            10**18 - 1, 10**18, 2**63 - 1, 2**63, 2**64, -1, -9, -10, -99, -100, -101,
            -(10**18), -(2**63) + 1, -(2**63), -(2**63) - 1]
"""Integers at each digit-count edge and at the ends of a C long long."""
# -- hostile direct calls (found by hand-made arguments, under ASAN) ---------------------------


@needs_extension
@pytest.mark.parametrize(("args", "error"), [
    # a shape that is not a tuple: PyArg_ParseTuple raised SystemError
    (("1,x", ((0, False), 5), 3, 2, 0), TypeError),
    (("1,x", ([0, False],), 2, 1, 0), TypeError),
    (("1,x", ((0, False, 1),), 2, 1, 0), TypeError),
    # a count past a C int was cut to its low bits and taken (2**32 + 1 read as 1)
    (("a,b", (), 2, -1, 2**32 + 1), ValueError),
    (("a,b", (), 2, 1, -(2**32) + 2), ValueError),
    (("a,b", (), 2, -1, 2**64), ValueError),
    (("a,b", (), 2**63, -1, 1), ValueError),
    (("1,x", ((2**40, False),), 2, 1, 0), ValueError),
    (("a,b", (), 2.0, -1, 1), TypeError),
    (("a,b", (), 2, "1", 1), TypeError),
    # programs line_tokens.cutter never gives: an empty line would begin a record
    (("\n\na\n\nb\n", (), 1, 0, 0), ValueError),
    (("a,1\n\nb,2", (), 2, 0, 0), ValueError),
    (("\na", (), 1, -1, 1), ValueError),
    (("\na", (), 1, 0, 2), ValueError),
    # more shapes than the cutter's fixed arrays hold
    (("a", tuple((0, False) for _ in range(257)), 300, 257, 0), ValueError),
])
def test_a_hostile_cutter_is_refused_with_a_type_or_value_error(args: tuple[Any, ...],
                                                                 error: type) -> None:
    extension = importlib.import_module("smsc_formats._native")
    with pytest.raises(error):
        extension.cut_lines(*args)


@needs_extension
@pytest.mark.parametrize("after", [255, 256, 257, 300])
def test_values_after_the_free_text_past_the_fixed_array_are_declined_not_written(
        after: int) -> None:
    """The cutter keeps the commas after the free text in an array of 256: up to that many
    values after it are cut as str.split/rsplit cut them, more are declined (None)."""
    extension = importlib.import_module("smsc_formats._native")
    width = after + 2
    cells = [str(k) for k in range(width + 3)]  # three commas more in the free text
    line = ",".join(cells)
    got = extension.cut_lines(f"{line}\n{line}", (), width, 1, 2)
    if after > 256:
        assert got is None
    else:
        first, rest = line.split(",", 1)
        expected = [first, *rest.rsplit(",", after)]
        assert got == [expected, expected]
        assert len(expected) == width


@needs_extension
@pytest.mark.parametrize("name", ["write", "write_utf8"])
def test_a_getter_that_empties_the_records_list_is_not_a_use_after_free(name: str) -> None:
    """``write`` read each record from the list by index without a reference of its own, so
    a program whose descriptor empties the list mid-write read freed memory (a segfault,
    found under ASAN); it now declines (None), as ``write_utf8`` writes what is left."""
    extension = importlib.import_module("smsc_formats._native")
    records: list[Any] = []

    class Model:
        @property
        def a(self) -> str:
            records.clear()
            return "x" * 100

    slot = (Model.__dict__["a"], 0, False, "", "", "", 0, 0)
    program = (Model, UTC, 0, json_encode_basestring, Decimal, '"', "", "", (slot, slot))
    records[:] = [Model() for _ in range(5)]
    if name == "write":
        assert extension.write(program, records) is None
    else:
        assert extension.write_utf8(program, records, "", "\n", "", []) == b"x" * 200


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@pytest.mark.parametrize("fmt", [0, 1, 3])
def test_every_integer_edge_is_written_straight_to_utf8_as_python_spells_it(call: str,
                                                                             fmt: int) -> None:
    plan = _plan(call, fmt)
    record = _fixture_records(call, fmt)[0]
    names = [f.name for f in plan.spec.fields if f.kind.name in ("INT", "TZ")]
    assert names
    for name in names:
        for value in INTEGERS:
            changed = [dataclasses.replace(record, **{name: value})]
            _emitted_alike(changed, call, fmt, message=(name, value))


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@pytest.mark.parametrize("fmt", [0, 1, 3])
def test_an_empty_body_and_empty_texts_are_written_without_touching_an_unmade_buffer(
        call: str, fmt: int) -> None:
    """``write_utf8`` of no records with an empty opening copied zero bytes from a buffer
    not yet allocated (``memcpy(NULL, s, 0)``: undefined behaviour, found by UBSan); the
    bytes are the pure-Python writers' either way, and the sanitizers now stay quiet."""
    extension = importlib.import_module("smsc_formats._native")
    plan = _plan(call, fmt)
    program = native.writer_program(plan)
    assert program is not None
    assert extension.write_utf8(program, [], "", "\n", "", []) == b""
    assert extension.write_utf8(program, [], "", "", "", []) == b""
    record = _fixture_records(call, fmt)[0]
    texts = {f.name: "" for f in plan.spec.fields if f.kind.name in ("TEXT", "CODE")}
    changed = [dataclasses.replace(record, **texts)]
    _emitted_alike(changed, call, fmt)


@needs_extension
@pytest.mark.parametrize("fmt", [0, 1, 3])
@pytest.mark.parametrize("cost", ["1E+3", "1.5E-7", "-2E+1"])
def test_a_cost_is_spelled_without_an_exponent_whatever_the_decimal_context(
        fmt: int, cost: str) -> None:
    """The builder (and the generated writer) took ``str(Decimal)`` and left values with an
    ``E`` to the reference writer; with ``capitals=0`` in the thread's decimal context the
    exponent is an ``e``, so ``1e+3`` was written, a cost the body cannot be read back with
    (found by reading the C). Both now write what ``format(value, "f")`` writes."""
    record = _fixture_records("get_messages", fmt)[0]
    changed = [dataclasses.replace(record, cost=Decimal(cost))]
    spelled = format(Decimal(cost), "f").encode()
    outcomes = []
    for on in (True, False):
        with _native(on), decimal.localcontext() as context:
            context.capitals = 0
            assert "e" in str(Decimal(cost))
            body = emit(changed, call="get_messages", fmt=fmt)
        assert spelled in body
        assert b"e+" not in body.lower()
        assert b"e-" not in body.lower()
        assert parse(body, call="get_messages", fmt=fmt) == changed
        outcomes.append(body)
    assert outcomes[0] == outcomes[1]


# -- seeded differential loops ----------------------------------------------------------------

CELLS = ["1", "-1", "", "0", "6.66", "6.", "-", "+7", "x", "24.11.2026 12:11:49",
         "24.11.2026 12:11:4", "Россия", "\U0001f600", " ", "1e5", "\u0667", "Status = 1",
         "id = 5", "\r", "\ud800", "\xe9"]
"""Cells of head-like lines: every head shape, near misses, each str width."""


def _head_like_line(rng: random.Random, lines: list[str], fmt: int) -> str:
    """A recorded line cut short (at a comma in fmt=1), or a line of random cells."""
    if rng.random() < 0.4:
        line = rng.choice(lines)
        if fmt == 1:
            cells = line.split(",")
            return ",".join(cells[:rng.randint(0, len(cells))]) + rng.choice(["", ","])
        return line[:rng.randint(0, len(line))]
    return ",".join(rng.choice(CELLS) for _ in range(rng.randint(0, 15)))


@needs_extension
@pytest.mark.parametrize("call", MULTILINE_CALLS)
@pytest.mark.parametrize("fmt", [0, 1, 3])
@pytest.mark.parametrize("seed", [1, 2])
def test_seeded_free_texts_with_head_like_lines_are_refused_or_written_alike(
        call: str, fmt: int, seed: int) -> None:
    """A seeded loop: free texts whose later lines are recorded lines (or pieces of them,
    or lines of head-shaped cells) in a random record; ``emit`` gives the same bytes or the
    same error with the builder on and off, and both outcomes occur."""
    rng = random.Random(seed)
    body = (ROOT / "fixtures" / call / "default" / f"fmt{fmt}.{EXT[fmt]}").read_text("utf-8")
    records = _fixture_records(call, fmt)
    free = _plan(call, fmt).spec.free_text
    assert free is not None
    lines = body.split("\n")
    outcomes: set[bool] = set()
    for _ in range(400):
        changed = list(records)
        k = rng.randrange(len(changed))
        text = "\n".join([rng.choice(["Ваш код", "", "1,2"]),
                          *(_head_like_line(rng, lines, fmt) for _ in range(rng.randint(1, 3)))])
        changed[k] = dataclasses.replace(changed[k], **{free: text})
        on = _emitted_alike(changed, call, fmt, message=text)
        outcomes.add(isinstance(on, bytes))
    assert outcomes == {True, False} if fmt != 3 else outcomes >= {True}


@needs_extension
@pytest.mark.parametrize("call", LIST_CALLS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_seeded_hostile_bodies_are_cut_as_the_tokenizer_cuts_them(call: str, seed: int) -> None:
    """A seeded loop over recorded bodies (repeated, CRLF, cut short) with line pieces,
    head-like lines, thousands of commas and blank lines put anywhere."""
    rng = random.Random(seed)
    plan = _plan(call, 1)
    pieces = [*LINE_PIECES, "\ud800", "\xe9", "-", ".", "\n\r", "\r\r\n", "," * 3000,
              "1," * 3000 + "\n", "\n" * 1000, "\r\n" * 500]
    sources = [p.read_text("utf-8") for p in sorted((ROOT / "fixtures" / call).glob("*/fmt1.csv"))]
    lines = [line for s in sources for line in s.split("\n")]
    cut = 0
    for _ in range(1500):
        text = rng.choice(sources)
        if rng.random() < 0.2:
            text = text.replace("\n", "\r\n")
        if rng.random() < 0.1:
            text *= rng.randint(2, 30)
        for _ in range(rng.randint(0, 5)):
            at = rng.randint(0, len(text))
            if rng.random() < 0.6:
                text = text[:at] + rng.choice(pieces) + text[at + rng.randint(0, 3):]
            else:
                text = text[:at] + "\n" + _head_like_line(rng, lines, 1) + text[at:]
        got = _cut_values(text, plan)
        assert got == _tokenized_values(text, plan), text[:500]
        cut += got is not None
    assert cut > 100


@pytest.mark.parametrize("fmt", [0, 1, 3])
def test_an_instant_past_the_calendar_is_an_emit_error_with_the_builder_on_and_off(
        fmt: int) -> None:
    """A datetime of another fixed-offset tzinfo whose instant is in year 0 (UTC): both
    paths let a bare OverflowError out of ``emit`` (found by the seeded emit loop); now
    the same EmitError."""
    record = _fixture_records("get_answers", fmt)[0]
    early = datetime(1, 1, 1, 2, 30, 17, tzinfo=timezone(timedelta(hours=3)))
    changed = [dataclasses.replace(record, sent=early)]
    outcomes = []
    for on in (True, False):
        with _native(on), pytest.raises(SmscFormatsError, match="out of range") as info:
            emit(changed, call="get_answers", fmt=fmt)
        outcomes.append(str(info.value))
    assert outcomes[0] == outcomes[1]
