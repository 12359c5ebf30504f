"""The hand-transcribed corpus in ``tests/data``: bodies against the values read off the page.

``tests/data/valid/<call>/<case>.<ext>`` is a body as the server writes it (``.txt`` fmt=0,
``.csv`` fmt=1, ``.xml`` fmt=2, ``.json`` fmt=3; the extension is the fmt the request asked
for). Its expected canonical JSON is ``<case>.<ext>.expected.json`` when present (fmt=1 errors,
which carry no description), else ``<case>.expected.json``, shared by every format of the case.
Cases whose name starts with ``liberal-`` are bodies the parser accepts although the server
does not write them so (CRLF, BOM, indentation, type drift...): they are checked for parsing
only; every other body must also be emitted back byte for byte.

``tests/data/invalid/<call>/<case>.<ext>`` is a bad body; ``<case>.error`` holds the exact
``str()`` of the ParseError it raises.

The expected files were written by hand from ``shared/api/getting-data.md`` and
``shared/design/decisions.md``, never produced by this package.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smsc_formats import (
    ApiError,
    ParseError,
    emit,
    from_canonical,
    iter_parse,
    parse,
    to_canonical,
)
from smsc_formats.spec import CALLS, FORMATS, ListBody

DATA = Path(__file__).parent / "data"
EXT_FMT = {".txt": 0, ".csv": 1, ".xml": 2, ".json": 3}
LIBERAL = "liberal-"


def _bodies(kind: str) -> list[Path]:
    return sorted(p for p in (DATA / kind).glob("*/*")
                  if not p.name.endswith((".expected.json", ".error")) and p.suffix in EXT_FMT)


def _case(path: Path) -> str:
    return path.name[: -len(path.suffix)]


def _expected(path: Path) -> Any:
    own = path.with_name(path.name + ".expected.json")
    shared = path.with_name(_case(path) + ".expected.json")
    return json.loads((own if own.exists() else shared).read_text("utf-8"))


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


VALID = _bodies("valid")
INVALID = _bodies("invalid")


def _ordered(value: Any) -> str:
    """Canonical JSON as text, so the key order (the fmt=3 order) is compared too."""
    return json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize("path", VALID, ids=_id)
def test_valid_body_parses_to_expected(path: Path) -> None:
    call, fmt = path.parent.name, EXT_FMT[path.suffix]
    body = path.read_bytes()
    expected = _expected(path)
    actual = to_canonical(parse(body, call=call, fmt=fmt))
    assert actual == expected
    assert _ordered(actual) == _ordered(expected)


@pytest.mark.parametrize("path", VALID, ids=_id)
def test_valid_body_format_is_detected(path: Path) -> None:
    call = path.parent.name
    assert to_canonical(parse(path.read_bytes(), call=call)) == _expected(path)


@pytest.mark.parametrize("path", [p for p in VALID if not _case(p).startswith(LIBERAL)],
                         ids=_id)
def test_server_layout_emits_back_byte_for_byte(path: Path) -> None:
    call, fmt = path.parent.name, EXT_FMT[path.suffix]
    body = path.read_bytes()
    assert emit(parse(body, call=call, fmt=fmt), call=call, fmt=fmt) == body


@pytest.mark.parametrize("path", VALID, ids=_id)
def test_expected_json_is_canonical(path: Path) -> None:
    """The hand-written expectation reads back through from_canonical to the parsed value."""
    call, fmt = path.parent.name, EXT_FMT[path.suffix]
    reply = from_canonical(_expected(path), call=call)
    assert reply == parse(path.read_bytes(), call=call, fmt=fmt)
    assert to_canonical(reply) == _expected(path)


@pytest.mark.parametrize("path", VALID, ids=_id)
def test_server_layout_has_no_trailing_newline(path: Path) -> None:
    """The corpus itself keeps decisions.md's layout, except where a liberal case says not."""
    body = path.read_bytes()
    if not _case(path).startswith(LIBERAL):
        assert not body.endswith(b"\n")
        assert b"\r" not in body
        assert not body.startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("call", sorted(CALLS))
def test_corpus_covers_every_format_and_error_code(call: str) -> None:
    exact = [p for p in VALID if p.parent.name == call and not _case(p).startswith(LIBERAL)]
    data_fmts = {EXT_FMT[p.suffix] for p in exact if not _case(p).startswith("error")}
    assert data_fmts == set(FORMATS)
    for code in sorted(CALLS[call].error_codes):
        shapes = {EXT_FMT[p.suffix] for p in exact if _case(p) == f"error{code}"}
        assert shapes == set(FORMATS), f"error {code} of {call}"


@pytest.mark.parametrize("path", [p for p in VALID if _case(p).startswith("error")], ids=_id)
def test_error_bodies_are_recognised_whatever_fmt_was_asked(path: Path) -> None:
    call = path.parent.name
    expected = _expected(path)["error"]
    for fmt in FORMATS:
        reply = parse(path.read_bytes(), call=call, fmt=fmt)
        assert reply == ApiError(expected["code"], expected["description"])


@pytest.mark.parametrize("path", INVALID, ids=_id)
def test_invalid_body_raises_the_recorded_error(path: Path) -> None:
    call, fmt = path.parent.name, EXT_FMT[path.suffix]
    expected = path.with_name(_case(path) + ".error").read_text("utf-8").rstrip("\n")
    with pytest.raises(ParseError) as info:
        parse(path.read_bytes(), call=call, fmt=fmt)
    assert str(info.value) == expected
    assert info.value.line is not None or info.value.path is not None
    assert info.value.call == call


STREAMED_INVALID = [p for p in INVALID if isinstance(CALLS[p.parent.name].body, ListBody)]


@pytest.mark.parametrize("size", [1, 7, 4096])
@pytest.mark.parametrize("path", STREAMED_INVALID, ids=_id)
def test_invalid_body_streamed_raises_the_recorded_error(path: Path, size: int) -> None:
    """iter_parse, fed the bad body in chunks of any size, stops with parse's very message."""
    call, fmt = path.parent.name, EXT_FMT[path.suffix]
    expected = path.with_name(_case(path) + ".error").read_text("utf-8").rstrip("\n")
    body = path.read_bytes()
    chunks = [body[i:i + size] for i in range(0, len(body), size)]
    with pytest.raises(ParseError) as info:
        list(iter_parse(chunks, call=call, fmt=fmt))
    assert str(info.value) == expected


def test_every_invalid_body_has_its_message() -> None:
    for path in INVALID:
        assert path.with_name(_case(path) + ".error").exists(), path


def test_every_call_has_invalid_bodies() -> None:
    assert {p.parent.name for p in INVALID} == set(CALLS)
