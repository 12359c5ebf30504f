"""fmt=0: ``key = value`` pairs joined by ``", "``, one record per line.

A record is read with one compiled pattern: the fields before the free text end at the first
``", <next key> = "``, the free text takes everything up to the last ``", <next key> = "``, and
the fields after it are read from the end of the record. Optional fields (``err``) may be left
out, and ``key = value`` pairs the page does not list after the last field are passed over
(conformance reports them). An error is ``ERROR = N (description)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from ..errors import a
from ..model import ApiError
from ..spec import Field
from ..values import ValueProblem
from . import fast
from .lines import LineCodec
from .plan import RecordPlan

_ERROR = re.compile(r"ERROR = (-?[0-9]{1,18})(?: \((.*)\))?", re.DOTALL)


_GREEDY = "([^,]*+(?:,[^,]*+)*)"
_LAZY = "([^,]*+(?:,[^,]*+)*?)"
_EXTRA_PAIRS = r"(?:, [A-Za-z_][A-Za-z0-9_]* = [^,]*+(?:,[^,]*+)*?)*"


@cache
def record_pattern(plan: RecordPlan) -> re.Pattern[str]:
    """The one pattern that reads a whole record of ``plan``."""
    parts = []
    for i, sp in enumerate(plan.slots):
        # (.*) and (.*?) that only stop before commas: the same matches, without trying
        # ", next key = " at every character
        value = _GREEDY if i == plan.free else _LAZY
        part = ("" if i == 0 else ", ") + re.escape(sp.slot.wire) + " = " + value
        parts.append(f"(?:{part})?" if sp.field.optional and i else part)
    if plan.free != len(plan.slots) - 1:
        # Keys the page does not list, appended after the last one (as real error bodies do
        # in JSON): skipped here, reported by conformance, never glued to the last value.
        parts.append(_EXTRA_PAIRS)
    return re.compile("".join(parts), re.DOTALL)


class TextDialect:
    """The ``key = value`` dialect of the line engine."""

    fmt = 0

    def head(self, plan: RecordPlan) -> Callable[[str], bool]:
        prefix = plan.slots[0].slot.wire + " = "
        return lambda line: line.startswith(prefix)

    def head_pattern(self, plan: RecordPlan) -> str:
        return re.escape(plan.slots[0].slot.wire + " = ")

    def reader(self, plan: RecordPlan) -> Callable[[str], Any]:
        return fast.groups_reader(plan, record_pattern(plan), plan.tz)

    def split(self, plan: RecordPlan, text: str) -> list[tuple[str | None, int]]:
        m = record_pattern(plan).fullmatch(text)
        if m is None:
            keys = ", ".join(f"{sp.slot.wire} = …" for sp in plan.slots)
            raise ValueProblem(f"not {a(plan.spec.name)} record; expected {keys}", 0)
        return [(m.group(g), m.start(g)) for g in range(1, len(plan.slots) + 1)]

    def join(self, plan: RecordPlan, raw: Sequence[str | None]) -> str:
        return ", ".join([f"{sp.slot.wire} = {value}"
                          for sp, value in zip(plan.slots, raw, strict=True)
                          if value is not None])

    def tail_head(self, tail: Field) -> Callable[[str], bool]:
        prefix = tail.name + " = "
        return lambda line: line.startswith(prefix)

    def tail_split(self, tail: Field, text: str) -> tuple[str, int]:
        start = len(tail.name) + 3
        return text[start:], start

    def tail_join(self, tail: Field, raw: str) -> str:
        return f"{tail.name} = {raw}"

    def match_error(self, text: str) -> ApiError | None:
        if not text.startswith("ERROR = "):
            return None
        m = _ERROR.fullmatch(text.rstrip("\r\n"))
        if m is None:
            return None
        return ApiError(int(m.group(1)), m.group(2))

    def write_error(self, error: ApiError) -> str:
        if error.description is None:
            return f"ERROR = {error.code}"
        return f"ERROR = {error.code} ({error.description})"


CODEC = LineCodec(TextDialect())
"""The fmt=0 codec."""
