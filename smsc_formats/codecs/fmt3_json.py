"""fmt=3: JSON, in the server's own layout rather than compact JSON.

Any valid JSON layout is read; numbers written as strings and strings written as numbers are
accepted for every field (conformance reports the drift), and JSON floats are read as
``Decimal`` from their own text. The writer puts one member per line with no indentation,
``[`` glued to the first object, and escapes only ``"``, ``\\`` and control characters.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import tzinfo
from typing import Any

from ..errors import EmitError, ParseError, clip
from ..model import ApiError, Price
from ..spec import CallSpec, Form, JsonType, ListBody, OneOrListBody, RecordBody, RecordSpec
from ..values import ValueProblem, json_reader, writer
from . import fast, json_tokens, native
from .plan import (
    DECLINED,
    MISSING,
    RecordPlan,
    build_sections,
    check_type,
    list_plan,
    record_plan,
    write_value,
)

fmt = 3


def _error_of(value: Any, call: str) -> ApiError | None:
    if not isinstance(value, dict) or "error_code" not in value:
        return None
    code, description = value["error_code"], value.get("error")
    if (isinstance(code, str) and code.lstrip("-").isdigit() and code.isascii()
            and len(code) < 20):
        code = int(code)
    if type(code) is not int:
        shown = clip(code) if isinstance(code, str) else _kind(code)
        raise ParseError(f"error_code is not an integer: {shown}", call=call, fmt=fmt,
                         path="$.error_code")
    if description is not None and not isinstance(description, str):
        raise ParseError(f"error is not a string: {_kind(description)}", call=call, fmt=fmt,
                         path="$.error")
    return ApiError(code, description)


def _typed_list(data: str | bytes, call: CallSpec, tz: tzinfo) -> list[Any] | None:
    """A list body's records by the quickest route (see :class:`fast.JsonRecords` and
    :func:`json_tokens.typed`), or None when anything is unusual: then the generic path
    reads the body, or says what is wrong.
    """
    body = call.body
    if not isinstance(body, ListBody):
        return None
    conv = fast.json_records(record_plan(body.record, fmt, tz), tz)
    if conv is None:
        return None
    structs = json_tokens.typed(data, conv.decode, conv.members)
    if structs is None:
        return None
    records = native.read(record_plan(body.record, fmt, tz), tz, native.Mode.ATTRIBUTES,
                          structs)
    if records is not None:
        return records
    records = list(map(conv.read, structs))
    return records if all(records) else None


def load(text: str, call: str) -> Any:
    """The decoded JSON value of a whole body (:func:`json_tokens.load`), the call named in
    any ParseError."""
    try:
        return json_tokens.load(text)
    except ParseError as exc:
        raise exc.located(call=call) from None


def streams(text: str, call: CallSpec) -> bool:
    """Whether a list body's text begins as an array, the layout ``iter_parse`` reads item by
    item (anything else is read whole)."""
    return isinstance(call.body, ListBody) and text.lstrip(" \t\n\r").startswith("[")


def pull_records(pieces: Iterable[str], spec: CallSpec, tz: tzinfo) -> Iterator[Any]:
    """The records of a list body fed as text pieces, in order: the tokenizer fed piece by
    piece plus the converters; each fault raises where it stands in the body."""
    body = spec.body
    assert isinstance(body, ListBody)
    plan = record_plan(body.record, fmt, tz)
    read = fast.json_reader(plan, tz)
    tokenizer = json_tokens.JsonTokenizer()
    try:
        for piece in itertools.chain(pieces, (None,)):
            if piece is None:
                tokenizer.close()
            else:
                tokenizer.feed(piece)
            for element in tokenizer.events():
                value = element.value
                yield read(value) or CODEC._record(value, plan, spec, f"$[{element.index}]")
    except ParseError as exc:
        raise exc.located(call=spec.name) from None


class JsonCodec:
    """Decode and encode fmt=3 bodies of any call."""

    fmt = fmt

    def match_error(self, text: str) -> ApiError | None:
        if "error_code" not in text:
            return None
        try:
            value = json_tokens.load(text)
        except ParseError:
            return None  # not this format at all; the asked format's codec will say why
        return _error_of(value, "")

    def decode(self, text: str, call: CallSpec, tz: tzinfo) -> Any:
        try:
            records = _typed_list(text, call, tz)
            if records is not None:
                return records
            return self._reply(load(text, call.name), call, tz)
        except ParseError:
            if streams(text, call):  # the first fault in body order, as iter_parse meets it
                for _ in pull_records((text,), call, tz):
                    pass
            raise

    def decode_utf8(self, body: bytes, call: CallSpec, tz: tzinfo) -> Any:
        """``decode(body.decode())`` without the text, for a body that may be UTF-8, or
        :data:`DECLINED` when msgspec cannot read it (then the charset chain and
        :meth:`decode` decide, as for any body); see :func:`json_tokens.load_utf8`.
        Only an array or an object is taken: another format's error (``ERROR = 1``,
        ``0,-1``) is no JSON.
        """
        try:
            records = _typed_list(body, call, tz)
            if records is not None:
                return records
            value = json_tokens.load_utf8(body)
            if value is None:
                return DECLINED
            return self._reply(value, call, tz)
        except ParseError:
            return DECLINED  # decode says which fault comes first

    def _reply(self, value: Any, call: CallSpec, tz: tzinfo) -> Any:
        error = _error_of(value, call.name)
        if error is not None:
            return error
        body = call.body
        if isinstance(body, ListBody):
            return self._items(value, body.record, call, tz, "$")
        if isinstance(body, RecordBody):
            return self._record(value, record_plan(body.record, fmt, tz), call, "$")
        if isinstance(body, OneOrListBody):
            if isinstance(value, dict):
                return self._record(value, record_plan(body.one, fmt, tz), call, "$")
            return self._items(value, body.many, call, tz, "$")
        if not isinstance(value, dict):
            raise _at(call, "$", f"expected an object, got {_kind(value)}")
        lists = [tuple(self._items(value.get(s.name, []), s.record, call, tz, f"$.{s.name}"))
                 for s in body.sections]
        mail: Any = None
        if value.get(body.tail.name) not in (None, ""):
            mail = self._convert(json_reader(body.tail.kind, Form.VALUE, tz),
                                 value[body.tail.name], call, f"$.{body.tail.name}")
        return build_sections(body, lists, mail)

    def _items(self, value: Any, spec: RecordSpec, call: CallSpec, tz: tzinfo,
               path: str) -> list[Any]:
        if not isinstance(value, list):
            raise _at(call, path, f"expected an array, got {_kind(value)}")
        plan = record_plan(spec, fmt, tz)
        read = fast.json_reader(plan, tz)  # the reference _record only where it declines
        records = list(map(read, value))  # a record is always true, a decline None
        if not all(records):
            records = [r or self._record(v, plan, call, f"{path}[{i}]")
                       for i, (r, v) in enumerate(zip(records, value, strict=True))]
        return records

    def _record(self, obj: Any, plan: RecordPlan, call: CallSpec, path: str) -> Any:
        if not isinstance(obj, dict):
            raise _at(call, path, f"expected an object, got {_kind(obj)}")
        values: list[Any] = [MISSING] * len(plan.spec.fields)
        for sp in plan.slots:
            raw = obj.get(sp.slot.wire, MISSING)
            if raw is MISSING or (sp.field.optional and raw in (None, "")):
                continue
            if not sp.primary and values[sp.index] is not MISSING:
                continue
            values[sp.index] = self._convert(sp.read_json, raw, call, f"{path}.{sp.slot.wire}")
        return plan.build(values, lambda msg: _at(call, path, msg))

    def _convert(self, read: Callable[[Any], Any], raw: Any, call: CallSpec, path: str) -> Any:
        try:
            return read(raw)
        except ValueProblem as exc:
            raise _at(call, path, str(exc)) from None

    # -- encoding ------------------------------------------------------------------------

    def write_error(self, error: ApiError) -> str:
        members = [] if error.description is None else [f'"error": {_string(error.description)}']
        members.append(f'"error_code": {error.code}')
        return _object(members)

    def encode(self, reply: Any, call: CallSpec, tz: tzinfo) -> str:
        body = call.body
        if isinstance(body, ListBody):
            return self._array(reply, record_plan(body.record, fmt, tz))
        if isinstance(body, RecordBody):
            return self._object(reply, record_plan(body.record, fmt, tz))
        if isinstance(body, OneOrListBody):
            if isinstance(reply, list):
                return self._array(reply, record_plan(body.many, fmt, tz))
            return self._object(reply, record_plan(body.one, fmt, tz))
        if not isinstance(reply, Price):
            raise EmitError(f"expected a Price, got {type(reply).__name__}")
        members = [f'"{s.name}": '
                   + self._array(list(getattr(reply, s.name)), record_plan(s.record, fmt, tz))
                   for s in body.sections]
        if reply.mail is not None:
            mail = write_value(writer(body.tail.kind, Form.VALUE, tz), reply.mail, body.tail.name)
            members.append(f'"{body.tail.name}": {_string(mail)}')
        return _object(members)

    def encode_utf8(self, reply: Any, call: CallSpec, tz: tzinfo) -> bytes | None:
        plan = list_plan(call.body, reply, fmt, tz)
        return None if plan is None else native.write_utf8(plan, reply)

    def _array(self, records: Any, plan: RecordPlan) -> str:
        if not isinstance(records, list):
            raise EmitError(f"expected a list of {plan.spec.name}, "
                            f"got {type(records).__name__}")
        objects = native.write(plan, records)
        if objects is None:
            write = fast.json_writer(plan)  # the reference _object only where it declines
            objects = [write(r) or self._object(r, plan) for r in records]
        return "[" + ",\n".join(objects) + "]"

    def _object(self, record: Any, plan: RecordPlan) -> str:
        check_type(record, plan.spec)
        members = []
        for sp in plan.slots:
            value = getattr(record, sp.field.name)
            name = f"{plan.spec.name}.{sp.field.name}"
            if value is None:
                if not sp.field.optional:
                    raise EmitError(f"{name} is None")
                continue
            raw = write_value(sp.write, value, name)
            members.append(f'"{sp.slot.wire}": '
                           + (raw if sp.slot.json is JsonType.NUMBER else _string(raw)))
        return _object(members)


def _object(members: list[str]) -> str:
    return "{\n" + ",\n".join(members) + "\n}"


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)



def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def _at(call: CallSpec, path: str, msg: str) -> ParseError:
    return ParseError(msg, call=call.name, fmt=fmt, path=path)


CODEC = JsonCodec()
"""The fmt=3 codec."""
