"""The words the API spec is written in: field kinds, wire slots, record and body shapes.

Nothing here knows about a particular call; ``calls.py`` uses these words to declare the six.
Everything is frozen data, so codecs, strategies and conformance checks can compile plans
from it at import time.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

FORMATS: tuple[int, ...] = (0, 1, 2, 3)
"""The values of the ``fmt`` request parameter: key = value, CSV, XML, JSON."""

FORMAT_NAMES: Mapping[int, str] = {0: "key = value", 1: "comma-separated", 2: "XML", 3: "JSON"}

CONTENT_TYPES: Mapping[int, str] = {0: "text/plain", 1: "text/plain", 2: "text/xml",
                                    3: "application/json"}
"""The media type an answer in each fmt is labelled with (the charset parameter is added to
it); the simulator, the replay server and the in-process mock all label answers from here."""


class Kind(enum.Enum):
    """What a field holds, which decides its Python type and its converter."""

    INT = "int"
    """Counts, codes and ids: ``int``."""
    MONEY = "money"
    """Prices and balances: ``Decimal`` keeping the scale of the wire text."""
    INSTANT = "instant"
    """A moment: a timezone-aware ``datetime`` in the server timezone."""
    TEXT = "text"
    """Human text kept verbatim: ``str``."""
    CODE = "code"
    """Digits-like identifiers where leading zeros and ``+`` matter: ``str``."""
    TZ = "tz"
    """A UTC offset in whole hours: ``int``, written ``3`` or ``+3`` on the wire."""


class Form(enum.Enum):
    """How one wire slot spells its field's value."""

    VALUE = "value"
    """The kind's own text: digits, decimal text, verbatim text."""
    DATE = "date"
    """An instant as ``DD.MM.YYYY hh:mm:ss`` in the server timezone."""
    TIMESTAMP = "timestamp"
    """An instant as Unix seconds."""


class Place(enum.Enum):
    """Where an XML (fmt=2) slot lives relative to the record's element."""

    CHILD = "child"
    ATTRIBUTE = "attribute"
    TEXT = "text"


class JsonType(enum.Enum):
    """The JSON type a fmt=3 slot is documented with: quoted on the page, or bare."""

    STRING = "string"
    NUMBER = "number"


@dataclass(frozen=True, slots=True)
class Field:
    """One canonical field of a record: its name (the fmt=3 key), kind and documented limits."""

    name: str
    kind: Kind
    doc: str
    optional: bool = False
    """Absent on the wire means ``None`` in the model and ``null`` in canonical JSON."""
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    """For CODE and TEXT fields: the shape real values have (a regular expression)."""


@dataclass(frozen=True, slots=True)
class Slot:
    """One place on the wire where a field's value stands, in one format."""

    wire: str
    """The key, element, attribute or JSON key; for fmt=1, the page's column name."""
    field: str
    """The canonical field the slot carries."""
    form: Form = Form.VALUE
    place: Place = Place.CHILD
    json: JsonType = JsonType.STRING


def slots(*specs: str) -> tuple[Slot, ...]:
    """Read a format's slots from the compact notation used in ``calls.py``.

    Each spec is ``wire[>field][@ts|@date|@attr|@text][:n]``: the wire name, the canonical
    field when it differs, the form or XML place, and ``:n`` for a JSON number.
    """
    out: list[Slot] = []
    for spec in specs:
        json = JsonType.STRING
        if spec.endswith(":n"):
            spec, json = spec[:-2], JsonType.NUMBER
        form, place = Form.VALUE, Place.CHILD
        if "@" in spec:
            spec, marker = spec.split("@")
            form = {"ts": Form.TIMESTAMP, "date": Form.DATE}.get(marker, Form.VALUE)
            place = {"attr": Place.ATTRIBUTE, "text": Place.TEXT}.get(marker, Place.CHILD)
        wire, _, name = spec.partition(">")
        out.append(Slot(wire=wire, field=name or wire, form=form, place=place, json=json))
    return tuple(out)


@dataclass(frozen=True, slots=True, eq=False)
class RecordSpec:
    """One kind of record: its canonical fields and, per format, the slots that carry them."""

    name: str
    """The model class name, e.g. ``SentMessage``."""
    fields: tuple[Field, ...]
    """In canonical order, which is the fmt=3 order without the ``*_timestamp`` keys."""
    layouts: Mapping[int, tuple[Slot, ...]]
    """Per format, the slots in wire order."""
    xml_tag: str
    """The element that holds one record in fmt=2."""
    free_text: str | None = None
    """The one field that may hold arbitrary text in fmt=0 and fmt=1 (absorbs separators)."""
    multiline: bool = False
    """Whether the free text may hold raw newlines (only ``message`` does)."""

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class ListBody:
    """A body that is a list of records (possibly empty)."""

    record: RecordSpec
    xml_root: str


@dataclass(frozen=True, slots=True)
class RecordBody:
    """A body that is exactly one record; fmt=2 uses the record's tag as the root."""

    record: RecordSpec


@dataclass(frozen=True, slots=True)
class OneOrListBody:
    """One record for one query (``one``), or a list of ``many`` records for several."""

    one: RecordSpec
    many: RecordSpec
    xml_root: str


@dataclass(frozen=True, slots=True)
class Section:
    """One list inside a sectioned body, e.g. the ``zones`` of ``get_price``."""

    name: str
    record: RecordSpec


@dataclass(frozen=True, slots=True)
class SectionsBody:
    """A body made of named lists followed by an optional scalar, e.g. ``get_price``."""

    model: str
    xml_root: str
    sections: tuple[Section, ...]
    tail: Field
    """The scalar after the lists (``mail``); written as its own line, element or key."""


Body = ListBody | RecordBody | OneOrListBody | SectionsBody


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """One documented ``error_code`` of a call."""

    code: int
    meaning: str


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A documented server limit: at most ``count`` requests per ``seconds``.

    ``scope`` says which requests count together: ``identical`` (same parameters),
    ``call`` (any request of this call) or ``concurrent`` (connections open at once,
    for which ``seconds`` is 0).
    """

    count: int
    seconds: int
    scope: str
    error: int = 9


class ParamKind(enum.Enum):
    """What a request parameter takes."""

    INT = "int"
    DATE = "date"
    """``dd.mm.yyyy``."""
    FLAG = "flag"
    """``1`` (or an allowed value list)."""
    TEXT = "text"
    LIST = "list"
    """Comma-separated values."""


@dataclass(frozen=True, slots=True)
class Param:
    """One documented request parameter, with the limits the page gives for it."""

    name: str
    kind: ParamKind
    doc: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class CallSpec:
    """Everything the page says about one call: where it lives, what it takes and returns."""

    name: str
    path: str
    """The script under the server root, e.g. ``sys/get.php``."""
    selector: str
    """The parameter that selects the call, sent as ``<selector>=1``."""
    doc: str
    body: Body
    params: tuple[Param, ...]
    errors: tuple[ErrorCode, ...]
    limits: tuple[RateLimit, ...]
    max_period_days: int | None = None
    """For calls with ``start``/``end``: the longest window the server accepts."""
    required: tuple[tuple[str, ...], ...] = field(default=())
    """Groups of parameters of which at least one must be given, e.g. ``("id", "link")``."""

    @property
    def error_codes(self) -> frozenset[int]:
        return frozenset(e.code for e in self.errors)

    def records(self) -> tuple[RecordSpec, ...]:
        """Every record spec this call's body can hold."""
        body = self.body
        if isinstance(body, ListBody | RecordBody):
            return (body.record,)
        if isinstance(body, OneOrListBody):
            return (body.one, body.many)
        return tuple(s.record for s in body.sections)
