"""The compiled record builder (see smsc_formats/_native.c and smsc_formats/codecs/native.py)."""

from typing import Any

def read(program: tuple[Any, ...], rows: list[Any], /) -> list[Any] | None: ...
