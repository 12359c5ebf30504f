"""The optional compiled record builder, ``smsc_formats._native``, and its programs.

Where the C extension was built (it is optional: without a compiler the package installs and
runs as pure Python), a whole list body's raw values become model records in one C loop:
integers, dates and timestamps are converted and each record's slots filled without a
Python-level operation per value. Each plan becomes a *program*, a tuple the extension reads
(see the comment at the top of ``_native.c``): per model field, its slot descriptor, whether
it is optional, and its slots, most preferred first, with their key, kind and JSON type.

The extension accepts only what the generated readers of :mod:`.fast` accept and converts it
to equal values; on anything else it returns None and the caller reads the body record by
record as before, so whether it is there never changes a result or an error. The tests hold
the two paths together (``tests/codecs/test_native.py``).

``SMSC_FORMATS_NO_EXTENSIONS=1`` in the environment turns it off (the aio-libs convention).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import datetime, timezone, tzinfo
from decimal import Decimal
from enum import IntEnum
from functools import cache
from json.encoder import encode_basestring
from typing import Any

from ..model import SLOTS
from ..spec import Form, JsonType, Kind, Place
from .fast import ABSENT
from .plan import RecordPlan, SlotPlan

try:
    from .. import _native
except ImportError:  # pragma: no cover - depends on how the package was built
    _native = None  # type: ignore[assignment]


class Mode(IntEnum):
    """How the extension fetches a slot's raw value from a row."""

    SEQUENCE = 0
    """fmt 0/1: each row is the sequence of a record's values, one per slot (None: absent)."""
    FIELDS = 1
    """fmt 2: each row is a dict of child tag to text."""
    ATTRIBUTES = 2
    """fmt 3: each row is a decoded struct (``fast.JsonRecords``), a slot ``k`` its ``fk``."""


_KINDS = {Kind.TEXT: 0, Kind.CODE: 0, Kind.INT: 1, Kind.TZ: 2, Kind.MONEY: 3}
_DATE, _TIMESTAMP = 4, 5


def available() -> bool:
    """Whether the compiled builder is built and not turned off."""
    return _native is not None and not os.environ.get("SMSC_FORMATS_NO_EXTENSIONS")


ENABLED = available()
"""Read once at import; tests switch it to compare the two paths."""


def _kind(sp: SlotPlan) -> int:
    if sp.field.kind is Kind.INSTANT:
        return _DATE if sp.slot.form is Form.DATE else _TIMESTAMP
    return _KINDS[sp.field.kind]


def _key(k: int, sp: SlotPlan, mode: Mode) -> Any:
    if mode is Mode.SEQUENCE:
        return k
    if mode is Mode.FIELDS:
        return sp.slot.wire
    return sys.intern(f"f{k}")


@cache
def program(plan: RecordPlan, tz: tzinfo, mode: Mode) -> tuple[Any, ...] | None:
    """The extension's program for a plan read in ``mode``, or None where it has none (a
    fmt=2 attribute or text slot)."""
    base = SLOTS.get(plan.model)  # type: ignore[call-overload]
    if base is None:
        return None
    if mode is Mode.FIELDS and any(sp.slot.place is not Place.CHILD for sp in plan.slots):
        return None
    fields = []
    for i, field in enumerate(plan.spec.fields):
        slots = sorted(((k, sp) for k, sp in enumerate(plan.slots) if sp.index == i),
                       key=lambda item: not item[1].primary)
        if not slots:
            return None
        fields.append((base.__dict__[field.name], field.optional, tuple(
            (_key(k, sp, mode), _kind(sp),
             int(mode is Mode.ATTRIBUTES and sp.slot.json is JsonType.NUMBER
                 and sp.field.kind not in (Kind.TEXT, Kind.CODE)))
            for k, sp in slots)))
    epoch = datetime.fromtimestamp(0, tz) if isinstance(tz, timezone) else None
    absent = ABSENT if mode is Mode.ATTRIBUTES else None
    return (plan.model, int(mode), absent, tz, epoch, datetime.fromtimestamp, Decimal,
            tuple(fields))


@cache
def writer_program(plan: RecordPlan) -> tuple[Any, ...] | None:
    """The extension's program that writes a plan's records in fmt 0, 1 or 3 (the server's
    layout, as :mod:`.fast`'s generated writers write it), or None where it has none: fmt=2
    (the pure-Python writer is already faster than lxml), a timezone that is not a fixed
    offset, or a first slot that may be absent."""
    base = SLOTS.get(plan.model)  # type: ignore[call-overload]
    tz = plan.tz
    if (base is None or plan.fmt == 2 or not isinstance(tz, timezone) or not plan.slots
            or plan.slots[0].field.optional):
        return None
    offset = tz.utcoffset(None)
    slots = []
    for k, sp in enumerate(plan.slots):
        wire, first = sp.slot.wire, k == 0
        forbid = 0
        if sp.field.kind in (Kind.TEXT, Kind.CODE) and plan.fmt != 3:
            free = k == plan.free
            forbid = (0 if free and plan.spec.multiline else 1) | (2 if plan.fmt == 1 and
                                                                  not free else 0)
        if plan.fmt == 0:
            lead, absent, escape = ("" if first else ", ") + f"{wire} = ", "", 0
        elif plan.fmt == 1:
            lead = "" if first else ","
            absent, escape = lead, 0
        else:
            lead, absent = ("" if first else ",\n") + f'"{wire}": ', ""
            escape = int(sp.slot.json is JsonType.STRING)
        slots.append((base.__dict__[sp.field.name], _kind(sp), sp.field.optional, lead, "",
                      absent, escape, forbid))
    prefix, suffix = ("{\n", "\n}") if plan.fmt == 3 else ("", "")
    return (plan.model, tz, int(offset.total_seconds()), encode_basestring, Decimal, '"',
            prefix, suffix, tuple(slots))


def write(plan: RecordPlan, records: list[Any]) -> list[str] | None:
    """Each record's text in fmt 0, 1 or 3, or None where the extension is off, has no
    program for the plan, or leaves any record to the pure-Python writers."""
    if not ENABLED:
        return None
    code = writer_program(plan)
    if code is None:
        return None
    return _native.write(code, records)


UTF8_BODIES = {0: ("", "\n", ""), 1: ("", "\n", ""), 3: ("[", ",\n", "]")}
"""The formats whose list bodies :func:`write_utf8` writes, with their opening, separator and
closing: every format with a writer program (not fmt=2, see :func:`writer_program`)."""


def writes_utf8(plan: RecordPlan) -> bool:
    """Whether :func:`write_utf8` may write this plan's bodies (it may still decline one)."""
    return ENABLED and plan.fmt in UTF8_BODIES and writer_program(plan) is not None


def write_utf8(plan: RecordPlan, records: list[Any],
               spanning: list[int] | None = None) -> bytes | None:
    """A whole list body in UTF-8, each record as :func:`write` spells it and laid out as
    :data:`UTF8_BODIES` says, or None where that declines or a text cannot be encoded.
    ``spanning`` (fmt 0/1) collects the index of each record whose free text spans lines."""
    code = writer_program(plan) if writes_utf8(plan) else None
    if code is None:
        return None
    return _native.write_utf8(code, records, *UTF8_BODIES[plan.fmt],
                              [] if spanning is None else spanning)


def cut_lines(text: str, code: tuple[Any, ...]) -> list[Sequence[str | None]] | None:
    """fmt=1: every record's raw values of a whole list body, cut by the compiled half of
    :mod:`.line_tokens` with its program ``code`` (``line_tokens.cutter``), or None where the
    extension is off or leaves the body to the pure-Python tokenizer."""
    if not ENABLED:
        return None
    return _native.cut_lines(text, *code)


def key_marks(text: str | bytes) -> tuple[int, bool] | None:
    """How often ``":`` occurs in a JSON text, and whether a ``"`` then blanks then ``:``
    does (what ``json_tokens.unrepeated`` counts, in one C pass), or None where the
    extension is off."""
    if not ENABLED:
        return None
    return _native.key_marks(text)


def read(plan: RecordPlan, tz: tzinfo, mode: Mode, rows: Sequence[Any]) -> list[Any] | None:
    """A whole list body's records from its rows, or None where the extension is off, has no
    program for the plan, or leaves any record to the record-by-record readers."""
    if not ENABLED:
        return None
    code = program(plan, tz, mode)
    if code is None:
        return None
    return _native.read(code, rows if isinstance(rows, list) else list(rows))


__all__ = [
    "ENABLED",
    "UTF8_BODIES",
    "Mode",
    "available",
    "cut_lines",
    "key_marks",
    "program",
    "read",
    "write",
    "write_utf8",
    "writer_program",
    "writes_utf8",
]
