"""What ``check`` and ``drift`` do, above the parser core: the wire view (tokens without
conversion), conformance findings, drift signatures, reports, ignore entries, and strict
parsing (:func:`parse_strict`)."""

from __future__ import annotations

from .strict import parse_strict

__all__ = ["parse_strict"]
