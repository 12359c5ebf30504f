"""The charset chain of decisions.md, format sniffing, and charsets on the way out.

The windows-1251 and koi8-r bodies are the hand-written UTF-8 corpus transcoded by the standard
library, so every one of them must parse to the same canonical JSON as its UTF-8 original.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from smsc_formats import (
    ApiError,
    EmitError,
    IncomingMessage,
    ParseError,
    UsageError,
    emit,
    iter_parse,
    parse,
    sniff,
    to_canonical,
)
from smsc_formats.charset import canonical_name, decode
from smsc_formats.values import MOSCOW

DATA = Path(__file__).parent / "data" / "valid"
EXT_FMT = {".txt": 0, ".csv": 1, ".xml": 2, ".json": 3}
CYRILLIC = sorted(
    p for p in DATA.glob("*/*")
    if p.suffix in EXT_FMT and not p.name.endswith(".expected.json")
    and not p.name.startswith("liberal-")
    and any("\u0400" <= c <= "\u04ff" for c in p.read_text("utf-8"))
)
CHARSETS = {"windows-1251": "cp1251", "koi8-r": "koi8_r"}


def _expected(path: Path) -> object:
    own = path.with_name(path.name + ".expected.json")
    shared = path.with_name(path.name[: -len(path.suffix)] + ".expected.json")
    return json.loads((own if own.exists() else shared).read_text("utf-8"))


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_the_corpus_has_cyrillic_in_every_call_and_format() -> None:
    assert {(p.parent.name, p.suffix) for p in CYRILLIC} >= {
        (call, ext) for call in ("get_messages", "get_answers", "get_price", "get_operator")
        for ext in EXT_FMT}


def _carries(path: Path, charset: str) -> bool:
    try:
        path.read_text("utf-8").encode(CHARSETS[charset])
    except UnicodeEncodeError:
        return False  # e.g. koi8-r has no "№"
    return True


TRANSCODED = [pytest.param(p, c, id=f"{_id(p)}-{c}") for p in CYRILLIC for c in sorted(CHARSETS)
              if _carries(p, c)]


@pytest.mark.parametrize(("path", "charset"), TRANSCODED)
def test_transcoded_body_parses_like_utf8(path: Path, charset: str) -> None:
    body = path.read_text("utf-8").encode(CHARSETS[charset])
    call, fmt = path.parent.name, EXT_FMT[path.suffix]
    assert body != path.read_bytes()
    assert to_canonical(parse(body, call=call, fmt=fmt, charset=charset)) == _expected(path)
    assert emit(parse(body, call=call, fmt=fmt, charset=charset), call=call, fmt=fmt,
                charset=charset) == body


@pytest.mark.parametrize("path", CYRILLIC, ids=_id)
def test_windows_1251_is_detected_from_the_bytes(path: Path) -> None:
    body = path.read_text("utf-8").encode("cp1251")
    call = path.parent.name
    assert to_canonical(parse(body, call=call)) == _expected(path)
    assert sniff(body, call=call) == (EXT_FMT[path.suffix], "windows-1251")


def test_the_xml_declaration_names_the_charset() -> None:
    body = ('<?xml version="1.0" encoding="koi8-r"?>\n<info>\n<country>Россия</country>\n'
            "<operator>МТС</operator>\n<region>Москва</region>\n<mcc>250</mcc>\n"
            "<mnc>01</mnc>\n<tz>3</tz>\n</info>").encode("koi8_r")
    # Without the declaration these bytes would be read as windows-1251 (mojibake).
    reply = to_canonical(parse(body, call="get_operator"))
    assert reply == {"country": "Россия", "operator": "МТС", "region": "Москва", "mcc": "250",
                     "mnc": "01", "tz": 3}
    assert sniff(body) == (2, "koi8-r")
    assert decode(body) == (body.decode("koi8_r"), "koi8-r")


def test_the_callers_charset_beats_the_declaration() -> None:
    body = ('<?xml version="1.0" encoding="windows-1251"?>\n<result>\n'
            "<error>ошибка</error>\n<error_code>2</error_code>\n</result>").encode()
    assert parse(body, call="get_stat", charset="utf-8") == ApiError(2, "ошибка")
    # Without the caller's word, the (lying) declaration decides.
    assert parse(body, call="get_stat") == ApiError(2, "ошибка".encode().decode("cp1251"))


def test_a_body_not_in_the_callers_charset_does_not_fall_through() -> None:
    body = "country = Россия, operator = МТС, region = , mcc = 250, mnc = 01, tz = 3".encode(
        "cp1251")
    with pytest.raises(ParseError) as info:
        parse(body, call="get_operator", fmt=0, charset="utf-8")
    assert str(info.value) == "get_operator fmt=0: line 1, column 11: not valid utf-8: byte 0xd0"


def test_the_content_type_label_comes_last() -> None:
    utf8 = "login = Фёдор, sms = 1, credit = 1, debit = 1, currency = RUB".encode()
    # The real server labels utf-8 answers windows-1251: the bytes win over the label.
    assert decode(utf8, None, "text/plain; charset=windows-1251")[1] == "utf-8"
    # 0x98 is no windows-1251 character, so only the label can tell these koi8-r bytes apart.
    koi8 = "Цена ≤ 5".encode("koi8_r")
    assert b"\x98" in koi8
    assert decode(koi8, None, 'text/plain; charset="KOI8-R"') == ("Цена ≤ 5", "koi8-r")
    with pytest.raises(ParseError) as info:
        decode(koi8)
    assert info.value.line == 1
    assert info.value.col == 6


def test_utf8_bom_is_dropped() -> None:
    assert decode(b"\xef\xbb\xbf[]") == ("[]", "utf-8")
    assert parse(b"\xef\xbb\xbf[]", call="get_stat") == []


@pytest.mark.parametrize(("label", "name"), [
    ("UTF-8", "utf-8"), ("utf8", "utf-8"), ("cp1251", "windows-1251"),
    ("Windows-1251", "windows-1251"), ("KOI8-R", "koi8-r"), ("koi8_r", "koi8-r"),
])
def test_charset_names(label: str, name: str) -> None:
    assert canonical_name(label) == name


def test_unknown_charset_is_a_usage_error() -> None:
    # A caller mistake (issue 8), for parse and emit alike; it was a ParseError/EmitError.
    with pytest.raises(UsageError, match="unknown charset 'klingon'"):
        parse(b"[]", call="get_stat", charset="klingon")
    with pytest.raises(UsageError, match="unknown charset 'klingon'"):
        emit([], call="get_stat", fmt=3, charset="klingon")


@pytest.mark.parametrize(("body", "call", "found"), [
    (b"login = alex, sms = 1, credit = 1, debit = 1, currency = RUB", None, (0, "utf-8")),
    (b"login = alex, sms = 1, credit = 1, debit = 1, currency = RUB", "get_stat", (0, "utf-8")),
    # Not a get_messages head, so for that call it can only be comma-separated.
    (b"login = alex, sms = 1, credit = 1, debit = 1, currency = RUB", "get_messages",
     (1, "utf-8")),
    (b"alex,1,1,1,RUB", "get_stat", (1, "utf-8")),
    (b"mail = 0.05", "get_price", (0, "utf-8")),
    (b"ERROR = 2 (authorise error)", "get_stat", (0, "utf-8")),
    (b"ERROR = 2", None, (0, "utf-8")),
    (b"0,-2", "get_stat", (1, "utf-8")),
    (b"<result>\n<error_code>2</error_code>\n</result>", None, (2, "utf-8")),
    (b"  \n<list>\n</list>", None, (2, "utf-8")),
    (b"[]", None, (3, "utf-8")),
    (b'{\n"error_code": 2\n}', None, (3, "utf-8")),
    (b"\xef\xbb\xbf{}", None, (3, "utf-8")),
    ("ERROR = 2 (ошибка авторизации)".encode("cp1251"), None, (0, "windows-1251")),
])
def test_sniff(body: bytes, call: str | None, found: tuple[int, str]) -> None:
    assert sniff(body, call=call) == found


def test_sniff_an_empty_body() -> None:
    with pytest.raises(ParseError, match="cannot detect the format of an empty body"):
        sniff(b"  \n")


# -- charsets on the way out --------------------------------------------------------------

def _answer(message: str) -> list[IncomingMessage]:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=MOSCOW)
    return [IncomingMessage(7, moment, "79991234567", message, "79001112233", moment)]


def test_emit_in_windows_1251_and_koi8_r() -> None:
    text = ("id = 7, received = 02.01.2026 03:04:05, phone = 79991234567, "
            "message = Привет, мир, to_phone = 79001112233, sent = 02.01.2026 03:04:05")
    for charset, codec in CHARSETS.items():
        assert emit(_answer("Привет, мир"), call="get_answers", fmt=0,
                    charset=charset) == text.encode(codec)
    assert emit(ApiError(2, "ошибка авторизации"), call="get_stat", fmt=3,
                charset="windows-1251") == (
        '{\n"error": "ошибка авторизации",\n"error_code": 2\n}'.encode("cp1251"))


@pytest.mark.parametrize(("charset", "char", "name"), [
    ("windows-1251", "😀", "U+1F600"),
    ("koi8-r", "№", "U+2116"),
    ("koi8-r", "€", "U+20AC"),
])
def test_emit_refuses_a_character_the_charset_lacks(charset: str, char: str, name: str) -> None:
    prefix = "id = 7, received = 02.01.2026 03:04:05, phone = 79991234567, message = Ок "
    with pytest.raises(EmitError) as info:
        emit(_answer(f"Ок {char}!"), call="get_answers", fmt=0, charset=charset)
    assert str(info.value) == (f"{charset} cannot encode {char!r} ({name}) at line 1, "
                               f"column {len(prefix) + 1}")


def test_emit_refusal_points_into_later_lines() -> None:
    with pytest.raises(EmitError) as info:
        emit(_answer("строка\nвторая 😀"), call="get_answers", fmt=2, charset="koi8-r")
    # <sms_answers>, <sms>, <id>, <received>, <phone>, then the message's second line.
    assert str(info.value) == "koi8-r cannot encode '😀' (U+1F600) at line 7, column 8"


def test_utf8_carries_everything() -> None:
    body = emit(_answer("Ок 😀 № €"), call="get_answers", fmt=3)
    assert parse(body, call="get_answers", fmt=3) == _answer("Ок 😀 № €")


# -- rule 3: UTF-8 with bad bytes is an error, not windows-1251 (issue 8) ---------------------

def _many_answers(message: str, count: int = 80) -> list[IncomingMessage]:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=MOSCOW)
    return [IncomingMessage(i, moment, "79991234567", message, "79001112233", moment)
            for i in range(1, count + 1)]


def _both(body: bytes, size: int) -> tuple[object, object]:
    """What parse and iter_parse (in ``size``-byte chunks) make of a get_answers body."""
    out: list[object] = []
    for read in (lambda: parse(body, call="get_answers"),
                 lambda: list(iter_parse([body[i:i + size] for i in range(0, len(body), size)],
                                         call="get_answers", fmt=None))):
        try:
            out.append(read())
        except ParseError as exc:
            out.append(str(exc))
    return out[0], out[1]


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
@pytest.mark.parametrize("at", [100, 6000])
def test_a_stray_byte_in_utf8_is_an_error_at_that_byte_for_parse_and_stream(
        fmt: int, at: int) -> None:
    body = emit(_many_answers("Привет, мир"), call="get_answers", fmt=fmt)
    at = body.index(b"\n", at) + 3  # not inside a character
    bad = body[:at] + b"\xff" + body[at:]
    line = bad.count(b"\n", 0, at) + 1
    col = len(bad[bad.rfind(b"\n", 0, at) + 1:at].decode("utf-8")) + 1
    expected = f"get_answers: line {line}, column {col}: not valid utf-8: byte 0xff"
    for size in (1, 100, 4096, len(bad)):
        assert _both(bad, size) == (expected, expected)


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_windows_1251_after_an_ascii_head_is_read_alike_by_parse_and_stream(fmt: int) -> None:
    replies = _many_answers("hello")[:60] + _many_answers("Привет, мир")[60:]
    body = emit(replies, call="get_answers", fmt=fmt, charset="windows-1251")
    assert body[:4096].isascii()
    for size in (1, 7, 4096):
        assert _both(body, size) == (replies, replies)


def test_windows_1251_text_with_an_accidental_utf8_pair_stays_windows_1251() -> None:
    # "ЖЁ" in windows-1251 is 0xc6 0xa8, a valid UTF-8 sequence; the rest is not UTF-8.
    replies = _many_answers("ЖЁлтый дом, улица Южная", 3)
    body = emit(replies, call="get_answers", fmt=0, charset="windows-1251")
    assert sniff(body) == (0, "windows-1251")
    assert _both(body, 5) == (replies, replies)


def test_mostly_utf8_in_the_head_is_an_error_not_mojibake() -> None:
    body = emit(_many_answers("Привет", 3), call="get_answers", fmt=0)
    bad = body.replace("Привет".encode(), "Привет".encode("cp1251"), 1)
    col = len("id = 1, received = 02.01.2026 03:04:05, phone = 79991234567, message = ") + 1
    with pytest.raises(ParseError, match=rf"^line 1, column {col}: not valid utf-8: byte 0xcf$"):
        sniff(bad)
