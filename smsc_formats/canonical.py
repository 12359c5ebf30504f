"""Canonical JSON: the plain-data contract that tools and tests compare (decisions.md).

Records are objects with the canonical field names in fmt=3 order, instants are ISO 8601
strings with an offset, money is a decimal string, absent optional fields are ``null``, list
calls are arrays, ``get_price`` is an object and an error is ``{"error": {...}}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from .api import call_spec
from .codecs.plan import build_sections
from .errors import ParseError
from .model import MODELS, ApiError, Price, Reply
from .spec import CALLS, Field, Kind, ListBody, OneOrListBody, RecordBody, RecordSpec, SectionsBody
from .values import MOSCOW

JsonValue = Any


def _out(field: Field, value: Any) -> JsonValue:
    if value is None:
        return None
    if field.kind is Kind.INSTANT:
        return value.isoformat()
    if field.kind is Kind.MONEY:
        return format(value, "f")
    return value


def record_to_json(record: Any, spec: RecordSpec) -> dict[str, JsonValue]:
    """One record as a canonical JSON object."""
    return {f.name: _out(f, getattr(record, f.name)) for f in spec.fields}


def to_canonical(reply: Reply) -> JsonValue:
    """The canonical JSON data of any reply."""
    if isinstance(reply, ApiError):
        return {"error": {"code": reply.code, "description": reply.description}}
    if isinstance(reply, list):
        return [_record(r) for r in reply]
    if isinstance(reply, Price):
        return {"zones": [_record(z) for z in reply.zones],
                "codes": [_record(c) for c in reply.codes],
                "mail": None if reply.mail is None else format(reply.mail, "f")}
    return _record(reply)


_SPECS: dict[str, RecordSpec] = {
    spec.name: spec for call in CALLS.values() for spec in call.records()
}


def _record(record: Any) -> dict[str, JsonValue]:
    spec = _SPECS.get(type(record).__name__)
    if spec is None:
        raise TypeError(f"not a model record: {type(record).__name__}")
    return record_to_json(record, spec)


def _reader(field: Field, tz: tzinfo) -> Callable[[Any], Any]:
    kind = field.kind

    def read(value: Any) -> Any:
        if kind is Kind.INSTANT:
            if not isinstance(value, str):
                raise ValueError("expected an ISO 8601 string")
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                raise ValueError("expected an ISO 8601 string with an offset") from None
            if moment.tzinfo is None:
                raise ValueError("expected an offset in the ISO 8601 string")
            return moment.astimezone(tz)
        if kind is Kind.MONEY:
            if not isinstance(value, str):
                raise ValueError("expected a decimal string")
            try:
                number = Decimal(value)
            except InvalidOperation:
                raise ValueError("expected a decimal string") from None
            if not number.is_finite():
                raise ValueError("expected a finite decimal")
            return number
        if kind in (Kind.INT, Kind.TZ):
            if type(value) is not int:
                raise ValueError("expected an integer")
            return value
        if not isinstance(value, str):
            raise ValueError("expected a string")
        return value

    return read


def _from_record(data: Any, spec: RecordSpec, path: str, call: str, tz: tzinfo) -> Any:
    if not isinstance(data, dict):
        raise ParseError("expected an object", call=call, path=path)
    unknown = set(data) - {f.name for f in spec.fields}
    if unknown:
        raise ParseError(f"unknown keys {sorted(unknown)} for {spec.name}", call=call,
                         path=path)
    args: list[Any] = []
    for f in spec.fields:
        if f.name not in data:
            raise ParseError(f"missing key {f.name!r}", call=call, path=path)
        value = data[f.name]
        if value is None and f.optional:
            args.append(None)
            continue
        try:
            args.append(_reader(f, tz)(value))
        except ValueError as exc:
            raise ParseError(f"{exc}, got {value!r}", call=call,
                             path=f"{path}.{f.name}") from None
    return MODELS[spec.name](*args)


def _from_list(data: Any, spec: RecordSpec, path: str, call: str, tz: tzinfo) -> list[Any]:
    if not isinstance(data, list):
        raise ParseError("expected an array", call=call, path=path)
    return [_from_record(item, spec, f"{path}[{i}]", call, tz) for i, item in enumerate(data)]


def from_canonical(data: JsonValue, *, call: str, server_tz: tzinfo = MOSCOW) -> Reply:
    """The reply that canonical JSON data describes; bad data is a ParseError with a $.path."""
    spec = call_spec(call)
    if isinstance(data, dict) and set(data) == {"error"}:
        error = data["error"]
        if (not isinstance(error, dict) or set(error) != {"code", "description"}
                or type(error.get("code")) is not int):
            raise ParseError("expected {'code': int, 'description': str | null}", call=call,
                             path="$.error")
        description = error.get("description")
        if description is not None and not isinstance(description, str):
            raise ParseError("expected a string or null", call=call, path="$.error.description")
        return ApiError(error["code"], description)
    body = spec.body
    if isinstance(body, ListBody):
        return _from_list(data, body.record, "$", call, server_tz)
    if isinstance(body, RecordBody):
        return _from_record(data, body.record, "$", call, server_tz)  # type: ignore[no-any-return]
    if isinstance(body, OneOrListBody):
        if isinstance(data, list):
            return _from_list(data, body.many, "$", call, server_tz)
        return _from_record(data, body.one, "$", call, server_tz)  # type: ignore[no-any-return]
    assert isinstance(body, SectionsBody)
    if not isinstance(data, dict):
        raise ParseError("expected an object", call=call, path="$")
    keys = [s.name for s in body.sections] + [body.tail.name]
    if set(data) != set(keys):
        raise ParseError(f"expected exactly the keys {keys}, got {sorted(data)}", call=call,
                         path="$")
    lists = [tuple(_from_list(data.get(s.name), s.record, f"$.{s.name}", call, server_tz))
             for s in body.sections]
    mail = data.get(body.tail.name)
    if mail is not None:
        try:
            mail = _reader(body.tail, server_tz)(mail)
        except ValueError as exc:
            raise ParseError(f"{exc}, got {mail!r}", call=call,
                             path=f"$.{body.tail.name}") from None
    return build_sections(body, lists, mail)


def loads_canonical(text: bytes | str, *, call: str, server_tz: tzinfo = MOSCOW) -> Reply:
    """The reply that a canonical JSON document describes (the text of ``to_canonical``).

    Bad text is a :class:`ParseError` at its line and column: malformed or too deeply nested
    JSON, bytes that are not UTF-8; bad data is a ParseError with its ``$.path``.
    """
    try:
        data = json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8: byte 0x{text[exc.start]:02x} at offset {exc.start}",
                         call=call) from None
    except json.JSONDecodeError as exc:
        raise ParseError(f"not canonical JSON: {exc.msg}", call=call, line=exc.lineno,
                         col=exc.colno) from None
    except RecursionError:
        raise ParseError("not canonical JSON: nested too deeply", call=call, line=1,
                         col=1) from None
    return from_canonical(data, call=call, server_tz=server_tz)
