"""fmt=1: values joined by ``,`` with no quoting, one record per line.

As the official SMSC clients do, a record is split on commas: the fields before the free text
from the left, the fields after it from the right, and the free text keeps whatever commas are
left. A line begins a record when it has enough columns and every field before the free text
has its declared shape; otherwise it continues the previous record's message. An error is
``0,-N``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import EmitError
from ..model import ApiError
from ..spec import Field, Form, Kind
from ..values import SHAPES, ValueProblem
from . import fast
from .lines import LineCodec
from .plan import RecordPlan

_ERROR = re.compile(r"0,-([0-9]{1,18})")


def _shape(plan: RecordPlan, index: int) -> str:
    sp = plan.slots[index]
    form = sp.slot.form if sp.field.kind is Kind.INSTANT else Form.VALUE
    shape = SHAPES[(sp.field.kind, form)]
    if sp.field.kind in (Kind.TEXT, Kind.CODE):
        shape = "[^,\\n]*"  # no line break: heads are also found in a whole body
    return f"(?:{shape})?" if sp.field.optional else shape


class CsvDialect:
    """The comma-separated dialect of the line engine."""

    fmt = 1

    def head(self, plan: RecordPlan) -> Callable[[str], bool]:
        width = plan.width
        if plan.free is None:
            return lambda line: line.count(",") == width - 1
        if not plan.spec.multiline:
            return lambda line: line.count(",") >= width - 1
        match = re.compile(self.head_pattern(plan)).match
        return lambda line: match(line) is not None

    def head_pattern(self, plan: RecordPlan) -> str:
        free = plan.free or 0
        return ",".join(_shape(plan, i) for i in range(free)) + ("," if free else "")

    def reader(self, plan: RecordPlan) -> Callable[[str], Any]:
        return fast.split_reader(plan, plan.tz)

    def split(self, plan: RecordPlan, text: str) -> list[tuple[str | None, int]]:
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
        out: list[tuple[str | None, int]] = []
        offset = 0
        for value in values:
            out.append((value, offset))
            offset += len(value) + 1
        return out

    def join(self, plan: RecordPlan, raw: Sequence[str | None]) -> str:
        for i, value in enumerate(raw):
            if value is not None and "," in value and i != plan.free:
                sp = plan.slots[i]
                raise EmitError(f"{plan.spec.name}.{sp.field.name}: a comma cannot be written "
                                 f"in fmt=1 outside the free-text field")
        return ",".join(["" if v is None else v for v in raw])

    def tail_head(self, tail: Field) -> Callable[[str], bool]:
        return lambda line: "," not in line and line != ""

    def tail_split(self, tail: Field, text: str) -> tuple[str, int]:
        return text, 0

    def tail_join(self, tail: Field, raw: str) -> str:
        return raw

    def match_error(self, text: str) -> ApiError | None:
        if not text.startswith("0,-"):
            return None
        m = _ERROR.fullmatch(text.rstrip("\r\n"))
        return None if m is None else ApiError(int(m.group(1)), None)

    def write_error(self, error: ApiError) -> str:
        return f"0,-{error.code}"


CODEC = LineCodec(CsvDialect())
"""The fmt=1 codec."""
