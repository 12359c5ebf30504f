"""The one tokenizer of the line formats: fmt=0 (``key = value, ...``) and fmt=1 (CSV).

This is the only code that knows the line syntax. It is sans-I/O and incremental (as h11 is):
:meth:`LineTokenizer.feed` takes decoded text in chunks of any size, :meth:`~LineTokenizer.events`
gives the records completed so far, and :meth:`~LineTokenizer.close` ends the body. The codec
(``parse``), ``iter_parse`` and the wire view (``check``, ``drift``) all read lines through it,
so they cannot disagree about where a record begins or where a value ends.

Rules (``decisions.md``, "Free text in fmt=0 and fmt=1"):

* **Line breaks.** The first line break decides: if it is ``\\r\\n``, every ``\\r\\n`` is a line
  break; otherwise a ``\\r`` is text. Empty lines at the end of the body are dropped.
* **Records.** A physical line that begins a record head (fmt=0: the record's first key and
  `` = ``; fmt=1: the fields before the free text have their declared shapes) begins a record;
  any other line continues the record before it if that record's free text may span lines
  (``message``); a blank line is skipped; anything else is an :class:`Orphan`.
* **Items.** :func:`split` cuts a record's text into its slots' raw values, in linear time:
  fmt=0 reads the fields before the free text from the left (each ends at the first
  ``", <next key> = "``), the free text ends at the last ``", <next key> = "`` that still
  leaves the later keys in order, and the fields after it are read from there; keys the page
  does not list after the last field are extra items. fmt=1 splits on commas from the left up
  to the free text and from the right after it. A line break in any value but the free text
  is a :class:`~smsc_formats.values.ValueProblem`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import compress, count
from operator import not_
from typing import Any

from ..errors import a, position
from ..spec import Field, Form, Kind
from ..values import SHAPES, ValueProblem
from . import native
from .plan import RecordPlan, SlotPlan
from .tokens import Token

HeadTest = Callable[[str], object]
"""A head test: truthy when the line begins a record."""
Kind_ = RecordPlan | Field
"""What a record is: a plan, or the sectioned body's tail field (``mail``)."""

_EXTRA = re.compile(r", ([A-Za-z_][A-Za-z0-9_]*) = ")
"""fmt=0: where a key the page does not list begins (after the last documented key)."""
_PAIR = re.compile(r"(?:\A|, )([A-Za-z_][A-Za-z0-9_]*) = ")
"""fmt=0: where any key begins (for records that are not the documented layout)."""


@dataclass(slots=True)
class LineRecord:
    """One record as written: which kind of record its head says it is, the physical line it
    begins on, and its text (its physical lines joined by ``\\n``)."""

    kind: Any
    """A RecordPlan, the tail Field, or None (lenient mode: the line begins no record)."""
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Orphan:
    """A line that begins no record and continues none; the body stops being read there."""

    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Split:
    """One record's text cut into its slots' raw values (None: an absent optional slot)."""

    values: list[str | None]
    starts: list[int]
    """Offset of each value in the record's text (-1 where absent)."""
    extras: list[tuple[str, str, int]]
    """fmt=0: keys the page does not list, after the last one: (key, raw, offset)."""


# -- heads -------------------------------------------------------------------------------------


_HEAD_TEXT = "[^,\\n]*"
"""A text before the free text, in a head: up to the next comma."""


def _bare_shape(sp: SlotPlan) -> str:
    if sp.field.kind in (Kind.TEXT, Kind.CODE):
        return _HEAD_TEXT
    form = sp.slot.form if sp.field.kind is Kind.INSTANT else Form.VALUE
    return SHAPES[(sp.field.kind, form)]


def _shape(plan: RecordPlan, index: int) -> str:
    sp = plan.slots[index]
    shape = _bare_shape(sp)
    return f"(?:{shape})?" if sp.field.optional else shape


def head_pattern(plan: RecordPlan) -> str:
    """fmt=0/1: the pattern a line that begins a record of ``plan`` starts with."""
    if plan.fmt == 0:
        return re.escape(plan.slots[0].slot.wire + " = ")
    free = plan.free or 0
    return ",".join(_shape(plan, i) for i in range(free)) + ("," if free else "")


def _starts(prefix: str) -> HeadTest:
    return re.compile(re.escape(prefix)).match  # a C call per line, not a Python frame


@cache
def head(kind: Kind_, fmt: int) -> HeadTest:
    """A test: does this physical line begin a record of ``kind`` in ``fmt``?"""
    if isinstance(kind, Field):  # the sectioned body's tail line
        if fmt == 0:
            return _starts(kind.name + " = ")
        return lambda line: "," not in line and line != ""
    plan = kind
    if fmt == 0:
        return _starts(plan.slots[0].slot.wire + " = ")
    width = plan.width
    if plan.free is None:
        return lambda line: line.count(",") == width - 1
    if not plan.spec.multiline:
        return lambda line: line.count(",") >= width - 1
    return re.compile(head_pattern(plan)).match


@cache
def later_head(plan: RecordPlan) -> Callable[[str], re.Match[str] | None]:
    """A search for a line after the first of a text that begins a record of ``plan``, a
    plan whose free text may span lines (its head test is the pattern's match at a line's
    start, and no shape crosses a line break)."""
    return re.compile("\n(?:" + head_pattern(plan) + ")").search


def completes_head(plan: RecordPlan) -> Callable[[str], bool] | None:
    """For a free text that spans lines: a test of whether its last line, which the fields
    after it follow on the same physical line, holds enough of a head that those fields
    could complete it (then only the written line can say); None where they never can: in
    fmt=0 a head is its first key and `` = ``, which holds no comma while the text is
    followed by ``", "``, and where nothing follows the free text."""
    later = 0 if plan.free is None else plan.width - plan.free - 1
    if plan.fmt != 1 or not later:
        return None
    commas = (plan.free or 0) - later  # those a head needs from the last line itself
    return lambda text: text.rpartition("\n")[2].count(",") >= commas


def misread_breaks(body: str | bytes) -> str | None:
    """Why the line breaks of a whole fmt 0/1 body would not be read as written, or None:
    by the rules above, empty lines at the end of a body are dropped, and a first line
    break after ``\\r`` makes every ``\\r\\n`` of the body one line break."""
    if isinstance(body, bytes):  # UTF-8 or any charset the API serves: the breaks are ASCII
        ends, first = body.endswith(b"\n"), body.find(b"\n")
        after_cr = first > 0 and body[first - 1] == ord("\r")
    else:
        ends, first = body.endswith("\n"), body.find("\n")
        after_cr = first > 0 and body[first - 1] == "\r"
    if ends:
        return "the body would end with a line break (empty lines at its end are dropped)"
    if after_cr:
        return ("the body's first line break would follow a \\r (then every \\r\\n of it "
                "is read as one line break)")
    return None


# -- the tokenizer -----------------------------------------------------------------------------


class LineTokenizer:
    """Groups the physical lines of a fmt=0/1 body into records, as the text arrives.

    ``kinds`` are the records (and tail) the body may hold, in the order their heads are
    tried. ``lenient`` (the wire view): a line that begins no record is a record of kind None
    instead of an :class:`Orphan`, and reading goes on.
    """

    def __init__(self, kinds: Sequence[Kind_], fmt: int, *, lenient: bool = False) -> None:
        self.fmt = fmt
        self._heads = [(k, head(k, fmt)) for k in kinds]
        self._lenient = lenient
        self._pieces: list[str] = []  # the line being received
        self._number = 0  # physical lines seen
        self._crlf: bool | None = None
        self._blank = 0  # empty lines held back (dropped if they end the body)
        self._current: LineRecord | None = None
        self._more: list[str] = []
        self._multiline = False
        self._out: list[LineRecord | Orphan] = []
        self._stopped = False
        self._closed = False

    def feed(self, text: str) -> None:
        """Take the next piece of the body's text."""
        if self._closed:
            raise RuntimeError("feed after close")
        if self._stopped or not text:
            return
        if "\n" not in text:
            self._pieces.append(text)
            return
        if self._pieces:
            self._pieces.append(text)
            text = "".join(self._pieces)
            self._pieces = []
        lines = text.split("\n")
        rest = lines.pop()
        if rest:
            self._pieces.append(rest)
        if self._crlf is None:
            self._crlf = lines[0].endswith("\r")
        if self._crlf:
            lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        self._lines(lines)

    def close(self) -> None:
        """The body ended: the last line and record are complete."""
        if self._closed:
            return
        self._closed = True
        if not self._stopped and self._pieces:
            last = "".join(self._pieces)
            self._pieces = []
            self._lines([last])
        current = self._current
        if current is not None and not self._stopped:
            if self._more:
                current.text = "\n".join([current.text, *self._more])
            self._out.append(current)
            self._current = None

    def events(self) -> Iterator[LineRecord | Orphan]:
        """The records (then at most one orphan) completed since the last call."""
        out = self._out
        if not out:
            return iter(())
        self._out = []
        return iter(out)

    def _lines(self, lines: list[str]) -> None:
        heads = self._heads
        single = heads[0][1] if len(heads) == 1 else None
        only = heads[0][0]
        only_multiline = isinstance(only, RecordPlan) and only.spec.multiline
        append = self._out.append
        number = self._number
        current = self._current
        more = self._more  # the continuation lines of current
        multiline = self._multiline
        blank = self._blank
        for line in lines:
            number += 1
            if not line:
                blank += 1
                continue
            if blank:
                if multiline:
                    more.extend([""] * blank)
                blank = 0
            if single is not None:
                kind = only if single(line) else None
            else:
                kind = next((k for k, test in heads if test(line)), None)
            if kind is None:
                if multiline:
                    more.append(line)
                    continue
                if not line.strip():
                    continue
            if current is not None:
                if more:
                    current.text = "\n".join([current.text, *more])
                    more = []
                append(current)
                current = None
            if kind is not None:
                current = LineRecord(kind, number, line)
                multiline = only_multiline if kind is only else (
                    isinstance(kind, RecordPlan) and kind.spec.multiline)
            elif self._lenient:
                current = LineRecord(None, number, line)
                multiline = False
            else:
                append(Orphan(number, line))
                self._stopped = True
                break
        self._number = number
        self._current = current
        self._more = more
        self._multiline = multiline
        self._blank = blank


def tokenize(text: str, kinds: Sequence[Kind_], fmt: int, *,
             lenient: bool = False) -> Iterator[LineRecord | Orphan]:
    """Every record of a whole body (then at most one orphan)."""
    tokenizer = LineTokenizer(kinds, fmt, lenient=lenient)
    tokenizer.feed(text)
    tokenizer.close()
    return tokenizer.events()


def record_texts(text: str, plan: RecordPlan) -> list[str] | None:
    """The texts of every record of a whole list body of ``plan``, exactly as
    :func:`tokenize` gives them, or None where it would give anything else (an orphan, a line
    before the first record, a kind of line the shortcut does not decide).

    The whole-body shortcut of ``parse``: the lines are cut and tested in C (``str.split``
    and a ``map`` of the head test), and only the continuation lines cost Python work. The
    caller keeps :func:`tokenize` for None, and for line numbers (it computes none).
    """
    first = text.find("\n")
    if first > 0 and text[first - 1] == "\r":  # the first line break decides
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    while lines and not lines[-1]:  # empty lines at the end are dropped
        lines.pop()
    if not lines:
        return []
    test = head(plan, plan.fmt)
    if test(""):  # an empty line is never a head to the tokenizer: keep the rule simple
        return None
    misses = list(compress(count(), map(not_, map(test, lines))))
    if not misses:
        return lines
    if misses[0] == 0 or not plan.spec.multiline:
        return None  # text before the first head, or an orphan or skipped line
    out: list[str] = []
    done = 0  # lines[:done] are in out
    p, n = 0, len(misses)
    while p < n:
        q = p  # misses[p:q + 1] is a run of consecutive lines that continue one record
        while q + 1 < n and misses[q + 1] == misses[q] + 1:
            q += 1
        start, end = misses[p], misses[q] + 1  # the record is lines[start - 1:end]
        out.extend(lines[done:start - 1])
        out.append("\n".join(lines[start - 1:end]))  # blank lines inside stay as ""
        done = end
        p = q + 1
    out.extend(lines[done:])
    return out


_SHAPE_CODES = {_HEAD_TEXT: 0, SHAPES[(Kind.INT, Form.VALUE)]: 1,
                SHAPES[(Kind.MONEY, Form.VALUE)]: 2, SHAPES[(Kind.INSTANT, Form.DATE)]: 3,
                SHAPES[(Kind.TZ, Form.VALUE)]: 4}
"""The head shapes the compiled cutter tests (``cut_lines`` in ``_native.c``), by pattern
(a timestamp is an integer's)."""


@cache
def cutter(plan: RecordPlan) -> tuple[tuple[tuple[int, bool], ...], int, int, int] | None:
    """fmt=1: the compiled cutter's program for ``plan``'s list bodies, the rules of
    :func:`head` and :func:`values_function` as codes (see ``cut_lines`` in ``_native.c``),
    or None where it has none (fmt=0, an empty line that would be a head, or a shape it
    does not know)."""
    if plan.fmt != 1 or head(plan, 1)(""):
        return None
    free = -1 if plan.free is None else plan.free
    if not plan.spec.multiline:  # the head counts commas
        return (), plan.width, free, 1 if plan.free is None else 2
    shapes = []
    for sp in plan.slots[:free]:
        code = _SHAPE_CODES.get(_bare_shape(sp))
        if code is None:
            return None
        shapes.append((code, sp.field.optional))
    return tuple(shapes), plan.width, free, 0


def list_values(text: str, plan: RecordPlan) -> list[Sequence[str | None]] | None:
    """The raw values of every record of a whole list body of ``plan``: :func:`values` of
    each of :func:`record_texts`, or None where either gives None. In fmt=1, where the
    extension is built, one C loop cuts the lines and values by the same rules (see
    ``cut_lines`` in ``_native.c``), and the Python loop reads only what it declines."""
    code = cutter(plan) if native.ENABLED else None
    if code is not None:
        got = native.cut_lines(text, code)
        if got is not None:
            return got
    texts = record_texts(text, plan)
    if texts is None:
        return None
    raws = list(map(values_function(plan), texts))
    if not all(raws):  # raws are non-empty sequences or None
        return None
    return raws  # type: ignore[return-value]


# -- splitting a record into items -------------------------------------------------------------


def expected_keys(plan: RecordPlan) -> str:
    return ", ".join(f"{sp.slot.wire} = …" for sp in plan.slots)


def split(plan: RecordPlan, text: str) -> Split:
    """One record's text as its slots' raw values; a ValueProblem(msg, offset) if it is not
    one, or if a line break stands outside the free text."""
    out = _split0(plan, text) if plan.fmt == 0 else _split1(plan, text)
    if "\n" in text:
        _no_line_breaks(plan, out)
    return out


def values(plan: RecordPlan, text: str) -> Sequence[str | None] | None:
    """:func:`split`'s values alone, or None where :func:`split` would raise (the codec's
    fast path: no offsets are computed)."""
    return values_function(plan)(text)


@cache
def values_function(plan: RecordPlan) -> Callable[[str], Sequence[str | None] | None]:
    """:func:`values` for one plan, with everything it needs bound once."""
    free = plan.free if plan.spec.multiline else None

    def breaks(got: Sequence[str | None]) -> bool:
        return any(v is not None and "\n" in v for k, v in enumerate(got) if k != free)

    if plan.fmt == 1:
        width, cut = plan.width, plan.free
        after_ = 0 if cut is None else width - cut - 1

        def values1(text: str) -> Sequence[str | None] | None:
            if cut is None:
                got: list[str | None] = text.split(",")  # type: ignore[assignment]
            else:
                got = text.split(",", cut)  # type: ignore[assignment]
                if len(got) == cut + 1 and after_:
                    got[cut:] = got[cut].rsplit(",", after_)  # type: ignore[union-attr]
            if len(got) != width or ("\n" in text and breaks(got)):
                return None
            return got

        return values1

    before_match, after_pattern = _patterns0(plan)
    match = before_match.match
    fullmatch = None if after_pattern is None else after_pattern.fullmatch
    last_free = plan.free is not None and after_pattern is None
    next_sep = None if plan.free is None or fullmatch is None else _separators(plan)[
        plan.free + 1]

    whole: Callable[[str], re.Match[str] | None] | None = None
    message = 0
    if next_sep is not None and after_pattern is not None and plan.free is not None:
        # one pattern for the usual record: the free text up to the *first* separator of the
        # next key, taken only when that is also the last one (so the same as the rule above)
        assert after_pattern.pattern.endswith("(.*)")
        whole = re.compile(before_match.pattern + _value([plan.slots[plan.free + 1].slot.wire])
                           + after_pattern.pattern[:-4] + "(?:.*)", re.DOTALL).fullmatch
        message = before_match.groups + 1

    def values0(text: str) -> Sequence[str | None] | None:
        if whole is not None:
            w = whole(text)
            if w is not None and text.rfind(next_sep) == w.end(message):  # type: ignore[arg-type]
                whole_cut = w.groups()
                # the pattern treats a line break as any other character: the rule that
                # only the free text holds them is that it holds every one of them
                if "\n" not in text or text.count("\n") == whole_cut[message - 1].count("\n"):
                    return whole_cut
        got: tuple[str | None, ...]
        m = match(text)
        if m is None:
            return None
        rest: re.Match[str] | None = None
        if last_free:
            got = (*m.groups(), text[m.end():])
        elif next_sep is None:  # no free text: the last field after the pattern
            assert fullmatch is not None
            rest = fullmatch(text, m.end())
            if rest is None:
                return None
            got = m.groups() + rest.groups()[:-1]
        else:
            assert fullmatch is not None
            pos = m.end()
            end = text.rfind(next_sep, pos)
            rest = None if end == -1 else fullmatch(text, end)
            if rest is None:
                cut = _cut0(plan, text)  # the free text holds the next key: the long way
                if cut is None:
                    return None
                _, span, rest = cut
                assert span is not None
                assert rest is not None
                end = span[1]
            got = (*m.groups(), text[pos:end], *rest.groups()[:-1])
        if "\n" in text and (breaks(got) or (rest is not None
                                               and "\n" in rest[rest.re.groups])):
            return None
        return got

    return values0


def _no_line_breaks(plan: RecordPlan, out: Split) -> None:
    free = plan.free if plan.spec.multiline else None
    for k, (value, start) in enumerate(zip(out.values, out.starts, strict=True)):
        if value is not None and k != free and "\n" in value:
            name = plan.slots[k].field.name
            raise ValueProblem(f"a line break in field {name!r}: only "
                               f"{plan.spec.free_text or 'no field'} may span lines",
                               start + value.index("\n"))
    for key, raw, start in out.extras:
        if "\n" in raw:
            raise ValueProblem(f"a line break in key {key!r}: only "
                               f"{plan.spec.free_text or 'no field'} may span lines",
                               start + raw.index("\n"))


@cache
def _separators(plan: RecordPlan) -> tuple[str, ...]:
    return tuple(", " + sp.slot.wire + " = " for sp in plan.slots)


def _value(stops: Sequence[str]) -> str:
    """A value that ends at the first ``", <one of stops> = "``: runs without commas, and
    commas not followed by a stop, possessively (so it cannot backtrack)."""
    ahead = "|".join(re.escape(" " + k + " = ") for k in stops)
    return f"([^,]*+(?:,(?!{ahead})[^,]*+)*+)"


_ANY_KEY = "[A-Za-z_][A-Za-z0-9_]* = "


@cache
def _patterns0(plan: RecordPlan) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """fmt=0: the pattern of the fields before the free text (up to and with its key), and
    the pattern of the fields after it (from the separator before the next key to the end).
    Without free text the first covers all but the last field, and the second the rest."""
    slots = plan.slots
    width = len(slots)
    free = plan.free
    stop = free if free is not None else width - 1

    def nexts(i: int, last: int) -> list[str]:
        out = []
        for j in range(i + 1, last + 1):
            out.append(slots[j].slot.wire)
            if not slots[j].field.optional:
                break
        return out

    before = _before0(plan, stop)
    if free == width - 1:
        return before, None
    first = free + 1 if free is not None else width - 1
    after = [] if free is None else [re.escape(", " + slots[first].slot.wire + " = ")]
    for k in range(first, width - 1):
        after.append(_value(nexts(k, width - 1)))
        after.append(re.escape(", " + slots[k + 1].slot.wire + " = "))
    after.append(f"([^,]*+(?:,(?! {_ANY_KEY})[^,]*+)*+)")  # the last: until an unlisted key
    after.append("(.*)")
    return before, re.compile("".join(after), re.DOTALL)


def _before0(plan: RecordPlan, stop: int) -> re.Pattern[str]:
    slots = plan.slots
    out = re.escape(slots[0].slot.wire + " = ")
    i = 0
    closing = ""
    while i < stop:
        nexts = []
        for j in range(i + 1, stop + 1):
            nexts.append(slots[j].slot.wire)
            if not slots[j].field.optional:
                break
        out += _value(nexts) + closing
        closing = ""
        sep = re.escape(", " + slots[i + 1].slot.wire + " = ")
        if slots[i + 1].field.optional and i + 1 < stop:
            out += f"(?:{sep}"
            closing = ")?"
        else:
            out += sep
        i += 1
    return re.compile(out, re.DOTALL)


def _cut0(plan: RecordPlan, text: str) -> tuple[
        re.Match[str], tuple[int, int] | None, re.Match[str] | None] | None:
    """fmt=0: the before match, the free text's span, and the after match (None: not one)."""
    before, after = _patterns0(plan)
    m = before.match(text)
    if m is None:
        return None
    pos = m.end()
    free = plan.free
    if after is None:  # the free text is the last field
        return m, (pos, len(text)), None
    if free is None:
        rest = after.fullmatch(text, pos)
        return None if rest is None else (m, None, rest)
    seps = _separators(plan)
    # the free text ends at the last separator of the next key that leaves the later keys'
    # separators after it, in order: most often simply the last one
    end = text.rfind(seps[free + 1], pos)
    if end == -1:
        return None
    rest = after.fullmatch(text, end)
    if rest is None:
        limit = len(text)
        for j in range(len(seps) - 1, free, -1):
            limit = text.rfind(seps[j], pos, limit)
            if limit == -1:
                return None
        end = limit
        rest = after.fullmatch(text, end)
        if rest is None:
            return None
    return m, (pos, end), rest


def _split0(plan: RecordPlan, text: str) -> Split:
    cut = _cut0(plan, text)
    if cut is None:
        raise ValueProblem(f"not {a(plan.spec.name)} record; expected {expected_keys(plan)}", 0)
    before, free, after = cut
    width = plan.width
    vals: list[str | None] = list(before.groups())
    starts = [before.start(g) for g in range(1, before.re.groups + 1)]
    if free is not None:
        vals.append(text[free[0]:free[1]])
        starts.append(free[0])
    extras: list[tuple[str, str, int]] = []
    if after is not None:
        groups = after.re.groups
        vals += after.groups()[:-1]
        starts += [after.start(g) for g in range(1, groups)]
        rest, at = after.group(groups), after.start(groups)
        if rest:
            keys = list(_EXTRA.finditer(text, at))
            for i, m in enumerate(keys):
                stop_at = keys[i + 1].start() if i + 1 < len(keys) else len(text)
                extras.append((m.group(1), text[m.end():stop_at], m.end()))
    assert len(vals) == width
    return Split(vals, [-1 if v is None else s for v, s in zip(vals, starts, strict=True)],
                 extras)


def _split1(plan: RecordPlan, text: str) -> Split:
    width, free = plan.width, plan.free
    if free is None:
        values = text.split(",")
    else:
        values = text.split(",", free)
        after = width - free - 1
        if len(values) == free + 1 and after:
            values[free:] = values[free].rsplit(",", after)
    if len(values) != width:
        raise ValueProblem(f"expected {width} comma-separated values for "
                           f"{plan.spec.name}, found {len(values)}", 0)
    starts = []
    offset = 0
    for value in values:
        starts.append(offset)
        offset += len(value) + 1
    return Split(list(values), starts, [])


def split_tail(tail: Field, text: str, fmt: int) -> Split:
    """The tail line (``mail``): its value (and, in fmt=0, keys after it)."""
    if fmt == 1:
        return Split([text], [0], [])
    pos = len(tail.name) + 3
    extras: list[tuple[str, str, int]] = []
    found = list(_EXTRA.finditer(text, pos))
    end = found[0].start() if found else len(text)
    for i, m in enumerate(found):
        stop_at = found[i + 1].start() if i + 1 < len(found) else len(text)
        extras.append((m.group(1), text[m.end():stop_at], m.end()))
    return Split([text[pos:end]], [pos], extras)


# -- items for the wire view -------------------------------------------------------------------


def items(record: LineRecord, kind: Kind_ | None, fmt: int) -> tuple[list[Token], int | None]:
    """A record's items in wire order (wire key, raw text, line, col), and (fmt=1) how many
    comma-separated values it holds. Records that do not split as documented are cut at every
    key (fmt=0) or comma (fmt=1), so the view can say what differs."""
    text = record.text
    raw: list[tuple[str, str, int]]
    columns = text.count(",") + 1 if fmt == 1 else None
    try:
        if isinstance(kind, Field):
            got = split_tail(kind, text, fmt)
            raw = [(kind.name, got.values[0] or "", got.starts[0]), *got.extras]
        elif kind is None:
            raise ValueProblem("no head", 0)
        else:
            got = split(kind, text)
            raw = [(sp.slot.wire, v, s) for sp, v, s in zip(kind.slots, got.values, got.starts,
                                                           strict=True) if v is not None]
            raw += got.extras
    except ValueProblem:
        raw = _loose0(text, kind) if fmt == 0 else _loose1(text, kind)
    out = []
    for key, value, start in raw:
        line, col = position(text, start)
        out.append(Token(key, value, record.line + line - 1, col))
    return out, columns


def _loose0(text: str, kind: Kind_ | None) -> list[tuple[str, str, int]]:
    found = list(_PAIR.finditer(text))
    out: list[tuple[str, str, int]] = []
    if not found or found[0].start() != 0:
        out.append(("#1", text[:found[0].start()] if found else text, 0))
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        out.append((m.group(1), text[m.end():end], m.end()))
    if not isinstance(kind, RecordPlan) or kind.free is None:
        return out
    keys = [k for k, _, _ in out]
    wire = kind.slots[kind.free].slot.wire
    if wire not in keys:
        return out
    start = keys.index(wire)
    later = [sp.slot.wire for sp in kind.slots[kind.free + 1:]]
    # the free text ends at the last occurrence of the first later key that occurs at all
    stop = len(out)
    for key in later:
        at = [i for i in range(start + 1, len(out)) if keys[i] == key]
        if at:
            stop = at[-1]
            break
    _, _, begin = out[start]
    end = out[stop][2] - len(out[stop][0]) - 5 if stop < len(out) else len(text)
    out[start:stop] = [(wire, text[begin:end], begin)]
    return out


def _loose1(text: str, kind: Kind_ | None) -> list[tuple[str, str, int]]:
    values = text.split(",")
    names: list[str] = []
    if isinstance(kind, RecordPlan):
        width, free = kind.width, kind.free
        names = [sp.slot.wire for sp in kind.slots]
        if free is not None and len(values) > width:
            after = width - free - 1
            middle = ",".join(values[free:len(values) - after])
            values = [*values[:free], middle, *(values[len(values) - after:] if after else [])]
    elif isinstance(kind, Field):
        names = [kind.name]
    out = []
    offset = 0
    for i, value in enumerate(values):
        out.append((names[i] if i < len(names) else f"#{i + 1}", value, offset))
        offset += len(value) + 1
    return out


__all__ = [
    "LineRecord",
    "LineTokenizer",
    "Orphan",
    "Split",
    "Token",
    "completes_head",
    "head",
    "head_pattern",
    "items",
    "later_head",
    "list_values",
    "misread_breaks",
    "record_texts",
    "split",
    "split_tail",
    "tokenize",
]
