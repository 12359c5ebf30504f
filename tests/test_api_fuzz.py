"""Fuzzing the error boundary (issue 8): mutated bodies of every call in every format.

The bodies are the strategies' (:func:`smsc_formats.strategies.bodies`), the recorded
fixtures and the hand-written corpus, mutated by byte flips, insertions of syntax bytes,
deletions and truncations. Two properties:

* only :class:`ParseError` leaves ``parse``, ``sniff`` and ``iter_parse`` (an error body makes
  ``iter_parse`` raise :class:`SmscApiError`, as documented), whatever ``fmt`` says, ``None``
  included;
* what ``parse`` accepts, ``emit`` gives back: ``parse(emit(parse(b))) == parse(b)`` in the
  same format.

``FUZZ_EXAMPLES`` sets the examples per call and format (default 60); runs are derandomized.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_formats import ParseError, SmscApiError, emit, iter_parse, parse, sniff, unwrap
from smsc_formats.spec import CALLS, ListBody
from smsc_formats.strategies import bodies, replies

ROOT = Path(__file__).parent.parent
EXT_FMT = {".txt": 0, ".csv": 1, ".xml": 2, ".json": 3}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
SYNTAX = b"<>/&;\"'{}[],:= \t\n\r\x00\x7f\x80\xbf\xc0\xd0\xe2\xef\xff0-9.eE"


def _recorded(call: str, fmt: int) -> list[bytes]:
    paths = [*(ROOT / "fixtures" / call).glob("*/fmt*"), *(ROOT / "tests" / "data" / "valid"
                                                            / call).glob("*")]
    return sorted(p.read_bytes() for p in paths
                  if EXT_FMT.get(p.suffix) == fmt and not p.name.endswith(".expected.json"))


@st.composite
def mutated(draw: st.DrawFn, call: str, fmt: int) -> bytes:
    """A body of ``call`` in ``fmt``, then one to four mutations."""
    recorded = _recorded(call, fmt)
    source = st.one_of(bodies(call, fmt), st.sampled_from(recorded)) if recorded else \
        bodies(call, fmt)
    return _mutate(draw, draw(source))


@st.composite
def long_mutated(draw: st.DrawFn, call: str, fmt: int) -> bytes:
    """A list body of ``call`` past the 4 KiB that ``iter_parse`` reads whole, then mutated
    (a bad byte or a syntax fault far into the body, where parse and the stream part ways
    most easily)."""
    records = draw(replies(call, with_errors=False, max_records=6).filter(bool))
    assert isinstance(records, list)  # a list call's reply
    size = len(emit(records, call=call, fmt=fmt))
    return _mutate(draw, emit(records * (1 + 6000 // size), call=call, fmt=fmt))


def _mutate(draw: st.DrawFn, source: bytes) -> bytes:
    body = bytearray(source)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "repeat"]))
        if kind == "flip" and at < len(body):
            body[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            body[at:at] = draw(st.lists(st.sampled_from(SYNTAX), min_size=1, max_size=4))
        elif kind == "delete":
            del body[at:at + draw(st.integers(1, 8))]
        elif kind == "truncate":
            del body[at:]
        elif kind == "repeat":
            body[at:at] = body[at:at + draw(st.integers(1, 40))] * draw(st.integers(2, 20))
    return bytes(body)


CASES = [(call, fmt) for call in sorted(CALLS) for fmt in range(4)]
COUNT = {"escape": 0, "round_trip": 0, "accepted": 0, "differential": 0}


@pytest.mark.parametrize(("call", "fmt"), CASES)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_only_parse_error_escapes(call: str, fmt: int, data: st.DataObject) -> None:
    body = data.draw(mutated(call, fmt))
    COUNT["escape"] += 1
    for asked in (None, 0, 1, 2, 3):
        with contextlib.suppress(ParseError):
            parse(body, call=call, fmt=asked)
    with contextlib.suppress(ParseError):
        sniff(body, call=call)
    if isinstance(CALLS[call].body, ListBody):
        size = data.draw(st.sampled_from([1, 7, 100, 4096]))
        chunks = [body[i:i + size] for i in range(0, len(body), size)]
        for asked in (None, fmt):
            with contextlib.suppress(ParseError, SmscApiError):
                list(iter_parse(chunks, call=call, fmt=asked))


@pytest.mark.parametrize(("call", "fmt"), CASES)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_what_parse_accepts_emit_gives_back(call: str, fmt: int, data: st.DataObject) -> None:
    body = data.draw(mutated(call, fmt))
    COUNT["round_trip"] += 1
    try:
        reply = parse(body, call=call, fmt=fmt)
    except ParseError:
        return
    COUNT["accepted"] += 1
    again = emit(reply, call=call, fmt=fmt)  # an EmitError here fails the property
    assert parse(again, call=call, fmt=fmt) == reply


STREAMED = [(call, fmt) for call, fmt in CASES if isinstance(CALLS[call].body, ListBody)]


def _outcome(run: Callable[[], object]) -> object:
    """What a reader made of a body: its value, or the error's type, message and position."""
    try:
        return run()
    except (ParseError, SmscApiError) as exc:
        return (type(exc).__name__, str(exc))


@pytest.mark.parametrize(("call", "fmt"), STREAMED)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_parse_and_iter_parse_agree_on_mutated_bodies(call: str, fmt: int,
                                                      data: st.DataObject) -> None:
    """Streamed in chunks of any size, a mutated body gives parse's records or parse's error,
    word for word and at the same line and column."""
    body = data.draw(st.one_of(mutated(call, fmt), long_mutated(call, fmt)))
    COUNT["differential"] += 1
    size = data.draw(st.sampled_from([1, 2, 7, 100, 4096]))
    chunks = [body[i:i + size] for i in range(0, len(body), size)]
    for asked in (None, fmt):
        whole = _outcome(lambda: unwrap(parse(body, call=call, fmt=asked)))
        streamed = _outcome(lambda: list(iter_parse(chunks, call=call, fmt=asked)))
        assert streamed == whole


def test_report_the_number_of_examples(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs last in this file: prints how many mutated bodies the two properties saw."""
    with capsys.disabled():
        print(f"\nfuzz: {COUNT['escape']} bodies x 5 fmts through parse/sniff/iter_parse; "
              f"{COUNT['round_trip']} round-trip bodies, {COUNT['accepted']} accepted; "
              f"{COUNT['differential']} bodies parsed whole and streamed")
