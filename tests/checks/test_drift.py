"""Drift: each kind of structural change is found, named and graded; value changes are not."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from smsc_formats.checks.conformance import SEVERITY, Finding, check_body
from smsc_formats.checks.drift import compare
from smsc_formats.sim.dataset import LINKS
from smsc_formats.sim.drifts import DRIFTS
from smsc_formats.sim.handler import Simulator, SimulatorConfig
from smsc_formats.spec import CALLS, Kind

Bodies = dict[int, tuple[bytes, str | None]]

OLD_STAT = {
    0: "login = alex, sms = 12, credit = 18.00, debit = 0.50, currency = RUB",
    1: "alex,12,18.00,0.50,RUB",
    2: ("<list>\n<stat>\n<login>alex</login>\n<sms>12</sms>\n<credit>18.00</credit>\n"
        "<debit>0.50</debit>\n<currency>RUB</currency>\n</stat>\n</list>"),
    3: ('[{\n"login": "alex",\n"sms": "12",\n"credit": "18.00",\n"debit": "0.50",\n'
        '"currency": "RUB"\n}]'),
}
# Other values, same structure: a later recording of the same account.
NEW_STAT = {
    0: "login = bob.sub, sms = 7031, credit = 4.25, debit = 1200.75, currency = EUR",
    1: "bob.sub,7031,4.25,1200.75,EUR",
    2: ("<list>\n<stat>\n<login>bob.sub</login>\n<sms>7031</sms>\n<credit>4.25</credit>\n"
        "<debit>1200.75</debit>\n<currency>EUR</currency>\n</stat>\n</list>"),
    3: ('[{\n"login": "bob.sub",\n"sms": "7031",\n"credit": "4.25",\n"debit": "1200.75",\n'
        '"currency": "EUR"\n}]'),
}

ANSWER = {
    0: ("id = {id}, received = {date}, phone = {phone}, message = {text}, to_phone = 79990001122,"
        " sent = {date}"),
    1: "{id},{date},{phone},79990001122,{date},{text}",
    2: ("<sms_answers>\n<sms>\n<id>{id}</id>\n<received>{date}</received>\n<phone>{phone}</phone>"
        "\n<message>{text}</message>\n<to_phone>79990001122</to_phone>\n<sent>{date}</sent>\n"
        "</sms>\n</sms_answers>"),
    3: ('[{{\n"id": {id},\n"received": "{date}",\n"phone": "{phone}",\n"message": "{text}",\n'
        '"to_phone": "79990001122",\n"sent": "{date}"\n}}]'),
}


def _bodies(texts: Mapping[int, str]) -> Bodies:
    return {fmt: (text.encode("utf-8"), "utf-8") for fmt, text in texts.items()}


def _answers(id_: str = "5924", date: str = "24.11.2026 13:05:09", phone: str = "79991234567",
             text: str = "hello, world", fmt3_id: str | None = None) -> Bodies:
    out = {fmt: t.format(id=id_, date=date, phone=phone, text=text) for fmt, t in ANSWER.items()}
    if fmt3_id is not None:
        out[3] = ANSWER[3].format(id=fmt3_id, date=date, phone=phone, text=text)
    return _bodies(out)


def _edit(texts: Mapping[int, str], fmt: int, old: str, new: str) -> Bodies:
    edited = dict(texts)
    assert old in edited[fmt]
    edited[fmt] = edited[fmt].replace(old, new)
    return _bodies(edited)


def _only(findings: list[Finding], kind: str) -> Finding:
    found = [f for f in findings if f.kind == kind]
    assert len(found) == 1, findings
    return found[0]


def test_other_values_same_structure_is_no_drift() -> None:
    assert compare("get_stat", _bodies(OLD_STAT), _bodies(NEW_STAT)) == []
    assert compare("get_answers", _answers(),
                   _answers("7", "01.01.2027 00:00:00", "380501234567", "other, text")) == []


def test_field_added_is_a_warning() -> None:
    new = _edit(NEW_STAT, 3, '"currency": "EUR"', '"currency": "EUR",\n"bonus": "1"')
    finding = _only(compare("get_stat", _bodies(OLD_STAT), new), "field-added")
    assert (finding.fmt, finding.path, finding.severity) == (3, "$[].bonus", "warning")
    assert finding.message == "key 'bonus' added"
    assert finding.new == "bonus"


def test_field_removed_is_breaking() -> None:
    new = _edit(NEW_STAT, 2, "<debit>1200.75</debit>\n", "")
    found = compare("get_stat", _bodies(OLD_STAT), new)
    finding = _only(found, "field-removed")
    assert (finding.fmt, finding.path, finding.severity) == (2, "$[].debit", "breaking")
    assert finding.message == "element <debit> removed"
    assert _only(found, "unparseable").severity == "breaking"


def test_field_renamed_names_both() -> None:
    new = _edit(NEW_STAT, 0, "debit = ", "debet = ")
    finding = _only(compare("get_stat", _bodies(OLD_STAT), new), "field-renamed")
    assert (finding.fmt, finding.severity) == (0, "breaking")
    assert finding.message == "key 'debit' renamed to key 'debet'"
    assert (finding.old, finding.new) == ("debit", "debet")


def test_order_changed_is_breaking_by_position_and_a_warning_by_name() -> None:
    swapped_json = ('[{\n"login": "bob",\n"credit": "4.25",\n"sms": "7031",\n"debit": "1.75",\n'
                    '"currency": "EUR"\n}]')
    json_finding = _only(compare("get_stat", _bodies(OLD_STAT), _bodies({3: swapped_json})),
                         "key-order-changed")
    assert (json_finding.fmt, json_finding.severity) == (3, "warning")
    assert "key 'credit' now comes before key 'sms'" in json_finding.message
    swapped_text = "login = bob, credit = 4.25, sms = 7031, debit = 1.75, currency = EUR"
    text_finding = _only(compare("get_stat", _bodies(OLD_STAT), _bodies({0: swapped_text})),
                         "order-changed")
    assert (text_finding.fmt, text_finding.severity) == (0, "breaking")


def test_csv_columns_swapped_are_an_order_change() -> None:
    new = _bodies({**NEW_STAT, 1: "bob.sub,7031,4.25,EUR,1200.75"})
    finding = _only(compare("get_stat", _bodies(OLD_STAT), new), "order-changed")
    assert finding.fmt == 1
    assert "columns 'debit' and 'currency' swapped places" in finding.message


def test_json_type_change_names_the_field_and_both_types() -> None:
    found = compare("get_answers", _answers(), _answers(id_="77", fmt3_id='"77"'))
    finding = _only(found, "json-type-changed")
    assert (finding.fmt, finding.path, finding.severity) == (3, "$[].id", "breaking")
    assert finding.message == "id: number -> string"


def test_date_format_change() -> None:
    found = compare("get_answers", _answers(), _answers(date="2026-11-25 09:00:00"))
    dates = [f for f in found if f.kind == "date-format"]
    assert {f.fmt for f in dates} == {0, 1, 2, 3}
    assert all(f.severity == "breaking" for f in dates)
    received = next(f for f in dates if f.fmt == 3 and f.path == "$[].received")
    assert "DD.MM.YYYY hh:mm:ss ('24.11.2026 13:05:09')" in received.message
    assert "'2026-11-25 09:00:00'" in received.message


def test_decimal_scale_change_is_a_warning() -> None:
    new = _edit(NEW_STAT, 3, '"credit": "4.25"', '"credit": "4.250"')
    finding = _only(compare("get_stat", _bodies(OLD_STAT), new), "decimal-scale")
    assert (finding.fmt, finding.path, finding.severity) == (3, "$[].credit", "warning")
    assert "2 decimal places ('18.00') -> 3 decimal places ('4.250')" in finding.message


def test_id_pattern_change() -> None:
    found = compare("get_answers", _answers(), _answers(phone="+79991234567"))
    phones = [f for f in found if f.kind == "id-pattern"]
    assert {f.fmt for f in phones} == {0, 1, 2, 3}
    assert "pattern changed: digits ('79991234567') -> +digits ('+79991234567')" \
        in phones[0].message
    found = compare("get_answers", _answers(), _answers(id_="msg-5924", fmt3_id='"msg-5924"'))
    ids = [f for f in found if f.kind == "id-pattern" and f.fmt == 2]
    assert [f.path for f in ids] == ["$[].id"]
    assert ids[0].severity == "breaking"


def test_csv_column_added_says_which_column() -> None:
    new = _bodies({**NEW_STAT, 1: "bob.sub,7031,4.25,1200.75,EUR,1"})
    finding = _only(compare("get_stat", _bodies(OLD_STAT), new), "csv-columns")
    assert (finding.fmt, finding.severity) == (1, "breaking")
    assert finding.message == ("fmt=1 records have 6 columns, were 5: column 6 added after "
                               "'currency'")


def test_csv_column_added_to_a_record_with_free_text() -> None:
    old = _answers()
    new = _answers(text="bye, now")
    new[1] = (b"5924,24.11.2026 13:05:09,79991234567,79990001122,24.11.2026 13:05:09,1,bye, now",
              "utf-8")
    finding = _only(compare("get_answers", old, new), "csv-columns")
    assert "7 columns, were 6" in finding.message
    assert "column 6 ('message')" in finding.message


def test_xml_root_changed() -> None:
    new = _edit(NEW_STAT, 2, "<list>", "<stats>")
    new[2] = (new[2][0].replace(b"</list>", b"</stats>"), "utf-8")
    finding = _only(compare("get_stat", _bodies(OLD_STAT), new), "xml-root")
    assert (finding.fmt, finding.path, finding.severity) == (2, "$", "breaking")
    assert finding.message == "root element <list> -> <stats>"


def test_xml_record_element_changed() -> None:
    new = _edit(NEW_STAT, 2, "<stat>", "<row>")
    new[2] = (new[2][0].replace(b"</stat>", b"</row>"), "utf-8")
    finding = _only(compare("get_stat", _bodies(OLD_STAT), new), "xml-element")
    assert finding.message == "record element <stat> -> <row>"


def test_new_error_code_is_breaking() -> None:
    new = _bodies({0: "ERROR = 7 (unavailable)", 1: "0,-7",
                   2: "<result>\n<error>unavailable</error>\n<error_code>7</error_code>\n</result>",
                   3: '{\n"error": "unavailable",\n"error_code": 7\n}'})
    found = compare("get_stat", _bodies(OLD_STAT), new)
    assert {(f.kind, f.fmt, f.severity) for f in found} == {
        ("new-error-code", fmt, "breaking") for fmt in range(4)}
    assert "error code 7, which the page does not document for get_stat" in found[0].message


def test_documented_error_where_data_was() -> None:
    found = compare("get_stat", _bodies(OLD_STAT), _bodies({0: "ERROR = 1 (bad params)"}))
    finding = _only(found, "error-instead-of-data")
    assert finding.severity == "breaking"
    assert finding.message == "answers error 1 where it answered data"


def test_body_that_no_longer_parses() -> None:
    new = _bodies({**NEW_STAT, 3: "<html><body>502 Bad Gateway</body></html>"})
    found = compare("get_stat", _bodies(OLD_STAT), new)
    finding = _only(found, "unparseable")
    assert (finding.fmt, finding.severity, finding.line, finding.col) == (3, "breaking", 1, 1)
    assert finding.message.startswith("no longer parses: line 1, column 1: malformed JSON")


def test_formats_that_stop_agreeing() -> None:
    new = _edit(NEW_STAT, 0, "currency = EUR", "currency = USD")
    found = compare("get_stat", _bodies(OLD_STAT), new)
    finding = _only(found, "cross-format")
    assert (finding.fmt, finding.severity) == (0, "breaking")
    assert "$[0].currency" in finding.message


def test_a_key_appended_to_one_format_is_an_added_field() -> None:
    new = _edit(NEW_STAT, 0, "currency = EUR", "currency = EUR, bonus = 1")
    finding = _only(compare("get_stat", _bodies(OLD_STAT), new), "field-added")
    assert (finding.fmt, finding.path, finding.severity) == (0, "$[].bonus", "warning")


def test_documented_optional_field_appearing_is_info() -> None:
    old = MESSAGE.replace(', "err": 6', "")
    found = compare("get_messages", _bodies({3: old}), _bodies({3: MESSAGE}))
    finding = _only(found, "optional-field-added")
    assert (finding.path, finding.severity) == ("$[].err", "info")


MESSAGE = ('[{"status": 1, "last_date": "24.11.2026 13:05:09", "last_timestamp": 1795514709, '
           '"err": 6, "send_date": "24.11.2026 13:05:02", "send_timestamp": 1795514702, '
           '"phone": "79999999999", "cost": "1.50", "sender_id": "SMSC", "status_name": "x", '
           '"message": "m", "mccmnc": "25001", "country": "c", "operator": "o", "region": "r", '
           '"type": 0, "id": 5924, "int_id": "1", "sms_cnt": 1, "format": 0, "crc": 0}]')


def test_fingerprints_are_stable_across_recordings() -> None:
    first = compare("get_stat", _bodies(OLD_STAT),
                    _edit(NEW_STAT, 3, '"sms": "7031"', '"sms": 7031'))
    second = compare("get_stat", _bodies(NEW_STAT),
                     _edit(OLD_STAT, 3, '"sms": "12"', '"sms": 12'))
    assert [f.fingerprint for f in first] == [f.fingerprint for f in second]
    assert [f.kind for f in first] == ["json-type-changed"]


# -- every kind the simulator injects, for every call it concerns -----------------------------

PARAMS = {"get_messages": {"cnt": "5"}, "get_answers": {"hour": "48"},
          "get_stat": {"start": "01.11.2026", "end": "24.11.2026"}, "get_price": {},
          "get_operator": {"phone": "79991234567,79161234567"},
          "get_short_link": {"id": LINKS[0][0]}}

EXPECTED = {**{kind: kind for kind in DRIFTS}, "json-type": "json-type-changed"}
"""The finding kind each simulated drift shows as."""


def _simulated(call: str, seed: int, drift: str | None) -> Bodies:
    server = Simulator(SimulatorConfig(seed=seed, limits=False, drift=drift))
    spec = CALLS[call]
    out: Bodies = {}
    for fmt in range(4):
        params = {"login": "demo", "psw": "demo-password", spec.selector: "1",
                  "fmt": str(fmt), "charset": "utf-8", **PARAMS[call]}
        out[fmt] = (server.handle("/" + spec.path, params).body, "utf-8")
    return out


def _concerns(kind: str, call: str) -> bool:
    fields = [f for r in CALLS[call].records() for f in r.fields]
    if kind == "date-format":
        return any(f.kind is Kind.INSTANT for f in fields)
    if kind == "decimal-scale":
        return any(f.kind is Kind.MONEY for f in fields)
    if kind == "id-pattern":
        return any(f.kind is Kind.CODE and (f.pattern or "").startswith(r"\+?") for f in fields)
    return True


@pytest.mark.parametrize("call", sorted(CALLS))
def test_simulator_other_seed_is_no_drift(call: str) -> None:
    assert compare(call, _simulated(call, 0, None), _simulated(call, 1, None)) == []


@pytest.mark.parametrize("kind", sorted(DRIFTS))
@pytest.mark.parametrize("call", sorted(CALLS))
def test_every_simulated_drift_is_detected(call: str, kind: str) -> None:
    found = compare(call, _simulated(call, 0, None), _simulated(call, 1, kind))
    if not _concerns(kind, call):
        assert found == []
        return
    assert EXPECTED[kind] in {f.kind for f in found}
    assert all(f.severity == SEVERITY[f.kind] for f in found)
    assert any(f.severity != "info" for f in found)


def test_one_kind_one_severity_in_check_and_drift() -> None:
    # A fmt=3 number where the page quotes a string: check reports json-type, drift (against
    # the quoted recording) json-type-changed; each has one severity, from the one table.
    body = _edit(NEW_STAT, 3, '"sms": "7031"', '"sms": 7031')
    checked = [f for f in check_body(body[3][0], call="get_stat", fmt=3)
               if f.kind.startswith("json-type")]
    drifted = [f for f in compare("get_stat", _bodies(NEW_STAT), body)
               if f.kind.startswith("json-type")]
    assert [(f.kind, f.severity) for f in checked] == [("json-type", "warning")]
    assert [(f.kind, f.severity) for f in drifted] == [("json-type-changed", "breaking")]
    assert checked[0].fingerprint != drifted[0].fingerprint
    # Whatever severity a caller passes, a listed kind carries the table's.
    assert Finding("get_stat", 3, "$", "m", "info", "json-type-changed").severity == "breaking"
