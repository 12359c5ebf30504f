"""fmt=0: ``key = value`` pairs joined by ``", "``, one record per line.

Records are read by :mod:`.line_tokens` (the fields before the free text end at the first
``", <next key> = "``, the free text at the last ``", <next key> = "`` that leaves the later keys
in order; optional fields such as ``err`` may be left out; keys the page does not list after
the last field are passed over and reported by conformance). This module writes records and
errors. An error is ``ERROR = N (description)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..model import ApiError
from ..spec import Field
from . import line_tokens
from .lines import LineCodec
from .plan import RecordPlan

_ERROR = re.compile(r"ERROR = (-?[0-9]{1,18})(?: \((.*)\))?", re.DOTALL)


class TextDialect:
    """The ``key = value`` dialect of the line engine."""

    fmt = 0

    def head(self, plan: RecordPlan) -> Callable[[str], object]:
        return line_tokens.head(plan, 0)

    def join(self, plan: RecordPlan, raw: Sequence[str | None]) -> str:
        return ", ".join([f"{sp.slot.wire} = {value}"
                          for sp, value in zip(plan.slots, raw, strict=True)
                          if value is not None])

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
