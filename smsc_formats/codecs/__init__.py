"""One codec per format, and the table that dispatches to them.

Each codec reads a decoded body of any call into the canonical model and writes the model back
in the server's layout; it recognises and writes its format's error shape too. Codecs are
driven by the spec's per-(record, format) plans and contain no per-call cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any, Protocol

from ..model import ApiError
from ..spec import CallSpec
from . import fmt0_text, fmt1_csv, fmt2_xml, fmt3_json


class Codec(Protocol):
    """What every format's codec offers."""

    fmt: int

    def decode(self, text: str, call: CallSpec, tz: tzinfo) -> Any:
        """The reply a whole (decoded, non-error) body carries."""

    def encode(self, reply: Any, call: CallSpec, tz: tzinfo) -> str:
        """The body text for a (non-error) reply."""

    def encode_utf8(self, reply: Any, call: CallSpec, tz: tzinfo) -> bytes | None:
        """The UTF-8 body of a list reply written straight to bytes (the compiled writer,
        :mod:`.native`), or None: then ``encode`` writes it (and says what is wrong)."""

    def match_error(self, text: str) -> ApiError | None:
        """The error if the whole body is this format's error shape, else None."""

    def write_error(self, error: ApiError) -> str:
        """The body text for an error."""


CODECS: Mapping[int, Codec] = {
    0: fmt0_text.CODEC,
    1: fmt1_csv.CODEC,
    2: fmt2_xml.CODEC,
    3: fmt3_json.CODEC,
}
"""The codec for each ``fmt``."""

__all__ = ["CODECS", "Codec"]
