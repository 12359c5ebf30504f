"""The exception tree and the one error boundary (issue 8).

``tests/data/hostile/cases.json`` lists hostile bodies (files beside it) with the entry point,
call, fmt and chunk size they are read with, and the exact ``str()`` of the ParseError each
must raise: before the boundary they escaped as ``decimal.InvalidOperation``,
``LookupError``, ``UnicodeError``, ``RecursionError`` or ``JSONDecodeError``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import smsc_formats
from smsc_formats import (
    EmitError,
    ParseError,
    RequestError,
    SmscApiError,
    SmscFormatsError,
    UsageError,
    emit,
    iter_parse,
    parse,
    sniff,
)
from smsc_formats.errors import boundary

HOSTILE = Path(__file__).parent / "data" / "hostile"
CASES: list[dict[str, Any]] = json.loads((HOSTILE / "cases.json").read_text("utf-8"))


def _id(case: dict[str, Any]) -> str:
    return f"{case['api']}-{case['body']}-{case['call']}-fmt{case['fmt']}-{case.get('chunk')}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_hostile_body_raises_the_recorded_parse_error(case: dict[str, Any]) -> None:
    body = (HOSTILE / case["body"]).read_bytes()

    def read() -> object:
        if case["api"] == "parse":
            return parse(body, call=case["call"], fmt=case["fmt"])
        if case["api"] == "sniff":
            return sniff(body, call=case["call"])
        size = case["chunk"]
        chunks = [body[i:i + size] for i in range(0, len(body), size)]
        return list(iter_parse(chunks, call=case["call"], fmt=case["fmt"]))

    with pytest.raises(ParseError) as info:
        read()
    assert str(info.value) == case["error"]
    assert info.value.line is not None or info.value.path is not None


def test_every_hostile_body_is_used() -> None:
    used = {c["body"] for c in CASES}
    assert used == {p.name for p in HOSTILE.iterdir() if p.name != "cases.json"}


def test_the_issue_s_hostile_bodies_are_all_there() -> None:
    bodies = {(HOSTILE / c["body"]).read_bytes() for c in CASES}
    assert b'{"error_code":1e9999999999999999999}' in bodies
    assert b"[" * 5000 in bodies
    for name in ("hex", "rot13", "base64", "undefined"):
        assert any(f'encoding="{name}"'.encode() in b for b in bodies)
    apis = {(c["body"], c["api"], c["fmt"]) for c in CASES}
    assert {("huge-exponent.json", "parse", f) for f in (None, 0, 1, 2, 3)} <= apis


# -- caller mistakes ---------------------------------------------------------------------------


@pytest.mark.parametrize(("charset", "message"), [
    ("\x00", "unknown charset '\\x00'"),
    ("klingon", "unknown charset 'klingon'"),
    ("rot13", "unsupported charset 'rot13': not an ASCII-compatible text charset"),
    ("hex", "unsupported charset 'hex': not an ASCII-compatible text charset"),
    ("base64", "unsupported charset 'base64': not an ASCII-compatible text charset"),
    ("undefined", "unsupported charset 'undefined': not an ASCII-compatible text charset"),
    ("utf-16", "unsupported charset 'utf-16': not an ASCII-compatible text charset"),
])
def test_a_bad_charset_is_a_usage_error_everywhere(charset: str, message: str) -> None:
    for call in (lambda: parse(b"[]", call="get_stat", charset=charset),
                 lambda: list(iter_parse([b"[]"], call="get_stat", fmt=3, charset=charset)),
                 lambda: emit([], call="get_stat", fmt=3, charset=charset)):
        with pytest.raises(UsageError) as info:
            call()
        assert str(info.value) == message
        assert not isinstance(info.value, ParseError | EmitError)


@pytest.mark.parametrize("fmt", [4, -1, "3", True, 2.0])
def test_an_unknown_fmt_is_a_usage_error(fmt: Any) -> None:
    message = f"unknown fmt {fmt!r}; known: 0, 1, 2, 3"
    for call in (lambda: parse(b"[]", call="get_stat", fmt=fmt),
                 lambda: list(iter_parse([b"[]"], call="get_stat", fmt=fmt)),
                 lambda: emit([], call="get_stat", fmt=fmt)):
        with pytest.raises(UsageError) as info:
            call()
        assert str(info.value) == message


def test_an_unknown_call_is_a_usage_error_for_emit_and_iter_parse_too() -> None:
    with pytest.raises(UsageError, match=r"^unknown call 'get_balance'; known: get_messages"):
        emit([], call="get_balance", fmt=3)
    with pytest.raises(UsageError, match=r"^unknown call 'get_balance'"):
        list(iter_parse([b"[]"], call="get_balance", fmt=3))
    with pytest.raises(UsageError, match=r"^unknown call None"):
        parse(b"[]", call=None)  # type: ignore[arg-type]


def test_sniff_of_a_non_body_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"sniff reads a body as bytes or str, not int$"):
        sniff(12)  # type: ignore[arg-type]


# -- the tree ----------------------------------------------------------------------------------


def test_every_exception_the_package_exports_is_in_the_tree() -> None:
    exported = [getattr(smsc_formats, n) for n in smsc_formats.__all__]
    errors = [e for e in exported if isinstance(e, type) and issubclass(e, BaseException)]
    assert set(errors) == {SmscFormatsError, ParseError, EmitError, RequestError, UsageError,
                           SmscApiError}
    for error in errors:
        assert issubclass(error, SmscFormatsError)
        assert issubclass(error, ValueError)  # ParseError and EmitError stay ValueErrors
        assert error.__name__ in (smsc_formats.errors.__doc__ or "")


def test_the_boundary_translates_foreign_errors_but_never_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"^a caller mistake$"), boundary("get_stat", 3):
        raise UsageError("a caller mistake")
    with pytest.raises(ParseError) as info, boundary("get_stat", 3):
        int("x")
    assert str(info.value).startswith("get_stat fmt=3: line 1, column 1: unreadable: ")
    with pytest.raises(ParseError) as info, boundary("get_stat", None):
        raise ParseError("inner", fmt=2, line=3, col=4)
    assert str(info.value) == "get_stat fmt=2: line 3, column 4: inner"
    with pytest.raises(ParseError, match="nested too deeply"), boundary("get_stat", 3):
        raise RecursionError
