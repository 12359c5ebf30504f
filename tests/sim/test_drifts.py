"""Injected drift: every kind changes the bodies in the way its name says, judged by the spec."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from smsc_formats import ApiError, ParseError, parse
from smsc_formats.sim.drifts import DRIFTS
from smsc_formats.sim.handler import Simulator, SimulatorConfig
from smsc_formats.spec import (
    CALLS,
    JsonType,
    Kind,
    ListBody,
    OneOrListBody,
    Place,
    RecordBody,
    RecordSpec,
)

DEFAULTS: dict[str, dict[str, str]] = {
    "get_operator": {"phone": "79999999999"},
    "get_short_link": {"id": "145142"},
}
CALL_NAMES = sorted(CALLS)
FORMATS = (0, 1, 2, 3)
KINDS = ("field-added", "field-removed", "field-renamed", "order-changed", "json-type",
         "date-format", "decimal-scale", "id-pattern", "csv-columns", "xml-root",
         "new-error-code", "unparseable")
"""The kinds issue 4 lists, which the drift detector must tell apart."""

_SIMS: dict[str | None, Simulator] = {}


def body(drift: str | None, call: str, fmt: int, **params: str) -> bytes:
    """The body a (drifted) simulator answers to the call's default request."""
    sim = _SIMS.get(drift)
    if sim is None:
        sim = _SIMS[drift] = Simulator(SimulatorConfig(seed=4, limits=False, drift=drift))
    spec = CALLS[call]
    answer = sim.handle("/" + spec.path, {spec.selector: "1", "login": "demo",
                                          "psw": "demo-password", "fmt": str(fmt),
                                          **DEFAULTS.get(call, {}), **params})
    assert answer.status == 200
    return answer.body


def first_record(call: str, value: Any) -> tuple[RecordSpec, Any]:
    """The spec of the body's first record and that record in ``value`` (JSON or XML root)."""
    spec = CALLS[call]
    b = spec.body
    xml = isinstance(value, etree._Element)
    if isinstance(b, ListBody):
        return b.record, value[0]
    if isinstance(b, RecordBody | OneOrListBody):
        return (b.record if isinstance(b, RecordBody) else b.one), value
    section = b.sections[0]
    return section.record, (value.find(section.name)[0] if xml else value[section.name][0])


def json_keys(call: str, raw: bytes) -> tuple[RecordSpec, list[str], dict[str, Any]]:
    spec, record = first_record(call, json.loads(raw))
    return spec, list(record), record


def xml_names(call: str, raw: bytes) -> tuple[RecordSpec, list[str]]:
    spec, el = first_record(call, etree.fromstring(raw))
    return spec, [child.tag for child in el] + list(el.attrib)


def spec_wires(spec: RecordSpec, fmt: int, call: str | None = None) -> list[str]:
    """The record's documented wire names in ``fmt``; with ``call``, an optional field absent
    from the faithful body's first record (``err``) is left out too."""
    wires = [s for s in spec.layouts[fmt] if s.place is not Place.TEXT]
    if call is not None:
        _, present, _ = json_keys(call, body(None, call, 3))
        wires = [s for s in wires if not spec.field(s.field).optional or s.wire in present]
    return [s.wire for s in wires]


def text_keys(raw: bytes) -> list[str]:
    return re.findall(r"(?:^|, )([A-Za-z_]+) = ", raw.decode().split("\n")[0])


def changed(drift: str) -> set[tuple[str, int]]:
    return {(call, fmt) for call in CALL_NAMES for fmt in FORMATS
            if body(drift, call, fmt) != body(None, call, fmt)}


def test_table_offers_exactly_the_kinds_issue_four_lists() -> None:
    assert set(DRIFTS) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_changes_bodies_deterministically(kind: str) -> None:
    assert changed(kind)
    fresh = Simulator(SimulatorConfig(seed=4, limits=False, drift=kind))
    spec = CALLS["get_messages"]
    again = fresh.handle("/" + spec.path, {spec.selector: "1", "login": "demo",
                                           "psw": "demo-password", "fmt": "3"})
    assert again.body == body(kind, "get_messages", 3)


@pytest.mark.parametrize("kind", KINDS)
def test_errors_are_never_drifted(kind: str) -> None:
    for fmt in FORMATS:
        raw = body(kind, "get_price", fmt, psw="wrong")
        assert parse(raw, call="get_price", fmt=fmt) == \
            ApiError(2, None if fmt == 1 else "authorise error")


@pytest.mark.parametrize("call", CALL_NAMES)
def test_field_added(call: str) -> None:
    spec, keys, _ = json_keys(call, body("field-added", call, 3))
    assert keys[:-1] == spec_wires(spec, 3, call)
    assert keys[-1] not in spec_wires(spec, 3)
    spec, names = xml_names(call, body("field-added", call, 2))
    assert len(set(names) - set(spec_wires(spec, 2))) == 1
    assert body("field-added", call, 1).count(b",") > body(None, call, 1).count(b",")


@pytest.mark.parametrize("call", CALL_NAMES)
def test_field_removed(call: str) -> None:
    spec, keys, _ = json_keys(call, body("field-removed", call, 3))
    assert set(keys) < set(spec_wires(spec, 3, call))
    assert len(keys) == len(spec_wires(spec, 3, call)) - 1
    assert len(text_keys(body("field-removed", call, 0))) < \
        len(text_keys(body(None, call, 0)))


@pytest.mark.parametrize("call", CALL_NAMES)
def test_field_renamed(call: str) -> None:
    spec, keys, _ = json_keys(call, body("field-renamed", call, 3))
    wires = spec_wires(spec, 3, call)
    assert len(keys) == len(wires)
    assert [k for k, w in zip(keys, wires, strict=True) if k != w] != []
    assert len(set(keys) - set(wires)) == 1
    assert body("field-renamed", call, 1) == body(None, call, 1), "fmt=1 has no names"


@pytest.mark.parametrize("call", CALL_NAMES)
def test_order_changed(call: str) -> None:
    spec, keys, _ = json_keys(call, body("order-changed", call, 3))
    assert sorted(keys) == sorted(spec_wires(spec, 3, call))
    assert keys != spec_wires(spec, 3, call)
    faithful = text_keys(body(None, call, 0))
    drifted = text_keys(body("order-changed", call, 0))
    assert sorted(drifted) == sorted(faithful)
    assert drifted != faithful


def _json_type(value: Any) -> JsonType:
    return JsonType.STRING if isinstance(value, str) else JsonType.NUMBER


@pytest.mark.parametrize("call", CALL_NAMES)
def test_json_type(call: str) -> None:
    spec, _, record = json_keys(call, body("json-type", call, 3))
    documented = {s.wire: s.json for s in spec.layouts[3]}
    differing = [k for k, v in record.items() if _json_type(v) is not documented[k]]
    assert len(differing) == 1
    assert changed("json-type") == {(c, 3) for c in CALL_NAMES}


_DATE = re.compile(rb"[0-9]{2}\.[0-9]{2}\.[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_ISO = re.compile(rb"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def test_date_format() -> None:
    for call in ("get_messages", "get_answers"):
        for fmt in (0, 2, 3):
            raw = body("date-format", call, fmt)
            assert _ISO.search(raw)
            assert not _DATE.search(raw)


def _money_texts(call: str, raw: bytes) -> list[str]:
    spec, _, record = json_keys(call, raw)
    return [record[s.wire] for s in spec.layouts[3] if spec.field(s.field).kind is Kind.MONEY]


def test_decimal_scale() -> None:
    for call in ("get_messages", "get_stat", "get_price"):
        faithful = _money_texts(call, body(None, call, 3))
        drifted = _money_texts(call, body("decimal-scale", call, 3))
        assert all(len(t.split(".")[1]) == 2 for t in faithful)
        assert all(len(t.split(".")[1]) == 3 for t in drifted)
        assert parse(body("decimal-scale", call, 3), call=call, fmt=3) == \
            parse(body(None, call, 3), call=call, fmt=3), "the same amounts, other scale"


def test_id_pattern() -> None:
    for fmt in FORMATS:
        messages: Any = parse(body("id-pattern", "get_messages", fmt), call="get_messages",
                              fmt=fmt)
        assert isinstance(messages, list)
        assert all(m.phone.startswith("+") for m in messages)
        answers: Any = parse(body("id-pattern", "get_answers", fmt), call="get_answers", fmt=fmt)
        assert isinstance(answers, list)
        assert all(a.phone.startswith("+") and a.to_phone.startswith("+") for a in answers)


def test_csv_columns() -> None:
    assert changed("csv-columns") == {(c, 1) for c in CALL_NAMES}
    faithful = body(None, "get_stat", 1).split(b"\n")[0]
    drifted = body("csv-columns", "get_stat", 1).split(b"\n")[0]
    width = len(CALLS["get_stat"].records()[0].layouts[1])
    assert faithful.count(b",") + 1 == width
    assert drifted.count(b",") + 1 == width + 1


def _root(call: str) -> str:
    b = CALLS[call].body
    if isinstance(b, RecordBody):
        return b.record.xml_tag
    if isinstance(b, OneOrListBody):
        return b.one.xml_tag
    return b.xml_root


def test_xml_root() -> None:
    assert changed("xml-root") == {(c, 2) for c in CALL_NAMES}
    for call in CALL_NAMES:
        assert etree.fromstring(body(None, call, 2)).tag == _root(call)
        assert etree.fromstring(body("xml-root", call, 2)).tag != _root(call)


@pytest.mark.parametrize("call", CALL_NAMES)
def test_new_error_code(call: str) -> None:
    for fmt in FORMATS:
        reply = parse(body("new-error-code", call, fmt), call=call, fmt=fmt)
        assert isinstance(reply, ApiError)
        assert reply.code not in CALLS[call].error_codes


@pytest.mark.parametrize("call", CALL_NAMES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_unparseable(call: str, fmt: int) -> None:
    raw = body("unparseable", call, fmt)
    parsers: list[Callable[[], object]] = [lambda: parse(raw, call=call, fmt=fmt),
                                           lambda: parse(raw, call=call)]
    for attempt in parsers:
        with pytest.raises(ParseError):
            attempt()


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown drift 'nope'"):
        SimulatorConfig(drift="nope")
