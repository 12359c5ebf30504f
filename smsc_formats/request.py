"""Build and validate request parameters from the spec, before anything is sent.

:func:`build_request` checks every parameter against the documented limits (``cnt`` at most
1000 for history and 10000 for incoming messages, ``hour`` at most 168, ``dd.mm.yyyy`` dates, the
six-month history window, ...) and fails with a :class:`RequestError` naming the parameter.
Credentials travel separately in :class:`Credentials`, whose ``repr`` never shows them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from .errors import RequestError
from .spec import CALLS, SECRET_PARAMS, CallSpec, ParamKind


@dataclass(frozen=True, slots=True)
class Credentials:
    """``login`` + ``psw``, or an ``apikey``; shown as ``Credentials(***)``."""

    login: str | None = None
    psw: str | None = field(default=None, repr=False)
    apikey: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.apikey:
            if self.login or self.psw:
                raise RequestError("give either login and psw, or apikey, not both")
        elif not (self.login and self.psw):
            raise RequestError("credentials need both login and psw, or an apikey")

    def __repr__(self) -> str:
        return "Credentials(***)"

    def params(self) -> dict[str, str]:
        """The credential parameters as sent."""
        if self.apikey:
            return {"apikey": self.apikey}
        return {"login": self.login or "", "psw": self.psw or ""}

    def values(self) -> tuple[str, ...]:
        """Every secret value, for redaction and scanning."""
        return tuple(v for v in (self.login, self.psw, self.apikey) if v)


@dataclass(frozen=True, slots=True)
class Request:
    """One request of one call: where it goes and its non-secret parameters."""

    call: str
    path: str
    params: Mapping[str, str]
    """Selector, ``fmt``, ``charset`` and the call's own parameters; never credentials."""

    def query(self, credentials: Credentials | None) -> dict[str, str]:
        """The full parameter set to send, with the credentials added."""
        out = dict(self.params)
        if credentials is not None:
            out.update(credentials.params())
        return out


_DATE = re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{4}")


def parse_date(value: str, name: str) -> date:
    """A ``dd.mm.yyyy`` request date; anything else is a RequestError naming the parameter."""
    try:
        if not _DATE.fullmatch(value):  # strptime alone would take "1.1.2026"
            raise ValueError(value)
        return datetime.strptime(value, "%d.%m.%Y").date()
    except ValueError:
        raise RequestError(f"{name}: expected a date dd.mm.yyyy, got {value!r}") from None


def validate(spec: CallSpec, params: Mapping[str, str]) -> None:
    """Check ``params`` (no credentials) against the call's documented parameters."""
    known = {p.name: p for p in spec.params}
    for name, value in params.items():
        if name in SECRET_PARAMS:
            raise RequestError(f"{name}: pass credentials separately, not as a parameter")
        param = known.get(name)
        if param is None:
            allowed = ", ".join(p for p in known if p not in SECRET_PARAMS)
            raise RequestError(f"{name}: not a parameter of {spec.name} (known: {allowed})")
        if param.kind is ParamKind.INT:
            if not (value.isascii() and value.lstrip("-").isdigit()):
                raise RequestError(f"{name}: expected an integer, got {value!r}")
            number = int(value)
            if param.minimum is not None and number < param.minimum:
                raise RequestError(f"{name}: at least {param.minimum}, got {number}")
            if param.maximum is not None and number > param.maximum:
                raise RequestError(f"{name}: at most {param.maximum}, got {number}")
        elif param.kind is ParamKind.DATE:
            parse_date(value, name)
        if param.choices and value not in param.choices:
            raise RequestError(f"{name}: one of {', '.join(param.choices)}, got {value!r}")
    for group in spec.required:
        if not any(params.get(n) for n in group):
            raise RequestError(f"{spec.name} needs {' or '.join(group)}")
    if "start" in params and "end" in params:
        start, end = parse_date(params["start"], "start"), parse_date(params["end"], "end")
        if end < start:
            raise RequestError("end: before start")
        if spec.max_period_days is not None and (end - start).days > spec.max_period_days:
            raise RequestError(f"end: the period is at most {spec.max_period_days} days "
                               f"(six months), got {(end - start).days}")
    elif "end" in params and "start" not in params and "start" in known:
        raise RequestError("end: given without start")


def build_request(call: str, *, fmt: int, charset: str | None = "utf-8",
                  **params: str | int) -> Request:
    """The request for ``call`` in ``fmt``, validated against the documented limits."""
    spec = CALLS.get(call)
    if spec is None:
        raise RequestError(f"unknown call {call!r}; known: {', '.join(CALLS)}")
    text = {k: str(v) for k, v in params.items()}
    text["fmt"] = str(fmt)
    if charset:
        text["charset"] = charset
    validate(spec, text)
    return Request(call=call, path=spec.path, params={spec.selector: "1", **text})
