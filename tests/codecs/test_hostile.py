"""Hostile input: whatever arrives, ``parse`` returns a value or raises ParseError saying where.

Billion-laughs and XXE bodies, deep nesting, huge numbers, truncated and garbled bodies, random
bytes and hypothesis mutations of valid bodies. Never another exception type, never a
ParseError without a line or a ``$.path``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_formats import ParseError, emit, parse
from smsc_formats.model import ShortLink, StatRow
from smsc_formats.spec import CALLS
from smsc_formats.strategies import bodies

CALL_NAMES = sorted(CALLS)
FMTS: list[int | None] = [None, 0, 1, 2, 3]
DATA = Path(__file__).parent.parent / "data" / "valid"
EXT_FMT = {".txt": 0, ".csv": 1, ".xml": 2, ".json": 3}
CORPUS = sorted(p for p in DATA.glob("*/*")
                if p.suffix in EXT_FMT and not p.name.endswith(".expected.json"))


def parse_or_located_error(body: bytes, call: str, fmt: int | None,
                           charset: str | None = None) -> ParseError | None:
    """Parse; a ParseError must name the call and say where. Anything else propagates."""
    error: ParseError | None = None
    try:
        parse(body, call=call, fmt=fmt, charset=charset)
    except ParseError as exc:
        error = exc
    if error is not None:
        assert error.call == call, str(error)
        assert error.line is not None or error.path is not None, f"no position: {error}"
    return error


# -- XML entity attacks -------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
              for i in range(1, 10))
    + "]>\n<list>\n<stat>\n<login>&lol9;</login>\n</stat>\n</list>"
).encode()

XXE_BODIES = [
    b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b"<result>\n<error>&x;</error>\n<error_code>1</error_code>\n</result>",
    b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]>\n<list>\n</list>',
    b'<!DOCTYPE list SYSTEM "http://127.0.0.1:9/evil.dtd">\n<list>\n</list>',
    b"<list>\n<stat>\n<login>&x;</login>\n</stat>\n</list>",
]


@pytest.mark.parametrize("call", CALL_NAMES)
@pytest.mark.parametrize("fmt", [None, 2])
def test_billion_laughs_is_refused(call: str, fmt: int | None) -> None:
    error = parse_or_located_error(BILLION_LAUGHS, call, fmt)
    assert error is not None
    assert "DTD" in str(error)
    assert error.line == 2


@pytest.mark.parametrize("body", XXE_BODIES, ids=["file", "parameter-entity", "external-dtd",
                                                  "undeclared-entity"])
@pytest.mark.parametrize("fmt", [None, 0, 2, 3])
def test_xxe_is_refused_without_reading_anything(body: bytes, fmt: int | None) -> None:
    error = parse_or_located_error(body, "get_stat", fmt)
    assert error is not None
    assert "root:" not in str(error)


# -- nesting and size ---------------------------------------------------------------------

@pytest.mark.parametrize("fmt", [None, 3])
def test_deeply_nested_json(fmt: int | None) -> None:
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000):
        assert parse_or_located_error(body, "get_stat", fmt) is not None


@pytest.mark.parametrize("fmt", [None, 2])
def test_deeply_nested_xml(fmt: int | None) -> None:
    body = b"<list>" + b"<stat>" * 10_000 + b"</stat>" * 10_000 + b"</list>"
    assert parse_or_located_error(body, "get_stat", fmt) is not None


@pytest.mark.parametrize(("fmt", "body"), [
    (0, b"login = alex, sms = " + b"9" * 5000 + b", credit = 1, debit = 1, currency = RUB"),
    (1, b"alex," + b"9" * 5000 + b",1,1,RUB"),
    (2, b"<list>\n<stat>\n<login>a</login>\n<sms>" + b"9" * 5000
        + b"</sms>\n<credit>1</credit>\n<debit>1</debit>\n<currency>RUB</currency>\n"
        b"</stat>\n</list>"),
    (3, b'[{"login": "a", "sms": ' + b"9" * 5000 + b', "credit": "1", "debit": "1", '
        b'"currency": "RUB"}]'),
    (3, b'[{"login": "a", "sms": 1e999999999, "credit": "1", "debit": "1", "currency": "RUB"}]'),
    (3, b'[{"login": "a", "sms": 1, "credit": 1e-999999999, "debit": "1", "currency": "RUB"}]'),
    (3, b'{"error_code": "' + b"9" * 5000 + b'"}'),
    (3, b'{"error_code": ' + b"9" * 5000 + b"}"),
    (2, b"<result>\n<error_code>" + b"9" * 5000 + b"</error_code>\n</result>"),
    (0, b"ERROR = " + b"9" * 5000 + b" (x)"),
    (1, b"0,-" + b"9" * 5000),
])
def test_huge_numbers_are_out_of_range_not_crashes(fmt: int, body: bytes) -> None:
    error = parse_or_located_error(body, "get_stat", fmt)
    assert error is not None
    assert len(str(error)) < 300, "a message quotes a value cut short"


def test_many_records_parse_whole() -> None:
    rows = [StatRow(f"user{i}", i, Decimal(f"{i}.50"), Decimal(i), "RUB") for i in range(3000)]
    for fmt in range(4):
        body = emit(rows, call="get_stat", fmt=fmt)
        assert parse(body, call="get_stat", fmt=fmt) == rows


def test_a_huge_xml_text_node_is_refused_or_read_whole() -> None:
    body = (b"<result>\n<id>1</id>\n<cnt>1</cnt>\n<cnt_mon>1</cnt_mon>\n<cnt_day>1</cnt_day>\n"
            b"<cnt_yes>1</cnt_yes>\n<cnt_pmon>1</cnt_pmon>\n<link>" + b"a" * 12_000_000
            + b"</link>\n</result>")
    error = parse_or_located_error(body, "get_short_link", 2)
    if error is None:
        link = parse(body, call="get_short_link", fmt=2)
        assert isinstance(link, ShortLink)
        assert len(link.link) == 12_000_000


# -- truncated and garbled corpus bodies -----------------------------------------------------

@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_truncated_corpus_bodies(path: Path) -> None:
    body = path.read_bytes()
    call, fmt = path.parent.name, EXT_FMT[path.suffix]
    cuts = sorted({len(body) * k // 16 for k in range(16)} | {1, len(body) - 1})
    for cut in cuts:
        for asked in (fmt, None):
            parse_or_located_error(body[:cut], call, asked)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_bodies_in_the_wrong_format_or_call(path: Path) -> None:
    body = path.read_bytes()
    for call in CALL_NAMES:
        for fmt in FMTS:
            parse_or_located_error(body, call, fmt)


# -- random bytes and mutations ---------------------------------------------------------------

@pytest.mark.parametrize("call", CALL_NAMES)
@settings(max_examples=60)
@given(body=st.binary(max_size=300), fmt=st.sampled_from(FMTS),
       charset=st.sampled_from([None, "utf-8", "windows-1251", "koi8-r"]))
def test_random_bytes(call: str, body: bytes, fmt: int | None, charset: str | None) -> None:
    parse_or_located_error(body, call, fmt, charset)


_NOISE = st.sampled_from([b",", b"\n", b"\r\n", b" = ", b"<", b">", b"&", b'"', b"{", b"}",
                          b"[", b"]", b"\x00", b"\xff", b"\xd0", b"-", b"9", b".", b":",
                          b"ERROR = ", b"0,-", b"<!DOCTYPE x>", b"\xef\xbb\xbf"])


@st.composite
def mutated(draw: st.DrawFn, body: bytes) -> bytes:
    """``body`` with a few bytes deleted, inserted or replaced."""
    out = bytearray(body)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "replace"]))
        at = draw(st.integers(0, len(out)))
        if op == "delete" and out:
            del out[min(at, len(out) - 1): min(at, len(out) - 1) + draw(st.integers(1, 8))]
        else:
            piece = draw(_NOISE | st.binary(min_size=1, max_size=3))
            if op == "insert":
                out[at:at] = piece
            else:
                out[at: at + len(piece)] = piece
    return bytes(out)


@pytest.mark.parametrize("call", CALL_NAMES)
@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
@settings(max_examples=40)
@given(data=st.data())
def test_mutated_emitted_bodies(call: str, fmt: int, data: st.DataObject) -> None:
    body = data.draw(bodies(call, fmt))
    bad = data.draw(mutated(body))
    parse_or_located_error(bad, call, fmt)
    parse_or_located_error(bad, call, None)


@settings(max_examples=150)
@given(data=st.data())
def test_mutated_corpus_bodies(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(CORPUS))
    bad = data.draw(mutated(path.read_bytes()))
    parse_or_located_error(bad, path.parent.name, EXT_FMT[path.suffix])
    parse_or_located_error(bad, path.parent.name, None)
