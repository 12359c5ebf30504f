"""Structural signatures of recorded bodies, and what changed between two recordings.

``smsc-formats drift`` re-records each stored case and calls :func:`compare` with the stored
bodies and the new ones. Only the *structure* is compared: which keys, elements and columns a
record has and in which order, the JSON type of each value, the shape of values (date format,
decimal scale, id and phone patterns), the fmt=2 root and record elements, error codes, and
whether the body parses and the four formats agree. Values themselves (dates, counters,
balances, texts, list lengths) change from one recording to the next and are never drift.

A value shape counts as changed only when none of the new values has a shape any old value
had, so a seed or a day that happens to give other values is not drift.

Each kind of finding has one severity, from :data:`smsc_formats.checks.conformance.SEVERITY` (the
table ``check`` uses too):

=========================  =========  ==========================================================
kind                       severity   meaning
=========================  =========  ==========================================================
``unparseable``            breaking   the body no longer parses (the ParseError says where)
``field-removed``          breaking   a documented key, element or attribute is gone
``field-renamed``          breaking   a key is gone and another stands in its place
``json-type-changed``      breaking   a fmt=3 value changed JSON type (``id: number -> string``),
                                      or the top-level type changed
``date-format``            breaking   the dates are written in another format
``id-pattern``             breaking   ids, codes or phones have another pattern (digits -> letters)
``money-format``           breaking   money is no longer written as a decimal number
``csv-columns``            breaking   fmt=1 records have another number of columns (names it)
``xml-root``               breaking   the fmt=2 root element changed
``xml-element``            breaking   the fmt=2 element holding a record changed
``new-error-code``         breaking   an error code the page does not document for the call
``error-instead-of-data``  breaking   an error where data was
``cross-format``           breaking   the formats of the case no longer parse to the same value
``order-changed``          breaking   keys or columns in another order in fmt=0/1 (read by
                                      position)
``json-type-mixed``        warning    a fmt=3 value sometimes has another JSON type
``error-changed``          warning    another documented error, or data where an error was
``key-order-changed``      warning    keys in another order in fmt=2/3 (read by name)
``decimal-scale``          warning    money written with another number of decimal places
``value-shape``            warning    any other value shape changed (e.g. the tz offset)
``field-added``            warning    an undocumented key, element or attribute appeared
``optional-field-added``   info       a documented optional field (such as ``err``) appeared
``optional-field-removed`` info       a documented optional field is gone
=========================  =========  ==========================================================

Sans-I/O: bodies in, findings out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from ..api import call_spec, emit, parse
from ..charset import decode
from ..errors import EmitError, ParseError
from ..model import ApiError
from ..spec import FORMATS, Field, Form, Kind, RecordSpec, Slot
from ..values import MOSCOW, SHAPES
from .conformance import Finding, check_case, parse_all, reference_format, severity_of
from .wire import RawRecord, View, expected, view

Bodies = Mapping[int, tuple[bytes, str | None]]
"""A case's bodies by fmt, each with the charset the request asked for (None: detect)."""


@dataclass(frozen=True, slots=True)
class GroupSignature:
    """The structure of every record of one group (``$[]``, ``$``, ``$.zones[]``)."""

    keys: tuple[str, ...]
    """Every key written, in first-seen order."""
    types: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """fmt=3: the JSON types each key was written with."""
    shapes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Per key, each value shape seen with one example value."""
    columns: Mapping[int, str] = field(default_factory=dict)
    """fmt=1: each column count seen, with where the record first differs from the others."""
    tag: str | None = None
    """fmt=2: the element that holds these records."""
    records: int = 0
    templates: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """fmt=1: per non-text column, the character-class templates of its values (``9.9.9``),
    so two columns that swapped places can be told from two that changed shape."""


@dataclass(frozen=True, slots=True)
class Signature:
    """The structure of one body."""

    call: str
    fmt: int
    problem: str | None = None
    """Why the body does not parse, with its position; None when it parses."""
    line: int | None = None
    col: int | None = None
    error_code: int | None = None
    root: str | None = None
    groups: Mapping[str, GroupSignature] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CaseSignature:
    """The structure of every format of one case, and which formats disagree with the rest."""

    call: str
    formats: Mapping[int, Signature]
    disagreements: Mapping[int, str] = field(default_factory=dict)


# -- value shapes ------------------------------------------------------------------------------

_DOCUMENTED_DATE = "99.99.9999 99:99:99"


def _template(raw: str) -> str:
    def word(m: re.Match[str]) -> str:
        text = m.group()
        return "9" if text.isdigit() else "a" if text.isalpha() else "x"

    return re.sub(r"[^\W_]+", word, raw)


def shape_of(kind: Kind, form: Form, raw: str) -> str | None:
    """The shape of one raw value in plain words; None for values whose shape is free text."""
    if raw == "":
        return "empty"
    if kind is Kind.INSTANT:
        if form is Form.TIMESTAMP or re.fullmatch(r"-?[0-9]+", raw):
            digits = raw.lstrip("-")
            if not digits.isdigit():
                return f"like {_template(raw)}"
            return "Unix seconds" if len(digits) <= 11 else "Unix milliseconds"
        shape = re.sub(r"[0-9]", "9", raw)
        return "DD.MM.YYYY hh:mm:ss" if shape == _DOCUMENTED_DATE else f"like {shape}"
    if kind is Kind.MONEY:
        m = re.fullmatch(r"-?[0-9]+(?:\.([0-9]+))?", raw)
        if m is None:
            return f"like {_template(raw)}"
        places = len(m.group(1) or "")
        return "an integer" if not places else f"{places} decimal place" + "s" * (places > 1)
    if kind is Kind.INT:
        return "digits" if re.fullmatch(r"-?[0-9]+", raw) else f"like {_template(raw)}"
    if kind is Kind.TZ:
        return "hours" if re.fullmatch(r"[+-]?[0-9]{1,2}", raw) else f"like {_template(raw)}"
    if kind is Kind.CODE:
        if re.fullmatch(r"[0-9]+", raw):
            return "digits"
        if re.fullmatch(r"\+[0-9]+", raw):
            return "+digits"
        return None
    return None


_SHAPE_KIND = {Kind.INSTANT: ("date-format", "breaking"),
               Kind.MONEY: ("decimal-scale", "warning"),
               Kind.INT: ("id-pattern", "breaking"),
               Kind.CODE: ("id-pattern", "breaking"),
               Kind.TZ: ("value-shape", "warning")}


# -- signatures --------------------------------------------------------------------------------


def _slots(v: View, group: str) -> Mapping[str, tuple[Slot, Field]]:
    if v.error is not None:
        return {}
    exp = expected(call_spec(v.call), v.fmt).get(group)
    return {} if exp is None else exp.slots


def _group(v: View, group: str, records: list[RawRecord],
           columns: Mapping[int, str]) -> GroupSignature:
    keys: dict[str, None] = {}
    types: dict[str, set[str]] = {}
    shapes: dict[str, dict[str, str]] = {}
    slots = _slots(v, group)
    for record in records:
        for item in record.items:
            keys.setdefault(item.key)
            if item.json is not None:
                types.setdefault(item.key, set()).add(item.json)
            known = slots.get(item.key)
            if known is None or item.raw is None:
                continue
            slot, f = known
            form = slot.form if f.kind is Kind.INSTANT else Form.VALUE
            shape = shape_of(f.kind, form, item.raw)
            if shape is not None:
                shapes.setdefault(item.key, {}).setdefault(shape, item.raw)
    templates: dict[str, set[str]] = {}
    if v.fmt == 1:
        for record in records:
            for item in record.items:
                known = slots.get(item.key)
                free = record.spec.free_text if record.spec else None
                if known is not None and known[1].name != free and item.raw:
                    templates.setdefault(item.key, set()).add(_template(item.raw))
    tags = {r.tag for r in records if r.tag}
    return GroupSignature(tuple(keys), {k: frozenset(t) for k, t in types.items()}, shapes,
                          columns, tags.pop() if len(tags) == 1 else None, len(records),
                          {k: frozenset(t) for k, t in templates.items()})


def signature(v: View, problem: ParseError | None = None,
              columns: Mapping[str, Mapping[int, str]] | None = None) -> Signature:
    """The signature of one body's view (``problem``: why ``parse`` refused it)."""
    problem = problem or v.problem
    text = None if problem is None else _problem_text(problem)
    line = None if problem is None else problem.line
    col = None if problem is None else problem.col
    by_group: dict[str, list[RawRecord]] = {}
    unknown = problem is not None and not any(_recognisable(r, v.fmt) for r in v.records)
    for record in [] if unknown else v.records:
        by_group.setdefault(record.group, []).append(record)
    groups = {g: _group(v, g, rs, (columns or {}).get(g, {})) for g, rs in by_group.items()}
    return Signature(v.call, v.fmt, text, line, col,
                     None if v.error is None else v.error.code, v.root, groups)


def _recognisable(record: RawRecord, fmt: int) -> bool:
    """Whether a record of a body that does not parse still looks like a documented one."""
    if not record.guessed or fmt not in (0, 1):
        return True
    if record.spec is None:
        return False
    layout = record.spec.layouts[fmt]
    if fmt == 1:
        return abs((record.columns or 0) - len(layout)) <= 1 or any(
            item.raw and _documented_shape(record.spec, slot, item.raw)
            for slot, item in zip(layout, record.items, strict=False))
    wires = {s.wire for s in layout}
    return any(item.key in wires for item in record.items)


def _documented_shape(spec: RecordSpec, slot: Slot, raw: str) -> bool:
    f = spec.field(slot.field)
    if f.kind in (Kind.TEXT, Kind.CODE):
        return False
    form = slot.form if f.kind is Kind.INSTANT else Form.VALUE
    return re.fullmatch(SHAPES[(f.kind, form)], raw) is not None


def _problem_text(exc: ParseError) -> str:
    where = []
    if exc.line is not None:
        where.append(f"line {exc.line}" + (f", column {exc.col}" if exc.col else ""))
    if exc.path:
        where.append(exc.path)
    return (", ".join(where) + ": " if where else "") + exc.msg


def _csv_names(record: RawRecord) -> list[str]:
    """The documented column standing at each comma-separated position of a record."""
    spec = record.spec
    if spec is None:
        return []
    wires = [s.wire for s in spec.layouts[1]]
    free = next((i for i, s in enumerate(spec.layouts[1]) if s.field == spec.free_text), None)
    extra = max(0, (record.columns or 0) - len(wires))
    if free is None:
        return wires
    return [*wires[:free], *[wires[free]] * (extra + 1), *wires[free + 1:]]


def _csv_columns(actual: View, reference: Any, tz: tzinfo) -> dict[str, dict[int, str]]:
    """fmt=1 column counts per group, exact when another format of the case gives the values.

    With the values from another format, the free text's own commas are known, so an added
    or removed column is counted, and the first column that differs from what the other
    formats say is named.
    """
    wanted: dict[str, list[RawRecord]] = {}
    if reference is not None and not isinstance(reference, ApiError):
        try:
            text = emit(reference, call=actual.call, fmt=1, server_tz=tz).decode("utf-8")
        except EmitError:
            text = None
        if text is not None:
            for record in view(text, call=actual.call, fmt=1).records:
                wanted.setdefault(record.group, []).append(record)
    out: dict[str, dict[int, str]] = {}
    seen: dict[str, int] = {}
    for record in actual.records:
        if record.columns is None or record.spec is None:
            continue
        index = seen.get(record.group, 0)
        seen[record.group] = index + 1
        width = len(record.spec.layouts[1])
        others = wanted.get(record.group) or (
            next(iter(wanted.values())) if len(wanted) == 1 else [])
        if index < len(others) and others[index].columns is not None \
                and others[index].spec is not None:
            want = others[index]
            assert want.columns is not None
            assert want.spec is not None
            count = record.columns - (want.columns - len(want.spec.layouts[1]))
            note = _first_column(record.text or "", want)
        else:
            free = record.spec.free_text is not None
            count = min(record.columns, width) if free else record.columns
            note = ""
        out.setdefault(record.group, {}).setdefault(count, note)
    return out


def _first_column(text: str, want: RawRecord) -> str:
    """Where a fmt=1 record first differs from the same record written as documented."""
    got, exp = text.split(","), (want.text or "").split(",")
    names = _csv_names(want)
    wires = [s.wire for s in want.spec.layouts[1]] if want.spec else names

    def number(name: str) -> int:
        return wires.index(name) + 1 if name in wires else len(wires) + 1

    for i, (a, b) in enumerate(zip(got, exp, strict=False)):
        if a != b:
            name = names[i] if i < len(names) else ""
            return (f"first difference at column {number(name)} ('{name}')" if name
                    else f"first difference after column {len(wires)}")
    if len(got) > len(exp):
        last = wires[-1] if wires else "the last column"
        return f"column {len(wires) + 1} added after '{last}'"
    if len(got) < len(exp):
        name = names[len(got)] if len(got) < len(names) else wires[-1]
        return f"column '{name}' (column {number(name)}) and the ones after it are missing"
    return ""


def case_signature(call: str, bodies: Bodies, *, server_tz: tzinfo = MOSCOW) -> CaseSignature:
    """The signature of every format of a case, and where the formats disagree."""
    call_spec(call)
    parsed = parse_all(call, bodies, server_tz)
    others = {f: r for f, r in parsed.items() if f != 1}
    ref = reference_format(others)
    formats: dict[int, Signature] = {}
    for fmt, (body, charset) in sorted(bodies.items()):
        try:
            text, _ = decode(body, charset)
        except ParseError as exc:
            formats[fmt] = Signature(call, fmt, _problem_text(exc), exc.line, exc.col)
            continue
        problem: ParseError | None = None
        if fmt not in parsed:
            try:
                parse(text, call=call, fmt=fmt, server_tz=server_tz)
            except ParseError as exc:
                problem = exc
        v = view(text, call=call, fmt=fmt)
        columns = None
        if fmt == 1 and v.problem is None:
            columns = _csv_columns(v, None if ref is None else others[ref], server_tz)
        formats[fmt] = signature(v, problem, columns)
    disagreements = {f.fmt: f.message for f in check_case(call, bodies, server_tz=server_tz)
                     if f.fmt is not None}
    return CaseSignature(call, formats, disagreements)


# -- comparison --------------------------------------------------------------------------------


def _neighbours(key: str, keys: tuple[str, ...], common: set[str]) -> tuple[str | None, ...]:
    i = keys.index(key)
    before = next((k for k in reversed(keys[:i]) if k in common), None)
    after = next((k for k in keys[i + 1:] if k in common), None)
    return before, after


def _what(fmt: int, key: str) -> str:
    if fmt == 2:
        if key.startswith("@"):
            return f"attribute {key[1:]!r}"
        return "element text" if key == "#text" else f"element <{key}>"
    return f"key {key!r}" if fmt in (0, 3) else f"column {key!r}"


class _Diff:
    """Collects the findings of one (case, fmt) comparison."""

    def __init__(self, call: str, fmt: int | None) -> None:
        self.call, self.fmt = call, fmt
        self.found: list[Finding] = []

    def add(self, path: str, kind: str, severity: str, message: str, old: Any = None,
            new: Any = None) -> None:
        self.found.append(Finding(self.call, self.fmt, path, message, severity, kind,
                                  old=None if old is None else str(old),
                                  new=None if new is None else str(new)))


def _compare_keys(d: _Diff, fmt: int, group: str, old: GroupSignature, new: GroupSignature,
                  optional: frozenset[str]) -> None:
    common = set(old.keys) & set(new.keys)
    removed = [k for k in old.keys if k not in common]
    added = [k for k in new.keys if k not in common]
    pairs: list[tuple[str, str]] = []
    for r in removed:
        for a in added:
            if a not in {p[1] for p in pairs} and \
                    _neighbours(r, old.keys, common) == _neighbours(a, new.keys, common):
                pairs.append((r, a))
                break
    if not pairs and len(removed) == len(added) == 1:
        pairs = [(removed[0], added[0])]
    for r, a in pairs:
        d.add(f"{group}.{a}", "field-renamed", "breaking",
              f"{_what(fmt, r)} renamed to {_what(fmt, a)}", r, a)
    for r in removed:
        if r in {p[0] for p in pairs}:
            continue
        kind = "optional-field-removed" if r in optional else "field-removed"
        d.add(f"{group}.{r}", kind, severity_of(kind), f"{_what(fmt, r)} removed", r, None)
    for a in added:
        if a in {p[1] for p in pairs}:
            continue
        kind = "optional-field-added" if a in optional else "field-added"
        d.add(f"{group}.{a}", kind, severity_of(kind), f"{_what(fmt, a)} added", None, a)
    ordered_old = [k for k in old.keys if k in common and not k.startswith(("@", "#"))]
    ordered_new = [k for k in new.keys if k in common and not k.startswith(("@", "#"))]
    if ordered_old != ordered_new:
        i = next(i for i, (a, b) in enumerate(zip(ordered_old, ordered_new, strict=True))
                 if a != b)
        moved = ordered_new[i]
        kind = "order-changed" if fmt in (0, 1) else "key-order-changed"
        d.add(f"{group}.{moved}", kind, severity_of(kind),
              f"order changed: {_what(fmt, moved)} now comes before "
              f"{_what(fmt, ordered_old[i])}", ", ".join(ordered_old), ", ".join(ordered_new))


def _types(types: frozenset[str]) -> str:
    return " or ".join(sorted(types))


def _compare_group(d: _Diff, fmt: int, group: str, old: GroupSignature, new: GroupSignature,
                   slots: Mapping[str, tuple[Slot, Field]], optional: frozenset[str]) -> None:
    if fmt == 2 and old.tag and new.tag and old.tag != new.tag and group != "$":
        d.add(group, "xml-element", "breaking",
              f"record element <{old.tag}> -> <{new.tag}>", old.tag, new.tag)
    if fmt == 1:
        if _compare_columns(d, group, old, new):
            return  # the values stand in other columns now; their shapes say nothing more
    else:
        _compare_keys(d, fmt, group, old, new, optional)
    for key, was in old.types.items():
        now = new.types.get(key)
        if now is None or now == was or now <= was:
            continue
        name = key
        kind = "json-type-changed" if not now & was else "json-type-mixed"
        d.add(f"{group}.{key}", kind, severity_of(kind),
              f"{name}: {_types(was)} -> {_types(now)}", _types(was), _types(now))
    swapped = _swapped_columns(d, group, old, new) if fmt == 1 else set()
    for key, was_shapes in old.shapes.items():
        now_shapes = new.shapes.get(key)
        if not now_shapes or key in swapped:
            continue
        a = {s for s in was_shapes if s != "empty"}
        b = {s for s in now_shapes if s != "empty"}
        if not a or not b or a & b:
            continue
        known = slots.get(key)
        kind, severity = _SHAPE_KIND.get(known[1].kind if known else Kind.TEXT,
                                         ("value-shape", "warning"))
        if kind == "decimal-scale" and all(x.startswith("like ") for x in b):
            kind, severity = "money-format", "breaking"
        what = {"date-format": "date format", "decimal-scale": "decimal scale",
                "id-pattern": "pattern"}.get(kind, "shape")
        old_ex = ", ".join(f"{s} ({was_shapes[s]!r})" for s in sorted(a))
        new_ex = ", ".join(f"{s} ({now_shapes[s]!r})" for s in sorted(b))
        d.add(f"{group}.{key}", kind, severity, f"{key}: {what} changed: {old_ex} -> {new_ex}",
              ", ".join(sorted(a)), ", ".join(sorted(b)))


def _swapped_columns(d: _Diff, group: str, old: GroupSignature,
                     new: GroupSignature) -> set[str]:
    """fmt=1 columns whose values now stand in each other's place (reported once)."""
    found: set[str] = set()
    keys = [k for k in old.keys if k in old.templates and k in new.templates]
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            if a in found or b in found or old.templates[a] == old.templates[b]:
                continue
            if new.templates[a] == old.templates[b] and new.templates[b] == old.templates[a]:
                found |= {a, b}
                d.add(f"{group}.{b}", "order-changed", "breaking",
                      f"order changed: columns '{a}' and '{b}' swapped places",
                      f"{a}, {b}", f"{b}, {a}")
    return found


def _compare_columns(d: _Diff, group: str, old: GroupSignature, new: GroupSignature) -> bool:
    if not old.columns or not new.columns:
        return False
    fresh = sorted(set(new.columns) - set(old.columns))
    if not fresh:
        return False
    was = "/".join(str(c) for c in sorted(old.columns))
    count = fresh[0]
    note = new.columns[count]
    d.add(group, "csv-columns", "breaking",
          f"fmt=1 records have {count} columns, were {was}" + (f": {note}" if note else ""),
          was, count)
    return True


def compare_signatures(old: Signature, new: Signature) -> list[Finding]:
    """What changed in the structure of one format of one case."""
    d = _Diff(new.call, new.fmt)
    if new.problem is not None and old.problem is None:
        d.add("", "unparseable", "breaking", f"no longer parses: {new.problem}", "parses",
              new.problem)
        d.found[-1] = d.found[-1].at(line=new.line, col=new.col)
    spec = call_spec(new.call)
    if new.error_code is not None and new.error_code not in spec.error_codes \
            and old.error_code != new.error_code:
        codes = ", ".join(str(c) for c in sorted(spec.error_codes))
        d.add("$.error_code", "new-error-code", "breaking",
              f"error code {new.error_code}, which the page does not document for "
              f"{new.call} (documented: {codes})", old.error_code, new.error_code)
        return d.found
    if old.error_code != new.error_code:
        if old.error_code is None:
            d.add("$", "error-instead-of-data", "breaking",
                  f"answers error {new.error_code} where it answered data", "data",
                  f"error {new.error_code}")
        elif new.error_code is None:
            if new.problem is None:
                d.add("$", "error-changed", "warning",
                      f"answers data where it answered error {old.error_code}",
                      f"error {old.error_code}", "data")
        else:
            d.add("$.error_code", "error-changed", "warning",
                  f"answers error {new.error_code} where it answered error {old.error_code}",
                  old.error_code, new.error_code)
        return d.found
    if old.root and new.root and old.root != new.root:
        if new.fmt == 2:
            d.add("$", "xml-root", "breaking", f"root element <{old.root}> -> <{new.root}>",
                  old.root, new.root)
        else:
            d.add("$", "json-type-changed", "breaking", f"$: {old.root} -> {new.root}", old.root,
                  new.root)
    if new.problem is not None and old.root != new.root:
        return d.found  # another document altogether: its insides say nothing more
    groups = expected(spec, new.fmt) if new.error_code is None else {}
    pairs = {g: g for g in old.groups if g in new.groups}
    if not pairs and len(old.groups) == len(new.groups) == 1:
        pairs = {next(iter(old.groups)): next(iter(new.groups))}
    for group, was in old.groups.items():
        if group not in pairs:
            continue
        now = new.groups[pairs[group]]
        exp = groups.get(group)
        _compare_group(d, new.fmt, group, was, now, exp.slots if exp else {},
                       exp.optional if exp else frozenset())
    return d.found


def compare_cases(old: CaseSignature, new: CaseSignature) -> list[Finding]:
    """What changed between two signatures of one case, format by format."""
    out: list[Finding] = []
    for fmt in FORMATS:
        if fmt in old.formats and fmt in new.formats:
            out += compare_signatures(old.formats[fmt], new.formats[fmt])
        elif fmt in old.formats:
            out.append(Finding(old.call, fmt, "", f"fmt={fmt} is no longer answered",
                               "breaking", "unparseable"))
    for fmt, message in sorted(new.disagreements.items()):
        if fmt in old.disagreements:
            continue
        out.append(Finding(new.call, fmt, "", f"the formats no longer agree: {message}",
                           "breaking", "cross-format"))
    return out


def compare(call: str, old_bodies: Bodies, new_bodies: Bodies, *,
            server_tz: tzinfo = MOSCOW) -> list[Finding]:
    """Drift findings between the stored bodies of a case and newly recorded ones."""
    return compare_cases(case_signature(call, old_bodies, server_tz=server_tz),
                         case_signature(call, new_bodies, server_tz=server_tz))
