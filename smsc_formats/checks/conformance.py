"""What ``smsc-formats check`` reports about a body: every finding collected, nothing raised.

``parse`` is liberal; this module says where a body strays from the spec while still parsing,
and where it does not parse at all. For one body of (call, fmt), :func:`check_text` and
:func:`check_body` report:

====================  =========  =============================================================
kind                  severity   what
====================  =========  =============================================================
``parse``             breaking   the body does not parse (with the ParseError's line:col, path)
``missing-field``     breaking   a documented key, element or column is absent
``renamed-field``     breaking   a documented key is absent where an undocumented one stands
``columns``           breaking   a fmt=1 record has more or fewer columns than documented
``xml-root``          breaking   the fmt=2 root or record element is not the documented one
``cross-format``      breaking   (case level) two formats of one case parse to different values
``extra-field``       warning    a key, element or attribute the page does not list
``field-order``       warning    documented keys out of the documented order
``json-type``         warning    a fmt=3 number where the page quotes the value, or the reverse
``value-shape``       warning    a value that is not its kind's shape (date format, decimals)
``range``             warning    an int outside the field's documented minimum/maximum
``error-code``        warning    an error code the page does not document for the call
``instant-mismatch``  warning    a date string and its timestamp name different instants
``round-trip``        warning    ``emit(parse(body))`` differs from the body (first line:col)
``error-format``      info       an error written in another format than the one asked for
``pattern``           info       a code (phone, mccmnc...) outside its documented pattern
``byte-order-mark``   info       the body starts with a UTF-8 BOM, which the server does not write
====================  =========  =============================================================

A kind has one severity everywhere: :data:`SEVERITY` is the one table of ``check``'s kinds and
``drift``'s (see :mod:`smsc_formats.checks.drift`), and a :class:`Finding` of a kind it lists always
carries that severity, so a fingerprint is graded the same by both commands.

:func:`check_case` adds the case-level check: the four formats of a case agree (the fmt=1 error
description aside, as fmt=1 carries none).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from ..api import call_spec, emit, match_error, parse
from ..canonical import to_canonical
from ..charset import decode, detect_format
from ..errors import EmitError, ParseError, position
from ..model import ApiError, Reply
from ..spec import Form, JsonType, Kind, Place
from ..values import MOSCOW, SHAPES, ValueProblem, describe, reader
from .wire import Expected, RawRecord, View, expected, expected_error, expected_root, view
from .wire import strip_indices as strip_indices

SEVERITIES = ("breaking", "warning", "info")
"""From the most to the least serious."""


SEVERITY: Mapping[str, str] = {
    # check (this module)
    "parse": "breaking", "missing-field": "breaking", "renamed-field": "breaking",
    "columns": "breaking", "xml-root": "breaking", "cross-format": "breaking",
    "extra-field": "warning", "field-order": "warning", "json-type": "warning",
    "value-shape": "warning", "range": "warning", "error-code": "warning",
    "instant-mismatch": "warning", "round-trip": "warning",
    "error-format": "info", "pattern": "info", "byte-order-mark": "info",
    # drift (smsc_formats.checks.drift)
    "unparseable": "breaking", "field-removed": "breaking", "field-renamed": "breaking",
    "json-type-changed": "breaking", "date-format": "breaking", "id-pattern": "breaking",
    "money-format": "breaking", "csv-columns": "breaking", "xml-element": "breaking",
    "new-error-code": "breaking", "error-instead-of-data": "breaking",
    "order-changed": "breaking",
    "json-type-mixed": "warning", "error-changed": "warning", "key-order-changed": "warning",
    "decimal-scale": "warning", "field-added": "warning",
    "optional-field-added": "info", "optional-field-removed": "info",
}
"""The severity of every finding kind of ``check`` and ``drift``: one table, one grade a kind."""


def severity_of(kind: str, default: str = "warning") -> str:
    """The severity :data:`SEVERITY` gives ``kind`` (``default`` for a kind it does not list)."""
    return SEVERITY.get(kind, default)


def severity_rank(severity: str) -> int:
    """0 for breaking, 1 for warning, 2 for info (lower is more serious)."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True, slots=True)
class Finding:
    """One way a body strays from the spec (``check``) or from the stored body (``drift``).

    ``path`` is a ``$``-path into the body (``$[3].id``), empty for the whole body; ``line`` and
    ``col`` say where in the file when known; ``old``/``new`` are the before and after of a
    drift finding; ``case`` names the fixture case it came from.
    """

    call: str
    fmt: int | None
    path: str
    message: str
    severity: str = "warning"
    kind: str = "conformance"
    line: int | None = None
    col: int | None = None
    old: str | None = None
    new: str | None = None
    case: str | None = None

    @property
    def fingerprint(self) -> str:
        """A stable id to accept this finding by: call, fmt, kind and the path sans indices.

        Values, messages and positions are left out, so the same problem keeps its
        fingerprint from one run (and one recording) to the next.
        """
        fmt = "" if self.fmt is None else str(self.fmt)
        key = "|".join((self.call, fmt, self.kind, strip_indices(self.path)))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]

    def __post_init__(self) -> None:
        # One severity a kind, whoever reports it (check, drift, a plugin).
        if self.kind in SEVERITY:
            object.__setattr__(self, "severity", SEVERITY[self.kind])

    def at(self, **changes: Any) -> Finding:
        """A copy with some fields changed (e.g. the case it belongs to)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values.update(changes)
        return Finding(**values)


# -- the date string vs timestamp check ------------------------------------------------------


def instant_agreement(v: View, *, server_tz: tzinfo = MOSCOW) -> list[Finding]:
    """Findings for records whose date string and timestamp name different instants.

    Read off the wire view's tokens (the raw texts as written), never a second parse."""
    findings = []
    for record in v.records:
        exp = _group_spec(v, record.group)
        if exp is None or exp.spec is None or record.guessed:
            continue
        for field in exp.spec.fields:
            if field.kind is not Kind.INSTANT:
                continue
            keys = {slot.form: key for key, (slot, f) in exp.slots.items()
                    if f is field and slot.place is Place.CHILD}
            if Form.DATE not in keys or Form.TIMESTAMP not in keys:
                continue
            date_item, stamp_item = record.get(keys[Form.DATE]), record.get(keys[Form.TIMESTAMP])
            if date_item is None or stamp_item is None:
                continue
            date, stamp = date_item.raw, stamp_item.raw
            if date is None or stamp is None:
                continue
            try:
                a = reader(Kind.INSTANT, Form.DATE, server_tz)(date)
                b = reader(Kind.INSTANT, Form.TIMESTAMP, server_tz)(stamp)
            except ValueProblem:
                continue
            if a != b:
                findings.append(Finding(
                    v.call, v.fmt, f"{record.path}.{field.name}",
                    f"{keys[Form.DATE]} {date!r} and {keys[Form.TIMESTAMP]} {stamp} name "
                    f"different instants ({a.isoformat()} vs {b.isoformat()})", "warning",
                    "instant-mismatch"))
    return findings


# -- layout: keys, order, JSON types and value shapes against the spec -------------------------


def _group_spec(v: View, group: str) -> Expected | None:
    if v.error is not None:
        return expected_error(v.fmt) if group == "$" else None
    return expected(call_spec(v.call), v.fmt).get(group)


def _order_problem(actual: list[str], documented: Iterable[str]) -> tuple[str, str] | None:
    """The first pair of documented keys written in the wrong order, if any."""
    rank = {k: i for i, k in enumerate(documented)}
    seen = [k for k in actual if k in rank and not k.startswith(("@", "#"))]
    for a, b in itertools.pairwise(seen):
        if rank[a] > rank[b]:
            return a, b
    return None


def layout_findings(v: View) -> list[Finding]:
    """Keys, elements and columns of every record against the documented layout."""
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()

    def add(kind: str, key: str, record: RawRecord, message: str, severity: str) -> None:
        marker = (kind, record.group, key)
        if marker in seen:
            return
        seen.add(marker)
        path = record.path if not key else f"{record.path}.{key}"
        out.append(Finding(v.call, v.fmt, path, message, severity, kind, line=record.line))

    if v.fmt == 2 and v.root is not None:
        single = any(r.group == "$" for r in v.records)
        want = "result" if v.error is not None else expected_root(call_spec(v.call), single)
        if v.root != want:
            out.append(Finding(v.call, 2, "$", f"root element is <{v.root}>, documented "
                               f"<{want}>", "breaking", "xml-root", line=1))
    for record in v.records:
        exp = _group_spec(v, record.group)
        if exp is None:
            add("extra-field", "", record, f"{record.group} is not a place the page documents "
                "for this body", "warning")
            continue
        if v.fmt == 2 and exp.tag and record.tag and record.tag != exp.tag \
                and record.group != "$":
            add("xml-root", "", record, f"record element is <{record.tag}>, documented "
                f"<{exp.tag}>", "breaking")
        keys = record.keys()
        missing = [k for k in exp.keys if k not in keys and k not in exp.optional]
        extra = [k for k in keys if k not in exp.keys]
        if v.fmt == 1 and record.spec is not None and record.columns is not None:
            width = len(exp.keys)
            absorbs = record.spec.free_text is not None
            if record.columns < width or (record.columns > width and not absorbs):
                add("columns", "", record, f"{record.columns} comma-separated values, "
                    f"documented {width} ({', '.join(exp.keys)})", "breaking")
                continue
        pairs = list(zip(missing, extra, strict=False)) if len(missing) == len(extra) else []
        for old, new in pairs:
            add("renamed-field", new, record, f"'{new}' stands where the page documents "
                f"'{old}'", "breaking")
        for key in missing[len(pairs):]:
            add("missing-field", key, record, f"documented key '{key}' is missing", "breaking")
        for key in extra[len(pairs):]:
            add("extra-field", key, record, f"'{key}' is not documented for this record",
                "warning")
        wrong = _order_problem(keys, exp.keys)
        if wrong is not None:
            add("field-order", wrong[1], record, f"'{wrong[1]}' comes after '{wrong[0]}'; "
                f"documented order: {', '.join(exp.keys)}", "warning")
        _value_findings(v, record, exp, add)
    return out


def _value_findings(v: View, record: RawRecord, exp: Expected, add: Any) -> None:
    for item in record.items:
        known = exp.slots.get(item.key)
        if known is None:
            continue
        slot, field = known
        if v.fmt == 3 and item.json is not None:
            documented = "number" if slot.json is JsonType.NUMBER else "string"
            if item.json == "null" and field.optional:
                continue
            if item.json != documented:
                add("json-type", item.key, record, f"{item.key}: documented as a JSON "
                    f"{documented}, written as {_a(item.json)}", "warning")
        raw = item.raw
        if raw is None or (raw == "" and field.optional):
            continue
        form = slot.form if field.kind is Kind.INSTANT else Form.VALUE
        shape = SHAPES[(field.kind, form)]
        if field.kind in (Kind.TEXT, Kind.CODE):
            if field.pattern is not None and re.fullmatch(field.pattern, raw) is None:
                add("pattern", item.key, record, f"{item.key} {_clip(raw)} does not match "
                    f"the documented shape {field.pattern}", "info")
            continue
        if re.fullmatch(shape, raw) is None:
            add("value-shape", item.key, record, f"{item.key} {_clip(raw)} is not "
                f"{describe(field.kind, form)}", "warning")
            continue
        if field.kind in (Kind.INT, Kind.TZ) and form is Form.VALUE:
            number = int(raw)
            low, high = field.minimum, field.maximum
            if (low is not None and number < low) or (high is not None and number > high):
                bounds = f"{'' if low is None else low}..{'' if high is None else high}"
                add("range", item.key, record, f"{item.key} {raw} is outside the documented "
                    f"range {bounds}", "warning")


def _a(json_type: str) -> str:
    return {"array": "an array", "object": "an object", "null": "null"}.get(
        json_type, f"a {json_type}")


def _clip(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:40] + "…")


def error_findings(v: View) -> list[Finding]:
    """An error code the call does not document, or an error in another format than asked."""
    if v.error is None:
        return []
    out = []
    spec = call_spec(v.call)
    if v.error.code not in spec.error_codes:
        codes = ", ".join(str(c) for c in sorted(spec.error_codes))
        out.append(Finding(v.call, v.fmt, "$.error_code", f"error code {v.error.code} is not "
                           f"documented for {v.call} (documented: {codes})", "warning",
                           "error-code"))
    return out


# -- emit(parse(body)) against the body --------------------------------------------------------


def first_difference(a: str, b: str) -> tuple[int, int, int] | None:
    """(offset, line, col) of the first place two texts differ, or None if they are equal."""
    if a == b:
        return None
    offset = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                  min(len(a), len(b)))
    line, col = position(a, offset)
    return offset, line, col


def _snippet(text: str, offset: int) -> str:
    part = text[offset:offset + 20]
    return repr(part) if part else "the end"


def round_trip(text: str, reply: Reply, *, call: str, fmt: int, charset: str = "utf-8",
               server_tz: tzinfo = MOSCOW) -> list[Finding]:
    """A finding if writing the parsed value back does not give the body, saying where."""
    try:
        again = emit(reply, call=call, fmt=fmt, charset=charset, server_tz=server_tz)
    except EmitError as exc:
        return [Finding(call, fmt, "", f"the parsed value cannot be written back: {exc}",
                        "warning", "round-trip")]
    written = again.decode(charset)
    where = first_difference(text, written)
    if where is None:
        return []
    offset, line, col = where
    return [Finding(call, fmt, "", f"emit(parse(body)) differs from the body at line {line}, "
                    f"column {col}: body has {_snippet(text, offset)}, emit writes "
                    f"{_snippet(written, offset)}", "warning", "round-trip", line=line,
                    col=col)]


# -- one body ----------------------------------------------------------------------------------


def _parse_finding(exc: ParseError, call: str, fmt: int | None) -> Finding:
    return Finding(call, fmt if fmt is not None else exc.fmt, exc.path or "",
                   f"does not parse: {exc.msg}", "breaking", "parse", line=exc.line,
                   col=exc.col)


def check_text(text: str, *, call: str, fmt: int | None = None, server_tz: tzinfo = MOSCOW,
               charset: str = "utf-8") -> list[Finding]:
    """Every finding for one decoded body, collected; nothing is raised for a bad body."""
    call_spec(call)
    try:
        written = detect_format(text, call) if text.strip() else fmt
    except ParseError:
        written = fmt
    if fmt is None:
        fmt = written if written is not None else 0
    try:
        reply = parse(text, call=call, fmt=fmt, server_tz=server_tz)
    except ParseError as exc:
        found = [_parse_finding(exc, call, fmt)]
        v = view(text, call=call, fmt=fmt)
        if v.problem is None:
            found += layout_findings(v)
        return found
    findings: list[Finding] = []
    if not text.strip():
        return round_trip(text, reply, call=call, fmt=fmt, charset=charset, server_tz=server_tz)
    error = match_error(text, call) if text.strip() else None
    if error is not None and written is not None and written != fmt:
        findings.append(Finding(call, fmt, "", f"error written as fmt={written} to a "
                                f"fmt={fmt} request", "info", "error-format"))
        fmt = written
    v = view(text, call=call, fmt=fmt)
    if v.problem is not None:
        findings.append(_parse_finding(v.problem, call, fmt))
    else:
        findings += layout_findings(v)
        findings += error_findings(v)
        findings += instant_agreement(v, server_tz=server_tz)
    findings += round_trip(text, reply, call=call, fmt=fmt, charset=charset,
                           server_tz=server_tz)
    return findings


def check_body(body: bytes, *, call: str, fmt: int | None = None, charset: str | None = None,
               server_tz: tzinfo = MOSCOW) -> list[Finding]:
    """Every finding for one raw body, including a body that does not decode."""
    try:
        text, used = decode(body, charset)
    except ParseError as exc:
        return [_parse_finding(exc.located(call=call, fmt=fmt), call, fmt)]
    found = check_text(text, call=call, fmt=fmt, server_tz=server_tz, charset=used)
    if body.startswith(b"\xef\xbb\xbf"):
        found.append(Finding(call, fmt, "", "the body starts with a UTF-8 byte order mark, "
                             "which the server does not write", "info", "byte-order-mark",
                             line=1, col=1))
    return found


# -- the four formats of a case ----------------------------------------------------------------


def _comparable(reply: Reply, fmt: int) -> Any:
    if isinstance(reply, ApiError):
        return {"error": {"code": reply.code}}
    return to_canonical(reply)


def first_mismatch(a: Any, b: Any, path: str = "$") -> tuple[str, Any, Any] | None:
    """The first path where two canonical JSON values differ, with both values there."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(dict.fromkeys([*a, *b])):
            found = first_mismatch(a.get(key), b.get(key), f"{path}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_mismatch(x, y, f"{path}[{i}]")
            if found is not None:
                return found
        if len(a) != len(b):
            return path, f"{len(a)} items", f"{len(b)} items"
        return None
    return None if a == b else (path, a, b)


def parse_all(call: str, bodies: Mapping[int, tuple[bytes, str | None]],
              server_tz: tzinfo = MOSCOW) -> dict[int, Reply]:
    """The formats of a case that parse, with their values (the others left out)."""
    out: dict[int, Reply] = {}
    for fmt, (body, charset) in sorted(bodies.items()):
        try:
            out[fmt] = parse(body, call=call, fmt=fmt, charset=charset, server_tz=server_tz)
        except ParseError:
            continue
    return out


def reference_format(parsed: Mapping[int, Reply]) -> int | None:
    """The format other formats are compared with: JSON first, then XML, text, CSV."""
    return next((f for f in (3, 2, 0, 1) if f in parsed), None)


def check_case(call: str, bodies: Mapping[int, tuple[bytes, str | None]], *,
               server_tz: tzinfo = MOSCOW) -> list[Finding]:
    """Whether the formats of one case parse to the same value (fmt=1 error text aside).

    The value most formats agree on is the reference (JSON, then XML, text, CSV break ties),
    so the one format that strays is the one reported.
    """
    parsed = parse_all(call, bodies, server_tz)
    values = {fmt: _comparable(reply, fmt) for fmt, reply in parsed.items()}
    votes = {fmt: sum(1 for other in values.values() if other == value)
             for fmt, value in values.items()}
    if not votes:
        return []
    order = (3, 2, 0, 1)
    ref = max(votes, key=lambda f: (votes[f], -order.index(f)))
    want = values[ref]
    out = []
    for fmt, got in sorted(values.items()):
        found = first_mismatch(want, got)
        if found is None:
            continue
        path, a, b = found
        out.append(Finding(call, fmt, path, f"fmt={fmt} says {_show(b)} at {path} where "
                           f"fmt={ref} says {_show(a)}", "breaking", "cross-format",
                           old=_show(a), new=_show(b)))
    return out


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
