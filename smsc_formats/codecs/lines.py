"""The line-oriented engine that fmt=0 (``key = value``) and fmt=1 (CSV) share.

Both formats write one record per line, let one free-text field absorb separators, and let only
``message`` continue over several physical lines. The syntax (record heads, grouping lines into
records, splitting a record into its values) is :mod:`.line_tokens`' alone; this module turns its
records into the body's shape with the spec's converters (the generated ones in ``fast`` first,
the reference ones where those decline), and writes bodies back through each :class:`Dialect`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import tzinfo
from typing import Any, NoReturn, Protocol

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
from . import fast, native
from .line_tokens import (
    LineRecord,
    Orphan,
    completes_head,
    later_head,
    list_values,
    misread_breaks,
    split,
    split_tail,
    tokenize,
    values,
    values_function,
)
from .plan import (
    MISSING,
    RecordPlan,
    build_sections,
    check_type,
    list_plan,
    record_plan,
    write_value,
)


class Dialect(Protocol):
    """What fmt=0 and fmt=1 each tell the engine beyond the syntax (``line_tokens`` has that):
    how records, the tail and errors are written, and how a whole body spells an error."""

    fmt: int

    def head(self, plan: RecordPlan) -> Callable[[str], object]:
        """A test: does this physical line begin a record of ``plan``? (``line_tokens.head``)"""

    def join(self, plan: RecordPlan, raw: Sequence[str | None]) -> str:
        """One record's line from per-slot raw values (None: absent)."""

    def tail_join(self, tail: Field, raw: str) -> str:
        """The tail line from its raw value."""

    def match_error(self, text: str) -> ApiError | None:
        """The error this whole body spells in this format, if it is one."""

    def write_error(self, error: ApiError) -> str:
        """An error in this format's shape."""


_Chunk = LineRecord
"""One record's lines (the tokenizer's record)."""


def normalise(text: str) -> str:
    """A whole body's text with ``\\r\\n`` folded and trailing line breaks dropped, as the
    tokenizer reads it (see ``line_tokens``: the first line break decides)."""
    first = text.find("\n")
    if first > 0 and text[first - 1] == "\r":
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
        if isinstance(body, ListBody):
            plan = record_plan(body.record, self.fmt, tz)
            fast_list = self.read_list(text, plan)
            if fast_list is not None:
                return fast_list
            return list(self.records(tokenize(text, [plan], self.fmt), [plan], call, tz))
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

    def records(self, events: Iterable[LineRecord | Orphan], kinds: Sequence[Any],
                call: CallSpec, tz: tzinfo) -> Iterator[Any]:
        """The model records of a list body's tokens, in order; the first fault raises."""
        plan: RecordPlan = kinds[0]
        read = fast.values_reader(plan, tz)
        cut = values_function(plan)
        for event in events:
            if isinstance(event, Orphan):
                self._orphan(event, kinds, call)
            raw = cut(event.text)
            record = None if raw is None else read(raw)
            yield record if record is not None else self._record(event, call)

    def read_list(self, text: str, plan: RecordPlan) -> list[Any] | None:
        """A whole list body read by C-level loops over the tokenizer's record texts and the
        generated converters, or None where anything declines (then :meth:`records` reads
        it, with line numbers, and says what is wrong)."""
        raws = list_values(text, plan)
        if raws is None:
            return None
        records = native.read(plan, plan.tz, native.Mode.SEQUENCE, raws)
        if records is not None:
            return records
        out = list(map(fast.values_reader(plan, plan.tz), raws))
        # the records are truthy (no __bool__ or __len__), and `all` compares with nothing
        return out if all(out) else None

    def read_text(self, plan: RecordPlan, text: str) -> Any:
        """One record's text read by the generated converters, or None where they (or the
        split) decline and :meth:`_record` must decide."""
        raw = values(plan, text)
        return None if raw is None else fast.values_reader(plan, plan.tz)(raw)

    def _expect(self, chunk: LineRecord, plan: RecordPlan, call: CallSpec) -> bool:
        if chunk.kind is not plan:
            raise ParseError(f"{a(chunk.kind.spec.name)} record among {plan.spec.name} records",
                             call=call.name, fmt=self.fmt, line=chunk.line, col=1)
        return True

    def _single(self, chunks: Iterator[LineRecord], call: CallSpec, spec: RecordSpec) -> Any:
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
                got = split_tail(body.tail, chunk.text, self.fmt)
                read = reader(body.tail.kind, Form.VALUE, tz)
                tail = self._convert(read, got.values[0] or "", call, chunk, chunk.text,
                                     got.starts[0], body.tail.name)
            else:
                lists[order].append(self._record(chunk, call))
        return build_sections(body, lists, tail)

    def _chunks(self, text: str, kinds: Sequence[Any], call: CallSpec) -> Iterator[LineRecord]:
        """Group physical lines into records; a line that begins no record continues one."""
        for event in tokenize(text, kinds, self.fmt):
            if isinstance(event, Orphan):
                self._orphan(event, kinds, call)
            yield event

    def _orphan(self, orphan: Orphan, kinds: Sequence[Any], call: CallSpec) -> NoReturn:
        line, number = orphan.text, orphan.line
        self._explain(line, number, kinds, call)
        names = " or ".join(k.spec.name if isinstance(k, RecordPlan) else k.name
                            for k in kinds)
        raise ParseError(f"line does not begin {a(names)} record: {clip(line)}",
                         call=call.name, fmt=self.fmt, line=number, col=1)

    def _explain(self, line: str, number: int, kinds: Sequence[Any], call: CallSpec) -> None:
        """Raise the field-level error of a line that is not a record, when it has one.

        With one kind of record, a line that splits into its fields but has a bad value
        (``1.5.0`` for a cost) is better reported as that field than as "not a record".
        """
        plans = [k for k in kinds if isinstance(k, RecordPlan)]
        if len(plans) != 1:
            return
        try:
            self._record(LineRecord(plans[0], number, line), call)
        except ParseError as exc:
            if exc.path is not None:
                raise

    def _record(self, chunk: LineRecord, call: CallSpec) -> Any:
        plan: RecordPlan = chunk.kind
        text = chunk.text
        try:
            got = split(plan, text)
        except ValueProblem as exc:
            offset = exc.args[1] if len(exc.args) > 1 else 0
            line, col = position(text, offset)
            raise ParseError(str(exc.args[0]), call=call.name, fmt=self.fmt,
                             line=chunk.line + line - 1, col=col) from None
        values: list[Any] = [MISSING] * len(plan.spec.fields)
        for sp, value, offset in zip(plan.slots, got.values, got.starts, strict=True):
            if value is None or (value == "" and sp.field.optional):
                continue
            if not sp.primary and values[sp.index] is not MISSING:
                continue
            values[sp.index] = self._convert(sp.read, value, call, chunk, text, offset,
                                             sp.field.name)
        where = _at(call.name, self.fmt, chunk.line, 1)
        return plan.build(values, where)

    def _convert(self, read: Callable[[str], Any], raw: str, call: CallSpec, chunk: LineRecord,
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
        text = self._encode(reply, call, tz)
        self._reads_back(text)
        return text

    def _encode(self, reply: Any, call: CallSpec, tz: tzinfo) -> str:
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

    def encode_utf8(self, reply: Any, call: CallSpec, tz: tzinfo) -> bytes | None:
        plan = list_plan(call.body, reply, self.fmt, tz)
        if plan is None or not native.writes_utf8(plan):
            return None
        spanning: list[int] = []
        body = native.write_utf8(plan, reply, spanning)
        if body is not None and spanning and self._spanning_heads(
                [reply[i] for i in spanning], plan):
            return None  # the text path refuses it, and says which line
        if body is not None:
            self._reads_back(body)
        return body

    def _spanning_heads(self, spanning: list[Any], plan: RecordPlan) -> bool:
        """Whether the free text of any of these records (written, and spanning lines) holds
        a later line that would be read as a record of its own (the tokenizer's head rule,
        as :meth:`_no_heads` applies it), found without writing the records again: a later
        line that begins a record on its own does so whatever follows it. Only the text's
        last line is followed by more (the later fields); where those could complete a head
        (``line_tokens.completes_head``), the few such records are written and their lines
        tested."""
        free = plan.spec.free_text
        assert free is not None  # only a free text is written with its line breaks
        search, completes = later_head(plan), completes_head(plan)
        suspects = []
        for record in spanning:
            text = getattr(record, free)
            if search(text) is not None:
                return True
            if completes is not None and completes(text):
                suspects.append(record)
        lines = native.write(plan, suspects) if suspects else []
        return lines is None or any(search(line) is not None for line in lines)

    def _reads_back(self, body: str | bytes) -> None:
        """Refuse a body whose line breaks would be read otherwise than written (the
        tokenizer's rules, ``line_tokens.misread_breaks``): a text put them there."""
        why = misread_breaks(body)
        if why is not None:
            raise EmitError(f"fmt={self.fmt}: a text would not read back as written: {why}")

    def _lines(self, reply: Any, plan: RecordPlan) -> str:
        if not isinstance(reply, list):
            raise EmitError(f"expected a list of {plan.spec.name}, got {type(reply).__name__}")
        lines = native.write(plan, reply)
        if lines is None:
            write = fast.line_writer(plan)  # the reference _line only where it declines
            lines = [write(r) or self._line(r, plan) for r in reply]
        if plan.spec.multiline:
            for line in lines:
                if "\n" in line:
                    self._no_heads(line, plan)
        return "\n".join(lines)

    def _no_heads(self, text: str, plan: RecordPlan) -> None:
        """Refuse a free text whose later line would be read as a record of its own (the
        tokenizer's head rule), so what is emitted reads back as written."""
        found = later_head(plan)(text)
        if found is not None:
            line = text[found.start() + 1:].split("\n", 1)[0]
            raise EmitError(f"{plan.spec.name}.{plan.spec.free_text}: a line of it would begin "
                            f"a new record in fmt={self.fmt}: {clip(line)}")

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
