"""What every format's tokenizer gives: the items of one record as written.

The three tokenizers (``line_tokens`` for fmt=0 and fmt=1, ``xml_tokens`` for fmt=2,
``json_tokens`` for fmt=3) are the only code that knows a format's syntax. Each turns a body
into records made of ordered :class:`Token` items; ``parse`` converts them with the spec's
converters, ``iter_parse`` feeds the same tokenizer chunk by chunk, and the wire view that
``check`` and ``drift`` use shows them unconverted.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Token:
    """One item of one record as written.

    ``key`` is the wire key (fmt=2: ``@name`` for an attribute, ``#text`` for element text);
    ``raw`` the text as written (None for a nested list or object, and for JSON null);
    ``json`` the JSON type in fmt=3 (``string``, ``number``, ``boolean``, ``null``,
    ``object``, ``array``) and None elsewhere; ``line`` and ``col`` where the text begins
    (1-based).
    """

    key: str
    raw: str | None
    line: int
    col: int
    json: str | None = None


__all__ = ["Token"]
