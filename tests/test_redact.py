"""Masking personal data: parse -> rewrite -> emit keeps every format in agreement."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from smsc_formats import ApiError, IncomingMessage, SentMessage, emit, parse
from smsc_formats.checks.conformance import check_case
from smsc_formats.redact import REDACTABLE, RedactError, Redactor, pseudonym

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
KEY = b"a fixed test key"
MASK = Redactor.of(["phone", "to_phone", "message"], KEY)


def _cases() -> list[tuple[str, Path, dict[str, Any]]]:
    out = []
    for meta_path in sorted(FIXTURES.glob("*/*/meta.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        out.append((meta["call"], meta_path.parent, meta))
    return out


CASES = _cases()


def _bodies(case_dir: Path, meta: dict[str, Any]) -> dict[int, tuple[bytes, str]]:
    return {int(f): ((case_dir / info["file"]).read_bytes(), info["charset"])
            for f, info in meta["formats"].items()}


def _records(reply: Any) -> list[Any]:
    return reply if isinstance(reply, list) else []


@pytest.mark.parametrize(("call", "case_dir", "meta"), CASES,
                         ids=[f"{c}/{d.name}" for c, d, _ in CASES])
def test_a_masked_case_still_agrees_across_formats(call: str, case_dir: Path,
                                                   meta: dict[str, Any]) -> None:
    bodies = _bodies(case_dir, meta)
    assert check_case(call, bodies) == []  # the committed case agrees to begin with
    masked = {f: (MASK.body(b, call=call, fmt=f, charset=cs), cs) for f, (b, cs) in bodies.items()}
    assert check_case(call, masked) == []
    for fmt, (body, charset) in masked.items():
        before = parse(bodies[fmt][0], call=call, fmt=fmt, charset=charset)
        after = parse(body, call=call, fmt=fmt, charset=charset)
        assert len(_records(after)) == len(_records(before))
        for old, new in zip(_records(before), _records(after), strict=True):
            if isinstance(old, SentMessage | IncomingMessage):
                assert new.phone != old.phone
                assert re.sub(r"[0-9]", "9", new.phone) == re.sub(r"[0-9]", "9", old.phone)
                assert [len(line) for line in new.message.split("\n")] == \
                    [len(line) for line in old.message.split("\n")]
                assert (new.message == "") == (old.message == "")
            if isinstance(old, IncomingMessage):
                assert new.to_phone != old.to_phone
                assert (new.id, new.received) == (old.id, old.received)


def test_the_same_phone_gets_the_same_pseudonym_in_every_case_and_format() -> None:
    fakes: dict[str, set[str]] = {}
    for call, case_dir, meta in CASES:
        for fmt, (body, charset) in _bodies(case_dir, meta).items():
            before = parse(body, call=call, fmt=fmt, charset=charset)
            after = parse(MASK.body(body, call=call, fmt=fmt, charset=charset),
                          call=call, fmt=fmt, charset=charset)
            for old, new in zip(_records(before), _records(after), strict=True):
                for name in ("phone", "to_phone"):
                    if hasattr(old, name):
                        fakes.setdefault(getattr(old, name), set()).add(getattr(new, name))
    assert len(fakes) >= 5  # the fixtures hold several numbers, some in several places
    assert all(len(fake) == 1 for fake in fakes.values()), fakes
    assert len({next(iter(f)) for f in fakes.values()}) == len(fakes)  # no two collide
    assert not set(fakes) & {next(iter(f)) for f in fakes.values()}


def test_a_pseudonym_keeps_the_shape_of_a_phone() -> None:
    for phone in ("+79161234567", "79161234567", "380501234567", "12345"):
        fake = pseudonym(KEY, "phone", phone)
        assert fake != phone
        assert len(fake) == len(phone)
        assert fake.startswith("+") == phone.startswith("+")
        assert re.fullmatch(r"\+?[0-9]+", fake)
    assert pseudonym(KEY, "phone", "79161234567") == pseudonym(KEY, "to_phone", "79161234567")
    assert pseudonym(b"another key", "phone", "79161234567") != \
        pseudonym(KEY, "phone", "79161234567")


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r"])
def test_a_message_keeps_its_lines_in_a_single_byte_charset(charset: str) -> None:
    text = "Привет, мир!\n\tКод: 1234 - OK;"
    row = IncomingMessage(7, _when(), "79161234567", text, "79010000001", _when())
    body = emit([row, row], call="get_answers", fmt=0, charset=charset)
    masked = MASK.body(body, call="get_answers", fmt=0, charset=charset)
    reply: Any = parse(masked, call="get_answers", fmt=0, charset=charset)
    first, second = reply
    assert first == second  # the same message, the same pseudonym
    assert [len(x) for x in first.message.split("\n")] == [len(x) for x in text.split("\n")]
    assert first.message.split("\n")[1].startswith("\t")
    assert not set(first.message) & set(",:-!;")  # nothing left to read as layout
    first.message.encode(charset)


def _when() -> Any:
    from datetime import datetime

    from smsc_formats.values import MOSCOW

    return datetime(2026, 11, 20, 10, 0, tzinfo=MOSCOW)


def test_a_body_that_does_not_parse_is_refused_without_quoting_it() -> None:
    with pytest.raises(RedactError, match="does not parse") as raised:
        MASK.body(b'{"phone": "79161234567", oops', call="get_answers", fmt=3)
    assert "79161234567" not in str(raised.value)


def test_a_body_with_nothing_to_mask_stays_byte_for_byte() -> None:
    body = (FIXTURES / "get_stat" / "default" / "fmt2.xml").read_bytes()
    assert MASK.body(body, call="get_stat", fmt=2) == body
    error = emit(ApiError(3, "Message not found"), call="get_messages", fmt=0)
    assert MASK.body(error, call="get_messages", fmt=0) == error


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(RedactError, match="cannot redact cost, phon"):
        Redactor.of(["phon", "cost"], KEY)
    assert {"phone", "to_phone", "message", "sender_id"} <= REDACTABLE


def test_before_record_rewrites_anything_else() -> None:
    def scrub(reply: Any) -> Any:
        return [type(r)(**{**{f: getattr(r, f) for f in r.__match_args__},
                           "sender_id": "SCRUBBED"}) for r in reply]

    body = (FIXTURES / "get_messages" / "default" / "fmt3.json").read_bytes()
    masked = Redactor.of([], KEY, scrub).body(body, call="get_messages", fmt=3)
    reply: Any = parse(masked, call="get_messages", fmt=3)
    assert {r.sender_id for r in reply} == {"SCRUBBED"}


def test_request_parameters_are_masked_like_the_bodies() -> None:
    params = MASK.params({"phone": "79999999999,79161234567", "cnt": "5"})
    assert params == {"phone": f"{pseudonym(KEY, 'phone', '79999999999')},"
                               f"{pseudonym(KEY, 'phone', '79161234567')}", "cnt": "5"}
