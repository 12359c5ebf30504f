"""fmt=2: XML, one element per line, no indentation and no XML declaration.

Read by the one fmt=2 tokenizer (:mod:`.xml_tokens`, which owns every syntax rule and the
security settings) plus the spec's converters (the generated ``fast.xml_reader`` first, the
reference :meth:`XmlCodec._record` where it declines); ``pull_records`` is the same for a
stream. :func:`load` (a tree, for conformance's re-reading) keeps the security settings.
Written by hand in the server's layout so the bytes match what the server sends. An error is
``<result><error>description</error><error_code>N</error_code></result>``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import tzinfo
from operator import attrgetter
from typing import Any

from ..errors import EmitError, ParseError, clip
from ..model import ApiError, Price
from ..spec import CallSpec, Form, ListBody, OneOrListBody, Place, RecordBody, RecordSpec
from ..values import ValueProblem, reader, writer
from . import fast, native, xml_tokens
from .plan import (
    DECLINED,
    MISSING,
    RecordPlan,
    build_sections,
    check_type,
    record_plan,
    write_value,
)
from .xml_tokens import strip_declaration

fmt = 2

_NOT_XML_CHAR = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_ATTRIBUTE_CHAR = re.compile("[^\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_RECORD = xml_tokens.Shape({})
"""The shape an error body is read with: its root is one record."""
_FIELDS, _GROUP, _TAG = attrgetter("fields"), attrgetter("group"), attrgetter("element.tag")


def _feed(pieces: Iterable[str], tokenizer: xml_tokens.XmlTokenizer
          ) -> Iterator[xml_tokens.XmlRoot | xml_tokens.XmlRecord]:
    """The tokenizer's events for text fed piece by piece."""
    for piece in pieces:
        tokenizer.feed(piece)
        yield from tokenizer.events()
    tokenizer.close()
    yield from tokenizer.events()


def _error_of(root: xml_tokens.XmlRoot, first: xml_tokens.XmlRecord | None) -> ApiError | None:
    """The ApiError of an error body, read from the root record's tokens."""
    if root.tag != "result" or first is None or first.group != "$":
        return None
    items = {t.key: t for t in first.tokens()}
    code = items.get("error_code")
    if code is None:
        return None
    raw = code.raw or ""
    try:
        number = int(raw)
    except ValueError:
        raise ParseError(f"error_code is not an integer: {clip(raw)}", fmt=fmt,
                         line=code.line, col=1) from None
    error = items.get("error")
    return ApiError(number, None if error is None else error.raw or "")


def pull_records(pieces: Iterable[str], spec: CallSpec, tz: tzinfo) -> Iterator[Any]:
    """The records of a list body fed as text pieces, in order: the tokenizer fed piece by
    piece plus the converters, exactly as :meth:`XmlCodec.decode` reads a whole body."""
    events = _feed(pieces, xml_tokens.XmlTokenizer(xml_tokens.shape(spec)))
    try:
        root = next(events)
        assert isinstance(root, xml_tokens.XmlRoot)
        body = spec.body
        assert isinstance(body, ListBody)
        CODEC._root(root, body.xml_root, spec)
        yield from CODEC._items(events, "$[]", body.xml_root, body.record, spec, tz)
    except ParseError as exc:
        raise exc.located(call=spec.name) from None  # a charset fault keeps its own fmt


def streams(text: str, call: CallSpec) -> bool:
    """Whether a list body's text begins with its list root, the layout ``iter_parse`` reads
    record by record (anything else is read whole)."""
    body = call.body
    return (isinstance(body, ListBody)
            and strip_declaration(text).lstrip().startswith(f"<{body.xml_root}>"))


class XmlCodec:
    """Decode and encode fmt=2 bodies of any call."""

    fmt = fmt

    def match_error(self, text: str) -> ApiError | None:
        if "<error_code>" not in text:
            return None
        try:
            events = xml_tokens.tokenize(text, _RECORD)
        except ParseError:
            return None  # not this format at all; the asked format's codec will say why
        root = events[0]
        assert isinstance(root, xml_tokens.XmlRoot)
        first = events[1] if len(events) > 1 else None
        assert first is None or isinstance(first, xml_tokens.XmlRecord)
        return _error_of(root, first)

    def decode(self, text: str, call: CallSpec, tz: tzinfo) -> Any:
        try:
            events = xml_tokens.XmlTokenizer(xml_tokens.shape(call)).whole(text)
            return self._decode(events, call, tz)
        except ParseError as exc:
            if streams(text, call):  # the first fault in body order, as iter_parse meets it
                try:
                    for _ in pull_records((text,), call, tz):
                        pass
                except ParseError as first:
                    raise first.located(call=call.name, fmt=fmt) from None
            raise exc.located(call=call.name, fmt=fmt) from None

    def decode_utf8(self, body: bytes, call: CallSpec, tz: tzinfo) -> Any:
        """``decode(body.decode())`` without the text, for a list body in the server's
        layout (see :meth:`xml_tokens.XmlTokenizer.whole_utf8`), or :data:`DECLINED`: then
        the charset chain and :meth:`decode` decide, as for any body (and say what is
        wrong with it)."""
        shape = call.body
        if not isinstance(shape, ListBody):
            return DECLINED
        events = xml_tokens.XmlTokenizer(xml_tokens.shape(call)).whole_utf8(body,
                                                                            shape.xml_root)
        if events is None:
            return DECLINED
        try:
            return self._decode(events, call, tz)
        except ParseError:
            return DECLINED  # decode says which fault comes first

    def _decode(self, events: Iterator[xml_tokens.XmlRoot | xml_tokens.XmlRecord],
                call: CallSpec, tz: tzinfo) -> Any:
        root = next(events)
        assert isinstance(root, xml_tokens.XmlRoot)
        body = call.body
        if root.tag == "result":
            first = next(events, None)
            assert first is None or isinstance(first, xml_tokens.XmlRecord)
            error = _error_of(root, first)
            if error is not None:
                return error
            events = itertools.chain(() if first is None else (first,), events)
        if isinstance(body, ListBody):
            self._root(root, body.xml_root, call)
            return self._records(events, body.xml_root, body.record, call, tz)
        if isinstance(body, RecordBody):
            self._root(root, body.record.xml_tag, call)
            return self._one(events, record_plan(body.record, fmt, tz), call)
        if isinstance(body, OneOrListBody):
            if root.tag == body.one.xml_tag:
                return self._one(events, record_plan(body.one, fmt, tz), call)
            self._root(root, body.xml_root, call)
            return self._records(events, body.xml_root, body.many, call, tz)
        self._root(root, body.xml_root, call)
        top = next(events)
        assert isinstance(top, xml_tokens.XmlRecord)
        items = {t.key: t for t in top.tokens()}
        records: dict[str, list[xml_tokens.XmlRecord]] = {}
        for record in events:
            assert isinstance(record, xml_tokens.XmlRecord)
            records.setdefault(record.group, []).append(record)
        lists = []
        for section in body.sections:
            lists.append(tuple(self._items(iter(records.get(f"$.{section.name}[]", ())),
                                           f"$.{section.name}[]", section.name,
                                           section.record, call, tz)))
        mail: Any = None
        tail = items.get(body.tail.name)
        if tail is not None and tail.raw:
            mail = self._convert(reader(body.tail.kind, Form.VALUE, tz), tail.raw, call,
                                 tail.line, f"$.{body.tail.name}")
        return build_sections(body, lists, mail)

    def _root(self, root: xml_tokens.XmlRoot, tag: str, call: CallSpec) -> None:
        if root.tag != tag:
            raise ParseError(f"root element is <{root.tag}>, expected <{tag}>", call=call.name,
                             fmt=fmt, line=root.line, col=1)

    def _one(self, events: Iterator[Any], plan: RecordPlan, call: CallSpec) -> Any:
        record = next(events)
        assert isinstance(record, xml_tokens.XmlRecord)
        for _ in events:  # nothing nests in a record: the tokenizer refused it
            pass
        return fast.xml_reader(plan, plan.tz)(record) or self._record(record, plan, call, "$")

    def _records(self, events: Iterator[Any], parent: str, spec: RecordSpec, call: CallSpec,
                 tz: tzinfo) -> list[Any]:
        """A whole list body's records: by the compiled builder when every record is a plain
        ``<tag>`` of text fields (see :mod:`.native`), else record by record."""
        records = list(events)
        fields = list(map(_FIELDS, records))
        if (None not in fields and set(map(_GROUP, records)) <= {"$[]"}
                and set(map(_TAG, records)) <= {spec.xml_tag}):
            got = native.read(record_plan(spec, fmt, tz), tz, native.Mode.FIELDS, fields)
            if got is not None:
                return got
        return list(self._items(iter(records), "$[]", parent, spec, call, tz))

    def _items(self, events: Iterator[Any], group: str, parent: str, spec: RecordSpec,
               call: CallSpec, tz: tzinfo) -> Iterator[Any]:
        """The records of a list, in document order, as ``iter_parse`` reads them."""
        plan = record_plan(spec, fmt, tz)
        read = fast.xml_reader(plan, tz)  # the reference _record only where it declines
        tag = spec.xml_tag
        for record in events:
            if record.group != group:
                continue
            if record.element.tag != tag:
                # Another call's records (or stray elements) in a list are never dropped.
                path = record.path[:record.path.rindex("[")]
                raise ParseError(f"<{parent}> holds <{record.tag}>, expected only "
                                 f"<{tag}> records", call=call.name, fmt=fmt,
                                 line=record.line, col=1, path=path)
            yield read(record) or self._record(record, plan, call, record.path)

    def _record(self, record: xml_tokens.XmlRecord, plan: RecordPlan, call: CallSpec,
                path: str) -> Any:
        values: list[Any] = [MISSING] * len(plan.spec.fields)
        items = {t.key: (t.raw or "", t.line) for t in record.tokens()}
        for sp in plan.slots:
            place = sp.slot.place
            key = ("@" + sp.slot.wire if place is Place.ATTRIBUTE
                   else sp.slot.wire if place is Place.CHILD else "#text")
            found = items.get(key)
            if found is None:
                if place is not Place.TEXT:
                    continue
                found = (record.text, record.line)
            text, line = found
            if text == "" and sp.field.optional:
                continue
            if not sp.primary and values[sp.index] is not MISSING:
                continue
            values[sp.index] = self._convert(sp.read, text, call, line,
                                             f"{path}.{sp.slot.wire}")

        def where(msg: str) -> ParseError:
            return ParseError(msg, call=call.name, fmt=fmt, line=record.line, col=1,
                              path=path)

        return plan.build(values, where)

    def _convert(self, read: Callable[[str], Any], text: str, call: CallSpec,
                 line: int | None, path: str) -> Any:
        try:
            return read(text)
        except ValueProblem as exc:
            raise ParseError(str(exc), call=call.name, fmt=fmt, line=line, col=1,
                             path=path) from None

    # -- encoding ------------------------------------------------------------------------

    def write_error(self, error: ApiError) -> str:
        lines = ["<result>"]
        if error.description is not None:
            lines.append(f"<error>{_text(error.description, 'error')}</error>")
        lines += [f"<error_code>{error.code}</error_code>", "</result>"]
        return "\n".join(lines)

    def encode_utf8(self, reply: Any, call: CallSpec, tz: tzinfo) -> bytes | None:
        """None: the pure-Python fmt=2 writer is already faster than lxml's."""
        return None

    def encode(self, reply: Any, call: CallSpec, tz: tzinfo) -> str:
        body = call.body
        if isinstance(body, ListBody):
            return self._list(reply, body.xml_root, record_plan(body.record, fmt, tz))
        if isinstance(body, RecordBody):
            return self._element(reply, record_plan(body.record, fmt, tz))
        if isinstance(body, OneOrListBody):
            if isinstance(reply, list):
                return self._list(reply, body.xml_root, record_plan(body.many, fmt, tz))
            return self._element(reply, record_plan(body.one, fmt, tz))
        if not isinstance(reply, Price):
            raise EmitError(f"expected a Price, got {type(reply).__name__}")
        lines = [f"<{body.xml_root}>"]
        for section in body.sections:
            lines.append(self._list(getattr(reply, section.name), section.name,
                                    record_plan(section.record, fmt, tz)))
        if reply.mail is not None:
            mail = write_value(writer(body.tail.kind, Form.VALUE, tz), reply.mail, body.tail.name)
            lines.append(f"<{body.tail.name}>{_text(mail, body.tail.name)}</{body.tail.name}>")
        lines.append(f"</{body.xml_root}>")
        return "\n".join(lines)

    def _list(self, records: Any, tag: str, plan: RecordPlan) -> str:
        if not isinstance(records, list | tuple):
            raise EmitError(f"expected a list of {plan.spec.name}, "
                            f"got {type(records).__name__}")
        write = fast.xml_writer(plan)  # the reference _element only where it declines
        return "\n".join([f"<{tag}>", *[write(r) or self._element(r, plan) for r in records],
                          f"</{tag}>"])

    def _element(self, record: Any, plan: RecordPlan) -> str:
        check_type(record, plan.spec)
        tag = plan.spec.xml_tag
        attrs, children, text = [], [], ""
        for sp in plan.slots:
            value = getattr(record, sp.field.name)
            name = f"{plan.spec.name}.{sp.field.name}"
            if value is None:
                if not sp.field.optional:
                    raise EmitError(f"{name} is None")
                continue
            raw = write_value(sp.write, value, name)
            if sp.slot.place is Place.ATTRIBUTE:
                attrs.append(f' {sp.slot.wire}="{_attribute(raw, name)}"')
            elif sp.slot.place is Place.TEXT:
                text = _text(raw, name)
            else:
                children.append(f"<{sp.slot.wire}>{_text(raw, name)}</{sp.slot.wire}>")
        if children:
            return "\n".join([f"<{tag}{''.join(attrs)}>", *children, f"</{tag}>"])
        return f"<{tag}{''.join(attrs)}>{text}</{tag}>"



def _text(value: str, name: str) -> str:
    bad = _NOT_XML_CHAR.search(value)
    if bad is not None:
        raise EmitError(f"{name}: character U+{ord(bad.group()):04X} cannot be carried by XML "
                        f"text unchanged")
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str, name: str) -> str:
    bad = _NOT_ATTRIBUTE_CHAR.search(value)
    if bad is not None:
        raise EmitError(f"{name}: character U+{ord(bad.group()):04X} cannot be carried by an "
                        f"XML attribute unchanged")
    return _text(value, name).replace('"', "&quot;")


CODEC = XmlCodec()
"""The fmt=2 codec."""
