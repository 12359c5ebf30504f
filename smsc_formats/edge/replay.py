"""Replay a fixture corpus over HTTP: the recorded answer to a request, byte for byte, offline.

:func:`start_replay` loads a corpus (``fixtures/<call>/<case>/``, see :mod:`.store`) once,
indexes every recorded answer, and serves it from a threaded local HTTP server that speaks the
SMSC paths (``/sys/get.php``, ``/sys/info.php``, ``/sys/tinyurls.php``).

A request is matched on its path, its call (the selector parameter of the spec, e.g.
``get_stat=1``), ``fmt``, ``charset`` and its other non-secret parameters, whether they come in
the query string or in a form-encoded POST body (as in PHP, the body wins over the query, and
the last of repeated parameters wins). ``login``, ``psw`` and ``apikey`` are ignored. An empty
parameter counts as absent. Like the real server, a request without ``fmt`` asks for fmt=0 and
one without ``charset`` asks for windows-1251. The recorder always sends ``charset``, so a
request it made, sent again, gets the stored body with the stored HTTP status and
Content-Type.

A miss is answered with HTTP 404 and an SMSC error 1 body in the requested fmt and charset, and
logged (logger ``smsc_formats.edge.replay``, level WARNING) with the closest recorded case and
how the request differs from it. Hits are logged at INFO. No log line carries a credential:
requests are logged as the parsed non-secret parameters, never as the raw request line, and
the values of ``login``/``psw``/``apikey`` sent with a request are masked in whatever is
logged for it.

When two cases answer the same request (say a documentation example and a recorded default),
a recorded one (``live``, then ``simulator``) wins over ``documentation``, then the first by
name; the shadowed ones are listed in :attr:`ReplayIndex.shadowed` and logged at start. Any
case stays reachable with the request header ``X-Smsc-Case: <call>/<case>``, which picks that
case's answer in the requested fmt whatever the other parameters say (the path and the call
selector must still be the case's).
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from ..api import emit
from ..charset import SUPPORTED, canonical_name
from ..errors import SmscFormatsError
from ..model import ApiError
from ..spec import CALLS, FORMATS, SECRET_PARAMS, CallSpec
from .store import Case, StoreError, load_corpus

LOG = logging.getLogger(__name__)

DEFAULT_FMT = 0
"""The fmt the server answers in when a request gives none."""
DEFAULT_CHARSET = "windows-1251"
"""The charset the server answers in when a request gives none."""
MISS_DESCRIPTION = "parameters error: no recorded answer for this request"
"""The description of the error 1 body a miss is answered with."""
CONTENT_TYPES: Mapping[int, str] = {0: "text/plain", 1: "text/plain", 2: "text/xml",
                                    3: "application/json"}
"""The media type of a miss's body (and of a stored answer that recorded none), by fmt."""
CASE_HEADER = "X-Smsc-Case"
"""The request header that picks a case by name, e.g. ``get_price/documentation``."""
MAX_FORM_BYTES = 1 << 20
"""The largest POST body read; a longer one is refused with HTTP 413."""
_SOURCE_RANK = {"live": 0, "simulator": 1, "documentation": 3}
_BLANK_SELECTOR = ("", "0")
_VALUE_SHOWN = 60

CALLS_BY_PATH: Mapping[str, tuple[CallSpec, ...]] = {
    "/" + path: tuple(s for s in CALLS.values() if s.path == path)
    for path in dict.fromkeys(s.path for s in CALLS.values())
}
"""The calls served under each URL path, in spec order."""

Key = tuple[str, str, int, str, frozenset[tuple[str, str]]]
"""What a request is matched on: path, call, fmt, charset and the non-secret parameters."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer: status, Content-Type and body, and the case it came from (if any)."""

    status: int
    content_type: str
    body: bytes
    case: str = ""
    """``call/case`` of a stored answer; empty for a miss."""


@dataclass(frozen=True, slots=True)
class Query:
    """A request as replay sees it: only what it is matched on, never a credential."""

    path: str
    call: str | None
    fmt: int
    charset: str
    params: Mapping[str, str]
    problem: str | None = None
    """Why the request cannot match any case (unknown path, no selector, bad fmt)."""
    secrets: tuple[str, ...] = field(default=(), repr=False)
    """The credential values the request carried, masked in anything logged about it."""

    def key(self) -> Key:
        return (self.path, self.call or "", self.fmt, self.charset,
                frozenset(self.params.items()))

    def shown(self, value: str) -> str:
        """A value of this request for a log line: credentials masked, then shortened."""
        return _show(_masked(value, self.secrets))

    def describe(self) -> str:
        """``get_stat fmt=3 params {start: 01.11.2026}`` (charset only when not utf-8)."""
        shown = ", ".join(f"{k}: {self.shown(v)}" for k, v in sorted(self.params.items()))
        charset = "" if self.charset == "utf-8" else f" charset={self.charset}"
        return f"{self.call or self.path} fmt={self.fmt}{charset} params {{{shown}}}"


def _show(value: str) -> str:
    """A parameter value fit for one log line: printable, and not too long."""
    text = value if value.isprintable() else repr(value)
    return text if len(text) <= _VALUE_SHOWN else text[:_VALUE_SHOWN] + "..."


def _charset_name(value: str) -> str:
    try:
        return canonical_name(value)
    except SmscFormatsError:
        return value.lower()


def _decode_pairs(raw: list[tuple[bytes, bytes]]) -> tuple[dict[str, str], str | None]:
    """Parameters as text (last of repeated names wins), decoded in the charset asked for."""
    asked = None
    for name, value in raw:
        if name == b"charset" and value:
            asked = _charset_name(value.decode("latin-1"))
    encoding = asked if asked in SUPPORTED else None
    out: dict[str, str] = {}
    for name, value in raw:
        out[_decode(name, encoding)] = _decode(value, encoding)
    return out, asked


def _decode(data: bytes, encoding: str | None) -> str:
    if encoding is not None:
        return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("windows-1251", errors="replace")


def read_query(target: str, form: bytes | None = None) -> Query:
    """The :class:`Query` of a request target (path and query string) and its form body."""
    split = urllib.parse.urlsplit(target)
    pairs = urllib.parse.parse_qsl(split.query, keep_blank_values=True, encoding="latin-1")
    if form:
        pairs += urllib.parse.parse_qsl(form.decode("latin-1"), keep_blank_values=True,
                                        encoding="latin-1")
    # Latin-1 maps bytes to code points one to one: these are the raw bytes, to be decoded in
    # the charset the request asks for once that is known.
    raw = [(k.encode("latin-1", errors="replace"), v.encode("latin-1", errors="replace"))
           for k, v in pairs]
    params, asked = _decode_pairs(raw)
    secrets = tuple(params[n] for n in SECRET_PARAMS if params.get(n))
    path = split.path
    specs = CALLS_BY_PATH.get(path, ())
    fmt_text = params.get("fmt", "")
    problem: str | None = None
    fmt = DEFAULT_FMT
    if fmt_text:
        if fmt_text.isascii() and fmt_text.isdigit() and int(fmt_text) in FORMATS:
            fmt = int(fmt_text)
        else:
            problem = f"fmt {_show(_masked(fmt_text, secrets))} is not one of 0, 1, 2, 3"
    selectors = {s.selector for s in specs}
    chosen = [s.name for s in specs if params.get(s.selector, "") not in _BLANK_SELECTOR]
    call = chosen[0] if len(chosen) == 1 else None
    if not specs:
        problem = f"unknown path {path} (known: {', '.join(CALLS_BY_PATH)})"
    elif not chosen:
        problem = "no call selector (" + ", ".join(f"{s.selector}=1" for s in specs) + ")"
    elif len(chosen) > 1:
        problem = f"several call selectors: {', '.join(chosen)}"
    rest = {k: v for k, v in params.items()
            if v and k not in SECRET_PARAMS and k not in selectors and k not in ("fmt",
                                                                                  "charset")}
    return Query(path=path, call=call, fmt=fmt, charset=asked or DEFAULT_CHARSET, params=rest,
                 problem=problem, secrets=secrets)


def _case_params(case: Case) -> dict[str, str]:
    """A case's parameters normalised as a request's are (no selector, fmt, charset, secret)."""
    ignored = {CALLS[case.call].selector, "fmt", "charset", *SECRET_PARAMS}
    return {k: v for k, v in case.params.items() if v and k not in ignored}


def _label(case: Case) -> str:
    return f"{case.call}/{case.name}"


class ReplayIndex:
    """Every answer of a corpus by :data:`Key`, built once; lookups are dict lookups."""

    def __init__(self, cases: Iterable[Case]) -> None:
        self.cases: tuple[Case, ...] = tuple(cases)
        self.answers: dict[Key, Answer] = {}
        self.by_case: dict[tuple[str, int], Answer] = {}
        """Every answer by ``(call/case, fmt)``, for the ``X-Smsc-Case`` header."""
        self.shadowed: dict[str, str] = {}
        """Each case with an answer hidden by another case's: the case that answers instead."""
        owners: dict[Key, Case] = {}
        ranked = sorted(self.cases, key=lambda c: (_SOURCE_RANK.get(c.source, 2), c.call,
                                                    c.name))
        for case in ranked:
            params = frozenset(_case_params(case).items())
            path = "/" + CALLS[case.call].path
            for fmt, meta in sorted(case.formats.items()):
                charset = _charset_name(meta.charset)
                key: Key = (path, case.call, fmt, charset, params)
                content_type = meta.content_type or f"{CONTENT_TYPES[fmt]}; charset={charset}"
                answer = Answer(meta.http_status, content_type, case.bodies[fmt], _label(case))
                self.by_case[(_label(case), fmt)] = answer
                if key in owners:
                    self.shadowed[_label(case)] = _label(owners[key])
                    continue
                owners[key] = case
                self.answers[key] = answer

    def lookup(self, query: Query, case: str | None = None) -> Answer | None:
        """The stored answer to ``query`` (of ``case``, given as ``call/case``), or None."""
        if query.problem is not None:
            return None
        if case is not None:
            if case.partition("/")[0] != query.call:
                return None
            return self.by_case.get((case, query.fmt))
        return self.answers.get(query.key())

    def miss(self, query: Query) -> Answer:
        """The 404 answer to a request nothing matches: SMSC error 1 in the fmt it asked."""
        charset = query.charset if query.charset in SUPPORTED else "utf-8"
        call = query.call or next((s.name for s in CALLS_BY_PATH.get(query.path, ())),
                                  "get_messages")
        body = emit(ApiError(1, MISS_DESCRIPTION), call=call, fmt=query.fmt, charset=charset)
        return Answer(404, f"{CONTENT_TYPES[query.fmt]}; charset={charset}", body)

    def explain(self, query: Query, case: str | None = None) -> str:
        """Why ``query`` missed: the closest recorded case and how the request differs."""
        head = f"miss {query.describe()}"
        if query.problem is not None:
            return f"{head}: {query.problem}"
        if case is not None:
            known = sorted({c for c, _ in self.by_case if c.startswith(f"{query.call}/")})
            if case not in known:
                return (f"{head}: {CASE_HEADER} {_show(case)} is not a recorded case of "
                        f"{query.call} (known: {', '.join(known) or 'none'})")
            has = ", ".join(str(f) for c, f in sorted(self.by_case) if c == case)
            return f"{head}: {CASE_HEADER} {case} has no fmt {query.fmt} (has {has})"
        same_call = [c for c in self.cases if c.call == query.call]
        pool = same_call or [c for c in self.cases if "/" + CALLS[c.call].path == query.path]
        if not pool:
            return f"{head} — no recorded case of {query.call}"
        scored = [(len(d), i, c, d) for i, c in enumerate(pool)
                  for d in [_differences(query, c)]]
        _, _, closest, diffs = min(scored, key=lambda t: (t[0], t[1]))
        if not same_call:
            diffs = [f"call {query.call} != {closest.call}", *diffs]
        return f"{head} — closest {_label(closest)} differs: {'; '.join(diffs)}"


def _differences(query: Query, case: Case) -> list[str]:
    """How ``query`` differs from what ``case`` recorded, one phrase per difference."""
    out: list[str] = []
    recorded = _case_params(case)
    for name in sorted(set(query.params) | set(recorded)):
        asked, had = query.params.get(name), recorded.get(name)
        if asked == had:
            continue
        if had is None:
            out.append(f"{name} {query.shown(asked or '')} not recorded")
        elif asked is None:
            out.append(f"{name} missing (recorded {_show(had)})")
        else:
            out.append(f"{name} {query.shown(asked)} != {_show(had)}")
    meta = case.formats.get(query.fmt)
    if meta is None:
        has = ", ".join(str(f) for f in sorted(case.formats))
        out.append(f"fmt {query.fmt} not recorded (has {has})")
    elif _charset_name(meta.charset) != query.charset:
        out.append(f"charset {query.charset} != {_charset_name(meta.charset)}")
    return out


def _masked(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every credential value (plain or URL-encoded) replaced by ``***``."""
    for value in sorted(set(secrets), key=len, reverse=True):
        for form in {value, urllib.parse.quote(value, safe=""),
                     urllib.parse.quote_plus(value, safe="")}:
            text = text.replace(form, "***")
    return text


class _Handler(BaseHTTPRequestHandler):
    """Answers GET and POST from the server's index; logs only parsed, masked queries."""

    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 30

    def do_GET(self) -> None:
        self._answer(None)

    def do_POST(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(411, "send the form with a Content-Length")
            return
        length_text = self.headers.get("Content-Length", "0")
        length = int(length_text) if length_text.isdigit() else -1
        if not 0 <= length <= MAX_FORM_BYTES:
            self.send_error(413 if length > 0 else 411)
            return
        form = self.rfile.read(length)
        kind = self.headers.get_content_type()
        if form and kind != "application/x-www-form-urlencoded":
            query = replace(read_query(self.path), problem=f"unsupported POST body {kind} "
                            "(send form-encoded parameters)")
            LOG.warning("%s", _masked(self.server.index.explain(query), query.secrets))
            self._send(self.server.index.miss(query))
            return
        self._answer(form)

    def _answer(self, form: bytes | None) -> None:
        query = read_query(self.path, form)
        index = self.server.index
        case = self.headers.get(CASE_HEADER)
        answer = index.lookup(query, case)
        # Logged before answering, so a client that got its answer finds the line written.
        if answer is None:
            LOG.warning("%s", _masked(index.explain(query, case), query.secrets))
            self._send(index.miss(query))
            return
        if LOG.isEnabledFor(logging.INFO):
            LOG.info("%s", _masked(f"hit {query.describe()} -> {answer.case} "
                                   f"({answer.status}, {len(answer.body)} bytes)",
                                   query.secrets))
        self._send(answer)

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silenced: the default access log prints the query string, credentials included."""

    def log_error(self, format: str, *args: Any) -> None:
        """Only the client's address: the default message repeats the raw request line."""
        LOG.warning("bad request from %s (not logged: it may carry credentials)",
                    self.client_address[0])

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced, for the same reason as :meth:`log_request`."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], index: ReplayIndex) -> None:
        self.index = index
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line, no traceback: a traceback could quote a request's credentials."""
        kind = sys.exc_info()[0]
        LOG.error("error while answering %s: %s", client_address[0],
                  kind.__name__ if kind else "unknown")


class _Server6(_Server):
    address_family = socket.AF_INET6


class ReplayServer:
    """A running replay server; stop it with :meth:`shutdown` or by leaving a ``with`` block."""

    def __init__(self, httpd: _Server, corpus_dir: Path) -> None:
        self._httpd = httpd
        self.corpus_dir = corpus_dir
        self.index = httpd.index
        address = httpd.server_address
        self.host: str = address[0] if isinstance(address[0], str) else address[0].decode()
        self.port: int = address[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"http://{host}:{self.port}"
        """Where the SMSC paths are served, without a trailing slash."""
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval":
                                                                            0.1},
                                        name=f"smsc-replay-{self.port}", daemon=True)
        self._stopped = False
        self._thread.start()

    def shutdown(self) -> None:
        """Stop serving and close the socket; calling it again does nothing."""
        if self._stopped:
            return
        self._stopped = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> ReplayServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.shutdown()


def start_replay(corpus_dir: Path, host: str = "127.0.0.1", port: int = 0) -> ReplayServer:
    """Load the corpus under ``corpus_dir`` and serve it on ``host:port`` (0: any free port).

    Raises :class:`StoreError` for a missing, unreadable or empty corpus and :class:`OSError`
    when the address cannot be bound.
    """
    corpus_dir = Path(corpus_dir)
    cases = load_corpus(corpus_dir)
    if not cases:
        raise StoreError(f"{corpus_dir}: no recorded cases (expected <call>/<case>/meta.json)")
    index = ReplayIndex(cases)
    server_class = _Server6 if ":" in host else _Server
    httpd = server_class((host, port), index)
    server = ReplayServer(httpd, corpus_dir)
    LOG.info("replaying %d cases (%d answers) from %s on %s", len(index.cases),
             len(index.answers), corpus_dir, server.base_url)
    for hidden, winner in index.shadowed.items():
        LOG.info("%s answers the same requests as %s, which is served; ask for it with the "
                 "header %s: %s", hidden, winner, CASE_HEADER, hidden)
    return server
