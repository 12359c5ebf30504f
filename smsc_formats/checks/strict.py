"""Strict parsing: :func:`smsc_formats.parse`, then every conformance finding raises.

It lives above the parser core on purpose: ``parse`` reads a body and knows nothing of the
checks, and this module puts the two together for a caller who wants any deviation from the
documented layout (a date string that disagrees with its timestamp, an undocumented key) to
stop the program rather than be reported.
"""

from __future__ import annotations

from datetime import tzinfo

from ..api import parse
from ..charset import decode
from ..errors import ParseError
from ..model import Reply
from ..values import MOSCOW
from .conformance import check_text


def parse_strict(body: bytes | str, *, call: str, fmt: int | None = None,
                 charset: str | None = None, content_type: str | None = None,
                 server_tz: tzinfo = MOSCOW) -> Reply:
    """What :func:`~smsc_formats.parse` gives, or a :class:`ParseError` for the first
    conformance finding (the message counts them all)."""
    reply = parse(body, call=call, fmt=fmt, charset=charset, content_type=content_type,
                  server_tz=server_tz)
    text, used = decode(body, charset, content_type)
    findings = check_text(text, call=call, fmt=fmt, server_tz=server_tz, charset=used)
    if findings:
        first = findings[0]
        raise ParseError(f"{first.message} ({len(findings)} finding(s) in strict mode)",
                         call=call, fmt=first.fmt, line=first.line, col=first.col,
                         path=first.path)
    return reply


__all__ = ["parse_strict"]
