"""The recorder: ask a server (the real SMSC or the simulator) and store its answers as cases.

Each case is one request of one call, recorded in up to four formats with the same parameters,
written with :func:`~smsc_formats.edge.store.write_case` (atomic: a recording killed at any
point leaves the previous corpus readable). The default cases, one table used by ``--help``
and the README, are :data:`DEFAULT_CASES`; their dates are pinned relative to an anchor day
``D`` (``as_of``, by default today in the server's timezone), and every day of their windows
lies before ``D``, so the four formats describe the same data even while new messages arrive.
The user's named cases (:mod:`smsc_formats.edge.cases`: ``[tool.smsc-formats.cases]`` and
``<corpus>/smsc-formats-cases.toml``) are planned after the defaults, under the same rules
below; one with the name of a default case replaces it.

What the recorder guarantees:

* **No stray requests.** It sends only the requests whose answers it stores; there is no
  credentials probe. Requests go round-robin over the cases (every case's first format, then
  every case's second, ...), so the waits the rate limits impose overlap.
* **Rate limits.** Before each request the :class:`~smsc_formats.edge.ledger.Limiter` waits as
  the documented limits (with a margin) and the ledger of earlier runs require.
* **Planned first.** The whole run's waits are foreseen from the ledger before the first
  request: the start event states the duration, and a wait over ``max_wait`` stops the run
  before anything is sent.
* **Retries** a request that met a connection reset, a timeout or an HTTP 5xx, at most
  twice, after :data:`RETRY_BACKOFF`; each try passes the limiter and counts.
* **Stops, never stores,** on error 2 (credentials refused), 4 (IP blocked) and 9 (too many
  requests), and on an HTTP status other than 200: :class:`RecordError` says why. Cases
  finished before the stop are kept; the case in progress is not written.
* **Secrets.** Credentials are replaced in every body (the login ``get_stat`` echoes becomes
  ``redacted-login``), never written to metadata, and every message passes through redaction.
* **Cross-format check.** The formats of a case must parse to the same canonical value (the
  error description fmt=1 lacks aside); otherwise ``meta.json``'s ``cross_format`` holds the
  explanation and the progress reports it.

Modes, for cases selected by ``calls`` and ``fmts``:

* ``once``: record a case only if its folder does not exist yet; existing cases are not
  touched and cost no request (a corpus is recorded once; later runs are no-ops).
* ``new``: also complete existing cases: the selected formats they lack are recorded with the
  case's own stored parameters and charset; bodies already there stay byte-identical.
* ``all``: re-record every selected case in the selected formats. Formats of the old case that
  were not selected are kept if the old case had the same parameters and charset, and dropped
  (with a note) otherwise.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..api import parse
from ..canonical import to_canonical
from ..errors import ParseError, RequestError
from ..model import ApiError
from ..redact import RedactError, Redactor
from ..request import Credentials, build_request
from ..spec import CALLS, FORMATS, RateLimit
from ..values import MOSCOW
from .cases import UserCase
from .http import FetchError, Response, check_base_url, fetch, host_of
from .ledger import Entry, Limiter, LimitWaitTooLong, account_id, params_key, server_id, wait_time
from .secrets import PLACEHOLDERS, named_secrets, redact, redact_message, xml_hits
from .store import (
    BODY_FILES,
    Case,
    FormatMeta,
    StoreError,
    header_problem,
    load_case,
    make_case,
    write_case,
)

MODES = ("once", "new", "all")
SOURCES = ("live", "simulator")


def source_of(base_url: str) -> str:
    """What a recording from ``base_url`` is, when the user does not say: a server on this
    machine's loopback (127.0.0.0/8, ::1, localhost) is a simulator, never the live SMSC."""
    host = (urllib.parse.urlsplit(base_url.strip()).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "simulator"
    try:
        return "simulator" if ipaddress.ip_address(host).is_loopback else "live"
    except ValueError:
        return "live"
STOP_CODES: Mapping[int, str] = {
    2: "the server refused the credentials (error 2: invalid login or password, or this IP "
       "address is not in the account's allowed list)",
    4: "the server has temporarily blocked this IP address (error 4); wait before trying again",
    9: "the server answered error 9 (too many requests); nothing was stored for that case; "
       "wait and run again",
}
"""Answers that stop a recording, with the reason given; their bodies are never stored."""

RETRY_BACKOFF: tuple[float, ...] = (2.0, 8.0)
"""Seconds to wait before each retry of a request that met a connection reset, a timeout or an
HTTP 5xx: two retries at most. Every try goes through the limiter, so each one is counted
against the rate limits like any request."""


class RecordError(Exception):
    """A recording that could not go on: unreachable server, error 2/4/9, or a bad request."""


class PlanError(RecordError):
    """A recording that cannot start: a bad base URL, call, mode or parameter (a usage error,
    found before any request is sent)."""


# ---------------------------------------------------------------------------------------------
# The default cases


@dataclass(frozen=True, slots=True)
class Day:
    """A date parameter ``offset`` days from the anchor day ``D`` (negative: before it)."""

    offset: int

    def resolve(self, anchor: date) -> str:
        return (anchor + timedelta(days=self.offset)).strftime("%d.%m.%Y")

    def __str__(self) -> str:
        return f"D{self.offset:+d}" if self.offset else "D"


@dataclass(frozen=True, slots=True)
class DefaultCase:
    """One case the recorder makes by default: call, case name, parameters and why."""

    call: str
    name: str
    params: Mapping[str, str | Day]
    why: str

    def resolve(self, anchor: date) -> dict[str, str]:
        """The parameters with the dates pinned relative to ``anchor``."""
        return {k: v.resolve(anchor) if isinstance(v, Day) else v
                for k, v in self.params.items()}

    def shown(self) -> str:
        return "&".join(f"{k}={v}" for k, v in self.params.items()) or "(none)"


DEFAULT_CASES: tuple[DefaultCase, ...] = (
    DefaultCase("get_messages", "default",
                {"start": Day(-7), "end": Day(-1), "cnt": "5"},
                "the last 5 messages sent in the week before D"),
    DefaultCase("get_answers", "default", {"hour": "48", "cnt": "5"},
                "up to 5 incoming messages of the last 48 hours"),
    DefaultCase("get_stat", "default", {"start": Day(-7), "end": Day(-1)},
                "statistics of the week before D"),
    DefaultCase("get_price", "default", {}, "the account's tariffs"),
    DefaultCase("get_operator", "default", {"phone": "79999999999"},
                "one phone (the page's example): one record"),
    DefaultCase("get_operator", "several-phones",
                {"phone": "79999999999,79161234567,380501234567"},
                "three phones: a list with phone first"),
    DefaultCase("get_short_link", "default", {"id": "145142"},
                "the page's example link id"),
)
"""Every case ``record`` makes by default, in recording order. ``D`` is the anchor day."""


def defaults_table() -> str:
    """The default requests as a plain-text table, for ``--help`` and the README."""
    rows = [(c.call, c.name, c.shown(), c.why) for c in DEFAULT_CASES]
    widths = [max(len(r[i]) for r in [*rows, ("call", "case", "parameters", "")])
              for i in range(3)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(("call", "case", "parameters"), widths,
                                                  strict=True)).rstrip()]
    for row in rows:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row[:3], widths, strict=True))
                     + f"  {row[3]}")
    lines.append("D is the anchor day (--as-of, default today in Moscow time); every request "
                 "is sent in each format asked (--fmt), with charset=utf-8 unless --charset.")
    return "\n".join(lines)


def today_in_server_tz() -> date:
    """Today's date where the server is (Moscow), the default anchor day ``D``."""
    return datetime.now(MOSCOW).date()


# ---------------------------------------------------------------------------------------------
# Progress


@dataclass(frozen=True, slots=True)
class Event:
    """What the recorder tells its progress hook; ``message`` is already redacted.

    ``kind`` is ``start`` (``total`` requests planned, ``wait`` the seconds of rate-limit waits
    the plan foresees), ``request`` (about to send), ``wait`` (``wait`` seconds imposed by the
    limiter; the message names the limit), ``retry`` (a transient failure, tried again after
    ``wait`` seconds), ``answer`` (one more request done),
    ``stored`` (a case written), ``skip`` (a case left alone) or ``note`` (worth reading:
    an error answer stored, a cross-format mismatch, a format dropped).
    """

    kind: str
    message: str = ""
    call: str = ""
    case: str = ""
    fmt: int | None = None
    done: int = 0
    total: int = 0
    wait: float = 0.0


Progress = Callable[[Event], None]


def _no_progress(event: Event) -> None:
    return None


# ---------------------------------------------------------------------------------------------
# Planning


@dataclass(frozen=True, slots=True)
class CasePlan:
    """One case to record: the formats to ask for, and the old formats to keep as they are."""

    call: str
    name: str
    params: Mapping[str, str]
    charset: str
    fmts: tuple[int, ...]
    keep: Mapping[int, tuple[bytes, FormatMeta]] = field(default_factory=dict)
    old: Case | None = None


def _load_old(path: Path, progress: Progress, secrets: Mapping[str, str]) -> Case | None:
    try:
        return load_case(path)
    except StoreError as exc:
        progress(Event("note", redact_message(f"{exc}; recording the case afresh", secrets)))
        return None


def plan_cases(out_dir: Path, *, calls: Iterable[str] | None = None,
               fmts: Iterable[int] | None = None, mode: str = "once", charset: str = "utf-8",
               as_of: date | None = None,
               overrides: Mapping[str, Mapping[str, str]] | None = None,
               progress: Progress = _no_progress,
               secrets: Mapping[str, str] | None = None,
               cases: Sequence[UserCase] = ()) -> list[CasePlan]:
    """The cases a recording into ``out_dir`` will make, following ``mode`` (see the module).

    ``overrides`` maps a call to parameters that replace its default cases' parameters of the
    same name (``{"get_short_link": {"id": "12345"}}``); they do not touch named cases.
    ``cases`` are the user's named cases (:mod:`smsc_formats.edge.cases`), planned after the
    defaults; one with the name of a default case replaces that default case in place (a
    ``note`` event says so).
    """
    if mode not in MODES:
        raise PlanError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
    wanted_calls = list(calls) if calls else list(CALLS)
    for call in wanted_calls:
        if call not in CALLS:
            raise PlanError(f"unknown call {call!r}; known: {', '.join(CALLS)}")
    wanted_fmts = tuple(sorted(set(fmts))) if fmts else FORMATS
    anchor = as_of or today_in_server_tz()
    shown = secrets or {}
    wanted: dict[tuple[str, str], dict[str, str]] = {}
    for default in DEFAULT_CASES:
        wanted[(default.call, default.name)] = {
            **default.resolve(anchor), **(overrides or {}).get(default.call, {})}
    for case in cases:
        if (case.call, case.name) in wanted and case.call in wanted_calls:
            progress(Event("note", f"{case.call}/{case.name}: the named case ({case.where}) "
                           "replaces the default case of that name", case.call, case.name))
        wanted[(case.call, case.name)] = dict(case.params)
    plans: list[CasePlan] = []
    for (call, name), params in wanted.items():
        if call not in wanted_calls:
            continue
        plan = _plan_one(out_dir, call, name, params, mode, charset, wanted_fmts, progress,
                         shown)
        if plan is not None:
            plans.append(plan)
    _validate(plans)
    return plans


def _plan_one(out_dir: Path, call: str, name: str, params: dict[str, str], mode: str,
              charset: str, wanted_fmts: tuple[int, ...], progress: Progress,
              shown: Mapping[str, str]) -> CasePlan | None:
    """The plan of one case following ``mode``, or None when it is left alone."""
    folder = out_dir / call / name
    exists = folder.exists() or any(folder.parent.glob(f".{name}.old-*"))
    if mode == "once" and exists:
        progress(Event("skip", f"{call}/{name}: already recorded", call, name))
        return None
    old = _load_old(folder, progress, shown) if exists else None
    if mode == "new" and old is not None:
        missing = tuple(f for f in wanted_fmts if f not in old.formats)
        if not missing:
            progress(Event("skip", f"{call}/{name}: complete", call, name))
            return None
        old_charset = next(iter(old.formats.values())).charset
        keep = {f: (old.bodies[f], old.formats[f]) for f in old.formats}
        return CasePlan(call, name, dict(old.params), old_charset, missing, keep, old)
    keep = {}
    if old is not None:
        same = (dict(old.params) == params
                and all(m.charset == charset for m in old.formats.values()))
        for f in sorted(set(old.formats) - set(wanted_fmts)):
            if same:
                keep[f] = (old.bodies[f], old.formats[f])
            else:
                progress(Event("note", f"{call}/{name}: fmt {f} dropped "
                               "(recorded with other parameters or charset)", call, name, f))
    return CasePlan(call, name, params, charset, wanted_fmts, keep, old)


# ---------------------------------------------------------------------------------------------
# Checking answers


def _comparable(reply: Any) -> Any:
    if isinstance(reply, ApiError):
        return {"error": reply.code, "description": reply.description}
    return to_canonical(reply)


def _difference(a: Any, b: Any, path: str = "$") -> str | None:
    """Where two canonical values first differ, as a ``$.path``, or None if equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        if "error" in a and "error" in b and set(a) == {"error", "description"} == set(b):
            if a["error"] != b["error"]:
                return f"{path}.error_code"
            if None not in (a["description"], b["description"]) \
                    and a["description"] != b["description"]:
                return f"{path}.error"
            return None
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return f"{path}.{key}"
            found = _difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path} (length {len(a)} vs {len(b)})"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b else path


def cross_format(call: str, bodies: Mapping[int, bytes], metas: Mapping[int, FormatMeta]) -> str:
    """``ok`` if every body parses to the same canonical value, else the explanation."""
    values: dict[int, Any] = {}
    problems: list[str] = []
    for fmt in sorted(bodies):
        meta = metas[fmt]
        try:
            values[fmt] = _comparable(parse(bodies[fmt], call=call, fmt=fmt,
                                            charset=meta.charset or None,
                                            content_type=meta.content_type or None))
        except ParseError as exc:
            problems.append(f"fmt {fmt} does not parse: {exc}")
    if values:
        first = min(values)
        for fmt in sorted(values):
            if fmt == first:
                continue
            where = _difference(values[first], values[fmt])
            if where is not None:
                problems.append(f"fmt {fmt} differs from fmt {first} at {where}")
    return "; ".join(problems) if problems else "ok"


def _error_of(call: str, fmt: int, charset: str, response: Response) -> ApiError | None:
    try:
        reply = parse(response.body, call=call, fmt=fmt, charset=charset,
                      content_type=response.content_type or None)
    except ParseError:
        return None
    return reply if isinstance(reply, ApiError) else None


def safe_header(value: str, secrets: Mapping[str, str]) -> tuple[str, int]:
    """A response header as it may be stored: decoded as the server sent it, credentials
    replaced, and the ``;`` parameters that are still not printable ASCII left out; with the
    number left out.

    http.client hands a header over as latin-1; a server that sent UTF-8 (a password with
    Cyrillic letters) is read back as UTF-8 first, so the password is seen in its own
    spelling. What is stored always passes :func:`~smsc_formats.edge.store.header_problem`.
    """
    text = value
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = value.encode("latin-1").decode("utf-8")
    parts = redact(text, secrets).split(";")
    kept = [p for p in parts if header_problem(p) is None]
    return ";".join(kept).strip(), len(parts) - len(kept)


def _redact_json(value: Any, secrets: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [_redact_json(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _redact_json(v, secrets) for k, v in value.items()}
    return value


def _redact_body(call: str, fmt: int, charset: str, body: bytes,
                 secrets: Mapping[str, str]) -> bytes:
    """The body with the credentials replaced, checked to say what it said before.

    The redacted body must parse to the original's canonical value with the same
    replacement made in its texts; a credential that also spells part of the layout, a key
    or a number (so that replacing it changes the structure) is a :class:`RecordError`:
    such a body can be neither stored as it is nor redacted safely.
    """
    clean = redact(body, secrets)
    if clean == body:
        return body
    try:
        before = to_canonical(parse(body, call=call, fmt=fmt, charset=charset))
    except ParseError:
        return clean  # stored, and marked by the cross-format check as unparseable
    try:
        after = to_canonical(parse(clean, call=call, fmt=fmt, charset=charset))
    except ParseError:
        after = None
    if after is None or after != _redact_json(before, secrets):
        raise RecordError(f"{call} fmt {fmt}: a credential also occurs in the body's layout, "
                          "keys or numbers, so it cannot be replaced safely; nothing stored")
    return clean


# ---------------------------------------------------------------------------------------------
# Recording


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class _Run:
    """The state of one recording: where to send, how to wait, what to tell."""

    base_url: str
    credentials: Credentials
    limiter: Limiter
    progress: Progress
    source: str
    timeout: float
    now: Callable[[], str]
    formats_apart: bool = False
    backoff: tuple[float, ...] = RETRY_BACKOFF
    redactor: Redactor | None = None

    def __post_init__(self) -> None:
        self.secrets = named_secrets(self.credentials)
        self.account = account_id(self.credentials.apikey or self.credentials.login or "")
        self.host = host_of(self.base_url)

    def limit_params(self, params: Mapping[str, str], fmt: int) -> dict[str, str]:
        """The parameters the limiter compares: with ``formats_apart`` the format makes two
        requests different (the ledger ignores ``fmt`` itself, so it goes under a name no
        request parameter has)."""
        return {**params, "~fmt": str(fmt)} if self.formats_apart else dict(params)

    def history(self) -> list[Entry]:
        """The requests the ledger remembers for this server and account."""
        if not self.limiter.enabled:
            return []
        return self.limiter.ledger.history(server_id(self.base_url), self.account)

    def cause(self, call: str, params: Mapping[str, str]) -> str:
        """Which documented limit imposes the wait a request of ``call`` faces now."""
        return _cause(call, params_key(params), self.history(), self.limiter.clock(),
                      self.limiter)

    def schedule(self, order: Sequence[tuple[CasePlan, int]]) -> list[tuple[float, str]]:
        """The wait before each request of ``order`` and the limit that imposes it, foreseen
        from the ledger and the documented limits (retries aside)."""
        history = self.history()
        t = self.limiter.clock()
        out: list[tuple[float, str]] = []
        for plan, fmt in order:
            req = build_request(plan.call, fmt=fmt, charset=plan.charset, **plan.params)
            key = params_key(self.limit_params(req.params, fmt))
            wait = wait_time(CALLS[plan.call].limits, history, plan.call, key, t,
                             self.limiter.margin) if self.limiter.enabled else 0.0
            cause = _cause(plan.call, key, history, t, self.limiter) if wait > 0 else ""
            t += wait
            history.append(Entry(plan.call, key, t))
            out.append((wait, cause))
        return out

    def tell(self, kind: str, message: str = "", **kw: Any) -> None:
        self.progress(Event(kind, redact_message(message, self.secrets), **kw))

    def fail(self, message: str) -> RecordError:
        return RecordError(redact_message(message, self.secrets))

    def request(self, plan: CasePlan, fmt: int) -> tuple[bytes, FormatMeta]:
        req = build_request(plan.call, fmt=fmt, charset=plan.charset, **plan.params)
        limited = self.limit_params(req.params, fmt)
        label = f"{plan.call}/{plan.name} fmt {fmt}"

        def on_wait(seconds: float, reason: str) -> None:
            self.tell("wait", f"{label}: waiting {math.ceil(seconds)} s for the rate limit "
                      f"({self.cause(plan.call, limited)})", call=plan.call, case=plan.name,
                      fmt=fmt, wait=seconds)

        where = f"{plan.call} fmt {fmt} from {self.host}"
        for attempt in range(len(self.backoff) + 1):
            try:
                self.limiter.acquire(self.base_url, self.account, plan.call, limited, on_wait)
            except LimitWaitTooLong as exc:
                raise self.fail(str(exc)) from None
            self.tell("request", label, call=plan.call, case=plan.name, fmt=fmt)
            problem = ""
            try:
                response = fetch(self.base_url, req, self.credentials, self.timeout)
            except FetchError as exc:
                if not exc.transient:
                    raise self.fail(str(exc)) from None
                problem = str(exc)
            else:
                if 500 <= response.status <= 599:
                    problem = f"{where}: HTTP {response.status}"
            if not problem:
                break
            if attempt == len(self.backoff):
                raise self.fail(f"{problem} (tried {attempt + 1} times); nothing stored for "
                                "this case")
            pause = self.backoff[attempt]
            self.tell("retry", f"{label}: {problem}; trying again in {pause:.0f} s",
                      call=plan.call, case=plan.name, fmt=fmt, wait=pause)
            self.limiter.sleep(pause)
        error = _error_of(plan.call, fmt, plan.charset, response)
        if error is not None and error.code in STOP_CODES:
            raise self.fail(f"{where}: {STOP_CODES[error.code]}")
        if response.status != 200:
            raise self.fail(f"{where}: HTTP {response.status}; nothing stored for this case")
        if error is not None:
            self.tell("note", f"{plan.call}/{plan.name} fmt {fmt}: the server answered error "
                      f"{error.code}; stored as its answer", call=plan.call, case=plan.name,
                      fmt=fmt)
        body = _redact_body(plan.call, fmt, plan.charset, response.body, self.secrets)
        if fmt == 2 and xml_hits(body, self.secrets):
            raise self.fail(f"{plan.call}/{plan.name} fmt 2: a credential shows only once the "
                            "XML is parsed (split by a comment or over CDATA sections), so it "
                            "cannot be masked in place; nothing stored for this case")
        body = self.masked(plan, fmt, body)
        content_type, dropped = safe_header(response.content_type, self.secrets)
        if dropped:
            self.tell("note", f"{plan.call}/{plan.name} fmt {fmt}: the Content-Type header "
                      f"had {dropped} parameter(s) that are not printable ASCII; stored "
                      "without them", call=plan.call, case=plan.name, fmt=fmt)
        meta = FormatMeta(BODY_FILES[fmt], http_status=response.status,
                          content_type=content_type, charset=plan.charset)
        return body, meta

    def masked(self, plan: CasePlan, fmt: int, body: bytes) -> bytes:
        """The body with personal data masked (``--redact``); one that cannot be masked stops
        the recording, since an unmasked body is never stored."""
        if self.redactor is None:
            return body
        try:
            return self.redactor.body(body, call=plan.call, fmt=fmt, charset=plan.charset)
        except RedactError as exc:
            raise self.fail(f"{plan.name}: {exc}") from None

    def finish(self, plan: CasePlan, got: Mapping[int, tuple[bytes, FormatMeta]],
               out_dir: Path | None) -> Case:
        merged = {**plan.keep, **got}
        bodies = {f: merged[f][0] for f in sorted(merged)}
        metas = {f: merged[f][1] for f in sorted(merged)}
        verdict = redact(cross_format(plan.call, bodies, metas), self.secrets)
        params = self.redactor.params(plan.params) if self.redactor else dict(plan.params)
        case = make_case(
            plan.call, plan.name, bodies, metas, params=params,
            source=self.source, source_host=self.host, recorded_at=self.now(), cross_format=verdict)
        if verdict != "ok":
            self.tell("note", f"{plan.call}/{plan.name}: formats disagree: {verdict}",
                      call=plan.call, case=plan.name)
        if out_dir is not None:
            try:
                case = _with_path(case, write_case(out_dir, case))
            except OSError as exc:
                raise self.fail(f"{out_dir}: cannot write {plan.call}/{plan.name}: "
                                f"{exc.strerror or exc}") from None
            except StoreError as exc:
                raise self.fail(f"{plan.call}/{plan.name}: not stored: {exc}") from None
            self.tell("stored", f"{plan.call}/{plan.name}: stored ({verdict})", call=plan.call,
                      case=plan.name)
        return case

    def run(self, plans: Sequence[CasePlan], out_dir: Path | None) -> list[Case]:
        order = _round_robin(plans)
        total = len(order)
        waits = self.schedule([(plans[i], fmt) for i, fmt in order])
        planned = sum(w for w, _ in waits)
        self.tell("start", f"{total} request(s) to {self.host}; the rate limits make it "
                  f"take about {_duration(planned)}", total=total, wait=planned)
        bound = self.limiter.max_wait
        for n, ((i, fmt), (wait, cause)) in enumerate(zip(order, waits, strict=True), 1):
            if bound is not None and wait > bound:
                raise self.fail(f"the plan needs a wait of {wait:.0f} s before request {n} of "
                                f"{total} ({plans[i].call}/{plans[i].name} fmt {fmt}: {cause}),"
                                f" more than --max-wait {bound:.0f} s; nothing was sent")
        got: list[dict[int, tuple[bytes, FormatMeta]]] = [{} for _ in plans]
        done_cases: dict[int, Case] = {}
        for done, (i, fmt) in enumerate(order, 1):
            plan = plans[i]
            got[i][fmt] = self.request(plan, fmt)
            self.tell("answer", f"{plan.call}/{plan.name} fmt {fmt}", call=plan.call,
                      case=plan.name, fmt=fmt, done=done, total=total)
            if fmt == plan.fmts[-1]:
                done_cases[i] = self.finish(plan, got[i], out_dir)
        return [done_cases[i] for i in sorted(done_cases)]


def _round_robin(plans: Sequence[CasePlan]) -> list[tuple[int, int]]:
    """``(plan index, fmt)`` in sending order: every case's first format, then every case's
    second, ..., so the waits the rate limits impose overlap."""
    rounds = max((len(p.fmts) for p in plans), default=0)
    return [(i, p.fmts[r]) for r in range(rounds) for i, p in enumerate(plans)
            if r < len(p.fmts)]


def describe_limit(limit: RateLimit, call: str) -> str:
    """A documented limit in plain words: ``at most 3 identical requests a minute``."""
    per = {60: "a minute", 3600: "an hour", 86400: "a day"}.get(limit.seconds,
                                                               f"per {limit.seconds} s")
    what = "identical requests" if limit.scope == "identical" else f"{call} requests"
    return f"at most {limit.count} {what} {per}"


def _cause(call: str, key: str, history: Sequence[Entry], now: float,
           limiter: Limiter) -> str:
    """The limit of ``call`` that imposes the longest wait now, in plain words."""
    worst, cause = 0.0, "rate limit"
    for limit in CALLS[call].limits:
        wait = wait_time([limit], history, call, key, now, limiter.margin)
        if wait > worst:
            worst, cause = wait, describe_limit(limit, call)
    return cause


def _duration(seconds: float) -> str:
    """``0 s``, ``65 s``, ``3 min 20 s``: a planned duration in plain words."""
    whole = math.ceil(seconds)
    if whole < 120:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def _with_path(case: Case, path: Path) -> Case:
    return replace(case, path=path)


def record(base_url: str, out_dir: Path, credentials: Credentials, *,
           calls: Iterable[str] | None = None, fmts: Iterable[int] | None = None,
           mode: str = "once", charset: str = "utf-8", source: str = "live",
           as_of: date | None = None,
           overrides: Mapping[str, Mapping[str, str]] | None = None,
           limiter: Limiter | None = None, progress: Progress = _no_progress,
           timeout: float = 30.0, now: Callable[[], str] = _utc_now,
           formats_apart: bool = False,
           redactor: Redactor | None = None,
           cases: Sequence[UserCase] = ()) -> list[Case]:
    """Record the default cases (:data:`DEFAULT_CASES`) and the user's named ``cases``
    (:func:`~smsc_formats.edge.cases.load_cases`) of ``calls`` in ``fmts`` into ``out_dir``.

    ``mode`` is ``once``, ``new`` or ``all`` (see the module docstring); ``source`` is what
    ``meta.json`` says (``live`` or ``simulator``); ``as_of`` is the anchor day ``D`` of the
    pinned date windows. ``formats_apart`` counts the formats of one request as different
    requests for the "identical requests" limits (the default counts them as identical, the
    cautious reading). The whole run is planned first: a foreseen wait over the limiter's
    ``max_wait`` is a :class:`RecordError` before any request. Returns the cases written.
    ``redactor`` masks personal data in every body and in the stored parameters
    (:mod:`smsc_formats.redact`). Raises :class:`RecordError` when the recording cannot go
    on; the cases finished before are written already.
    """
    if source not in SOURCES:
        raise PlanError(f"unknown source {source!r}; known: {', '.join(SOURCES)}")
    _check_url(base_url)
    secrets = named_secrets(credentials)
    _no_secret_params(overrides or {}, secrets)
    _no_secret_cases(cases, secrets)
    plans = plan_cases(out_dir, calls=calls, fmts=fmts, mode=mode, charset=charset,
                       as_of=as_of, overrides=overrides, progress=progress, secrets=secrets,
                       cases=cases)
    run = _Run(base_url, credentials, limiter or Limiter(), progress, source, timeout, now,
               formats_apart, redactor=redactor)
    return run.run(plans, out_dir)


def rerecord_all(cases: Sequence[Case], base_url: str, credentials: Credentials,
                 limiter: Limiter | None = None, *, out_dir: Path | None = None,
                 source: str = "live", progress: Progress = _no_progress,
                 timeout: float = 30.0, formats_apart: bool = False,
                 redactor: Redactor | None = None) -> list[Case]:
    """Re-record ``cases`` with their stored parameters, formats and charset.

    The requests go round-robin over the cases, so rate-limit waits overlap. The new cases
    keep their names and parameters; they are written under ``out_dir`` (e.g. a temporary
    folder) if given, else only returned. Same redaction, limits, planning, retries and stop
    rules as :func:`record` (:class:`RecordError` on error 2/4/9 or an unreachable server);
    ``redactor`` masks personal data as in :func:`record`.
    """
    plans = [CasePlan(c.call, c.name, dict(c.params),
                      next(iter(c.formats.values())).charset if c.formats else "utf-8",
                      tuple(sorted(c.formats)))
             for c in cases]
    _check_url(base_url)
    _validate(plans)
    run = _Run(base_url, credentials, limiter or Limiter(), progress, source, timeout, _utc_now,
               formats_apart, redactor=redactor)
    return run.run(plans, out_dir)


def rerecord(case: Case, base_url: str, credentials: Credentials,
             limiter: Limiter | None = None, *, out_dir: Path | None = None,
             source: str = "live", progress: Progress = _no_progress,
             timeout: float = 30.0) -> Case:
    """Re-record one case for the drift detector: same parameters, formats and charset.

    Sends the case's request in each of its formats (through ``limiter``, with the same
    redaction and stop rules as :func:`record`) and returns the new :class:`Case` with the
    same call and name, ``cross_format`` checked anew. With ``out_dir`` (a temporary folder)
    it is also written there with :func:`~smsc_formats.edge.store.write_case`; the stored
    corpus is never touched. For many cases prefer :func:`rerecord_all`, which overlaps the
    rate-limit waits.
    """
    return rerecord_all([case], base_url, credentials, limiter, out_dir=out_dir,
                        source=source, progress=progress, timeout=timeout)[0]


def parse_overrides(items: Iterable[str]) -> dict[str, dict[str, str]]:
    """``call:name=value`` items (the CLI's ``--param``) as ``{call: {name: value}}``."""
    out: dict[str, dict[str, str]] = {}
    for item in items:
        head, eq, value = item.partition("=")
        call, colon, name = head.partition(":")
        if not (eq and colon and name) or call not in CALLS:
            # The value is never echoed: it might be something that should not be printed.
            raise PlanError(f"--param {urllib.parse.quote(head, safe=':_')}=...: expected "
                              f"CALL:NAME=VALUE with CALL one of {', '.join(CALLS)}")
        out.setdefault(call, {})[name] = value
    return out


def _no_secret_params(overrides: Mapping[str, Mapping[str, str]],
                      secrets: Mapping[str, str]) -> None:
    """A ``--param`` that holds a credential (in any spelling) is a :class:`PlanError`: its
    value would be written into ``meta.json``. The message names the parameter, never the
    value."""
    for call, params in overrides.items():
        for name, value in params.items():
            if name in PLACEHOLDERS or redact(value, secrets) != value:
                raise PlanError(f"--param {call}:{name}=...: the value holds a credential; "
                                "credentials come only from the environment and are never "
                                "written")


def _no_secret_cases(cases: Sequence[UserCase], secrets: Mapping[str, str]) -> None:
    """A named case whose value holds a credential (in any spelling) is a :class:`PlanError`
    naming the file, line and parameter, never the value: it would reach ``meta.json``."""
    for case in cases:
        for name, value in case.params.items():
            if redact(value, secrets) != value:
                raise PlanError(f"{case.where}: case '{case.call}/{case.name}': {name}: the "
                                "value holds a credential; credentials come only from the "
                                "environment and are never written")


def _validate(plans: list[CasePlan]) -> None:
    """Check every planned request against the documented limits before anything is sent."""
    for plan in plans:
        for fmt in plan.fmts:
            try:
                build_request(plan.call, fmt=fmt, charset=plan.charset, **plan.params)
            except RequestError as exc:
                raise PlanError(f"{plan.call}/{plan.name}: {exc}") from None


def _check_url(base_url: str) -> None:
    """A base URL that is not ``http(s)://host[:port]`` is a :class:`PlanError`."""
    try:
        check_base_url(base_url)
    except FetchError as exc:
        raise PlanError(str(exc)) from None
