"""Conformance: each kind of finding on hand-edited bodies, none on the page's own bodies."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsc_formats import ParseError, parse
from smsc_formats.checks import parse_strict
from smsc_formats.checks.conformance import Finding, check_body, check_case, check_text

DATA = Path(__file__).parents[1] / "data" / "valid"
EXT = {".txt": 0, ".csv": 1, ".xml": 2, ".json": 3}

STAT = {
    0: "login = alex, sms = 12, credit = 18.00, debit = 0, currency = RUB",
    1: "alex,12,18.00,0,RUB",
    2: ("<list>\n<stat>\n<login>alex</login>\n<sms>12</sms>\n<credit>18.00</credit>\n"
        "<debit>0</debit>\n<currency>RUB</currency>\n</stat>\n</list>"),
    3: ('[{\n"login": "alex",\n"sms": "12",\n"credit": "18.00",\n"debit": "0",\n'
        '"currency": "RUB"\n}]'),
}

MESSAGE_JSON = """[{
"status": 1,
"last_date": "24.11.2026 13:05:09",
"last_timestamp": 1795514709,
"send_date": "24.11.2026 13:05:02",
"send_timestamp": 1795514702,
"phone": "79999999999",
"cost": "1.50",
"sender_id": "SMSC.RU",
"status_name": "Delivered",
"message": "code 4821",
"mccmnc": "25001",
"country": "Russia",
"operator": "MTS",
"region": "Moscow",
"type": 0,
"id": 5924,
"int_id": "1234567890",
"sms_cnt": 1,
"format": 0,
"crc": 0
}]"""


def _kinds(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.kind, f.severity) for f in findings}


def _page_bodies() -> list[tuple[str, Path]]:
    return [(p.parent.name, p) for p in sorted(DATA.glob("*/*"))
            if p.suffix in EXT and not p.name.endswith(".expected.json")
            and not p.name.startswith("liberal")]


@pytest.mark.parametrize(("call", "path"), _page_bodies(),
                         ids=lambda v: v.name if isinstance(v, Path) else v)
def test_bodies_transcribed_from_the_page_conform(call: str, path: Path) -> None:
    assert check_body(path.read_bytes(), call=call, fmt=EXT[path.suffix]) == []


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_server_layout_is_clean(fmt: int) -> None:
    assert check_text(STAT[fmt], call="get_stat", fmt=fmt) == []


def test_unparseable_body_is_breaking_with_its_position() -> None:
    found = check_text('[{\n"login": "alex",\n"sms" "12"\n}]', call="get_stat", fmt=3)
    parse_errors = [f for f in found if f.kind == "parse"]
    assert len(parse_errors) == 1
    assert parse_errors[0].severity == "breaking"
    assert (parse_errors[0].line, parse_errors[0].col) == (3, 7)
    assert "malformed JSON" in parse_errors[0].message


def test_undecodable_bytes_are_a_finding_not_an_exception() -> None:
    found = check_body(b"login = \xff\xfe", call="get_stat", fmt=0, charset="utf-8")
    assert _kinds(found) == {("parse", "breaking")}
    assert found[0].line == 1


def test_extra_key_is_a_warning_naming_the_key() -> None:
    body = STAT[3].replace('"currency": "RUB"', '"currency": "RUB",\n"bonus": "0"')
    found = check_text(body, call="get_stat", fmt=3)
    extra = [f for f in found if f.kind == "extra-field"]
    assert [(f.path, f.severity) for f in extra] == [("$[0].bonus", "warning")]
    assert "'bonus' is not documented" in extra[0].message


def test_extra_element_in_xml_and_extra_key_in_text() -> None:
    xml = STAT[2].replace("</currency>", "</currency>\n<bonus>0</bonus>")
    text = STAT[0] + ", bonus = 0"
    assert ("extra-field", "warning") in _kinds(check_text(xml, call="get_stat", fmt=2))
    found = check_text(text, call="get_stat", fmt=0)
    assert any(f.kind == "extra-field" and f.path == "$[0].bonus" for f in found)


def test_missing_key_is_breaking() -> None:
    body = STAT[2].replace("<debit>0</debit>\n", "")
    found = check_text(body, call="get_stat", fmt=2)
    missing = [f for f in found if f.kind == "missing-field"]
    assert [(f.path, f.severity) for f in missing] == [("$[0].debit", "breaking")]
    assert ("parse", "breaking") in _kinds(found)


def test_renamed_key_names_both_spellings() -> None:
    body = STAT[3].replace('"debit"', '"debet"')
    found = [f for f in check_text(body, call="get_stat", fmt=3) if f.kind == "renamed-field"]
    assert len(found) == 1
    assert found[0].severity == "breaking"
    assert "'debet' stands where the page documents 'debit'" in found[0].message


def test_keys_out_of_order_are_a_warning() -> None:
    body = ('[{\n"login": "alex",\n"credit": "18.00",\n"sms": "12",\n"debit": "0",\n'
            '"currency": "RUB"\n}]')
    found = check_text(body, call="get_stat", fmt=3)
    order = [f for f in found if f.kind == "field-order"]
    assert len(order) == 1
    assert order[0].severity == "warning"
    assert "'sms' comes after 'credit'" in order[0].message


def test_fmt1_column_count() -> None:
    found = check_text("alex,12,18.00,0,RUB,extra", call="get_stat", fmt=1)
    columns = [f for f in found if f.kind == "columns"]
    assert len(columns) == 1
    assert "6 comma-separated values, documented 5" in columns[0].message


def test_json_number_where_the_page_quotes_a_string() -> None:
    body = STAT[3].replace('"sms": "12"', '"sms": 12')
    found = check_text(body, call="get_stat", fmt=3)
    types = [f for f in found if f.kind == "json-type"]
    assert [(f.path, f.severity) for f in types] == [("$[0].sms", "warning")]
    assert "documented as a JSON string, written as a number" in types[0].message


def test_json_string_where_the_page_shows_a_number() -> None:
    body = MESSAGE_JSON.replace('"id": 5924', '"id": "5924"')
    types = [f for f in check_text(body, call="get_messages", fmt=3) if f.kind == "json-type"]
    assert [f.path for f in types] == ["$[0].id"]
    assert "documented as a JSON number, written as a string" in types[0].message


def test_date_format_is_a_value_shape_finding() -> None:
    body = MESSAGE_JSON.replace('"24.11.2026 13:05:02"', '"2026-11-24 13:05:02"')
    found = check_text(body, call="get_messages", fmt=3)
    shapes = [f for f in found if f.kind == "value-shape"]
    assert [f.path for f in shapes] == ["$[0].send_date"]
    assert "is not a date DD.MM.YYYY hh:mm:ss" in shapes[0].message
    assert ("parse", "breaking") in _kinds(found)


def test_decimal_text_is_checked() -> None:
    found = check_text(STAT[1].replace("18.00", "18,00"), call="get_stat", fmt=1)
    assert ("parse", "breaking") in _kinds(found)


def test_documented_range() -> None:
    body = MESSAGE_JSON.replace('"status": 1', '"status": 150')
    found = [f for f in check_text(body, call="get_messages", fmt=3) if f.kind == "range"]
    assert [f.path for f in found] == ["$[0].status"]
    assert "outside the documented range -3..99" in found[0].message
    operator = "country = Russia, operator = MTS, region = Moscow, mcc = 250, mnc = 01, tz = 20"
    found = check_text(operator, call="get_operator", fmt=0)
    assert [f.path for f in found if f.kind == "range"] == ["$.tz"]


def test_documented_pattern_is_info() -> None:
    operator = "country = Russia, operator = MTS, region = Moscow, mcc = 25, mnc = 01, tz = 3"
    found = check_text(operator, call="get_operator", fmt=0)
    assert [(f.kind, f.path, f.severity) for f in found] == [("pattern", "$.mcc", "info")]


def test_error_code_not_documented_for_the_call() -> None:
    found = check_text("ERROR = 3 (not found)", call="get_stat", fmt=0)
    assert [(f.kind, f.severity) for f in found] == [("error-code", "warning")]
    assert "error code 3 is not documented for get_stat (documented: 1, 2, 4, 9)" \
        in found[0].message
    assert check_text("ERROR = 3 (not found)", call="get_messages", fmt=0) == []


def test_error_in_another_format_than_asked_is_info() -> None:
    found = check_text("ERROR = 2 (bad login)", call="get_stat", fmt=3)
    assert [(f.kind, f.severity) for f in found] == [("error-format", "info")]


def test_extra_key_in_an_error_body() -> None:
    body = '{\n"error": "bad",\n"error_code": 1,\n"id": 34\n}'
    found = check_text(body, call="get_stat", fmt=3)
    assert ("extra-field", "warning") in _kinds(found)
    assert any(f.path == "$.id" for f in found)


def test_date_string_and_timestamp_must_agree() -> None:
    body = MESSAGE_JSON.replace('"last_timestamp": 1795514709', '"last_timestamp": 1795514710')
    found = [f for f in check_text(body, call="get_messages", fmt=3)
             if f.kind == "instant-mismatch"]
    assert [f.path for f in found] == ["$[0].last_date"]


def test_date_string_and_timestamp_must_agree_in_xml_too() -> None:
    body = (DATA / "get_messages" / "default.xml").read_text("utf-8")
    assert not [f for f in check_text(body, call="get_messages", fmt=2)
                if f.kind == "instant-mismatch"]
    later = body.replace("<last_timestamp>1795514709</last_timestamp>",
                         "<last_timestamp>1795514769</last_timestamp>", 1)
    found = [f for f in check_text(later, call="get_messages", fmt=2)
             if f.kind == "instant-mismatch"]
    assert [(f.path, f.severity) for f in found] == [("$[0].last_date", "warning")]
    assert "'24.11.2026 13:05:09' and last_timestamp 1795514769" in found[0].message


def test_round_trip_difference_says_where() -> None:
    compact = '[{"login": "alex", "sms": "12", "credit": "18.00", "debit": "0", ' \
              '"currency": "RUB"}]'
    found = check_text(compact, call="get_stat", fmt=3)
    assert [(f.kind, f.severity, f.line, f.col) for f in found] == [
        ("round-trip", "warning", 1, 3)]
    assert "differs from the body at line 1, column 3" in found[0].message
    crlf = STAT[0] + "\r\n" + STAT[0]
    found = check_text(crlf, call="get_stat", fmt=0)
    assert [(f.kind, f.line) for f in found] == [("round-trip", 1)]


def test_byte_order_mark_is_reported() -> None:
    found = check_body(b"\xef\xbb\xbf" + STAT[1].encode(), call="get_stat", fmt=1)
    assert [(f.kind, f.severity) for f in found] == [("byte-order-mark", "info")]


def test_xml_root_element() -> None:
    body = STAT[2].replace("<list>", "<stats>").replace("</list>", "</stats>")
    found = check_text(body, call="get_stat", fmt=2)
    roots = [f for f in found if f.kind == "xml-root"]
    assert len(roots) == 1
    assert "root element is <stats>, documented <list>" in roots[0].message


def test_strict_parse_raises_on_a_finding_and_passes_a_clean_body() -> None:
    assert parse_strict(STAT[3], call="get_stat", fmt=3) == parse(STAT[3], call="get_stat",
                                                                  fmt=3)
    with pytest.raises(ParseError, match="documented as a JSON string"):
        parse_strict(STAT[3].replace('"sms": "12"', '"sms": 12'), call="get_stat", fmt=3)


# -- the case level ----------------------------------------------------------------------------


def _case(bodies: dict[int, str]) -> dict[int, tuple[bytes, str | None]]:
    return {fmt: (text.encode(), "utf-8") for fmt, text in bodies.items()}


def test_four_formats_of_a_case_agree() -> None:
    assert check_case("get_stat", _case(STAT)) == []


def test_fmt1_error_has_no_description_and_still_agrees() -> None:
    errors = {0: "ERROR = 2 (bad login)", 1: "0,-2",
              2: "<result>\n<error>bad login</error>\n<error_code>2</error_code>\n</result>",
              3: '{\n"error": "bad login",\n"error_code": 2\n}'}
    assert check_case("get_stat", _case(errors)) == []


def test_the_format_that_disagrees_is_named_with_the_field() -> None:
    bodies = dict(STAT)
    bodies[1] = "alex,12,18.50,0,RUB"
    found = check_case("get_stat", _case(bodies))
    assert [(f.kind, f.fmt, f.path, f.severity) for f in found] == [
        ("cross-format", 1, "$[0].credit", "breaking")]
    assert "fmt=1 says '18.50'" in found[0].message
    assert "says '18.00'" in found[0].message


# -- fingerprints ------------------------------------------------------------------------------


def test_fingerprint_ignores_indices_values_and_messages() -> None:
    a = Finding("get_stat", 3, "$[0].bonus", "one message", "warning", "extra-field")
    b = Finding("get_stat", 3, "$[7].bonus", "another message", "info", "extra-field",
                line=4, case="other")
    assert a.fingerprint == b.fingerprint
    assert len(a.fingerprint) == 16
    assert a.fingerprint != a.at(fmt=2).fingerprint
    assert a.fingerprint != a.at(kind="json-type").fingerprint
    assert a.fingerprint != a.at(path="$[0].other").fingerprint
