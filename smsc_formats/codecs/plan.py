"""Per-(record, format) plans compiled once from the spec, shared by the four codecs.

A plan pairs every wire slot with its field, its reader and its writer, so a codec loops over
slots and never asks which call it is serving.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from functools import cache
from typing import Any

from ..errors import EmitError, ParseError
from ..model import MODELS, Price
from ..spec import Field, Form, Kind, ListBody, OneOrListBody, RecordSpec, SectionsBody, Slot
from ..values import MOSCOW, Reader, ValueProblem, Writer, json_reader, reader, writer

MISSING: Any = object()
"""Marks a field no slot has filled yet."""

DECLINED: Any = object()
"""What a codec's ``decode_utf8`` gives for a body it leaves to the charset chain and
``decode``."""


@dataclass(frozen=True, slots=True)
class SlotPlan:
    """One wire slot with everything needed to read and write it."""

    slot: Slot
    field: Field
    index: int
    """The field's position in canonical order (the model constructor's argument)."""
    read: Reader
    read_json: Callable[[Any], Any]
    write: Writer
    primary: bool
    """False for a date slot whose field also has a timestamp slot in this format."""


@dataclass(frozen=True, slots=True, eq=False)
class RecordPlan:
    """How one kind of record is laid out in one format (one instance per spec, fmt and tz,
    compared and hashed by identity so per-plan caches stay cheap)."""

    spec: RecordSpec
    fmt: int
    model: Callable[..., Any]
    slots: tuple[SlotPlan, ...]
    free: int | None
    """Index into ``slots`` of the free-text slot, if the record has one in this format."""
    tz: tzinfo = MOSCOW
    """The server timezone the slots' readers and writers use."""

    @property
    def width(self) -> int:
        return len(self.slots)

    def build(self, values: Sequence[Any], where: Callable[[str], ParseError]) -> Any:
        """The model value from per-field values (``MISSING`` where absent)."""
        args = list(values)
        for i, f in enumerate(self.spec.fields):
            if args[i] is MISSING:
                if not f.optional:
                    raise where(f"missing field {f.name!r}")
                args[i] = None
        return self.model(*args)

    def values_of(self, record: Any) -> list[Any]:
        """The model value's fields in canonical order."""
        return [getattr(record, f.name) for f in self.spec.fields]


@cache
def record_plan(spec: RecordSpec, fmt: int, tz: tzinfo = MOSCOW) -> RecordPlan:
    """Compile (once) the plan for ``spec`` in format ``fmt``."""
    index = {f.name: i for i, f in enumerate(spec.fields)}
    layout = spec.layouts[fmt]
    timestamped = {s.field for s in layout if s.form is Form.TIMESTAMP}
    plans = []
    for slot in layout:
        f = spec.fields[index[slot.field]]
        form = slot.form if f.kind is Kind.INSTANT else Form.VALUE
        plans.append(SlotPlan(
            slot=slot, field=f, index=index[slot.field],
            read=reader(f.kind, form, tz), read_json=json_reader(f.kind, form, tz),
            write=writer(f.kind, form, tz),
            primary=not (form is Form.DATE and slot.field in timestamped),
        ))
    free = next((i for i, p in enumerate(plans) if p.field.name == spec.free_text), None)
    return RecordPlan(spec=spec, fmt=fmt, model=MODELS[spec.name], slots=tuple(plans),
                      free=free, tz=tz)


def build_sections(body: SectionsBody, lists: Sequence[Sequence[Any]], tail: Any) -> Price:
    """The ``Price``-like model of a sectioned body from its lists and its tail value."""
    values: dict[str, Any] = {s.name: tuple(items) for s, items in zip(body.sections, lists,
                                                                         strict=True)}
    values[body.tail.name] = tail
    model: Any = MODELS[body.model]
    return model(**values)  # type: ignore[no-any-return]


def write_value(write: Writer, value: Any, name: str) -> str:
    """One model value as wire text; a value its writer refuses is an EmitError naming it."""
    try:
        return write(value)
    except ValueProblem as exc:
        raise EmitError(f"{name}: {exc}") from None


def list_plan(body: Any, reply: Any, fmt: int, tz: tzinfo) -> RecordPlan | None:
    """The plan of a list reply's records (a list body, or the list form of a one-or-list
    body), or None for any other reply."""
    if not isinstance(reply, list):
        return None
    if isinstance(body, ListBody):
        return record_plan(body.record, fmt, tz)
    if isinstance(body, OneOrListBody):
        return record_plan(body.many, fmt, tz)
    return None


def check_type(value: Any, spec: RecordSpec) -> None:
    """Refuse to emit a value that is not a ``spec`` record (say which type was expected)."""
    if type(value).__name__ != spec.name or type(value) is not MODELS[spec.name]:
        raise EmitError(f"expected a {spec.name}, got {type(value).__name__}")


__all__ = ["MISSING", "RecordPlan", "SlotPlan", "ValueProblem", "build_sections", "check_type",
           "list_plan", "record_plan", "write_value"]
