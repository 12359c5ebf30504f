"""The spec against the page and the model: every call, format and field accounted for."""

from __future__ import annotations

import dataclasses

import pytest

from smsc_formats.codecs import CODECS
from smsc_formats.model import MODELS
from smsc_formats.spec import CALLS, FORMATS, Form, Kind

PAGE_CALLS = {"get_messages", "get_answers", "get_stat", "get_price", "get_operator",
              "get_short_link"}


def test_dispatch_tables_are_complete() -> None:
    assert set(CALLS) == PAGE_CALLS
    assert set(CODECS) == set(FORMATS) == {0, 1, 2, 3}
    for call in CALLS.values():
        for record in call.records():
            assert set(record.layouts) == set(FORMATS), record.name


@pytest.mark.parametrize("record", [r for c in CALLS.values() for r in c.records()],
                         ids=lambda r: r.name)
def test_model_matches_spec(record: object) -> None:
    from smsc_formats.spec import RecordSpec

    assert isinstance(record, RecordSpec)
    model = MODELS[record.name]
    assert [f.name for f in dataclasses.fields(model)] == [f.name for f in record.fields]
    for fmt, slots in record.layouts.items():
        covered = {s.field for s in slots}
        assert covered == {f.name for f in record.fields}, (record.name, fmt)


def test_page_paths_and_selectors() -> None:
    assert CALLS["get_messages"].path == "sys/get.php"
    assert CALLS["get_operator"].path == "sys/info.php"
    assert CALLS["get_short_link"].path == "sys/tinyurls.php"
    assert CALLS["get_short_link"].selector == "get"


def test_page_error_codes() -> None:
    codes = {name: sorted(c.error_codes) for name, c in CALLS.items()}
    assert codes == {
        "get_messages": [1, 2, 3, 4, 9], "get_answers": [1, 2, 4, 9], "get_stat": [1, 2, 4, 9],
        "get_price": [1, 2, 4, 9], "get_operator": [1, 2, 3, 4, 9],
        "get_short_link": [1, 2, 3, 4, 9],
    }


def test_get_messages_wire_orders_follow_the_page() -> None:
    layout = {f: [s.wire for s in CALLS["get_messages"].records()[0].layouts[f]]
              for f in FORMATS}
    assert layout[0] == ["Status", "check_time", "err", "send_date", "phone", "mccmnc",
                         "country", "operator", "region", "cost", "sender_id", "status_name",
                         "message", "type", "ID", "int_id", "sms_cnt", "format", "crc"]
    assert layout[1][1] == "last_timestamp"
    assert layout[1][3] == "send_timestamp"
    assert layout[2] == layout[3]
    json_numbers = {s.wire for s in CALLS["get_messages"].records()[0].layouts[3]
                    if s.json.value == "number"}
    assert json_numbers == {"status", "last_timestamp", "err", "send_timestamp", "type", "id",
                            "sms_cnt", "format", "crc"}


def test_timestamps_are_not_canonical_fields() -> None:
    record = CALLS["get_messages"].records()[0]
    assert "last_timestamp" not in {f.name for f in record.fields}
    stamp = next(s for s in record.layouts[1] if s.wire == "last_timestamp")
    assert stamp.field == "last_date"
    assert stamp.form is Form.TIMESTAMP
    assert record.field("last_date").kind is Kind.INSTANT


def test_documented_request_limits() -> None:
    def limit(call: str, name: str) -> int | None:
        return next(p.maximum for p in CALLS[call].params if p.name == name)

    assert limit("get_messages", "cnt") == 1000
    assert limit("get_answers", "cnt") == 10000
    assert limit("get_answers", "hour") == 168


def test_content_types_label_every_fmt_as_the_server_does() -> None:
    from smsc_formats.spec import CONTENT_TYPES, FORMATS

    assert dict(CONTENT_TYPES) == {0: "text/plain", 1: "text/plain", 2: "text/xml",
                                   3: "application/json"}
    assert set(CONTENT_TYPES) == set(FORMATS)
