"""Injected drift: the simulator's way to answer as a changed SMSC server would.

Each kind in :data:`DRIFTS` alters the data bodies deterministically, so that a structural
comparison with a faithful recording detects it. A drift acts at one or more of three stages:

* ``layout``: the wire layout a record is written with (slots added, dropped, renamed,
  reordered, retyped), derived from the spec, so no call is named here;
* ``value``: the reply written (money rescaled, phones with ``+``, an undocumented error);
* ``text``: the written text (date spelling, the XML root, a garbage body).

Error answers (bad credentials, limits, bad parameters) are never drifted: a client must still
be able to tell "the server refused" from "the server changed". Kinds that concern one format
(``json-type``, ``csv-columns``, ``xml-root``) leave the others unchanged, and a kind that
concerns fields a call lacks (dates, money, phones) leaves that call unchanged.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from ..api import emit
from ..codecs import CODECS
from ..model import MODELS, ApiError, Reply
from ..spec import (
    CALLS,
    CallSpec,
    Field,
    JsonType,
    Kind,
    ListBody,
    OneOrListBody,
    Place,
    RecordBody,
    RecordSpec,
    Section,
    SectionsBody,
    Slot,
)
from ..values import MOSCOW

Layout = tuple[Slot, ...]
LayoutChange = Callable[[RecordSpec, Layout], Layout]


@dataclass(frozen=True, slots=True)
class Drift:
    """One kind of drift: what it changes, at which stage, in which formats."""

    doc: str
    layout: LayoutChange | None = None
    value: Callable[[Reply, CallSpec], Reply] | None = None
    text: Callable[[str], str] | None = None
    formats: frozenset[int] = frozenset({0, 1, 2, 3})


# ---------------------------------------------------------------------------------------------
# Layout changes: which slot they touch is chosen from the spec, the same way for every record.

_ADDED_WIRE = "added_field"
_RENAMED_SUFFIX = "_renamed"
_SCALAR_KINDS = (Kind.INT, Kind.MONEY, Kind.CODE, Kind.TZ)


def _victim(record: RecordSpec, layout: Layout) -> int:
    """The slot a removal, rename or reordering touches: the last one that is neither the
    record's first (fmt=0 finds records by it) nor its free text (which absorbs separators)."""
    for i in range(len(layout) - 1, 0, -1):
        if layout[i].field != record.free_text:
            return i
    return len(layout) - 1


def _extra_slot(record: RecordSpec, layout: Layout) -> Slot:
    """A new slot repeating the first scalar field, placed the way the record's others are."""
    source = next(s for s in layout if record.field(s.field).kind in _SCALAR_KINDS)
    kind = record.field(source.field).kind
    place = Place.ATTRIBUTE if any(s.place is not Place.CHILD for s in layout) else Place.CHILD
    json = JsonType.NUMBER if kind in (Kind.INT, Kind.MONEY) else JsonType.STRING
    return Slot(wire=_ADDED_WIRE, field=source.field, place=place, json=json)


def _add(record: RecordSpec, layout: Layout) -> Layout:
    return (*layout, _extra_slot(record, layout))


def _remove(record: RecordSpec, layout: Layout) -> Layout:
    i = _victim(record, layout)
    return layout[:i] + layout[i + 1:]


def _rename(record: RecordSpec, layout: Layout) -> Layout:
    i = _victim(record, layout)
    renamed = dataclasses.replace(layout[i], wire=layout[i].wire + _RENAMED_SUFFIX)
    return (*layout[:i], renamed, *layout[i + 1:])


def _swap(record: RecordSpec, layout: Layout) -> Layout:
    i = _victim(record, layout)
    j = i - 1 if layout[i - 1].field != record.free_text else i + 1
    j = min(max(j, 0), len(layout) - 1)
    out = list(layout)
    out[i], out[j] = out[j], out[i]
    return tuple(out)


def _retype(record: RecordSpec, layout: Layout) -> Layout:
    """The first JSON number becomes a string; a record without numbers gets its first
    numeric field (int, money, UTC offset) written as a bare number instead."""
    flip = {JsonType.NUMBER: JsonType.STRING, JsonType.STRING: JsonType.NUMBER}
    numeric = (Kind.INT, Kind.MONEY, Kind.TZ)
    i = next((i for i, s in enumerate(layout) if s.json is JsonType.NUMBER), None)
    if i is None:
        i = next(i for i, s in enumerate(layout) if record.field(s.field).kind in numeric)
    return (*layout[:i], dataclasses.replace(layout[i], json=flip[layout[i].json]),
            *layout[i + 1:])


# ---------------------------------------------------------------------------------------------
# Value changes: rebuild the reply's records with some field values changed.

_MODEL_SPECS: Mapping[str, RecordSpec] = {
    r.name: r for call in CALLS.values() for r in call.records()
}


def _map_records(reply: Reply, call: CallSpec, change: Callable[[Field, Any], Any]) -> Reply:
    """The reply with every field value (records, and a sectioned body's tail) passed through
    ``change(field, value)``; absent optional values stay absent."""

    def one(f: Field, value: Any) -> Any:
        return value if value is None else change(f, value)

    def record(item: Any) -> Any:
        spec = _MODEL_SPECS[type(item).__name__]
        return dataclasses.replace(item, **{f.name: one(f, getattr(item, f.name))
                                            for f in spec.fields})

    if isinstance(reply, list):
        return [record(r) for r in reply]
    body = call.body
    if isinstance(body, SectionsBody):
        values: dict[str, Any] = {s.name: tuple(record(r) for r in getattr(reply, s.name))
                                  for s in body.sections}
        values[body.tail.name] = one(body.tail, getattr(reply, body.tail.name))
        model: Any = MODELS[body.model]
        return model(**values)  # type: ignore[no-any-return]
    return record(reply)  # type: ignore[no-any-return]


def _rescale(value: Decimal) -> Decimal:
    """One more decimal than the value has: ``1.50`` becomes ``1.500``."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return value.quantize(Decimal(1).scaleb(exponent - 1))


def _more_decimals(reply: Reply, call: CallSpec) -> Reply:
    return _map_records(reply, call, lambda f, value:
                        _rescale(value) if f.kind is Kind.MONEY else value)


def _is_phone(f: Field) -> bool:
    """A field holding phone numbers: a code whose documented shape allows a leading ``+``."""
    return f.kind is Kind.CODE and (f.pattern or "").startswith(r"\+?")


def _plus_phones(reply: Reply, call: CallSpec) -> Reply:
    return _map_records(reply, call, lambda f, value:
                        "+" + value if _is_phone(f) and not value.startswith("+") else value)


NEW_ERROR = ApiError(7, "service temporarily unavailable")
"""The undocumented error ``new-error-code`` answers instead of data."""


def _new_error(reply: Reply, call: CallSpec) -> Reply:
    return NEW_ERROR


# ---------------------------------------------------------------------------------------------
# Text changes.

_DATE = re.compile(r"\b([0-9]{2})\.([0-9]{2})\.([0-9]{4}) ([0-9]{2}:[0-9]{2}:[0-9]{2})\b")
_ROOT = re.compile(r"\A<([A-Za-z_][A-Za-z0-9_.-]*)>(.*)</\1>\Z", re.DOTALL)
NEW_ROOT = "response"
GARBAGE = ("<html>\n<head><title>502 Bad Gateway</title></head>\n"
           "<body>\n<h1>502 Bad Gateway</h1>\n</body>\n</html>\n")
"""What ``unparseable`` answers: a proxy's error page, in no format of the API."""


def _iso_dates(text: str) -> str:
    return _DATE.sub(r"\3-\2-\1 \4", text)


def _rename_root(text: str) -> str:
    return _ROOT.sub(rf"<{NEW_ROOT}>\2</{NEW_ROOT}>", text)


def _garbage(text: str) -> str:
    return GARBAGE


DRIFTS: Mapping[str, Drift] = {
    "field-added": Drift("every record gets a new key, element, attribute or column",
                         layout=_add),
    "field-removed": Drift("one field is no longer sent", layout=_remove),
    "field-renamed": Drift("one field's key or element is spelled differently", layout=_rename),
    "order-changed": Drift("two fields swap places", layout=_swap),
    "json-type": Drift("fmt=3: a number becomes a string (or a string a number)",
                       layout=_retype, formats=frozenset({3})),
    "date-format": Drift("dates are written YYYY-MM-DD hh:mm:ss", text=_iso_dates),
    "decimal-scale": Drift("money has one more decimal", value=_more_decimals),
    "id-pattern": Drift("phone numbers get a leading +", value=_plus_phones),
    "csv-columns": Drift("fmt=1: every record gets an extra column", layout=_add,
                         formats=frozenset({1})),
    "xml-root": Drift(f"fmt=2: the root element is renamed <{NEW_ROOT}>", text=_rename_root,
                      formats=frozenset({2})),
    "new-error-code": Drift(f"error {NEW_ERROR.code} instead of data", value=_new_error),
    "unparseable": Drift("a body in no format of the API", text=_garbage),
}
"""Every drift kind the simulator can inject, by its name on the command line."""


# ---------------------------------------------------------------------------------------------


def _with_records(spec: CallSpec, change: Callable[[RecordSpec], RecordSpec]) -> CallSpec:
    body = spec.body
    if isinstance(body, ListBody):
        new: Any = ListBody(change(body.record), body.xml_root)
    elif isinstance(body, RecordBody):
        new = RecordBody(change(body.record))
    elif isinstance(body, OneOrListBody):
        new = OneOrListBody(change(body.one), change(body.many), body.xml_root)
    else:
        new = dataclasses.replace(body, sections=tuple(
            Section(s.name, change(s.record)) for s in body.sections))
    return dataclasses.replace(spec, body=new)


@cache
def drifted_spec(kind: str, call: str, fmt: int) -> CallSpec:
    """The call's spec with ``kind``'s layout change applied to every record in ``fmt``.

    Cached, so the codecs compile each drifted plan once.
    """
    layout = DRIFTS[kind].layout
    assert layout is not None

    def change(record: RecordSpec) -> RecordSpec:
        layouts = dict(record.layouts)
        layouts[fmt] = layout(record, record.layouts[fmt])
        return dataclasses.replace(record, layouts=layouts)

    return _with_records(CALLS[call], change)


def render(reply: Reply, *, call: str, fmt: int, charset: str, drift: str | None) -> bytes:
    """The body for ``reply``: what ``emit`` writes, with ``drift`` injected if given."""
    kind = DRIFTS[drift] if drift is not None else None
    if kind is None or isinstance(reply, ApiError) or fmt not in kind.formats:
        return emit(reply, call=call, fmt=fmt, charset=charset)
    if kind.value is not None:
        reply = kind.value(reply, CALLS[call])
    if kind.layout is not None and not isinstance(reply, ApiError):
        text = CODECS[fmt].encode(reply, drifted_spec(drift or "", call, fmt), MOSCOW)
        body = text.encode(charset)
    else:
        body = emit(reply, call=call, fmt=fmt, charset=charset)
    if kind.text is not None:
        body = kind.text(body.decode(charset)).encode(charset)
    return body
