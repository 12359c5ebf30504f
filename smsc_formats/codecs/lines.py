"""The line-oriented engine that fmt=0 (``key = value``) and fmt=1 (CSV) share.

Both formats write one record per line, let one free-text field absorb separators, and let only
``message`` continue over several physical lines. What differs is how a line is recognised as a
record's head, and how a record's text is split into its slot values; each format supplies that
as a :class:`Dialect`. Everything else (grouping lines into records, classifying records into
the body's shape, positions in errors) lives here once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Protocol

from ..errors import EmitError, ParseError, a, clip, position
from ..model import ApiError, Price
from ..spec import (
    CallSpec,
    Field,
    Form,
    ListBody,
    OneOrListBody,
    RecordBody,
    RecordSpec,
    SectionsBody,
)
from ..values import ValueProblem, reader, writer
from . import fast
from .plan import MISSING, RecordPlan, build_sections, check_type, record_plan, write_value


class Dialect(Protocol):
    """What fmt=0 and fmt=1 each tell the engine."""

    fmt: int

    def head(self, plan: RecordPlan) -> Callable[[str], bool]:
        """A test: does this physical line begin a record of ``plan``?"""

    def head_pattern(self, plan: RecordPlan) -> str:
        """The pattern a line that begins a record of ``plan`` starts with (multiline plans)."""

    def reader(self, plan: RecordPlan) -> Callable[[str], Any]:
        """The generated reader of one record's text (see ``fast``): the model value, or None
        where the reference :meth:`split` and converters must decide."""

    def split(self, plan: RecordPlan, text: str) -> list[tuple[str | None, int]]:
        """One record's text as per-slot raw values (None: absent) with their offsets."""

    def join(self, plan: RecordPlan, raw: Sequence[str | None]) -> str:
        """One record's line from per-slot raw values (None: absent)."""

    def tail_head(self, tail: Field) -> Callable[[str], bool]:
        """A test: is this line the sectioned body's tail (``mail``)?"""

    def tail_split(self, tail: Field, text: str) -> tuple[str, int]:
        """The tail line's raw value and its offset."""

    def tail_join(self, tail: Field, raw: str) -> str:
        """The tail line from its raw value."""

    def match_error(self, text: str) -> ApiError | None:
        """The error this whole body spells in this format, if it is one."""

    def write_error(self, error: ApiError) -> str:
        """An error in this format's shape."""


@dataclass(slots=True)
class _Chunk:
    """One record's text: which kind of record, and where it starts."""

    kind: Any
    """A RecordPlan, or a Field for the tail."""
    line: int
    lines: list[str]


def normalise(text: str) -> str:
    """Accept ``\\r\\n`` bodies and a trailing newline (decisions.md: be liberal).

    ``\\r\\n`` is folded only when every line break in the body is ``\\r\\n``, so a ``\\r`` inside
    a message of an ``\\n`` body is kept verbatim.
    """
    if "\r\n" in text and text.count("\n") == text.count("\r\n"):
        text = text.replace("\r\n", "\n")
    return text.rstrip("\n")


class LineCodec:
    """A full codec (decode, encode, errors) for one line-oriented dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.fmt = dialect.fmt

    # -- decoding ------------------------------------------------------------------------

    def match_error(self, text: str) -> ApiError | None:
        return self.dialect.match_error(text)

    def decode(self, text: str, call: CallSpec, tz: tzinfo) -> Any:
        body = call.body
        text = normalise(text)
        if isinstance(body, ListBody):
            plan = record_plan(body.record, self.fmt, tz)
            fast_records = self.read_list(text, plan, tz)
            if fast_records is not None:
                return fast_records
            return [self._record(c, call) for c in self._chunks(text, [plan], call)]
        if isinstance(body, RecordBody):
            plan = record_plan(body.record, self.fmt, tz)
            return self._single(self._chunks(text, [plan], call), call, body.record)
        if isinstance(body, OneOrListBody):
            one = record_plan(body.one, self.fmt, tz)
            many = record_plan(body.many, self.fmt, tz)
            chunks = list(self._chunks(text, [one, many], call))
            if chunks and chunks[0].kind is one:
                return self._single(iter(chunks), call, body.one)
            return [self._record(c, call) for c in chunks if self._expect(c, many, call)]
        return self._sections(text, body, call, tz)

    def read_list(self, text: str, plan: RecordPlan, tz: tzinfo) -> list[Any] | None:
        """A list body read by the generated reader, or None: then the reference code reads
        it (and says exactly what is wrong).

        Lines are grouped as :meth:`group` does, in one pass: a line the generated reader
        reads alone begins a record (its leading fields have their shapes); any other line
        begins one if the dialect's head test says so, and otherwise continues the record
        before it (multiline plans only).
        """
        if not text:
            return []
        read = self.dialect.reader(plan)
        head = self.dialect.head(plan)
        multiline = plan.spec.multiline
        out: list[Any] = []
        group: list[str] | None = None  # the lines of a record that did not read alone
        last = ""  # the line of out[-1] when it was read alone
        for line in text.split("\n"):
            record = read(line)
            if record is not None or head(line):
                if group is not None:
                    grouped = read("\n".join(group))
                    if grouped is None:
                        return None
                    out.append(grouped)
                    group = None
                if record is None:
                    group = [line]
                else:
                    out.append(record)
                    last = line
            elif not multiline:
                return None
            elif group is not None:
                group.append(line)
            elif out:
                out.pop()
                group = [last, line]
            else:
                return None
        if group is not None:
            grouped = read("\n".join(group))
            if grouped is None:
                return None
            out.append(grouped)
        return out

    def _expect(self, chunk: _Chunk, plan: RecordPlan, call: CallSpec) -> bool:
        if chunk.kind is not plan:
            raise ParseError(f"{a(chunk.kind.spec.name)} record among {plan.spec.name} records",
                             call=call.name, fmt=self.fmt, line=chunk.line, col=1)
        return True

    def _single(self, chunks: Iterator[_Chunk], call: CallSpec, spec: RecordSpec) -> Any:
        first = next(chunks, None)
        if first is None:
            raise ParseError(f"empty body: expected one {spec.name}", call=call.name,
                             fmt=self.fmt)
        extra = next(chunks, None)
        if extra is not None:
            raise ParseError(f"expected one {spec.name}, found another record",
                             call=call.name, fmt=self.fmt, line=extra.line, col=1)
        return self._record(first, call)

    def _sections(self, text: str, body: SectionsBody, call: CallSpec, tz: tzinfo) -> Price:
        plans = [record_plan(s.record, self.fmt, tz) for s in body.sections]
        lists: list[list[Any]] = [[] for _ in plans]
        tail: Any = None
        stage = 0
        chunks = list(self._chunks(text, [*plans, body.tail], call))
        if not chunks:
            raise ParseError("empty body", call=call.name, fmt=self.fmt)
        for chunk in chunks:
            order = len(plans) if chunk.kind is body.tail else plans.index(chunk.kind)
            if order < stage or (order == len(plans) and stage == len(plans) + 1):
                raise ParseError("records out of order: zones, then codes, then mail",
                                 call=call.name, fmt=self.fmt, line=chunk.line, col=1)
            stage = order
            if chunk.kind is body.tail:
                stage = len(plans) + 1
                raw, offset = self.dialect.tail_split(body.tail, chunk.lines[0])
                read = reader(body.tail.kind, Form.VALUE, tz)
                tail = self._convert(read, raw, call, chunk, chunk.lines[0], offset,
                                     body.tail.name)
            else:
                lists[order].append(self._record(chunk, call))
        return build_sections(body, lists, tail)

    def _chunks(self, text: str, kinds: Sequence[Any], call: CallSpec) -> Iterator[_Chunk]:
        """Group physical lines into records; a line that begins no record continues one."""
        if not text:
            return
        yield from self.group(text.split("\n"), kinds, call)

    def group(self, lines: Iterable[str], kinds: Sequence[Any],
              call: CallSpec) -> Iterator[_Chunk]:
        """Group physical lines (of a normalised body, or as they stream in) into records."""
        heads = [(k, self.dialect.head(k) if isinstance(k, RecordPlan)
                  else self.dialect.tail_head(k)) for k in kinds]
        current: _Chunk | None = None
        for number, line in enumerate(lines, 1):
            kind = next((k for k, is_head in heads if is_head(line)), None)
            if kind is not None:
                if current is not None:
                    yield current
                current = _Chunk(kind, number, [line])
            elif (current is not None and isinstance(current.kind, RecordPlan)
                  and current.kind.spec.multiline):
                current.lines.append(line)
            elif not line.strip():
                continue
            else:
                self._explain(line, number, kinds, call)
                names = " or ".join(k.spec.name if isinstance(k, RecordPlan) else k.name
                                    for k in kinds)
                raise ParseError(f"line does not begin {a(names)} record: {clip(line)}",
                                 call=call.name, fmt=self.fmt, line=number, col=1)
        if current is not None:
            yield current

    def _explain(self, line: str, number: int, kinds: Sequence[Any], call: CallSpec) -> None:
        """Raise the field-level error of a line that is not a record, when it has one.

        With one kind of record, a line that splits into its fields but has a bad value
        (``1.5.0`` for a cost) is better reported as that field than as "not a record".
        """
        plans = [k for k in kinds if isinstance(k, RecordPlan)]
        if len(plans) != 1:
            return
        try:
            self._record(_Chunk(plans[0], number, [line]), call)
        except ParseError as exc:
            if exc.path is not None:
                raise

    def read_chunk(self, chunk: _Chunk, call: CallSpec, tz: tzinfo) -> Any:
        """One grouped record: the generated reader, or the reference code where it declines."""
        plan: RecordPlan = chunk.kind
        return self.dialect.reader(plan)("\n".join(chunk.lines)) or self._record(chunk, call)

    def _record(self, chunk: _Chunk, call: CallSpec) -> Any:
        plan: RecordPlan = chunk.kind
        text = "\n".join(chunk.lines)
        try:
            raw = self.dialect.split(plan, text)
        except ValueProblem as exc:
            offset = exc.args[1] if len(exc.args) > 1 else 0
            line, col = position(text, offset)
            raise ParseError(str(exc.args[0]), call=call.name, fmt=self.fmt,
                             line=chunk.line + line - 1, col=col) from None
        values: list[Any] = [MISSING] * len(plan.spec.fields)
        for sp, (value, offset) in zip(plan.slots, raw, strict=True):
            if value is None or (value == "" and sp.field.optional):
                continue
            if not sp.primary and values[sp.index] is not MISSING:
                continue
            values[sp.index] = self._convert(sp.read, value, call, chunk, text, offset,
                                             sp.field.name)
        where = _at(call.name, self.fmt, chunk.line, 1)
        return plan.build(values, where)

    def _convert(self, read: Callable[[str], Any], raw: str, call: CallSpec, chunk: _Chunk,
                 text: str, offset: int, path: str) -> Any:
        try:
            return read(raw)
        except ValueProblem as exc:
            line, col = position(text, offset)
            raise ParseError(str(exc), call=call.name, fmt=self.fmt,
                             line=chunk.line + line - 1, col=col,
                             path=f"field {path!r}") from None

    # -- encoding ------------------------------------------------------------------------

    def write_error(self, error: ApiError) -> str:
        return self.dialect.write_error(error)

    def encode(self, reply: Any, call: CallSpec, tz: tzinfo) -> str:
        body = call.body
        if isinstance(body, ListBody):
            return self._lines(reply, record_plan(body.record, self.fmt, tz))
        if isinstance(body, RecordBody):
            return self._line(reply, record_plan(body.record, self.fmt, tz))
        if isinstance(body, OneOrListBody):
            if isinstance(reply, list):
                return self._lines(reply, record_plan(body.many, self.fmt, tz))
            return self._line(reply, record_plan(body.one, self.fmt, tz))
        if not isinstance(reply, Price):
            raise EmitError(f"expected a Price, got {type(reply).__name__}")
        out = [self._line(r, record_plan(s.record, self.fmt, tz))
               for s in body.sections for r in getattr(reply, s.name)]
        if reply.mail is not None:
            raw = write_value(writer(body.tail.kind, Form.VALUE, tz), reply.mail, body.tail.name)
            out.append(self.dialect.tail_join(body.tail, raw))
        return "\n".join(out)

    def _lines(self, reply: Any, plan: RecordPlan) -> str:
        if not isinstance(reply, list):
            raise EmitError(f"expected a list of {plan.spec.name}, got {type(reply).__name__}")
        write = fast.line_writer(plan)  # the reference _line only where it declines
        return "\n".join([write(r) or self._line(r, plan) for r in reply])

    def _line(self, record: Any, plan: RecordPlan) -> str:
        check_type(record, plan.spec)
        raw: list[str | None] = []
        for i, sp in enumerate(plan.slots):
            value = getattr(record, sp.field.name)
            if value is None:
                if not sp.field.optional:
                    raise EmitError(f"{plan.spec.name}.{sp.field.name} is None")
                raw.append(None)
                continue
            text = write_value(sp.write, value, f"{plan.spec.name}.{sp.field.name}")
            if "\n" in text and not (i == plan.free and plan.spec.multiline):
                raise EmitError(f"{plan.spec.name}.{sp.field.name}: a line break cannot be "
                                f"written in fmt={self.fmt} outside the message")
            raw.append(text)
        return self.dialect.join(plan, raw)



def _at(call: str, fmt: int, line: int, col: int) -> Callable[[str], ParseError]:
    return lambda msg: ParseError(msg, call=call, fmt=fmt, line=line, col=col)
