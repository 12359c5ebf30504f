"""What ``smsc-formats check`` reports about a body: every finding collected, nothing raised.

``parse`` is liberal; this module says where a body strays from the spec while still parsing.
The first check here is the one decisions.md asks of ``parse(strict=True)``: a record that
carries an instant both as a date string and as a Unix timestamp must carry the same instant
twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal
from typing import Any

from .api import call_spec
from .charset import decode, detect_format
from .codecs import fmt2_xml
from .codecs.plan import record_plan
from .errors import ParseError
from .spec import Form, Kind, ListBody, OneOrListBody, Place, RecordBody, RecordSpec
from .values import MOSCOW, ValueProblem, reader

SEVERITIES = ("breaking", "warning", "info")


@dataclass(frozen=True, slots=True)
class Finding:
    """One way a body strays from the spec."""

    call: str
    fmt: int | None
    path: str
    message: str
    severity: str = "warning"
    kind: str = "conformance"


def _records(value: Any, fmt: int, spec_body: Any) -> list[tuple[str, RecordSpec, Any]]:
    """(path, record spec, raw record) for each record of a decoded fmt=2/3 document."""
    out: list[tuple[str, RecordSpec, Any]] = []
    if isinstance(spec_body, ListBody):
        items = list(value) if fmt == 2 else value
        if isinstance(items, list):
            out += [(f"$[{i}]", spec_body.record, r) for i, r in enumerate(items)]
    elif isinstance(spec_body, RecordBody):
        out.append(("$", spec_body.record, value))
    elif isinstance(spec_body, OneOrListBody):
        single = value.tag == spec_body.one.xml_tag if fmt == 2 else isinstance(value, dict)
        if single:
            out.append(("$", spec_body.one, value))
        else:
            out += [(f"$[{i}]", spec_body.many, r) for i, r in enumerate(list(value))]
    return out


def _raw(record: Any, wire: str, fmt: int) -> str | None:
    if fmt == 2:
        child = record.find(wire)
        return None if child is None else (child.text or "")
    if not isinstance(record, dict) or wire not in record:
        return None
    item = record[wire]
    return format(item, "f") if isinstance(item, Decimal) else str(item)


def instant_agreement(text: str, *, call: str, fmt: int,
                      server_tz: tzinfo = MOSCOW) -> list[Finding]:
    """Findings for records whose date string and timestamp name different instants."""
    spec = call_spec(call)
    if fmt not in (2, 3):
        return []
    try:
        value = fmt2_xml.load(text, call) if fmt == 2 else json.loads(text, parse_float=Decimal)
    except (ParseError, ValueError):
        return []
    findings = []
    for path, record, raw in _records(value, fmt, spec.body):
        plan = record_plan(record, fmt, server_tz)
        for field in record.fields:
            if field.kind is not Kind.INSTANT:
                continue
            slots = {sp.slot.form: sp for sp in plan.slots if sp.field is field
                     and sp.slot.place is Place.CHILD}
            if Form.DATE not in slots or Form.TIMESTAMP not in slots:
                continue
            date = _raw(raw, slots[Form.DATE].slot.wire, fmt)
            stamp = _raw(raw, slots[Form.TIMESTAMP].slot.wire, fmt)
            if date is None or stamp is None:
                continue
            try:
                a = reader(Kind.INSTANT, Form.DATE, server_tz)(date)
                b = reader(Kind.INSTANT, Form.TIMESTAMP, server_tz)(stamp)
            except ValueProblem:
                continue
            if a != b:
                findings.append(Finding(
                    call, fmt, f"{path}.{field.name}",
                    f"{slots[Form.DATE].slot.wire} {date!r} and "
                    f"{slots[Form.TIMESTAMP].slot.wire} {stamp} name different instants "
                    f"({a.isoformat()} vs {b.isoformat()})", "warning", "instant-mismatch"))
    return findings


def check_text(text: str, *, call: str, fmt: int | None = None,
               server_tz: tzinfo = MOSCOW) -> list[Finding]:
    """Every finding for one decoded body (the body must already parse)."""
    if fmt is None:
        fmt = detect_format(text)
    return instant_agreement(text, call=call, fmt=fmt, server_tz=server_tz)


def check_body(body: bytes, *, call: str, fmt: int | None = None, charset: str | None = None,
               server_tz: tzinfo = MOSCOW) -> list[Finding]:
    """Every finding for one raw body."""
    text, _ = decode(body, charset)
    return check_text(text, call=call, fmt=fmt, server_tz=server_tz)
