"""The raw wire view of a body: its records as ordered keys with raw texts, per format.

``parse`` turns a body into values and forgives a lot; conformance (``check``) and drift need
to see what the body itself wrote: which keys, elements or columns, in which order, with which
JSON types and which raw text. :func:`view` reads a decoded body into that view without
converting any value, and :func:`expected` says what the spec promises for the same places, so
both sides can be compared key by key.

Records are addressed by *group*, a path without indices that is the same in every format:
``$[]`` for the items of a list body, ``$`` for a single record (or the ``get_price`` wrapper,
or an error), ``$.zones[]`` for the items of a nested list. Sans-I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..api import call_spec, match_error
from ..codecs import json_tokens, line_tokens, xml_tokens
from ..codecs.plan import RecordPlan, record_plan
from ..errors import ParseError
from ..model import ApiError
from ..spec import (
    CallSpec,
    Field,
    ListBody,
    OneOrListBody,
    Place,
    RecordBody,
    RecordSpec,
    Slot,
)

_ERROR_KEYS = {2: ("error", "error_code"), 3: ("error", "error_code")}


@dataclass(frozen=True, slots=True)
class Item:
    """One key of one record as written: its wire name, raw text and (fmt=3) JSON type.

    Keys are the wire names; in fmt=2 an attribute is ``@name`` and element text ``#text``;
    in fmt=1 a column is named after the documented column at its position (``#N`` past them).
    ``raw`` is None for a nested list or object and for JSON null.
    """

    key: str
    raw: str | None
    json: str | None = None


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as written."""

    group: str
    path: str
    """The group with indices, e.g. ``$[3]``; findings name it."""
    items: tuple[Item, ...]
    spec: RecordSpec | None = None
    """The documented record this one was matched to (None: could not tell)."""
    line: int | None = None
    tag: str | None = None
    """fmt=2: the element that holds the record."""
    columns: int | None = None
    """fmt=1: how many comma-separated values the record's text holds."""
    text: str | None = None
    """fmt=0/1: the record's text as written (for column comparisons)."""
    guessed: bool = False
    """fmt=0/1: no documented record begins this way; ``spec`` is the likeliest one."""

    def keys(self) -> list[str]:
        """The distinct keys, in the order they first appear."""
        return list(dict.fromkeys(i.key for i in self.items))

    def get(self, key: str) -> Item | None:
        return next((i for i in self.items if i.key == key), None)


@dataclass(frozen=True, slots=True)
class View:
    """A whole body as written: an error, or records; ``problem`` when it cannot be read."""

    call: str
    fmt: int
    records: tuple[RawRecord, ...] = ()
    error: ApiError | None = None
    root: str | None = None
    """fmt=2: the root element's tag; fmt=3: ``array`` or ``object``."""
    problem: ParseError | None = None


@dataclass(frozen=True, slots=True)
class Expected:
    """What the spec promises for one group in one format."""

    keys: tuple[str, ...]
    optional: frozenset[str]
    spec: RecordSpec | None = None
    slots: Mapping[str, tuple[Slot, Field]] = field(default_factory=dict)
    tag: str | None = None


def wire_key(slot: Slot, fmt: int) -> str:
    """The key a slot is written under in :class:`View` terms."""
    if fmt == 2 and slot.place is Place.ATTRIBUTE:
        return "@" + slot.wire
    if fmt == 2 and slot.place is Place.TEXT:
        return "#text"
    return slot.wire


def _expect(spec: RecordSpec, fmt: int) -> Expected:
    layout = spec.layouts[fmt]
    slots = {wire_key(s, fmt): (s, spec.field(s.field)) for s in layout}
    optional = frozenset(k for k, (_, f) in slots.items() if f.optional)
    return Expected(tuple(slots), optional, spec, slots, spec.xml_tag)


def expected(spec: CallSpec, fmt: int) -> dict[str, Expected]:
    """Per group, what the spec promises in ``fmt`` (data bodies)."""
    body = spec.body
    if isinstance(body, ListBody):
        return {"$[]": _expect(body.record, fmt)}
    if isinstance(body, RecordBody):
        return {"$": _expect(body.record, fmt)}
    if isinstance(body, OneOrListBody):
        return {"$": _expect(body.one, fmt), "$[]": _expect(body.many, fmt)}
    groups = {f"$.{s.name}[]": _expect(s.record, fmt) for s in body.sections}
    names = (body.tail.name,) if fmt in (0, 1) else (*(s.name for s in body.sections),
                                                      body.tail.name)
    groups["$"] = Expected(names, frozenset({body.tail.name}), None, {}, body.xml_root)
    return groups


def expected_error(fmt: int) -> Expected | None:
    """What an error body holds in ``fmt`` (fmt=2/3; the text shapes are matched whole)."""
    keys = _ERROR_KEYS.get(fmt)
    return None if keys is None else Expected(keys, frozenset({"error"}), tag="result")


def expected_root(spec: CallSpec, single: bool) -> str:
    """The fmt=2 root tag the spec promises (``single``: a one-record answer)."""
    body = spec.body
    if isinstance(body, RecordBody):
        return body.record.xml_tag
    if isinstance(body, OneOrListBody) and single:
        return body.one.xml_tag
    assert not isinstance(body, RecordBody)
    return body.xml_root


def view(text: str, *, call: str, fmt: int) -> View:
    """The raw view of a decoded body of ``call`` written in ``fmt``."""
    spec = call_spec(call)
    try:
        error = match_error(text, call)
    except ParseError as exc:
        return View(call, fmt, problem=exc)
    if error is not None and fmt in (0, 1):
        return View(call, fmt, error=error)
    try:
        if fmt == 2:
            return _xml_view(text, spec, error)
        if fmt == 3:
            return _json_view(text, spec, error)
        if error is not None:
            return View(call, fmt, error=error)
        return _line_view(text, spec, fmt)
    except ParseError as exc:
        return View(call, fmt, problem=exc.located(call=call, fmt=fmt))


# -- fmt=0 and fmt=1 ---------------------------------------------------------------------------


def _line_kinds(spec: CallSpec, fmt: int) -> list[tuple[str, RecordPlan | Field]]:
    body = spec.body
    if isinstance(body, ListBody):
        return [("$[]", record_plan(body.record, fmt))]
    if isinstance(body, RecordBody):
        return [("$", record_plan(body.record, fmt))]
    if isinstance(body, OneOrListBody):
        return [("$", record_plan(body.one, fmt)), ("$[]", record_plan(body.many, fmt))]
    out: list[tuple[str, RecordPlan | Field]] = [
        (f"$.{s.name}[]", record_plan(s.record, fmt)) for s in body.sections]
    out.append(("$", body.tail))
    return out


def _line_view(text: str, spec: CallSpec, fmt: int) -> View:
    """The line tokenizer's records and items, without converting a value."""
    kinds = _line_kinds(spec, fmt)
    groups = {id(kind): group for group, kind in kinds}
    records = []
    counters: dict[str, int] = {}
    for event in line_tokens.tokenize(text, [k for _, k in kinds], fmt, lenient=True):
        assert isinstance(event, line_tokens.LineRecord)
        body = event.text
        guessed = event.kind is None
        what = _guess(body, kinds, fmt) if guessed else event.kind
        group = groups[id(what)]
        index = counters.get(group, 0)
        counters[group] = index + 1
        path = group[:-2] + f"[{index}]" if group.endswith("[]") else group
        tokens, columns = line_tokens.items(event, what, fmt)
        items = tuple(Item(t.key, t.raw) for t in tokens)
        if isinstance(what, Field):
            records.append(RawRecord(group, path, items, None, event.line, text=body,
                                     guessed=guessed))
            continue
        records.append(RawRecord(group, path, items, what.spec, event.line, columns=columns,
                                 text=body, guessed=guessed))
    return View(spec.name, fmt, tuple(records))


def _guess(body: str, kinds: list[tuple[str, RecordPlan | Field]],
           fmt: int) -> RecordPlan | Field:
    """The documented record a line that matches no record head most resembles."""
    if fmt == 0:
        keys = {t.key for t in line_tokens.items(line_tokens.LineRecord(None, 1, body),
                                                 None, 0)[0]}

        def score(kind: RecordPlan | Field) -> int:
            wires = ({s.slot.wire for s in kind.slots} if isinstance(kind, RecordPlan)
                     else {kind.name})
            return len(keys & wires)
    else:
        count = body.count(",") + 1

        def score(kind: RecordPlan | Field) -> int:
            return -abs((kind.width if isinstance(kind, RecordPlan) else 1) - count)

    return max((k for _, k in kinds), key=score)


# -- fmt=2 ------------------------------------------------------------------------------------


def _xml_view(text: str, spec: CallSpec, error: ApiError | None) -> View:
    """The fmt=2 tokenizer's records (lenient: nesting is shown, not refused), unconverted."""
    if not text.strip():  # as parse says it: fmt=2 never writes an empty body
        raise ParseError("empty body", call=spec.name, fmt=2, line=1, col=1)
    events = xml_tokens.tokenize(text, xml_tokens.shape(spec), lenient=True)
    root = events[0]
    assert isinstance(root, xml_tokens.XmlRoot)
    records: list[RawRecord] = []
    for event in events[1:]:
        assert isinstance(event, xml_tokens.XmlRecord)
        items = tuple(Item(t.key, t.raw) for t in event.tokens()
                      if t.key != "#text" or event.attrib)  # a bare element's text is a value
        records.append(RawRecord(event.group, event.path, items, None, event.line,
                                 tag=event.tag))
    return View(spec.name, 2, tuple(records), error=error, root=root.tag)


# -- fmt=3 ------------------------------------------------------------------------------------


def _json_view(text: str, spec: CallSpec, error: ApiError | None) -> View:
    """The tokens of the JSON tokenizer, unconverted: every object as a record."""
    json_tokens.load(text)  # the tokenizer's rules: what parse refuses, the view refuses
    records = tuple(RawRecord(strip_indices(r.path), r.path,
                              tuple(Item(t.key, t.raw, t.json) for t in r.tokens))
                    for r in json_tokens.records(text))
    return View(spec.name, 3, records, error=error, root=json_tokens.root_type(text))


def strip_indices(path: str) -> str:
    """A path without its list indices: ``$[3].id`` -> ``$[].id``."""
    return re.sub(r"\[[0-9]+\]", "[]", path)
