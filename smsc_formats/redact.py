"""Pseudonyms for personal data in recorded bodies: parse, rewrite the values, emit again.

A body is rewritten through its value, never by searching its bytes, so every format of a case
says the same thing afterwards and ``check`` stays clean. The pseudonym of a value is derived
from an HMAC of it under a key, so it is deterministic: the same phone becomes the same fake
phone in every case, format and run with that key. It keeps the value's shape:

* a code (``phone``, ``to_phone``, ``sender_id``, ...) keeps its length and every character
  that is neither a digit nor a letter (a leading ``+``); each digit becomes a digit, each
  letter a letter of the same script and case;
* a free text (``message``, a zone's ``name``, a ``link``) keeps its whitespace, so the same
  lines and line lengths; every other character becomes a digit or a letter, from letters that
  UTF-8, windows-1251 and koi8-r all encode. No comma, ``=`` or quote is left to look like
  layout.

This module is pure (values in, values out); :mod:`smsc_formats.edge.redact` reads the key and
the configuration, and the recorder calls :meth:`Redactor.body` on every body it stores.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .api import emit, parse
from .errors import EmitError, ParseError, SmscFormatsError
from .model import ApiError, Price, Reply
from .spec import CALLS, Kind, RecordSpec

BeforeRecord = Callable[[Reply], Reply]
"""A user's hook: takes the (already masked) reply of one body and returns the one to store."""

_SPECS: dict[str, RecordSpec] = {spec.name: spec for call in CALLS.values()
                                 for spec in call.records()}
REDACTABLE: frozenset[str] = frozenset(
    f.name for spec in _SPECS.values() for f in spec.fields if f.kind in (Kind.CODE, Kind.TEXT))
"""The fields that can be masked: every text field of every record."""
_NAMESPACE = {"to_phone": "phone"}
"""Fields that share pseudonyms: a number is the same fake number as ``phone`` or ``to_phone``."""
_LATIN = "abcdefghijklmnopqrstuvwxyz"
_CYRILLIC = "абвгдежзийклмнопрстуфхцчшщъыьэюя"


class RedactError(SmscFormatsError):
    """A body that cannot be masked (it does not parse, or the masked value cannot be
    written back); nothing is stored. The message never quotes the body."""


def _stream(key: bytes, namespace: str, value: str, size: int, attempt: int) -> bytes:
    out = b""
    block = 0
    while len(out) < size:
        msg = f"{namespace}\0{attempt}\0{block}\0{value}".encode()
        out += hmac.new(key, msg, hashlib.sha256).digest()
        block += 1
    return out


def _one(c: str, b: int, free: bool) -> str:
    if c.isascii() and c.isdigit():
        return "0123456789"[b % 10]
    if c.isascii() and c.isalpha():
        letter = _LATIN[b % 26]
        return letter.upper() if c.isupper() else letter
    if c.lower() in _CYRILLIC or c.lower() == "ё":
        letter = _CYRILLIC[b % 32]
        return letter.upper() if c.isupper() else letter
    if not free or c.isspace():
        return c
    return (_LATIN + "0123456789")[b % 36]


def pseudonym(key: bytes, field: str, value: str, *, free_text: bool = False) -> str:
    """The deterministic fake for ``value`` of ``field``, of the same shape (module docstring).

    It differs from ``value`` whenever ``value`` has a digit or a letter to change.
    """
    namespace = _NAMESPACE.get(field, field)
    for attempt in range(16):
        data = _stream(key, namespace, value, len(value), attempt)
        fake = "".join(_one(c, b, free_text) for c, b in zip(value, data, strict=False))
        if fake != value:
            return fake
    return fake


@dataclasses.dataclass(frozen=True)
class Redactor:
    """Masks ``fields`` (names from :data:`REDACTABLE`) under ``key``; ``before_record``, if
    given, then rewrites whatever else the user wants."""

    fields: frozenset[str]
    key: bytes
    before_record: BeforeRecord | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.fields) - REDACTABLE)
        if unknown:
            raise RedactError(f"cannot redact {', '.join(unknown)}: known text fields are "
                              f"{', '.join(sorted(REDACTABLE))}")
        if not self.key:
            raise RedactError("the redaction key is empty")

    @classmethod
    def of(cls, fields: Iterable[str], key: bytes,
           before_record: BeforeRecord | None = None) -> Redactor:
        """A redactor for field names as given on the command line (blanks ignored)."""
        return cls(frozenset(f.strip() for f in fields if f.strip()), key, before_record)

    def _record(self, record: Any) -> Any:
        spec = _SPECS[type(record).__name__]
        changes = {}
        for field in spec.fields:
            value = getattr(record, field.name)
            if field.name in self.fields and isinstance(value, str):
                changes[field.name] = pseudonym(self.key, field.name, value,
                                                free_text=field.name == spec.free_text)
        return dataclasses.replace(record, **changes) if changes else record

    def reply(self, reply: Reply) -> Reply:
        """``reply`` with the fields masked, then passed through ``before_record``."""
        out: Reply
        if isinstance(reply, ApiError):
            out = reply
        elif isinstance(reply, Price):
            out = Price(tuple(map(self._record, reply.zones)),
                        tuple(map(self._record, reply.codes)), reply.mail)
        elif isinstance(reply, list):
            out = [self._record(r) for r in reply]
        else:
            out = self._record(reply)
        return self.before_record(out) if self.before_record is not None else out

    def body(self, body: bytes, *, call: str, fmt: int, charset: str = "utf-8") -> bytes:
        """The body with its values masked, in the same format and charset; a body left
        unchanged by the masking is returned byte for byte. :class:`RedactError` if the body
        does not parse or the masked value cannot be written and read back the same."""
        where = f"{call} fmt {fmt}"
        try:
            reply = parse(body, call=call, fmt=fmt, charset=charset)
        except ParseError as exc:
            at = f" (line {exc.line})" if exc.line is not None else ""
            raise RedactError(f"{where}: the body does not parse{at}, so it cannot be masked; "
                              "nothing stored") from None
        masked = self.reply(reply)
        if masked == reply:
            return body
        try:
            out = emit(masked, call=call, fmt=fmt, charset=charset)
            back = parse(out, call=call, fmt=fmt, charset=charset)
        except (EmitError, ParseError):
            back = None
        if back != masked:
            raise RedactError(f"{where}: the masked reply cannot be written in this format "
                              "and read back the same; nothing stored")
        return out

    def params(self, params: Mapping[str, str]) -> dict[str, str]:
        """Request parameters with the masked fields' values masked alike (a comma-separated
        list item by item), so ``meta.json`` names no number the bodies hide."""
        out = dict(params)
        for name, value in params.items():
            if name in self.fields:
                out[name] = ",".join(pseudonym(self.key, name, v) for v in value.split(","))
        return out


__all__ = ["REDACTABLE", "BeforeRecord", "RedactError", "Redactor", "pseudonym"]
