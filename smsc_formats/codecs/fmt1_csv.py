"""fmt=1: values joined by ``,`` with no quoting, one record per line.

As the official SMSC clients do, a record is split on commas (by :mod:`.line_tokens`): the
fields before the free text from the left, the fields after it from the right, and the free text
keeps whatever commas are left. A line begins a record when it has enough columns and every
field before the free text has its declared shape; otherwise it continues the previous record's
message. This module writes records and errors. An error is ``0,-N``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..errors import EmitError
from ..model import ApiError
from ..spec import Field
from . import line_tokens
from .lines import LineCodec
from .plan import RecordPlan

_ERROR = re.compile(r"0,-([0-9]{1,18})")


class CsvDialect:
    """The comma-separated dialect of the line engine."""

    fmt = 1

    def head(self, plan: RecordPlan) -> Callable[[str], object]:
        return line_tokens.head(plan, 1)

    def head_pattern(self, plan: RecordPlan) -> str:
        return line_tokens.head_pattern(plan)

    def join(self, plan: RecordPlan, raw: Sequence[str | None]) -> str:
        for i, value in enumerate(raw):
            if value is not None and "," in value and i != plan.free:
                sp = plan.slots[i]
                raise EmitError(f"{plan.spec.name}.{sp.field.name}: a comma cannot be written "
                                 f"in fmt=1 outside the free-text field")
        return ",".join(["" if v is None else v for v in raw])

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
