"""The raw wire view: records, keys, raw texts and JSON types as the body wrote them."""

from __future__ import annotations

import pytest

from smsc_formats import ParseError, parse
from smsc_formats.checks.wire import expected, strip_indices, view
from smsc_formats.spec import CALLS

ANSWER0 = ("id = 1, received = 24.11.2026 13:05:09, phone = 79991234567, "
           "message = hi, to_phone = x, there, to_phone = 79990001122, sent = 24.11.2026 13:05:09")
PRICE2 = ('<price>\n<zones>\n<zone name="Russia" api="1.50" mass="1.40" mms="5" hlr="0.1" '
          'call="2">1</zone>\n</zones>\n<codes>\n</codes>\n<mail>0.50</mail>\n</price>')


def test_fmt0_free_text_keeps_separators_that_look_like_keys() -> None:
    record = view(ANSWER0, call="get_answers", fmt=0).records[0]
    assert record.keys() == ["id", "received", "phone", "message", "to_phone", "sent"]
    message = record.get("message")
    assert message is not None
    assert message.raw == "hi, to_phone = x, there"


def test_fmt0_key_added_after_the_last_field_is_its_own_key() -> None:
    record = view(ANSWER0 + ", added = 5", call="get_answers", fmt=0).records[0]
    assert record.keys()[-2:] == ["sent", "added"]


def test_fmt1_columns_are_named_by_position_and_counted() -> None:
    record = view("5,24.11.2026 13:05:09,7999,7998,24.11.2026 13:05:09,a,b", call="get_answers",
                  fmt=1).records[0]
    assert record.columns == 7
    assert [(i.key, i.raw) for i in record.items][-1] == ("message", "a,b")
    stat = view("alex,1,1.00,0,RUB,9", call="get_stat", fmt=1).records[0]
    assert stat.keys()[-1] == "#6"


def test_fmt2_groups_attributes_and_empty_containers() -> None:
    v = view(PRICE2, call="get_price", fmt=2)
    assert v.root == "price"
    assert [(r.group, r.tag) for r in v.records] == [("$", "price"), ("$.zones[]", "zone")]
    zone = v.records[1]
    assert zone.keys() == ["@name", "@api", "@mass", "@mms", "@hlr", "@call", "#text"]
    assert [i.key for i in v.records[0].items] == ["zones", "codes", "mail"]


def test_fmt3_json_types_and_raw_number_text() -> None:
    v = view('[{"id": 1.50, "received": null, "phone": "7", "x": [1], "y": true}]',
             call="get_answers", fmt=3)
    assert v.root == "array"
    items = {i.key: (i.json, i.raw) for i in v.records[0].items}
    assert items == {"id": ("number", "1.50"), "received": ("null", None),
                     "phone": ("string", "7"), "x": ("array", None), "y": ("boolean", "true")}


def test_errors_and_unreadable_bodies() -> None:
    error = view("0,-9", call="get_stat", fmt=1)
    assert error.error is not None
    assert error.error.code == 9
    broken = view("<list>", call="get_stat", fmt=2)
    assert broken.problem is not None
    assert broken.problem.line == 1


def test_expected_places_follow_the_spec() -> None:
    price = expected(CALLS["get_price"], 2)
    assert set(price) == {"$", "$.zones[]", "$.codes[]"}
    assert price["$.zones[]"].keys[0] == "#text"
    assert price["$"].keys == ("zones", "codes", "mail")
    assert expected(CALLS["get_price"], 1)["$"].keys == ("mail",)
    assert strip_indices("$.zones[3].@api") == "$.zones[].@api"


def test_the_view_refuses_what_parse_refuses_in_xml_and_json() -> None:
    """Issue 8: mixed content and duplicates are problems, with parse's line and $.path."""
    cases = [
        ("<list>\n<stat>\n<login>a</login>\n<currency>RU<b/>B</currency>\n</stat>\n</list>", 2,
         "get_stat fmt=2: line 4, column 1, $[0].currency: mixed content: text 'RU' beside "
         "child elements in <currency>"),
        ("<list>\n<stat>\n<sms>1</sms>\n<sms>2</sms>\n</stat>\n</list>", 2,
         "get_stat fmt=2: line 4, column 1, $[0].sms: <sms> appears twice in <stat>"),
        ("<list>\noops\n<stat>\n<sms>1</sms>\n</stat>\n</list>", 2,
         "get_stat fmt=2: line 2, column 1, $: mixed content: text 'oops' beside child "
         "elements in <list>"),
        ('[{"login": "a", "sms": "1", "credit": "1", "debit": "0", "currency": "RUB"},\n'
         '{"sms": "1", "sms": "2"}]', 3,
         "get_stat fmt=3: line 2, column 14: malformed JSON: duplicate key 'sms'"),
    ]
    for text, fmt, message in cases:
        problem = view(text, call="get_stat", fmt=fmt).problem
        assert problem is not None, text
        assert str(problem) == message
        with pytest.raises(ParseError) as parsed:
            parse(text, call="get_stat", fmt=fmt)
        assert str(parsed.value) == message  # the view and parse say it alike
