"""The fmt=2 tokenizer (issue 8): one reader of XML syntax for parse, iter_parse and the view.

Hand-written bodies check the rules against the page's layout (items in order, positions,
the refused shapes); differential properties over the strategies' bodies and mutated bodies
check that a whole body, the same text fed in pieces of any size (down to one character),
``parse``, ``iter_parse`` and the wire view all agree on records and on the first fault.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsc_formats import ParseError, iter_parse, parse, streaming
from smsc_formats.checks.wire import view
from smsc_formats.codecs import xml_tokens
from smsc_formats.codecs.tokens import Token
from smsc_formats.model import ApiError, SmscApiError
from smsc_formats.spec import CALLS, ListBody
from smsc_formats.strategies import bodies
from tests.test_api_fuzz import mutated

LIST_CALLS = sorted(name for name, c in CALLS.items() if isinstance(c.body, ListBody))
SHAPE = xml_tokens.shape(CALLS["get_messages"])


def _described(events: list[Any]) -> list[Any]:
    out: list[Any] = []
    for event in events:
        if isinstance(event, xml_tokens.XmlRoot):
            out.append(("root", event.tag, event.line))
        else:
            out.append((event.group, event.path, event.tag, event.line, event.tokens()))
    return out


def _whole(text: str, shape: xml_tokens.Shape, lenient: bool = False) -> tuple[list[Any], str]:
    """The described events of a whole body, and its fault ('' when there is none)."""
    out: list[Any] = []
    try:
        for event in xml_tokens.XmlTokenizer(shape, lenient=lenient, free=False).whole(text):
            out.extend(_described([event]))
    except ParseError as exc:
        return out, str(exc)
    return out, ""


def _fed(text: str, sizes: list[int], shape: xml_tokens.Shape,
         lenient: bool = False) -> tuple[list[Any], str]:
    """The same, with the text fed in pieces of the given sizes (cycled), each event read as
    it comes (the tokenizer frees a record once the next one is taken)."""
    tokenizer = xml_tokens.XmlTokenizer(shape, lenient=lenient)
    out: list[Any] = []
    at, k = 0, 0
    try:
        while at < len(text):
            size = sizes[k % len(sizes)]
            tokenizer.feed(text[at:at + size])
            at, k = at + size, k + 1
            _read(tokenizer, out)
        tokenizer.close()
        _read(tokenizer, out)
    except ParseError as exc:
        return out, str(exc)
    return out, ""


def _read(tokenizer: xml_tokens.XmlTokenizer, out: list[Any]) -> None:
    for event in tokenizer.events():
        out.extend(_described([event]))  # described at once: it is freed at the next one


# -- the rules, on hand-written bodies -------------------------------------------------------

BODY = ('<?xml version="1.0"?>\n<list>\n<sms id="7">\n<phone>79991234567</phone>\n'
        "<message>a &amp; b</message>\n</sms>\n<sms>\n<phone>1</phone>\n</sms>\n</list>")


def test_records_are_ordered_items_with_their_lines() -> None:
    events, fault = _whole(BODY, SHAPE)
    assert fault == ""
    assert events == [
        ("root", "list", 2),
        ("$[]", "$[0]", "sms", 3, [Token("@id", "7", 3, 1), Token("phone", "79991234567", 4, 1),
                                   Token("message", "a & b", 5, 1)]),
        ("$[]", "$[1]", "sms", 7, [Token("phone", "1", 8, 1)]),
    ]


def test_an_element_without_children_is_text() -> None:
    events, _ = _whole('<result><info kind="x">12</info></result>', xml_tokens.Shape({}))
    assert events[1][4] == [Token("info", "12", 1, 1)]
    events, _ = _whole('<info kind="x">12</info>', xml_tokens.Shape({}))
    assert events[1][4] == [Token("@kind", "x", 1, 1), Token("#text", "12", 1, 1)]


def test_a_declaration_over_two_lines_keeps_later_positions() -> None:
    body = '<?xml version="1.0"\n encoding="utf-8"?><list>\n<sms>x<a/></sms></list>'
    for events, fault in (_whole(body, SHAPE), _fed(body, [1], SHAPE)):
        assert events == [("root", "list", 2)]
        assert fault == ("fmt=2: line 3, column 1, $[0]: mixed content: text 'x' beside "
                         "child elements in <sms>")


@pytest.mark.parametrize(("body", "fault"), [
    ("<list>x<sms/></list>",
     "fmt=2: line 1, column 1, $: mixed content: text 'x' beside child elements in <list>"),
    ("<list>\n<sms/>\nstray\n<sms/></list>",
     "fmt=2: line 3, column 1, $: mixed content: text 'stray' beside child elements in <list>"),
    ("<list>\n<sms>\n<a>1</a>\n<a>2</a>\n</sms></list>",
     "fmt=2: line 4, column 1, $[0].a: <a> appears twice in <sms>"),
    ("<list><sms><a>\n<b>1</b></a></sms></list>",
     "fmt=2: line 2, column 1, $[0].a: <a> holds <b>: a field is text only"),
    ("<list>\n<sms><a>RU<b/>B</a></sms></list>",
     "fmt=2: line 2, column 1, $[0].a: mixed content: text 'RU' beside child elements in <a>"),
    ("<list>\n\n  <!DOCTYPE x><sms/></list>",
     "fmt=2: line 3, column 3: DTDs and entity declarations are not allowed"),
    ("", "fmt=2: line 1, column 1: malformed XML: Document is empty"),
])
def test_what_would_be_dropped_is_refused_at_its_place(body: str, fault: str) -> None:
    assert _whole(body, SHAPE)[1] == fault
    for size in (1, 2, 3, 7):
        assert _fed(body, [size], SHAPE)[1] == fault


def test_the_records_before_a_fault_come_first_in_any_chunking() -> None:
    body = "<list>\n<sms><a>1</a></sms>\n<sms><a>2</a></sms>\n<sms><a>3</a><b>"
    events, fault = _whole(body, SHAPE)
    assert [e[1] for e in events] == ["list", "$[0]", "$[1]"]
    assert fault.startswith("fmt=2: line 4, column ")
    assert "malformed XML" in fault
    for size in range(1, 12):
        assert _fed(body, [size], SHAPE) == (events, fault)


def test_sections_are_nested_lists() -> None:
    body = ("<price>\n<zones>\n<zone><name>a</name></zone>\n<zone><name>b</name></zone>\n"
            "</zones>\n<codes>\n</codes>\n<mail>m@x.ru</mail>\n</price>")
    events, fault = _whole(body, xml_tokens.shape(CALLS["get_price"]))
    assert fault == ""
    assert events == [
        ("root", "price", 1),
        ("$", "$", "price", 1, [Token("zones", None, 2, 1), Token("codes", None, 6, 1),
                                Token("mail", "m@x.ru", 8, 1)]),
        ("$.zones[]", "$.zones[0]", "zone", 3, [Token("name", "a", 3, 1)]),
        ("$.zones[]", "$.zones[1]", "zone", 4, [Token("name", "b", 4, 1)]),
    ]


def test_lenient_mode_shows_nesting_instead_of_refusing_it() -> None:
    body = "<list><sms><a>1</a><b><c>2</c></b></sms></list>"
    assert _whole(body, SHAPE)[1].endswith("<b> holds <c>: a field is text only")
    events, fault = _whole(body, SHAPE, lenient=True)
    assert fault == ""
    assert [e[:3] for e in events[1:]] == [("$[]", "$[0]", "sms"), ("$[].b", "$[0].b", "b")]
    assert events[1][4][1] == Token("b", None, 1, 1)


# -- differential properties ------------------------------------------------------------------

SIZES = st.lists(st.integers(1, 64), min_size=1, max_size=6)


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")


@pytest.mark.parametrize("call", sorted(CALLS))
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_whole_and_fed_agree_on_mutated_bodies(call: str, data: st.DataObject) -> None:
    shape = xml_tokens.shape(CALLS[call])
    text = _text(data.draw(st.one_of(bodies(call, 2), mutated(call, 2))))
    sizes = data.draw(st.one_of(st.just([1]), SIZES))
    for lenient in (False, True):
        assert _fed(text, sizes, shape, lenient) == _whole(text, shape, lenient)


def _outcome(run: Any) -> tuple[str, Any]:
    try:
        return "ok", run()
    except SmscApiError as exc:
        return "api", exc.error
    except ParseError as exc:
        return "fault", str(exc)


@pytest.mark.parametrize("call", LIST_CALLS)
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow,
                                                   HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_parse_iter_parse_and_the_view_agree(call: str, data: st.DataObject,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming, "HEAD", 1)  # stream even the shortest bodies
    body = data.draw(st.one_of(bodies(call, 2), mutated(call, 2)))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        # parse decodes a whole body before reading it, a stream as it goes: which of a bad
        # byte and an earlier XML fault is reported first is the charset rule's business
        return
    sizes = data.draw(st.one_of(st.just([1]), SIZES))
    chunks, at, k = [], 0, 0
    while at < len(body):
        chunks.append(body[at:at + sizes[k % len(sizes)]])
        at, k = at + sizes[k % len(sizes)], k + 1
    # the charset is named: sniffing a 1-byte head is the charset rule's business, not XML's
    whole = _outcome(lambda: parse(body, call=call, fmt=2, charset="utf-8"))
    if whole[0] == "ok" and isinstance(whole[1], ApiError):
        whole = ("api", whole[1])
    streamed = _outcome(lambda: list(iter_parse(iter(chunks), call=call, fmt=2,
                                                charset="utf-8")))
    assert streamed == whole
    seen = view(text, call=call, fmt=2)
    if whole[0] == "ok":
        assert seen.problem is None
        assert len([r for r in seen.records if r.group == "$[]"]) == len(whole[1])
    elif seen.problem is not None and whole[0] == "fault":
        assert str(seen.problem) == whole[1]  # the view's fault is parse's, at its place
