"""fmt=3: JSON, in the server's own layout rather than compact JSON.

Any valid JSON layout is read; numbers written as strings and strings written as numbers are
accepted for every field (conformance reports the drift), and JSON floats are read as
``Decimal`` from their own text. The writer puts one member per line with no indentation,
``[`` glued to the first object, and escapes only ``"``, ``\\`` and control characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import tzinfo
from decimal import Decimal
from typing import Any

import msgspec

from ..errors import EmitError, ParseError, clip
from ..model import ApiError, Price
from ..spec import CallSpec, Form, JsonType, ListBody, OneOrListBody, RecordBody, RecordSpec
from ..values import ValueProblem, json_reader, writer
from . import fast
from .plan import MISSING, RecordPlan, build_sections, check_type, record_plan, write_value

fmt = 3


_DECODE = msgspec.json.Decoder(float_hook=Decimal).decode
"""msgspec's JSON decoder, the tokenizer: floats as ``Decimal`` from the number's own text."""
_SPACED_KEY = re.compile(r'"[ \t\n\r]+:')
_SPACED_KEY_BYTES = re.compile(rb'"[ \t\n\r]+:')
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:]')
"""A string or a structural character of JSON text that is known to be valid."""


class Duplicate(ValueError):
    """A JSON object names a key twice (raised inside the decoder, turned into ParseError)."""


def unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict; a key twice raises, where stdlib json would keep the last."""
    value = dict(pairs)
    if len(value) != len(pairs):
        raise Duplicate
    return value


def duplicate_key(text: str, call: str, path: str = "$", start: int = 0) -> ParseError:
    """The ParseError for the first object (in document order) of the JSON value at
    ``text[start:]`` that repeats a key; raises JSONDecodeError if that value is cut short."""
    class Pairs(list[tuple[str, Any]]):
        pass

    decoder = json.JSONDecoder(object_pairs_hook=Pairs, parse_float=str, parse_int=str,
                               parse_constant=str)
    todo: list[tuple[str, Any]] = [(path, decoder.raw_decode(text, start)[0])]
    while todo:
        where, value = todo.pop()
        members: list[tuple[str, Any]] = []
        if isinstance(value, Pairs):
            seen: set[str] = set()
            for key, member in value:
                if key in seen:
                    return ParseError(f"malformed JSON: duplicate key {clip(key)}", call=call,
                                      fmt=fmt, path=f"{where}.{key}")
                seen.add(key)
                members.append((f"{where}.{key}", member))
        elif isinstance(value, list):
            members = [(f"{where}[{i}]", member) for i, member in enumerate(value)]
        todo.extend(reversed(members))
    return ParseError("malformed JSON: duplicate key", call=call, fmt=fmt, path=path)


_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


def out_of_range(text: str, call: str, start: int, line: int, col: int) -> ParseError:
    """The ParseError for the first number from ``text[start:]`` that Decimal cannot hold;
    ``line`` and ``col`` are where ``text`` begins in the body."""
    for m in _FLOAT.finditer(text, start):
        try:
            Decimal(m.group())
        except ArithmeticError:
            at = m.start()
            newlines = text.count("\n", 0, at)
            where = at - text.rfind("\n", 0, at) if newlines else col + at
            return ParseError(f"malformed JSON: number out of range: {clip(m.group())}",
                              call=call, fmt=fmt, line=line + newlines, col=where)
    return ParseError("malformed JSON: number out of range", call=call, fmt=fmt, line=line,
                      col=col)


def load(text: str, call: str) -> Any:
    """The decoded JSON value; any failure is a ParseError with line and column.

    msgspec reads it (three to eight times faster than ``json``); whatever msgspec refuses (a
    syntax error, ``NaN``, an integer past 64 bits that is no Python int, a lone surrogate,
    deep nesting, a BOM) is read again by the standard library, whose errors give line and
    column and whose extensions (``NaN``, huge integers) are kept. A key repeated within an
    object is a ParseError either way.
    """
    try:
        value = _DECODE(text)
    except Exception:  # the reference reader below says what is wrong
        value = _stdlib_load(text, call)
    _refuse_duplicates(text, value, call)
    return value


def _stdlib_load(text: str, call: str, parse_int: Callable[[str], Any] | None = None) -> Any:
    try:
        return json.loads(text, parse_float=Decimal, parse_int=parse_int,
                          object_pairs_hook=unique_object)
    except Duplicate:
        raise duplicate_key(text, call) from None
    except ArithmeticError:  # decimal.InvalidOperation: an exponent past Decimal's limits
        raise out_of_range(text, call, 0, 1, 1) from None
    except json.JSONDecodeError as exc:
        raise ParseError(f"malformed JSON: {exc.msg}", call=call, fmt=fmt, line=exc.lineno,
                         col=exc.colno) from None
    except RecursionError:
        raise ParseError("malformed JSON: nested too deeply", call=call, fmt=fmt, line=1,
                         col=1) from None
    except ValueError as exc:
        if parse_int is not None:
            raise ParseError(f"malformed JSON: {exc}", call=call, fmt=fmt, line=1,
                             col=1) from None
        # An integer literal past Python's digit limit: read it as a Decimal, which the
        # field's reader then reports as out of range, with its $.path.
        return _stdlib_load(text, call, Decimal)


def _members(value: Any) -> int:
    """How many members the decoded objects of a body's top two levels hold (a lower bound
    of the members its text spells: repeated keys and deeper objects are not counted)."""
    if type(value) is list:
        return sum([len(v) for v in value if type(v) is dict])
    if type(value) is not dict:
        return 0
    count = len(value)
    for v in value.values():
        if type(v) is list:
            count += sum([len(x) for x in v if type(x) is dict])
    return count


def _refuse_duplicates(text: str | bytes, value: Any, call: str) -> None:
    """A ParseError at the second spelling of a key that an object of ``text`` repeats.

    Both decoders keep the last of repeated keys silently, so repeats are counted: every
    member's key ends in ``"`` then ``:``, and ``":`` appears elsewhere only inside a string
    as an escaped ``\\":``. So when the body spells ``":`` exactly as often as its decoded
    objects hold members, and no key has blanks before its colon, no key repeats (two C-level
    scans of the body). Otherwise (deeper objects, blanks before colons, or a repeat) a scan
    of the valid text's tokens decides, and says where.
    """
    if isinstance(text, bytes):
        if text.count(b'":') == _members(value) and _SPACED_KEY_BYTES.search(text) is None:
            return
        text = text.decode("utf-8", "surrogateescape")
    elif text.count('":') == _members(value) and _SPACED_KEY.search(text) is None:
        return
    keys: list[set[str] | None] = []
    key: re.Match[str] | None = None
    for token in _TOKEN.finditer(text):
        head = token[0][0]
        if head == '"':
            key = token
            continue
        if head == ":" and key is not None:
            seen = keys[-1]
            name = json.loads(key[0])
            if seen is not None:
                if name in seen:
                    at = key.start()
                    line = text.count("\n", 0, at) + 1
                    col = at - text.rfind("\n", 0, at)
                    raise ParseError(f"malformed JSON: duplicate key {clip(name)}", call=call,
                                     fmt=fmt, line=line, col=col)
                seen.add(name)
        elif head == "{":
            keys.append(set())
        elif head == "[":
            keys.append(None)
        elif head in "}]":
            keys.pop()
        key = None


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
    """A list body's records by the quickest route (see :class:`fast.JsonRecords`), or None
    when anything is unusual: then the generic path reads the body, or says what is wrong.

    The body is taken only when it spells ``":`` exactly as often as the records hold keys
    and no key has blanks before its colon, so no key repeats and none is unknown (see
    :func:`_refuse_duplicates`), and when every record converts on the fast path.
    """
    body = call.body
    if not isinstance(body, ListBody):
        return None
    typed = fast.json_records(record_plan(body.record, fmt, tz), tz)
    if typed is None:
        return None
    try:
        structs = typed.decode(data)
    except Exception:  # the generic path reads it, or reports why not
        return None
    if isinstance(data, bytes):
        if data.count(b'":') != typed.members(structs) or _SPACED_KEY_BYTES.search(data):
            return None
    elif data.count('":') != typed.members(structs) or _SPACED_KEY.search(data):
        return None
    records = list(map(typed.read, structs))
    return records if all(records) else None


class JsonCodec:
    """Decode and encode fmt=3 bodies of any call."""

    fmt = fmt

    def match_error(self, text: str) -> ApiError | None:
        if "error_code" not in text:
            return None
        try:
            value = load(text, "")
        except ParseError:
            return None  # not this format at all; the asked format's codec will say why
        return _error_of(value, "")

    def decode(self, text: str, call: CallSpec, tz: tzinfo) -> Any:
        records = _typed_list(text, call, tz)
        if records is not None:
            return records
        return self._reply(load(text, call.name), call, tz)

    def decode_utf8(self, body: bytes, call: CallSpec, tz: tzinfo) -> Any:
        """``decode(body.decode())`` without the text, for a body that may be UTF-8, or
        :data:`DECLINED` when msgspec cannot read it (then the charset chain and
        :meth:`decode` decide, as for any body).

        msgspec validates the UTF-8 of every string, and outside strings JSON is ASCII, so a
        body it reads is UTF-8 with no BOM and decodes to the text it read. Only an array or
        an object is taken: another format's error (``ERROR = 1``, ``0,-1``) is no JSON.
        """
        records = _typed_list(body, call, tz)
        if records is not None:
            return records
        try:
            value = _DECODE(body)
        except Exception:  # the text path gives the error, if any
            return DECLINED
        if type(value) is not list and type(value) is not dict:
            return DECLINED
        _refuse_duplicates(body, value, call.name)
        return self._reply(value, call, tz)

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

    def _array(self, records: Any, plan: RecordPlan) -> str:
        if not isinstance(records, list):
            raise EmitError(f"expected a list of {plan.spec.name}, "
                            f"got {type(records).__name__}")
        write = fast.json_writer(plan)  # the reference _object only where it declines
        return "[" + ",\n".join([write(r) or self._object(r, plan) for r in records]) + "]"

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


DECLINED: Any = object()
"""What :meth:`JsonCodec.decode_utf8` returns for a body it leaves to the text path."""

CODEC = JsonCodec()
"""The fmt=3 codec."""
