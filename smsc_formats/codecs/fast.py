"""Specialised record readers and writers, generated from a plan with ``compile``.

The plan-driven code in each codec is the reference: it reads one slot at a time and says
exactly where a value is wrong. For the common case (every value well formed) that costs a
Python call per field, so this module writes, once per (record, format, timezone), one
straight-line function per plan that:

* checks every typed value of a record with **one** compiled pattern (the values joined by
  ``\\x00``, which no shape admits);
* converts inline: ``int``, ``Decimal``, instants as a cached midnight plus cached minute and
  second offsets (every cached part checked once), timestamps as the epoch plus seconds;
* builds the model by filling its private slots base and then giving it its public class
  (see :func:`smsc_formats.model.record`), instead of the dataclass ``__init__``.

A generated reader returns ``None`` whenever anything is unusual (a value of the wrong shape
or JSON type, a missing field, a duplicated element, a date out of range); the caller then
runs the reference code on that record, which either reads it or raises the precise
``ParseError``. A generated writer likewise returns ``None`` and leaves errors to the
reference writer. So the fast paths never change what is accepted, produced or reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import cache
from json.encoder import encode_basestring
from operator import attrgetter
from typing import Any, NamedTuple

import msgspec

from ..model import SLOTS
from ..spec import Form, JsonType, Kind, Place
from ..values import MAX_DIGITS, SHAPES, TIMESTAMP_RANGE
from .plan import RecordPlan, SlotPlan

ABSENT: Any = object()
_MONEY_TEXT = MAX_DIGITS
"""The longest money text the generated writers write: the reference refuses
``MAX_DIGITS`` digits or more on either side of the point, and writes the rest as they do
(a longer text in range is left to it too)."""
_DAY_CACHE_LIMIT = 4096
_CATCH = "(ValueError, ArithmeticError, OSError, TypeError, KeyError, AttributeError)"

Reader = Callable[[Any], Any]
Writer = Callable[[Any], "str | None"]


def declined(value: Any) -> None:
    """The reader or writer of a plan without a fast path: always leaves it to the reference."""


def _form(sp: SlotPlan) -> Form:
    return sp.slot.form if sp.field.kind is Kind.INSTANT else Form.VALUE


def _typed(sp: SlotPlan) -> bool:
    return sp.field.kind not in (Kind.TEXT, Kind.CODE)


def _day_cache(tz: tzinfo) -> dict[str, Any]:
    """Caches of checked days and minutes (their start in ``tz``), for instants of this ``tz``.

    An instant ``DD.MM.YYYY hh:mm:ss`` is then ``start of its minute + seconds``: wall-clock
    arithmetic, which is exactly ``datetime(y, m, d, hh, mm, ss, tzinfo=tz)`` for any ``tz``
    and far cheaper than building it. Only keys that were checked against their shape and
    the calendar enter a cache (``" hh:mm"`` and ``":ss"`` are looked up in tables of the
    valid ones, so anything else raises ``KeyError`` and the reference code decides).
    Timestamps, for a fixed-offset ``tz``, are likewise the start of their minute (the
    epoch plus whole minutes, cached) plus their second.
    """
    days: dict[str, datetime] = {}
    minutes: dict[str, datetime] = {}
    stamps: dict[int, datetime] = {}
    epoch = datetime.fromtimestamp(0, tz) if isinstance(tz, timezone) else None

    def day(text: str) -> datetime:
        if _DAY.fullmatch(text, 0, 10) is None:
            raise ValueError(text)
        # raises ValueError for 31.02 and the like
        value = datetime(int(text[6:10]), int(text[3:5]), int(text[0:2]), tzinfo=tz)
        if len(days) >= _DAY_CACHE_LIMIT:
            days.clear()
        days[text[:10]] = value
        return value

    def minute(text: str) -> datetime:  # "DD.MM.YYYY hh:mm"
        value = (days.get(text[:10]) or day(text)) + _MINUTE_OFFSETS[text[10:16]]
        if len(minutes) >= _MINUTE_CACHE_LIMIT:
            minutes.clear()
        minutes[text[:16]] = value
        return value

    def stamp(seconds: int) -> datetime:  # the minute of a timestamp, as seconds // 60
        assert epoch is not None
        if not _FIRST_MINUTE <= seconds // 60 <= _LAST_MINUTE:
            # fromtimestamp (the reference) needs the UTC instant in years 1-9999 whatever
            # the offset adds; both ends are whole minutes, so the check is exact
            raise OverflowError(seconds)
        value = epoch + timedelta(0, seconds // 60 * 60)
        if len(stamps) >= _MINUTE_CACHE_LIMIT:
            stamps.clear()
        stamps[seconds // 60] = value
        return value

    return {"_days": days, "_day": day, "_minutes": minutes, "_minute": minute,
            "_seconds": _SECOND_OFFSETS, "_stamps": stamps, "_stamp": stamp,
            "_steps": _SECOND_STEPS, "_epoch": epoch}


_INTEGER = SHAPES[(Kind.INT, Form.VALUE)]
_DAY = re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{4}")
_FIRST_MINUTE, _LAST_MINUTE = (int(t.timestamp()) // 60 for t in TIMESTAMP_RANGE)
"""The minutes of 0001-01-01T00:00Z and 9999-12-31T23:59Z, as Unix time // 60."""
_MINUTE_CACHE_LIMIT = 16384
"""Entries of a minutes cache (a week of minutes is 10,080); it is emptied when full."""
_MINUTE_OFFSETS = {f" {h:02d}:{m:02d}": timedelta(hours=h, minutes=m)
                   for h in range(24) for m in range(60)}
"""``" hh:mm"`` of each minute of a day, to its offset from midnight."""
_SECOND_OFFSETS = {f":{s:02d}": timedelta(seconds=s) for s in range(60)}
"""``":ss"`` of each second of a minute, to its offset."""
_SECOND_STEPS = tuple(timedelta(seconds=s) for s in range(60))


class _Source:
    """Code lines that run before a generated reader's conversions, and how to fetch a slot."""

    def __init__(self, head: list[str], fetch: Callable[[int, SlotPlan, bool], str],
                 strings: bool = True, typed: frozenset[int] = frozenset()) -> None:
        self.head = head
        self.fetch = fetch
        """The expression for slot k; when required, a missing value may raise KeyError."""
        self.strings = strings
        """Whether every fetched value is a ``str`` or ``None`` (absent); else JSON values."""
        self.typed = typed
        """The slots whose JSON type (``int`` or ``str``, as the slot says) is already
        checked by the tokenizer (see :func:`json_records`)."""


def _reader(plan: RecordPlan, tz: tzinfo, arg: str, source: _Source,
            namespace: dict[str, Any]) -> Reader:
    caches = _day_cache(tz)
    model = plan.model
    base = SLOTS.get(model)  # type: ignore[call-overload]
    if base is None:
        return declined
    ns: dict[str, Any] = {"_new": object.__new__, "_base": base, "_model": model, "_D": Decimal,
                          "_dt": datetime, "_fromts": datetime.fromtimestamp, "_tz": tz,
                          "_td": timedelta,
                          "_A": ABSENT, **caches, **namespace}
    count: dict[int, int] = {}
    for sp in plan.slots:
        count[sp.index] = count.get(sp.index, 0) + 1
    # a "simple" slot is the only slot of a required field: fetched directly, no absent logic
    simple = [count[sp.index] == 1 and not sp.field.optional for sp in plan.slots]
    fetched = [source.fetch(k, sp, simple[k]) for k, sp in enumerate(plan.slots)]
    if fetched == [f"g[{k}]" for k in range(len(fetched))]:  # one unpacking, not n subscripts
        body = [", ".join(f"r{k}" for k in range(len(fetched))) + ", = g"]
    else:
        body = [f"r{k} = {fetch}" for k, fetch in enumerate(fetched)]
    types: list[str] = []
    checks: list[str] = []
    shapes: list[str] = []
    digits: list[str] = []  # integer-shaped values that are all converted with int()
    number = [not source.strings and sp.slot.json is JsonType.NUMBER and _typed(sp)
              for sp in plan.slots]
    for k, sp in enumerate(plan.slots):
        r = f"r{k}"
        if not simple[k]:
            if source.strings:
                body.append(f"if not {r}: {r} = _A" if sp.field.optional
                            else f"if {r} is None: {r} = _A")
            elif sp.field.optional:
                body.append(f"if {r} is None or {r} == '': {r} = _A")
        if not source.strings and k not in source.typed:
            # JSON type checks (fmt=3): an unexpected JSON type goes to the reference path
            if number[k] and sp.field.kind is Kind.MONEY:
                types.append(f"{r} is not _A")
                continue
            bad = f"type({r}) is not {'int' if number[k] else 'str'}"
            if number[k] and sp.field.kind is Kind.TZ:
                bad = f"({bad} or not -99 <= {r} <= 99)"
            types.append(bad if simple[k] else f"({r} is not _A and {bad})")
        if sp.field.kind is Kind.INSTANT and _form(sp) is Form.DATE:
            continue  # checked part by part against the caches of checked parts, see below
        if _typed(sp) and not number[k]:
            shape = SHAPES[(sp.field.kind, _form(sp))]
            text = r if simple[k] else f"('' if {r} is _A else {r})"
            if shape == _INTEGER and sp.primary:
                digits.append(text)  # int() then checks each one's structure, see below
                continue
            checks.append(text)
            shapes.append(f"(?:{shape})?")
    if types:
        body.append(f"if {' or '.join(types)}: return None")
    if digits:
        # int() accepts exactly -?[0-9]+ once spaces, "+", "_" and non-ASCII digits are
        # ruled out, which one test on the values joined does for all of them at once
        body.append("_j = " + (digits[0] if len(digits) == 1
                               else "''.join((" + ", ".join(digits) + ",))"))
        body.append("if _j and not (_j.isascii() and _j.replace('-', '').isdigit()): "
                    "return None")
    if len(checks) == 1:
        ns["_valid"] = re.compile(shapes[0], re.DOTALL).fullmatch
        body.append(f"if _valid({checks[0]}) is None: return None")
    elif checks:
        ns["_valid"] = re.compile("\x00".join(shapes), re.DOTALL).fullmatch
        body.append("if _valid('\\x00'.join((" + ", ".join(checks) + ",))) is None: "
                    "return None")
    # conversions, in slot order, with the reference code's precedence of primary slots
    value = [f"v{i}" for i in range(len(plan.spec.fields))]
    for i in range(len(plan.spec.fields)):
        if count.get(i, 0) != 1 or any(not simple[k] for k, sp in enumerate(plan.slots)
                                          if sp.index == i):
            body.append(f"v{i} = _A")
    for k, sp in enumerate(plan.slots):
        r = f"r{k}"
        kind, form = sp.field.kind, _form(sp)
        if kind in (Kind.TEXT, Kind.CODE) or (number[k] and kind in (Kind.INT, Kind.TZ)):
            expr = r
        elif kind in (Kind.INT, Kind.TZ):
            expr = f"int({r})"
        elif kind is Kind.MONEY:
            expr = f"_D({r})"
        elif form is Form.TIMESTAMP:
            seconds = r if number[k] else f"int({r})"
            # for a fixed offset, fromtimestamp is the epoch (in tz) plus the seconds
            expr = (f"(_stamps.get((t{k} := {seconds}) // 60) or _stamp(t{k})) + _steps[t{k} % 60]"
                    if caches["_epoch"] is not None else f"_fromts({seconds}, _tz)")
        else:  # the minute from a cache of checked minutes, the second from a table
            expr = f"(_minutes.get({r}[:16]) or _minute({r})) + _seconds[{r}[16:]]"
        if simple[k]:
            value[sp.index] = expr
            continue
        cond = f"{r} is not _A" + ("" if sp.primary else f" and v{sp.index} is _A")
        body.append(f"if {cond}: v{sp.index} = {expr}")
    for i, f in enumerate(plan.spec.fields):
        if value[i] == f"v{i}":
            body.append(f"if v{i} is _A: " + ("v{i} = None" if f.optional else "return None")
                        .format(i=i))
    body.append("o = _new(_base)")
    body += [f"o.{f.name} = {value[i]}" for i, f in enumerate(plan.spec.fields)]
    lines = [f"def read({arg}):", *[f"    {line}" for line in source.head], "    try:"]
    lines += [f"        {line}" for line in body]
    lines += [f"    except {_CATCH}:", "        return None"]
    lines += ["    o.__class__ = _model", "    return o"]
    return _compile(lines, ns, "read", plan)


def _compile(lines: list[str], ns: dict[str, Any], name: str,
             plan: RecordPlan) -> Callable[[Any], Any]:
    code = compile("\n".join(lines) + "\n", f"<fast {name} {plan.spec.name} fmt={plan.fmt}>",
                   "exec")
    exec(code, ns)  # noqa: S102 - the source is generated from the spec above, not from input
    function: Callable[[Any], Any] = ns[name]
    return function


# -- readers per format --------------------------------------------------------------------


@cache
def values_reader(plan: RecordPlan, tz: tzinfo) -> Reader:
    """For fmt=0/1: one record's raw values, one per slot in order (None: absent), as the
    line tokenizer (``line_tokens.split``) cuts them. Only converts: it reads no syntax."""
    return _reader(plan, tz, "g", _Source([], lambda k, sp, required: f"g[{k}]"), {})


@cache
def xml_reader(plan: RecordPlan, tz: tzinfo) -> Reader:
    """For fmt=2: one record as the tokenizer gives it (``xml_tokens.XmlRecord``): its
    ``fields`` (child tag to text), ``attrib`` and ``text``. Only converts: the tokenizer has
    checked the syntax (it leaves ``fields`` None where a record is not plain fields)."""

    def fetch(k: int, sp: SlotPlan, required: bool) -> str:
        if sp.slot.place is Place.CHILD:
            return f"d[{sp.slot.wire!r}]" if required else f"d.get({sp.slot.wire!r})"
        if sp.slot.place is Place.ATTRIBUTE:
            return f"a[{sp.slot.wire!r}]" if required else f"a.get({sp.slot.wire!r})"
        return "(r.element.text or '')"

    head = ["d = r.fields", "if d is None: return None"]
    if any(sp.slot.place is Place.ATTRIBUTE for sp in plan.slots):
        head.append("a = r.element.attrib")
    return _reader(plan, tz, "r", _Source(head, fetch), {})


@cache
def json_reader(plan: RecordPlan, tz: tzinfo) -> Reader:
    """For fmt=3: one decoded JSON object."""
    source = _Source(["if type(d) is not dict: return None"],
                     lambda k, sp, required: f"d[{sp.slot.wire!r}]" if required
                     else f"d.get({sp.slot.wire!r}, _A)", strings=False)
    return _reader(plan, tz, "d", source, {})


class JsonRecords(NamedTuple):
    """For fmt=3 lists: msgspec decodes a whole body straight into light records (a
    ``msgspec.Struct`` per record, a third faster than dicts), then ``read`` converts each.

    Every struct field is typed ``Any``, so ``decode`` fails only where the generic path
    must speak (no list, a missing required key, malformed JSON); an absent optional key is
    ``ABSENT``. Keys no slot reads are skipped by msgspec, and a repeated key keeps its last
    value, so the caller compares :meth:`members` with the body's count of keys.
    """

    decode: Callable[[str | bytes], list[Any]]
    read: Reader
    width: int
    optional: tuple[Callable[[Any], Any], ...]
    typed: frozenset[int]
    """The slots whose JSON type the decoder checks (as ``int`` or ``str``)."""

    def members(self, records: list[Any]) -> int:
        """How many keys the decoded records spelled (those with a slot, once each)."""
        absent = sum([list(map(get, records)).count(ABSENT) for get in self.optional])
        return self.width * len(records) - absent


@cache
def json_records(plan: RecordPlan, tz: tzinfo) -> JsonRecords | None:
    """The :class:`JsonRecords` of a plan, or None when its keys cannot be struct fields."""
    wires = [sp.slot.wire for sp in plan.slots]
    if len(set(wires)) != len(wires):
        return None
    count: dict[int, int] = {}
    for sp in plan.slots:
        count[sp.index] = count.get(sp.index, 0) + 1
    required = [count[sp.index] == 1 and not sp.field.optional for sp in plan.slots]
    # msgspec checks the JSON type of a required slot that must be an int or a str (a bool
    # is no int to it either); a mismatch fails decode, and the generic path decides
    typed = frozenset(k for k, sp in enumerate(plan.slots) if required[k]
                      and sp.field.kind not in (Kind.MONEY, Kind.TZ))
    fields: list[Any] = [
        (f"f{k}", (int if sp.slot.json is JsonType.NUMBER and _typed(sp) else str)
         if k in typed else Any) if required[k] else (f"f{k}", Any, ABSENT)
        for k, sp in enumerate(plan.slots)]
    struct = msgspec.defstruct(f"_{plan.spec.name}Json", fields, kw_only=True, gc=False,
                               rename={f"f{k}": wire for k, wire in enumerate(wires)})
    decode = msgspec.json.Decoder(list[struct], float_hook=Decimal).decode  # type: ignore[valid-type]
    source = _Source([], lambda k, sp, simple: f"d.f{k}", strings=False, typed=typed)
    read = _reader(plan, tz, "d", source, {})
    if read is declined:
        return None
    optional = tuple(attrgetter(f"f{k}") for k in range(len(wires)) if not required[k])
    return JsonRecords(decode, read, len(wires), optional, typed)


# -- writers ---------------------------------------------------------------------------------

# the same character classes as fmt2_xml's (which imports this module, so they are repeated)
_NOT_XML_CHAR = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_ATTRIBUTE_CHAR = re.compile("[^\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _day_strings() -> tuple[dict[Any, str], Callable[[datetime], str]]:
    """A cache from a day (a ``date``) to the wire's ``DD.MM.YYYY `` spelling."""
    days: dict[Any, str] = {}

    def day(moment: datetime) -> str:
        if len(days) >= _DAY_CACHE_LIMIT:
            days.clear()
        value = days[moment.date()] = f"{moment.day:02d}.{moment.month:02d}.{moment.year:04d} "
        return value

    return days, day


_HOURS_MINUTES = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
"""``hh:mm:`` for each minute of a day (1440 short strings)."""
_SECONDS = tuple(f"{s:02d}" for s in range(60))


def _writer(plan: RecordPlan, assemble: Callable[[list[str]], list[str] | None],
            escape: Callable[[SlotPlan, str], str] | None = None,
            extra: dict[str, Any] | None = None) -> Writer:
    """A generated writer: the checks of the reference writers, then the record's text.

    ``assemble`` gets, per slot, the name of the variable that holds its wire text (None for
    an optional slot whose value is None) and returns the statements that build and return
    the text (or None when the layout has no fast path).
    """
    if not plan.slots or plan.slots[0].field.optional:
        return declined
    days, day = _day_strings()
    ns: dict[str, Any] = {"_model": plan.model, "_D": Decimal, "_dt": datetime, "_tz": plan.tz,
                          "_days": days, "_day": day, "_hm": _HOURS_MINUTES, "_ss": _SECONDS,
                          "_second": timedelta(seconds=1), **(extra or {})}
    body = ["if type(o) is not _model: return None"]
    texts: list[str] = []
    fixed = isinstance(plan.tz, timezone)
    for k, sp in enumerate(plan.slots):
        v = f"x{k}"
        body.append(f"{v} = o.{sp.field.name}")
        kind, form = sp.field.kind, _form(sp)
        optional = sp.field.optional
        guard = f"{v} is not None and " if optional else ""
        if kind in (Kind.INT, Kind.TZ):
            body.append(f"if {guard}type({v}) is not int: return None")
            text = f"str({v})"
        elif kind is Kind.MONEY:
            body.append(f"if {guard}type({v}) is not _D: return None")
            body.append(f"s{k} = None if {v} is None else str({v})" if optional
                        else f"s{k} = str({v})")
            # exponents ('e' where the decimal context has capitals=0), NaN, Infinity and
            # long numbers (it refuses 100 digits or more) are left to the reference writer
            body.append(f"if s{k} is not None and ('E' in s{k} or 'e' in s{k} or 'a' in s{k}"
                        f" or 'n' in s{k} or len(s{k}) > {_MONEY_TEXT}): return None")
            text = f"s{k}"
        elif kind is Kind.INSTANT:
            if not fixed:
                return declined
            body.append(f"if {guard}(type({v}) is not _dt or {v}.tzinfo is not _tz "
                        f"or {v}.microsecond): return None")
            ns["_epoch"] = datetime.fromtimestamp(0, plan.tz)
            if form is Form.TIMESTAMP:  # whole seconds since the epoch, by exact arithmetic
                body.append(f"if {guard}not _first <= {v} <= _last: return None")
                ns["_first"], ns["_last"] = TIMESTAMP_RANGE
                text = f"str(({v} - _epoch) // _second)"
            else:  # wall-clock parts of a datetime already in the server timezone
                text = (f"((_days.get({v}.date()) or _day({v})) + _hm[{v}.hour * 60 + "
                        f"{v}.minute] + _ss[{v}.second])")
        else:
            body.append(f"if {guard}type({v}) is not str: return None")
            text = escape(sp, v) if escape else v
        body.append(f"t{k} = None if {v} is None else {text}" if optional else f"t{k} = {text}")
        texts.append(f"t{k}")
    statements = assemble(texts)
    if statements is None:
        return declined
    # str() of an int past sys.get_int_max_str_digits() raises: the reference writer says so
    lines = ["def write(o):", "    try:", *[f"        {b}" for b in body + statements],
             "    except ValueError:", "        return None"]
    return _compile(lines, ns, "write", plan)


def _join(parts: list[str]) -> str:
    return "''.join((" + ", ".join(parts) + ",))"


@cache
def line_writer(plan: RecordPlan) -> Writer:
    """For fmt=0 (``key = value, ...``) and fmt=1 (``a,b,...``): one record's line."""
    fmt = plan.fmt
    # the texts that may hold neither a line break nor (fmt=1) a comma, and those that may
    # hold no line break: each group is joined once and searched once per character
    groups: dict[tuple[str, ...], list[str]] = {}
    for k, sp in enumerate(plan.slots):
        if sp.field.kind not in (Kind.TEXT, Kind.CODE):
            continue
        free = k == plan.free
        bad: tuple[str, ...] = () if free and plan.spec.multiline else ("\\n",)
        if fmt == 1 and not free:
            bad += (",",)
        if bad:
            text = f"('' if t{k} is None else t{k})" if sp.field.optional else f"t{k}"
            groups.setdefault(bad, []).append(text)
    checks: list[str] = []
    joins: list[str] = []
    for n, (bad, texts) in enumerate(groups.items()):
        joined = texts[0] if len(texts) == 1 else f"_c{n}"
        if len(texts) > 1:
            joins.append(f"_c{n} = ''.join((" + ", ".join(texts) + ",))")
        checks += [f"'{c}' in {joined}" for c in bad]

    def assemble(texts: list[str]) -> list[str]:
        parts = []
        for k, (sp, t) in enumerate(zip(plan.slots, texts, strict=True)):
            if fmt == 1:
                parts.append(f"('' if {t} is None else {t})" if sp.field.optional else t)
            elif sp.field.optional:
                parts.append(f"('' if {t} is None else {', ' + sp.slot.wire + ' = '!r} + {t})")
            else:
                parts.append(repr(("" if k == 0 else ", ") + f"{sp.slot.wire} = "))
                parts.append(t)
        out = [*joins, f"if {' or '.join(checks)}: return None"] if checks else []
        if fmt == 1:
            return [*out, "return ','.join((" + ", ".join(parts) + ",))"]
        return [*out, f"return {_join(parts)}"]

    return _writer(plan, assemble)


@cache
def xml_writer(plan: RecordPlan) -> Writer:
    """For fmt=2: one record's element, in the server's one-element-per-line layout."""
    tag = plan.spec.xml_tag
    if any(sp.field.optional and sp.slot.place is not Place.CHILD for sp in plan.slots):
        return declined

    def escape(sp: SlotPlan, v: str) -> str:
        text = f"{v}.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')"
        if sp.slot.place is Place.ATTRIBUTE:
            text += ".replace('\"', '&quot;')"
        return text

    def assemble(texts: list[str]) -> list[str]:
        attrs: list[str] = []
        children: list[str] = []
        text: list[str] = []
        checks = ["_bad(s) is not None"]
        for k, (sp, t) in enumerate(zip(plan.slots, texts, strict=True)):
            if sp.slot.place is Place.ATTRIBUTE:
                attrs += [repr(f' {sp.slot.wire}="'), t, repr('"')]
                checks.append(f"_bad_attribute(t{k}) is not None")
            elif sp.slot.place is Place.TEXT:
                text = [t]
            elif sp.field.optional:
                children.append(f"('' if {t} is None else {'<' + sp.slot.wire + '>'!r} + {t} + "
                                f"{'</' + sp.slot.wire + '>' + chr(10)!r})")
            else:
                children += [repr(f"<{sp.slot.wire}>"), t, repr(f"</{sp.slot.wire}>\n")]
        if children:
            parts = [repr(f"<{tag}"), *attrs, repr(">\n"), *children, repr(f"</{tag}>")]
        else:
            parts = [repr(f"<{tag}"), *attrs, repr(">"), *text, repr(f"</{tag}>")]
        return [f"s = {_join(parts)}", f"if {' or '.join(checks)}: return None", "return s"]

    extra = {"_bad": _NOT_XML_CHAR.search, "_bad_attribute": _NOT_ATTRIBUTE_CHAR.search}
    return _writer(plan, assemble, escape, extra)


@cache
def json_writer(plan: RecordPlan) -> Writer:
    """For fmt=3: one record's object, one member per line with no indentation."""

    def assemble(texts: list[str]) -> list[str]:
        parts = [repr("{\n")]
        for k, (sp, t) in enumerate(zip(plan.slots, texts, strict=True)):
            number = sp.slot.json is JsonType.NUMBER
            value = t if number else f"_quote({t})"
            lead = ("" if k == 0 else ",\n") + f'"{sp.slot.wire}": '
            if sp.field.optional:
                parts.append(f"('' if {t} is None else {lead!r} + {value})")
            else:
                parts += [repr(lead), value]
        parts.append(repr("\n}"))
        return [f"return {_join(parts)}"]

    return _writer(plan, assemble, extra={"_quote": encode_basestring})


__all__ = ["ABSENT", "JsonRecords", "declined", "encode_basestring", "json_reader", "json_records",
           "json_writer", "line_writer", "values_reader", "xml_reader", "xml_writer"]
