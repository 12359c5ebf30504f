"""The simulator's request logic, free of sockets: decoded parameters in, an :class:`Answer` out.

It picks the call by the spec's path and selector, checks the credentials (error 2), validates
the parameters with :func:`smsc_formats.request.validate` (error 1), enforces the spec's rate
limits (error 9, :mod:`~smsc_formats.sim.limits`) and answers from the seeded
:mod:`~smsc_formats.sim.dataset` through :func:`smsc_formats.emit`, in the asked ``fmt`` and
``charset`` (UTF-8 unless asked otherwise). Errors are HTTP 200 with the error body, as the
real server sends them. With ``drift`` set, data bodies carry one kind of
:mod:`~smsc_formats.sim.drifts`. The HTTP server around it is :mod:`smsc_formats.edge.simulator`.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

from ..api import emit
from ..charset import SUPPORTED
from ..errors import RequestError
from ..model import ApiError, Reply
from ..request import validate
from ..spec import CALLS, CONTENT_TYPES, FORMATS, SECRET_PARAMS, CallSpec
from .dataset import ANSWERS, APIKEY_ACCOUNT, Dataset, make_dataset
from .drifts import DRIFTS, render
from .limits import Clock, ServerLimits

DEFAULT_CHARSET = "utf-8"
CHARSETS: tuple[str, ...] = SUPPORTED
"""The charsets a request may ask for."""

DESCRIPTIONS: Mapping[int, str] = {
    1: "parameters error",
    2: "authorise error",
    9: "duplicate request, wait a minute",
}
"""The description of each error the simulator itself raises (error 3 comes from the spec)."""
TOO_MANY_CONCURRENT = "too many concurrent requests"

ANY_CALL = next(iter(CALLS.values()))
"""Errors look the same for every call; this one names them when no call was selected."""

AccessLog = Callable[[str], None]


@dataclass(frozen=True)
class SimulatorConfig:
    """How the simulator behaves: its dataset seed, the account it accepts, limits, drift."""

    seed: int = 0
    login: str | None = "demo"
    psw: str | None = "demo-password"
    apikey: str | None = None
    limits: bool = True
    """Enforce SMSC's rate limits (error 9)."""
    drift: str | None = None
    """Inject one kind of :data:`~smsc_formats.sim.drifts.DRIFTS`; None answers faithfully."""
    clock: Clock = field(default=time.monotonic, repr=False, compare=False)
    """The clock the rate limits read; tests pass a fake one instead of sleeping."""
    day: date | None = None
    """The day the data is pinned to (see :func:`~.dataset.make_dataset`); None: 24.11.2026."""

    def __post_init__(self) -> None:
        if self.drift is not None and self.drift not in DRIFTS:
            raise ValueError(f"unknown drift {self.drift!r}; known: {', '.join(DRIFTS)}")

    def __repr__(self) -> str:
        return (f"SimulatorConfig(seed={self.seed}, limits={self.limits}, "
                f"drift={self.drift!r}, credentials=***)")


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer, and what the access log may say about it."""

    status: int
    content_type: str
    body: bytes
    call: str = "-"
    fmt: str = "-"
    error: int | None = None


class Simulator:
    """The request logic, free of sockets: params in, :class:`Answer` out."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.dataset: Dataset = make_dataset(config.seed, config.day)
        self.limits = ServerLimits(config.clock)
        self.paths: dict[str, list[CallSpec]] = {}
        """The calls served under each path (``/sys/get.php`` ...), from the spec."""
        for spec in CALLS.values():
            self.paths.setdefault("/" + spec.path, []).append(spec)

    def handle(self, path: str, params: Mapping[str, str]) -> Answer:
        """The answer to a request for ``path`` with its (already decoded) parameters."""
        calls = self.paths.get(path)
        if calls is None:
            return Answer(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"Not Found")
        fmt = _int_or_none(params.get("fmt", "0"))
        charset = params.get("charset", DEFAULT_CHARSET).lower()
        if charset not in CHARSETS:
            charset = DEFAULT_CHARSET
        if fmt not in FORMATS:
            return self._error(None, 0, charset, 1, fmt_shown="?")
        assert fmt is not None
        selected = [c for c in calls if params.get(c.selector, "") not in ("", "0")]
        if len(selected) != 1:
            return self._error(None, fmt, charset, 1)
        spec = selected[0]
        account = self._account(params)
        if account is None:
            return self._error(spec, fmt, charset, 2)
        call_params = {k: v for k, v in params.items()
                       if k not in SECRET_PARAMS and k != spec.selector}
        if "charset" in call_params:
            call_params["charset"] = call_params["charset"].lower()
        try:
            validate(spec, call_params)
        except RequestError:
            return self._error(spec, fmt, charset, 1)
        key = "login:" + account if "apikey" not in params else "apikey:" + params["apikey"]
        if not self.config.limits:
            return self._answer(spec, fmt, charset, call_params, account)
        with self.limits.connection(key, spec) as crowded:
            if crowded is not None:
                return self._error(spec, fmt, charset, crowded.error, TOO_MANY_CONCURRENT)
            broken = self.limits.admit(key, spec, call_params)
            if broken is not None:
                return self._error(spec, fmt, charset, broken.error)
            return self._answer(spec, fmt, charset, call_params, account)

    def _account(self, params: Mapping[str, str]) -> str | None:
        """The login ``get_stat`` echoes if the credentials are right, else None."""
        cfg = self.config
        if "apikey" in params:
            ok = cfg.apikey is not None and _same(params["apikey"], cfg.apikey)
            return APIKEY_ACCOUNT if ok else None
        login, psw = params.get("login"), params.get("psw")
        if cfg.login is None or cfg.psw is None or login is None or psw is None:
            return None
        return login if _same(login, cfg.login) and _same(psw, cfg.psw) else None

    def _answer(self, spec: CallSpec, fmt: int, charset: str, params: Mapping[str, str],
                account: str) -> Answer:
        reply: Reply = ANSWERS[spec.name](self.dataset, params, account)
        body = render(reply, call=spec.name, fmt=fmt, charset=charset, drift=self.config.drift)
        error = reply.code if isinstance(reply, ApiError) else None
        return Answer(HTTPStatus.OK, _content_type(fmt, charset), body, spec.name, str(fmt),
                      error)

    def _error(self, spec: CallSpec | None, fmt: int, charset: str, code: int,
               description: str | None = None, *, fmt_shown: str | None = None) -> Answer:
        """An SMSC error body in ``fmt`` and ``charset``, with HTTP 200 like the real server."""
        error = ApiError(code, description or DESCRIPTIONS.get(code))
        body = emit(error, call=(spec or ANY_CALL).name, fmt=fmt, charset=charset)
        return Answer(HTTPStatus.OK, _content_type(fmt, charset), body,
                      spec.name if spec else "-", fmt_shown or str(fmt), code)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _int_or_none(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def _content_type(fmt: int, charset: str) -> str:
    return f"{CONTENT_TYPES[fmt]}; charset={charset}"


def decode_params(query: bytes) -> dict[str, str]:
    """A form-encoded query or body as parameters, decoded in the charset the request asks
    for (UTF-8 otherwise); a repeated parameter keeps its last value, as PHP does."""
    pairs = []
    for item in query.split(b"&"):
        if item:
            key, _, val = item.partition(b"=")
            pairs.append((unquote_to_bytes(key.replace(b"+", b" ")),
                          unquote_to_bytes(val.replace(b"+", b" "))))
    asked = dict(pairs).get(b"charset", b"").decode("ascii", "replace").lower()
    encoding = asked if asked in CHARSETS else DEFAULT_CHARSET
    return {k.decode(encoding, "replace"): v.decode(encoding, "replace") for k, v in pairs}
